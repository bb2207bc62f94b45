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
from typing import Literal

from rayfort.config._types import Cidr, Email, Model, Region

RunnerLocation = Literal["vpc", "on_premises", "outside"]
ControlPlaneAccess = Literal["internal_ip", "dns_endpoint", "connect_gateway"]
# Ingress sources of a private network: its project, or the network itself (Access Context Manager API,
# IngressSource.resource: "projects/{project_number}" or
# "//compute.googleapis.com/projects/{id}/global/networks/{name}").
PROJECT_SOURCE = re.compile(r"^projects/[0-9]+$")
RESOURCE_PREFIXES = ("projects/", "//")
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
        return tuple(s for s in self.perimeter_sources if not s.startswith(RESOURCE_PREFIXES))

    @property
    def network_sources(self) -> tuple[str, ...]:
        """The perimeter sources that name projects or networks."""
        return tuple(s for s in self.perimeter_sources if s.startswith(RESOURCE_PREFIXES))
