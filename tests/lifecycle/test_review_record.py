"""The review record before Terraform: the make targets refuse a stack without one, a synth keeps a record
that still approves its stack, and deploy/<env>/ carries one for each stack."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rayfort import synth
from rayfort.lifecycle import deploy_dir
from rayfort.review_record import RECORD_FILE, review_problem
from rayfort_tools.review.gate import Verdict
from rayfort_tools.review.record import deploy_record, write_record
from rayfort_tools.review.synth_output import SynthOutput


def reviewed(outdir: Path, target: Path, verdict: Verdict | None = None) -> Path:
    """A copy of ``outdir`` with the record ``make review`` writes (a passing review unless ``verdict``)."""
    shutil.copytree(outdir, target)
    output = SynthOutput.load(target)
    write_record(output, deploy_record(output, verdict or Verdict(), "dev", "# review"))
    return target


def _lifecycle(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rayfort.lifecycle", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_a_stack_passes_only_with_a_passing_record_of_its_own_json(shipped_outdirs, tmp_path) -> None:
    stack = "gke"
    assert review_problem(shipped_outdirs["dev"] / "stacks" / stack, stack) == f"gke: no review record ({RECORD_FILE})"
    out = reviewed(shipped_outdirs["dev"], tmp_path / "passed")
    assert review_problem(out / "stacks" / stack, stack) is None
    (out / "stacks" / stack / "cdk.tf.json").write_bytes(b"{}")  # changed after the review
    assert "made for another cdk.tf.json" in review_problem(out / "stacks" / stack, stack)
    failed = reviewed(shipped_outdirs["dev"], tmp_path / "failed", Verdict(unwaived=["RF043 weakened"]))
    assert "did not pass" in review_problem(failed / "stacks" / stack, stack)


@pytest.mark.parametrize("command", [["check-stack", "gke"], ["check-destroy", "tenant-team-a"], ["check-reviews"]])
def test_the_make_targets_say_to_run_the_review_before_terraform_asks(shipped_outdirs, tmp_path, command) -> None:
    refused = _lifecycle(*command, "--outdir", str(shipped_outdirs["dev"]), cwd=tmp_path)
    assert refused.returncode == 2
    assert "no review record" in refused.stderr and "run `make review ENV=dev`" in refused.stderr
    out = reviewed(shipped_outdirs["dev"], tmp_path / "cdktf.out")
    assert _lifecycle(*command, "--outdir", str(out), cwd=tmp_path).returncode == 0


def test_a_synth_keeps_the_record_while_it_approves_the_new_json(shipped_outdirs, tmp_path) -> None:
    """make review, then make plan: plan's synth writes the same JSON, and the record stays beside it."""
    previous = reviewed(shipped_outdirs["dev"], tmp_path / "cdktf.out")
    scratch = tmp_path / "scratch"
    shutil.copytree(shipped_outdirs["dev"], scratch)
    (scratch / "stacks" / "exposure" / "cdk.tf.json").write_text("{}")  # changed since the review
    synth._carry_terraform_dirs(previous, scratch)
    assert (scratch / "stacks" / "gke" / RECORD_FILE).is_file()
    assert review_problem(scratch / "stacks" / "gke", "gke") is None
    assert not (scratch / "stacks" / "exposure" / RECORD_FILE).exists()


def test_deploy_dir_is_published_only_reviewed(shipped_outdirs, tmp_path) -> None:
    root = tmp_path / "deploy"
    with pytest.raises(deploy_dir.NotReviewed, match="run `make review ENV=dev`"):
        deploy_dir.publish(shipped_outdirs["dev"], root)
    assert not root.exists() or not any(root.iterdir())
    failed = reviewed(shipped_outdirs["dev"], tmp_path / "failed", Verdict(failed_checks=["checkov CKV_X"]))
    refused = _lifecycle("publish-deploy", "--outdir", str(failed), "--deploy-root", str(root), cwd=tmp_path)
    assert refused.returncode == 2 and "did not pass" in refused.stderr
    out = reviewed(shipped_outdirs["dev"], tmp_path / "cdktf.out")
    target = deploy_dir.publish(out, root)
    assert (target / "gke" / RECORD_FILE).read_bytes() == (out / "stacks" / "gke" / RECORD_FILE).read_bytes()
    # The check compares the JSON with a fresh synth, which has no record: the record must approve it.
    assert deploy_dir.differences(shipped_outdirs["dev"], root) == []
    (target / "kuberay" / RECORD_FILE).unlink()
    shutil.copy(failed / "stacks" / "gke" / RECORD_FILE, target / "gke" / RECORD_FILE)
    assert deploy_dir.differences(shipped_outdirs["dev"], root) == [
        "not reviewed: deploy/dev/gke: its review did not pass (a control weakened without a waiver, or a judge "
        "failed)",
        f"missing: deploy/dev/kuberay/{RECORD_FILE}",
    ]
