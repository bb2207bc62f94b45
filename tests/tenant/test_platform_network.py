"""The tenant NetworkPolicies, judged by network-config-analyzer for the dev and prod tenants.

Pods stand for what runs: per tenant a head, two workers of one group (so worker-to-worker
traffic is analysed) and a pod that is not Ray's, labelled as the runtime labels them; plus
kube-dns, the KubeRay operator and a Managed Prometheus collector. The expected flows are
written out here from the issue and the runtime's pinned ports, not derived from the policy
code, and the judge fails anything allowed beyond them.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import pytest

from rayfort.config.tenant import RAY_FIXED_PORTS, RAY_INTERNAL_PORTS
from rayfort.tenant.namespace import tenant_namespace
from rayfort.tenant.network_policies import TenantNetworkPolicyProps, tenant_network_policies
from rayfort.tenant.ray_pods import HEAD_GROUP, RAY_PINNED_PORTS, pod_labels
from rayfort_tools.judges import tenant_isolation as judge
from rayfort_tools.judges.k8s_schema import validate_manifest
from rayfort_tools.judges.tenant_isolation import (
    Egress,
    Ingress,
    IsolationExpectations,
    NcaUnavailable,
    RayPorts,
    Tenant,
    check_tenant_isolation,
    tcp,
)
from tests.conftest import environment

ENVIRONMENTS = {name: environment(name) for name in ("dev", "prod")}
DEV = ENVIRONMENTS["dev"]
OPERATOR_NAMESPACE = "kuberay-system"
METADATA_SERVER = Egress("169.254.169.252/32", (tcp(988),))
# Every node opens these to every other node of its cluster (issue #7, plus the pinned internal ports).
EVERY_NODE = (tcp(52365), tcp(8080), tcp(6380), tcp(6381), tcp(6383), tcp(10002, 10100))
TO_HEAD = (tcp(6379), tcp(8265), tcp(10001), *EVERY_NODE)


def _namespace(name: str, extra: dict | None = None) -> dict:
    """A Namespace with the label the API server adds to every namespace."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(extra or {})}},
    }


def _pod(namespace: str, name: str, labels: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "example"}]},
    }


def _props(env, tenant) -> TenantNetworkPolicyProps:
    return TenantNetworkPolicyProps.for_tenant(env, tenant, RAY_PINNED_PORTS, OPERATOR_NAMESPACE)


def _resources(env, tenants) -> list[dict]:
    resources = [
        _namespace("kube-system"),
        _pod("kube-system", "kube-dns-1", {"k8s-app": "kube-dns"}),
        _namespace(OPERATOR_NAMESPACE),
        _pod(OPERATOR_NAMESPACE, "kuberay-operator-1", {"app.kubernetes.io/name": "kuberay-operator"}),
        _namespace("gmp-system"),
        _pod("gmp-system", "collector-1", {"app.kubernetes.io/name": "collector"}),
    ]
    for tenant in tenants:
        ns = tenant_namespace(tenant)
        resources.append(_namespace(tenant.name, ns["metadata"]["labels"]))
        resources.append(_pod(tenant.name, "head", pod_labels(tenant.name, "head", HEAD_GROUP)))
        resources += [_pod(tenant.name, f"cpu-{i}", pod_labels(tenant.name, "worker", "cpu")) for i in (1, 2)]
        resources.append(_pod(tenant.name, "notebook", {"app.kubernetes.io/name": "notebook"}))
        resources += tenant_network_policies(_props(env, tenant))
    return resources


def _expectations(env, tenants) -> IsolationExpectations:
    net = env.network
    head_only = frozenset({"head"})
    serve = (tcp(8000),)
    return IsolationExpectations(
        tenants=tuple(
            Tenant(
                tenant.name,
                tenant.name,
                exposed=tenant.exposure.iap.enabled,
                ray_ports=RayPorts(
                    to_head=TO_HEAD + (serve if tenant.serve else ()),
                    to_worker=EVERY_NODE + (serve if tenant.serve else ()),
                    between_workers=EVERY_NODE + (serve if tenant.serve else ()),
                ),
                egress=(
                    Egress(net.google_apis_cidr, (tcp(443),)),
                    METADATA_SERVER,
                    # Only KubeRay heads run the autoscaler, which talks to the API server.
                    *(
                        (Egress(net.control_plane_cidr, (tcp(443),), head_only),)
                        if tenant.ray_runtime == "kuberay"
                        else ()
                    ),
                    Egress(net.private_services_cidr, (tcp(6378),), head_only),
                ),
                ingress=tuple(
                    Ingress(cidr, (tcp(8265), tcp(10001)))
                    for cidr in (tenant.exposure.internal.source_ranges if tenant.exposure.internal.enabled else ())
                ),
                scraped=True,
                operator_managed=tenant.ray_runtime == "kuberay",
            )
            for tenant in tenants
        ),
        operator_namespace=OPERATOR_NAMESPACE,
    )


@pytest.fixture(scope="module")
def needs_nca() -> None:
    try:
        judge.nca_executable()
    except NcaUnavailable as missing:
        pytest.skip(str(missing))


@functools.cache
def _report(env_name: str, serve: bool = False):
    env = ENVIRONMENTS[env_name]
    tenants = tuple(t.model_copy(update={"serve": serve}) for t in env.tenants)
    return check_tenant_isolation(_resources(env, tenants), _expectations(env, tenants))


def test_the_expected_ports_are_the_runtime_pins():
    """The literal ports above are the ones the runtime pins; if it pins more, this test says so."""
    assert {**RAY_FIXED_PORTS, **RAY_INTERNAL_PORTS} == RAY_PINNED_PORTS
    assert RAY_PINNED_PORTS == {
        "gcs": 6379,
        "dashboard": 8265,
        "client": 10001,
        "dashboard_agent": 52365,
        "metrics": 8080,
        "serve": 8000,
        "node_manager": 6380,
        "object_manager": 6381,
        "runtime_env_agent": 6382,
        "dashboard_agent_grpc": 6383,
    }


def test_every_policy_passes_the_schema_judge():
    for env in ENVIRONMENTS.values():
        for tenant in env.tenants:
            for policy in tenant_network_policies(_props(env, tenant)):
                assert validate_manifest(policy) == []


@pytest.mark.slow
@pytest.mark.usefixtures("needs_nca")
@pytest.mark.parametrize("env_name", ["dev", "prod"])
@pytest.mark.parametrize("serve", [False, True], ids=["serve-off", "serve-on"])
def test_tenants_are_isolated_and_exactly_the_ray_flows_are_allowed(env_name, serve):
    """dev: two operator-managed tenants, one exposed; prod: one behind IAP, one operatorless behind an ILB."""
    report = _report(env_name, serve)
    assert report.passed, report.summary()


def test_serve_port_is_closed_unless_serve_is_on():
    tenant = DEV.tenants[0]
    text = str(tenant_network_policies(_props(DEV, tenant)))
    assert "8000" not in text
    assert "8000" in str(tenant_network_policies(_props(DEV, tenant.model_copy(update={"serve": True}))))


def test_operatorless_clusters_admit_no_operator():
    plain = next(t for t in ENVIRONMENTS["prod"].tenants if t.ray_runtime == "plain")
    names = {p["metadata"]["name"] for p in tenant_network_policies(_props(ENVIRONMENTS["prod"], plain))}
    assert "ray-dashboard-operator" not in names
    managed = tenant_network_policies(_props(DEV, DEV.tenants[0]))
    assert "ray-dashboard-operator" in {p["metadata"]["name"] for p in managed}


def test_health_checks_and_internal_sources_only_when_exposed():
    team_a, team_b = DEV.tenants
    names_a = {p["metadata"]["name"] for p in tenant_network_policies(_props(DEV, team_a))}
    names_b = {p["metadata"]["name"] for p in tenant_network_policies(_props(DEV, team_b))}
    assert {"ray-dashboard-health-checks", "ray-internal-load-balancer"} <= names_a
    assert not {"ray-dashboard-health-checks", "ray-internal-load-balancer"} & names_b


def test_default_deny_covers_every_pod_both_ways():
    deny = tenant_network_policies(_props(DEV, DEV.tenants[0]))[0]
    assert deny["metadata"]["name"] == "default-deny"
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}


def test_an_unclassified_ray_port_is_refused():
    props = replace(_props(DEV, DEV.tenants[0]), ray_ports={**RAY_PINNED_PORTS, "new_port": 6390})
    with pytest.raises(ValueError, match="new_port"):
        tenant_network_policies(props)
