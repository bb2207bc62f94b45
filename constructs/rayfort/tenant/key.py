"""The tenant's own customer-managed key, for its bucket and its Redis instance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
SECONDS_PER_DAY = 86_400
_KEY_RING_NAME_MAX = 63


def key_ring_name(prefix: str, tenant: str) -> str:
    """``<prefix>-<tenant>``, shortened with a hash to fit Cloud KMS's 63 characters."""
    candidate = f"{prefix}-{tenant}"
    if len(candidate) <= _KEY_RING_NAME_MAX:
        return candidate
    digest = hashlib.sha256(candidate.encode()).hexdigest()[:8]
    return f"{candidate[: _KEY_RING_NAME_MAX - 9]}-{digest}"


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
    rotation_days: int = 90
    """Rotation period; 90 days at most by default."""


class TenantKey(Construct):
    """A key per tenant: destroying or revoking it crypto-shreds one team's data and nobody else's.

    The key cannot be destroyed by Terraform, and only the service agents granted
    through ``grant_encrypt_decrypt`` may use it.
    """

    def __init__(self, scope: Construct, construct_id: str, props: TenantKeyProps) -> None:
        super().__init__(scope, construct_id)
        ring = google.KmsKeyRing(self, "ring", name=props.key_ring, location=props.location, project=props.project_id)
        self.key = google.KmsCryptoKey(
            self,
            "key",
            name=f"{props.tenant}-data",
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=f"{props.rotation_days * SECONDS_PER_DAY}s",
            version_template={"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": "SOFTWARE"},
            lifecycle={"prevent_destroy": True},
        )

    @property
    def id(self) -> str:
        return self.key.id

    def grant_encrypt_decrypt(self, construct_id: str, member_email: str) -> google.KmsCryptoKeyIamMember:
        """Let one service agent (Cloud Storage's, Memorystore's) use this key and no other."""
        return google.KmsCryptoKeyIamMember(
            self,
            construct_id,
            crypto_key_id=self.key.id,
            role=ENCRYPTER_DECRYPTER,
            member=f"serviceAccount:{member_email}",
        )
