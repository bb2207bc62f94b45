"""Where audit logs are kept, for how long, and who is told when the platform misbehaves."""

from __future__ import annotations

import re
from typing import Annotated, Protocol

from pydantic import AfterValidator, Field

from rayfort.config._types import Model, ProjectId

DEFAULT_RETENTION_DAYS = 400
"""Thirteen months: a full year of evidence plus the time an annual audit takes to ask for it."""
MAX_RETENTION_DAYS = 3650
"""Cloud Logging keeps a log bucket's entries at most ten years."""

CHANNEL = re.compile(r"^projects/(?P<project>[a-z][-a-z0-9]{4,28}[a-z0-9])/notificationChannels/[0-9]+$")
KEY = re.compile(
    r"^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/locations/(?P<location>[-a-z0-9]+)/keyRings/[-_A-Za-z0-9]+"
    r"/cryptoKeys/[-_A-Za-z0-9]+$"
)


def _channel(value: str) -> str:
    if not CHANNEL.match(value):
        raise ValueError(
            "must be a Cloud Monitoring notification channel such as projects/<project>/notificationChannels/123"
        )
    return value


def _key(value: str) -> str:
    if not KEY.match(value):
        raise ValueError(
            "must be a Cloud KMS key such as projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>"
        )
    return value


class Placed(Protocol):
    """What the audit defaults come from: the environment's project and region."""

    @property
    def project_id(self) -> str: ...

    @property
    def region(self) -> str: ...


NotificationChannel = Annotated[str, AfterValidator(_channel)]
KmsKeyName = Annotated[str, AfterValidator(_key)]


class AuditSettings(Model):
    """Tamper-proof retention of audit logs, and the alerts' notification channels."""

    project_id: ProjectId | None = None
    """Project of the locked log bucket; the environment's project by default (a separate audit project is better)."""
    location: str | None = Field(default=None, pattern=r"^[a-z]+-[a-z]+[0-9]+$")
    """Region of the log bucket and its key; the environment's region by default."""
    retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1, le=MAX_RETENTION_DAYS)
    """Days every audit entry is kept: 400 by default; fewer needs a waiver of RF043."""
    locked: bool = True
    """Retention lock: nobody, project owners included, can shorten it or delete the bucket; off needs a waiver."""
    kms_key: KmsKeyName | None = None
    """An existing key for the log bucket; by default rayfort creates one beside the cluster's keys."""
    notification_channels: list[NotificationChannel] = []
    """Channels every alert notifies, in the environment's project (created by the operations team)."""

    def bucket_project(self, env: Placed) -> str:
        return self.project_id or env.project_id

    def bucket_location(self, env: Placed) -> str:
        return self.location or env.region
