"""Kubernetes resource quantities (500m, 2, 8Gi): the settings' type, and their value as a number."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from rayfort.config._types import validated_text

# A Kubernetes quantity: "no quantity may represent a number greater than 2^63-1 in magnitude, nor may
# it have more than 3 decimal places" (k8s.io/apimachinery/pkg/api/resource/quantity.go).
_QUANTITY = re.compile(r"^([0-9]{1,19}(\.[0-9]{1,19})?)(m|Ki|Mi|Gi|Ti)?$")


_QUANTITY_FACTORS = {"": Decimal(1), "m": Decimal("0.001"), "Ki": Decimal(2**10), "Mi": Decimal(2**20)}


_QUANTITY_FACTORS |= {"Gi": Decimal(2**30), "Ti": Decimal(2**40)}


def _quantity(value: str) -> str:
    match = _QUANTITY.fullmatch(value)
    amount = Decimal(match.group(1)) * _QUANTITY_FACTORS[match.group(3) or ""] if match else None
    if amount is None or amount > 2**63 - 1 or (amount * 1000) % 1:
        raise ValueError(
            "must be a Kubernetes quantity: a number with an optional suffix m, Ki, Mi, Gi or Ti, such as 500m, "
            "2 or 8Gi, at most 2^63-1 and with no more precision than a thousandth (1m)"
        )
    return value


def quantity(value: str) -> Decimal:
    """A Quantity as a number: cores for CPU, bytes for memory."""
    match = _QUANTITY.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a Kubernetes quantity")  # the settings' type admits none such
    return Decimal(match.group(1)) * _QUANTITY_FACTORS[match.group(3) or ""]


Quantity = Annotated[str, *validated_text(_quantity, _QUANTITY.pattern)]
