"""SharedGateway: the one load balancer in front of every tenant's dashboard, and its certificates.

A global address, a Certificate Manager map (per-tenant entries are added by
the tenant stacks; or one ``*.<domain>`` certificate proven by a DNS
authorization), the Gateway with its single HTTPS listener, the TLS policy,
and the admission policy that keeps each namespace's routes to its own host.
Its size does not depend on the number of tenants.
"""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.exposure.edge import DNS_TTL_S, DashboardEdge
from rayfort.exposure.gateway import GATEWAY_NAME, GATEWAY_NAMESPACE, gateway, gateway_policy, shared_listener
from rayfort.exposure.host_admission import host_policy, host_policy_binding
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.namespace import restricted_namespace


@dataclass(frozen=True)
class SharedGatewayProps:
    """Inputs of SharedGateway."""

    resource_prefix: str
    """Prefix of the Google Cloud resource names (the cluster name)."""
    domain: str
    """The dashboards' domain: the listener serves *.<domain>."""
    wildcard_certificate: bool = False
    """One managed *.<domain> certificate (DNS authorization) instead of one per tenant host."""


class SharedGateway(Construct):
    """The shared Gateway, its address, certificate map and host admission policy."""

    def __init__(self, scope: Construct, construct_id: str, props: SharedGatewayProps, edge: DashboardEdge) -> None:
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
        if props.wildcard_certificate:
            self._wildcard(prefix, props.domain, edge)
        self.namespace = KubernetesObject(
            self, "namespace", restricted_namespace(GATEWAY_NAMESPACE, {"rayfort.dev/component": "gateway"})
        )
        self.gateway = KubernetesObject(
            self,
            "gateway",
            gateway(
                GATEWAY_NAME,
                self.namespace.name,
                self.address.name,
                self.certificate_map.name,
                [shared_listener(props.domain)],
            ),
        )
        KubernetesObject(
            self,
            "gateway-policy",
            gateway_policy(GATEWAY_NAME, self.namespace.name, GATEWAY_NAME, edge.ssl_policy.name),
        )
        policy = KubernetesObject(self, "host-policy", host_policy(GATEWAY_NAME, GATEWAY_NAMESPACE))
        KubernetesObject(self, "host-policy-binding", host_policy_binding(), depends_on=[policy])

    def _wildcard(self, prefix: str, domain: str, edge: DashboardEdge) -> None:
        """One certificate for *.<domain>, issued once Google sees the DNS authorization's CNAME in the zone."""
        authorization = google.CertificateManagerDnsAuthorization(
            self,
            "dns-authorization",
            name=f"{prefix}-dashboards",
            domain=domain,
            description="rayfort dashboards: proves control of the zone for the wildcard certificate",
        )
        record = authorization.dns_resource_record.get(0)
        google.DnsRecordSet(
            self,
            "dns-authorization-record",
            managed_zone=edge.zone.name,
            name=record.name,
            type=record.type,
            ttl=DNS_TTL_S,
            rrdatas=[record.data],
        )
        certificate = google.CertificateManagerCertificate(
            self,
            "wildcard-certificate",
            name=f"{prefix}-dashboards-wildcard",
            managed={"domains": [f"*.{domain}"], "dns_authorizations": [authorization.id]},
            description="rayfort IAP dashboards: every tenant host",
        )
        google.CertificateManagerCertificateMapEntry(
            self,
            "wildcard-certificate-entry",
            name=f"{prefix}-dashboards-wildcard",
            map=self.certificate_map.name,
            hostname=f"*.{domain}",
            certificates=[certificate.id],
        )
