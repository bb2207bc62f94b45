"""The make targets: help by default, the cdktf command lines, offline up to the provider download."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REVIEW_VERDICT

ROOT = Path(__file__).resolve().parents[2]


def _make(*args: str, env: dict[str, str] | None = None, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_make_alone_prints_the_help() -> None:
    result = _make()
    assert result.returncode == 0
    targets = {line.split()[0] for line in result.stdout.splitlines()[1:]}
    assert {"synth", "plan", "deploy", "deploy-all", "destroy", "synth-commit", "deploy-check", "bootstrap"} <= targets
    assert "Synthesizing" not in result.stdout and not (result.stderr.strip())


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("plan", "npx --no-install cdktf diff gke --skip-synth --output cdktf.out"),
        (
            "deploy",
            "npx --no-install cdktf deploy gke --skip-synth --output cdktf.out --ignore-missing-stack-dependencies",
        ),
        (
            "destroy",
            "npx --no-install cdktf destroy gke --skip-synth --output cdktf.out --ignore-missing-stack-dependencies",
        ),
    ],
)
def test_single_stack_targets_run_the_pinned_cli_on_the_synth_they_made(target: str, expected: str) -> None:
    result = _make("-n", target, "STACK=gke", env={"CDKTF_OUTDIR": ""})
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    synth = next(i for i, line in enumerate(lines) if line.endswith("main.py dev"))
    cli = next(i for i, line in enumerate(lines) if line.startswith(expected))
    assert synth < cli


def test_auto_approve_and_another_output_directory_reach_the_cli() -> None:
    result = _make("-n", "deploy", "STACK=network", "AUTO_APPROVE=1", env={"CDKTF_OUTDIR": "/tmp/elsewhere"})
    assert (
        "cdktf deploy network --skip-synth --output /tmp/elsewhere --ignore-missing-stack-dependencies --auto-approve"
        in result.stdout
    )


def test_deploy_all_walks_the_manifest_order() -> None:
    result = _make("-n", "deploy-all")
    assert "rayfort.lifecycle --outdir cdktf.out order" in result.stdout
    assert "cdktf deploy $stack --skip-synth" in result.stdout


def test_synth_commit_commits_only_when_asked() -> None:
    without = _make("-n", "synth-commit").stdout
    assert 'if [ "" = 1 ]' in without
    assert 'if [ "1" = 1 ]' in _make("-n", "synth-commit", "COMMIT=1").stdout


def test_a_setup_stage_is_one_line_with_its_time(tmp_path: Path) -> None:
    stage = ROOT / "tools" / "stage.sh"
    ok = subprocess.run([stage, "python dependencies", "sh", "-c", "echo noisy"], capture_output=True, text=True)
    assert ok.returncode == 0 and "noisy" not in ok.stdout
    assert re.fullmatch(r"setup: python dependencies\s+\d+\.\d s\n", ok.stdout)
    failed = subprocess.run([stage, "npm ci", "sh", "-c", "echo why >&2; exit 3"], capture_output=True, text=True)
    assert failed.returncode == 3
    assert re.match(r"setup: npm ci\s+\d+\.\d s  FAILED \(exit 3\):\nwhy\n", failed.stderr)


def test_npx_cdktf_run_by_hand_gets_checkpoint_disable() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"CHECKPOINT_DISABLE", "NODE_OPTIONS"}}
    result = subprocess.run(
        ["npx", "--no-install", "node", "-p", "process.env.CHECKPOINT_DISABLE"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "1", result.stderr


@REVIEW_VERDICT
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_make_plan_runs_offline_until_terraform_needs_the_registry(tmp_path: Path) -> None:
    """A first-time user's way: make review, then make plan. Synth, the stack and review checks, the cdktf CLI
    and terraform init all run; init stops at the provider download."""
    (tmp_path / "terraformrc").write_text("")
    env = {"CDKTF_OUTDIR": str(tmp_path / "cdktf.out"), "TF_CLI_CONFIG_FILE": str(tmp_path / "terraformrc")}
    review = _make("review", "JUDGES=0", env=env, timeout=600)
    assert review.returncode == 0, review.stderr
    assert (tmp_path / "cdktf.out" / "stacks" / "gke" / "rayfort-review.auto.tfvars.json").is_file()
    result = _make("plan", "STACK=gke", env=env, timeout=600)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "rayfort: synthesized environment dev" in output and "no review record" not in output
    assert "Reusing previous version of hashicorp/google from the dependency lock file" in output
    # Here the registry is out of reach; on a connected machine init gets the verified package instead.
    assert "could not connect to registry.terraform.io" in output or "Installed hashicorp/google v6.50.0" in output
    assert "Traceback" not in output
