"""Ordering: every user of a Cloud KMS key waits for the grants that let its service agent use the key.

Terraform creates what does not depend on each other in parallel: a bucket,
cluster or registry that names a key but not the IAM grant to the service agent
that encrypts with it races the grant, and its first create fails. A user must
depend, directly or transitively, on the grants of its key *in its own stack*;
a grant in a stack deployed earlier is already there. Which grants a user needs
is read from the grant's member: the service agent of the user's Google service
(by resource type). For a resource type this judge has no agent for, every
grant of the key in its stack counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rayfort_tools.judges.deployability.outcome import Outcome
from rayfort_tools.judges.deployability.terraform import Deployment, Stack, walk_strings

CHECK = "ordering"
KEY_TYPES = frozenset({"google_kms_crypto_key"})
KEY_GRANT_TYPES = frozenset(
    {"google_kms_crypto_key_iam_member", "google_kms_crypto_key_iam_binding", "google_kms_crypto_key_iam_policy"}
)
RING_GRANT_TYPES = frozenset(
    {"google_kms_key_ring_iam_member", "google_kms_key_ring_iam_binding", "google_kms_key_ring_iam_policy"}
)

# The service agent (service-PROJECT_NUMBER@<agent>.iam.gserviceaccount.com) that uses a CMEK key for
# resources of these types, longest prefix first. Google Cloud's CMEK documentation of each service.
SERVICE_AGENTS: tuple[tuple[str, frozenset[str]], ...] = (
    ("google_container_cluster", frozenset({"container-engine-robot", "compute-system"})),
    ("google_container_node_pool", frozenset({"compute-system"})),
    ("google_compute_", frozenset({"compute-system"})),
    ("google_storage_", frozenset({"gs-project-accounts"})),
    ("google_redis_", frozenset({"cloud-redis"})),
    ("google_artifact_registry_", frozenset({"gcp-sa-artifactregistry"})),
    ("google_sql_", frozenset({"gcp-sa-cloud-sql"})),
    ("google_secret_manager_", frozenset({"gcp-sa-secretmanager"})),
    ("google_pubsub_", frozenset({"gcp-sa-pubsub"})),
    ("google_bigquery_", frozenset({"bigquery-encryption"})),
    ("google_filestore_", frozenset({"cloud-filer"})),
    ("google_logging_", frozenset({"gcp-sa-logging"})),
)
# Data sources and resources whose email is a service agent's.
_AGENT_IDENTITIES = {
    "google_storage_project_service_account": "gs-project-accounts",
    "google_bigquery_default_service_account": "bigquery-encryption",
    "google_logging_project_cmek_settings": "gcp-sa-logging",
}
_SERVICE_IDENTITY_AGENTS = {
    "artifactregistry.googleapis.com": "gcp-sa-artifactregistry",
    "container.googleapis.com": "container-engine-robot",
    "compute.googleapis.com": "compute-system",
    "pubsub.googleapis.com": "gcp-sa-pubsub",
    "redis.googleapis.com": "cloud-redis",
    "secretmanager.googleapis.com": "gcp-sa-secretmanager",
    "sqladmin.googleapis.com": "gcp-sa-cloud-sql",
    "storage.googleapis.com": "gs-project-accounts",
}
_AGENT_DOMAIN = re.compile(r"@([a-z0-9-]+)\.iam\.gserviceaccount\.com")

Key = tuple[str, str]
"""A key by (stack, address) of the block that creates or reads it, or ("", id) for a key named by its id."""
_KEY_ID = re.compile(r"projects/[^/\s\"$]+/locations/[^/\s\"]+/keyRings/[^/\s\"]+/cryptoKeys/[^/\s\"]+")


def agents_of(resource_type: str) -> frozenset[str] | None:
    for prefix, agents in SERVICE_AGENTS:
        if resource_type.startswith(prefix):
            return agents
    return None


def _keys(stack: Stack, value: object) -> set[Key]:
    """The keys a value names: by reference (through remote state too), or by literal key id."""
    found = {("", key_id) for text in walk_strings(value) for key_id in _KEY_ID.findall(text)}
    for ref in stack.refs(value):
        for origin_stack, origin in stack.origins(ref):
            if origin.type in KEY_TYPES:
                found.add((origin_stack.name, origin.address))
    return found


def _rings(stack: Stack, value: object) -> set[Key]:
    found = set()
    for ref in stack.refs(value):
        for origin_stack, origin in stack.origins(ref):
            if origin.type == "google_kms_key_ring":
                found.add((origin_stack.name, origin.address))
    return found


def _ring_of(deployment: Deployment, key: Key) -> set[Key]:
    if not key[0]:
        return set()
    stack = deployment.stack(key[0])
    return _rings(stack, stack.blocks.get(key[1], {}).get("key_ring"))


def member_agent(stack: Stack, member: object) -> str | None:
    """The service agent a grant's member is, when it is one."""
    if isinstance(member, str) and (match := _AGENT_DOMAIN.search(member)):
        return match.group(1)
    for ref in stack.refs(member):
        for origin_stack, origin in stack.origins(ref):
            if origin.type in _AGENT_IDENTITIES:
                return _AGENT_IDENTITIES[origin.type]
            if origin.type == "google_project_service_identity":
                service = origin_stack.literal(origin_stack.blocks.get(origin.address, {}).get("service"))
                return _SERVICE_IDENTITY_AGENTS.get(service) if isinstance(service, str) else None
    return None


def grants(deployment: Deployment, stack: Stack, key: Key) -> Iterator[tuple[str, str | None]]:
    """(address, service agent) of every grant in ``stack`` on ``key`` or on its key ring."""
    rings = _ring_of(deployment, key)
    for address, body in stack.resources(*KEY_GRANT_TYPES):
        if key in _keys(stack, body.get("crypto_key_id")):
            yield address, member_agent(stack, body.get("member") or body.get("members"))
    for address, body in stack.resources(*RING_GRANT_TYPES):
        if rings & _rings(stack, body.get("key_ring_id")):
            yield address, member_agent(stack, body.get("member") or body.get("members"))


def _is_user(address: str) -> bool:
    resource_type = address.split(".")[0]
    return "_iam_" not in resource_type and not resource_type.startswith("google_kms_")


def check(deployment: Deployment) -> Iterator[Outcome]:
    for stack in deployment.stacks.values():
        for address, body in stack.resources():
            if not _is_user(address):
                continue
            for key in sorted(_keys(stack, body)):
                yield _judge_user(deployment, stack, address, key)


def _judge_user(deployment: Deployment, stack: Stack, address: str, key: Key) -> Outcome:
    agents = agents_of(address.split(".")[0])

    def relevant(agent: str | None) -> bool:
        return agents is None or agent in agents

    key_name = key[1] if key[0] in ("", stack.name) else f"{key[1]} of stack {key[0]}"
    here = [(grant, agent) for grant, agent in grants(deployment, stack, key) if relevant(agent)]
    needed = [grant for grant, _ in here if not stack.depends_on(grant, address)]
    missing = [grant for grant in needed if not stack.depends_on(address, grant)]
    if missing:
        return Outcome(
            CHECK,
            stack.name,
            address,
            f"uses key {key_name} but does not wait for its grant(s) {', '.join(sorted(missing))}: "
            "Terraform creates both at once and the first create fails",
        )
    earlier = [
        grant
        for other in sorted(deployment.earlier(stack.name))
        for grant, agent in grants(deployment, deployment.stack(other), key)
        if relevant(agent)
    ]
    created = bool(key[0]) and not key[1].startswith("data.")
    if not here and not earlier and created:
        wanted = ", ".join(sorted(agents)) if agents else "any principal"
        later = [
            f"{other}/{grant}"
            for other in sorted(set(deployment.stacks) - deployment.earlier(stack.name) - {stack.name})
            for grant, agent in grants(deployment, deployment.stack(other), key)
            if relevant(agent)
        ]
        where = f"; only later or unrelated stacks grant it: {', '.join(later)}" if later else ""
        return Outcome(
            CHECK,
            stack.name,
            address,
            f"uses key {key_name}, which no grant to its service agent ({wanted}) in this or an earlier stack "
            f"lets it use{where}",
        )
    return Outcome(CHECK, stack.name, address)
