"""Rules about what an environment leaves out, which no single resource shows.

A perimeter that was never created, or a Ray cluster run without token auth by
Deployments instead of a RayCluster, has no resource for a resource rule to
inspect; these rules read the environment and are waived like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rayfort.config import Environment


@dataclass(frozen=True)
class EnvironmentRule:
    """One control decided by the environment, reported at a construct path."""

    id: str
    title: str
    control: str
    attribute: str
    findings: Callable[[Environment], Iterator[tuple[str, str]]]
    """(construct path, what is wrong) for every place the control is off."""


def _perimeter(env: Environment) -> Iterator[tuple[str, str]]:
    if not env.network.service_controls.enabled:
        yield "network/perimeter", "network.service_controls.enabled is false: no VPC Service Controls perimeter"


def _operatorless_token_auth(env: Environment) -> Iterator[tuple[str, str]]:
    for tenant in env.tenants:
        if tenant.ray_runtime == "plain" and not tenant.token_auth:
            yield (
                f"tenant-{tenant.name}/ray",
                f"tenants[{tenant.name}].token_auth is false: anyone who reaches the head can run code",
            )


ENVIRONMENT_RULES: tuple[EnvironmentRule, ...] = (
    EnvironmentRule(
        "RF021",
        "VPC Service Controls perimeter",
        "Google security foundations",
        "network.service_controls.enabled",
        _perimeter,
    ),
    # RayClusters are covered by RF013 on the resource itself; Deployments carry no auth field to inspect.
    EnvironmentRule(
        "RF022",
        "Ray token authentication (operatorless tenants)",
        "rayfort (CVE-2023-48022)",
        "tenants[].token_auth",
        _operatorless_token_auth,
    ),
)
