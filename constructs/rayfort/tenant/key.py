"""The tenant's own customer-managed key, for its bucket and its Redis instance."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.kms import MAX_ROTATION_DAYS, KmsKey, KmsKeyProps
from rayfort.names import short_name

_KEY_RING_NAME_MAX = 63


def key_ring_name(prefix: str, tenant: str) -> str:
    """``<prefix>-<tenant>``, shortened with a hash to fit Cloud KMS's 63 characters."""
    return short_name(f"{prefix}-{tenant}", _KEY_RING_NAME_MAX, trim_dashes=False)


@dataclass(frozen=True)
class TenantKeyProps:
    """Inputs of TenantKey."""

    tenant: str
    """Tenant name, in the key ring and key names."""
    location: str
    """Region; the bucket and the Redis instance must share it."""
    project_id: str
    """Project holding the key ring (the KMS project, when the environment names one)."""
    key_ring: str
    """Name of the tenant's key ring."""
    rotation_days: int = MAX_ROTATION_DAYS
    """Rotation period; 90 days at most by default."""


class TenantKey(Construct):
    """A key ring and key per tenant: destroying or revoking it crypto-shreds one team's data and nobody else's.

    ``key`` is a hardened KmsKey; the bucket and the Redis instance grant it to
    their service agents themselves.
    """

    def __init__(self, scope: Construct, construct_id: str, props: TenantKeyProps) -> None:
        super().__init__(scope, construct_id)
        ring = google.KmsKeyRing(self, "ring", name=props.key_ring, location=props.location, project=props.project_id)
        self.key = KmsKey(
            self,
            "key",
            KmsKeyProps(name=f"{props.tenant}-data", key_ring_id=ring.id, rotation_days=props.rotation_days),
        )
