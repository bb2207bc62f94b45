"""CKV_RAYFORT_17: every bucket logs its access, except the access-log sink itself.

Replaces CKV_GCP_62, which demands ``logging.log_bucket`` on every bucket,
including the bucket that receives the access logs: it cannot log to itself
without a loop, so that check can never pass for a complete logging chain.
This check asks the same of every other bucket, and exempts only a bucket
labelled ``contents: access-logs``, which must itself keep its logs
(versioning and a lifecycle that deletes them, never an unbounded sink).

Catalogue control: RF019 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import block, blocks, is_true, value

ACCESS_LOG_SINK = "access-logs"


class BucketAccessLogging(RayfortCheck):
    """Closes: buckets whose reads and writes leave no access log."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_17",
            name="Buckets log access to a log bucket; the log bucket keeps versioned, expiring logs",
            resources=("google_storage_bucket",),
            categories=(CheckCategories.LOGGING,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["logging", "labels", "versioning", "lifecycle_rule"]
        labels = block(conf, "labels") or {}
        if value(labels, "contents", None) == ACCESS_LOG_SINK:
            found = []
            if not is_true(value(block(conf, "versioning"), "enabled", None)):
                found.append("the access-log bucket is not versioned")
            if not blocks(conf, "lifecycle_rule"):
                found.append("the access-log bucket has no lifecycle rule: its logs would never expire")
            return found
        if not value(block(conf, "logging"), "log_bucket", None):
            return ["logging.log_bucket is not set: access to this bucket is not logged"]
        return []


check = BucketAccessLogging()
