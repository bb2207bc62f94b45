"""The rules refuse a synth, a reasoned waiver admits it, and the record shows both."""

from __future__ import annotations

from pathlib import Path

import pytest

from rayfort._cdk import App, TerraformStack
from rayfort._providers import google
from rayfort.config.waivers import Waiver
from rayfort.policy import RayfortRules
from rayfort.policy.environment_rules import ENVIRONMENT_RULES
from rayfort.synth import POLICY_REPORT, SynthRefused
from tests.app import synthesize


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
    assert "{rule: RF003, resource: gke/pool, reason: <why, in words>}" in report.describe()


def test_waiver_turns_a_violation_into_a_waived_control(tmp_path: Path) -> None:
    app = _app_with_weak_pool(tmp_path)
    waivers = [
        Waiver(
            rule=rule,
            resource="gke/pool",
            reason="test fixture: a deliberately weak pool",
            tenants=[] if rule == "RF003" else None,
        )
        for rule in ("RF001", "RF002", "RF003", "RF004", "RF040")
    ]
    report = RayfortRules(waivers).attach(app).synth(app)
    assert not report.refused
    assert {e.waiver_reason for e in report.waived} == {"test fixture: a deliberately weak pool"}


def test_waiver_that_matches_nothing_is_refused(tmp_path: Path) -> None:
    app = _app_with_weak_pool(tmp_path)
    stale = Waiver(rule="RF019", resource="tenant-x/bucket/*", reason="a bucket that no longer exists here")
    report = RayfortRules([stale]).attach(app).synth(app)
    assert report.refused and report.unused_waivers == [stale]
    assert "waiver RF019 for tenant-x/bucket/* matches nothing" in report.describe()


def test_a_stale_waiver_refuses_the_synth_with_exit_code_2(tmp_path: Path, monkeypatch, capsys) -> None:
    from rayfort.synth import synth_main
    from stacks import build_app
    from tests.conftest import ENVIRONMENTS

    text = (ENVIRONMENTS / "dev.yaml").read_text()
    stale = "  - rule: RF019\n    resource: tenant-x/bucket/logs\n    reason: a bucket that no longer exists here\n"
    path = tmp_path / "stale.yaml"
    path.write_text(text.rstrip() + "\n" + stale)
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "cdktf.out"))
    assert synth_main(ENVIRONMENTS, build_app, [str(path)]) == 2
    assert "waiver RF019 for tenant-x/bucket/logs matches nothing" in capsys.readouterr().err
    assert not (tmp_path / "cdktf.out").exists()


def test_the_refusal_is_an_error_annotation_so_plain_cdktf_synth_fails(tmp_path: Path) -> None:
    """An app that composes our constructs without our CLI: cdktf itself refuses to publish."""
    app = _app_with_weak_pool(tmp_path)
    RayfortRules().attach(app)
    with pytest.raises(RuntimeError, match='Annotations with level "ERROR"'):
        app.synth()
    waived = _app_with_weak_pool(tmp_path / "waived")
    reason = "test fixture: a deliberately weak pool"
    rules = [
        Waiver(rule=r, resource="gke/pool", reason=reason, tenants=[] if r == "RF003" else None)
        for r in ("RF001", "RF002", "RF003", "RF004", "RF040")
    ]
    RayfortRules(rules).attach(waived)
    waived.synth()


@pytest.mark.parametrize("reason", ["because", " " * 24, "ok ok ok ok ok ok", "a b c d e f g", "1 2 3 4 5 6"])
def test_waiver_needs_a_reason_in_words(reason: str) -> None:
    with pytest.raises(ValueError, match="at least 5 different words"):
        Waiver(rule="RF003", resource="gke/pool-gpu/pool", reason=reason)


@pytest.mark.parametrize("resource", ["*", "gke/*", "gke*", "*/pool", "tenant-*/ray/object", "gke/pool-?"])
def test_a_wildcard_waiver_must_say_so(resource: str) -> None:
    reason = "every pool here is a throwaway test fixture"
    with pytest.raises(ValueError, match="scope: all"):
        Waiver(rule="RF003", resource=resource, reason=reason)
    assert Waiver(rule="RF003", resource=resource, scope="all", reason=reason, tenants=[]).scope == "all"


def test_scope_all_is_only_for_wildcards() -> None:
    with pytest.raises(ValueError, match="scope: all is for wildcard"):
        Waiver(rule="RF003", resource="gke/pool-gpu/pool", scope="all", reason="every pool here is a test fixture")
    assert Waiver(rule="RF003", resource="gke/pool-gpu/*", reason="the gpu pool has no confidential shape", tenants=[])


def test_an_unknown_rule_is_refused_when_the_file_is_loaded(tmp_path: Path) -> None:
    from rayfort.config import ConfigError, load_environment
    from tests.conftest import ENVIRONMENTS

    text = (ENVIRONMENTS / "dev.yaml").read_text().replace("rule: RF028", "rule: RF099")
    path = tmp_path / "unknown.yaml"
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "RF099" in row)
    with pytest.raises(ConfigError) as refused:
        load_environment(path)
    assert f'line {line}: waivers[0].rule: "RF099" is not allowed: is not a control in rayfort\'s catalogue' in str(
        refused.value
    )


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


def _environment(**overrides):
    from rayfort.config import Environment
    from tests.config.test_models import MINIMAL

    return Environment.model_validate({**MINIMAL, **overrides})


def _empty_app(outdir: Path) -> App:
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, "network")
    google.GoogleProvider(stack, "google", project="p-123456")
    return app


def test_turning_the_perimeter_off_needs_a_waiver(tmp_path: Path) -> None:
    env = _environment(network={"service_controls": {"enabled": False}})
    report = RayfortRules(environment=env).attach(app := _empty_app(tmp_path)).synth(app)
    assert [(e.rule, e.path) for e in report.violations] == [("RF021", "network/perimeter")]
    waiver = Waiver(rule="RF021", resource="network/perimeter", reason="sandbox project outside the org perimeter")
    report = RayfortRules([waiver], environment=env).attach(app := _empty_app(tmp_path / "w")).synth(app)
    assert not report.refused and report.waived[0].waiver_reason == waiver.reason


def test_token_auth_off_is_caught_for_operatorless_tenants(tmp_path: Path) -> None:
    tenant = {
        "name": "t",
        "cost_center": "c",
        "groups": {"developers": ["a@example.com"]},
        "ray_runtime": "plain",
        "token_auth": False,
    }
    env = _environment(tenants=[tenant])
    report = RayfortRules(environment=env).attach(app := _empty_app(tmp_path)).synth(app)
    assert ("RF022", "tenant-t/ray") in {(e.rule, e.path) for e in report.violations}


def test_workers_that_may_delete_objects_need_a_waiver_naming_their_grant(tmp_path: Path) -> None:
    tenant = {"name": "t", "cost_center": "c", "groups": {"developers": ["a@example.com"]}}
    env = _environment(tenants=[{**tenant, "workers_delete_objects": True}])
    report = RayfortRules(environment=env).attach(app := _empty_app(tmp_path)).synth(app)
    assert ("RF048", "tenant-t/bucket/ray-workers") in {(e.rule, e.path) for e in report.violations}
    waiver = Waiver(rule="RF048", resource="tenant-t/bucket/ray-workers", reason="jobs prune their own checkpoints")
    report = RayfortRules([waiver], environment=env).attach(app := _empty_app(tmp_path / "w")).synth(app)
    assert not report.refused
    report = (
        RayfortRules(environment=_environment(tenants=[tenant])).attach(app := _empty_app(tmp_path / "d")).synth(app)
    )
    assert "RF048" not in {e.rule for e in report.violations}


def test_secure_environment_records_its_controls_on(tmp_path: Path) -> None:
    report = RayfortRules(environment=_environment()).attach(app := _empty_app(tmp_path)).synth(app)
    assert {(e.rule, e.status) for e in report.evaluations if e.resource_type == "environment"} == {
        (rule.id, "on") for rule in ENVIRONMENT_RULES
    }
    assert {"RF003", "RF013", "RF021", "RF022", "RF023", "RF025", "RF028", "RF029", "RF030", "RF031", "RF032"} <= {
        rule.id for rule in ENVIRONMENT_RULES
    }


def test_the_aspect_and_the_output_judge_agree_on_a_real_environment(tmp_path: Path) -> None:
    from stacks import build_app
    from tests.conftest import environment

    env = environment("dev")
    as_aspect = RayfortRules(env.waivers, environment=env)
    app = build_app(env, outdir=str(tmp_path / "aspect"))
    by_aspect = as_aspect.attach(app).synth(app)
    app = build_app(env, outdir=str(tmp_path / "output"))
    app.synth()
    by_output = RayfortRules(env.waivers, environment=env).judge_output(tmp_path / "output")
    assert by_aspect.to_json() == by_output.to_json()
    assert len(by_output.evaluations) > 30 and not by_output.refused
