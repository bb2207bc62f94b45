"""A custom-mode VPC with one private node subnet and named secondary ranges."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.config.network import FlowLogs
from rayfort.network.references import NodeNetworkReferences


@dataclass(frozen=True)
class PrivateNetworkProps:
    """Inputs of PrivateNetwork; the hardened values are fixed, not options."""

    name: str
    """Prefix of the network and subnet names."""
    region: str
    """Region of the node subnet."""
    subnet_cidr: str
    """Primary range of the node subnet."""
    pods_cidr: str
    """Secondary range for pods."""
    services_cidr: str
    """Secondary range for services."""
    flow_logs: FlowLogs = FlowLogs()
    """Flow logs: 5 s interval, half the flows, all metadata by default."""
    pods_range_name: str = "pods"
    """Name of the pods secondary range, referenced by the cluster."""
    services_range_name: str = "services"
    """Name of the services secondary range, referenced by the cluster."""
    firewall_policy_first: bool = False
    """Off: VPC firewall rules first (GCP's default); on when a firewall policy must allow before the deny-all."""


class PrivateNetwork(Construct, NodeNetworkReferences):
    """The VPC every rayfort resource lives in: no auto subnets, Private Google Access, flow logs.

    The default internet route is deleted at creation; egress exists only where a
    NAT or the Google APIs route adds it back.
    """

    def __init__(self, scope: Construct, construct_id: str, props: PrivateNetworkProps) -> None:
        super().__init__(scope, construct_id)
        self.network = google.ComputeNetwork(
            self,
            "vpc",
            name=f"{props.name}-vpc",
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            delete_default_routes_on_create=True,
            description="rayfort private VPC: custom subnets only, no default internet route",
            network_firewall_policy_enforcement_order=(
                "BEFORE_CLASSIC_FIREWALL" if props.firewall_policy_first else None
            ),
        )
        self.subnet = google.ComputeSubnetwork(
            self,
            "nodes",
            name=f"{props.name}-nodes",
            network=self.network.id,
            region=props.region,
            ip_cidr_range=props.subnet_cidr,
            private_ip_google_access=True,
            secondary_ip_range=[
                {"range_name": props.pods_range_name, "ip_cidr_range": props.pods_cidr},
                {"range_name": props.services_range_name, "ip_cidr_range": props.services_cidr},
            ],
            log_config={
                "aggregation_interval": props.flow_logs.interval,
                "flow_sampling": props.flow_logs.sampling,
                "metadata": props.flow_logs.metadata,
            },
            description="GKE nodes; pods and services use the named secondary ranges",
        )
        self.pods_range_name = props.pods_range_name
        self.services_range_name = props.services_range_name
