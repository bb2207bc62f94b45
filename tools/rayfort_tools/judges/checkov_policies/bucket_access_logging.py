"""CKV_RAYFORT_17: reads and writes of Cloud Storage objects are recorded by Data Access audit logs.

Replaces CKV_GCP_62, which demands usage logs (``logging.log_bucket``) on every
bucket. Usage logs are written by ``group:cloud-storage-analytics@google.com``,
a member Domain Restricted Sharing (``iam.allowedPolicyMemberDomains``) refuses
in most regulated organizations, so rayfort records bucket access with Data
Access audit logs for Cloud Storage instead: this check holds every audit
config of ``storage.googleapis.com`` (or ``allServices``) to DATA_READ and
DATA_WRITE, with nobody exempted. That the project of the buckets has one is
asserted by rayfort's tests (tests/tenant/test_platform_stack.py).

Catalogue control: RF019 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import blocks, value

STORAGE_SERVICES = frozenset({"storage.googleapis.com", "allServices"})
REQUIRED = ("DATA_READ", "DATA_WRITE")


class StorageDataAccessLogs(RayfortCheck):
    """Closes: object reads and writes that leave no audit log, or leave none for exempted members."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_17",
            name="Cloud Storage Data Access audit logs record object reads and writes, with nobody exempted",
            resources=("google_project_iam_audit_config",),
            categories=(CheckCategories.LOGGING,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["service", "audit_log_config"]
        if value(conf, "service", None) not in STORAGE_SERVICES:
            return None
        configs = blocks(conf, "audit_log_config")
        types = {value(config, "log_type", None) for config in configs}
        found = [
            f"{log_type} is not logged: object access goes unrecorded" for log_type in REQUIRED if log_type not in types
        ]
        found += [
            f"{value(config, 'log_type', None)} exempts {members}"
            for config in configs
            if (members := value(config, "exempted_members", None))
        ]
        return found


check = StorageDataAccessLogs()
