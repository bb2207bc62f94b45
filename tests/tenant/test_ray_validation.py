"""Ray-related bad input is refused with a message that says what is allowed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from rayfort.config import ConfigError, load_environment
from rayfort.config.allocatable import node_allocatable
from tests.conftest import ENVIRONMENTS
from tests.environments import refused, shipped

# Large enough that these tests judge the node pools, not the namespace quota.
ROOMY_QUOTA = {"cpu": "1000", "memory": "4000Gi", "gpu": 8, "pods": 1000}


def _accepted(tmp_path: Path, data: dict) -> None:
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    load_environment(path)


@pytest.mark.parametrize("name", ["dev", "prod", "airgapped"])
def test_shipped_environments_pass(name: str) -> None:
    load_environment(ENVIRONMENTS / f"{name}.yaml")


@pytest.mark.parametrize(
    ("machine", "cpu", "gib"),
    [
        # GKE Standard allocatable, from its documented reservation tiers and 100 MiB eviction threshold.
        ("n2d-standard-2", "1.93", "6.10"),
        ("n2d-standard-8", "7.91", "28.34"),
        ("e2-medium", "0.94", "2.90"),
        ("n1-standard-4", "3.92", "12.40"),
    ],
)
def test_allocatable_table(machine: str, cpu: str, gib: str) -> None:
    cores, memory = node_allocatable(machine)
    assert cores.quantize(Decimal("0.01")) == Decimal(cpu)
    assert (memory / 2**30).quantize(Decimal("0.01")) == Decimal(gib)


def test_unknown_machine_types_are_not_judged() -> None:
    assert node_allocatable("z9-custom-7") is None


def test_a_pod_larger_than_any_node_is_refused(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["worker_groups"][0]["resources"] = {"cpu": "4", "memory": "8Gi"}
    message = refused(tmp_path, data)
    assert "tenants[0].worker_groups[0]" in message
    assert "a worker of group cpu fits no node" in message and "n2d-standard-2: 1.93 CPU" in message
    assert "allowed: at most one node's allocatable" in message


def test_a_head_that_only_fits_without_its_autoscaler_is_refused(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["head"] = {"cpu": "1.5", "memory": "4Gi"}
    assert "the head (with its autoscaler sidecar) fits no node" in refused(tmp_path, data)


def test_more_than_the_pools_can_ever_hold_is_refused(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["worker_groups"][0]["max_replicas"] = 40
    message = refused(tmp_path, data)
    assert (
        "at full scale (head plus every group at max_replicas), what may run only on node pools default asks for "
        "more CPU than they can ever hold" in message
    )
    assert "allowed: lower max_replicas or sizes, or raise the pools' max_nodes" in message


def test_more_nodes_make_it_fit(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["worker_groups"][0]["max_replicas"] = 40
    data["tenants"][0]["quota"] = ROOMY_QUOTA
    data["cluster"]["node_pools"] = [{"name": "default", "max_nodes": 30}]
    _accepted(tmp_path, data)


def test_gpu_groups_need_a_gpu_pool_with_enough_gpus(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["worker_groups"].append(
        {"name": "gpu", "max_replicas": 2, "resources": {"cpu": "4", "memory": "16Gi", "gpu": 1}}
    )
    data["tenants"][0]["quota"] = ROOMY_QUOTA
    assert "asks for GPUs but no node pool has any" in refused(tmp_path, data)
    data["cluster"]["node_pools"] = [
        {"name": "default"},
        {
            "name": "h100",
            "machine_type": "a3-highgpu-1g",
            "max_nodes": 1,
            "spot": True,
            "confidential_instance_type": "TDX",
            "gpu": {"type": "nvidia-h100-80gb", "count": 1},
        },
    ]
    assert (
        "tenants[0].worker_groups[1].node_pool: null is not allowed: no GPU node pool takes the workers of group "
        "gpu of tenant team-a (GPU pools: h100 admits none); set node_pool to a pool that admits it, or add team-a "
        "to the tenants of a GPU pool (cluster.node_pools[].tenants)"
    ) in refused(tmp_path, data)
    data["cluster"]["node_pools"][1]["tenants"] = ["team-a"]
    assert "what may run only on node pools h100 asks for more GPU than they can ever hold" in refused(tmp_path, data)
    data["cluster"]["node_pools"][1]["max_nodes"] = 2
    _accepted(tmp_path, data)


def test_autopilot_is_not_judged_by_node_pools(tmp_path: Path) -> None:
    data = shipped("dev")
    data["cluster"]["mode"] = "autopilot"
    data["tenants"][0]["worker_groups"][0]["max_replicas"] = 400
    data["tenants"][0]["quota"] = ROOMY_QUOTA
    _accepted(tmp_path, data)


def test_duplicate_group_names_are_refused(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["worker_groups"].append({"name": "cpu"})
    assert 'worker_groups[1].name: "cpu" is not allowed: is repeated; worker group names must be unique' in refused(
        tmp_path, data
    )


@pytest.mark.parametrize(
    ("low", "high", "clash"),
    [(8000, 8100, "metrics 8080"), (6300, 6400, "node_manager 6380"), (10000, 10010, "client 10001")],
)
def test_worker_ports_overlapping_pinned_ports_are_refused(tmp_path: Path, low: int, high: int, clash: str) -> None:
    data = shipped("dev")
    data["tenants"][0]["worker_ports"] = {"min": low, "max": high}
    message = refused(tmp_path, data)
    assert "overlaps fixed Ray ports" in message and clash in message and "allowed:" in message


def test_token_auth_needs_ray_2_52(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["ray_version"] = "2.51.2"
    assert "token authentication needs Ray 2.52 or newer" in refused(tmp_path, data)


def test_kuberay_tls_needs_the_operator(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["ray_runtime"] = "plain"
    data["tenants"][0]["tls"] = "kuberay"
    message = refused(tmp_path, data)
    assert "tenants[0].tls" in message and "allowed with ray_runtime plain: cert-manager or secret-manager" in message


def test_quota_must_hold_the_cluster_at_its_largest(tmp_path) -> None:
    import yaml

    from rayfort.config import load_environment
    from tests.conftest import ENVIRONMENTS

    data = yaml.safe_load((ENVIRONMENTS / "dev.yaml").read_text())
    data["tenants"][0]["quota"] = {"cpu": "2", "memory": "64Gi", "pods": 3}
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as refused:
        load_environment(path)
    message = str(refused.value)
    assert "tenants[0].quota.cpu" in message and "need 4.5 CPUs" in message
    assert "tenants[0].quota.pods" in message and "need 4 pods" in message


def test_tenants_cannot_use_existing_keys_yet(tmp_path) -> None:
    import yaml

    from rayfort.config import load_environment
    from tests.conftest import ENVIRONMENTS

    data = yaml.safe_load((ENVIRONMENTS / "dev.yaml").read_text())
    key = "projects/rayfort-dev-000000/locations/europe-west1/keyRings/r/cryptoKeys/"
    data["cluster"]["kms"] = {"create": None, "existing": {"boot_disk_key": key + "boot", "secrets_key": key + "etcd"}}
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="allowed while tenants exist: kms.create"):
        load_environment(path)
