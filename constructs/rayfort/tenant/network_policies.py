"""The tenant's NetworkPolicies: deny everything, then allow only the flows Ray needs.

Ray has no authorization of its own, so reaching a head is running code on it.
Every allow below names its peer by namespace and pod labels or by an address
range, and its ports exactly; the worker port range and the ports Ray would
otherwise pick at random are pinned by the runtime (``RAY_PINNED_PORTS``) so
they can be named here.

Pods are selected by tenant and role, never by a cluster's name, so a cluster
the team creates itself (admitted by the tenant's admission policies, which
require the ``rayfort.dev/tenant`` label on every Ray pod) gets the same flows
as the platform's. Roles are the values of KubeRay's ``ray.io/node-type``
(``head``, ``worker``, ``redis-cleanup``) and, for RayJob submitters, the
labels KubeRay gives their pods. The tenant is the trust boundary: a
NetworkPolicy cannot pair two pods by a label's value, so the clusters of one
tenant share these flows, and each cluster's own token keeps their jobs apart.
Only what belongs to the platform's cluster names it: its exposure (health
checks, the internal load balancer, which the exposure stack's Services send to
its head) and the tenant's Memorystore, which holds its GCS state (a team's own
cluster runs without GCS fault tolerance, as the admission guide says).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort.config.tenant import TenantSettings
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.network_policy import MANAGED_PROMETHEUS, api_server_egress, dns_egress, pods_in
from rayfort.tenant.namespace import TENANT_LABEL
from rayfort.tenant.runtime.tls import issues_per_pod

GOOGLE_HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")
# With Dataplane V2 the GKE metadata server, which serves Workload Identity tokens, answers here.
GKE_METADATA_SERVER = ("169.254.169.252/32", 988)
GOOGLE_APIS_PORT = 443
REDIS_TLS_PORT = 6378
OPERATOR_LABELS = {"app.kubernetes.io/name": "kuberay-operator"}
NODE_TYPE_LABEL = "ray.io/node-type"
# Ray nodes proper; KubeRay also gives the GCS cleanup Job's pod a node type, which gets none of their flows.
RAY_NODE_TYPES = ("head", "worker")
REDIS_CLEANUP_NODE_TYPE = "redis-cleanup"
"""KubeRay v1.7 ``buildRedisCleanupJob`` (ray-operator/controllers/ray/raycluster_controller.go) copies
the head pod and relabels it ``ray.io/node-type: redis-cleanup``; the tenant label comes with the copy."""
RAY_JOB_SUBMITTER_LABELS = {"ray.io/originated-from-crd": "RayJob", "app.kubernetes.io/created-by": "kuberay-operator"}
"""KubeRay v1.7 ``getSubmitterTemplate`` (ray-operator/controllers/ray/rayjob_controller.go) adds these to the
submitter pod template; the tenant label comes from the RayJob's ``submitterPodTemplate``."""

# Where each of the runtime's pinned ports may be reached from, within one Ray cluster.
HEAD_ONLY_PORTS = frozenset({"gcs", "dashboard", "client"})
EVERY_NODE_PORTS = frozenset({"node_manager", "object_manager", "dashboard_agent", "dashboard_agent_grpc", "metrics"})
SERVE_PORT = "serve"
# The raylet calls its own runtime-env agent inside the pod; nothing crosses the network.
POD_LOCAL_PORTS = frozenset({"runtime_env_agent"})


@dataclass(frozen=True)
class TenantNetworkPolicyProps:
    """Inputs of TenantNetworkPolicies; every allow is opt-in through these fields."""

    namespace: str
    """The tenant namespace (the tenant name)."""
    tenant: str
    """Value of the ``rayfort.dev/tenant`` label on every Ray pod of the tenant; policies select by it."""
    cluster: str
    """The platform's RayCluster, its pods' ray.io/cluster label; only its exposure and Redis name it."""
    worker_ports: tuple[int, int]
    """Pinned min-worker-port and max-worker-port, inclusive."""
    ray_ports: Mapping[str, int]
    """Every port the runtime pins, by name; each name must be classified above, so none is missed."""
    control_plane_cidr: str
    """The control plane's range; the head's autoscaler, when there is one, reaches the API server there."""
    google_apis_cidr: str
    """Restricted or private Google APIs VIP, for Cloud Storage and Artifact Registry."""
    redis_cidr: str
    """Range holding the tenant's Memorystore instance; a literal, so the policies can be analysed."""
    operator_namespace: str | None = None
    """Namespace of the KubeRay operator, which polls the head's dashboard; none for operatorless clusters."""
    autoscaler: bool = False
    """The head runs KubeRay's in-tree autoscaler, which needs the API server; off for operatorless clusters."""
    certificate_requests: bool = False
    """Every Ray node requests its TLS leaf from cert-manager through the API server as it starts; off by default."""
    redis_cleanup: bool = False
    """KubeRay's GCS fault-tolerance cleanup Job reaches Redis when a cluster is deleted; off without the operator."""
    job_submitters: bool = False
    """RayJob submitter pods reach their tenant's dashboards; off where no operator runs RayJobs."""
    serve: bool = False
    """Open the Serve port between nodes; closed by default."""
    health_checks: bool = False
    """Let Google's load-balancer health checks reach the dashboard; off unless IAP exposes it."""
    internal_sources: tuple[str, ...] = ()
    """Source ranges of the internal load balancer, let through to client and dashboard; none by default."""

    @classmethod
    def for_tenant(
        cls,
        tenant: TenantSettings,
        ray_ports: Mapping[str, int],
        operator_namespace: str,
        *,
        control_plane_cidr: str,
        google_apis_cidr: str,
        redis_cidr: str,
    ) -> TenantNetworkPolicyProps:
        """The policies an environment file asks for one tenant, in a network with these ranges."""
        internal = tenant.exposure.internal
        operated = tenant.ray_runtime == "kuberay"
        return cls(
            namespace=tenant.name,
            tenant=tenant.name,
            cluster=tenant.name,
            worker_ports=(tenant.worker_ports.min, tenant.worker_ports.max),
            ray_ports=dict(ray_ports),
            control_plane_cidr=control_plane_cidr,
            google_apis_cidr=google_apis_cidr,
            redis_cidr=redis_cidr,
            operator_namespace=operator_namespace if operated else None,
            autoscaler=operated,
            certificate_requests=issues_per_pod(tenant),
            # Every RayCluster of ours has GCS fault tolerance on Memorystore, so deleting one runs the Job.
            redis_cleanup=operated,
            job_submitters=operated,
            serve=tenant.serve,
            health_checks=tenant.exposure.iap.enabled,
            internal_sources=tuple(internal.source_ranges) if internal.enabled else (),
        )


def ports_to_head(props: TenantNetworkPolicyProps) -> list[dict[str, Any]]:
    """What a worker may open on its head: the head-only ports and every node's ports."""
    return _tcp(_named(props, HEAD_ONLY_PORTS)) + ports_to_every_node(props)


def ports_to_every_node(props: TenantNetworkPolicyProps) -> list[dict[str, Any]]:
    """What any node of the cluster may open on any other: raylet, object manager, agents, metrics, worker range."""
    unknown = sorted(set(props.ray_ports) - HEAD_ONLY_PORTS - EVERY_NODE_PORTS - POD_LOCAL_PORTS - {SERVE_PORT})
    if unknown:
        raise ValueError(f"Ray ports {unknown} are not classified, so no policy would allow or knowingly omit them")
    names = EVERY_NODE_PORTS | ({SERVE_PORT} if props.serve else set())
    first, last = props.worker_ports
    return _tcp(_named(props, names)) + [{"protocol": "TCP", "port": first, "endPort": last}]


def _named(props: TenantNetworkPolicyProps, names: frozenset[str] | set[str]) -> list[int]:
    return [port for name, port in props.ray_ports.items() if name in names]


def tenant_network_policies(props: TenantNetworkPolicyProps) -> list[dict[str, Any]]:
    """Every NetworkPolicy of the tenant namespace, in a stable order."""
    head = _role(props, "head")
    worker = _role(props, "worker")
    to_head = ports_to_head(props)
    to_node = ports_to_every_node(props)
    dashboard = _tcp([props.ray_ports["dashboard"]])
    redis = {"to": [_cidr(props.redis_cidr)], "ports": _tcp([REDIS_TLS_PORT])}
    platform_head = _platform(props, head)

    policies = [
        _policy(props, "default-deny", {}, ingress=[], egress=[]),
        _policy(
            props,
            "allow-dns",
            {},
            egress=[dns_egress()],
        ),
        _policy(props, "ray-head-ingress", head, ingress=[{"from": [{"podSelector": worker}], "ports": to_head}]),
        _policy(
            props,
            "ray-worker-ingress",
            worker,
            ingress=[{"from": [{"podSelector": _ray_nodes(props)}], "ports": to_node}],
        ),
        _policy(
            props,
            "ray-head-egress",
            head,
            egress=[
                {"to": [{"podSelector": worker}], "ports": to_node},
                # The autoscaler sidecar lists and scales pods through the API server.
                *([api_server_egress(props.control_plane_cidr)] if props.autoscaler else []),
            ],
        ),
        # Only the platform cluster's GCS writes to the tenant's Redis.
        _policy(props, "ray-head-redis-egress", platform_head, egress=[redis]),
        _policy(
            props,
            "ray-worker-egress",
            worker,
            egress=[
                {"to": [{"podSelector": head}], "ports": to_head},
                {"to": [{"podSelector": worker}], "ports": to_node},
            ],
        ),
        _policy(
            props,
            "ray-google-egress",
            _ray_nodes(props),
            egress=[
                {"to": [_cidr(props.google_apis_cidr)], "ports": _tcp([GOOGLE_APIS_PORT])},
                {"to": [_cidr(GKE_METADATA_SERVER[0])], "ports": _tcp([GKE_METADATA_SERVER[1]])},
            ],
        ),
        # Managed Service for Prometheus collectors scrape every node (the runtime's PodMonitoring).
        _policy(
            props,
            "ray-metrics-ingress",
            _ray_nodes(props),
            ingress=[{"from": [pods_in(*MANAGED_PROMETHEUS)], "ports": _tcp([props.ray_ports["metrics"]])}],
        ),
    ]
    if props.certificate_requests:
        # Each node's init container creates a CertificateRequest for its own leaf (rayfort.tenant.runtime.tls).
        policies.append(
            _policy(
                props,
                "ray-certificate-requests",
                _ray_nodes(props),
                egress=[api_server_egress(props.control_plane_cidr)],
            )
        )
    if props.redis_cleanup:
        # When the platform's cluster is deleted, KubeRay waits for its head to go, then runs a Job that
        # deletes the cluster's storage namespace in Redis; without this the Job fails and the data stays.
        cleanup = _platform(props, _role(props, REDIS_CLEANUP_NODE_TYPE))
        policies.append(_policy(props, "ray-redis-cleanup-egress", cleanup, egress=[redis]))
    if props.job_submitters:
        # A RayJob's submitter runs `ray job submit` against its cluster's dashboard, and nothing else.
        submitter = {
            "matchLabels": {TENANT_LABEL: props.tenant, **RAY_JOB_SUBMITTER_LABELS},
            "matchExpressions": [{"key": NODE_TYPE_LABEL, "operator": "DoesNotExist"}],
        }
        policies.append(
            _policy(
                props,
                "ray-job-submitter-egress",
                submitter,
                egress=[{"to": [{"podSelector": head}], "ports": dashboard}],
            )
        )
        policies.append(
            _policy(
                props,
                "ray-dashboard-job-submitters",
                head,
                ingress=[{"from": [{"podSelector": submitter}], "ports": dashboard}],
            )
        )
    if props.operator_namespace is not None:
        policies.append(
            _policy(
                props,
                "ray-dashboard-operator",
                head,
                ingress=[{"from": [pods_in(props.operator_namespace, OPERATOR_LABELS)], "ports": dashboard}],
            )
        )
    if props.health_checks:
        policies.append(
            _policy(
                props,
                "ray-dashboard-health-checks",
                platform_head,
                ingress=[{"from": [_cidr(c) for c in GOOGLE_HEALTH_CHECK_RANGES], "ports": dashboard}],
            )
        )
    if props.internal_sources:
        policies.append(
            _policy(
                props,
                "ray-internal-load-balancer",
                platform_head,
                ingress=[
                    {
                        "from": [_cidr(c) for c in props.internal_sources],
                        "ports": _tcp([props.ray_ports["client"], props.ray_ports["dashboard"]]),
                    }
                ],
            )
        )
    return policies


def _ray_nodes(props: TenantNetworkPolicyProps) -> dict[str, Any]:
    """The tenant's Ray nodes, heads and workers of every cluster; not the cleanup pod, nor submitters."""
    return {
        "matchLabels": {TENANT_LABEL: props.tenant},
        "matchExpressions": [{"key": NODE_TYPE_LABEL, "operator": "In", "values": list(RAY_NODE_TYPES)}],
    }


def _platform(props: TenantNetworkPolicyProps, selector: dict[str, Any]) -> dict[str, Any]:
    """The pods of ``selector`` that belong to the platform's cluster, not to a cluster the team made."""
    return {"matchLabels": {**selector["matchLabels"], "ray.io/cluster": props.cluster}}


def _role(props: TenantNetworkPolicyProps, node_type: str) -> dict[str, Any]:
    """The tenant's pods of one KubeRay node type, whichever cluster they belong to."""
    return {"matchLabels": {TENANT_LABEL: props.tenant, NODE_TYPE_LABEL: node_type}}


def _cidr(cidr: str) -> dict[str, Any]:
    return {"ipBlock": {"cidr": cidr}}


def _tcp(ports: Sequence[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in sorted(set(ports))]


def _policy(
    props: TenantNetworkPolicyProps,
    name: str,
    pod_selector: dict[str, Any],
    *,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": pod_selector, "policyTypes": []}
    if ingress is not None:
        spec["policyTypes"].append("Ingress")
        spec["ingress"] = ingress
    if egress is not None:
        spec["policyTypes"].append("Egress")
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": props.namespace,
            "labels": {"app.kubernetes.io/managed-by": "rayfort"},
        },
        "spec": spec,
    }


class TenantNetworkPolicies(Construct):
    """Applies the tenant's NetworkPolicies; the namespace is a token so they wait for it."""

    def __init__(self, scope: Construct, construct_id: str, props: TenantNetworkPolicyProps) -> None:
        super().__init__(scope, construct_id)
        self.policies = {
            policy["metadata"]["name"]: KubernetesObject(self, policy["metadata"]["name"], policy)
            for policy in tenant_network_policies(props)
        }
