"""The models' defaults are the hardened values, and the schema file matches the models."""

from __future__ import annotations

import pytest

from rayfort.config import Environment
from rayfort.config.cluster import ClusterSettings, KmsSettings, NodePool
from rayfort.config.derived import (
    control_plane_access,
    export_routes_to_control_plane,
    private_endpoint_global_access,
)
from rayfort.config.network import NetworkSettings
from rayfort.config.schema import environment_schema
from rayfort.config.tenant import TenantSettings, WorkerPorts
from tests.conftest import ENVIRONMENTS, SHIPPED, environment

MINIMAL = {
    "name": "x",
    "organization_id": "123456",
    "project_id": "proj-123",
    "region": "europe-west1",
    "zones": ["europe-west1-b"],
    "labels": {"team": "t", "cost_center": "c"},
    # The one setting without a default: the perimeter goes in an existing access policy.
    "network": {"service_controls": {"access_policy_id": "1"}},
    # The hardened default pulls every image from a private mirror; without one, upstream registries need waivers.
    "registry_mirror": {},
}


def test_minimal_environment_is_hardened_by_default() -> None:
    env = Environment.model_validate(MINIMAL)
    assert env.state.backend == "local"
    assert env.network.egress == "nat"
    assert env.network.service_controls.enabled and not env.network.service_controls.enforce
    assert env.network.iap_tcp_forwarding is False
    assert env.network.nat_logging == "ALL"
    assert env.network.internet_egress.deny_by_default and env.network.internet_egress.allowed_fqdns == []
    assert env.cluster.binary_authorization_registries == []
    assert env.cluster.release_channel in {"REGULAR", "STABLE"}
    assert control_plane_access(env) == "internal_ip" and env.deployer.runs_in == "vpc"
    assert not private_endpoint_global_access(env) and not export_routes_to_control_plane(env)
    assert env.cluster.vulnerability_scanning == "artifact_registry"
    assert env.cluster.master_authorized_networks == []
    assert env.cluster.kms.create is not None and env.cluster.kms.create.rotation_days <= 90
    assert env.kuberay.install == "helm" and env.kuberay.manage_crds and env.kuberay.feature_gates == {}
    assert env.waivers == []


def test_node_pool_defaults_mirror_the_original_setup() -> None:
    pool = NodePool(name="default")
    assert (pool.machine_type, pool.min_nodes, pool.max_nodes) == ("n2d-standard-2", 1, 4)
    assert pool.confidential_instance_type == "SEV"
    assert pool.gpu is None and not pool.sandbox and not pool.spot


def test_tenant_defaults_are_secure() -> None:
    tenant = TenantSettings(name="t", cost_center="c", groups={"developers": ["a@example.com"]})
    assert tenant.token_auth is True
    assert tenant.ray_runtime == "kuberay"
    assert tenant.exposure.internal.enabled is False and tenant.exposure.iap.enabled is False
    assert tenant.redis.tier == "STANDARD_HA"
    assert int(tenant.ray_version.split(".")[1]) >= 52


@pytest.mark.parametrize("bad", [{"min": 6000, "max": 6500}, {"min": 8000, "max": 8100}, {"min": 10000, "max": 10005}])
def test_worker_ports_must_avoid_fixed_ray_ports(bad: dict) -> None:
    with pytest.raises(ValueError, match="overlaps fixed Ray ports"):
        WorkerPorts(**bad)


def test_kms_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one of kms.create and kms.existing"):
        KmsSettings(create=None)


def test_control_plane_is_never_open_to_the_internet() -> None:
    with pytest.raises(ValueError, match="0.0.0.0/0"):
        ClusterSettings(master_authorized_networks=[{"cidr": "0.0.0.0/0", "display_name": "all"}])


def test_models_are_immutable() -> None:
    with pytest.raises(ValueError):
        NetworkSettings().egress = "none"  # type: ignore[misc]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_environments_are_valid(name: str) -> None:
    assert environment(name).name == name


def test_airgapped_environment_is_airgapped() -> None:
    env = environment("airgapped")
    assert env.airgapped and env.registry_mirror is not None


def test_prod_uses_terraform_cloud() -> None:
    assert environment("prod").state.backend == "cloud"


def test_schema_file_is_current() -> None:
    committed = (ENVIRONMENTS / "schema.json").read_text()
    assert committed == environment_schema(), "environments/schema.json is stale: run `make schema`"


def test_schema_documents_every_field() -> None:
    import json

    schema = json.loads(environment_schema())
    undocumented = [
        f"{name}.{field}"
        for name, definition in schema.get("$defs", {}).items()
        for field, spec in definition.get("properties", {}).items()
        if "description" not in spec
    ]
    assert undocumented == []
