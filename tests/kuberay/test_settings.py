"""Environment rules of the kuberay domain: modes that cannot work are refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rayfort.config import ConfigError, load_environment
from rayfort.config.derived import effective_feature_gates
from rayfort.config.kuberay import FEATURE_GATES
from rayfort_tools.judges.helm_values import chart_schema
from tests.conftest import ENVIRONMENTS


def _load(tmp_path: Path, base: str = "dev", **changes: object) -> object:
    data = yaml.safe_load((ENVIRONMENTS / f"{base}.yaml").read_text())
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_environment(path)


def _refused(tmp_path: Path, base: str = "dev", **changes: object) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, base, **changes)
    return str(caught.value)


def test_namespaced_without_tenants_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, kuberay__install="namespaced", tenants=[])
    assert "kuberay.install" in message and "tenant" in message


def test_namespaced_with_only_operatorless_tenants_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((ENVIRONMENTS / "dev.yaml").read_text())
    tenants = [{**t, "ray_runtime": "plain"} for t in data["tenants"]]
    message = _refused(tmp_path, kuberay__install="namespaced", tenants=tenants)
    assert "ray_runtime: kuberay" in message


def test_airgapped_without_a_mirror_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, "airgapped", registry_mirror=None)
    assert "registry_mirror" in message and "air-gapped" in message


def test_unknown_feature_gate_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    message = _refused(tmp_path, kuberay__feature_gates={"RayClusterStatusCondition": True})
    assert "RayClusterStatusCondition" in message and "RayClusterStatusConditions" in message


def test_alpha_gate_nobody_needs_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, kuberay__feature_gates={"RayCronJob": True})
    assert "alpha" in message


def test_beta_gate_may_be_turned_off(tmp_path: Path) -> None:
    env = _load(tmp_path, kuberay__feature_gates={"RayServiceIncrementalUpgrade": False})
    assert effective_feature_gates(env)["RayServiceIncrementalUpgrade"] is False


def test_a_tenant_with_kuberay_tls_turns_on_mtls_and_keeps_it_on(tmp_path: Path) -> None:
    data = yaml.safe_load((ENVIRONMENTS / "dev.yaml").read_text())
    tenants = [{**data["tenants"][0], "tls": "kuberay"}, *data["tenants"][1:]]
    env = _load(tmp_path, tenants=tenants)
    assert effective_feature_gates(env)["RayClusterMTLS"] is True
    message = _refused(tmp_path, tenants=tenants, kuberay__feature_gates={"RayClusterMTLS": False})
    assert "team-a needs it" in message


def test_gke_addon_takes_no_feature_gates(tmp_path: Path) -> None:
    message = _refused(tmp_path, kuberay__install="gke-addon", kuberay__feature_gates={"RayJobDeletionPolicy": True})
    assert "gke-addon" in message


def test_by_default_no_alpha_gate_is_on(tmp_path: Path) -> None:
    gates = effective_feature_gates(_load(tmp_path))
    assert {name for name, on in gates.items() if on and FEATURE_GATES[name].maturity == "alpha"} == set()


def test_known_gates_are_exactly_the_pinned_charts() -> None:
    chart = {gate["name"]: gate["enabled"] for gate in chart_schema()["featureGates"]}
    assert chart == {name: gate.default for name, gate in FEATURE_GATES.items()}


def test_mirror_key_is_required_when_the_cluster_keys_are_existing(tmp_path: Path) -> None:
    message = _refused(
        tmp_path,
        "airgapped",
        cluster__kms={
            "create": None,
            "existing": {
                "boot_disk_key": "projects/kms-project-1/locations/europe-west3/keyRings/r/cryptoKeys/boot",
                "secrets_key": "projects/kms-project-1/locations/europe-west3/keyRings/r/cryptoKeys/secrets",
            },
        },
    )
    assert "registry_mirror.kms_key" in message
