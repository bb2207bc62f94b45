"""One hardened key construct, and grants that the key's users wait for until IAM has propagated them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rayfort._cdk import App, TerraformStack
from rayfort._providers import google
from rayfort.iam import Principal
from rayfort.kms import ENCRYPTER_DECRYPTER, IAM_PROPAGATION, ExistingKey, KmsKey, KmsKeyProps

AGENT = Principal.service_account("service-1@gs-project-accounts.iam.gserviceaccount.com", "storage-agent")


def _synth(tmp_path: Path, build) -> dict:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "test")
    google.GoogleProvider(stack, "google", project="p-000000")
    build(stack)
    app.synth()
    return json.loads((tmp_path / "stacks" / "test" / "cdk.tf.json").read_text())


def _key(stack: TerraformStack, rotation_days: int = 30) -> KmsKey:
    ring = google.KmsKeyRing(stack, "ring", name="ring", location="europe-west4")
    return KmsKey(stack, "key", KmsKeyProps(name="data", key_ring_id=ring.id, rotation_days=rotation_days))


def test_a_key_rotates_as_asked_cannot_be_destroyed_and_keeps_its_own_address(tmp_path: Path) -> None:
    tf = _synth(tmp_path, _key)
    [(address, key)] = tf["resource"]["google_kms_crypto_key"].items()
    assert address == "key"  # created at the scope and id given, as keys were before KmsKey existed
    assert key["//"]["metadata"]["path"] == "test/key"
    assert key["rotation_period"] == "2592000s"
    assert key["lifecycle"] == {"prevent_destroy": True}
    assert key["version_template"] == {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": "SOFTWARE"}


@pytest.mark.parametrize("days", [0, 91, 365])
def test_rotation_beyond_90_days_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="rotation_days"):
        KmsKeyProps(name="data", key_ring_id="ring", rotation_days=days)


def test_a_grant_is_made_once_per_member_and_waited_for(tmp_path: Path) -> None:
    grants = []

    def build(stack: TerraformStack) -> None:
        key = _key(stack)
        grants.extend([key.grant_encrypt_decrypt(AGENT), key.grant_encrypt_decrypt(AGENT)])
        google.StorageBucket(
            stack,
            "bucket",
            name="b",
            location="EU",
            encryption={"default_kms_key_name": key.id},
            depends_on=[grants[0].propagated],
        )

    tf = _synth(tmp_path, build)
    assert grants[0] is grants[1]
    [(grant_address, grant)] = tf["resource"]["google_kms_crypto_key_iam_member"].items()
    assert grant_address == "storage-agent"  # beside the key, named after the principal
    assert (grant["role"], grant["member"]) == (ENCRYPTER_DECRYPTER, AGENT.member)
    [(sleep_address, sleep)] = tf["resource"]["time_sleep"].items()
    assert sleep["create_duration"] == IAM_PROPAGATION
    assert sleep["triggers"] == {"grant": f"${{google_kms_crypto_key_iam_member.{grant_address}.id}}"}
    assert tf["resource"]["google_storage_bucket"]["bucket"]["depends_on"] == [f"time_sleep.{sleep_address}"]
    assert tf["provider"]["time"] == [{}]


def test_an_existing_key_is_granted_by_id(tmp_path: Path) -> None:
    key_id = "projects/kms-000000/locations/europe-west4/keyRings/r/cryptoKeys/k"

    def build(stack: TerraformStack) -> None:
        ExistingKey(stack, key_id).grant_encrypt_decrypt(AGENT, construct_id="encrypter")

    tf = _synth(tmp_path, build)
    assert "google_kms_crypto_key" not in tf["resource"]
    [(address, grant)] = tf["resource"]["google_kms_crypto_key_iam_member"].items()
    assert address == "encrypter" and grant["crypto_key_id"] == key_id
