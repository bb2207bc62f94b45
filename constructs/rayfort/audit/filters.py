"""The Cloud Logging filters of the audit sink and of the log-based metrics the alerts count.

Each is written once here, parsed by ``logging_query`` when a construct uses
it, and named after what an auditor asks for. Field names and values follow
Cloud Audit Logs (https://cloud.google.com/logging/docs/audit) and the
services' audit logging pages cited beside each.
"""

from __future__ import annotations

from dataclasses import dataclass

from rayfort.audit.logging_query import parse_filter

VPC_SC_METADATA = "type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata"


@dataclass(frozen=True)
class LogCategory:
    """A class of log entries the audit sink keeps."""

    name: str
    query: str
    why: str


AUDIT_CATEGORIES: tuple[LogCategory, ...] = (
    LogCategory(
        "admin-activity",
        'logName:"cloudaudit.googleapis.com%2Factivity" OR logName:"cloudaudit.googleapis.com%2Fsystem_event"',
        "who changed what (always written, by Google or by us), including GKE's own node pool operations",
    ),
    LogCategory(
        "data-access",
        'logName:"cloudaudit.googleapis.com%2Fdata_access"',
        "who read or wrote data: buckets, Redis, secrets, images, keys, the Kubernetes API",
    ),
    LogCategory(
        "policy-denied",
        f'logName:"cloudaudit.googleapis.com%2Fpolicy" OR protoPayload.metadata."@type"="{VPC_SC_METADATA}"',
        "requests a security policy refused, VPC Service Controls violations (dry-run ones too) among them",
    ),
    LogCategory(
        "iap-access",
        'protoPayload.serviceName="iap.googleapis.com"',
        "every request to a dashboard behind Identity-Aware Proxy, granted or denied",
    ),
    LogCategory(
        "kubernetes-audit",
        'resource.type="k8s_cluster" AND logName:"cloudaudit.googleapis.com"',
        "the Kubernetes API server's audit events: who created, read, changed or deleted which object",
    ),
)


def sink_filter(categories: tuple[LogCategory, ...] = AUDIT_CATEGORIES) -> str:
    """One filter that keeps an entry when any category matches it."""
    return " OR ".join(f"({category.query})" for category in categories)


KMS_KEY_LOGS = 'protoPayload.serviceName="cloudkms.googleapis.com"'
"""What a separate key project routes to the audit bucket: every Cloud KMS audit entry."""


@dataclass(frozen=True)
class LogMetricFilter:
    """A log-based metric: one counter of matching entries."""

    name: str
    """Metric name: logging.googleapis.com/user/<name>, in PromQL logging_googleapis_com:user_<name>."""
    description: str
    query: str
    audit_bucket: bool = True
    """Counted on the audit bucket (the entries are in its sink) rather than on the cluster project's logs."""


VPC_SC_VIOLATIONS = LogMetricFilter(
    "rayfort_vpc_sc_violations",
    "Requests VPC Service Controls refused (or would refuse, in dry-run)",
    f'logName:"cloudaudit.googleapis.com%2Fpolicy" AND protoPayload.metadata."@type"="{VPC_SC_METADATA}"',
)
IAP_DENIALS = LogMetricFilter(
    "rayfort_iap_denials",
    "Requests Identity-Aware Proxy refused",
    # https://cloud.google.com/iap/docs/audit-log-howto: each request's authorizationInfo says whether it was granted.
    'protoPayload.serviceName="iap.googleapis.com" AND protoPayload.authorizationInfo.granted=false',
)
BINARY_AUTHORIZATION_DENIALS = LogMetricFilter(
    "rayfort_binauthz_denials",
    "Pods Binary Authorization refused to admit",
    # https://cloud.google.com/binary-authorization/docs/viewing-audit-logs
    'resource.type="k8s_cluster" AND protoPayload.response.reason="VIOLATES_POLICY"',
)
KMS_DESTRUCTIONS = LogMetricFilter(
    "rayfort_kms_destructions",
    "Cloud KMS key versions scheduled for destruction",
    'protoPayload.serviceName="cloudkms.googleapis.com" AND protoPayload.methodName="DestroyCryptoKeyVersion"',
)
NODE_POOL_UPGRADE_FAILURES = LogMetricFilter(
    "rayfort_node_pool_upgrade_failures",
    "GKE node pool upgrades (ours or GKE's automatic ones) that ended in an error",
    'resource.type="gke_nodepool" AND logName:"cloudaudit.googleapis.com" '
    'AND (protoPayload.methodName:"UpdateNodePool" OR protoPayload.methodName:"UpgradeNodes") '
    "AND severity>=ERROR",
)


def operator_errors(namespace: str) -> LogMetricFilter:
    """Errors the KubeRay operator logs (zap's JSON "level", or the severity GKE parsed)."""
    return LogMetricFilter(
        "rayfort_kuberay_operator_errors",
        "Errors logged by the KubeRay operator",
        f'resource.type="k8s_container" AND resource.labels.namespace_name="{namespace}" '
        'AND (severity>=ERROR OR jsonPayload.level="error")',
        audit_bucket=False,
    )


def checked(query: str) -> str:
    """``query`` once it parses; a filter Cloud Logging would refuse or misread fails the synth here."""
    parse_filter(query)
    return query
