"""The comparators at their edges: the boundaries, units and spellings a one-token change would move.

``test_compare.py`` shows what "weaker" means for each kind of value; these
pin the exact boundary (a /8 of public addresses is an organization, one
address more is the internet), the arithmetic of address sets, units of
quantities, and the equal values that must not count as weaker.
"""

from __future__ import annotations

import dataclasses

import pytest

from rayfort.controls.compare import (
    INTERNET_WIDE,
    AddressSet,
    Allowlist,
    Flag,
    Levels,
    Number,
    Present,
    beyond,
    covers,
    internet_addresses,
    internet_wide,
    is_reference,
    pattern_covers,
    seconds,
)

# Every IPv4 address but RFC 6890's special-purpose blocks, counted by hand.
PUBLIC_ADDRESSES = 2**32 - (3 * 2**24 + 2**22 + 2 * 2**16 + 2**20 + 2 * 2**28)


@pytest.mark.parametrize(
    ("ranges", "public"),
    [
        (["0.0.0.0/0"], PUBLIC_ADDRESSES),
        (["*"], PUBLIC_ADDRESSES),
        (["11.0.0.0/8"], 2**24),
        (["10.0.0.0/7"], 2**24),  # 10/8 is private, 11/8 is not
        (["11.0.0.0/8", "11.0.0.0/9"], 2**24),  # nested ranges count once
        (["1.0.0.0/8", "3.0.0.0/8", "3.0.0.0/9"], 2 * 2**24),
        (["1.0.0.0/8", "3.0.0.0/8", "3.1.0.0/16"], 2 * 2**24),  # a nested range after a wider one
        (["1.0.0.0/32", "1.0.0.2/32"], 2),  # a gap of one address stays a gap
        (["1.0.0.0/32", "1.0.0.1/32"], 2),
        (["10.0.0.0/8", "192.168.0.0/16", "169.254.0.0/16"], 0),
        (["8.8.8.8"], 1),
        ([{"cidr_block": "8.8.8.0/24"}], 256),
        ("8.8.8.0/24", 256),
        (None, 0),
        (["${var.ranges}"], 0),
    ],
)
def test_public_addresses_are_counted_exactly(ranges, public: int) -> None:
    assert internet_addresses(ranges) == public


def test_one_public_slash_8_is_an_organization_and_one_address_more_is_the_internet() -> None:
    assert INTERNET_WIDE == 2**24
    assert not internet_wide(["11.0.0.0/8"])
    assert not internet_wide(["10.0.0.0/7"])
    assert internet_wide(["11.0.0.0/8", "12.0.0.1/32"])
    assert internet_wide(["11.0.0.0/8", "11.0.0.0/9", "12.0.0.1/32"])


def test_everything_covers_the_first_and_the_last_address() -> None:
    assert covers(["*"], ["0.0.0.0/32", "255.255.255.255/32", "0.0.0.0/0"])
    assert covers(["0.0.0.0/0"], ["*"]) and covers(["*"], ["*"])


def test_host_bits_do_not_hide_a_range() -> None:
    assert covers(["10.0.0.0/24"], ["10.0.0.5/24"])
    assert internet_addresses(["8.8.8.8/24"]) == 256


def test_references_are_compared_as_themselves() -> None:
    x, y = "${var.x}", "${var.y}"
    assert not AddressSet().weaker([x, y], [x])
    assert AddressSet().weaker([x], [x, y])
    assert covers([x, "10.0.0.0/8"], [x]) and not covers([x], [x, y])
    same_block_reordered = ([{"cidr_block": x, "display_name": "a"}], [{"display_name": "a", "cidr_block": x}])
    assert not AddressSet().weaker(*same_block_reordered)
    assert not AddressSet().weaker([{"name": x, "port": 1}], [{"port": 1, "name": x}])


def test_narrowing_a_deny_rule_is_weaker_and_widening_it_is_not() -> None:
    assert AddressSet(denies=True).weaker(["10.0.0.0/8"], ["10.0.0.0/9"])
    assert not AddressSet(denies=True).weaker(["10.0.0.0/9"], ["10.0.0.0/8"])
    assert not AddressSet().weaker(["10.0.0.0/8"], ["10.0.0.0/9"])


@pytest.mark.parametrize(
    ("outer", "inner", "covered"),
    [
        ("docker.io/a/**", "docker.io/ab/x", False),
        ("docker.io/a/**", "docker.io/a/b/c", True),
        ("docker.io/r/ray*", "docker.io/r/rax", False),
        ("docker.io/r/ray*", "docker.io/r/ray-ml", True),
        ("docker.io/r/ray*", "docker.io/r/ray", True),
        ("docker.io/r/ray*", "docker.io/r", False),
    ],
)
def test_allowlist_patterns_cut_at_the_wildcard(outer: str, inner: str, covered: bool) -> None:
    assert pattern_covers(outer, inner) is covered


def test_allowlists_read_one_pattern_or_none_like_a_list() -> None:
    mirror = ["eu-docker.pkg.dev/p/m/**"]
    assert Allowlist().weaker(mirror, "docker.io/evil/x")
    assert beyond(mirror, "docker.io/evil/x") == ["docker.io/evil/x"]
    assert not Allowlist().weaker(mirror, None)
    assert beyond(mirror, None) == []
    assert beyond("eu-docker.pkg.dev/p/m/**", ["eu-docker.pkg.dev/p/m/ray"]) == []
    assert beyond(mirror, [{"name_pattern": "docker.io/x"}]) == ["docker.io/x"]


@pytest.mark.parametrize(
    ("small", "large"),
    [("1Ki", "1025"), ("1Mi", "1025Ki"), ("1Gi", "1025Mi"), ("1Ti", "1025Gi"), ("500m", "501m"), ("1", "2")],
)
def test_quantities_compare_across_units(small: str, large: str) -> None:
    assert Number("lower").weaker(small, large)
    assert not Number("lower").weaker(large, small)


@pytest.mark.parametrize(
    ("a", "b"),
    [("1Ki", "1024"), ("1Mi", "1024Ki"), ("1Gi", "1024Mi"), ("1Ti", "1024Gi"), ("1000m", "1"), ("4", 4), ("2.5", 2.5)],
)
def test_equal_quantities_in_other_units_are_not_weaker(a, b) -> None:
    assert not Number("lower").weaker(a, b) and not Number("lower").weaker(b, a)
    assert not Number("higher").weaker(a, b) and not Number("higher").weaker(b, a)


def test_unreadable_numbers_rank_weakest() -> None:
    for garbage in ("1.2.3", "lots", "4Pi", True, None, [4]):
        assert Number("lower").weaker("4", garbage), garbage
        assert Number("higher").weaker("4", garbage), garbage
    assert not Number("lower").weaker("lots", None) and not Number("higher").weaker(None, "lots")


def test_durations_read_seconds() -> None:
    assert seconds("7776000s") == 7776000.0 and seconds(" 60s ") == 60.0 and seconds(90) == 90.0
    assert seconds(True) is None and seconds("90d") is None and seconds(None) is None and seconds(["60s"]) is None
    assert Number("lower", unit="s").weaker("60s", "61s") and not Number("lower", unit="s").weaker("60s", 60)
    assert not Number("lower", unit="s").weaker(60, "60s")
    assert Number("lower", unit="s").weaker("60s", "1Mi")  # not a duration: unreadable, weakest
    assert not Number("lower").weaker("1Mi", "1048576")


def test_equal_values_are_never_weaker() -> None:
    levels = Levels(("COMPATIBLE", "MODERN", "RESTRICTED"))
    assert not levels.weaker("MODERN", "MODERN") and not levels.weaker("CUSTOM", "UNKNOWN")
    assert not levels.weaker(None, "CUSTOM")
    assert not Number("higher").weaker(0.5, "0.5") and not Number("higher").weaker(None, "lots")
    assert not Flag(True).weaker(False, None) and not Present().weaker(None, "")


def test_a_level_the_provider_assumes_when_missing() -> None:
    assert not Levels(("off", "on"), missing="on").weaker("on", None)
    assert Levels(("off", "on"), missing="on").weaker(None, "off")
    assert Levels(("off", "on")).rank("off") == 0 and Levels(("off", "on")).rank("later") == -1


def test_a_flag_is_secure_when_true_unless_it_says_otherwise() -> None:
    assert Flag().weaker(True, False) and Flag().holds(True) and not Flag().holds(None)
    assert Flag(missing=True).holds(None) and not Flag(missing=True).holds(False)


@pytest.mark.parametrize(
    ("comparator", "text"),
    [
        (Flag(True), "flag: true or weaker"),
        (Flag("FALSE"), 'flag: "FALSE" or weaker'),
        (Present(), "presence: set or removed"),
        (Levels(("a", "b")), "ordered: a < b"),
        (Number(), "number: higher is stronger"),
        (Number("lower", unit="s"), "number: lower is stronger (duration)"),
        (AddressSet(), "address set: by coverage"),
        (AddressSet(denies=True), "address set: by coverage (denied: narrower is weaker)"),
        (Allowlist(), "allowlist: by inclusion"),
    ],
)
def test_each_comparator_says_what_it_compares(comparator, text: str) -> None:
    assert comparator.describe() == text


@pytest.mark.parametrize(
    "comparator",
    [Flag(), Present(), Levels(("a",)), Number(), AddressSet(), Allowlist()],
    ids=lambda c: type(c).__name__,
)
def test_comparators_are_immutable_values(comparator) -> None:
    """The catalogue shares them between controls: nothing may change one in place."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        comparator.missing = "weak"
    assert hash(comparator) == hash(dataclasses.replace(comparator))
    assert comparator == dataclasses.replace(comparator)


def test_references_are_terraform_expressions() -> None:
    assert is_reference("${google_kms_crypto_key.k.id}") and is_reference("prefix-${var.x}")
    assert not is_reference("$notref") and not is_reference(None) and not is_reference(["${x}"])
