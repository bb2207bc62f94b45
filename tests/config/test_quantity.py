"""Kubernetes quantities at their edges: the suffixes, the API server's limits, and trailing junk.

A quantity sizes pods against node allocatable (the capacity check); one that the
API server refuses, or that a loose pattern reads as another amount, fails at apply.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from rayfort.config.quantity import _quantity, quantity

REFUSAL = "at most 2^63-1 and with no more precision than a thousandth (1m)"


def _refused(value: str) -> None:
    with pytest.raises(ValueError) as refused:
        _quantity(value)
    assert "must be a Kubernetes quantity" in str(refused.value) and REFUSAL in str(refused.value)


@pytest.mark.parametrize(
    ("value", "amount"),
    [("500m", Decimal("0.5")), ("2", Decimal(2)), ("1.5", Decimal("1.5")), ("1Ki", Decimal(1024)),
     ("1Mi", Decimal(2**20)), ("8Gi", Decimal(8 * 2**30)), ("1Ti", Decimal(2**40)), ("0.001", Decimal("0.001")),
     ("1m", Decimal("0.001")), ("9223372036854775807", Decimal(2**63 - 1))],
)  # fmt: skip
def test_quantities_and_their_amounts(value: str, amount: Decimal) -> None:
    assert _quantity(value) == value and quantity(value) == amount


@pytest.mark.parametrize(
    "value", ["0.0001", "1.5m", "9223372036854775808", "8Gb", "8 Gi", "-1", "1e3", "8GiB", "8388608Ti", ".5"]
)
def test_quantities_the_api_server_refuses(value: str) -> None:
    _refused(value)


@pytest.mark.parametrize("junk", ["\n", " ", "\t", "x!", "\r\n"])
def test_trailing_junk_is_refused_and_has_no_amount(junk: str) -> None:
    _refused("8Gi" + junk)
    with pytest.raises(ValueError, match="is not a Kubernetes quantity"):
        quantity("8Gi" + junk)
