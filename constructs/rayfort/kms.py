"""Customer-managed encryption keys: one hardened key, and grants that their users wait for.

Granting a service agent a key is eventually consistent: Google documents that a
change to an allow policy "typically propagates in 2 minutes, but could potentially
take 7 minutes or longer" (https://cloud.google.com/iam/docs/access-change-propagation).
A cluster, bucket, Redis instance or repository created right after the grant is
refused by the service ("Permission denied on Cloud KMS key"), and the Google
provider does not retry that, so every grant is followed by a ``time_sleep`` of
IAM_PROPAGATION and the key's users depend on the sleep, not only on the grant.
The rarer longer delay is left to a second apply.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Literal

from rayfort._cdk import Construct, TerraformResource, TerraformStack
from rayfort._providers import google, time
from rayfort.iam import Principal

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
SECONDS_PER_DAY = 86_400
MAX_ROTATION_DAYS = 90
IAM_PROPAGATION = "120s"
"""How long a key's users wait after a grant; the typical propagation time documented above."""
TIME_PROVIDER_ID = "time"


@dataclass(frozen=True)
class KeyGrant:
    """One principal's right to encrypt and decrypt with one key."""

    iam_member: TerraformResource
    """The ``google_kms_crypto_key_iam_member``."""
    propagated: TerraformResource
    """A ``time_sleep`` after the grant: what the key's users put in their ``depends_on``."""


class EncryptionKey:
    """A Cloud KMS key that resources encrypt with: created here (KmsKey) or referenced (ExistingKey).

    Not a construct of its own: a key and its grants are created in the scope
    given, so keys and grants made before this class existed keep their construct
    paths and addresses (Terraform cannot replace a key). Grants are named by the
    caller or after the grantee; a second grant to the same member returns the
    first, so the users of one key that share a service agent (a cluster and its
    node pools) share one grant.
    """

    id: str
    """The key's id, projects/P/locations/L/keyRings/R/cryptoKeys/K (a reference when created here)."""

    def __init__(self, scope: Construct) -> None:
        self._scope = scope
        self._grants: dict[str, KeyGrant] = {}

    def grant_encrypt_decrypt(self, principal: Principal, *, construct_id: str | None = None) -> KeyGrant:
        """Let ``principal`` (a service agent) encrypt and decrypt with this key, and nothing else.

        ``construct_id`` names the grant; the principal's name by default.
        """
        existing = self._grants.get(principal.member)
        if existing is not None:
            return existing
        grant_id = construct_id or principal.name
        iam_member = google.KmsCryptoKeyIamMember(
            self._scope, grant_id, crypto_key_id=self.id, role=ENCRYPTER_DECRYPTER, member=principal.member
        )
        _time_provider(self._scope)
        propagated = time.Sleep(
            self._scope,
            f"{grant_id}-propagation",
            create_duration=IAM_PROPAGATION,
            # A grant created anew waits again.
            triggers={"grant": iam_member.id},
        )
        grant = self._grants[principal.member] = KeyGrant(iam_member, propagated)
        return grant


@dataclass(frozen=True)
class KmsKeyProps:
    """Inputs of KmsKey; purpose, algorithm and deletion protection are fixed."""

    name: str
    """Key name, unique in its key ring."""
    key_ring_id: str
    """The key ring (same location as the resources the key encrypts)."""
    rotation_days: int = MAX_ROTATION_DAYS
    """A new key version every this many days: at most 90."""
    protection_level: Literal["SOFTWARE", "HSM"] = "SOFTWARE"
    """SOFTWARE; HSM keeps the key material in FIPS 140-2 Level 3 hardware, at a price."""

    def __post_init__(self) -> None:
        if not 1 <= self.rotation_days <= MAX_ROTATION_DAYS:
            raise ValueError(f"rotation_days is {self.rotation_days}; allowed: 1 to {MAX_ROTATION_DAYS}")


class KmsKey(EncryptionKey):
    """A symmetric encryption key that rotates and that Terraform cannot destroy.

    Losing a key loses every disk, secret and object encrypted with it, so
    ``prevent_destroy`` is always set; only principals granted through
    ``grant_encrypt_decrypt`` may use it.
    """

    def __init__(self, scope: Construct, construct_id: str, props: KmsKeyProps) -> None:
        super().__init__(scope)
        self.key = google.KmsCryptoKey(
            scope,
            construct_id,
            name=props.name,
            key_ring=props.key_ring_id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=f"{props.rotation_days * SECONDS_PER_DAY}s",
            version_template={"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": props.protection_level},
            lifecycle={"prevent_destroy": True},
        )
        self.id = self.key.id


class ExistingKey(EncryptionKey):
    """A key managed elsewhere, referenced by id; grants on it are made in ``scope``."""

    def __init__(self, scope: Construct, key_id: str) -> None:
        super().__init__(scope)
        self.id = key_id


def _time_provider(scope: Construct) -> None:
    """The time provider of ``scope``'s stack, configured once when the first grant needs a sleep."""
    stack = TerraformStack.of(scope)
    if stack not in _with_time_provider:  # asked of the runtime once per stack, not once per grant
        if stack.node.try_find_child(TIME_PROVIDER_ID) is None:
            time.TimeProvider(stack, TIME_PROVIDER_ID)
        _with_time_provider.add(stack)


_with_time_provider: weakref.WeakSet[TerraformStack] = weakref.WeakSet()
"""Stacks known to have their time provider."""
