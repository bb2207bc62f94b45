"""Each environment check: the hardened setting passes, each way weaker fails, at the construct it names.

The checks are the early half of a control (``rayfort.controls.environment``):
a weakened environment is refused before anything is built, and the finding's
path is the construct a waiver names. Values the models already refuse at load
(a control plane open to the internet) are given with ``model_copy``, so the
check is tested even where validation stands in front of it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from rayfort.config import Environment
from rayfort.config.allocatable import node_allocatable
from rayfort.config.cluster import AuthorizedNetwork
from rayfort.config.network import SharedVpc
from rayfort.controls import environment as e
from tests.config.test_models import MINIMAL


def _tenant(name: str = "t", **settings: Any) -> dict[str, Any]:
    return {"name": name, "cost_center": "c", "groups": {"developers": ["a@example.com"]}, **settings}


def _env(**overrides: Any) -> Environment:
    return Environment.model_validate({**MINIMAL, **overrides})


def _iap(name: str = "t", **settings: Any) -> dict[str, Any]:
    return _tenant(name, exposure={"iap": {"enabled": True}}, **settings)


def _found(check, env: Environment) -> list[tuple[str, str]]:
    return list(check(env))


def _with(env: Environment, section: str, **update: Any) -> Environment:
    """``env`` with fields of one section replaced without validation (what the models would refuse)."""
    return env.model_copy(update={section: getattr(env, section).model_copy(update=update)})


# --- nodes ----------------------------------------------------------------------------------


def test_confidential_pools() -> None:
    pools = [{"name": "a"}, {"name": "b", "confidential_instance_type": None}, {"name": "c"}]
    env = _env(cluster={"node_pools": pools})
    assert _found(e.confidential_pools, env) == [
        ("gke/pool-b/pool", "cluster.node_pools[1].confidential_instance_type is null")
    ]
    assert _found(e.confidential_pools, _env()) == []
    autopilot = _with(env, "cluster", mode="autopilot")
    assert _found(e.confidential_pools, autopilot) == []


# --- who reaches what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidrs", "refused"),
    [
        (["0.0.0.0/0"], True),
        (["0.0.0.0/1", "128.0.0.0/1"], True),
        (["10.0.0.0/8", "11.0.0.0/8", "12.0.0.0/32"], True),
        (["11.0.0.0/8"], False),
        (["10.0.0.0/8", "203.0.113.0/24"], False),
        ([], False),
    ],
)
def test_authorized_networks(cidrs: list[str], refused: bool) -> None:
    networks = [AuthorizedNetwork.model_construct(cidr=c, display_name=f"n{i}") for i, c in enumerate(cidrs)]
    found = _found(e.authorized_networks, _with(_env(), "cluster", master_authorized_networks=networks))
    expected = [("gke/cluster/cluster", f"cluster.master_authorized_networks {cidrs} admit the internet at large")]
    assert found == (expected if refused else [])


def test_internal_sources_name_the_tenant_and_global_access() -> None:
    tenants = [
        _tenant("a", exposure={"internal": {"enabled": True, "source_ranges": ["10.0.0.0/8"]}}),
        _tenant("b", exposure={"internal": {"enabled": True, "source_ranges": ["0.0.0.0/0"], "global_access": True}}),
        _tenant("c", exposure={"internal": {"enabled": True, "source_ranges": ["0.0.0.0/1", "128.0.0.0/1"]}}),
        _tenant("d", exposure={"internal": {"enabled": False, "source_ranges": ["0.0.0.0/0"]}}),
    ]
    assert _found(e.internal_sources, _env(tenants=tenants)) == [
        (
            "tenant-b/internal/service/object",
            "tenants[1].exposure.internal.source_ranges ['0.0.0.0/0'] admit the internet at large "
            "from every region (global_access)",
        ),
        (
            "tenant-c/internal/service/object",
            "tenants[2].exposure.internal.source_ranges ['0.0.0.0/1', '128.0.0.0/1'] admit the internet at large",
        ),
    ]


def test_iap_tcp_forwarding_and_the_perimeter() -> None:
    assert _found(e.iap_tcp_forwarding, _env()) == []
    assert _found(e.iap_tcp_forwarding, _env(network={"iap_tcp_forwarding": True})) == [
        (
            "network/firewall/allow-iap-ssh",
            "network.iap_tcp_forwarding is true: IAP TCP forwarding reaches the nodes' SSH port",
        )
    ]  # fmt: skip
    assert _found(e.perimeter, _env()) == []
    assert _found(e.perimeter, _env(network={"service_controls": {"enabled": False}})) == [
        ("network/perimeter", "network.service_controls.enabled is false: no VPC Service Controls perimeter")
    ]


def test_an_enforced_perimeter_needs_the_identities_terraform_runs_as() -> None:
    enforced = {"service_controls": {"access_policy_id": "1", "enforce": True}}
    message = "network.service_controls.enforce is true but deployer.service_accounts is empty"
    ((path, found),) = _found(e.deployer_ingress, _env(network=enforced))
    assert path == "network/service-controls/perimeter" and found.startswith(message)
    named = _env(network=enforced, deployer={"service_accounts": ["tf@proj-123.iam.gserviceaccount.com"]})
    assert _found(e.deployer_ingress, named) == []
    assert _found(e.deployer_ingress, _env()) == []  # dry run: the perimeter denies nothing yet
    # Without a perimeter, enforce has nothing to enforce and nothing can lock Terraform out.
    off = _with(_env(network=enforced), "network", service_controls=_env().network.service_controls.model_copy(
        update={"enabled": False, "enforce": True}))  # fmt: skip
    assert _found(e.deployer_ingress, off) == []


# --- internet egress --------------------------------------------------------------------------


def test_internet_egress_is_denied_by_default_and_opened_per_host_only_with_a_finding() -> None:
    assert _found(e.egress_default_deny, _env()) == [] and _found(e.egress_fqdns, _env()) == []
    open_ = _env(network={"internet_egress": {"deny_by_default": False}})
    assert _found(e.egress_default_deny, open_) == [
        ("network/firewall/deny-all-egress", "network.internet_egress.deny_by_default is false: every pod reaches "
         "the whole internet through Cloud NAT")
    ]  # fmt: skip
    assert _found(e.egress_fqdns, open_) == []
    hosts = _env(network={"internet_egress": {"allowed_fqdns": ["pypi.org", "files.pythonhosted.org"]}})
    assert _found(e.egress_fqdns, hosts) == [
        ("network/egress-fqdns/allow-fqdns", "network.internet_egress.allowed_fqdns ['pypi.org', "
         "'files.pythonhosted.org'] open internet egress to these hosts for every pod")
    ]  # fmt: skip
    assert _found(e.egress_default_deny, hosts) == []


def test_internet_egress_is_no_finding_where_rayfort_builds_no_internet_path() -> None:
    """Air-gapped (no NAT) or a Shared VPC (the host project's firewall): the settings build nothing to refuse."""
    both = _env(network={"internet_egress": {"deny_by_default": False, "allowed_fqdns": ["pypi.org"]}})
    assert _found(e.egress_default_deny, both) and _found(e.egress_fqdns, both)
    for elsewhere in (_with(both, "network", egress="none"), _shared_vpc(both)):
        assert _found(e.egress_default_deny, elsewhere) == [] and _found(e.egress_fqdns, elsewhere) == []


# --- images -----------------------------------------------------------------------------------


def test_images_beyond_the_mirror_are_refused() -> None:
    env = _env(cluster={"binary_authorization_registries": ["docker.io/rayproject/ray:2.52.1", "docker.io/evil/*"]})
    assert _found(e.extra_image_patterns, env) == [
        (
            "gke/image-admission/policy",
            "cluster.binary_authorization_registries ['docker.io/rayproject/ray:2.52.1', 'docker.io/evil/*'] admit "
            "images beyond the mirror",
        )
    ]
    assert _found(e.extra_image_patterns, _env()) == []
    assert e.rayfort_image_patterns(env) == ("europe-west1-docker.pkg.dev/proj-123/rayfort-mirror/**",)


def test_an_airgapped_allowlist_admits_the_mirror_only() -> None:
    mirror = {"repository": "rayfort-mirror", "chart_repository": "rayfort-charts"}
    env = _env(
        network={"egress": "none"},
        registry_mirror=mirror,
        cluster={"binary_authorization_registries": ["docker.io/rayproject/ray*"]},
    )
    ((path, message),) = _found(e.extra_image_patterns, env)
    assert path == "gke/image-admission/policy"
    assert message.endswith(
        "['docker.io/rayproject/ray*'] admit images beyond the mirror (air-gapped: the only registry it can reach)"
    )
    assert e.rayfort_image_patterns(env) == ("europe-west1-docker.pkg.dev/proj-123/rayfort-mirror/**",)


@pytest.mark.parametrize(
    ("runtime", "path"),
    [("kuberay", "tenant-t/ray-raycluster-t/object"), ("plain", "tenant-t/ray-deployment-t-head/object")],
)
def test_tenant_images_must_be_pinned(runtime: str, path: str) -> None:
    for image in ("rayproject/ray:latest", "rayproject/ray", "localhost:5000/ray"):
        env = _env(tenants=[_tenant(ray_runtime=runtime, image=image)])
        assert _found(e.pinned_tenant_images, env) == [
            (path, f"tenants[0].image {image} is not pinned (a digest or a version tag)")
        ]
    for image in ("rayproject/ray:2.52.1", "r@sha256:" + "a" * 64, None):
        assert _found(e.pinned_tenant_images, _env(tenants=[_tenant(ray_runtime=runtime, image=image)])) == []


# --- dashboards -------------------------------------------------------------------------------


def test_tls_profile_matters_only_with_dashboards() -> None:
    modern = {"ssl_profile": "MODERN"}
    assert _found(e.tls_profile, _env(exposure=modern, tenants=[_iap()])) == [
        ("exposure/edge/ssl-policy", "exposure.ssl_profile is MODERN, weaker than RESTRICTED")
    ]
    assert _found(e.tls_profile, _env(exposure=modern, tenants=[_tenant()])) == []
    assert _found(e.tls_profile, _env(tenants=[_iap()])) == []


@pytest.mark.parametrize(
    ("api", "path"),
    [
        ("ingress", "tenant-b/dashboard/backend-config/object"),
        ("gateway", "tenant-b/dashboard/backend-policy/object"),
    ],
)
def test_cloud_armor_for_each_iap_dashboard(api: str, path: str) -> None:
    tenants = [_tenant("a"), _iap("b")]
    assert _found(e.armor, _env(exposure={"api": api}, tenants=tenants)) == [
        (path, "exposure.cloud_armor.enabled is false: tenants[1]'s IAP dashboard has no Cloud Armor policy")
    ]
    armored = {"api": api, "cloud_armor": {"enabled": True}}
    assert _found(e.armor, _env(exposure=armored, tenants=tenants)) == []
    assert _found(e.armor, _env(exposure={"api": api}, tenants=[_tenant("a")])) == []


# --- logs ------------------------------------------------------------------------------------


def test_flow_logs_at_the_floor_pass_and_below_it_fail() -> None:
    assert _found(e.flow_logs, _env(network={"flow_logs": {"sampling": 0.5}})) == []
    assert _found(e.flow_logs, _env(network={"flow_logs": {"sampling": 0.75}})) == []
    assert _found(e.flow_logs, _env(network={"flow_logs": {"sampling": 0.49}})) == [
        ("network/vpc/nodes", "network.flow_logs.sampling 0.49 records fewer than 0.5")
    ]
    assert _found(e.flow_logs, _env(network={"flow_logs": {"interval": "INTERVAL_30_SEC"}})) == [
        ("network/vpc/nodes", "network.flow_logs.interval INTERVAL_30_SEC is coarser than INTERVAL_5_SEC")
    ]
    assert _found(e.flow_logs, _env(network={"flow_logs": {"metadata": "EXCLUDE_ALL_METADATA"}})) == [
        ("network/vpc/nodes", "network.flow_logs.metadata EXCLUDE_ALL_METADATA leaves out metadata")
    ]
    assert len(_found(e.flow_logs, _env(network={"flow_logs": {"sampling": 0.1, "interval": "INTERVAL_1_MIN",
                                                               "metadata": "EXCLUDE_ALL_METADATA"}}))) == 3  # fmt: skip


def _shared_vpc(env: Environment) -> Environment:
    """``env`` in a Shared VPC: the checks read only that there is one."""
    shared = SharedVpc.model_construct(host_project_id="host-123", network="net", subnetwork="sub")
    return _with(env, "network", shared_vpc=shared)


def test_a_shared_vpc_leaves_flow_and_nat_logs_to_the_host_project() -> None:
    weak = _env(network={"flow_logs": {"sampling": 0.1}, "nat_logging": "ERRORS_ONLY"})
    assert _found(e.flow_logs, weak) and _found(e.nat_logging, weak)
    assert _found(e.flow_logs, _shared_vpc(weak)) == [] and _found(e.nat_logging, _shared_vpc(weak)) == []


def test_nat_logging() -> None:
    assert _found(e.nat_logging, _env(network={"nat_logging": "ERRORS_ONLY"})) == [
        ("network/nat/nat", "network.nat_logging is ERRORS_ONLY, not ALL: translations go unrecorded")
    ]
    assert _found(e.nat_logging, _env()) == []
    no_nat = _with(_env(network={"nat_logging": "ERRORS_ONLY"}), "network", egress="none")
    assert _found(e.nat_logging, no_nat) == []
    translations = _with(_env(), "network", nat_logging="TRANSLATIONS_ONLY")
    assert _found(e.nat_logging, translations)


# --- Ray ------------------------------------------------------------------------------------


def test_token_auth_is_checked_for_each_runtime_by_its_own_rule() -> None:
    tenants = [
        _tenant("a", token_auth=False),
        _tenant("b", ray_runtime="plain", token_auth=False),
        _tenant("c"),
        _tenant("d", ray_runtime="plain"),
    ]
    env = _env(tenants=tenants)
    message = "token_auth is false: anyone who reaches the head can run code"
    assert _found(e.kuberay_token_auth, env) == [("tenant-a/ray-raycluster-a/object", f"tenants[0].{message}")]
    assert _found(e.operatorless_token_auth, env) == [("tenant-b/ray", f"tenants[1].{message}")]


def test_workers_that_may_delete_objects_are_named_per_tenant() -> None:
    env = _env(tenants=[_tenant("a"), _tenant("b", workers_delete_objects=True), _tenant("c")])
    assert _found(e.workers_delete_objects, env) == [
        ("tenant-b/bucket/ray-workers", "tenants[1].workers_delete_objects is true: code on any worker can delete "
         "the team's artifacts")
    ]  # fmt: skip
    assert _found(e.workers_delete_objects, _env(tenants=[_tenant("a")])) == []


# --- capacity -------------------------------------------------------------------------------


def test_capacity_is_every_pool_admitting_the_tenant_at_max_nodes_in_each_of_its_zones() -> None:
    """Shared pools, a GPU pool that names the tenant; another tenant's dedicated pool is not the tenant's."""
    pools = [
        {"name": "a", "machine_type": "n2d-standard-4", "max_nodes": 3},
        {"name": "b", "machine_type": "n2d-standard-8", "max_nodes": 2, "zones": ["europe-west1-b", "europe-west1-c"]},
        {"name": "g", "machine_type": "g2-standard-8", "max_nodes": 1, "gpu": {"count": 1},
         "confidential_instance_type": None, "tenants": ["t"]},
        {"name": "o", "machine_type": "n2d-standard-16", "max_nodes": 5, "tenants": ["other"], "dedicated": True},
    ]  # fmt: skip
    env = _env(
        zones=["europe-west1-b", "europe-west1-c", "europe-west1-d"],
        cluster={"node_pools": pools},
        tenants=[_tenant(), _tenant("other")],
    )
    t, other = env.tenants
    a, b, g, o = (node_allocatable(p["machine_type"]) for p in pools)
    assert e.tenant_capacity(env, t) == {
        "cpu": a[0] * 3 + b[0] * 4 + g[0],
        "memory": a[1] * 3 + b[1] * 4 + g[1],
        "gpu": Decimal(1),
    }
    # A tenant with a dedicated pool is kept off the shared ones: its pool is all it can fill.
    assert e.tenant_capacity(env, other) == {"cpu": o[0] * 5, "memory": o[1] * 5, "gpu": Decimal(0)}


def test_capacity_is_unknown_on_autopilot_and_for_unknown_machines_of_the_tenants_pools() -> None:
    t = _tenant()
    autopilot = _with(_env(tenants=[t]), "cluster", mode="autopilot")
    assert e.tenant_capacity(autopilot, autopilot.tenants[0]) is None
    mystery = _env(tenants=[t], cluster={"node_pools": [{"name": "x", "machine_type": "z9-mystery-2"}]})
    assert e.tenant_capacity(mystery, mystery.tenants[0]) is None
    # An unknown machine in a pool the tenant may not use leaves its capacity known.
    elsewhere = _env(
        tenants=[t, _tenant("other")],
        cluster={"node_pools": [{"name": "a", "max_nodes": 2},
                                {"name": "x", "machine_type": "z9-mystery-2", "tenants": ["other"]}]},
    )  # fmt: skip
    cpu, memory = node_allocatable("n2d-standard-2") or (Decimal(0), Decimal(0))
    assert e.tenant_capacity(elsewhere, elsewhere.tenants[0]) == {"cpu": cpu * 2, "memory": memory * 2, "gpu": 0}
    assert e.tenant_capacity(elsewhere, elsewhere.tenants[1]) is None
    assert _found(e.quota_within_capacity, _with(_env(tenants=[_tenant(quota={"cpu": "100000"})]), "cluster",
                                                 mode="autopilot")) == []  # fmt: skip


def test_a_quota_the_tenants_pools_can_never_fill_is_refused_and_one_they_can_is_not() -> None:
    env = _env(tenants=[_tenant()])
    capacity = e.tenant_capacity(env, env.tenants[0]) or {}
    cpu, memory = capacity["cpu"], capacity["memory"]
    fits = _env(tenants=[_tenant(quota={"cpu": str(cpu), "memory": str(int(memory))})])
    assert _found(e.quota_within_capacity, fits) == []
    over = _env(tenants=[_tenant(), _tenant("big", quota={"cpu": str(cpu + 1), "memory": str(int(memory) + 1)})])
    assert _found(e.quota_within_capacity, over) == [
        (
            "tenant-big/resourcequota/object",
            f"tenants[1].quota.cpu {cpu + 1} exceeds what the node pools admitting big can hold "
            f"({cpu:.2f} at max_nodes): it limits nothing",
        ),
        (
            "tenant-big/resourcequota/object",
            f"tenants[1].quota.memory {int(memory) + 1} exceeds what the node pools admitting big can hold "
            f"({memory / 2**30:.1f}Gi at max_nodes): it limits nothing",
        ),
    ]


def test_a_quota_is_compared_with_the_tenants_own_pools_not_the_whole_cluster() -> None:
    """A quota larger than the tenant's dedicated pool is refused, even though the cluster could hold it."""
    pools = [{"name": "shared", "machine_type": "n2d-standard-16", "max_nodes": 10},
             {"name": "own", "max_nodes": 1, "tenants": ["t"], "dedicated": True}]  # fmt: skip
    env = _env(tenants=[_tenant(quota={"cpu": "4"})], cluster={"node_pools": pools})
    cpu = (node_allocatable("n2d-standard-2") or (Decimal(0),))[0]
    assert _found(e.quota_within_capacity, env) == [
        (
            "tenant-t/resourcequota/object",
            f"tenants[0].quota.cpu 4 exceeds what the node pools admitting t can hold ({cpu:.2f} at max_nodes): "
            "it limits nothing",
        )
    ]


def test_a_tenant_of_unknown_capacity_does_not_end_the_check_for_the_next() -> None:
    pools = [{"name": "a", "max_nodes": 1},
             {"name": "x", "machine_type": "z9-mystery-2", "tenants": ["first"], "dedicated": True}]  # fmt: skip
    env = _env(tenants=[_tenant("first"), _tenant("second", quota={"cpu": "100"})], cluster={"node_pools": pools})
    assert e.tenant_capacity(env, env.tenants[0]) is None
    assert [path for path, _ in _found(e.quota_within_capacity, env)] == ["tenant-second/resourcequota/object"]


def test_only_quotas_the_tenant_sets_are_compared() -> None:
    """The default quota (16 CPUs) is larger than a small cluster: a default is not a choice to refuse."""
    env = _env(tenants=[_tenant()], cluster={"node_pools": [{"name": "a", "max_nodes": 1}]})
    assert _found(e.quota_within_capacity, env) == []


def test_a_gpu_quota_on_a_cluster_without_gpus_is_refused() -> None:
    env = _env(tenants=[_tenant(quota={"gpu": 1})])
    assert _found(e.quota_within_capacity, env) == [
        (
            "tenant-t/resourcequota/object",
            "tenants[0].quota.gpu 1 exceeds what the node pools admitting t can hold (0.00 at max_nodes): "
            "it limits nothing",
        )
    ]
    assert _found(e.quota_within_capacity, _env(tenants=[_tenant(quota={"gpu": 0})])) == []
