"""VPC firewall rules for the nodes: deny by default, then the few flows rayfort needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google

HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")
IAP_TCP_FORWARDING_RANGE = "35.235.240.0/20"
DASHBOARD_PORT = 8265
REDIS_TLS_PORT = 6378
# GKE's control plane reaches the kubelet on 10250 and admission webhooks in pods on
# 443 or 10250 (cert-manager's webhook listens on 10250 for exactly this reason).
# KubeRay 1.7's operator chart installs no admission webhook, so it needs no port here.
CONTROL_PLANE_PORTS = ("443", "10250")
ALLOW_PRIORITY = 1000
DENY_PRIORITY = 65534
_LOGGED = {"metadata": "INCLUDE_ALL_METADATA"}


@dataclass(frozen=True)
class EgressLockdown:
    """Destinations a node may still reach when egress is denied (air-gapped, and NAT by default).

    GKE creates ingress rules only and relies on the implied egress allow; with an
    egress deny-all, nodes and pods need explicit allows to each other and to the
    control plane on TCP 443 (GKE, "Automatically created firewall rules":
    https://cloud.google.com/kubernetes-engine/docs/concepts/firewall-rules).
    The metadata server (169.254.169.254: credentials, DNS, NTP) is always allowed
    and no VPC rule can block it (https://cloud.google.com/firewall/docs/firewalls#alwaysallowed).
    """

    google_apis_cidr: str
    """The restricted (or private) Google APIs VIP, reached on 443."""
    internal_cidrs: tuple[str, ...]
    """The VPC's own ranges and the control plane, reached on any port."""
    private_services_cidr: str
    """Memorystore's range, reached on the Redis TLS port only."""


@dataclass(frozen=True)
class NodeFirewallProps:
    """Inputs of NodeFirewall; every rule is logged with full metadata."""

    name: str
    """Prefix of every rule's name."""
    network: str
    """The VPC the rules belong to."""
    node_cidr: str
    """The node subnet's primary range."""
    pods_cidr: str
    """The pods' secondary range."""
    control_plane_cidr: str
    """The control plane's /28."""
    health_check_ports: tuple[int, ...] = (DASHBOARD_PORT,)
    """Pod ports Google's health checkers probe: the dashboard's container-native NEG by default."""
    iap_tcp_forwarding: bool = False
    """Off: no SSH through IAP to the nodes."""
    egress_lockdown: EgressLockdown | None = None
    """Set (the default in every mode): deny all egress but the listed destinations; None leaves it to routing."""


class NodeFirewall(Construct):
    """Least-privilege firewall of the node subnet.

    Allow rules name the destination ranges (nodes or pods) instead of network tags,
    so they hold for every node pool without the gke stack having to tag its nodes,
    and never reach other machines that might share the VPC.
    """

    def __init__(self, scope: Construct, construct_id: str, props: NodeFirewallProps) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        self.rules: dict[str, Any] = {}
        nodes_and_pods = [props.node_cidr, props.pods_cidr]
        self._rule(
            "deny-all-ingress",
            "Default deny: no ingress to any instance unless a higher-priority rule allows it",
            direction="INGRESS",
            priority=DENY_PRIORITY,
            source_ranges=["0.0.0.0/0"],
            deny=[{"protocol": "all"}],
        )
        self._rule(
            "allow-lb-health-checks",
            "Google load balancer health checks to the pod ports the exposure stack publishes (container-native NEGs)",
            direction="INGRESS",
            priority=ALLOW_PRIORITY,
            source_ranges=list(HEALTH_CHECK_RANGES),
            destination_ranges=[props.pods_cidr],
            allow=[{"protocol": "tcp", "ports": [str(port) for port in props.health_check_ports]}],
        )
        self._rule(
            "allow-control-plane",
            "GKE control plane to kubelets and to admission webhooks served from pods",
            direction="INGRESS",
            priority=ALLOW_PRIORITY,
            source_ranges=[props.control_plane_cidr],
            destination_ranges=nodes_and_pods,
            allow=[{"protocol": "tcp", "ports": list(CONTROL_PLANE_PORTS)}],
        )
        if props.iap_tcp_forwarding:
            self._rule(
                "allow-iap-ssh",
                "IAP TCP forwarding to SSH on the nodes, for break-glass debugging",
                direction="INGRESS",
                priority=ALLOW_PRIORITY,
                source_ranges=[IAP_TCP_FORWARDING_RANGE],
                destination_ranges=[props.node_cidr],
                allow=[{"protocol": "tcp", "ports": ["22"]}],
            )
        if props.egress_lockdown is not None:
            self._lock_down_egress(props.egress_lockdown)

    def _lock_down_egress(self, lockdown: EgressLockdown) -> None:
        self._rule(
            "deny-all-egress",
            "Default deny: no egress unless a higher-priority rule allows it",
            direction="EGRESS",
            priority=DENY_PRIORITY,
            destination_ranges=["0.0.0.0/0"],
            deny=[{"protocol": "all"}],
        )
        self._rule(
            "allow-egress-google-apis",
            "HTTPS to the Google APIs VIP (Private Google Access; restricted inside a perimeter)",
            direction="EGRESS",
            priority=ALLOW_PRIORITY,
            destination_ranges=[lockdown.google_apis_cidr],
            allow=[{"protocol": "tcp", "ports": ["443"]}],
        )
        self._rule(
            "allow-egress-internal",
            "Nodes, pods and services to each other on any port, and to the control plane endpoint (443)",
            direction="EGRESS",
            priority=ALLOW_PRIORITY,
            destination_ranges=list(lockdown.internal_cidrs),
            allow=[{"protocol": "all"}],
        )
        self._rule(
            "allow-egress-redis",
            "Memorystore for Redis over TLS in the private services access range",
            direction="EGRESS",
            priority=ALLOW_PRIORITY,
            destination_ranges=[lockdown.private_services_cidr],
            allow=[{"protocol": "tcp", "ports": [str(REDIS_TLS_PORT)]}],
        )

    def _rule(self, rule_id: str, description: str, **arguments: Any) -> None:
        self.rules[rule_id] = google.ComputeFirewall(
            self,
            rule_id,
            name=f"{self._props.name}-{rule_id}",
            network=self._props.network,
            description=description,
            log_config=_LOGGED,
            **arguments,
        )
