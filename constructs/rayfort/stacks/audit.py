"""The audit stack: locked retention of audit logs, Data Access logs, and the environment-wide alerts.

It deploys right after the network stack and before the gke stack, so the
sink and the Data Access logs are in place when the cluster is first created.
"""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct, TerraformOutput, TerraformStack
from rayfort._providers import google
from rayfort.audit.alerts import AlertPolicies, AlertPoliciesProps, platform_alerts
from rayfort.audit.filters import KMS_KEY_LOGS, sink_filter
from rayfort.audit.key import AuditKey, AuditKeyProps, audit_key_ring_name
from rayfort.audit.retention import AuditSink, AuditSinkProps, LockedLogBucket, LockedLogBucketProps
from rayfort.config.audit import AuditSettings
from rayfort.gke.audit_logs import DataAccessAuditLogs, DataAccessAuditLogsProps
from rayfort.iam import logging_service_agent
from rayfort.kms import MAX_ROTATION_DAYS
from rayfort.stacks.base import Platform, RayfortStack

TENANT_DATA_SERVICES = (
    "storage.googleapis.com",
    "redis.googleapis.com",
    "secretmanager.googleapis.com",
    "artifactregistry.googleapis.com",
)
"""Services that hold tenant data; GKE, IAP and Cloud KMS are the gke stack's (one owner per service)."""


@dataclass(frozen=True)
class AuditRefs:
    """What the audit stack offers the stacks after it."""

    stack: TerraformStack
    """The stack that puts the audit trail in place; the gke stack deploys after it, so the cluster's
    first entries are already kept."""


@dataclass(frozen=True)
class AuditStackProps:
    """Inputs of AuditStack besides the platform."""

    settings: AuditSettings
    """Where the locked bucket lives, its retention and lock, its key, and the alerts' channels."""
    name: str
    """Prefix of the bucket, sink and key ring names (the cluster's name)."""
    key_project_id: str
    """Project of the audit key ring (the cluster's KMS project, else the audit project); unused with
    ``settings.kms_key``."""
    key_ring_prefix: str
    """The audit key ring is ``<prefix>-audit``, beside the cluster's ring."""
    rotation_days: int = MAX_ROTATION_DAYS
    """Rotation of the created audit key: the cluster keys' rotation."""
    cluster_key_project_id: str | None = None
    """A separate project holding the cluster's keys: its Cloud KMS audit entries are kept too."""
    operator_namespace: str | None = None
    """Namespace of a KubeRay operator rayfort installs, for its error alert; None with GKE's add-on."""


class AuditStack(RayfortStack):
    """The locked audit bucket, the sinks into it, Data Access logs and the platform's alert policies.

    Offers ``refs`` (AuditRefs). Needs only its platform and settings.
    """

    def __init__(self, scope: Construct, stack_id: str, platform: Platform, props: AuditStackProps) -> None:
        super().__init__(scope, stack_id, platform)
        settings = props.settings
        name = props.name
        bucket_project = settings.project_id or platform.project_id
        location = settings.location or platform.region
        key = AuditKey(
            self,
            "key",
            AuditKeyProps(
                project_id=props.key_project_id,
                location=location,
                key_ring=audit_key_ring_name(props.key_ring_prefix),
                rotation_days=props.rotation_days,
                existing_key_id=settings.kms_key,
            ),
        ).key
        self.bucket = LockedLogBucket(
            self,
            "retention",
            LockedLogBucketProps(
                project_id=bucket_project,
                location=location,
                bucket_id=f"{name}-audit",
                kms_key=key,
                logging_agent=logging_service_agent(self, "logging-agent", bucket_project),
                retention_days=settings.retention_days,
                locked=settings.locked,
            ),
        )
        AuditSink(
            self,
            "sink",
            AuditSinkProps(
                name=f"{name}-audit", source_project_id=platform.project_id, bucket=self.bucket, filter=sink_filter()
            ),
        )
        if props.cluster_key_project_id not in (None, platform.project_id):
            # The cluster's keys live elsewhere: their audit trail is evidence too.
            AuditSink(
                self,
                "key-project-sink",
                AuditSinkProps(
                    name=f"{name}-audit-keys",
                    source_project_id=props.cluster_key_project_id,
                    bucket=self.bucket,
                    filter=KMS_KEY_LOGS,
                    description="rayfort: Cloud KMS audit entries of the cluster's keys to the locked audit bucket",
                ),
            )
        DataAccessAuditLogs(
            self, "data-access", DataAccessAuditLogsProps(project_id=platform.project_id, services=TENANT_DATA_SERVICES)
        )
        if bucket_project != platform.project_id:
            # Alerts live in the cluster's project; the audit bucket's log-based metrics must be in its scope.
            google.MonitoringMonitoredProject(
                self,
                "metrics-scope",
                metrics_scope=f"locations/global/metricsScopes/{platform.project_id}",
                name=bucket_project,
            )
        AlertPolicies(
            self,
            "alerts",
            AlertPoliciesProps(
                project_id=platform.project_id,
                alerts=platform_alerts(props.operator_namespace),
                name_prefix=f"rayfort {platform.environment}",
                notification_channels=tuple(settings.notification_channels),
                metric_project_id=bucket_project,
                metric_bucket=self.bucket.id,
                labels={"environment": platform.environment},
            ),
        )
        TerraformOutput(self, "audit_bucket", value=self.bucket.id, description="The locked audit log bucket")
        self.refs = AuditRefs(stack=self)
