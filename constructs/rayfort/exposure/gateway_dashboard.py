"""GatewayDashboard: one tenant's dashboard on the shared Gateway, built in the tenant's own stack.

Its Service, HTTPRoute (its own host only), IAP backend policy, health check,
A record and, with per-tenant certificates, its managed certificate and map
entry. Nothing here touches another tenant or the shared edge's own objects, so
a change to one tenant plans only that tenant's stack.
"""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.exposure.dashboard_backend import dashboard_service
from rayfort.exposure.edge import DashboardProps, OAuthClient, SharedEdge, dashboard_record
from rayfort.exposure.gateway import GATEWAY_NAME, LISTENER, backend_policy, health_check_policy, http_route
from rayfort.exposure.iap_ingress import oauth_client_secret
from rayfort.k8s.manifest import KubernetesObject


class GatewayDashboard(Construct):
    """A tenant's route, IAP policy, health check, DNS record and certificate on the shared Gateway."""

    def __init__(self, scope: Construct, construct_id: str, props: DashboardProps, edge: SharedEdge) -> None:
        super().__init__(scope, construct_id)
        if edge.gateway_address is None or edge.gateway_namespace is None:
            raise ValueError("a Gateway dashboard needs the shared Gateway's address and namespace")
        name, namespace = f"{props.tenant}-dashboard", props.namespace
        if edge.certificate_map is not None:
            certificate = google.CertificateManagerCertificate(
                self,
                "certificate",
                name=f"{props.resource_prefix}-dashboard",
                managed={"domains": [props.host]},
                description=f"rayfort IAP dashboard of {props.tenant}",
            )
            google.CertificateManagerCertificateMapEntry(
                self,
                "certificate-entry",
                name=f"{props.resource_prefix}-dashboard",
                map=edge.certificate_map,
                hostname=props.host,
                certificates=[certificate.id],
            )
        dashboard_record(self, "a-record", edge.zone_name, props.host, edge.gateway_address)
        oauth_secret_name = None
        client_id = None
        if edge.custom_oauth_secret is not None:
            client = OAuthClient(self, "oauth-client", edge.custom_oauth_secret)
            client_id, oauth_secret_name = client.client_id, f"{props.tenant}-iap-oauth-client"
            # GCPBackendPolicy reads the client secret from the key "key"; the id is in the policy itself.
            KubernetesObject(
                self, "oauth-secret", oauth_client_secret(oauth_secret_name, namespace, {"key": client.client_secret})
            )
        KubernetesObject(self, "service", dashboard_service(name, namespace, props.selector))
        KubernetesObject(
            self,
            "route",
            http_route(name, namespace, props.host, name, GATEWAY_NAME, edge.gateway_namespace, LISTENER),
        )
        KubernetesObject(
            self,
            "backend-policy",
            backend_policy(name, namespace, name, client_id, oauth_secret_name, edge.security_policy_name),
        )
        KubernetesObject(self, "health-check", health_check_policy(name, namespace, name))
