"""The value types at their edges: lengths, anchors, trailing junk, and the message each refusal gives.

Names become resource names, labels and Kubernetes objects; an email becomes an
IAM member. A pattern that lets trailing junk through (a newline after the
name, a second address after the email) hands it to Terraform or the API server,
which refuse it at apply instead of at load, without a line number.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from rayfort.config._types import (
    Problem,
    _cidr,
    _dns_label,
    _email,
    _k8s_label_value,
    _label_value,
    _node_label_key,
    _project_id,
    _region,
    _rfc3339,
    _secret_reference,
    _taint_key,
    _zone,
    parse_time,
    zone_region,
)

TRAILING_JUNK = ("\n", " ", "\t", "x!", "\n\n", "\r\n")


def _refused(validator, value: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        validator(value)
    assert message in str(refused.value), str(refused.value)


@pytest.mark.parametrize(
    ("validator", "valid", "message"),
    [
        (_dns_label, "team-a", "must be a DNS-1123 label"),
        (_project_id, "proj-123", "must be a Google Cloud project id"),
        (_region, "europe-west1", "must be a Google Cloud region such as europe-west1"),
        (_zone, "europe-west1-b", "must be a Google Cloud zone such as europe-west1-b"),
        (_email, "ray-team-a@example.com", "must be an email address such as ray-team-a@example.com"),
        (_label_value, "cc-0001", "must be a Google Cloud label value"),
        (_k8s_label_value, "v1.2", "must be a Kubernetes label value"),
        (_node_label_key, "example.com/pool", "must be a Kubernetes label key"),
        (_taint_key, "example.com/gpu", "must be a Kubernetes taint key"),
        (_rfc3339, "2026-01-03T02:00:00Z", "must be an RFC 3339 time with its zone"),
        (_secret_reference, "projects/proj-123/secrets/oauth", "must be a Secret Manager secret"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_a_valid_value_passes_and_trailing_junk_is_refused(validator, valid: str, message: str) -> None:
    assert validator(valid) == valid
    for junk in TRAILING_JUNK:
        _refused(validator, valid + junk, message)
        _refused(validator, junk.strip("\n") + "\n" + valid if junk.strip() else "\n" + valid, message)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("a", True), ("a" * 63, True), ("a" * 64, False), ("a-b-1", True), ("1a", False), ("a-", False),
     ("-a", False), ("A", False), ("a_b", False), ("", False)],
)  # fmt: skip
def test_dns_labels(value: str, ok: bool) -> None:
    if ok:
        assert _dns_label(value) == value
    else:
        _refused(_dns_label, value, "at most 63 characters")


@pytest.mark.parametrize(
    ("value", "ok"),
    [("a1234b", True), ("a" + "b" * 28 + "c", True), ("a123b", False), ("a" + "b" * 29 + "c", False),
     ("proj-12-", False), ("1proj-123", False), ("Proj-123", False)],
)  # fmt: skip
def test_project_ids(value: str, ok: bool) -> None:
    if ok:
        assert _project_id(value) == value
    else:
        _refused(_project_id, value, "6-30 characters")


def test_regions_zones_and_the_region_of_a_zone() -> None:
    assert _region("us-central1") == "us-central1" and _zone("us-central1-a") == "us-central1-a"
    for bad in ("us-central", "US-central1", "us-central1-a"):
        _refused(_region, bad, "region")
    for bad in ("us-central1", "us-central1-ab", "us-central1-"):
        _refused(_zone, bad, "zone")
    assert zone_region("europe-west1-b") == "europe-west1"
    assert zone_region("europe-west1") == "" and zone_region("europe-west1-b\n") == ""


@pytest.mark.parametrize(
    "value",
    ["a@b", "a b@example.com", "a@example.com b@example.com", "a@example.c", "@example.com", "a@@example.com",
     "a@example.COM", "a@example.com,b@example.com"],
)  # fmt: skip
def test_emails_that_are_not_one_address_are_refused(value: str) -> None:
    _refused(_email, value, "email address")


def test_google_label_values() -> None:
    assert _label_value("") == "" and _label_value("a" * 63) == "a" * 63 and _label_value("a_b-1") == "a_b-1"
    for bad in ("a" * 64, "A", "a.b", "a/b"):
        _refused(_label_value, bad, "at most 63 lowercase letters")


def test_cidrs_are_normalized_and_host_bits_refused() -> None:
    assert _cidr("10.0.0.0/8") == "10.0.0.0/8" and _cidr("10.1.2.3/32") == "10.1.2.3/32"
    assert _cidr("192.168.0.0") == "192.168.0.0/32"
    _refused(_cidr, "10.0.0.1/8", "must be an IPv4 CIDR range with no host bits set, like 10.0.0.0/20 (")
    _refused(_cidr, "10.0.0.0/33", "no host bits set")
    _refused(_cidr, "fd00::/8", "IPv4")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("workload", True),
        ("example.com/" + "a" * 63, True),
        ("example.com/" + "a" * 64, False),
        ("example.com/", False),
        ("Example.com/a", False),
        ("a" * 253 + "/k", True),
        ("a" * 254 + "/k", False),
        ("a.b/c.d_e-F", True),
        ("a/-b", False),
        ("/b", False),
    ],
)
def test_kubernetes_qualified_names(value: str, ok: bool) -> None:
    if ok:
        assert _taint_key(value) == value
    else:
        _refused(_taint_key, value, "must be a Kubernetes taint key")


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("example.com/pool", True),
        ("node.kubernetes.io/pool", True),
        ("team.node.kubernetes.io/pool", True),
        ("kubelet.kubernetes.io/x", True),
        ("kubernetes.io/hostname", True),
        ("topology.kubernetes.io/zone", True),
        ("kubernetes.io/pool", False),
        ("team.kubernetes.io/pool", False),
        ("k8s.io/pool", False),
        ("team.k8s.io/pool", False),
        ("node.kubernetes.io.evil.com/pool", True),
        ("topology.kubernetes.io/rack", False),
    ],
)
def test_node_label_keys_the_kubelet_refuses(key: str, ok: bool) -> None:
    if ok:
        assert _node_label_key(key) == key
    else:
        _refused(_node_label_key, key, "which the kubelet refuses on a node")


def test_kubernetes_label_values() -> None:
    assert _k8s_label_value("") == "" and _k8s_label_value("a" * 63) == "a" * 63
    for bad in ("a" * 64, "-a", "a-", "a b"):
        _refused(_k8s_label_value, bad, "empty, or at most 63")


def test_times_carry_their_zone() -> None:
    assert _rfc3339("2026-01-03T03:00:00+01:00") == "2026-01-03T03:00:00+01:00"
    assert _rfc3339("2026-01-03T03:00:00.123456789Z") == "2026-01-03T03:00:00.123456789Z"
    for bad in ("2026-01-03T02:00:00", "2026-13-03T02:00:00Z", "2026-01-03 02:00:00Z", "2026-02-30T02:00:00Z"):
        _refused(_rfc3339, bad, "such as 2026-01-03T02:00:00Z")
    assert parse_time("2026-01-03T02:00:00Z") == datetime(2026, 1, 3, 2, tzinfo=UTC)
    assert parse_time("2026-01-03T03:00:00+01:00").utcoffset() == timedelta(hours=1)
    assert parse_time("2026-01-03T03:00:00+01:00").tzinfo == timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("value", "ok"),
    [("oauth", True), ("a" * 255, True), ("a" * 256, False), ("projects/123456/secrets/s", True),
     ("projects/proj-123/secrets/s_1-x", True), ("projects/Proj/secrets/s", False), ("projects/p/secrets/s", False),
     ("projects/proj-123/secrets/", False), ("secrets/s", False), ("o/a", False)],
)  # fmt: skip
def test_secret_references(value: str, ok: bool) -> None:
    if ok:
        assert _secret_reference(value) == value
    else:
        _refused(_secret_reference, value, "projects/<project id or number>/secrets/<id>")


def test_a_problem_is_an_immutable_value() -> None:
    problem = Problem(("tenants", 0, "name"), "x", "must be unique")
    with pytest.raises(AttributeError):
        problem.message = "fine"  # type: ignore[misc]
    assert problem == Problem(("tenants", 0, "name"), "x", "must be unique")
