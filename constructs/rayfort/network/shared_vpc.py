"""A subnet of a Shared VPC host project, consumed by the cluster project."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.iam import ServiceAgents
from rayfort.network.references import NodeNetworkReferences


@dataclass(frozen=True)
class SharedVpcSubnetProps:
    """Inputs of SharedVpcSubnet; the host project's network team owns everything it references."""

    host_project_id: str
    """Project that owns the VPC."""
    service_project_id: str
    """The cluster project, attached to the host as a service project."""
    network: str
    """Name of the host's VPC."""
    subnetwork: str
    """Name of the host's subnet the cluster uses."""
    region: str
    """Region of that subnet."""
    pods_range_name: str = "pods"
    """Name of the subnet's secondary range for pods."""
    services_range_name: str = "services"
    """Name of the subnet's secondary range for services."""


class SharedVpcSubnet(Construct, NodeNetworkReferences):
    """References the host's network and subnet, and lets the service project's agents use them.

    GKE needs its service agent to hold ``roles/container.hostServiceAgentUser`` on
    the host project (to manage the firewall rules and routes of the cluster) and
    ``roles/compute.networkUser`` on the subnet; the Google APIs service agent
    creates the node instance groups, so it needs ``roles/compute.networkUser`` on
    the subnet too. Nothing else in the host is changed.
    """

    def __init__(self, scope: Construct, construct_id: str, props: SharedVpcSubnetProps) -> None:
        super().__init__(scope, construct_id)
        self.network = google.DataGoogleComputeNetwork(
            self, "network", name=props.network, project=props.host_project_id
        )
        self.subnet = google.DataGoogleComputeSubnetwork(
            self, "subnet", name=props.subnetwork, project=props.host_project_id, region=props.region
        )
        self.pods_range_name = props.pods_range_name
        self.services_range_name = props.services_range_name
        agents = ServiceAgents.read(self, "service-project", props.service_project_id)
        gke_agent, google_apis_agent = agents.gke.member, agents.google_apis.member
        google.ProjectIamMember(
            self,
            "gke-host-service-agent-user",
            project=props.host_project_id,
            role="roles/container.hostServiceAgentUser",
            member=gke_agent,
        )
        for grant_id, member in (("gke-network-user", gke_agent), ("google-apis-network-user", google_apis_agent)):
            google.ComputeSubnetworkIamMember(
                self,
                grant_id,
                project=props.host_project_id,
                region=props.region,
                subnetwork=props.subnetwork,
                role="roles/compute.networkUser",
                member=member,
            )
