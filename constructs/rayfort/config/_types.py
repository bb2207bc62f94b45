"""Constrained value types shared by the environment models.

Each type's error message says what is allowed, because that message is what a
user sees when an environment file is wrong.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_PROJECT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_ZONE = re.compile(r"^([a-z]+-[a-z]+[0-9]+)-[a-z]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_LABEL_VALUE = re.compile(r"^[-_a-z0-9]{0,63}$")


class Model(BaseModel):
    """Base of every environment model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            "must be a DNS-1123 label: lowercase letters, digits and '-', "
            "starting with a letter, ending with a letter or digit, at most 63 characters"
        )
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"must be an IPv4 CIDR range with no host bits set, like 10.0.0.0/20 ({exc})") from None
    return str(network)


def _project_id(value: str) -> str:
    if not _PROJECT_ID.match(value):
        raise ValueError(
            "must be a Google Cloud project id: 6-30 characters, lowercase letters, digits and '-', "
            "starting with a letter"
        )
    return value


def _region(value: str) -> str:
    if not _REGION.match(value):
        raise ValueError("must be a Google Cloud region such as europe-west1")
    return value


def _zone(value: str) -> str:
    if not _ZONE.match(value):
        raise ValueError("must be a Google Cloud zone such as europe-west1-b")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address such as ray-team-a@example.com")
    return value


def _label_value(value: str) -> str:
    if not _LABEL_VALUE.match(value):
        raise ValueError("must be a Google Cloud label value: at most 63 lowercase letters, digits, '-' or '_'")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Cidr = Annotated[str, AfterValidator(_cidr)]
ProjectId = Annotated[str, AfterValidator(_project_id)]
Region = Annotated[str, AfterValidator(_region)]
Zone = Annotated[str, AfterValidator(_zone)]
Email = Annotated[str, AfterValidator(_email)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
OrganizationId = Annotated[str, Field(pattern=r"^[0-9]{6,20}$")]
Quantity = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$")]


def zone_region(zone: str) -> str:
    """The region a zone belongs to."""
    match = _ZONE.match(zone)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class Problem:
    """A rule that spans several fields, broken at ``path``; the message says what is allowed."""

    path: tuple[str | int, ...]
    value: Any
    message: str
