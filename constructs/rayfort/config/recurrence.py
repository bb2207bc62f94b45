"""RFC 5545 recurrence rules (RRULE) as GKE maintenance windows accept them.

The grammar and the rules between parts are RFC 5545 section 3.3.10. GKE adds its own limits
(RecurringTimeWindow.recurrence in the GKE API): "The FREQ values of HOURLY, MINUTELY, and
SECONDLY are not supported", and a rule with INTERVAL>1, or FREQ=WEEKLY/MONTHLY without BYDAY,
needs a delay_until date, which rayfort does not set.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

_WEEKDAY = "(SU|MO|TU|WE|TH|FR|SA)"


# Each part's value: a pattern, and the range its numbers must fall in (None for no numbers).
_PARTS: dict[str, tuple[re.Pattern[str], tuple[int, int] | None, bool]] = {
    "FREQ": (re.compile(r"^(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)$"), None, False),
    "UNTIL": (re.compile(r"^[0-9]{8}(T[0-9]{6}Z?)?$"), None, False),
    "COUNT": (re.compile(r"^([0-9]{1,9})$"), (1, 999_999_999), False),
    "INTERVAL": (re.compile(r"^([0-9]{1,9})$"), (1, 999_999_999), False),
    "BYSECOND": (re.compile(r"^([0-9]{1,2})$"), (0, 60), True),
    "BYMINUTE": (re.compile(r"^([0-9]{1,2})$"), (0, 59), True),
    "BYHOUR": (re.compile(r"^([0-9]{1,2})$"), (0, 23), True),
    "BYDAY": (re.compile(rf"^(?:[+-]?([0-9]{{1,2}}))?{_WEEKDAY}$"), (1, 53), True),
    "BYMONTHDAY": (re.compile(r"^[+-]?([0-9]{1,2})$"), (1, 31), True),
    "BYYEARDAY": (re.compile(r"^[+-]?([0-9]{1,3})$"), (1, 366), True),
    "BYWEEKNO": (re.compile(r"^[+-]?([0-9]{1,2})$"), (1, 53), True),
    "BYMONTH": (re.compile(r"^([0-9]{1,2})$"), (1, 12), True),
    "BYSETPOS": (re.compile(r"^[+-]?([0-9]{1,3})$"), (1, 366), True),
    "WKST": (re.compile(rf"^{_WEEKDAY}$"), None, False),
}
# NAME=VALUE parts, and none of the frequencies GKE refuses (upper case, as rayfort writes them).
_SHAPE = r"^(?!(.*;)?FREQ=(SECONDLY|MINUTELY|HOURLY)(;|$))[A-Za-z]+=[-+,A-Za-z0-9]+(;[A-Za-z]+=[-+,A-Za-z0-9]+)*$"
_EXAMPLE = "such as FREQ=WEEKLY;BYDAY=SA,SU or FREQ=DAILY"


def parse(rule: str) -> dict[str, list[str]]:
    """The rule's parts, each a list of its comma-separated values; raises ValueError saying what is wrong."""
    if rule.upper().startswith("RRULE:"):
        raise ValueError(f"must be the rule without the RRULE: prefix, {_EXAMPLE}")
    parts: dict[str, list[str]] = {}
    for part in rule.split(";"):
        name, equals, value = part.upper().partition("=")
        if not equals or name not in _PARTS:
            raise ValueError(
                f"{part!r} is not an RFC 5545 rule part NAME=VALUE; allowed names: {', '.join(_PARTS)}; {_EXAMPLE}"
            )
        if name in parts:
            raise ValueError(f"{name} is given twice; each part may appear once")
        pattern, bounds, is_list = _PARTS[name]
        values = value.split(",") if is_list else [value]
        for item in values:
            match = pattern.match(item)
            number = match.group(1) if match and bounds and match.group(1) else None
            if not match or (number is not None and bounds is not None and not bounds[0] <= int(number) <= bounds[1]):
                raise ValueError(f"{name}={value} is not a valid {name} value in RFC 5545")
        parts[name] = values
    _rules_between_parts(parts)
    return parts


def _rules_between_parts(parts: dict[str, list[str]]) -> None:
    if "FREQ" not in parts:
        raise ValueError(f"needs FREQ, {_EXAMPLE}")
    freq = parts["FREQ"][0]
    if "UNTIL" in parts and "COUNT" in parts:
        raise ValueError("UNTIL and COUNT must not both be given (RFC 5545)")
    numbered = any(not day.isalpha() for day in parts.get("BYDAY", []))
    if numbered and freq not in ("MONTHLY", "YEARLY"):
        raise ValueError("BYDAY with a number (such as 1SA) is allowed only with FREQ=MONTHLY or YEARLY (RFC 5545)")
    if numbered and freq == "YEARLY" and "BYWEEKNO" in parts:
        raise ValueError("BYDAY with a number is not allowed with FREQ=YEARLY and BYWEEKNO (RFC 5545)")
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise ValueError("BYMONTHDAY is not allowed with FREQ=WEEKLY (RFC 5545)")
    if "BYYEARDAY" in parts and freq in ("DAILY", "WEEKLY", "MONTHLY"):
        raise ValueError("BYYEARDAY is not allowed with FREQ=DAILY, WEEKLY or MONTHLY (RFC 5545)")
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise ValueError("BYWEEKNO is allowed only with FREQ=YEARLY (RFC 5545)")
    if "BYSETPOS" in parts and not any(name.startswith("BY") and name != "BYSETPOS" for name in parts):
        raise ValueError("BYSETPOS needs another BYxxx part to select from (RFC 5545)")


def _gke_recurrence(rule: str) -> str:
    parts = parse(rule)
    freq = parts["FREQ"][0]
    if freq in ("SECONDLY", "MINUTELY", "HOURLY"):
        raise ValueError(f"FREQ={freq} is not supported by GKE; allowed: DAILY, WEEKLY, MONTHLY, YEARLY")
    if int(parts.get("INTERVAL", ["1"])[0]) > 1 or (freq in ("WEEKLY", "MONTHLY") and "BYDAY" not in parts):
        raise ValueError(
            "GKE needs a delay_until date for INTERVAL above 1 and for FREQ=WEEKLY or MONTHLY without BYDAY, "
            f"which rayfort does not set; name the days with BYDAY, {_EXAMPLE}"
        )
    if "COUNT" in parts or "UNTIL" in parts:
        raise ValueError(
            "must keep recurring: after the last window of a COUNT or UNTIL rule GKE has none to upgrade in; "
            "remove COUNT and UNTIL"
        )
    return rule.upper()


def least_per_32_days(rule: str) -> int | None:
    """The fewest windows any 32 consecutive days hold; None where rayfort does not judge the rule."""
    parts = parse(rule)
    freq = parts["FREQ"][0]
    if set(parts) - {"FREQ", "BYDAY", "WKST", "INTERVAL"} or int(parts.get("INTERVAL", ["1"])[0]) > 1:
        return None
    days = set(parts.get("BYDAY", []))
    if any(not day.isalpha() for day in days):
        return None  # ordinal weekdays (1SA): once a month, up to 37 days apart
    if freq == "YEARLY" and not days:
        return 0
    if days:
        return 4 * len(days)  # every 32 days hold each weekday at least 4 times
    return 32 if freq == "DAILY" else None


Recurrence = Annotated[
    str,
    AfterValidator(_gke_recurrence),
    WithJsonSchema({"type": "string", "pattern": _SHAPE}),
]
"""An RRULE GKE accepts for a maintenance window, in upper case."""
