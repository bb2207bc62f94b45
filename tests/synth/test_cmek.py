"""Customer-managed keys across every stack: each user waits for its service agent's grant, each key rotates as asked.

The ordering check reads the synthesized JSON as Terraform does (references and
``depends_on`` inside one stack), so it holds for every key user, present or future:
a resource that names a key must reach, through a ``time_sleep``, the grant of that
key to the service agent that encrypts for it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest

from rayfort.config import Environment
from rayfort.kms import IAM_PROPAGATION, SECONDS_PER_DAY
from tests.conftest import SHIPPED, environment, resources

GRANT_TYPES = ("google_kms_crypto_key_iam_member", "google_kms_crypto_key_iam_binding")
KEY_ID = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")
ADDRESS = re.compile(r"(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+")
# Which service agent encrypts for each key user, by resource type and the attribute naming the key.
AGENTS = {
    ("google_container_cluster", "database_encryption"): "@container-engine-robot.iam.gserviceaccount.com",
    ("google_container_cluster", "boot_disk_kms_key"): "@compute-system.iam.gserviceaccount.com",
    ("google_container_node_pool", "boot_disk_kms_key"): "@compute-system.iam.gserviceaccount.com",
    ("google_storage_bucket", "default_kms_key_name"): "data.google_storage_project_service_account.",
    ("google_redis_instance", "customer_managed_key"): "@cloud-redis.iam.gserviceaccount.com",
    ("google_artifact_registry_repository", "kms_key_name"): "@gcp-sa-artifactregistry.iam.gserviceaccount.com",
    ("google_logging_project_bucket_config", "cmek_settings"): "data.google_logging_project_cmek_settings.",
}


def _strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "//":
                yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)
    elif isinstance(value, str):
        yield path, value


def _key_of(value: str, keys: set[str]) -> str | None:
    """The key a string names: the address of a key of this stack, or an existing key's id."""
    if KEY_ID.match(value):
        return value
    return next((key for key in keys if f"{key}." in value), None)


def ordering_problems(stack: dict) -> list[str]:
    """Every key user of one stack that does not wait, through a time_sleep, for its agent's grant on its key."""
    bodies = {
        f"{prefix}{kind}.{name}": body
        for section, prefix in (("resource", ""), ("data", "data."))
        for kind, named in stack.get(section, {}).items()
        for name, body in named.items()
    }
    edges = {
        address: {
            ref for _, text in _strings(body) for ref in ADDRESS.findall(text) if ref in bodies and ref != address
        }
        for address, body in bodies.items()
    }
    keys = {address for address in bodies if address.startswith("google_kms_crypto_key.")}
    grants = [
        (address, _key_of(body["crypto_key_id"], keys), str(body.get("member", body.get("members"))))
        for address, body in bodies.items()
        if address.split(".")[0] in GRANT_TYPES
    ]

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    problems = []
    for address, body in bodies.items():
        kind = address.split(".")[0]
        if kind in (*GRANT_TYPES, "google_kms_crypto_key") or address.startswith("data."):
            continue
        for path, text in _strings(body):
            key = _key_of(text, keys)
            if key is None or path[0] == "depends_on":
                continue
            agent = next((a for (k, attribute), a in AGENTS.items() if k == kind and attribute in path), None)
            if agent is None:
                problems.append(f"{address} uses {key} at {'.'.join(path)}: which service agent encrypts for it?")
                continue
            waited = reachable(address)
            sleeps = [s for s in waited if s.startswith("time_sleep.")]
            good = [g for g, k, member in grants if k == key and agent in member]
            if not good:
                problems.append(f"{address}: no grant of {key} to {agent}")
            elif not any(g in reachable(s) for s in sleeps for g in good):
                problems.append(f"{address} does not wait, through a time_sleep, for {good} ({'.'.join(path)})")
    return problems


@pytest.mark.parametrize("name", SHIPPED)
def test_every_key_user_waits_for_its_service_agents_grant(synthesized, name: str) -> None:
    users = 0
    for stack_id, stack in synthesized[name].items():
        assert ordering_problems(stack) == [], stack_id
        users += sum(1 for _ in _key_users(stack))
    assert users >= 4  # cluster, pool(s), buckets, Redis (and the mirror's repositories when air-gapped)


def _key_users(stack: dict) -> Iterator[str]:
    for kind, named in stack.get("resource", {}).items():
        for name, body in named.items():
            if kind not in GRANT_TYPES and any(
                "google_kms_crypto_key." in text or KEY_ID.match(text) for _, text in _strings(body)
            ):
                yield f"{kind}.{name}"


@pytest.mark.parametrize(
    ("stack_id", "stripped", "found"),
    [
        ("gke", ("google_container_cluster",), "google_container_cluster"),
        # A pool references its cluster, so it waits through it until neither waits.
        ("gke", ("google_container_cluster", "google_container_node_pool"), "google_container_node_pool"),
        ("tenant-team-a", ("google_redis_instance",), "google_redis_instance"),
        ("tenant-team-a", ("google_storage_bucket",), "google_storage_bucket"),
    ],
)
def test_a_user_that_does_not_wait_is_found(synthesized, stack_id: str, stripped: tuple[str, ...], found: str) -> None:
    stack = copy.deepcopy(synthesized["dev"][stack_id])
    for user_type in stripped:
        for body in stack["resource"][user_type].values():
            body.pop("depends_on")
    assert any(problem.startswith(found) and "does not wait" in problem for problem in ordering_problems(stack))


def test_a_user_that_waits_for_the_grant_but_not_for_its_propagation_is_found(synthesized) -> None:
    stack = copy.deepcopy(synthesized["dev"]["tenant-team-a"])
    [(grant, _)] = [(n, b) for n, b in stack["resource"]["google_kms_crypto_key_iam_member"].items() if "storage" in n]
    for body in stack["resource"]["google_storage_bucket"].values():
        body["depends_on"] = [f"google_kms_crypto_key_iam_member.{grant}"]
    assert any("does not wait, through a time_sleep" in problem for problem in ordering_problems(stack))


def test_a_grant_to_the_wrong_agent_is_found(synthesized) -> None:
    stack = copy.deepcopy(synthesized["dev"]["gke"])
    for grant in stack["resource"]["google_kms_crypto_key_iam_member"].values():
        grant["member"] = grant["member"].replace("compute-system", "container-engine-robot")
    assert any("no grant" in problem and "compute-system" in problem for problem in ordering_problems(stack))


@pytest.mark.parametrize("name", SHIPPED)
def test_grants_wait_for_iam_propagation(synthesized, name: str) -> None:
    sleeps = [s for stack in synthesized[name].values() for s in resources(stack, "time_sleep")]
    assert sleeps and all(s["create_duration"] == IAM_PROPAGATION for s in sleeps)


def _keys(stacks: dict[str, dict]) -> dict[str, list[str]]:
    return {
        stack_id: [key["rotation_period"] for key in resources(stack, "google_kms_crypto_key")]
        for stack_id, stack in stacks.items()
    }


@pytest.mark.parametrize("name", SHIPPED)
def test_every_kms_key_follows_rotation_days(synthesized, name: str) -> None:
    created = environment(name).cluster.kms.create
    assert created is not None
    periods = _keys(synthesized[name])
    assert {p for stack in periods.values() for p in stack} == {f"{created.rotation_days * SECONDS_PER_DAY}s"}
    assert periods["gke"] and all(periods[s] for s in periods if s.startswith("tenant-"))


def test_every_kms_key_follows_a_changed_rotation_days(synth_env) -> None:
    data = environment("airgapped").model_dump(mode="json", exclude_unset=True)
    data["cluster"]["kms"] = {"create": {"rotation_days": 30}}
    periods = _keys(synth_env(Environment.model_validate(data)))
    # The cluster's keys, the audit bucket's key, the mirror's key and the tenant's key, each rotating every 30 days.
    assert periods == {
        "network": [],
        "audit": ["2592000s"],
        "mirror": ["2592000s"],
        "gke": ["2592000s", "2592000s"],
        "kuberay": [],
        "tenant-research": ["2592000s"],
        "exposure": [],
    }


def test_users_of_existing_keys_wait_for_their_grants_too(synth_env) -> None:
    data = environment("prod").model_dump(mode="json", exclude_unset=True)
    ring = "projects/rayfort-prod-kms-000000/locations/europe-west4/keyRings/platform/cryptoKeys"
    data["cluster"]["kms"] = {
        "create": None,
        "existing": {"boot_disk_key": f"{ring}/boot", "secrets_key": f"{ring}/etcd"},
    }
    data["tenants"] = []  # tenants get keys of their own, which rayfort creates only with kms.create
    data["registry_mirror"]["kms_key"] = f"{ring}/registry"  # the mirror then takes a key of its own too
    gke = synth_env(Environment.model_validate(data))["gke"]
    assert "google_kms_crypto_key" not in gke["resource"]
    assert {g["crypto_key_id"] for g in resources(gke, "google_kms_crypto_key_iam_member")} == {
        f"{ring}/boot",
        f"{ring}/etcd",
    }
    assert ordering_problems(gke) == []
