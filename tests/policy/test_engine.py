"""The rules refuse a synth, a reasoned waiver admits it, and the record shows both."""

from __future__ import annotations

from pathlib import Path

import pytest

from rayfort._cdk import App, TerraformStack
from rayfort._providers import google
from rayfort.cli import POLICY_REPORT, SynthRefused, synthesize
from rayfort.config.waivers import Waiver
from rayfort.policy import RayfortRules


def _app_with_weak_pool(outdir: Path) -> App:
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, "gke")
    google.GoogleProvider(stack, "google", project="p-123456")
    google.ContainerNodePool(stack, "pool", cluster="c", node_config={"machine_type": "n2d-standard-2"})
    return app


def test_violation_is_recorded_and_annotated(tmp_path: Path) -> None:
    app = _app_with_weak_pool(tmp_path)
    report = RayfortRules().attach(app).synth(app)
    assert report.refused
    violated = {(e.rule, e.path) for e in report.violations}
    assert {("RF001", "gke/pool"), ("RF002", "gke/pool"), ("RF003", "gke/pool"), ("RF004", "gke/pool")} <= violated
    assert "RF003 Confidential nodes: gke/pool:" in report.describe()
    assert "{rule: RF003, resource: gke/pool, reason: <why>}" in report.describe()


def test_waiver_turns_a_violation_into_a_waived_control(tmp_path: Path) -> None:
    app = _app_with_weak_pool(tmp_path)
    waivers = [Waiver(rule=rule, resource="gke/*", reason="test fixture: a deliberately weak pool")
               for rule in ("RF001", "RF002", "RF003", "RF004")]
    report = RayfortRules(waivers).attach(app).synth(app)
    assert not report.refused
    assert {e.waiver_reason for e in report.waived} == {"test fixture: a deliberately weak pool"}


def test_waiver_that_matches_nothing_is_refused(tmp_path: Path) -> None:
    app = _app_with_weak_pool(tmp_path)
    stale = Waiver(rule="RF019", resource="tenant-x/*", reason="a bucket that no longer exists here")
    report = RayfortRules([stale]).attach(app).synth(app)
    assert "waiver RF019 for tenant-x/* matches nothing" in report.describe()


def test_waiver_needs_a_written_reason() -> None:
    with pytest.raises(ValueError):
        Waiver(rule="RF003", resource="gke/*", reason="because")


def test_cli_refuses_and_publishes_nothing(tmp_path: Path, monkeypatch) -> None:
    from rayfort.config import Environment
    from tests.config.test_models import MINIMAL

    env = Environment.model_validate(MINIMAL)
    outdir = tmp_path / "cdktf.out"

    def build(_env, outdir):
        return _app_with_weak_pool(Path(outdir))

    with pytest.raises(SynthRefused, match="RF003"):
        synthesize(env, outdir, build=build)
    assert not outdir.exists()


def test_shipped_synth_publishes_the_policy_record(tmp_path: Path) -> None:
    from tests.conftest import environment

    outdir = tmp_path / "cdktf.out"
    synthesize(environment("dev"), outdir)
    assert (outdir / POLICY_REPORT).is_file()
