"""Short names: every shortened resource name is produced by one helper, exactly as before it existed.

A name is part of a resource's identity (a key ring can never be deleted), so the
expected values below were produced by the per-resource shorteners this helper replaced.
"""

from __future__ import annotations

import pytest

from rayfort.names import short_name
from rayfort.tenant.bucket import bucket_name
from rayfort.tenant.identity import account_id
from rayfort.tenant.key import key_ring_name
from rayfort.tenant.redis import instance_id

LONG = "quantitative-research-and-trading-" + "x" * 20


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (key_ring_name("rayfort", "team-a"), "rayfort-team-a"),
        (key_ring_name("rayfort", LONG), f"rayfort-{LONG}"),  # 62 characters: fits
        # Key rings keep a dash before the digest: they were first named that way and cannot be deleted.
        (key_ring_name("r" * 53 + "-", "tenant-with-dash"), "r" * 53 + "--0775724b"),
        (
            bucket_name("rayfort-prod-000000", LONG, "artifacts"),
            "rayfort-prod-000000-quantitative-resear-aada7df3-artifacts",
        ),
        (
            bucket_name("rayfort-prod-000000", "abcdefghijklmnopqrs-" + "q" * 30, "artifacts"),
            "rayfort-prod-000000-abcdefghijklmnopqrs-2a878780-artifacts",
        ),
        (instance_id("team-a"), "ray-team-a"),
        (instance_id(LONG), "ray-quantitative-research-and-t-f04711f9"),
        (instance_id("abcdefghijklmnopqrstuvwxyz-" + "q" * 20), "ray-abcdefghijklmnopqrstuvwxyz-d47b07d1"),
        (account_id(LONG), "ray-quantitative-rese-f04711f9"),
        (account_id("a"), "ray-a-ca978112"),  # too short for a service account id: lengthened by the digest
        (account_id("abcdefghijklmnop-qrstuvwxyz-0123456789"), "ray-abcdefghijklmnop-0c9e593f"),
    ],
)
def test_names_are_those_the_resources_were_first_given(name: str, expected: str) -> None:
    assert name == expected


@pytest.mark.parametrize("length", range(1, 80))
def test_a_shortened_name_fits_and_keeps_its_prefix_and_suffix(length: int) -> None:
    name = short_name(f"ray-{'t' * length}-logs", 40, keep_prefix="ray-", keep_suffix="-logs")
    assert len(name) <= 40 and name.startswith("ray-") and name.endswith("-logs")


def test_names_that_share_their_start_stay_distinct() -> None:
    assert instance_id(LONG + "-a") != instance_id(LONG + "-b")


def test_a_prefix_the_name_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="does not start with"):
        short_name("team-a", 10, keep_prefix="ray-")
