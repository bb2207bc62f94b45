"""The network stack: the perimeter every other stack sits inside."""

from __future__ import annotations

from rayfort._cdk import Construct, TerraformOutput
from rayfort._providers import google
from rayfort.config import Environment
from rayfort.config.org_policy import key_projects
from rayfort.network.egress import CloudNat, CloudNatProps, GoogleApisAccess, GoogleApisAccessProps
from rayfort.network.firewall import EgressLockdown, NodeFirewall, NodeFirewallProps
from rayfort.network.org_policies import ProjectOrgPolicies, ProjectOrgPoliciesProps
from rayfort.network.private_network import PrivateNetwork, PrivateNetworkProps
from rayfort.network.private_service_access import PrivateServiceAccess, PrivateServiceAccessProps
from rayfort.network.service_perimeter import ServicePerimeter, ServicePerimeterProps
from rayfort.network.shared_vpc import SharedVpcSubnet, SharedVpcSubnetProps
from rayfort.stacks.base import RayfortStack


class NetworkStack(RayfortStack):
    """VPC (or a Shared VPC subnet), egress, firewall, private service access, VPC-SC and org policies.

    Its attributes are the references the other stacks use: ``vpc`` (network and
    subnet ids and self links, range names), ``control_plane_cidr``,
    ``dns_zone_names`` and ``private_services_connection``.
    """

    def __init__(self, scope: Construct, stack_id: str, env: Environment) -> None:
        super().__init__(scope, stack_id, env)
        net = env.network
        name = env.cluster.name
        self.control_plane_cidr = net.control_plane_cidr
        self.firewall: NodeFirewall | None = None
        self.nat: CloudNat | None = None
        self.google_apis: GoogleApisAccess | None = None
        self.private_service_access: PrivateServiceAccess | None = None
        self.vpc: PrivateNetwork | SharedVpcSubnet
        if net.shared_vpc is not None:
            # The host project's network team owns its routes, NAT, DNS, firewall and peerings.
            self.vpc = SharedVpcSubnet(
                self,
                "shared-vpc",
                SharedVpcSubnetProps(
                    host_project_id=net.shared_vpc.host_project_id,
                    service_project_id=env.project_id,
                    network=net.shared_vpc.network,
                    subnetwork=net.shared_vpc.subnetwork,
                    region=env.region,
                    pods_range_name=net.shared_vpc.pods_range_name,
                    services_range_name=net.shared_vpc.services_range_name,
                ),
            )
        else:
            self.vpc = self._own_network(env, name)
        controls = net.service_controls
        self.perimeter: ServicePerimeter | None = None
        if controls.enabled:
            self.perimeter = ServicePerimeter(
                self,
                "service-controls",
                ServicePerimeterProps(
                    name=name.replace("-", "_"),
                    organization_id=env.organization_id,
                    project_numbers=self._perimeter_projects(env),
                    access_policy_id=controls.access_policy_id,
                    enforce=controls.enforce,
                    extra_restricted_services=tuple(controls.extra_restricted_services),
                    access_levels=tuple(controls.access_levels),
                    ingress_policies=tuple(controls.ingress_policies),
                    egress_policies=tuple(controls.egress_policies),
                ),
            )
        self._outputs()
        policies = env.org_policies
        if policies.manage and policies.enforced:
            ProjectOrgPolicies(
                self,
                "org-policies",
                ProjectOrgPoliciesProps(
                    project_id=env.project_id,
                    constraints=tuple(policies.enforced),
                    allowed_locations=tuple(policies.allowed_locations),
                    allowed_kms_projects=tuple(policies.allowed_kms_projects),
                ),
            )

    def _own_network(self, env: Environment, name: str) -> PrivateNetwork:
        net = env.network
        vpc = PrivateNetwork(
            self,
            "vpc",
            PrivateNetworkProps(
                name=name,
                region=env.region,
                subnet_cidr=net.subnet_cidr,
                pods_cidr=net.pods_cidr,
                services_cidr=net.services_cidr,
                flow_logs=net.flow_logs,
            ),
        )
        lockdown = None
        if env.airgapped:
            lockdown = EgressLockdown(
                google_apis_cidr=net.google_apis_cidr,
                internal_cidrs=(net.subnet_cidr, net.pods_cidr, net.services_cidr, net.control_plane_cidr),
                private_services_cidr=net.private_services_cidr,
            )
        else:
            self.nat = CloudNat(
                self,
                "nat",
                CloudNatProps(
                    name=name,
                    network=vpc.network_id,
                    region=env.region,
                    subnet=vpc.subnet_id,
                    log_filter=net.nat_logging,
                ),
            )
        self.google_apis = GoogleApisAccess(
            self,
            "google-apis",
            GoogleApisAccessProps(
                name=name,
                network=vpc.network_id,
                vip_cidr=net.google_apis_cidr,
                vip_host=net.google_apis_host,
            ),
        )
        self.firewall = NodeFirewall(
            self,
            "firewall",
            NodeFirewallProps(
                name=name,
                network=vpc.network_id,
                node_cidr=net.subnet_cidr,
                pods_cidr=net.pods_cidr,
                control_plane_cidr=net.control_plane_cidr,
                iap_tcp_forwarding=net.iap_tcp_forwarding,
                egress_lockdown=lockdown,
            ),
        )
        self.private_service_access = PrivateServiceAccess(
            self,
            "private-services",
            PrivateServiceAccessProps(name=name, network_id=vpc.network_id, cidr=net.private_services_cidr),
        )
        return vpc

    def _outputs(self) -> None:
        """What people wiring other systems to this network need; stacks use the attributes instead."""
        values = {
            "network-self-link": (self.vpc.network_self_link, "The VPC the cluster lives in"),
            "subnet-self-link": (self.vpc.subnet_self_link, "The node subnet"),
            "pods-range-name": (self.vpc.pods_range_name, "Secondary range of the pods"),
            "services-range-name": (self.vpc.services_range_name, "Secondary range of the services"),
            "control-plane-cidr": (self.control_plane_cidr, "The /28 reserved for the GKE control plane"),
        }
        if self.google_apis is not None:
            values["dns-zone-names"] = (self.dns_zone_names, "Private zones sending Google API names to the VIP")
        for output_id, (value, description) in values.items():
            TerraformOutput(self, output_id, value=value, description=description)

    def _perimeter_projects(self, env: Environment) -> tuple[str, ...]:
        """Numbers of the cluster project, a separate KMS project and a Shared VPC host."""
        project_ids = [env.project_id, *(project for _, project in key_projects(env))]
        if env.network.shared_vpc is not None:
            project_ids.append(env.network.shared_vpc.host_project_id)
        numbers = []
        for project_id in dict.fromkeys(project_ids):
            project = google.DataGoogleProject(self, f"perimeter-project-{project_id}", project_id=project_id)
            numbers.append(project.number)
        return tuple(numbers)

    @property
    def private_services_connection(self) -> object | None:
        """The peering Memorystore needs; Redis instances depend on it. None with a Shared VPC (the host owns it)."""
        return self.private_service_access.connection if self.private_service_access is not None else None

    @property
    def dns_zone_names(self) -> list[str]:
        """Names of the private zones that send Google API names to the VIP; empty with a Shared VPC."""
        return self.google_apis.zone_names if self.google_apis is not None else []
