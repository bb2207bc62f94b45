"""Cloud Monitoring alert policies: what pages the platform team, and what to do when it does.

Every condition is PromQL (``condition_prometheus_query_language``), over three
sources Cloud Monitoring answers PromQL for
(https://cloud.google.com/monitoring/promql/promql-mapping):

- Ray's own metrics and the ``up`` of every scraped Ray pod, from Managed
  Service for Prometheus (each tenant's PodMonitoring);
- GKE's system metrics (``kubernetes.io/container/...``), on in every rayfort cluster;
- log-based metrics (``logging.googleapis.com/user/<name>``) where only a log
  says what happened: VPC-SC, IAP, Binary Authorization, Cloud KMS, node
  pool operations, the operator's errors.

Each policy's documentation says what the alert means and what to do first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from rayfort._cdk import Construct, TerraformResource
from rayfort._providers import google
from rayfort.audit import filters
from rayfort.audit.filters import LogMetricFilter, checked

Severity = Literal["CRITICAL", "ERROR", "WARNING"]
LOGGING_METRIC_PREFIX = "logging.googleapis.com/user/"
AUTO_CLOSE = "1800s"


def promql_metric(metric_type: str) -> str:
    """A Cloud Monitoring metric type's PromQL name: the first "/" becomes ":", every other special character "_"."""
    domain, _, path = metric_type.partition("/")
    return re.sub(r"[^A-Za-z0-9_]", "_", domain) + ":" + re.sub(r"[^A-Za-z0-9_]", "_", path)


def log_metric_series(metric: LogMetricFilter) -> str:
    return promql_metric(LOGGING_METRIC_PREFIX + metric.name)


@dataclass(frozen=True)
class Condition:
    """One PromQL condition: it fires while ``query`` returns a series for ``duration``."""

    name: str
    query: str
    duration: str = "0s"


@dataclass(frozen=True)
class Alert:
    """One alert policy: its conditions (any fires it), how bad it is, and what to do."""

    id: str
    """Construct id and stable part of the policy's identity."""
    title: str
    conditions: tuple[Condition, ...]
    severity: Severity
    documentation: str
    """Markdown for the person paged: what it means, then what to do first."""
    log_metrics: tuple[LogMetricFilter, ...] = ()
    """Log-based metrics the conditions read; created with the policy."""


def _count_over(metric: LogMetricFilter, window: str, above: int) -> str:
    return f"sum(increase({log_metric_series(metric)}[{window}])) > {above}"


def _logs_link(query: str) -> str:
    return f"Logs Explorer query:\n\n```\n{query}\n```"


def platform_alerts(operator_namespace: str | None) -> tuple[Alert, ...]:
    """The environment-wide alerts; the operator's only when it runs in a namespace of ours."""
    alerts = []
    if operator_namespace is not None:
        errors = filters.operator_errors(operator_namespace)
        alerts.append(
            Alert(
                "kuberay-operator-errors",
                "KubeRay operator errors",
                (Condition("operator logged errors in 10 minutes", _count_over(errors, "10m", 5), "300s"),),
                "ERROR",
                "The KubeRay operator logged more than 5 errors in 10 minutes for 5 minutes: RayClusters, RayJobs "
                "and RayServices may not be reconciled (no scaling, no recovery of a failed head).\n\n"
                "**What to do:** read the errors (below); `kubectl -n "
                f"{operator_namespace} get pods` (restarts, CrashLoopBackOff) and "
                "`kubectl get rayclusters -A` (state). Typical causes: a CRD older than the operator "
                "(re-apply the kuberay stack), a webhook or RBAC denial, an API server the operator cannot reach. "
                "Escalate to the platform team if the operator keeps failing after a restart.\n\n"
                + _logs_link(errors.query),
                (errors,),
            )
        )
    vpc_sc = filters.VPC_SC_VIOLATIONS
    iap = filters.IAP_DENIALS
    binauthz = filters.BINARY_AUTHORIZATION_DENIALS
    kms = filters.KMS_DESTRUCTIONS
    upgrades = filters.NODE_POOL_UPGRADE_FAILURES
    alerts += [
        Alert(
            "vpc-sc-violation",
            "VPC Service Controls violation",
            (Condition("a request crossed the perimeter", _count_over(vpc_sc, "5m", 0)),),
            "CRITICAL",
            "VPC Service Controls refused (or, in dry-run, would have refused) a request that crossed the "
            "service perimeter: possible data exfiltration with stolen credentials, or a legitimate client "
            "the perimeter does not know.\n\n"
            "**What to do:** find the entry (below) and read `protoPayload.metadata.violationReason`, the caller "
            "(`protoPayload.authenticationInfo.principalEmail`, `requestMetadata.callerIp`) and the service. "
            "Unknown caller: treat as a security incident (revoke the principal's credentials, open an incident "
            "with security operations). Known client: add an ingress or egress rule to "
            "`network.service_controls` through a reviewed change; never disable the perimeter.\n\n"
            + _logs_link(vpc_sc.query),
            (vpc_sc,),
        ),
        Alert(
            "iap-denial-spike",
            "Identity-Aware Proxy denial spike",
            (Condition("more than 50 IAP denials in 5 minutes", _count_over(iap, "5m", 50)),),
            "WARNING",
            "Identity-Aware Proxy refused more than 50 requests to the Ray dashboards in 5 minutes: credential "
            "stuffing or a scan against the dashboards, or a group membership that was removed.\n\n"
            "**What to do:** group the denials (below) by `protoPayload.authenticationInfo.principalEmail` and "
            "`protoPayload.requestMetadata.callerIp`. Many callers or unknown addresses: tighten "
            "`exposure.cloud_armor.allowed_ranges` and tell security operations. One known user: check their "
            "group membership (`tenants[].groups`).\n\n" + _logs_link(iap.query),
            (iap,),
        ),
        Alert(
            "binary-authorization-denial",
            "Binary Authorization denied an image",
            (Condition("a pod was refused by Binary Authorization", _count_over(binauthz, "5m", 0)),),
            "ERROR",
            "Binary Authorization refused to admit a pod whose image is not on the allowlist "
            "(`cluster.binary_authorization_registries`, or only the mirror when air-gapped).\n\n"
            "**What to do:** read the refused image and who created the pod (below: `protoPayload.request`, "
            "`protoPayload.authenticationInfo.principalEmail`). An image from an unvetted registry: ask the team "
            "why, and treat an unexplained one as a security incident. A legitimate image: mirror it (`make "
            "mirror-commands`) or add its registry through a reviewed change. Never switch the policy to "
            "dry-run to let it through.\n\n" + _logs_link(binauthz.query),
            (binauthz,),
        ),
        Alert(
            "kms-key-destruction",
            "Cloud KMS key version scheduled for destruction",
            (Condition("a key version was scheduled for destruction", _count_over(kms, "5m", 0)),),
            "CRITICAL",
            "A Cloud KMS key version was scheduled for destruction. Once destroyed, every disk, secret, bucket "
            "object, Redis instance or audit log it encrypted is lost for good.\n\n"
            "**What to do now (within the scheduled-destruction period, 30 days by default):** find the key "
            "version and the caller (below). Unless the destruction was planned and approved, restore it: "
            "`gcloud kms keys versions restore <version> --key <key> --keyring <ring> --location <location> "
            "--project <project>`, then re-enable it (`gcloud kms keys versions enable ...`). Treat an "
            "unexplained destruction as a security incident.\n\n" + _logs_link(kms.query),
            (kms,),
        ),
        Alert(
            "node-pool-upgrade-failed",
            "GKE node pool upgrade failed",
            (Condition("a node pool operation ended in an error", _count_over(upgrades, "30m", 0)),),
            "ERROR",
            "An upgrade or update of a node pool (by Terraform or GKE's automatic upgrades) ended in an error. "
            "The pool may run mixed versions, and security patches may be missing.\n\n"
            "**What to do:** read the error (below, `protoPayload.status.message`) and "
            "`gcloud container operations list --filter='operationType~UPGRADE_NODES AND status=DONE'`. "
            "Common causes: PodDisruptionBudgets that block draining (a Ray head with no spare node), "
            "quota or capacity for surge nodes, a Confidential VM shape unavailable in the zone. Fix the cause, "
            "then retry with `gcloud container clusters upgrade ... --node-pool <pool>` or the next apply.\n\n"
            + _logs_link(upgrades.query),
            (upgrades,),
        ),
    ]
    return tuple(alerts)


@dataclass(frozen=True)
class TenantQuotaUse:
    """A tenant's quota, as numbers the PromQL compares requests with."""

    cpu_cores: Decimal
    memory_bytes: Decimal
    pods: int
    gpus: int = 0


def _container(namespace: str, container: str | None = None, metric: str = "") -> str:
    selector = f'monitored_resource="k8s_container",namespace_name="{namespace}"'
    if container is not None:
        selector += f',container_name="{container}"'
    return f"{promql_metric('kubernetes.io/container/' + metric)}{{{selector}}}"


def _number(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f")


QUOTA_THRESHOLD = Decimal("0.9")


def tenant_alerts(tenant: str, namespace: str, quota: TenantQuotaUse) -> tuple[Alert, ...]:
    """The alerts of one tenant: its Ray head, GCS fault tolerance, and its quota."""
    head = f'namespace="{namespace}",job="{tenant}-ray",instance=~"{tenant}-head-.*"'
    restarts = _container(namespace, "ray-head", "restart_count")
    head_uptime = _container(namespace, "ray-head", "uptime")
    worker_uptime = _container(namespace, "ray-worker", "uptime")
    share = _number(QUOTA_THRESHOLD)
    quota_conditions = [
        Condition(
            "CPU requests above 90% of the quota",
            f"sum({_container(namespace, metric='cpu/request_cores')}) / {_number(quota.cpu_cores)} > {share}",
            "600s",
        ),
        Condition(
            "memory requests above 90% of the quota",
            f"sum({_container(namespace, metric='memory/request_bytes')}) / {_number(quota.memory_bytes)} > {share}",
            "600s",
        ),
        Condition(
            "pods above 90% of the quota",
            f"count(count by (pod_name) ({_container(namespace, metric='uptime')})) / {quota.pods} > {share}",
            "600s",
        ),
    ]
    if quota.gpus:
        quota_conditions.append(
            Condition(
                "GPU requests above 90% of the quota",
                f"sum({_container(namespace, metric='accelerator/request')}) / {quota.gpus} > {share}",
                "600s",
            )
        )
    return (
        Alert(
            "ray-head",
            f"Ray head of {tenant} restarting or not ready",
            (
                Condition("the head container restarted", f"sum(increase({restarts}[10m])) > 0"),
                Condition(
                    "the head is not scraped as up",
                    f"(max(up{{{head}}}) < 1) or absent(up{{{head}}})",
                    "300s",
                ),
            ),
            "CRITICAL",
            f"The Ray head of tenant {tenant} restarted, or has not answered Managed Prometheus's scrape for 5 "
            "minutes. While it is down no job can be submitted and the dashboard is unreachable; GCS fault "
            "tolerance keeps running workers and their state (see the failover alert).\n\n"
            f"**What to do:** `kubectl -n {namespace} get pods -l ray.io/node-type=head` and "
            f"`kubectl -n {namespace} describe pod <head>` (OOMKilled: raise `tenants[].head.memory`; "
            "failing probes: read the head's log; Pending: the quota or node capacity). "
            f"`kubectl -n {namespace} logs <head> -c ray-head --previous` shows why it stopped. Tell the team "
            "if jobs were lost.",
        ),
        Alert(
            "gcs-failover",
            f"GCS fault-tolerance failover in {tenant}",
            (
                Condition(
                    "the head restarted under running workers",
                    f"(min({head_uptime}) < 600) and on() (max({worker_uptime}) > 600)",
                ),
            ),
            "WARNING",
            f"The Ray head of tenant {tenant} came back within the last 10 minutes while workers kept running: "
            "the Global Control Store recovered its state from the tenant's Memorystore instance (GCS fault "
            "tolerance). Running actors and jobs should have survived; tasks in flight may have been retried.\n\n"
            f"**What to do:** find out why the head restarted (the Ray head alert, `kubectl -n {namespace} logs "
            "<head> -c ray-head --previous`). Check that the workers re-registered (Ray dashboard, nodes view) "
            "and that the Memorystore instance is healthy (Cloud console, Memorystore, the instance's "
            "metrics). Repeated failovers: raise the head's resources, or open a case if Redis is failing over.",
        ),
        Alert(
            "quota",
            f"Tenant {tenant} above 90% of its quota",
            tuple(quota_conditions),
            "WARNING",
            f"Tenant {tenant} has requested more than 90% of its namespace quota for 10 minutes "
            "(ResourceQuota `tenant-quota`). New Ray workers will soon stay Pending and the autoscaler stops "
            "scaling up.\n\n"
            f"**What to do:** `kubectl -n {namespace} describe resourcequota` shows what is used. Tell the "
            "team: idle RayClusters or RayJobs with `shutdownAfterJobFinishes: false` often hold the quota. "
            "A lasting need: raise `tenants[].quota` through a reviewed change, within what the cluster can "
            "hold (RF032).",
        ),
    )


@dataclass(frozen=True)
class AlertPoliciesProps:
    """Inputs of AlertPolicies."""

    project_id: str
    """Project of the policies: the cluster's, whose metrics scope holds the Ray and GKE metrics."""
    alerts: tuple[Alert, ...]
    """The policies to create."""
    name_prefix: str
    """Prefix of display names and log-based metric names (the environment, or the tenant)."""
    notification_channels: tuple[str, ...] = ()
    """Channels every policy notifies; none leaves incidents to the console."""
    metric_project_id: str | None = None
    """Project of the log-based metrics; the policies' project by default."""
    metric_bucket: str | None = None
    """Log bucket the metrics of audit entries count on (bucket-scoped metrics); None: the project's logs."""
    labels: dict[str, str] = field(default_factory=dict)
    """User labels on every policy."""


class AlertPolicies(Construct):
    """Alert policies and the log-based metrics they read, one policy per ``Alert``.

    Metric existence validation is off: a log-based metric has no data until its
    first matching entry, and Ray's metrics none until a cluster runs, so a
    policy must be creatable before either.
    """

    def __init__(self, scope: Construct, construct_id: str, props: AlertPoliciesProps) -> None:
        super().__init__(scope, construct_id)
        self.metrics: dict[str, TerraformResource] = {}
        self.policies: dict[str, TerraformResource] = {}
        for alert in props.alerts:
            needs = [self._metric(props, metric) for metric in alert.log_metrics]
            self.policies[alert.id] = google.MonitoringAlertPolicy(
                self,
                alert.id,
                project=props.project_id,
                display_name=f"{props.name_prefix}: {alert.title}",
                combiner="OR",
                severity=alert.severity,
                conditions=[
                    {
                        "display_name": condition.name,
                        "condition_prometheus_query_language": {
                            "query": condition.query,
                            "duration": condition.duration,
                            "evaluation_interval": "60s",
                            "disable_metric_validation": True,
                        },
                    }
                    for condition in alert.conditions
                ],
                documentation={
                    "subject": f"[{alert.severity}] {props.name_prefix}: {alert.title}",
                    "content": alert.documentation,
                    "mime_type": "text/markdown",
                },
                notification_channels=list(props.notification_channels),
                alert_strategy={"auto_close": AUTO_CLOSE},
                user_labels={**props.labels, "severity": alert.severity.lower()},
                depends_on=needs or None,
            )

    def _metric(self, props: AlertPoliciesProps, metric: LogMetricFilter) -> TerraformResource:
        if metric.name not in self.metrics:
            bucket = props.metric_bucket if metric.audit_bucket else None
            self.metrics[metric.name] = google.LoggingMetric(
                self,
                metric.name.replace("_", "-"),
                project=(props.metric_project_id or props.project_id) if bucket else props.project_id,
                name=metric.name,
                description=metric.description,
                filter=checked(metric.query),
                bucket_name=bucket,
                metric_descriptor={"metric_kind": "DELTA", "value_type": "INT64", "unit": "1"},
            )
        return self.metrics[metric.name]
