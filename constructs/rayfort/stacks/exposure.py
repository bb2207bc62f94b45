"""The exposure stack: dashboards behind IAP, clients through an internal load balancer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rayfort._cdk import Construct, TerraformOutput
from rayfort.config.exposure import ExposureSettings
from rayfort.exposure.edge import DashboardEdge, DashboardEdgeProps
from rayfort.exposure.gateway import DashboardGateway, DashboardGatewayProps, GatewayTenant
from rayfort.exposure.iap_access import IapTenantAccess, IapTenantAccessProps
from rayfort.exposure.iap_ingress import IapDashboard, IapDashboardProps
from rayfort.exposure.internal_access import InternalAccess, InternalAccessProps, internal_service_name
from rayfort.stacks.base import Platform, RayfortStack
from rayfort.stacks.gke import ClusterRefs
from rayfort.stacks.network import NetworkRefs
from rayfort.stacks.tenant import TenantRefs


@dataclass(frozen=True)
class ExposureStackProps:
    """Inputs of ExposureStack besides the platform and the refs."""

    settings: ExposureSettings
    """Ingress or Gateway, the DNS zone, the TLS profile, Cloud Armor, the OAuth client."""
    resource_prefix: str
    """Prefix of the load balancers' resource names (the cluster's name)."""


class ExposureStack(RayfortStack):
    """Publishes each opted-in tenant's dashboard and client ports, and nothing else.

    Offers nothing to other stacks. Needs the platform, its settings, NetworkRefs
    (the node subnet for static internal addresses), ClusterRefs and the
    TenantRefs of every tenant.
    """

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        platform: Platform,
        props: ExposureStackProps,
        network: NetworkRefs,
        cluster: ClusterRefs,
        tenants: Sequence[TenantRefs],
    ) -> None:
        super().__init__(scope, stack_id, platform)
        self.use_cluster(cluster.access)
        for tenant in tenants:
            exposure = tenant.settings.exposure
            if tenant.stack is not None and (exposure.internal.enabled or exposure.iap.enabled):
                # Services and ingresses go into the published tenants' namespaces, in front of their heads.
                self.add_dependency(tenant.stack)
        settings = props.settings
        prefix = props.resource_prefix
        for tenant in tenants:
            internal = tenant.settings.exposure.internal
            if not internal.enabled:
                continue
            name = tenant.settings.name
            static = (
                {
                    "static_address_name": f"{prefix}-{name}-ray",
                    "subnetwork": network.subnet_id,
                    "region": platform.region,
                }
                if internal.static_ip
                else {}
            )
            access = InternalAccess(
                self,
                f"{name}-internal",
                InternalAccessProps(
                    service_name=internal_service_name(name),
                    namespace=tenant.namespace,
                    selector=dict(tenant.head_selector),
                    source_ranges=tuple(internal.source_ranges),
                    global_access=internal.global_access,
                    **static,
                ),
            )
            if access.ip_address is not None:
                TerraformOutput(
                    self,
                    f"{name}-ray-address",
                    value=access.ip_address,
                    description=f"RAY_ADDRESS host of {name} inside the VPC (ray://<it>:10001)",
                )

        published = [t for t in tenants if t.settings.exposure.iap.enabled]
        if not published:
            return
        hosts = {t.settings.name: settings.tenant_dashboard_host(t.settings) for t in published}
        edge = DashboardEdge(self, "edge", DashboardEdgeProps(name=prefix, settings=settings))
        if settings.api == "gateway":
            DashboardGateway(
                self,
                "gateway",
                DashboardGatewayProps(
                    resource_prefix=prefix,
                    tenants=tuple(
                        GatewayTenant(t.settings.name, t.namespace, hosts[t.settings.name], dict(t.head_selector))
                        for t in published
                    ),
                ),
                edge,
            )
        for t in published:
            name, host = t.settings.name, hosts[t.settings.name]
            if settings.api == "ingress":
                IapDashboard(
                    self,
                    f"{name}-dashboard",
                    IapDashboardProps(
                        resource_prefix=f"{prefix}-{name}",
                        tenant=name,
                        namespace=t.namespace,
                        host=host,
                        selector=dict(t.head_selector),
                    ),
                    edge,
                )
            IapTenantAccess(
                self,
                f"{name}-iap-access",
                IapTenantAccessProps(
                    project=platform.project_id, tenant=name, host=host, groups=tuple(t.settings.groups.developers)
                ),
            )
            TerraformOutput(
                self,
                f"{name}-dashboard-url",
                value=f"https://{host}/",
                description=f"IAP-protected Ray dashboard of {name}",
            )
