"""A tenant's own alerts and dashboard, deployed with the tenant's stack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rayfort._cdk import Construct
from rayfort.audit.alerts import AlertPolicies, AlertPoliciesProps, TenantQuotaUse, tenant_alerts
from rayfort.audit.dashboard import MonitoringDashboard, MonitoringDashboardProps, TenantDashboardSpec, tenant_dashboard
from rayfort.config.quantity import quantity

if TYPE_CHECKING:
    from rayfort.config.tenant import TenantSettings


@dataclass(frozen=True)
class TenantMonitoringProps:
    """Inputs of TenantMonitoring."""

    project_id: str
    """The cluster's project: its metrics scope holds the Ray and GKE metrics."""
    environment: str
    """Environment name, in the policies' display names."""
    dashboard: TenantDashboardSpec
    """The tenant, its namespace, cost center and quota."""
    notification_channels: tuple[str, ...] = ()
    """Channels the tenant's alerts notify."""

    @classmethod
    def for_tenant(
        cls, tenant: TenantSettings, *, project_id: str, environment: str, notification_channels: tuple[str, ...] = ()
    ) -> TenantMonitoringProps:
        """The tenant's monitoring as its settings describe it (its namespace is named after it)."""
        quota = tenant.quota
        return cls(
            project_id=project_id,
            environment=environment,
            dashboard=TenantDashboardSpec(
                tenant=tenant.name,
                namespace=tenant.name,
                cost_center=tenant.cost_center,
                quota=TenantQuotaUse(quantity(quota.cpu), quantity(quota.memory), quota.pods, quota.gpu),
                gpus=any(group.resources.gpu for group in tenant.worker_groups),
            ),
            notification_channels=notification_channels,
        )


class TenantMonitoring(Construct):
    """The tenant's Ray head, GCS failover and quota alerts, and its dashboard."""

    def __init__(self, scope: Construct, construct_id: str, props: TenantMonitoringProps) -> None:
        super().__init__(scope, construct_id)
        spec = props.dashboard
        self.alerts = AlertPolicies(
            self,
            "alerts",
            AlertPoliciesProps(
                project_id=props.project_id,
                alerts=tenant_alerts(spec.tenant, spec.namespace, spec.quota),
                name_prefix=f"rayfort {props.environment} {spec.tenant}",
                notification_channels=props.notification_channels,
                labels={"environment": props.environment, "rayfort-tenant": spec.tenant},
            ),
        )
        self.dashboard = MonitoringDashboard(
            self, "dashboard", MonitoringDashboardProps(project_id=props.project_id, dashboard=tenant_dashboard(spec))
        )
