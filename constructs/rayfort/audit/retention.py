"""A locked, CMEK-encrypted log bucket, and the sinks that copy audit entries into it.

Cloud Logging keeps audit entries in ``_Required`` (400 days, admin activity
only) and ``_Default`` (30 days) buckets that a project owner can reconfigure.
A user-defined bucket with ``locked = true`` cannot have its retention shortened
or be deleted while it holds entries, by anyone, project owners included
(https://cloud.google.com/logging/docs/buckets#locking-logs-buckets), so what a
sink writes there stays for ``retention_days``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.audit.filters import checked
from rayfort.iam import Principal
from rayfort.kms import EncryptionKey

BUCKET_WRITER = "roles/logging.bucketWriter"


@dataclass(frozen=True)
class LockedLogBucketProps:
    """Inputs of LockedLogBucket."""

    project_id: str
    """Project that holds the bucket (the audit project)."""
    location: str
    """Region of the bucket; its key must be in the same region."""
    bucket_id: str
    """Bucket name, unique in the project and location."""
    kms_key: EncryptionKey
    """Cloud KMS key that encrypts the entries; granted here to Logging's service agent."""
    logging_agent: Principal
    """Cloud Logging's service agent of the bucket's project (``logging_service_agent``), which uses the key."""
    retention_days: int = 400
    """Days every entry is kept: 400 by default."""
    locked: bool = True
    """Retention lock on: irreversible, neither shortened nor deleted by anyone."""


class LockedLogBucket(Construct):
    """A log bucket whose entries nobody can delete early, encrypted with our key.

    ``destination`` is what a sink writes to. Terraform cannot destroy it while
    it holds entries; ``prevent_destroy`` makes a plan that tries say so first.
    """

    def __init__(self, scope: Construct, construct_id: str, props: LockedLogBucketProps) -> None:
        super().__init__(scope, construct_id)
        # Logging checks the key when the bucket is created: the grant comes first, and has propagated.
        grant = props.kms_key.grant_encrypt_decrypt(props.logging_agent)
        self.bucket = google.LoggingProjectBucketConfig(
            self,
            "bucket",
            project=props.project_id,
            location=props.location,
            bucket_id=props.bucket_id,
            description="rayfort audit logs: locked retention, customer-managed key",
            retention_days=props.retention_days,
            locked=props.locked,
            cmek_settings={"kms_key_name": props.kms_key.id},
            depends_on=[grant.propagated],
            lifecycle={"prevent_destroy": True},
        )
        self.project_id = props.project_id

    @property
    def id(self) -> str:
        """projects/<project>/locations/<location>/buckets/<bucket>."""
        return self.bucket.id

    @property
    def destination(self) -> str:
        return f"logging.googleapis.com/{self.bucket.id}"


@dataclass(frozen=True)
class AuditSinkProps:
    """Inputs of AuditSink."""

    name: str
    """Sink name, unique in the source project."""
    source_project_id: str
    """Project whose log entries the sink routes."""
    bucket: LockedLogBucket
    """The locked bucket it writes to."""
    filter: str
    """Cloud Logging filter of the entries kept; parsed at synth."""
    description: str = "rayfort: audit entries to the locked audit bucket"
    """What the sink is for, shown in the Log Router."""


class AuditSink(Construct):
    """A project sink to the locked bucket, with its own writer identity.

    A sink writing to a bucket of another project needs that identity granted
    ``roles/logging.bucketWriter`` there, limited by an IAM condition to this one
    bucket; within one project Logging authorizes it itself.
    """

    def __init__(self, scope: Construct, construct_id: str, props: AuditSinkProps) -> None:
        super().__init__(scope, construct_id)
        self.sink = google.LoggingProjectSink(
            self,
            "sink",
            name=props.name,
            project=props.source_project_id,
            destination=props.bucket.destination,
            filter=checked(props.filter),
            description=props.description,
            unique_writer_identity=True,
        )
        if props.source_project_id != props.bucket.project_id:
            google.ProjectIamMember(
                self,
                "writer",
                project=props.bucket.project_id,
                role=BUCKET_WRITER,
                member=self.sink.writer_identity,
                condition={
                    "title": "rayfort-audit-bucket-only",
                    "description": "Write only to the locked audit bucket",
                    "expression": f'resource.name.endsWith("{_bucket_path(props.bucket)}")',
                },
            )


def _bucket_path(bucket: LockedLogBucket) -> str:
    """locations/<location>/buckets/<id>: how IAM conditions name a log bucket."""
    config = bucket.bucket
    return f"locations/{config.location}/buckets/{config.bucket_id}"
