"""The comparators: what "weaker" means, for every kind of value, and that missing is always weakest."""

from __future__ import annotations

import pytest

from rayfort.controls.compare import (
    AddressSet,
    Allowlist,
    Flag,
    Levels,
    Number,
    Present,
    covers,
    internet_wide,
    pattern_covers,
)


def test_coverage_not_strings() -> None:
    assert covers(["0.0.0.0/1", "128.0.0.0/1"], ["0.0.0.0/0"])
    assert internet_wide(["0.0.0.0/1", "128.0.0.0/1"])
    assert internet_wide(["10.0.0.0/8", "0.0.0.0/0"])
    assert internet_wide(["0.0.0.0/1"])
    assert not internet_wide(["10.0.0.0/8", "203.0.113.0/24", "35.235.240.0/20"])
    assert internet_wide(["*"])


@pytest.mark.parametrize(
    ("old", "new", "weaker"),
    [
        (["10.0.0.0/24"], ["10.0.0.0/25"], False),  # narrowing
        (["10.0.0.0/24"], ["10.0.0.0/23"], True),  # widening
        (["10.0.0.0/25", "10.0.0.128/25"], ["10.0.0.0/24"], False),  # same coverage, other strings
        (["10.0.0.0/24"], ["10.0.0.0/24", "0.0.0.0/0"], True),  # 0.0.0.0/0 beside another range
        (["10.0.0.0/24"], ["0.0.0.0/1", "128.0.0.0/1"], True),
        (["10.0.0.0/24"], [], False),
        ([], ["10.0.0.0/24"], True),
        (None, ["10.0.0.0/24"], True),
        (["${var.x}"], ["${var.x}"], False),
        (["${var.x}"], ["${var.y}"], True),
    ],
)
def test_address_sets(old, new, weaker: bool) -> None:
    assert AddressSet().weaker(old, new) is weaker


def test_a_deny_rule_is_weaker_when_it_covers_less() -> None:
    assert AddressSet(denies=True).weaker(["0.0.0.0/0"], ["0.0.0.0/1"])
    assert not AddressSet(denies=True).weaker(["10.0.0.0/8"], ["0.0.0.0/0"])


@pytest.mark.parametrize(
    ("outer", "inner", "covered"),
    [
        ("eu-docker.pkg.dev/p/mirror/**", "eu-docker.pkg.dev/p/mirror/ray/ray:1", True),
        ("eu-docker.pkg.dev/p/mirror/**", "docker.io/evil/*", False),
        ("docker.io/rayproject/ray*", "docker.io/rayproject/ray-ml", True),
        ("docker.io/rayproject/ray*", "docker.io/rayproject/ray/x", False),
        ("docker.io/rayproject/ray*", "docker.io/rayproject/ray**", False),
        ("docker.io/a/b", "docker.io/a/b", True),
        ("docker.io/a/b", "docker.io/a/b*", False),
    ],
)
def test_allowlist_patterns_by_inclusion(outer: str, inner: str, covered: bool) -> None:
    assert pattern_covers(outer, inner) is covered


def test_allowlists() -> None:
    mirror = ["eu-docker.pkg.dev/p/mirror/**"]
    assert Allowlist().weaker(mirror, [*mirror, "docker.io/evil/*"])
    assert not Allowlist().weaker(mirror, ["eu-docker.pkg.dev/p/mirror/ray/**"])
    assert not Allowlist().weaker(mirror, [])


@pytest.mark.parametrize("weaker_value", [None, False, "true", 0])
def test_flags_missing_null_false_and_other_values_are_weaker(weaker_value) -> None:
    assert Flag(True).weaker(True, weaker_value)
    assert not Flag(True).weaker(weaker_value, True)


def test_flags_with_a_provider_default() -> None:
    assert not Flag(False, missing=False).weaker(False, None)
    assert Flag(False, missing=False).weaker(None, True)


@pytest.mark.parametrize(
    ("levels", "strong", "weak"),
    [
        (("COMPATIBLE", "MODERN", "RESTRICTED"), "RESTRICTED", "MODERN"),
        (("DECRYPTED", "ENCRYPTED"), "ENCRYPTED", "DECRYPTED"),
        (("disabled", "token"), "token", "disabled"),
        (("privileged", "baseline", "restricted"), "restricted", "baseline"),
        (("ERRORS_ONLY", "TRANSLATIONS_ONLY", "ALL"), "ALL", "ERRORS_ONLY"),
    ],
)
def test_levels(levels, strong: str, weak: str) -> None:
    order = Levels(levels)
    assert order.weaker(strong, weak) and not order.weaker(weak, strong)
    assert order.weaker(strong, None) and order.weaker(weak, "SOMETHING_ELSE")


def test_numbers() -> None:
    assert Number("higher").weaker(0.5, 0.0001) and not Number("higher").weaker(0.5, 1.0)
    assert Number("higher").weaker(0.5, None)
    assert Number("lower", unit="s").weaker("2592000s", "7776000s")
    assert Number("lower", unit="s").weaker("2592000s", None)
    assert Number("lower").weaker("48", "100000") and not Number("lower").weaker("64Gi", "32Gi")


def test_presence() -> None:
    assert Present().weaker("${k.id}", None) and Present().weaker("${k.id}", "")
    assert not Present().weaker("${k.id}", "${other.id}")
