"""A subnet of a Shared VPC host project, consumed by the cluster project without changing the host."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.config.network import HostRange
from rayfort.network.references import NodeNetworkReferences


@dataclass(frozen=True)
class SharedVpcSubnetProps:
    """Inputs of SharedVpcSubnet; the host project's network team owns everything it references."""

    host_project_id: str
    """Project that owns the VPC."""
    network: str
    """Name of the host's VPC."""
    subnetwork: str
    """Name of the host's subnet the cluster uses."""
    region: str
    """Region of that subnet."""
    pods_range: HostRange
    """The subnet's secondary range for pods, as the environment declares it."""
    services_range: HostRange
    """The subnet's secondary range for services, as the environment declares it."""
    private_services_range: HostRange
    """The host's private service access range (a VPC_PEERING global address), as the environment declares it."""


class SharedVpcSubnet(Construct, NodeNetworkReferences):
    """Reads the host's network, subnet and private service access range; creates nothing anywhere.

    The ranges are declared in the environment as literals (the tenants' network
    policies name them); each data source carries a postcondition, so a plan
    fails with a clear message when the host's range differs from the
    declaration instead of deploying policies that block Redis or the pods.
    Reading needs ``roles/compute.networkViewer`` on the host; the grants GKE
    needs there (``container.hostServiceAgentUser``, ``compute.networkUser``)
    and the firewall rules are the network team's, listed in the README.
    """

    def __init__(self, scope: Construct, construct_id: str, props: SharedVpcSubnetProps) -> None:
        super().__init__(scope, construct_id)
        self.network = google.DataGoogleComputeNetwork(
            self, "network", name=props.network, project=props.host_project_id
        )
        self.subnet = google.DataGoogleComputeSubnetwork(
            self, "subnet", name=props.subnetwork, project=props.host_project_id, region=props.region
        )
        _postconditions(
            self.subnet,
            [
                (
                    "anytrue([for r in self.secondary_ip_range : "
                    f'r.range_name == "{declared.name}" && r.ip_cidr_range == "{declared.cidr}"])',
                    f"The host subnet {props.subnetwork} has no secondary range {declared.name} of {declared.cidr}; "
                    f"correct network.shared_vpc.{field} to the host's range.",
                )
                for field, declared in (("pods_range", props.pods_range), ("services_range", props.services_range))
            ],
        )
        declared = props.private_services_range
        cidr = ipaddress.IPv4Network(declared.cidr)
        # google_compute_global_address (data source): address, prefix_length and purpose of a reserved range.
        self.private_services = google.DataGoogleComputeGlobalAddress(
            self, "private-services", name=declared.name, project=props.host_project_id
        )
        _postconditions(
            self.private_services,
            [
                (
                    f'self.purpose == "VPC_PEERING" && self.address == "{cidr.network_address}" '
                    f"&& self.prefix_length == {cidr.prefixlen}",
                    f"The host's private service access range {declared.name} is not a VPC_PEERING range of "
                    f"{declared.cidr}; correct network.shared_vpc.private_services_range to the host's range.",
                )
            ],
        )
        self.pods_range_name = props.pods_range.name
        self.services_range_name = props.services_range.name
        self.private_services_range_name = declared.name


def _postconditions(source: Any, conditions: list[tuple[str, str]]) -> None:
    source.add_override(
        "lifecycle",
        {
            "postcondition": [
                {"condition": f"${{{condition}}}", "error_message": message} for condition, message in conditions
            ]
        },
    )
