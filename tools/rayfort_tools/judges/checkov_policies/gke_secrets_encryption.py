"""CKV_RAYFORT_5: GKE application-layer secrets encryption with a customer-managed key.

No built-in check looks at ``database_encryption``; without it Kubernetes
Secrets in etcd are protected only by Google's default encryption. This check
wants ``state = "ENCRYPTED"`` and a ``key_name``.

Catalogue control: RF033 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import block, non_empty_string, value


class GKESecretsEncryption(RayfortCheck):
    """Closes: Kubernetes Secrets in etcd not encrypted with a rayfort-controlled Cloud KMS key."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_5",
            name="GKE application-layer secrets encryption is ENCRYPTED with a Cloud KMS key",
            resources=("google_container_cluster",),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["database_encryption/[0]/state", "database_encryption/[0]/key_name"]
        encryption = block(conf, "database_encryption")
        if encryption is None:
            return ["database_encryption is missing"]
        found = []
        if value(encryption, "state", None) != "ENCRYPTED":
            found.append(f"database_encryption.state is {value(encryption, 'state', None)!r}, want 'ENCRYPTED'")
        if not non_empty_string(value(encryption, "key_name", None)):
            found.append("database_encryption.key_name is not set")
        return found


check = GKESecretsEncryption()
