"""The stacks as a library: each takes typed settings, a Platform and the typed refs of the stacks it needs.

A platform team that runs its own network and operator builds one gke stack and
one tenant stack in its own app, from settings and refs alone: no Environment.
"""

from __future__ import annotations

import json

import pytest

from rayfort._cdk import App
from rayfort.config import Environment
from rayfort.config.cluster import ClusterSettings, CreatedKeys, NodePool
from rayfort.config.environment import ResourceLabels
from rayfort.config.tenant import TenantSettings
from rayfort.stacks import GkeStack, GkeStackProps, NetworkRefs, OperatorRefs, Platform, TenantStack
from rayfort.synthesized import read_stacks
from tests.conftest import resources

PLATFORM = Platform(
    project_id="acme-ml-000000",
    region="europe-west4",
    environment="research",
    labels=ResourceLabels(team="ml-platform", cost_center="cc-42"),
)
# A network the platform team's network team runs: its ids are literals, not references.
NETWORK = NetworkRefs(
    network_id="projects/acme-net-000000/global/networks/hub",
    subnet_id="projects/acme-net-000000/regions/europe-west4/subnetworks/ray",
    subnet_cidr="10.8.0.0/20",
    pods_range_name="ray-pods",
    services_range_name="ray-services",
    control_plane_cidr="172.16.8.0/28",
    google_apis_cidr="199.36.153.4/30",
    private_services_cidr="10.9.0.0/20",
    private_services_range=None,
)
# The operator is a cluster admin's, installed outside this app.
OPERATOR = OperatorRefs(stack=None, namespace="kuberay-system", mirror=None)


@pytest.fixture(scope="module")
def platform_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], dict]:
    """A gke stack and a tenant stack built from settings and refs, with Environment unusable meanwhile."""
    outdir = tmp_path_factory.mktemp("platform-app")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Environment, "model_validate", _refused)
        patch.setattr(Environment, "__init__", _refused)
        app = App(outdir=str(outdir))
        cluster = GkeStack(
            app,
            "gke",
            PLATFORM,
            GkeStackProps(
                settings=ClusterSettings(
                    name="acme-ray", node_pools=[NodePool(name="cpu", machine_type="n2d-standard-8")]
                ),
                zones=("europe-west4-b",),
                admitted_images=("europe-west4-docker.pkg.dev/acme-ml-000000/images/**",),
            ),
            NETWORK,
        ).refs
        tenant = TenantSettings(name="research", cost_center="cc-42", groups={"developers": ["research@acme.example"]})
        TenantStack(app, "tenant-research", PLATFORM, tenant, CreatedKeys(key_ring="acme"), NETWORK, cluster, OPERATOR)
        app.synth()
    return read_stacks(outdir), json.loads((outdir / "manifest.json").read_text())


def _refused(*args: object, **kwargs: object) -> None:
    raise AssertionError("a stack asked for a whole Environment")


def test_the_gke_stack_takes_its_own_settings_and_the_given_network(platform_app) -> None:
    stacks, _ = platform_app
    [cluster] = resources(stacks["gke"], "google_container_cluster")
    assert (cluster["name"], cluster["network"], cluster["subnetwork"]) == (
        "acme-ray",
        *(NETWORK.network_id, NETWORK.subnet_id),
    )
    assert cluster["ip_allocation_policy"]["cluster_secondary_range_name"] == "ray-pods"
    assert cluster["private_cluster_config"]["master_ipv4_cidr_block"] == NETWORK.control_plane_cidr
    assert cluster["resource_labels"] == {"cost-center": "cc-42", "environment": "research", "team": "ml-platform"}
    [pool] = resources(stacks["gke"], "google_container_node_pool")
    assert pool["node_config"]["machine_type"] == "n2d-standard-8" and pool["node_locations"] == ["europe-west4-b"]
    [policy] = resources(stacks["gke"], "google_binary_authorization_policy")
    assert {"name_pattern": "europe-west4-docker.pkg.dev/acme-ml-000000/images/**"} in policy[
        "admission_whitelist_patterns"
    ]


def test_the_tenant_stack_reaches_the_cluster_through_its_refs(platform_app) -> None:
    stacks, manifest = platform_app
    tenant = stacks["tenant-research"]
    assert tenant["provider"]["kubernetes"][0]["host"].startswith("https://${data.terraform_remote_state")
    assert manifest["stacks"]["tenant-research"]["dependencies"] == ["gke"]  # no operator stack to wait for
    [ring] = resources(tenant, "google_kms_key_ring")
    assert (ring["name"], ring["project"]) == ("acme-research", "acme-ml-000000")
    [redis] = resources(tenant, "google_redis_instance")
    assert redis["authorized_network"] == NETWORK.network_id and "reserved_ip_range" not in redis
    assert {b["name"] for b in resources(tenant, "google_storage_bucket")} == {"acme-ml-000000-research-artifacts"}


def test_stacks_offer_refs_and_nothing_else() -> None:
    """Consumers use a stack's ``refs``; the stacks keep no other public attribute for them to reach around."""
    import inspect

    from rayfort import stacks

    for name in ("NetworkStack", "GkeStack", "KubeRayStack", "TenantStack", "ExposureStack"):
        cls = getattr(stacks, name)
        public = {n for n, v in vars(cls).items() if not n.startswith("_") and not inspect.isfunction(v)}
        assert public == set(), (name, public)
        assert cls.__doc__ and "Offers" in cls.__doc__ and "Needs" in cls.__doc__, name
