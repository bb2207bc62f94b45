"""What `make synth` leaves and says: the summary, readable output, lock files, and each stack's .terraform/ kept."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from rayfort.lifecycle.record import read_record
from rayfort.lifecycle.summary import summary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def second_synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """dev synthesized over an output whose stacks were initialized (and one stack the app no longer has)."""
    outdir = tmp_path_factory.mktemp("synth-again") / "cdktf.out"
    for stack in ("gke", "tenant-gone"):
        providers = outdir / "stacks" / stack / ".terraform" / "providers"
        providers.mkdir(parents=True)
        (providers / "marker").write_text(stack)
    result = subprocess.run(
        [sys.executable, "-O", str(ROOT / "main.py"), "dev"],
        cwd=ROOT,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return outdir, result


def test_terraform_dirs_survive_a_synth(second_synth) -> None:
    outdir, _ = second_synth
    assert (outdir / "stacks" / "gke" / ".terraform" / "providers" / "marker").read_text() == "gke"
    assert not (outdir / "stacks" / "tenant-gone").exists()  # a stack the app lost is not kept alive
    assert not list(outdir.parent.glob(".cdktf.out-*"))


def test_the_output_is_readable_like_any_new_directory(second_synth) -> None:
    outdir, _ = second_synth
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(outdir.stat().st_mode) == 0o777 & ~umask


def test_the_summary_names_the_environment_each_stack_its_resources_and_the_policy(second_synth) -> None:
    outdir, result = second_synth
    lines = result.stdout.splitlines()
    assert lines[0] == f"rayfort: synthesized environment dev (environments/dev.yaml) into {outdir}/"
    record = read_record(outdir)
    for stack in record.order:
        row = next(line for line in lines if line.split()[:1] == [stack])
        assert re.fullmatch(rf"  {stack}\s+{record.stacks[stack]['resources']}\s+{outdir}/stacks/{stack}/", row)
    assert "  policy: passed (" in result.stdout and "waived: RF025, RF028, RF046" in result.stdout
    assert "  deploy order: network -> audit -> gke -> exposure -> kuberay -> tenant-team-a -> tenant-team-b" in lines
    assert lines[-1] == "  next: make review ENV=dev, then make plan STACK=network ENV=dev"


def test_resource_counts_are_the_resources_terraform_manages(shipped_outdirs, synthesized) -> None:
    record = read_record(shipped_outdirs["prod"])
    for stack, tf_json in synthesized["prod"].items():
        assert record.stacks[stack]["resources"] == sum(len(v) for v in tf_json.get("resource", {}).values())
    assert record.tenants == ("risk-models", "fraud-scoring")
    assert record.policy.violated == 0


def test_a_path_outside_environments_is_shown_as_given(shipped_outdirs, tmp_path) -> None:
    record = read_record(shipped_outdirs["dev"])
    text = summary(record, tmp_path / "team.yaml", shipped_outdirs["dev"])
    shown = tmp_path / "team.yaml"
    assert text.splitlines()[-1] == f"  next: make review ENV={shown}, then make plan STACK=network ENV={shown}"
