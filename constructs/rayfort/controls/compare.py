"""What "weaker" means for each kind of value a control guards.

Every comparator is pure and answers two questions: ``weaker(old, new)`` (the
review: did this change lower the control?) and ``describe()`` (the README and
the review say what is compared). A missing or null value is always ranked as
the weakest value, never skipped: a flag that disappears is a flag turned off.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

_TOKEN = re.compile(r"\$\{")


class Comparator(Protocol):
    def weaker(self, old: Any, new: Any) -> bool: ...

    def describe(self) -> str: ...


def is_reference(value: Any) -> bool:
    """A Terraform reference (``${...}``): set, but unknown until apply."""
    return isinstance(value, str) and bool(_TOKEN.search(value))


@dataclass(frozen=True)
class Flag:
    """A value that is either the secure one or not; anything else (missing, null, another value) is weaker.

    ``missing`` is what the provider assumes when the attribute is left out.
    """

    secure: Any = True
    missing: Any = None

    def holds(self, value: Any) -> bool:
        return (self.missing if value is None else value) == self.secure

    def weaker(self, old: Any, new: Any) -> bool:
        return self.holds(old) and not self.holds(new)

    def describe(self) -> str:
        return f"flag: {json.dumps(self.secure)} or weaker"


@dataclass(frozen=True)
class Present:
    """A value that must be set (a key, a pool, a policy name); removing it is weaker, changing it is not."""

    def holds(self, value: Any) -> bool:
        return value not in (None, "", [], {})

    def weaker(self, old: Any, new: Any) -> bool:
        return self.holds(old) and not self.holds(new)

    def describe(self) -> str:
        return "presence: set or removed"


@dataclass(frozen=True)
class Levels:
    """Ordered values, weakest first; a missing or unknown value ranks below all of them."""

    order: tuple[Any, ...]
    missing: Any = None

    def rank(self, value: Any) -> int:
        value = self.missing if value is None else value
        return self.order.index(value) if value in self.order else -1

    def weaker(self, old: Any, new: Any) -> bool:
        return self.rank(new) < self.rank(old)

    def describe(self) -> str:
        return "ordered: " + " < ".join(str(level) for level in self.order)


def seconds(value: Any) -> float | None:
    """A Terraform duration ("7776000s") or a number, in seconds; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().removesuffix("s") if isinstance(value, str) else ""
    try:
        return float(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Number:
    """A number where more is stronger (a sampling rate) or less is (a rotation period, a quota)."""

    stronger: str = "higher"
    unit: str = ""

    def _value(self, value: Any) -> float:
        number = seconds(value) if self.unit == "s" else _number(value)
        if number is None:
            return float("-inf") if self.stronger == "higher" else float("inf")
        return number

    def weaker(self, old: Any, new: Any) -> bool:
        was, now = self._value(old), self._value(new)
        return now < was if self.stronger == "higher" else now > was

    def describe(self) -> str:
        return f"number: {self.stronger} is stronger" + (" (duration)" if self.unit == "s" else "")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        from decimal import Decimal, InvalidOperation

        match = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|Ti)?", value)
        if match:
            scale: dict[str | None, Decimal | int] = {
                None: 1,
                "m": Decimal("0.001"),
                "Ki": 2**10,
                "Mi": 2**20,
                "Gi": 2**30,
                "Ti": 2**40,
            }
            try:
                return float(Decimal(match[1]) * scale[match[2]])
            except InvalidOperation:
                return None
    return None


# --- address sets ---------------------------------------------------------------------------

_EVERYTHING = (0, 2**32 - 1)
# Addresses that never originate from the internet (RFC 6890 special-purpose blocks).
_NOT_INTERNET = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
INTERNET_WIDE = 2**24
"""No organization holds more public addresses than a /8: a set covering more admits strangers."""


def _interval(item: Any) -> tuple[int, int] | None:
    if item == "*":
        return _EVERYTHING
    if isinstance(item, dict):
        item = item.get("cidr_block", item.get("cidr"))
    try:
        network = ipaddress.IPv4Network(str(item), strict=False)
    except ValueError:
        return None
    return int(network.network_address), int(network.broadcast_address)


def _merged(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(intervals):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def coverage(values: Any) -> tuple[list[tuple[int, int]], set[str]]:
    """The address intervals a list of ranges covers (merged), and the entries that are not ranges."""
    items = values if isinstance(values, list) else ([] if values is None else [values])
    intervals, opaque = [], set()
    for item in items:
        interval = _interval(item)
        if interval is None:
            opaque.add(json.dumps(item, sort_keys=True))
        else:
            intervals.append(interval)
    return _merged(intervals), opaque


def covers(outer: Any, inner: Any) -> bool:
    """Whether every address of ``inner`` is in ``outer``, by coverage: 0.0.0.0/1 + 128.0.0.0/1 cover 0.0.0.0/0."""
    outer_intervals, outer_opaque = coverage(outer)
    inner_intervals, inner_opaque = coverage(inner)
    if not inner_opaque <= outer_opaque:
        return False
    return all(any(a <= first and last <= b for a, b in outer_intervals) for first, last in inner_intervals)


def internet_addresses(values: Any) -> int:
    """How many public internet addresses a list of ranges covers."""
    intervals, _ = coverage(values)
    count = sum(last - first + 1 for first, last in intervals)
    for network in _NOT_INTERNET:
        low, high = int(network.network_address), int(network.broadcast_address)
        count -= sum(max(0, min(last, high) - max(first, low) + 1) for first, last in intervals)
    return count


def internet_wide(values: Any) -> bool:
    """Whether ranges admit the internet at large (more public addresses than any one organization holds)."""
    return internet_addresses(values) > INTERNET_WIDE


@dataclass(frozen=True)
class AddressSet:
    """Ranges by coverage: weaker when the new set admits an address the old did not; narrowing is not.

    For the ranges a deny rule covers (``denies``), it is the other way round.
    """

    denies: bool = False

    def weaker(self, old: Any, new: Any) -> bool:
        return not covers(new, old) if self.denies else not covers(old, new)

    def describe(self) -> str:
        return "address set: by coverage" + (" (denied: narrower is weaker)" if self.denies else "")


# --- allowlists -----------------------------------------------------------------------------


def pattern_covers(outer: str, inner: str) -> bool:
    """Whether allowlist pattern ``outer`` admits everything ``inner`` admits.

    Patterns are Binary Authorization's: exact names, a trailing ``*`` (one
    path segment) or a trailing ``**`` (any depth).
    """
    if outer == inner:
        return True
    if outer.endswith("**"):
        return inner.startswith(outer[:-2])
    if outer.endswith("*"):
        prefix = outer[:-1]
        rest = inner[len(prefix) :]
        return inner.startswith(prefix) and "/" not in rest and not rest.endswith("**")
    return False


def _names(values: Any) -> list[str]:
    items = values if isinstance(values, list) else ([] if values is None else [values])
    return [str(item.get("name_pattern", item)) if isinstance(item, dict) else str(item) for item in items]


def beyond(allowed: Any, wanted: Any) -> list[str]:
    """The entries of ``wanted`` no entry of ``allowed`` covers."""
    allowed_names = _names(allowed)
    return [name for name in _names(wanted) if not any(pattern_covers(a, name) for a in allowed_names)]


@dataclass(frozen=True)
class Allowlist:
    """Patterns by inclusion: weaker when a new pattern admits something no old pattern did."""

    def weaker(self, old: Any, new: Any) -> bool:
        return bool(beyond(old, new))

    def describe(self) -> str:
        return "allowlist: by inclusion"
