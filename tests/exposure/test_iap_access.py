"""Tenant A's IAP grant admits A's groups to A's host and to no other tenant's host.

The grants are read back from the synthesized JSON and their IAM conditions
evaluated against request hosts. The evaluator understands exactly the CEL
rayfort emits (``request.host == "<host>"``); anything else, or a grant with
no condition at all (project-wide), counts as admitting every host, so such a
grant fails these tests.
"""

from __future__ import annotations

import json
import re

import pytest

from rayfort.config.derived import dashboard_host
from rayfort.exposure.iap_access import ACCESSOR_ROLE, host_condition
from tests.conftest import resources
from tests.exposure.conftest import exposure_environment

_HOST_EQUALS = re.compile(r'^request\.host == ("(?:[^"\\]|\\.)*")$')
PUBLISHING = ("dev", "prod", "gateway", "ingress")


def admits(grant: dict, host: str) -> bool:
    """Whether IAP would let the grant's member through for a request to ``host``."""
    condition = grant.get("condition")
    if not condition:
        return True
    match = _HOST_EQUALS.match(condition.get("expression", ""))
    if match is None:
        return True
    return json.loads(match.group(1)) == host


def _grants(stack: dict) -> list[dict]:
    return [g for g in resources(stack, "google_iap_web_iam_member") if g["role"] == ACCESSOR_ROLE]


def test_the_evaluator_treats_an_unconditioned_grant_as_project_wide() -> None:
    project_wide = {"role": ACCESSOR_ROLE, "member": "group:a@example.com"}
    assert admits(project_wide, "team-b.ray.example.com")
    unknown = {**project_wide, "condition": {"expression": 'request.host.startsWith("team")'}}
    assert admits(unknown, "team-b.ray.example.com")
    scoped = {**project_wide, "condition": {"expression": host_condition("team-a.ray.example.com")}}
    assert admits(scoped, "team-a.ray.example.com")
    assert not admits(scoped, "team-b.ray.example.com")
    assert not admits(scoped, "team-a.ray.example.com.evil.example")


@pytest.mark.parametrize("name", PUBLISHING)
def test_each_tenants_groups_reach_only_their_own_host(published_stacks, name: str) -> None:
    env = exposure_environment(name)
    published = [t for t in env.tenants if t.exposure.iap.enabled]
    hosts = {t.name: dashboard_host(env, t) for t in published}
    grants = _grants(published_stacks[name])
    assert grants
    for tenant in published:
        members = {f"group:{g}" for g in tenant.groups.developers}
        own = [g for g in grants if g["member"] in members]
        assert {g["member"] for g in own} == members
        for grant in own:
            assert admits(grant, hosts[tenant.name])
            for other, host in hosts.items():
                if other != tenant.name:
                    assert not admits(grant, host), f"{grant['member']} of {tenant.name} admitted to {other}'s {host}"


def test_two_tenants_are_published_so_isolation_is_actually_exercised(published_stacks) -> None:
    for name in ("gateway", "ingress"):
        hosts = {g["condition"]["expression"] for g in _grants(published_stacks[name])}
        assert len(hosts) == 2


def test_viewers_and_other_tenants_get_no_iap_grant(published_stacks) -> None:
    env = exposure_environment("dev")
    viewers = {f"group:{g}" for t in env.tenants for g in t.groups.viewers}
    unpublished = {f"group:{g}" for t in env.tenants if not t.exposure.iap.enabled for g in t.groups.developers}
    members = {g["member"] for g in _grants(published_stacks["dev"])}
    assert viewers and unpublished
    assert not members & (viewers | unpublished)


@pytest.mark.parametrize("name", PUBLISHING)
def test_no_iap_brand_or_client_and_no_project_wide_grant(published_stacks, name: str) -> None:
    stack = published_stacks[name]
    assert not {"google_iap_brand", "google_iap_client"} & set(stack["resource"])
    assert not [g for g in resources(stack, "google_project_iam_member") if g["role"].startswith("roles/iap.")]
    assert all(g.get("condition") for g in resources(stack, "google_iap_web_iam_member"))
