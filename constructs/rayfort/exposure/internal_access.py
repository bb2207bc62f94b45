"""InternalAccess: machines in the VPC reach a tenant's client and dashboard ports, and nothing else.

Tools such as Vertex AI Workbench set ``RAY_ADDRESS`` to this load balancer's
address. GCS (6379) is never among the ports: reaching it means controlling
the cluster, and Ray clients never need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.exposure.dashboard_backend import CLIENT_PORT, DASHBOARD_PORT
from rayfort.exposure.load_balancer_rules import LOAD_BALANCER_TYPE, load_balancer_problems
from rayfort.k8s.manifest import KubernetesObject

GLOBAL_ACCESS = "networking.gke.io/internal-load-balancer-allow-global-access"
STATIC_ADDRESSES = "networking.gke.io/load-balancer-ip-addresses"


def internal_service_name(tenant: str) -> str:
    """Name of a tenant's internal load balancer Service; its quick test looks the address up by it."""
    return f"{tenant}-head-internal"


def internal_service(
    name: str,
    namespace: str,
    selector: dict[str, str],
    source_ranges: list[str],
    global_access: bool = False,
    address_name: str | None = None,
) -> dict[str, Any]:
    """An internal passthrough LoadBalancer Service for the client (10001) and dashboard (8265) ports."""
    annotations = {LOAD_BALANCER_TYPE: "Internal"}
    if global_access:
        annotations[GLOBAL_ACCESS] = "true"
    if address_name is not None:
        annotations[STATIC_ADDRESSES] = address_name
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": annotations,
            "labels": {"app.kubernetes.io/managed-by": "rayfort", "app.kubernetes.io/component": "internal-access"},
        },
        "spec": {
            "type": "LoadBalancer",
            "selector": selector,
            "loadBalancerSourceRanges": list(source_ranges),
            # Only nodes running the head answer, so clients reach it without SNAT and the
            # tenant's NetworkPolicy can admit them by their own addresses.
            "externalTrafficPolicy": "Local",
            "ports": [
                {"name": "client", "protocol": "TCP", "port": CLIENT_PORT, "targetPort": CLIENT_PORT},
                {"name": "dashboard", "protocol": "TCP", "port": DASHBOARD_PORT, "targetPort": DASHBOARD_PORT},
            ],
        },
    }


@dataclass(frozen=True)
class InternalAccessProps:
    """Inputs of InternalAccess; closed unless ranges are given."""

    service_name: str
    """Name of the Service, separate from the operator's head Service."""
    namespace: str
    """Tenant namespace (a reference to the tenant stack's Namespace)."""
    selector: dict[str, str]
    """Labels of the head pod."""
    source_ranges: tuple[str, ...]
    """loadBalancerSourceRanges: the only clients admitted."""
    global_access: bool = False
    """Clients only from the cluster's region by default."""
    static_address_name: str | None = None
    """Reserve an INTERNAL address under this name; an ephemeral one when None."""
    subnetwork: str | None = None
    """Node subnet id the static address comes from; required with static_address_name."""
    region: str | None = None
    """Region of the static address."""


class InternalAccess(Construct):
    """An internal load balancer in front of one tenant's head pod."""

    def __init__(self, scope: Construct, construct_id: str, props: InternalAccessProps) -> None:
        super().__init__(scope, construct_id)
        self.address = None
        address_name = None
        if props.static_address_name is not None:
            if props.subnetwork is None or props.region is None:
                raise ValueError("a static internal address needs the node subnet and its region")
            self.address = google.ComputeAddress(
                self,
                "address",
                name=props.static_address_name,
                address_type="INTERNAL",
                subnetwork=props.subnetwork,
                region=props.region,
                description="rayfort internal access to a tenant's Ray client and dashboard ports",
            )
            address_name = self.address.name
        manifest = internal_service(
            props.service_name,
            props.namespace,
            props.selector,
            list(props.source_ranges),
            props.global_access,
            address_name,
        )
        problems = load_balancer_problems(manifest)
        if problems:
            raise ValueError("; ".join(problems))
        self.service = KubernetesObject(self, "service", manifest)

    @property
    def ip_address(self) -> str | None:
        """The reserved internal address, when one was asked for."""
        return self.address.address if self.address is not None else None
