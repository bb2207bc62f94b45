"""deploy/<env>/: the synthesized stacks as Terraform Cloud's VCS-driven workspaces read them.

Each stack directory holds its cdk.tf.json, .terraform.lock.hcl and the review record that approved
them (rayfort-review.auto.tfvars.json), nothing else, so a workspace's working directory and trigger
path can be ``deploy/<env>/<stack>`` and its runs load the record as Terraform loads any auto tfvars.
The JSON and lock files must equal a fresh synth, and each record must be a passing review of exactly
that JSON (``differences``): CI refuses a change whose committed stacks are stale or unreviewed. A
record is not compared byte for byte: it also names the commit and run of the review that wrote it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from rayfort.lifecycle.locks import LOCK_FILE
from rayfort.lifecycle.record import read_record
from rayfort.review_record import RECORD_FILE, STACK_FILE, review_problem
from rayfort.synthesized import read_manifest

DEPLOYED_FILES = (STACK_FILE, LOCK_FILE)
"""Files a fresh synth must reproduce byte for byte; the review record comes with them."""


class NotReviewed(Exception):
    """A stack of the synth lacks a passing review record of its JSON: nothing is published."""


def expected(outdir: Path) -> tuple[str, dict[str, bytes]]:
    """(environment, {"<stack>/<file>": content}) that deploy/<environment>/ must hold for ``outdir``."""
    record = read_record(outdir)
    if record is None:
        raise FileNotFoundError(f"{outdir} holds no rayfort synth record: run `make synth` first")
    files = {}
    for name, entry in sorted(read_manifest(outdir)["stacks"].items()):
        for file in DEPLOYED_FILES:
            path = outdir / entry["workingDirectory"] / file
            if path.is_file():
                files[f"{name}/{file}"] = path.read_bytes()
    return record.environment, files


def publish(outdir: Path, deploy_root: Path) -> Path:
    """Replace deploy/<environment>/ with the stacks of ``outdir``; returns the directory written."""
    environment, files = expected(outdir)
    problems = []
    for stack in _stacks(files):
        problem = review_problem(outdir / "stacks" / stack, stack)
        if problem is None:
            files[f"{stack}/{RECORD_FILE}"] = (outdir / "stacks" / stack / RECORD_FILE).read_bytes()
        else:
            problems.append(problem)
    if problems:
        raise NotReviewed(
            "deploy/ holds only reviewed stacks, and Terraform Cloud plans nothing else:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
            + f"\n  run `make review ENV={environment}` and fix what it reports"
        )
    target = deploy_root / environment
    deploy_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{environment}-", dir=deploy_root))
    try:
        for relative, content in files.items():
            (scratch / relative).parent.mkdir(parents=True, exist_ok=True)
            (scratch / relative).write_bytes(content)
        scratch.chmod(0o755)
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def differences(outdir: Path, deploy_root: Path) -> list[str]:
    """What deploy/<environment>/ lacks, has too much of, or holds stale, against ``outdir``."""
    environment, files = expected(outdir)
    target = deploy_root / environment
    present = {
        path.relative_to(target).as_posix(): path.read_bytes() for path in sorted(target.rglob("*")) if path.is_file()
    }
    found = [f"missing: deploy/{environment}/{name}" for name in files if name not in present]
    found += [
        f"stale: deploy/{environment}/{name}" for name in files if name in present and present[name] != files[name]
    ]
    reviewed = {f"{stack}/{RECORD_FILE}" for stack in _stacks(files)}
    found += [
        f"not in the synth: deploy/{environment}/{name}"
        for name in present
        if name not in files and name not in reviewed
    ]
    for stack in _stacks(files):
        json_file = f"{stack}/{STACK_FILE}"
        if f"{stack}/{RECORD_FILE}" in present and json_file in files:
            problem = review_problem(target / stack, stack, files[json_file])
            found += [f"not reviewed: deploy/{environment}/{problem}"] if problem is not None else []
        else:
            found.append(f"missing: deploy/{environment}/{stack}/{RECORD_FILE}")
    return found


def _stacks(files: dict[str, bytes]) -> list[str]:
    return sorted({name.split("/", 1)[0] for name in files})
