"""Removing or renaming a tenant is refused while its stack is deployed; retiring it after destroying is not."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from rayfort.config import ConfigError, Environment, load_environment
from rayfort.lifecycle.record import PolicyResult, SynthRecord
from rayfort.lifecycle.tenants import deployed_tenants, lifecycle_problems
from rayfort.synth import SynthRefused, synth_main, synthesize

ROOT = Path(__file__).resolve().parents[2]
DEV = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())


def _env(
    drop: tuple[str, ...] = (), rename: dict[str, str] | None = None, retired: tuple[str, ...] = ()
) -> Environment:
    data = copy.deepcopy(DEV)
    data["tenants"] = [t for t in data["tenants"] if t["name"] not in drop]
    for tenant in data["tenants"]:
        tenant["name"] = (rename or {}).get(tenant["name"], tenant["name"])
    data["retired_tenants"] = list(retired)
    return Environment.model_validate(data)


def _previous_synth(outdir: Path, environment: str, tenants: tuple[str, ...]) -> None:
    outdir.mkdir(parents=True)
    record = SynthRecord(environment, tenants, {}, (), PolicyResult(0, (), 0))
    (outdir / "rayfort-synth.json").write_text(record.to_json())


def _state(project: Path, tenant: str, resources: int) -> Path:
    path = project / "state" / "dev" / f"tenant-{tenant}.tfstate"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 4, "resources": [{"type": "x", "name": str(i)} for i in range(resources)]}))
    return path


def test_a_fresh_clone_has_no_evidence_and_synthesizes(tmp_path: Path) -> None:
    assert deployed_tenants(_env(), tmp_path / "cdktf.out", tmp_path) == {}
    assert lifecycle_problems(_env(drop=("team-b",)), tmp_path / "cdktf.out", tmp_path) == []


def test_dropping_a_tenant_of_the_previous_synth_is_refused_with_the_way_out(tmp_path: Path) -> None:
    _previous_synth(tmp_path / "cdktf.out", "dev", ("team-a", "team-b"))
    (problem,) = lifecycle_problems(_env(drop=("team-b",)), tmp_path / "cdktf.out", tmp_path)
    assert "tenants: team-b is gone from the environment, but its stack tenant-team-b is deployed" in problem
    assert "the previous synth in" in problem
    assert "make destroy STACK=tenant-team-b" in problem and "retired_tenants" in problem
    assert 'README "Offboarding a tenant"' in problem and "renamed" not in problem


def test_renaming_is_refused_with_the_same_explanation_and_what_a_rename_takes(tmp_path: Path) -> None:
    _previous_synth(tmp_path / "cdktf.out", "dev", ("team-a", "team-b"))
    (problem,) = lifecycle_problems(_env(rename={"team-b": "team-z"}), tmp_path / "cdktf.out", tmp_path)
    assert "tenants: team-b is gone from the environment" in problem and "make destroy STACK=tenant-team-b" in problem
    assert "If team-b was renamed to team-z: a tenant cannot be renamed in place" in problem


def test_another_environments_synth_is_no_evidence(tmp_path: Path) -> None:
    _previous_synth(tmp_path / "cdktf.out", "prod", ("team-b",))
    assert lifecycle_problems(_env(drop=("team-b",)), tmp_path / "cdktf.out", tmp_path) == []


def test_committed_deploy_tree_and_local_state_are_evidence(tmp_path: Path) -> None:
    committed = tmp_path / "deploy" / "dev" / "tenant-team-b"
    committed.mkdir(parents=True)
    (committed / "cdk.tf.json").write_text("{}")
    _state(tmp_path, "team-b", 3)
    _state(tmp_path, "team-old", 0)  # destroyed: an empty state is no evidence
    evidence = deployed_tenants(_env(), tmp_path / "cdktf.out", tmp_path)
    assert evidence == {
        "team-b": ["deploy/dev/tenant-team-b/ is committed", "3 resources in state/dev/tenant-team-b.tfstate"]
    }
    assert len(lifecycle_problems(_env(drop=("team-b",)), tmp_path / "cdktf.out", tmp_path)) == 1


def test_a_retired_tenant_may_leave_once_its_state_is_empty(tmp_path: Path) -> None:
    _previous_synth(tmp_path / "cdktf.out", "dev", ("team-a", "team-b"))
    state = _state(tmp_path, "team-b", 2)
    (problem,) = lifecycle_problems(_env(drop=("team-b",), retired=("team-b",)), tmp_path / "cdktf.out", tmp_path)
    assert problem.startswith("  - retired_tenants: team-b still has 2 resources in state/dev/tenant-team-b.tfstate")
    state.write_text(json.dumps({"version": 4, "resources": []}))
    assert lifecycle_problems(_env(drop=("team-b",), retired=("team-b",)), tmp_path / "cdktf.out", tmp_path) == []


def test_a_tenant_cannot_be_both_active_and_retired(tmp_path: Path) -> None:
    data = copy.deepcopy(DEV)
    data["retired_tenants"] = ["team-b"]
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"tenants\[1\]\.name: .*team-b.* is also in retired_tenants"):
        load_environment(path)


def test_the_refusal_comes_before_anything_is_built_and_keeps_the_output(tmp_path: Path) -> None:
    _previous_synth(tmp_path / "cdktf.out", "dev", ("team-a", "team-b"))

    def never(*args, **kwargs):
        raise AssertionError("a refused synth builds nothing")

    with pytest.raises(SynthRefused, match="team-b is gone"):
        synthesize(_env(drop=("team-b",)), tmp_path / "cdktf.out", never, project_dir=tmp_path)
    assert (tmp_path / "cdktf.out" / "rayfort-synth.json").is_file()


def test_the_command_line_exits_2_with_the_refusal(tmp_path: Path, monkeypatch, capsys) -> None:
    _previous_synth(tmp_path / "cdktf.out", "dev", ("team-a", "team-b"))
    data = copy.deepcopy(DEV)
    data["tenants"] = data["tenants"][:1]
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "cdktf.out"))
    assert synth_main(tmp_path, lambda *a, **k: None, ["dev"]) == 2
    err = capsys.readouterr().err
    assert "synthesis refused" in err and "team-b is gone" in err and "Traceback" not in err


def test_default_sizes_fit_the_default_pool_and_a_refusal_names_the_default(tmp_path: Path) -> None:
    data = copy.deepcopy(DEV)
    data["tenants"] = [{"name": "team-c", "cost_center": "cc-1003", "groups": {"developers": ["c@example.com"]}}]
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(data))
    load_environment(path)  # the defaults fit n2d-standard-2, the default pool's machine
    data["cluster"]["node_pools"] = [{"name": "small", "machine_type": "e2-medium"}]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as refused:
        load_environment(path)
    message = " ".join(str(refused.value).split())
    assert "tenants[0].head: " in message and "fits no node of the pools it may run on: small (e2-medium" in message
    assert (
        "(tenants[0].head is not set, so these are its defaults cpu 1, memory 4Gi: set tenants[0].head.cpu" in message
    )
