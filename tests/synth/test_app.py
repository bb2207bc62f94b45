"""The app: its stacks, their state, their references, determinism and the lazy provider import."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.app import synthesize
from tests.conftest import ROOT, SHIPPED, environment


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def _expected_stacks(name: str) -> set[str]:
    env = environment(name)
    mirror = {"mirror"} if env.registry_mirror is not None and env.registry_mirror.create else set()
    return {"network", "audit", "gke", "kuberay", "exposure"} | mirror | {f"tenant-{t.name}" for t in env.tenants}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_stack_is_synthesized(synthesized, name: str) -> None:
    assert set(synthesized[name]) == _expected_stacks(name)


@pytest.mark.parametrize("name", SHIPPED)
def test_stack_snapshots(synthesized, snapshot_json, name: str) -> None:
    for stack, tf_json in synthesized[name].items():
        assert tf_json == snapshot_json(name=f"{name}-{stack}")


def test_dev_uses_one_local_state_file_per_stack(synthesized) -> None:
    paths = {stack: tf["terraform"]["backend"]["local"]["path"] for stack, tf in synthesized["dev"].items()}
    assert len(set(paths.values())) == len(paths)
    assert all(path == f"../../../state/dev/{stack}.tfstate" for stack, path in paths.items())


def test_prod_uses_one_terraform_cloud_workspace_per_stack(synthesized) -> None:
    for stack, tf in synthesized["prod"].items():
        cloud = tf["terraform"]["cloud"]
        assert cloud["organization"] == "example-bank"
        assert cloud["workspaces"] == {"name": f"rayfort-prod-{stack}"}


def test_airgapped_uses_one_gcs_prefix_per_stack(synthesized) -> None:
    for stack, tf in synthesized["airgapped"].items():
        gcs = tf["terraform"]["backend"]["gcs"]
        assert gcs == {"bucket": "rayfort-airgap-tfstate", "prefix": f"rayfort/airgapped/{stack}"}


def _remote_inputs(tf_json: dict) -> set[str]:
    return {
        name.removeprefix("cross-stack-reference-input-")
        for name in tf_json.get("data", {}).get("terraform_remote_state", {})
    }


def test_stacks_reference_each_other_not_retyped_names(synthesized) -> None:
    dev = synthesized["dev"]
    assert _remote_inputs(dev["gke"]) == {"network"}
    assert "gke" in _remote_inputs(dev["kuberay"])
    assert "gke" in _remote_inputs(dev["tenant-team-a"])
    cluster = next(iter(dev["gke"]["resource"]["google_container_cluster"].values()))
    assert cluster["network"].startswith("${data.terraform_remote_state.cross-stack-reference-input-network")
    assert cluster["subnetwork"].startswith("${data.terraform_remote_state.cross-stack-reference-input-network")
    assert any(name.startswith("cross-stack-output-") for name in dev["network"]["output"])


def test_in_cluster_providers_come_from_the_cluster_outputs(synthesized) -> None:
    for stack in ("kuberay", "tenant-team-a", "exposure"):
        provider = synthesized["dev"][stack]["provider"]["kubernetes"][0]
        assert provider["host"].startswith("https://${data.terraform_remote_state.cross-stack-reference-input-gke")
        assert "base64decode(" in provider["cluster_ca_certificate"]
        assert provider["token"] == "${data.google_client_config.google_client.access_token}"
        assert "config_path" not in provider


def test_tenant_stacks_deploy_after_the_operator(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    synthesize(environment("dev"), outdir)
    manifest = json.loads((outdir / "manifest.json").read_text())
    assert "kuberay" in manifest["stacks"]["tenant-team-a"]["dependencies"]


def _synth_in_subprocess(outdir: Path, **env: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "dev"],
        check=True,
        cwd=ROOT,
        timeout=300,
        capture_output=True,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir), **env},
    )


def _differences(a: Path, b: Path) -> list[str]:
    """Files that are in one tree only, or differ."""
    files_a = {str(p.relative_to(a)) for p in a.rglob("*") if p.is_file()}
    files_b = {str(p.relative_to(b)) for p in b.rglob("*") if p.is_file()}
    shared = files_a & files_b
    return sorted((files_a ^ files_b) | {f for f in shared if not filecmp.cmp(a / f, b / f, shallow=False)})


@pytest.mark.slow
def test_synth_is_byte_identical_in_one_process_and_split_with_the_usual_import(tmp_path: Path) -> None:
    """Two synths in fresh processes write the same bytes: rayfort's usual one, and one that differs in every
    way that must not change the output: its tenants split over two processes (rayfort.synth_workers), each
    writing the shared stacks with the outputs its tenant reads, providers imported the usual way (Python and
    JavaScript), and tokens keeping their creation stacks. (One synth each, to keep the suite short: a
    difference names the files, and rerunning with one setting at a time names the cause.)"""
    usual, varied = tmp_path / "usual", tmp_path / "varied"
    _synth_in_subprocess(usual)
    _synth_in_subprocess(
        varied, RAYFORT_SYNTH_WORKERS="2", RAYFORT_PROVIDER_IMPORT="eager", RAYFORT_TOKEN_CREATION_STACKS="keep"
    )
    assert _differences(usual, varied) == []


def _fake_output(outdir: Path, stacks: list[str]) -> None:
    for stack in stacks:
        (outdir / "stacks" / stack).mkdir(parents=True)
        (outdir / "stacks" / stack / "cdk.tf.json").write_text("{}")


def test_stacks_that_are_gone_disappear_with_make_synth(tmp_path: Path, monkeypatch) -> None:
    from rayfort.config import Environment
    from rayfort.synth import CDKTF_CLI_ENV
    from tests.config.test_models import MINIMAL

    monkeypatch.delenv(CDKTF_CLI_ENV, raising=False)
    outdir = tmp_path / "cdktf.out"
    _fake_output(outdir, ["tenant-gone"])
    synthesize(Environment.model_validate(MINIMAL), outdir)
    assert not (outdir / "stacks" / "tenant-gone").exists()
    assert (outdir / "stacks" / "network" / "cdk.tf.json").is_file()


def test_stacks_that_are_gone_are_left_for_the_cdktf_cli_to_remove(tmp_path: Path, monkeypatch) -> None:
    from rayfort.config import Environment
    from rayfort.synth import CDKTF_CLI_ENV
    from tests.config.test_models import MINIMAL

    monkeypatch.setenv(CDKTF_CLI_ENV, "true")
    outdir = tmp_path / "cdktf.out"
    _fake_output(outdir, ["tenant-gone"])
    synthesize(Environment.model_validate(MINIMAL), outdir)
    assert (outdir / "stacks" / "tenant-gone").is_dir()
    assert json.loads((outdir / "stacks" / "network" / "cdk.tf.json").read_text())["resource"]
