"""The exposure stack: the shared edge in front of every tenant's IAP dashboard, and nothing per tenant."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rayfort._cdk import Construct, TerraformOutput, TerraformStack
from rayfort.config.exposure import ExposureSettings
from rayfort.exposure.edge import DashboardEdge, DashboardEdgeProps, SharedEdge
from rayfort.exposure.shared_gateway import SharedGateway, SharedGatewayProps
from rayfort.stacks.base import Platform, RayfortStack
from rayfort.stacks.gke import ClusterRefs


@dataclass(frozen=True)
class ExposureRefs:
    """What the exposure stack offers the tenant stacks."""

    resource_prefix: str
    """Prefix of the Google Cloud resource names (the cluster's name); a tenant's start with <prefix>-<tenant>."""
    edge: SharedEdge | None
    """The shared edge a tenant's dashboard joins; None when no tenant is published through IAP."""
    stack: TerraformStack | None = None
    """The exposure stack, which published tenants deploy after (the Gateway and zone must exist first)."""


@dataclass(frozen=True)
class ExposureStackProps:
    """Inputs of ExposureStack besides the platform and the refs."""

    settings: ExposureSettings
    """Gateway or Ingress, certificates, the DNS zone, the TLS profile, Cloud Armor, the OAuth client."""
    resource_prefix: str
    """Prefix of the shared resources' names (the cluster's name)."""
    published: bool
    """Some tenant is published through IAP; without one there is no edge to pay for."""


class ExposureStack(RayfortStack):
    """The shared edge: DNS zone, TLS and Cloud Armor policies, and with Gateway API one load balancer.

    Its size does not depend on the number of tenants: each tenant's route,
    policies, record, certificate and IAP grant live in the tenant's stack,
    which deploys after this one. Offers ``refs`` (ExposureRefs). Needs the
    platform, its settings and ClusterRefs; it reads no tenant stack.
    """

    def __init__(
        self, scope: Construct, stack_id: str, platform: Platform, props: ExposureStackProps, cluster: ClusterRefs
    ) -> None:
        super().__init__(scope, stack_id, platform)
        settings = props.settings
        if not props.published:
            self.refs = ExposureRefs(resource_prefix=props.resource_prefix, edge=None, stack=self)
            return
        prefix = props.resource_prefix
        edge = DashboardEdge(self, "edge", DashboardEdgeProps(name=prefix, settings=settings))
        shared = SharedEdge(
            api=settings.api,
            zone_name=edge.zone.name,
            ssl_policy_name=edge.ssl_policy.name,
            security_policy_name=edge.security_policy_name,
            custom_oauth_secret=settings.custom_oauth_secret,
        )
        if settings.api == "gateway":
            self.use_cluster(cluster.access)
            gateway = SharedGateway(
                self,
                "gateway",
                SharedGatewayProps(
                    resource_prefix=prefix,
                    domain=settings.dns_zone.dns_name,
                    wildcard_certificate=settings.shares_one_certificate(),
                ),
                edge,
            )
            shared = replace(
                shared,
                gateway_address=gateway.address.address,
                gateway_namespace=gateway.namespace.name,
                certificate_map=None if settings.shares_one_certificate() else gateway.certificate_map.name,
            )
            TerraformOutput(
                self,
                "dashboards-address",
                value=gateway.address.address,
                description="The shared load balancer every IAP dashboard host points at",
            )
        self.refs = ExposureRefs(resource_prefix=prefix, edge=shared, stack=self)
