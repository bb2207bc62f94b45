"""Who runs Terraform, and from where: the perimeter must admit it, and the control plane must be reachable.

Where Terraform runs decides how it reaches the private control plane:

- ``vpc``: inside the cluster's VPC (or its Shared VPC), through the internal IP endpoint;
- ``on_premises``: over Cloud Interconnect or Cloud VPN, through the internal IP endpoint. The endpoint
  sits in Google's VPC, peered with ours: it answers on-premises addresses only when our VPC exports its
  custom (learned) routes to that peering, and callers from another region only with global access;
- ``outside``: anywhere else (Terraform Cloud's hosted runners, a laptop), through the DNS endpoint, which
  IAM and the enforced perimeter guard (the internal IP endpoint is unreachable from there).
Sources: GKE, "Customize your network isolation" (access to the control plane's private endpoint from
on-premises: export the peering's custom routes; global access); GKE, "About DNS-based endpoint".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from rayfort.config._types import Cidr, Email, Model, Problem, Region

if TYPE_CHECKING:
    from rayfort.config.environment import Environment

RunnerLocation = Literal["vpc", "on_premises", "outside"]
ControlPlaneAccess = Literal["internal_ip", "dns_endpoint", "connect_gateway"]
# Ingress sources of a private network: its project, or the network itself (Access Context Manager API,
# IngressSource.resource: "projects/{project_number}" or
# "//compute.googleapis.com/projects/{id}/global/networks/{name}").
PROJECT_SOURCE = re.compile(r"^projects/[0-9]+$")
_RESOURCE_PREFIXES = ("projects/", "//")
NETWORK_SOURCE = re.compile(
    r"^//compute\.googleapis\.com/projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/global/networks/[-a-z0-9]+$"
)


class Deployer(Model):
    """The identity Terraform runs as and where it runs; the control plane access follows from it."""

    service_accounts: list[Email] = []
    """Service accounts Terraform runs as (with make bootstrap: one per workspace); an enforced perimeter
    admits them through an ingress policy."""
    runs_in: RunnerLocation = "vpc"
    """vpc: inside the cluster's VPC (internal IP endpoint); on_premises: over Interconnect or VPN (internal
    IP endpoint, routes exported to the control plane); outside: elsewhere (the DNS endpoint)."""
    source_ranges: list[Cidr] = []
    """The runner's own addresses, authorized on the internal IP endpoint; required on premises."""
    region: Region | None = None
    """Region where the runner's traffic enters the VPC (its subnet, VLAN attachment or VPN tunnel) when it
    is not the cluster's; turns on the private endpoint's global access."""
    perimeter_sources: list[str] = []
    """Where its Google API calls come from, for the perimeter's ingress policy: access level names of
    network.service_controls.access_levels (public addresses), projects/<number> or
    //compute.googleapis.com/projects/<id>/global/networks/<name> (a private network); empty means the
    cluster's own VPC network, which an outside runner cannot use."""

    @property
    def access_level_sources(self) -> tuple[str, ...]:
        """The perimeter sources that name access levels."""
        return tuple(s for s in self.perimeter_sources if not s.startswith(_RESOURCE_PREFIXES))

    @property
    def network_sources(self) -> tuple[str, ...]:
        """The perimeter sources that name projects or networks."""
        return tuple(s for s in self.perimeter_sources if s.startswith(_RESOURCE_PREFIXES))


def control_plane_access(env: Environment) -> ControlPlaneAccess:
    """The endpoint Terraform and operators use: the one set explicitly, else the one where Terraform runs reaches."""
    if env.cluster.control_plane_access is not None:
        return env.cluster.control_plane_access
    return "dns_endpoint" if env.deployer.runs_in == "outside" else "internal_ip"


def private_endpoint_global_access(env: Environment) -> bool:
    """The internal IP endpoint answers callers from other regions only with global access; off unless needed."""
    region = env.deployer.region
    return control_plane_access(env) == "internal_ip" and region is not None and region != env.region


def export_routes_to_control_plane(env: Environment) -> bool:
    """On-premises runners reach the internal IP endpoint only if the control plane's VPC learns their routes."""
    return control_plane_access(env) == "internal_ip" and env.deployer.runs_in == "on_premises"


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
    return found


def _perimeter_sources(env: Environment) -> list[Problem]:
    deployer, controls = env.deployer, env.network.service_controls
    levels = {level.name for level in controls.access_levels}
    found = []
    for i, source in enumerate(deployer.perimeter_sources):
        if source.startswith(_RESOURCE_PREFIXES):
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
