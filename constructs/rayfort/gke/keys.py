"""Customer-managed keys for boot disks and for application-layer secrets encryption."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.config.cluster import KmsSettings

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class ClusterKeysProps:
    """Inputs of ClusterKeys."""

    settings: KmsSettings
    """Create keys (90-day rotation by default) or reference existing ones."""
    location: str
    """Region of the key ring; keys must share the cluster's region."""
    project_id: str
    """Cluster project; the key project when settings name none."""
    name_prefix: str
    """Prefix of the key names."""


class ClusterKeys(Construct):
    """The boot-disk and secrets keys, with grants on each key to exactly one service agent.

    Created keys rotate at most every 90 days and cannot be destroyed by Terraform:
    losing a key loses every disk and secret encrypted with it.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ClusterKeysProps) -> None:
        super().__init__(scope, construct_id)
        created = props.settings.create
        if created is not None:
            self.project_id = created.project_id or props.project_id
            ring = google.KmsKeyRing(
                self, "ring", name=created.key_ring, location=props.location, project=self.project_id
            )
            self.boot_disk_key_id = self._key(ring.id, "boot-disk", props.name_prefix, created.rotation_days)
            self.secrets_key_id = self._key(ring.id, "secrets", props.name_prefix, created.rotation_days)
        else:
            existing = props.settings.existing
            assert existing is not None  # the model requires exactly one source
            self.project_id = existing.boot_disk_key.split("/")[1]
            self.boot_disk_key_id = existing.boot_disk_key
            self.secrets_key_id = existing.secrets_key

    def _key(self, ring_id: str, purpose: str, prefix: str, rotation_days: int) -> str:
        key = google.KmsCryptoKey(
            self,
            purpose,
            name=f"{prefix}-{purpose}",
            key_ring=ring_id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=f"{rotation_days * SECONDS_PER_DAY}s",
            version_template={"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": "SOFTWARE"},
            lifecycle={"prevent_destroy": True},
        )
        return key.id

    def grant_boot_disk_encryption(self, member_email: str) -> None:
        """Let a service agent (Compute Engine's) encrypt and decrypt boot disks."""
        google.KmsCryptoKeyIamMember(
            self,
            "boot-disk-encrypter",
            crypto_key_id=self.boot_disk_key_id,
            role=ENCRYPTER_DECRYPTER,
            member=f"serviceAccount:{member_email}",
        )

    def grant_secrets_encryption(self, member_email: str) -> None:
        """Let a service agent (GKE's) encrypt and decrypt Kubernetes secrets in etcd."""
        google.KmsCryptoKeyIamMember(
            self,
            "secrets-encrypter",
            crypto_key_id=self.secrets_key_id,
            role=ENCRYPTER_DECRYPTER,
            member=f"serviceAccount:{member_email}",
        )
