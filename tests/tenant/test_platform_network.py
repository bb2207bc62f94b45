"""The tenant NetworkPolicies, judged by network-config-analyzer for the dev and prod tenants.

Pods stand for what runs. Heads and workers carry the labels their runtime's templates give
them (RayCluster or Deployments), plus, for RayClusters, the labels KubeRay v1.7.0 adds
(``labelPod`` in ray-operator/controllers/ray/common/pod.go). Where the operator runs, each
tenant also has the pods KubeRay makes on its own, labelled here from KubeRay's source:

* the GCS fault-tolerance cleanup Job's pod (``buildRedisCleanupJob`` in
  raycluster_controller.go: the head's labels, node type ``redis-cleanup``);
* a RayJob submitter on the platform's cluster (``getSubmitterTemplate`` in
  rayjob_controller.go: its template's labels, where admission requires the tenant label,
  plus KubeRay's three);
* a second cluster the team made itself (``own``), with its submitter and a cleanup pod (were
  its GCS fault tolerance on, the tenant's Memorystore would still be the platform cluster's).

Plus kube-dns, the operator, a Managed Prometheus collector and a pod that is not Ray's. The
expected flows are written out here from the issues and the runtime's pinned ports, not derived
from the policy code, and the judge (with its attacker probes) fails anything allowed beyond them.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import replace

import pytest

from rayfort.config.tenant import RAY_FIXED_PORTS, RAY_INTERNAL_PORTS, TenantSettings
from rayfort.tenant.namespace import TENANT_LABEL, tenant_namespace
from rayfort.tenant.network_policies import TenantNetworkPolicyProps, tenant_network_policies
from rayfort.tenant.runtime import ray_runtime_objects
from rayfort.tenant.runtime.inputs import RayRuntimeInputs
from rayfort.tenant.runtime.pods import RAY_PINNED_PORTS
from rayfort_tools.judges import tenant_isolation as judge
from rayfort_tools.judges.k8s_schema import validate_manifest
from rayfort_tools.judges.tenant_isolation import (
    ADMITTED_CLUSTERS,
    ATTACKER_PROBES,
    JOB_SUBMITTERS,
    REDIS_CLEANUP,
    Egress,
    Ingress,
    IsolationExpectations,
    NcaUnavailable,
    RayPorts,
    Submitter,
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
PLATFORM_ONLY = (
    "ray-dashboard-health-checks",
    "ray-internal-load-balancer",
    "ray-head-redis-egress",
    "ray-redis-cleanup-egress",
)
"""Policies for what only the platform's cluster has: its exposure and the tenant's Memorystore."""
OWN_CLUSTER = "own"
"""The cluster a team makes itself, beside the platform's (issue 18)."""


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
    net = env.network
    return TenantNetworkPolicyProps.for_tenant(
        tenant,
        RAY_PINNED_PORTS,
        OPERATOR_NAMESPACE,
        control_plane_cidr=net.control_plane_cidr,
        google_apis_cidr=net.google_apis_cidr,
        redis_cidr=net.private_services_cidr,
    )


def _template_labels(tenant: TenantSettings) -> dict[str, dict]:
    """The head's and the first worker group's pod labels, as the tenant's runtime writes its templates."""
    inputs = RayRuntimeInputs(
        tenant=tenant,
        image="rayproject/ray:2.52.1-py311",
        project_id="p",
        redis_address="10.0.0.3:6378",
        redis_ca_cert="ca",
        redis_password_secret="redis-auth",
        gcs_bucket="b",
    )
    templates = {}
    for obj in ray_runtime_objects(inputs):
        if obj["kind"] == "RayCluster":
            templates["head"] = obj["spec"]["headGroupSpec"]["template"]
            templates["worker"] = obj["spec"]["workerGroupSpecs"][0]["template"]
        elif obj["kind"] == "Deployment":
            labels = obj["spec"]["template"]["metadata"]["labels"]
            templates.setdefault(labels["ray.io/node-type"], obj["spec"]["template"])
    return {node_type: dict(template["metadata"]["labels"]) for node_type, template in templates.items()}


def _kuberay(labels: dict, cluster: str) -> dict:
    """labelPod: KubeRay's own labels under the template's, and the cluster's name, which no template overrides."""
    node_type = labels["ray.io/node-type"]
    added = {
        "ray.io/is-ray-node": "yes",
        "ray.io/identifier": f"{cluster}-{node_type}",
        "app.kubernetes.io/name": "kuberay",
        "app.kubernetes.io/created-by": "kuberay-operator",
    }
    return {**added, **labels, "ray.io/cluster": cluster}


def _job(name: str) -> dict:
    """The labels the Job controller puts on a Job's pods."""
    return {"batch.kubernetes.io/job-name": name, "job-name": name}


def _submitter(tenant: str, job: str) -> dict:
    return {
        TENANT_LABEL: tenant,
        "ray.io/originated-from-cr-name": job,
        "ray.io/originated-from-crd": "RayJob",
        "app.kubernetes.io/created-by": "kuberay-operator",
        **_job(job),
    }


def _ray_pods(tenant: TenantSettings, cluster: str) -> list[dict]:
    """A cluster's head, two workers and, with the operator, its cleanup pod and a submitter."""
    templates = _template_labels(tenant)
    operated = tenant.ray_runtime == "kuberay"
    head = _kuberay(templates["head"], cluster) if operated else templates["head"]
    worker = _kuberay(templates["worker"], cluster) if operated else templates["worker"]
    pods = [_pod(tenant.name, f"{cluster}-head", head)]
    pods += [_pod(tenant.name, f"{cluster}-cpu-{i}", worker) for i in (1, 2)]
    if operated:
        cleanup = f"{cluster}-redis-cleanup"
        pods.append(_pod(tenant.name, cleanup, {**head, "ray.io/node-type": "redis-cleanup", **_job(cleanup)}))
        pods.append(_pod(tenant.name, f"{cluster}-pi-submitter", _submitter(tenant.name, f"{cluster}-pi")))
    return pods


def _resources(env, tenants, policies=None) -> list[dict]:
    resources = [
        _namespace("kube-system"),
        _pod("kube-system", "kube-dns-1", {"k8s-app": "kube-dns"}),
        _namespace(OPERATOR_NAMESPACE),
        _pod(OPERATOR_NAMESPACE, "kuberay-operator-1", {"app.kubernetes.io/name": "kuberay-operator"}),
        _namespace("gmp-system"),
        _pod("gmp-system", "collector-1", {"app.kubernetes.io/name": "collector"}),
    ]
    for tenant in tenants:
        ns = tenant_namespace(tenant, None)
        resources.append(_namespace(tenant.name, ns["metadata"]["labels"]))
        resources += _ray_pods(tenant, tenant.name)
        if tenant.ray_runtime == "kuberay":
            resources += _ray_pods(tenant, OWN_CLUSTER)
        resources.append(_pod(tenant.name, "notebook", {"app.kubernetes.io/name": "notebook"}))
        resources += (policies or tenant_network_policies)(_props(env, tenant))
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
                    # KubeRay heads run the autoscaler, which talks to the API server; with per-pod TLS leaves
                    # every node does, as its init container requests the leaf.
                    *(
                        (Egress(net.control_plane_cidr, (tcp(443),), _api_server_users(tenant)),)
                        if _api_server_users(tenant)
                        else ()
                    ),
                    # The platform cluster's GCS writes to Redis; KubeRay's cleanup Job deletes its data from it.
                    Egress(
                        net.private_services_cidr,
                        (tcp(6378),),
                        frozenset({"head", "redis-cleanup"}) if tenant.ray_runtime == "kuberay" else head_only,
                        platform_cluster_only=True,
                    ),
                ),
                ingress=tuple(
                    Ingress(cidr, (tcp(8265), tcp(10001)))
                    for cidr in (tenant.exposure.internal.source_ranges if tenant.exposure.internal.enabled else ())
                ),
                scraped=True,
                operator_managed=tenant.ray_runtime == "kuberay",
                admitted_clusters=(OWN_CLUSTER,) if tenant.ray_runtime == "kuberay" else (),
                submitters=(
                    (Submitter(f"{tenant.name}-pi", tenant.name), Submitter(f"{OWN_CLUSTER}-pi", OWN_CLUSTER))
                    if tenant.ray_runtime == "kuberay"
                    else ()
                ),
            )
            for tenant in tenants
        ),
        operator_namespace=OPERATOR_NAMESPACE,
    )


def _api_server_users(tenant) -> frozenset[str]:
    autoscaler = {"head"} if tenant.ray_runtime == "kuberay" else set()
    return frozenset(autoscaler | ({"head", "worker"} if tenant.tls in ("cert-manager", "secret-manager") else set()))


@pytest.fixture(scope="module")
def needs_nca() -> None:
    try:
        judge.nca_executable()
    except NcaUnavailable as missing:
        pytest.skip(str(missing))


def _without(*names: str):
    """The tenant's policies less those named."""
    return lambda props: [p for p in tenant_network_policies(props) if p["metadata"]["name"] not in names]


def _edited(name: str, edit):
    """The tenant's policies with one of them changed by ``edit(spec)``."""

    def policies(props):
        result = copy.deepcopy(tenant_network_policies(props))
        edit(next(p for p in result if p["metadata"]["name"] == name)["spec"])
        return result

    return policies


def _by_cluster_name(props):
    """The policies as they were before self-service: every selector names the platform's cluster."""
    text = json.dumps(tenant_network_policies(props))
    return json.loads(text.replace(f'"{TENANT_LABEL}": "{props.tenant}"', f'"ray.io/cluster": "{props.cluster}"'))


VARIANTS = {
    "without-cleanup-egress": _without("ray-redis-cleanup-egress"),
    "without-submitter-policies": _without("ray-job-submitter-egress", "ray-dashboard-job-submitters"),
    # Google egress for every pod of the tenant, not only its Ray nodes: the cleanup pod and submitters get it too.
    "google-egress-for-every-tenant-pod": _edited(
        "ray-google-egress", lambda spec: spec["podSelector"].pop("matchExpressions")
    ),
    "head-ingress-peer-in-any-namespace": _edited(
        "ray-head-ingress", lambda spec: spec["ingress"][0]["from"][0].update(namespaceSelector={})
    ),
    "selected-by-cluster-name": _by_cluster_name,
}


@functools.cache
def _report(env_name: str, serve: bool = False, variant: str | None = None):
    env = ENVIRONMENTS[env_name]
    tenants = tuple(t.model_copy(update={"serve": serve}) for t in env.tenants)
    return check_tenant_isolation(_resources(env, tenants, VARIANTS.get(variant)), _expectations(env, tenants))


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


def _selectors(policy: dict):
    spec = policy["spec"]
    yield spec["podSelector"]
    for rule in spec.get("ingress", []) + spec.get("egress", []):
        for peer in rule.get("from", []) + rule.get("to", []):
            if "podSelector" in peer and "namespaceSelector" not in peer:
                yield peer["podSelector"]


def test_pods_are_selected_by_tenant_and_role_and_only_exposure_and_redis_name_the_cluster():
    """A cluster the team makes itself matches every policy the platform's does, but its exposure and Redis."""
    for env in ENVIRONMENTS.values():
        for tenant in env.tenants:
            for policy in tenant_network_policies(_props(env, tenant)):
                for selector in _selectors(policy):
                    if selector == {}:
                        continue
                    assert selector["matchLabels"][TENANT_LABEL] == tenant.name, policy["metadata"]["name"]
                    named = "ray.io/cluster" in selector["matchLabels"]
                    assert named == (policy["metadata"]["name"] in PLATFORM_ONLY), policy["metadata"]["name"]


@pytest.mark.slow
@pytest.mark.usefixtures("needs_nca")
@pytest.mark.parametrize("env_name", ["dev", "prod"])
@pytest.mark.parametrize("serve", [False, True], ids=["serve-off", "serve-on"])
def test_tenants_are_isolated_and_exactly_the_ray_flows_are_allowed(env_name, serve):
    """dev: two operator-managed tenants, one exposed; prod: one behind IAP, one operatorless behind an ILB.

    Every tenant with the operator also runs its cleanup pod, a submitter and a second cluster of its own.
    """
    report = _report(env_name, serve)
    assert report.passed, report.summary()


@pytest.mark.slow
@pytest.mark.usefixtures("needs_nca")
def test_without_its_egress_the_cleanup_pod_cannot_reach_redis():
    """issue 24: the Job fails, KubeRay removes its finalizer anyway, and the cluster's data stays in Redis."""
    report = _report("dev", variant="without-cleanup-egress")
    assert report.failed() == (REDIS_CLEANUP,), report.summary()
    redis = DEV.network.private_services_cidr
    assert {(c.source, c.destination, c.traffic) for c in report[REDIS_CLEANUP].missing} == {
        (f"{tenant}/{tenant}-redis-cleanup", redis, "TCP 6378") for tenant in ("team-a", "team-b")
    }


@pytest.mark.slow
@pytest.mark.usefixtures("needs_nca")
def test_without_their_policies_submitters_reach_no_dashboard():
    report = _report("dev", variant="without-submitter-policies")
    assert report.failed() == (JOB_SUBMITTERS,), report.summary()
    assert {(c.source, c.destination) for c in report[JOB_SUBMITTERS].missing} == {
        (f"{tenant}/{cluster}-pi-submitter", f"{tenant}/{cluster}-head")
        for tenant in ("team-a", "team-b")
        for cluster in (tenant, OWN_CLUSTER)
    }


@pytest.mark.slow
@pytest.mark.usefixtures("needs_nca")
def test_the_cleanup_pod_and_submitters_get_nothing_the_ray_nodes_do():
    report = _report("dev", variant="google-egress-for-every-tenant-pod")
    assert set(report.failed()) == {REDIS_CLEANUP, JOB_SUBMITTERS, ATTACKER_PROBES}, report.summary()
    assert {c.destination for c in report[REDIS_CLEANUP].unexpected} == {
        DEV.network.google_apis_cidr,
        METADATA_SERVER.cidr,
    }
    assert {c.source for c in report[JOB_SUBMITTERS].unexpected} == {
        f"{tenant}/{cluster}-pi-submitter" for tenant in ("team-a", "team-b") for cluster in (tenant, OWN_CLUSTER)
    }


@pytest.mark.slow
@pytest.mark.usefixtures("needs_nca")
def test_a_peer_in_any_namespace_is_found_by_the_attacker_probes():
    """issue 22: copies of a tenant's worker labels in a fresh namespace reach its heads; nothing else shows it."""
    report = _report("dev", variant="head-ingress-peer-in-any-namespace")
    assert report.failed() == (ATTACKER_PROBES,), report.summary()
    reached = report[ATTACKER_PROBES].unexpected
    assert {c.source.split("/")[0] for c in reached} == {"attacker-team-a", "attacker-team-b"}
    assert {c.destination for c in reached} == {f"{t}/{c}-head" for t in ("team-a", "team-b") for c in (t, OWN_CLUSTER)}
    assert all("ray.io/node-type=worker" in c.source for c in reached)


@pytest.mark.slow
@pytest.mark.usefixtures("needs_nca")
def test_policies_that_name_the_platform_cluster_leave_a_teams_own_cluster_broken():
    """issue 18: selected by cluster name, a team's admitted cluster and every submitter get no flows."""
    report = _report("dev", variant="selected-by-cluster-name")
    assert set(report.failed()) == {ADMITTED_CLUSTERS, JOB_SUBMITTERS}, report.summary()
    assert report[ADMITTED_CLUSTERS].missing
    assert all(OWN_CLUSTER in c.source or OWN_CLUSTER in c.destination for c in report[ADMITTED_CLUSTERS].missing)


def test_serve_port_is_closed_unless_serve_is_on():
    tenant = DEV.tenants[0]
    text = str(tenant_network_policies(_props(DEV, tenant)))
    assert "8000" not in text
    assert "8000" in str(tenant_network_policies(_props(DEV, tenant.model_copy(update={"serve": True}))))


def test_operatorless_clusters_admit_no_operator_and_run_no_operator_pods():
    plain = next(t for t in ENVIRONMENTS["prod"].tenants if t.ray_runtime == "plain")
    names = {p["metadata"]["name"] for p in tenant_network_policies(_props(ENVIRONMENTS["prod"], plain))}
    operator_only = {"ray-dashboard-operator", "ray-redis-cleanup-egress", "ray-job-submitter-egress"}
    assert not operator_only & names
    managed = tenant_network_policies(_props(DEV, DEV.tenants[0]))
    assert operator_only <= {p["metadata"]["name"] for p in managed}


def test_the_cleanup_pod_reaches_redis_on_its_tls_port_only():
    policy = next(
        p
        for p in tenant_network_policies(_props(DEV, DEV.tenants[0]))
        if p["metadata"]["name"] == "ray-redis-cleanup-egress"
    )
    assert policy["spec"] == {
        "podSelector": {
            "matchLabels": {TENANT_LABEL: "team-a", "ray.io/node-type": "redis-cleanup", "ray.io/cluster": "team-a"}
        },
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": DEV.network.private_services_cidr}}],
                "ports": [{"protocol": "TCP", "port": 6378}],
            }
        ],
    }


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
