"""Rules of the network that span several fields of the environment."""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.environment import Environment
from rayfort.config.network import HOST_OWNED_SETTINGS, MAX_NAME_PREFIX, perimeter_problems


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    net = env.network
    found: list[Problem] = []
    if len(env.cluster.name) > MAX_NAME_PREFIX:
        found.append(
            Problem(
                ("cluster", "name"),
                env.cluster.name,
                f"is too long to prefix the network's resource names (at most 63 characters with suffixes "
                f"such as -allow-egress-google-apis); allowed: at most {MAX_NAME_PREFIX} characters",
            )
        )
    if net.shared_vpc is not None:
        if net.shared_vpc.host_project_id == env.project_id:
            found.append(
                Problem(
                    ("network", "shared_vpc", "host_project_id"),
                    net.shared_vpc.host_project_id,
                    "is the cluster project itself; allowed: a separate Shared VPC host project",
                )
            )
        found += [
            Problem(
                ("network", setting),
                getattr(net, setting),
                "is decided by the Shared VPC host project's network team, not here; remove it or drop shared_vpc",
            )
            for setting in HOST_OWNED_SETTINGS
            if setting in net.model_fields_set
        ]
    found += perimeter_problems(net.service_controls)
    return found
