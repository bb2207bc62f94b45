"""Combinations from which Terraform cannot reach the control plane, or the perimeter cannot admit it."""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.deployer import NETWORK_SOURCE, PROJECT_SOURCE, RESOURCE_PREFIXES
from rayfort.config.derived import control_plane_access
from rayfort.config.environment import Environment
from rayfort.config.state import CloudState


def problems(env: Environment) -> list[Problem]:
    """Combinations from which Terraform cannot reach the control plane, or the perimeter cannot admit it."""
    deployer = env.deployer
    base = ("deployer",)
    found: list[Problem] = []
    access = control_plane_access(env)
    if deployer.runs_in == "outside" and access == "internal_ip":
        found.append(
            Problem(
                ("cluster", "control_plane_access"),
                access,
                "cannot be reached by Terraform running outside the VPC (deployer.runs_in: outside): the internal "
                "IP endpoint answers only the VPC and networks connected to it; allowed: dns_endpoint or "
                "connect_gateway (or leave it out to derive dns_endpoint), or run Terraform in the VPC or on premises",
            )
        )
    if access == "internal_ip" and deployer.runs_in == "on_premises" and not deployer.source_ranges:
        found.append(
            Problem(
                (*base, "source_ranges"),
                [],
                "is required for a runner on premises reaching the internal IP endpoint: the control plane admits "
                "only authorized networks; allowed: the runner's on-premises ranges",
            )
        )
    if deployer.runs_in == "outside":
        found += [
            Problem(
                (*base, field),
                getattr(deployer, field),
                "applies only to a runner in the VPC or on premises, which reaches the internal IP endpoint; "
                "remove it, or set runs_in",
            )
            for field in ("source_ranges", "region")
            if field in deployer.model_fields_set and getattr(deployer, field)
        ]
    found += _perimeter_sources(env)
    found += _hosted_runners(env)
    return found


def _hosted_runners(env: Environment) -> list[Problem]:
    """Terraform Cloud without agents runs every plan on hosted runners, which call Google from the internet."""
    controls = env.network.service_controls
    own_enforced = controls.enabled and controls.enforce and controls.join is None
    if not isinstance(env.state, CloudState) or env.state.agent_pool_id is not None:
        return []
    if not own_enforced or env.deployer.access_level_sources:
        return []
    return [
        Problem(
            ("state", "agent_pool_id"),
            None,
            "is required: the enforced perimeter admits Terraform only from private networks "
            "(deployer.perimeter_sources), and Terraform Cloud's hosted runners call Google from public addresses; "
            "allowed: the id of an agent pool in the VPC or on premises (apool-...), or an access level of the "
            "runners' addresses in deployer.perimeter_sources",
        )
    ]


def _perimeter_sources(env: Environment) -> list[Problem]:
    deployer, controls = env.deployer, env.network.service_controls
    levels = {level.name for level in controls.access_levels}
    found = []
    for i, source in enumerate(deployer.perimeter_sources):
        if source.startswith(RESOURCE_PREFIXES):
            if not (PROJECT_SOURCE.match(source) or NETWORK_SOURCE.match(source)):
                found.append(
                    Problem(
                        ("deployer", "perimeter_sources", i),
                        source,
                        "allowed: projects/<project number> or "
                        "//compute.googleapis.com/projects/<project id>/global/networks/<name>",
                    )
                )
        elif source not in levels:
            found.append(
                Problem(
                    ("deployer", "perimeter_sources", i),
                    source,
                    f"is not an access level of network.service_controls.access_levels; allowed: "
                    f"{', '.join(sorted(levels)) or 'none declared'}, or a project or network",
                )
            )
    outside_without_level = deployer.runs_in == "outside" and not deployer.access_level_sources
    if controls.enabled and deployer.service_accounts and outside_without_level:
        found.append(
            Problem(
                ("deployer", "perimeter_sources"),
                deployer.perimeter_sources,
                "must name an access level for a runner outside the VPC: its calls come from public addresses, "
                "which only an access level (ip_subnetworks) matches; declare one in "
                "network.service_controls.access_levels and name it here",
            )
        )
    return found
