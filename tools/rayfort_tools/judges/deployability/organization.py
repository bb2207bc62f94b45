"""Organization singletons: resources an organization has at most one of, which a deployment must not create.

An organization-level access policy (no ``scopes``) exists at most once per
organization: where VPC Service Controls are already in use, creating one
answers 409, and it needs organization-admin rights anyway. A scoped policy
(a folder or project in ``scopes``) or an existing policy's id is deployable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rayfort_tools.judges.deployability.outcome import Outcome
from rayfort_tools.judges.deployability.terraform import Deployment, Stack

CHECK = "singletons"


@dataclass(frozen=True)
class Singleton:
    resource_type: str
    is_singleton: Callable[[Stack, str, dict], bool]
    why: str


def _organization_access_policy(stack: Stack, address: str, body: dict) -> bool:
    parent = stack.literal(body.get("parent"), address)
    parent_text = parent if isinstance(parent, str) else str(body.get("parent", ""))
    return parent_text.startswith("organizations/") and not body.get("scopes")


ORGANIZATION_SINGLETONS = (
    Singleton(
        "google_access_context_manager_access_policy",
        _organization_access_policy,
        "an organization has at most one organization-level access policy: creating it fails (409) wherever VPC "
        "Service Controls are in use, and needs organization-admin rights; use an existing policy or a scoped one",
    ),
)


def check(deployment: Deployment) -> Iterator[Outcome]:
    for stack in deployment.stacks.values():
        for singleton in ORGANIZATION_SINGLETONS:
            for address, body in stack.resources(singleton.resource_type):
                problem = singleton.why if singleton.is_singleton(stack, address, body) else None
                yield Outcome(CHECK, stack.name, address, problem)
