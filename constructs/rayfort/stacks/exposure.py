"""The exposure stack: dashboards behind IAP, clients through an internal load balancer."""

from __future__ import annotations

from rayfort._cdk import Construct, TerraformOutput
from rayfort.config import Environment
from rayfort.config.exposure import dashboard_host
from rayfort.exposure.edge import DashboardEdge, DashboardEdgeProps
from rayfort.exposure.gateway import DashboardGateway, DashboardGatewayProps, GatewayTenant
from rayfort.exposure.iap_access import IapTenantAccess, IapTenantAccessProps
from rayfort.exposure.iap_ingress import IapDashboard, IapDashboardProps
from rayfort.exposure.internal_access import InternalAccess, InternalAccessProps
from rayfort.stacks.base import RayfortStack
from rayfort.stacks.gke import GkeStack
from rayfort.stacks.network import NetworkStack
from rayfort.stacks.tenant import TenantStack


class ExposureStack(RayfortStack):
    """Publishes each opted-in tenant's dashboard and client ports, and nothing else."""

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        env: Environment,
        network: NetworkStack,
        gke: GkeStack,
        tenants: list[TenantStack],
    ) -> None:
        super().__init__(scope, stack_id, env)
        self.use_cluster(gke.access)
        self.tenants = tenants
        self.network = network
        prefix = env.cluster.name
        for tenant_stack in tenants:
            internal = tenant_stack.tenant.exposure.internal
            if not internal.enabled:
                continue
            name = tenant_stack.tenant.name
            static = (
                {
                    "static_address_name": f"{prefix}-{name}-ray",
                    "subnetwork": network.vpc.subnet.id,
                    "region": env.region,
                }
                if internal.static_ip
                else {}
            )
            access = InternalAccess(
                self,
                f"{name}-internal",
                InternalAccessProps(
                    service_name=tenant_stack.internal_service_name,
                    namespace=tenant_stack.namespace_name,
                    selector=tenant_stack.head_selector,
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

        published = [t for t in tenants if t.tenant.exposure.iap.enabled]
        if not published:
            return
        edge = DashboardEdge(self, "edge", DashboardEdgeProps(name=prefix, settings=env.exposure))
        if env.exposure.api == "gateway":
            DashboardGateway(
                self,
                "gateway",
                DashboardGatewayProps(
                    resource_prefix=prefix,
                    tenants=tuple(
                        GatewayTenant(t.tenant.name, t.namespace_name, dashboard_host(env, t.tenant), t.head_selector)
                        for t in published
                    ),
                ),
                edge,
            )
        for t in published:
            name, host = t.tenant.name, dashboard_host(env, t.tenant)
            if env.exposure.api == "ingress":
                IapDashboard(
                    self,
                    f"{name}-dashboard",
                    IapDashboardProps(
                        resource_prefix=f"{prefix}-{name}",
                        tenant=name,
                        namespace=t.namespace_name,
                        host=host,
                        selector=t.head_selector,
                    ),
                    edge,
                )
            IapTenantAccess(
                self,
                f"{name}-iap-access",
                IapTenantAccessProps(
                    project=env.project_id, tenant=name, host=host, groups=tuple(t.tenant.groups.developers)
                ),
            )
            TerraformOutput(
                self,
                f"{name}-dashboard-url",
                value=f"https://{host}/",
                description=f"IAP-protected Ray dashboard of {name}",
            )
