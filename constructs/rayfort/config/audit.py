"""Where audit logs are kept, for how long, and who is told when the platform misbehaves."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from rayfort.config._types import Model, Problem, ProjectId
from rayfort.config.org_policy import key_projects

if TYPE_CHECKING:
    from rayfort.config.environment import Environment

DEFAULT_RETENTION_DAYS = 400
"""Thirteen months: a full year of evidence plus the time an annual audit takes to ask for it."""
MAX_RETENTION_DAYS = 3650
"""Cloud Logging keeps a log bucket's entries at most ten years."""

_CHANNEL = re.compile(r"^projects/(?P<project>[a-z][-a-z0-9]{4,28}[a-z0-9])/notificationChannels/[0-9]+$")
_KEY = re.compile(
    r"^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/locations/(?P<location>[-a-z0-9]+)/keyRings/[-_A-Za-z0-9]+"
    r"/cryptoKeys/[-_A-Za-z0-9]+$"
)


def _channel(value: str) -> str:
    if not _CHANNEL.match(value):
        raise ValueError(
            "must be a Cloud Monitoring notification channel such as projects/<project>/notificationChannels/123"
        )
    return value


def _key(value: str) -> str:
    if not _KEY.match(value):
        raise ValueError(
            "must be a Cloud KMS key such as projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>"
        )
    return value


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

    def bucket_project(self, env: Environment) -> str:
        return self.project_id or env.project_id

    def bucket_location(self, env: Environment) -> str:
        return self.location or env.region


def key_project(env: Environment) -> str:
    """Where the log bucket's key lives: the given key's project, the cluster's KMS project, or the audit project."""
    audit = env.audit
    if audit.kms_key is not None:
        return audit.kms_key.split("/")[1]
    created = env.cluster.kms.create
    if created is not None and created.project_id:
        return created.project_id
    return audit.bucket_project(env)


def problems(env: Environment) -> list[Problem]:
    """Channels in the project the alerts live in; a key in the bucket's location, from an allowed project."""
    audit = env.audit
    found = [
        Problem(
            ("audit", "notification_channels", i),
            channel,
            f"is in project {_CHANNEL.match(channel)['project']}; alert policies can only notify channels of "
            f"their own project: allowed: projects/{env.project_id}/notificationChannels/<id>",
        )
        for i, channel in enumerate(audit.notification_channels)
        if _CHANNEL.match(channel)["project"] != env.project_id
    ]
    location = audit.bucket_location(env)
    if audit.kms_key is not None and _KEY.match(audit.kms_key)["location"] != location:
        found.append(
            Problem(
                ("audit", "kms_key"),
                audit.kms_key,
                f"is not in {location}; a log bucket's key must be in the bucket's location",
            )
        )
    policies = env.org_policies
    if "gcp.restrictCmekCryptoKeyProjects" in policies.enforced and policies.allowed_kms_projects:
        project = key_project(env)
        allowed = set(policies.allowed_kms_projects)
        # A project the cluster's keys come from too is reported once, for the cluster's setting.
        if project not in allowed and project not in {found for _, found in key_projects(env)}:
            found.append(
                Problem(
                    ("audit", "kms_key"),
                    audit.kms_key,
                    f"the log bucket's key would be in {project}, which gcp.restrictCmekCryptoKeyProjects refuses; "
                    f"allowed: {', '.join(sorted(allowed))}",
                )
            )
    return found
