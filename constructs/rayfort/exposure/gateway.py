"""The shared edge's Kubernetes objects: one managed global Gateway, and each tenant's route and policies.

GKE's ``gke-l7-global-external-managed`` class provisions one global external
Application Load Balancer for the Gateway, whatever the number of tenants.
Certificates come from a Certificate Manager map (ManagedCertificate serves
Ingress only). The Gateway has one HTTPS listener for ``*.<zone domain>``, so
it never reaches the 64-listener limit and a new tenant does not change it;
which namespace may route which host is enforced at admission
(``rayfort.exposure.host_admission``). Port 80 is not opened at all.
"""

from __future__ import annotations

from typing import Any

from rayfort.exposure.dashboard_backend import BACKEND_TIMEOUT_S, DASHBOARD_PORT, HEALTH_CHECK_PATH
from rayfort.k8s.namespace import TENANT_LABEL

GATEWAY_API = "gateway.networking.k8s.io/v1"
GKE_POLICY_API = "networking.gke.io/v1"
GATEWAY_CLASS = "gke-l7-global-external-managed"
GATEWAY_NAMESPACE = "rayfort-gateway"
GATEWAY_NAME = "dashboards"
CERTMAP_ANNOTATION = "networking.gke.io/certmap"
LISTENER = "https"


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


def shared_listener(domain: str) -> dict[str, Any]:
    """The one HTTPS listener, for every host under ``domain``; only tenant namespaces may attach HTTPRoutes.

    Which host a tenant's route may claim is decided at admission (the namespace's dashboard-host annotation).
    """
    return {
        "name": LISTENER,
        "protocol": "HTTPS",
        "port": 443,
        "hostname": f"*.{domain}",
        "allowedRoutes": {
            "namespaces": {
                "from": "Selector",
                "selector": {"matchExpressions": [{"key": TENANT_LABEL, "operator": "Exists"}]},
            },
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
