"""Private service access: the peering through which Memorystore for Redis is reached."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google


@dataclass(frozen=True)
class PrivateServiceAccessProps:
    """Inputs of PrivateServiceAccess."""

    name: str
    """Prefix of the reserved range's name."""
    network_id: str
    """The VPC the service producer peers with."""
    cidr: str
    """The range reserved for producer instances; no other range may overlap it."""


class PrivateServiceAccess(Construct):
    """A VPC_PEERING range reserved from our own plan, and the peering that uses it.

    Reserving the exact range (not letting Google pick one) keeps it disjoint from
    the node, pod, service and peered ranges, which the environment validates.
    """

    def __init__(self, scope: Construct, construct_id: str, props: PrivateServiceAccessProps) -> None:
        super().__init__(scope, construct_id)
        network = ipaddress.IPv4Network(props.cidr)
        self.range = google.ComputeGlobalAddress(
            self,
            "range",
            name=f"{props.name}-private-services",
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=str(network.network_address),
            prefix_length=network.prefixlen,
            network=props.network_id,
            description="Reserved for private service access (Memorystore for Redis)",
        )
        self.connection = google.ServiceNetworkingConnection(
            self,
            "connection",
            network=props.network_id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[self.range.name],
        )

    @property
    def range_name(self) -> str:
        return self.range.name
