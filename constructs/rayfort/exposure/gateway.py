"""The Gateway API alternative: one managed global Gateway, an HTTPRoute and IAP policy per tenant.

GKE's ``gke-l7-global-external-managed`` class provisions a global external
Application Load Balancer. Certificates come from a Certificate Manager map
(ManagedCertificate serves Ingress only). Each tenant gets its own HTTPS
listener whose hostname is the tenant's host and which accepts routes from the
tenant's namespace only, so no namespace can claim another tenant's host. The
Gateway serves HTTPS alone: port 80 is not opened at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.exposure.dashboard_backend import (
    BACKEND_TIMEOUT_S,
    DASHBOARD_PORT,
    HEALTH_CHECK_PATH,
    dashboard_service,
)
from rayfort.exposure.edge import DashboardEdge
from rayfort.exposure.iap_ingress import oauth_client_secret
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.namespace import restricted_namespace
from rayfort.k8s.network_policy import NAMESPACE_NAME_LABEL

GATEWAY_API = "gateway.networking.k8s.io/v1"
GKE_POLICY_API = "networking.gke.io/v1"
GATEWAY_CLASS = "gke-l7-global-external-managed"
GATEWAY_NAMESPACE = "rayfort-gateway"
GATEWAY_NAME = "dashboards"
CERTMAP_ANNOTATION = "networking.gke.io/certmap"


def _metadata(name: str, namespace: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": "rayfort"},
    }
    if annotations:
        metadata["annotations"] = annotations
    return metadata


def _service_ref(service_name: str) -> dict[str, str]:
    return {"group": "", "kind": "Service", "name": service_name}


def tenant_listener(tenant: str, host: str) -> dict[str, Any]:
    """An HTTPS listener for one host that only the tenant's namespace may attach routes to."""
    return {
        "name": tenant,
        "protocol": "HTTPS",
        "port": 443,
        "hostname": host,
        "allowedRoutes": {
            "namespaces": {"from": "Selector", "selector": {"matchLabels": {NAMESPACE_NAME_LABEL: tenant}}},
            "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
        },
    }


def gateway(
    name: str, namespace: str, address_name: str, certificate_map: str, listeners: list[dict]
) -> dict[str, Any]:
    """The shared Gateway on a reserved global address, its certificates from a Certificate Manager map."""
    return {
        "apiVersion": GATEWAY_API,
        "kind": "Gateway",
        "metadata": _metadata(name, namespace, {CERTMAP_ANNOTATION: certificate_map}),
        "spec": {
            "gatewayClassName": GATEWAY_CLASS,
            "addresses": [{"type": "NamedAddress", "value": address_name}],
            "listeners": listeners,
        },
    }


def gateway_policy(name: str, namespace: str, gateway_name: str, ssl_policy: str) -> dict[str, Any]:
    """Binds the shared SSL policy (TLS 1.2+) to the Gateway's frontend."""
    return {
        "apiVersion": GKE_POLICY_API,
        "kind": "GCPGatewayPolicy",
        "metadata": _metadata(name, namespace),
        "spec": {
            "default": {"sslPolicy": ssl_policy},
            "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway_name},
        },
    }


def http_route(
    name: str, namespace: str, host: str, service_name: str, gateway_name: str, gateway_namespace: str, listener: str
) -> dict[str, Any]:
    """Routes the tenant's host, through the tenant's own listener, to its dashboard Service."""
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": _metadata(name, namespace),
        "spec": {
            "parentRefs": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "name": gateway_name,
                    "namespace": gateway_namespace,
                    "sectionName": listener,
                }
            ],
            "hostnames": [host],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [{"group": "", "kind": "Service", "name": service_name, "port": DASHBOARD_PORT}],
                }
            ],
        },
    }


def backend_policy(
    name: str,
    namespace: str,
    service_name: str,
    oauth_client_id: str | None = None,
    oauth_secret_name: str | None = None,
    security_policy: str | None = None,
) -> dict[str, Any]:
    """IAP on the dashboard Service's backend; the Google-managed OAuth client unless a custom one is named."""
    iap: dict[str, Any] = {"enabled": True}
    if oauth_secret_name is not None:
        iap["clientID"] = oauth_client_id
        iap["oauth2ClientSecret"] = {"name": oauth_secret_name}
    default: dict[str, Any] = {
        "iap": iap,
        "timeoutSec": BACKEND_TIMEOUT_S,
        "logging": {"enabled": True, "sampleRate": 1000000},
    }
    if security_policy is not None:
        default["securityPolicy"] = security_policy
    return {
        "apiVersion": GKE_POLICY_API,
        "kind": "GCPBackendPolicy",
        "metadata": _metadata(name, namespace),
        "spec": {"default": default, "targetRef": _service_ref(service_name)},
    }


def health_check_policy(name: str, namespace: str, service_name: str) -> dict[str, Any]:
    """A health check on a dashboard path Ray answers without a token."""
    return {
        "apiVersion": GKE_POLICY_API,
        "kind": "HealthCheckPolicy",
        "metadata": _metadata(name, namespace),
        "spec": {
            "default": {
                "checkIntervalSec": 15,
                "timeoutSec": 5,
                "healthyThreshold": 1,
                "unhealthyThreshold": 2,
                "logConfig": {"enabled": True},
                "config": {
                    "type": "HTTP",
                    "httpHealthCheck": {"port": DASHBOARD_PORT, "requestPath": HEALTH_CHECK_PATH},
                },
            },
            "targetRef": _service_ref(service_name),
        },
    }


@dataclass(frozen=True)
class GatewayTenant:
    """One tenant published on the shared Gateway."""

    tenant: str
    """Tenant name; also its listener's name."""
    namespace: str
    """Tenant namespace (a reference to the tenant stack's Namespace)."""
    host: str
    """The dashboard's host name."""
    selector: dict[str, str]
    """Labels of the head pod."""


@dataclass(frozen=True)
class DashboardGatewayProps:
    """Inputs of DashboardGateway."""

    resource_prefix: str
    """Prefix of the Google Cloud resource names (the cluster name)."""
    tenants: tuple[GatewayTenant, ...]
    """Tenants whose dashboards the Gateway publishes."""


class DashboardGateway(Construct):
    """The shared Gateway, its address and certificates, and each tenant's route and policies."""

    def __init__(self, scope: Construct, construct_id: str, props: DashboardGatewayProps, edge: DashboardEdge) -> None:
        super().__init__(scope, construct_id)
        prefix = props.resource_prefix
        self.address = google.ComputeGlobalAddress(
            self,
            "address",
            name=f"{prefix}-dashboards",
            address_type="EXTERNAL",
            ip_version="IPV4",
            description="rayfort IAP dashboards Gateway",
        )
        self.certificate_map = google.CertificateManagerCertificateMap(
            self, "certificate-map", name=f"{prefix}-dashboards", description="rayfort dashboard hosts"
        )
        self.namespace = KubernetesObject(
            self, "namespace", restricted_namespace(GATEWAY_NAMESPACE, {"rayfort.dev/component": "gateway"})
        )
        gateway_namespace = self.namespace.name
        self.gateway = KubernetesObject(
            self,
            "gateway",
            gateway(
                GATEWAY_NAME,
                gateway_namespace,
                self.address.name,
                self.certificate_map.name,
                [tenant_listener(t.tenant, t.host) for t in props.tenants],
            ),
        )
        KubernetesObject(
            self, "gateway-policy", gateway_policy(GATEWAY_NAME, gateway_namespace, GATEWAY_NAME, edge.ssl_policy.name)
        )
        for t in props.tenants:
            self._publish(t, prefix, edge, gateway_namespace)

    def _publish(self, t: GatewayTenant, prefix: str, edge: DashboardEdge, gateway_namespace: str) -> None:
        name = f"{t.tenant}-dashboard"
        certificate = google.CertificateManagerCertificate(
            self,
            f"{t.tenant}-certificate",
            name=f"{prefix}-{t.tenant}-dashboard",
            managed={"domains": [t.host]},
            description=f"rayfort IAP dashboard of {t.tenant}",
        )
        google.CertificateManagerCertificateMapEntry(
            self,
            f"{t.tenant}-certificate-entry",
            name=f"{prefix}-{t.tenant}-dashboard",
            map=self.certificate_map.name,
            hostname=t.host,
            certificates=[certificate.id],
        )
        edge.add_host(f"{t.tenant}-a-record", t.host, self.address.address)
        oauth_secret_name = None
        if edge.oauth_client is not None:
            oauth_secret_name = f"{t.tenant}-iap-oauth-client"
            # GCPBackendPolicy reads the client secret from the key "key"; the id is in the policy itself.
            assert edge.oauth_client_secret is not None  # with the client
            KubernetesObject(
                self,
                f"{t.tenant}-oauth-secret",
                oauth_client_secret(oauth_secret_name, t.namespace, {"key": edge.oauth_client_secret}),
            )
        KubernetesObject(self, f"{t.tenant}-service", dashboard_service(name, t.namespace, t.selector))
        KubernetesObject(
            self,
            f"{t.tenant}-route",
            http_route(name, t.namespace, t.host, name, GATEWAY_NAME, gateway_namespace, t.tenant),
        )
        KubernetesObject(
            self,
            f"{t.tenant}-backend-policy",
            backend_policy(name, t.namespace, name, edge.oauth_client_id, oauth_secret_name, edge.security_policy_name),
        )
        KubernetesObject(self, f"{t.tenant}-health-check", health_check_policy(name, t.namespace, name))
