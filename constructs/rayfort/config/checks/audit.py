"""Rules of the audit trail that span several fields of the environment."""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.audit import CHANNEL, KEY
from rayfort.config.derived import audit_key_project, key_projects
from rayfort.config.environment import Environment


def _channel_project(channel: str) -> str:
    match = CHANNEL.match(channel)
    assert match is not None, "AuditSettings admits only channels of this form"
    return match["project"]


def _key_location(key: str) -> str:
    match = KEY.match(key)
    assert match is not None, "AuditSettings admits only keys of this form"
    return match["location"]


def problems(env: Environment) -> list[Problem]:
    """Channels in the project the alerts live in; a key in the bucket's location, from an allowed project."""
    audit = env.audit
    found = [
        Problem(
            ("audit", "notification_channels", i),
            channel,
            f"is in project {_channel_project(channel)}; alert policies can only notify channels of "
            f"their own project: allowed: projects/{env.project_id}/notificationChannels/<id>",
        )
        for i, channel in enumerate(audit.notification_channels)
        if _channel_project(channel) != env.project_id
    ]
    location = audit.bucket_location(env)
    if audit.kms_key is not None and _key_location(audit.kms_key) != location:
        found.append(
            Problem(
                ("audit", "kms_key"),
                audit.kms_key,
                f"is not in {location}; a log bucket's key must be in the bucket's location",
            )
        )
    policies = env.org_policies
    if "gcp.restrictCmekCryptoKeyProjects" in policies.enforced and policies.allowed_kms_projects:
        project = audit_key_project(env)
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
