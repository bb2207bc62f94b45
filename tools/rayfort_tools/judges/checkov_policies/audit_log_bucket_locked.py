"""CKV_RAYFORT_18: a user-defined log bucket is locked, keeps entries 400 days or more, and uses our key.

checkov has no check on ``google_logging_project_bucket_config``. Without
``locked = true`` a project owner can shorten the retention or delete the
bucket with the evidence in it; without ``cmek_settings`` the entries are
readable with Google-managed keys only. rayfort's audit bucket holds all three
(400 days is the default; fewer takes a waiver of RF043 at synth).

Catalogue control: RF043 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import block, is_interpolation, is_true, non_empty_string, value

MIN_RETENTION_DAYS = 400


class AuditLogBucketLocked(RayfortCheck):
    """Closes: log buckets whose retention can be undone, or that keep entries with Google-managed keys."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_18",
            name="Log buckets are locked, keep entries at least 400 days and use a customer-managed key",
            resources=("google_logging_project_bucket_config",),
            categories=(CheckCategories.LOGGING,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["locked", "retention_days", "cmek_settings/[0]/kms_key_name"]
        found = []
        if not is_true(value(conf, "locked", None)):
            found.append("locked is not true: the retention can be shortened and the bucket deleted")
        days = value(conf, "retention_days", None)
        if not is_interpolation(days) and (
            isinstance(days, bool) or not isinstance(days, (int, float)) or days < MIN_RETENTION_DAYS
        ):
            found.append(f"retention_days is {days!r}, below {MIN_RETENTION_DAYS}")
        if not non_empty_string(value(block(conf, "cmek_settings"), "kms_key_name", None)):
            found.append("cmek_settings.kms_key_name is not set")
        return found


check = AuditLogBucketLocked()
