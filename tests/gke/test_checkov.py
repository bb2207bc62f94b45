"""checkov's verdict on the gke stack: built-in checks and rayfort's own policies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rayfort_tools.judges import checkov as judge
from tests.gke.variants import autopilot, gpu

# Checks that read settings Autopilot rejects (GKE fixes them itself: Dataplane V2 enforces
# NetworkPolicy, nodes always use the GKE metadata server), so they can only fail there.
AUTOPILOT_INAPPLICABLE = {"CKV_GCP_12", "CKV_GCP_61", "CKV_GCP_69"}


@pytest.fixture(scope="module")
def needs_checkov() -> None:
    if judge.checkov_executable() is None:
        pytest.skip("checkov is not installed (.venv-checkov or RAYFORT_CHECKOV)")


def _verdict(tmp_path: Path, stacks: dict[str, dict]) -> judge.CheckovResult:
    paths = []
    for name, stack in stacks.items():
        directory = tmp_path / name
        directory.mkdir()
        (directory / "cdk.tf.json").write_text(json.dumps(stack))
        paths.append(directory)
    return judge.run_checkov(paths)


@pytest.fixture(scope="module")
def verdicts(needs_checkov, shipped_gke, synth_gke, tmp_path_factory) -> dict[str, judge.CheckovResult]:
    """One checkov run over every variant; findings split per variant."""
    stacks = {**shipped_gke, "gpu": synth_gke(gpu()), "autopilot": synth_gke(autopilot())}
    root = tmp_path_factory.mktemp("checkov-gke")
    result = _verdict(root, stacks)
    return {
        name: judge.CheckovResult(findings=tuple(result.under(root / name)), parsing_errors=result.parsing_errors)
        for name in stacks
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "dev",
        "airgapped",
        "gpu",
        "prod",
    ],
)
def test_no_failed_check(verdicts, name: str) -> None:
    result = verdicts[name]
    assert result.passed > 0
    assert result.ok, result.summary()


@pytest.mark.slow
def test_rayfort_policies_judge_and_pass_the_gke_stack(verdicts) -> None:
    ids = {f.check_id for f in verdicts["dev"].findings if f.result == judge.PASSED}
    assert {
        "CKV_RAYFORT_1",
        "CKV_RAYFORT_3",
        "CKV_RAYFORT_4",
        "CKV_RAYFORT_5",
        "CKV_RAYFORT_6",
        "CKV_RAYFORT_7",
        "CKV_RAYFORT_8",
    } <= ids


@pytest.mark.slow
def test_autopilot_fails_only_checks_that_read_settings_autopilot_rejects(verdicts) -> None:
    result = verdicts["autopilot"]
    assert not result.parsing_errors
    assert {f.check_id for f in result.failures} <= AUTOPILOT_INAPPLICABLE, result.summary()
