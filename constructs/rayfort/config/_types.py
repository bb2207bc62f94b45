"""Constrained value types shared by the environment models.

Each type's error message says what is allowed, because that message is what a
user sees when an environment file is wrong. Values are matched whole (``fullmatch``):
a pattern's ``$`` alone would let a trailing newline through.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_PROJECT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_ZONE = re.compile(r"^([a-z]+-[a-z]+[0-9]+)-[a-z]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_LABEL_VALUE = re.compile(r"^[-_a-z0-9]{0,63}$")
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CIDR_SHAPE = rf"^({_OCTET}\.){{3}}{_OCTET}/([0-9]|[12][0-9]|3[0-2])$"
# Kubernetes names (k8s.io/apimachinery validation): a qualified name is an optional DNS-1123
# subdomain prefix of at most 253 characters and '/', then a name of at most 63 characters.
_K8S_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME_SHAPE = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_K8S_LABEL_VALUE_SHAPE = r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$"
# Node labels are passed to the kubelet (--node-labels), which refuses to start with a label in the
# kubernetes.io or k8s.io namespaces other than these (k8s.io/kubelet/pkg/apis/well_known_labels.go).
_KUBELET_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")
_KUBELET_LABELS = frozenset(
    {
        "kubernetes.io/hostname",
        "kubernetes.io/os",
        "kubernetes.io/arch",
        "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
        "beta.kubernetes.io/instance-type",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/arch",
    }
)
# RFC 3339 date-time with a zone, as Terraform's google provider checks it (Go's time.RFC3339).
_RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
# Secret Manager: a secret id is 1-255 letters, digits, '-' and '_'; the google provider's
# secret data sources take the id (the provider's project) or projects/<project>/secrets/<id>.
_SECRET_ID = r"[A-Za-z0-9_-]{1,255}"
_SECRET_REFERENCE = re.compile(rf"^(projects/([a-z][-a-z0-9]{{4,28}}[a-z0-9]|[0-9]{{1,20}})/secrets/)?{_SECRET_ID}$")
INT32_MAX = 2**31 - 1
"""Kubernetes counts (replicas, ports) and most Google API integers are int32."""
FIELD_RULE = "field_rule"
"""The error type of a rule across fields of one model, reported at the field to change."""


class Model(BaseModel):
    """Base of every environment model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def field_error(field: str | tuple[str | int, ...], message: str) -> PydanticCustomError:
    """An error for a rule across fields of one model, to be reported at ``field`` rather than the model."""
    path = (field,) if isinstance(field, str) else field
    return PydanticCustomError(FIELD_RULE, "{message}", {"message": message, "field": path})


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.fullmatch(value):
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
    if not _PROJECT_ID.fullmatch(value):
        raise ValueError(
            "must be a Google Cloud project id: 6-30 characters, lowercase letters, digits and '-', "
            "starting with a letter"
        )
    return value


def _region(value: str) -> str:
    if not _REGION.fullmatch(value):
        raise ValueError("must be a Google Cloud region such as europe-west1")
    return value


def _zone(value: str) -> str:
    if not _ZONE.fullmatch(value):
        raise ValueError("must be a Google Cloud zone such as europe-west1-b")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("must be an email address such as ray-team-a@example.com")
    return value


def _label_value(value: str) -> str:
    if not _LABEL_VALUE.fullmatch(value):
        raise ValueError("must be a Google Cloud label value: at most 63 lowercase letters, digits, '-' or '_'")
    return value


def _qualified_name(value: str, what: str) -> str:
    prefix, slash, name = value.rpartition("/")
    if not name or len(name) > 63 or not _K8S_NAME.fullmatch(name):
        raise ValueError(
            f"must be a Kubernetes {what}: an optional DNS subdomain prefix and '/', then a name of 1-63 "
            "letters, digits, '-', '_' or '.', starting and ending with a letter or digit, such as "
            "example.com/pool or workload"
        )
    if slash and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        raise ValueError(
            f"must be a Kubernetes {what}: the prefix before '/' must be a lowercase DNS subdomain of at "
            "most 253 characters, such as example.com"
        )
    return value


def _node_label_key(value: str) -> str:
    _qualified_name(value, "label key")
    prefix = value.rpartition("/")[0]
    kubernetes = prefix.endswith(("kubernetes.io", "k8s.io"))
    kubelet = any(prefix == ns or prefix.endswith("." + ns) for ns in _KUBELET_LABEL_NAMESPACES)
    if kubernetes and not kubelet and value not in _KUBELET_LABELS:
        raise ValueError(
            "is in the kubernetes.io or k8s.io namespace, which the kubelet refuses on a node (it would never "
            "register); allowed there: node.kubernetes.io/ and kubelet.kubernetes.io/ keys; use your own "
            "prefix, such as example.com/"
        )
    return value


def _taint_key(value: str) -> str:
    return _qualified_name(value, "taint key")


def _k8s_label_value(value: str) -> str:
    if len(value) > 63 or (value and not _K8S_NAME.fullmatch(value)):
        raise ValueError(
            "must be a Kubernetes label value: empty, or at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return value


def _rfc3339(value: str) -> str:
    try:
        if not _RFC3339.fullmatch(value):
            raise ValueError
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            "must be an RFC 3339 time with its zone, such as 2026-01-03T02:00:00Z or 2026-01-03T03:00:00+01:00"
        ) from None
    return value


def parse_time(value: str) -> datetime:
    """An Rfc3339Time as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _secret_reference(value: str) -> str:
    if not _SECRET_REFERENCE.fullmatch(value):
        raise ValueError(
            "must be a Secret Manager secret: its id (1-255 letters, digits, '-' or '_') in the cluster "
            "project, or projects/<project id or number>/secrets/<id>"
        )
    return value


def validated_text(validator: Any, pattern: str, **schema: Any) -> tuple[AfterValidator, WithJsonSchema]:
    """A validator with readable messages, and the JSON Schema that says as much of it as a pattern can."""
    return AfterValidator(validator), WithJsonSchema({"type": "string", "pattern": pattern, **schema})


DnsLabel = Annotated[str, *validated_text(_dns_label, _DNS_LABEL.pattern, maxLength=63)]
Cidr = Annotated[str, *validated_text(_cidr, _CIDR_SHAPE)]
ProjectId = Annotated[str, *validated_text(_project_id, _PROJECT_ID.pattern)]
Region = Annotated[str, *validated_text(_region, _REGION.pattern)]
Zone = Annotated[str, *validated_text(_zone, _ZONE.pattern)]
Email = Annotated[str, *validated_text(_email, _EMAIL.pattern, format="email")]
LabelValue = Annotated[str, *validated_text(_label_value, _LABEL_VALUE.pattern)]
NodeLabelKey = Annotated[str, *validated_text(_node_label_key, _QUALIFIED_NAME_SHAPE, maxLength=317)]
TaintKey = Annotated[str, *validated_text(_taint_key, _QUALIFIED_NAME_SHAPE, maxLength=317)]
KubernetesLabelValue = Annotated[str, *validated_text(_k8s_label_value, _K8S_LABEL_VALUE_SHAPE, maxLength=63)]
Rfc3339Time = Annotated[str, *validated_text(_rfc3339, _RFC3339.pattern, format="date-time")]
SecretReference = Annotated[str, *validated_text(_secret_reference, _SECRET_REFERENCE.pattern)]
OrganizationId = Annotated[str, Field(pattern=r"^[0-9]{6,20}$")]


def zone_region(zone: str) -> str:
    """The region a zone belongs to."""
    match = _ZONE.fullmatch(zone)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class Problem:
    """A rule that spans several fields, broken at ``path``; the message says what is allowed."""

    path: tuple[str | int, ...]
    value: Any
    message: str
