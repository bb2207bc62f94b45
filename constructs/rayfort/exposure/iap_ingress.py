"""IapDashboard: one tenant's dashboard on a GKE Ingress, behind IAP, HTTPS only.

A global static IP and an A record name the host; a ManagedCertificate serves
it; a FrontendConfig redirects HTTP to HTTPS under the shared SSL policy; a
BackendConfig turns IAP on for the dashboard-only Service. With no
``oauthclientCredentials`` IAP uses its Google-managed OAuth client, which
admits only users of the organization (the IAP OAuth Admin API that created
brands and clients is gone, so rayfort creates neither).
"""

from __future__ import annotations

import json
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.exposure.dashboard_backend import (
    BACKEND_TIMEOUT_S,
    DASHBOARD_PORT,
    DRAINING_TIMEOUT_S,
    HEALTH_CHECK_PATH,
    dashboard_service,
)
from rayfort.exposure.edge import DashboardProps, OAuthClient, SharedEdge, dashboard_record
from rayfort.k8s.manifest import KubernetesObject


def _metadata(name: str, namespace: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": "rayfort"},
    }
    if annotations:
        metadata["annotations"] = annotations
    return metadata


def backend_config(
    name: str,
    namespace: str,
    oauth_secret_name: str | None = None,
    security_policy: str | None = None,
) -> dict[str, Any]:
    """IAP on, a health check Ray answers without a token, long timeouts for log streams."""
    iap: dict[str, Any] = {"enabled": True}
    if oauth_secret_name is not None:
        iap["oauthclientCredentials"] = {"secretName": oauth_secret_name}
    spec: dict[str, Any] = {
        "iap": iap,
        "healthCheck": {
            "type": "HTTP",
            "port": DASHBOARD_PORT,
            "requestPath": HEALTH_CHECK_PATH,
            "checkIntervalSec": 15,
            "timeoutSec": 5,
            "healthyThreshold": 1,
            "unhealthyThreshold": 2,
        },
        "timeoutSec": BACKEND_TIMEOUT_S,
        "connectionDraining": {"drainingTimeoutSec": DRAINING_TIMEOUT_S},
        "logging": {"enable": True, "sampleRate": 1.0},
    }
    if security_policy is not None:
        spec["securityPolicy"] = {"name": security_policy}
    return {
        "apiVersion": "cloud.google.com/v1",
        "kind": "BackendConfig",
        "metadata": _metadata(name, namespace),
        "spec": spec,
    }


def frontend_config(name: str, namespace: str, ssl_policy: str) -> dict[str, Any]:
    """HTTP answers only with a permanent redirect to HTTPS; HTTPS negotiates per the SSL policy."""
    return {
        "apiVersion": "networking.gke.io/v1beta1",
        "kind": "FrontendConfig",
        "metadata": _metadata(name, namespace),
        "spec": {
            "redirectToHttps": {"enabled": True, "responseCodeName": "PERMANENT_REDIRECT"},
            "sslPolicy": ssl_policy,
        },
    }


def managed_certificate(name: str, namespace: str, host: str) -> dict[str, Any]:
    """A Google-managed certificate for the tenant's host."""
    return {
        "apiVersion": "networking.gke.io/v1",
        "kind": "ManagedCertificate",
        "metadata": _metadata(name, namespace),
        "spec": {"domains": [host]},
    }


def oauth_client_secret(name: str, namespace: str, string_data: dict[str, str]) -> dict[str, Any]:
    """The custom OAuth client as a Secret a backend policy names; values are references, never literals."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(name, namespace),
        "type": "Opaque",
        "stringData": string_data,
    }


def dashboard_ingress(
    name: str,
    namespace: str,
    host: str,
    service_name: str,
    static_ip_name: str,
    certificate_name: str,
    frontend_config_name: str,
) -> dict[str, Any]:
    """An external Application Load Balancer (class gce) routing the host to the dashboard Service."""
    annotations = {
        "kubernetes.io/ingress.class": "gce",
        "kubernetes.io/ingress.global-static-ip-name": static_ip_name,
        "networking.gke.io/managed-certificates": certificate_name,
        "networking.gke.io/v1beta1.FrontendConfig": frontend_config_name,
    }
    backend = {"service": {"name": service_name, "port": {"number": DASHBOARD_PORT}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _metadata(name, namespace, annotations),
        "spec": {
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}]
        },
    }


def neg_backend_annotations(backend_config_name: str) -> dict[str, str]:
    """Container-native load balancing through a NEG, with the BackendConfig for every port."""
    return {
        "cloud.google.com/neg": json.dumps({"ingress": True}),
        "cloud.google.com/backend-config": json.dumps({"default": backend_config_name}),
    }


class IapDashboard(Construct):
    """A tenant's dashboard published through an Ingress with IAP: a load balancer of its own."""

    def __init__(self, scope: Construct, construct_id: str, props: DashboardProps, edge: SharedEdge) -> None:
        super().__init__(scope, construct_id)
        name, namespace = f"{props.tenant}-dashboard", props.namespace
        self.address = google.ComputeGlobalAddress(
            self,
            "address",
            name=f"{props.resource_prefix}-dashboard",
            address_type="EXTERNAL",
            ip_version="IPV4",
            description=f"rayfort IAP dashboard of {props.tenant}",
        )
        dashboard_record(self, "a-record", edge.zone_name, props.host, self.address.address)

        oauth_secret_name = None
        if edge.custom_oauth_secret is not None:
            client = OAuthClient(self, "oauth-client", edge.custom_oauth_secret)
            oauth_secret_name = f"{props.tenant}-iap-oauth-client"
            KubernetesObject(
                self,
                "oauth-secret",
                oauth_client_secret(
                    oauth_secret_name,
                    namespace,
                    {"client_id": client.client_id, "client_secret": client.client_secret},
                ),
            )
        self.backend_config = KubernetesObject(
            self, "backend-config", backend_config(name, namespace, oauth_secret_name, edge.security_policy_name)
        )
        self.service = KubernetesObject(
            self, "service", dashboard_service(name, namespace, props.selector, neg_backend_annotations(name))
        )
        KubernetesObject(self, "certificate", managed_certificate(name, namespace, props.host))
        KubernetesObject(self, "frontend-config", frontend_config(name, namespace, edge.ssl_policy_name))
        self.ingress = KubernetesObject(
            self,
            "ingress",
            dashboard_ingress(name, namespace, props.host, name, self.address.name, name, name),
        )

    @property
    def ip_address(self) -> str:
        return self.address.address
