"""The tenant's artifact bucket.

Access to it is recorded by Data Access audit logs for Cloud Storage (DATA_READ,
DATA_WRITE) in its project, which the network stack turns on, not by usage logs:
those are written by ``group:cloud-storage-analytics@google.com``, a member that
Domain Restricted Sharing (``iam.allowedPolicyMemberDomains``) refuses in most
regulated organizations, so granting it would fail every tenant's apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.iam import Principal
from rayfort.kms import EncryptionKey
from rayfort.names import short_name

OBJECT_USER = "roles/storage.objectUser"
OBJECT_CREATOR = "roles/storage.objectCreator"
OBJECT_VIEWER = "roles/storage.objectViewer"
_BUCKET_NAME_MAX = 63
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class TenantBucketProps:
    """Inputs of TenantBucket; protection is fixed, only durations and names vary."""

    name: str
    """Globally unique artifact bucket name."""
    location: str
    """The environment's region, so data stays where the cluster is."""
    kms_key: EncryptionKey
    """Customer-managed key of the tenant; granted here to the Cloud Storage service agent."""
    storage_agent: Principal
    """Cloud Storage's service agent of the buckets' project, which encrypts with the key."""
    soft_delete_days: int = 30
    """Deleted objects stay restorable this long (Cloud Storage allows 7-90)."""
    noncurrent_version_days: int = 90
    """Replaced object versions are kept this long, then deleted."""
    labels: dict[str, str] = field(default_factory=dict)
    """Labels besides the provider's default labels."""


def bucket_name(project_id: str, tenant: str, purpose: str) -> str:
    """``<project>-<tenant>-<purpose>``, shortened with a hash to fit Cloud Storage's 63 characters.

    Still leaves room for "-logs": the names of existing buckets stay as they are.
    """
    return short_name(f"{project_id}-{tenant}-{purpose}", _BUCKET_NAME_MAX - len("-logs"), keep_suffix=f"-{purpose}")


class TenantBucket(Construct):
    """CMEK, uniform access, public access prevented, versioned, soft-deleted, never force-destroyed."""

    def __init__(self, scope: Construct, construct_id: str, props: TenantBucketProps) -> None:
        super().__init__(scope, construct_id)
        # Cloud Storage checks the key when a bucket is created: the grant comes first.
        depends_on = [props.kms_key.grant_encrypt_decrypt(props.storage_agent).propagated]
        self.bucket = google.StorageBucket(
            self,
            "bucket",
            name=props.name,
            versioning={"enabled": True},
            lifecycle_rule=[
                {
                    "action": {"type": "Delete"},
                    "condition": {
                        "days_since_noncurrent_time": props.noncurrent_version_days,
                        "with_state": "ARCHIVED",
                    },
                }
            ],
            **_protected(props, "Ray artifacts"),
            depends_on=depends_on,
        )

    @property
    def name(self) -> str:
        return self.bucket.name

    def grant_read_write(self, principal: Principal) -> None:
        """Let one identity read, write and delete objects; never change the bucket or its IAM."""
        google.StorageBucketIamMember(
            self, principal.name, bucket=self.bucket.name, role=OBJECT_USER, member=principal.member
        )

    def grant_read_create(self, principal: Principal) -> None:
        """Let one identity read objects and create new ones, never delete or overwrite one (which takes delete)."""
        for suffix, role in (("read", OBJECT_VIEWER), ("create", OBJECT_CREATOR)):
            google.StorageBucketIamMember(
                self, f"{principal.name}-{suffix}", bucket=self.bucket.name, role=role, member=principal.member
            )


def _protected(props: TenantBucketProps, contents: str) -> dict[str, Any]:
    return {
        "location": props.location.upper(),
        "storage_class": "STANDARD",
        "uniform_bucket_level_access": True,
        "public_access_prevention": "enforced",
        "encryption": {"default_kms_key_name": props.kms_key.id},
        "soft_delete_policy": {"retention_duration_seconds": props.soft_delete_days * SECONDS_PER_DAY},
        "force_destroy": False,
        "labels": {**props.labels, "contents": contents.replace(" ", "-").lower()},
    }
