"""A typed builder of Cloud Monitoring dashboards, and each tenant's dashboard built with it.

The classes mirror the Dashboard resource of the Cloud Monitoring API
(https://cloud.google.com/monitoring/api/ref_v3/rest/v1/projects.dashboards):
a mosaic layout of tiles, each holding one widget (an XY chart of PromQL
series, a scorecard, or Markdown text). ``Dashboard.to_json`` writes what
``google_monitoring_dashboard.dashboard_json`` takes, with sorted keys so the
same dashboard always synthesizes to the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.audit.alerts import QUOTA_THRESHOLD, TenantQuotaUse, promql_metric

MOSAIC_COLUMNS = 48
PlotType = Literal["LINE", "STACKED_AREA", "STACKED_BAR"]


@dataclass(frozen=True)
class Series:
    """One PromQL query drawn on a chart."""

    query: str
    legend: str = ""
    """legendTemplate, e.g. ``${metric.labels.State}``; empty: Cloud Monitoring's default."""
    plot: PlotType = "LINE"

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "plotType": self.plot,
            "targetAxis": "Y1",
            "timeSeriesQuery": {"prometheusQuery": self.query},
        }
        if self.legend:
            body["legendTemplate"] = self.legend
        return body


@dataclass(frozen=True)
class XyChart:
    """A time-series chart."""

    title: str
    series: tuple[Series, ...]
    y_label: str = ""
    threshold: float | None = None
    """A horizontal line, e.g. the quota."""

    def to_dict(self) -> dict[str, Any]:
        chart: dict[str, Any] = {
            "dataSets": [s.to_dict() for s in self.series],
            "yAxis": {"label": self.y_label, "scale": "LINEAR"},
        }
        if self.threshold is not None:
            chart["thresholds"] = [{"value": self.threshold, "targetAxis": "Y1", "color": "RED", "direction": "ABOVE"}]
        return {"title": self.title, "xyChart": chart}


@dataclass(frozen=True)
class Scorecard:
    """One current value, drawn as a gauge between ``lower`` and ``upper``."""

    title: str
    query: str
    lower: float = 0.0
    upper: float = 1.0
    warn_above: float | None = None

    def to_dict(self) -> dict[str, Any]:
        card: dict[str, Any] = {
            "timeSeriesQuery": {"prometheusQuery": self.query},
            "gaugeView": {"lowerBound": self.lower, "upperBound": self.upper},
        }
        if self.warn_above is not None:
            card["thresholds"] = [{"value": self.warn_above, "color": "YELLOW", "direction": "ABOVE"}]
        return {"title": self.title, "scorecard": card}


@dataclass(frozen=True)
class Text:
    """Markdown: what the dashboard shows, and what it cannot (costs live in the billing export)."""

    title: str
    markdown: str

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "text": {"content": self.markdown, "format": "MARKDOWN"}}


Widget = XyChart | Scorecard | Text


@dataclass(frozen=True)
class Tile:
    """A widget at a place on the mosaic grid (48 columns wide)."""

    widget: Widget
    x: int
    y: int
    width: int
    height: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "xPos": self.x,
            "yPos": self.y,
            "width": self.width,
            "height": self.height,
            "widget": self.widget.to_dict(),
        }


@dataclass(frozen=True)
class Row:
    """Widgets side by side, sharing the grid's width equally."""

    widgets: tuple[Widget, ...]
    height: int = 16


@dataclass(frozen=True)
class Dashboard:
    """A dashboard: a display name, labels, and rows laid out top to bottom on a mosaic grid."""

    display_name: str
    rows: tuple[Row, ...]
    labels: dict[str, str] = field(default_factory=dict)

    def tiles(self) -> list[Tile]:
        tiles, y = [], 0
        for row in self.rows:
            width = MOSAIC_COLUMNS // len(row.widgets)
            tiles += [Tile(widget, i * width, y, width, row.height) for i, widget in enumerate(row.widgets)]
            y += row.height
        return tiles

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "displayName": self.display_name,
            "mosaicLayout": {"columns": MOSAIC_COLUMNS, "tiles": [tile.to_dict() for tile in self.tiles()]},
        }
        if self.labels:
            body["labels"] = dict(self.labels)
        return body

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))


def _ratio(text: Decimal | int) -> str:
    return format(Decimal(text).normalize(), "f")


@dataclass(frozen=True)
class TenantDashboardSpec:
    """What a tenant's dashboard shows."""

    tenant: str
    namespace: str
    cost_center: str
    quota: TenantQuotaUse
    gpus: bool = False
    """Whether a worker group asks for GPUs (adds GPU utilisation)."""


def tenant_dashboard(spec: TenantDashboardSpec) -> Dashboard:
    """Ray's core metrics, quota use and the cost drivers of one tenant."""
    ray = f'namespace="{spec.namespace}"'
    container = f'monitored_resource="k8s_container",namespace_name="{spec.namespace}"'
    cpu = f"{promql_metric('kubernetes.io/container/cpu/request_cores')}{{{container}}}"
    memory = f"{promql_metric('kubernetes.io/container/memory/request_bytes')}{{{container}}}"
    uptime = f"{promql_metric('kubernetes.io/container/uptime')}{{{container}}}"
    quota = spec.quota
    ray_rows = [
        Row(
            (
                XyChart("Ray tasks by state", (Series(f"sum by (State) (ray_tasks{{{ray}}})", "STACKED_AREA"),)),
                XyChart("Ray actors by state", (Series(f"sum by (State) (ray_actors{{{ray}}})", "STACKED_AREA"),)),
            )
        ),
        Row(
            (
                XyChart(
                    "Node CPU utilisation (%)", (Series(f"avg by (instance) (ray_node_cpu_utilization{{{ray}}})"),), "%"
                ),
                XyChart(
                    "Node memory used (bytes)", (Series(f"sum by (instance) (ray_node_mem_used{{{ray}}})"),), "bytes"
                ),
                XyChart(
                    "Object store memory (bytes)",
                    (Series(f"sum by (Location) (ray_object_store_memory{{{ray}}})", "STACKED_AREA"),),
                    "bytes",
                ),
            )
        ),
    ]
    if spec.gpus:
        ray_rows.append(
            Row(
                (
                    XyChart(
                        "GPU utilisation (%)", (Series(f"avg by (instance) (ray_node_gpus_utilization{{{ray}}})"),), "%"
                    ),
                )
            )
        )
    quota_row = Row(
        (
            Scorecard(
                "CPU requests / quota", f"sum({cpu}) / {_ratio(quota.cpu_cores)}", warn_above=float(QUOTA_THRESHOLD)
            ),
            Scorecard(
                "Memory requests / quota",
                f"sum({memory}) / {_ratio(quota.memory_bytes)}",
                warn_above=float(QUOTA_THRESHOLD),
            ),
            Scorecard(
                "Pods / quota",
                f"count(count by (pod_name) ({uptime})) / {quota.pods}",
                warn_above=float(QUOTA_THRESHOLD),
            ),
        ),
        height=12,
    )
    cost_row = Row(
        (
            XyChart(
                f"Cost drivers billed to {spec.cost_center}: requested CPU cores by container",
                (Series(f"sum by (container_name) ({cpu})", "STACKED_AREA"),),
                "cores",
                threshold=float(quota.cpu_cores),
            ),
            XyChart(
                f"Cost drivers billed to {spec.cost_center}: requested memory by container",
                (Series(f"sum by (container_name) ({memory})", "STACKED_AREA"),),
                "bytes",
                threshold=float(quota.memory_bytes),
            ),
            Text("Costs by label", _cost_text(spec)),
        )
    )
    about = Row(
        (
            Text(
                f"Tenant {spec.tenant}",
                f"Namespace `{spec.namespace}`, cost center `{spec.cost_center}`. Ray metrics come from Managed "
                "Service for Prometheus (the tenant's PodMonitoring), requests from GKE's system metrics. "
                "Alerts: the head, GCS failovers and the quota (Monitoring, Alerting, this tenant's name).",
            ),
        ),
        height=6,
    )
    return Dashboard(
        f"rayfort {spec.tenant}",
        (about, *ray_rows, quota_row, cost_row),
        labels={"rayfort-tenant": spec.tenant, "cost-center": spec.cost_center},
    )


def _cost_text(spec: TenantDashboardSpec) -> str:
    """Costs are in the Cloud Billing export, not in Monitoring: the query that reads them by label."""
    return (
        "GKE cost allocation bills the namespace's requests with the labels `k8s-namespace` and "
        f"`k8s-label/rayfort.dev/cost-center`; the tenant's bucket, Redis and secrets carry `cost-center: "
        f"{spec.cost_center}`. In the billing export (BigQuery):\n\n"
        "```sql\n"
        "SELECT DATE(usage_start_time) AS day, service.description AS service, SUM(cost) AS cost\n"
        "FROM `<billing_dataset>.gcp_billing_export_resource_v1_<account>`\n"
        "WHERE EXISTS (SELECT 1 FROM UNNEST(labels) l\n"
        f"  WHERE (l.key = 'k8s-namespace' AND l.value = '{spec.namespace}')\n"
        f"     OR (l.key = 'cost-center' AND l.value = '{spec.cost_center}'))\n"
        "GROUP BY day, service ORDER BY day\n"
        "```"
    )


@dataclass(frozen=True)
class MonitoringDashboardProps:
    """Inputs of MonitoringDashboard."""

    project_id: str
    """Project of the dashboard: the cluster's, whose metrics scope holds the metrics."""
    dashboard: Dashboard
    """The dashboard, built with this module's classes."""


class MonitoringDashboard(Construct):
    """A ``google_monitoring_dashboard`` from a typed Dashboard."""

    def __init__(self, scope: Construct, construct_id: str, props: MonitoringDashboardProps) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = google.MonitoringDashboard(
            self,
            "dashboard",
            project=props.project_id,
            # "${" would start a Terraform template: "$${" keeps it literal.
            dashboard_json=props.dashboard.to_json().replace("${", "$${"),
        )
