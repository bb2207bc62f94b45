"""deploy/<env>/: the synthesized stacks as Terraform Cloud's VCS-driven workspaces read them.

Each stack directory holds its cdk.tf.json and .terraform.lock.hcl, nothing else, so a workspace's
working directory and trigger path can be ``deploy/<env>/<stack>``. The tree must equal a fresh synth
(``differences``): CI refuses a change whose committed stacks are stale.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from rayfort.lifecycle.locks import LOCK_FILE
from rayfort.lifecycle.record import read_record
from rayfort.synthesized import read_manifest

DEPLOYED_FILES = ("cdk.tf.json", LOCK_FILE)


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
    found += [f"not in the synth: deploy/{environment}/{name}" for name in present if name not in files]
    return found
