"""Customer-managed keys for boot disks and for application-layer secrets encryption."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.config.cluster import KmsSettings
from rayfort.kms import EncryptionKey, ExistingKey, KmsKey, KmsKeyProps

# Construct ids of the grants beside the keys; resource addresses are a contract, so they stay as first named.
BOOT_DISK_GRANT = "boot-disk-encrypter"
SECRETS_GRANT = "secrets-encrypter"


@dataclass(frozen=True)
class ClusterKeysProps:
    """Inputs of ClusterKeys."""

    settings: KmsSettings
    """Create keys (rotating every ``rotation_days``, 90 by default) or reference existing ones."""
    location: str
    """Region of the key ring; keys must share the cluster's region."""
    project_id: str
    """Cluster project; the key project when settings name none."""
    name_prefix: str
    """Prefix of the key names."""


class ClusterKeys(Construct):
    """The boot-disk and secrets keys: one key ring of hardened keys, or two existing keys.

    The cluster and its node pools grant each key to the one service agent that
    uses it (Compute Engine's for boot disks, GKE's for secrets).
    """

    boot_disk: EncryptionKey
    secrets: EncryptionKey

    def __init__(self, scope: Construct, construct_id: str, props: ClusterKeysProps) -> None:
        super().__init__(scope, construct_id)
        created = props.settings.create
        if created is not None:
            self.project_id = created.project_id or props.project_id
            ring = google.KmsKeyRing(
                self, "ring", name=created.key_ring, location=props.location, project=self.project_id
            )
            self.boot_disk, self.secrets = (
                KmsKey(
                    self,
                    purpose,
                    KmsKeyProps(
                        name=f"{props.name_prefix}-{purpose}", key_ring_id=ring.id, rotation_days=created.rotation_days
                    ),
                )
                for purpose in ("boot-disk", "secrets")
            )
        else:
            existing = props.settings.existing
            assert existing is not None  # the model requires exactly one source
            self.project_id = existing.boot_disk_key.split("/")[1]
            self.boot_disk = ExistingKey(self, existing.boot_disk_key)
            self.secrets = ExistingKey(self, existing.secrets_key)
