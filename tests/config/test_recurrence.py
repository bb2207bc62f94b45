"""RFC 5545 recurrence rules, as GKE maintenance windows accept them, and the 48-hours-in-32-days rule."""

from __future__ import annotations

import pytest

from rayfort.config.cluster import MaintenanceWindow
from rayfort.config.recurrence import least_per_32_days, parse


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA,SU",
        "FREQ=MONTHLY;BYDAY=1SA",
        "FREQ=YEARLY;BYMONTH=1;BYDAY=-1SU",
        "FREQ=WEEKLY;WKST=MO;BYDAY=SA",
        "freq=daily",
    ],
)
def test_rules_gke_documents_are_accepted(rule: str) -> None:
    assert MaintenanceWindow(recurrence=rule).recurrence == rule.upper()


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("garbage", "is not an RFC 5545 rule part"),
        ("", "is not an RFC 5545 rule part"),
        ("RRULE:FREQ=DAILY", "without the RRULE: prefix"),
        ("BYDAY=SA", "needs FREQ"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
        ("FREQ=FORTNIGHTLY", "not a valid FREQ value"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid BYDAY value"),
        ("FREQ=YEARLY;BYMONTH=13", "not a valid BYMONTH value"),
        ("FREQ=MONTHLY;BYDAY=0SA", "not a valid BYDAY value"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "UNTIL and COUNT must not both be given"),
        ("FREQ=WEEKLY;BYDAY=1SA", "is allowed only with FREQ=MONTHLY or YEARLY"),
        ("FREQ=WEEKLY;BYDAY=SA;BYMONTHDAY=1", "BYMONTHDAY is not allowed with FREQ=WEEKLY"),
        ("FREQ=MONTHLY;BYDAY=SA;BYYEARDAY=1", "BYYEARDAY is not allowed"),
        ("FREQ=MONTHLY;BYDAY=SA;BYWEEKNO=1", "BYWEEKNO is allowed only with FREQ=YEARLY"),
        ("FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO", "not allowed with FREQ=YEARLY and BYWEEKNO"),
        ("FREQ=DAILY;BYSETPOS=1", "BYSETPOS needs another BYxxx part"),
        ("FREQ=HOURLY", "FREQ=HOURLY is not supported by GKE"),
        ("FREQ=MINUTELY", "FREQ=MINUTELY is not supported by GKE"),
        ("FREQ=DAILY;INTERVAL=2", "needs a delay_until date"),
        ("FREQ=WEEKLY", "needs a delay_until date"),
        ("FREQ=DAILY;COUNT=10", "must keep recurring"),
        ("FREQ=DAILY;UNTIL=20270101T000000Z", "must keep recurring"),
    ],
)
def test_rules_that_are_not_rfc_5545_or_not_for_gke_are_refused(rule: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected.replace("(", r"\(")):
        MaintenanceWindow(recurrence=rule)


@pytest.mark.parametrize(
    ("rule", "least"),
    [
        ("FREQ=DAILY", 32),
        ("FREQ=WEEKLY;BYDAY=SA,SU", 8),
        ("FREQ=MONTHLY;BYDAY=MO", 4),
        ("FREQ=YEARLY", 0),
        ("FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA,SU", None),
        ("FREQ=MONTHLY;BYDAY=1SA", None),
    ],
)
def test_fewest_windows_in_32_days(rule: str, least: int | None) -> None:
    assert least_per_32_days(rule) == least


def test_parts_are_split_into_their_values() -> None:
    assert parse("FREQ=WEEKLY;BYDAY=SA,SU") == {"FREQ": ["WEEKLY"], "BYDAY": ["SA", "SU"]}
