"""The audit bucket's own customer-managed key: revoking it makes the evidence unreadable, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.kms import MAX_ROTATION_DAYS, EncryptionKey, ExistingKey, KmsKey, KmsKeyProps
from rayfort.names import short_name

_KEY_RING_NAME_MAX = 63


def audit_key_ring_name(prefix: str) -> str:
    """``<prefix>-audit``, shortened with a hash to fit Cloud KMS's 63 characters."""
    return short_name(f"{prefix}-audit", _KEY_RING_NAME_MAX, keep_suffix="-audit")


@dataclass(frozen=True)
class AuditKeyProps:
    """Inputs of AuditKey."""

    project_id: str
    """Project of the key ring (the KMS project when the environment names one)."""
    location: str
    """Region of the log bucket: a log bucket's key must share its location."""
    key_ring: str
    """Name of the audit key ring."""
    key_name: str = "audit-logs"
    """Name of the key in the ring."""
    rotation_days: int = MAX_ROTATION_DAYS
    """Rotation period; 90 days at most by default."""
    existing_key_id: str | None = None
    """Use this key instead of creating one (grants are still made here)."""


class AuditKey(Construct):
    """A key ring of its own with one hardened KmsKey, or an existing key.

    ``key`` is what the log bucket takes; the bucket grants it to Logging's
    service agent itself and waits for the grant to propagate.
    """

    key: EncryptionKey

    def __init__(self, scope: Construct, construct_id: str, props: AuditKeyProps) -> None:
        super().__init__(scope, construct_id)
        if props.existing_key_id is not None:
            self.key = ExistingKey(self, props.existing_key_id)
            return
        ring = google.KmsKeyRing(self, "ring", name=props.key_ring, location=props.location, project=props.project_id)
        self.key = KmsKey(
            self, "key", KmsKeyProps(name=props.key_name, key_ring_id=ring.id, rotation_days=props.rotation_days)
        )
