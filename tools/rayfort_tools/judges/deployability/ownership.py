"""One owner per object: no cloud object is managed by two resources, in one stack or in two.

Terraform assumes the object a resource manages is its own. With two owners the
second create answers 409 (a service account, a firewall rule), an authoritative
resource undoes the other's change on every apply (an audit config, a role
binding), or destroying one stack removes what another still relies on (an
enabled API, a grant). Objects are identified by the attributes their API keys
them by; a part Terraform computes only at apply time is compared as written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rayfort_tools.judges.deployability.outcome import Outcome
from rayfort_tools.judges.deployability.terraform import UNKNOWN, Deployment, Stack

CHECK = "ownership"

IDENTITIES: dict[str, tuple[str, ...]] = {
    "google_project_service": ("project", "service"),
    "google_project_iam_audit_config": ("project", "service"),
    "google_project_iam_binding": ("project", "role"),
    "google_project_iam_member": ("project", "role", "member"),
    "google_project_iam_custom_role": ("project", "role_id"),
    "google_service_account": ("project", "account_id"),
    "google_kms_key_ring": ("project", "location", "name"),
    "google_kms_crypto_key_iam_binding": ("crypto_key_id", "role"),
    "google_kms_crypto_key_iam_member": ("crypto_key_id", "role", "member"),
    "google_compute_firewall": ("project", "name"),
    "google_compute_network": ("project", "name"),
    "google_compute_router": ("project", "region", "name"),
    "google_dns_managed_zone": ("project", "name"),
    "google_storage_bucket": ("name",),
    "google_artifact_registry_repository": ("project", "location", "repository_id"),
}
"""Resource type: the attributes that name its object (what a second create would collide on)."""


def _part(stack: Stack, address: str, body: dict, name: str) -> Any:
    known = stack.literal(body.get(name), address)
    if known is UNKNOWN:
        # Known only at apply time: the same expression over the same instances names the same object.
        return ("as written in", stack.name, repr(body.get(name)), repr(body.get("for_each")), repr(body.get("count")))
    return repr(known)


def identity(stack: Stack, resource_type: str, address: str, body: dict) -> tuple[Any, ...]:
    return (resource_type, *(_part(stack, address, body, name) for name in IDENTITIES[resource_type]))


def check(deployment: Deployment) -> Iterator[Outcome]:
    owners: dict[tuple[Any, ...], tuple[str, str]] = {}
    # In deploy order (a stack has more stacks before it than any of its dependencies): the later owner fails.
    for stack in sorted(deployment.stacks.values(), key=lambda s: (len(deployment.earlier(s.name)), s.name)):
        for address, body in stack.resources(*IDENTITIES):
            key = identity(stack, address.split(".")[0], address, body)
            first = owners.setdefault(key, (stack.name, address))
            problem = None
            if first != (stack.name, address):
                problem = (
                    f"manages the same object as {first[0]}/{first[1]} ({', '.join(str(p) for p in key[1:])}): "
                    "two owners fight over it, or destroying one removes what the other relies on"
                )
            yield Outcome(CHECK, stack.name, address, problem)
