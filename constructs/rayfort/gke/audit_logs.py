"""Data Access audit logs, so that who read or changed what in the cluster, its keys and IAP is on record."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google

# Admin Activity logs are always on and cannot be configured; these add reads and data writes.
LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


@dataclass(frozen=True)
class DataAccessAuditLogsProps:
    """Inputs of DataAccessAuditLogs."""

    project_id: str
    """Project whose services log data access."""
    services: tuple[str, ...] = ("container.googleapis.com", "iap.googleapis.com", "cloudkms.googleapis.com")
    """GKE, IAP and Cloud KMS by default: the cluster, the front door and the keys."""


class DataAccessAuditLogs(Construct):
    """ADMIN_READ, DATA_READ and DATA_WRITE audit logs for each service, with no exempted members.

    ``google_project_iam_audit_config`` is authoritative for its (project, service)
    pair: no other stack may configure audit logs for the same service and project.
    """

    def __init__(self, scope: Construct, construct_id: str, props: DataAccessAuditLogsProps) -> None:
        super().__init__(scope, construct_id)
        for service in props.services:
            google.ProjectIamAuditConfig(
                self,
                service.split(".")[0],
                project=props.project_id,
                service=service,
                audit_log_config=[{"log_type": log_type} for log_type in LOG_TYPES],
            )
