"""The network stack: the perimeter every other stack sits inside."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct, Fn, TerraformOutput
from rayfort._providers import google
from rayfort.config.deployer import Deployer
from rayfort.config.network import NetworkSettings
from rayfort.config.org_policy import OrgPolicies
from rayfort.network.egress import CloudNat, CloudNatProps, GoogleApisAccess, GoogleApisAccessProps
from rayfort.network.egress_fqdns import FqdnEgress, FqdnEgressProps
from rayfort.network.firewall import EgressLockdown, NodeFirewall, NodeFirewallProps
from rayfort.network.org_policies import ProjectOrgPolicies, ProjectOrgPoliciesProps
from rayfort.network.private_network import PrivateNetwork, PrivateNetworkProps
from rayfort.network.private_service_access import PrivateServiceAccess, PrivateServiceAccessProps
from rayfort.network.service_perimeter import (
    DeployerIngress,
    PerimeterMembership,
    PerimeterMembershipProps,
    ServicePerimeter,
    ServicePerimeterProps,
)
from rayfort.network.shared_vpc import SharedVpcSubnet, SharedVpcSubnetProps
from rayfort.stacks.base import Platform, RayfortStack


@dataclass(frozen=True)
class NetworkRefs:
    """What the network stack offers the stacks inside it: references to the VPC, and the ranges it reserved."""

    network_id: str
    """The VPC (a reference)."""
    subnet_id: str
    """The node subnet (a reference)."""
    subnet_cidr: str
    """The node subnet's primary range (a reference: a Shared VPC host's subnet is read, not declared)."""
    pods_range_name: str
    """Name of the subnet's secondary range for pods."""
    services_range_name: str
    """Name of the subnet's secondary range for services."""
    control_plane_cidr: str
    """The /28 reserved for the GKE control plane."""
    google_apis_cidr: str
    """The Google APIs VIP the nodes reach (restricted inside a perimeter, private otherwise)."""
    private_services_cidr: str
    """The range reserved for private service access (Memorystore), as a literal for network policies:
    ours, or the Shared VPC host's."""
    private_services_range: str | None
    """Name of that reservation, so instances are placed in it: read off our peering, or the host's range
    as the environment names it (and the network stack checks at plan time)."""


@dataclass(frozen=True)
class NetworkStackProps:
    """Inputs of NetworkStack besides the platform."""

    settings: NetworkSettings
    """The VPC, its ranges, egress and VPC Service Controls."""
    name: str
    """Prefix of every network resource's name (the cluster's name)."""
    deployer: Deployer = Deployer()
    """Who runs Terraform: the perimeter admits its service accounts from where it runs."""
    org_policies: OrgPolicies = OrgPolicies()
    """Constraints in force; set on the project when ``manage`` is on."""
    perimeter_projects: tuple[str, ...] = ()
    """Projects inside the perimeter besides the platform's: the KMS and audit projects (never a Shared VPC
    host, which is in its network team's perimeter)."""


class NetworkStack(RayfortStack):
    """VPC (or a Shared VPC subnet), egress, firewall, private service access, VPC-SC, org policies, and
    Data Access audit logs for Cloud Storage in the platform's project.

    Offers ``refs`` (NetworkRefs): the VPC and subnet, their ranges and the
    private service access reservation. Needs only its platform and settings.
    With a Shared VPC it creates nothing in the host project: it reads the host's
    network, subnet and ranges, and rayfort's projects join the network team's
    perimeter (``service_controls.join``) instead of a perimeter of its own.
    """

    def __init__(self, scope: Construct, stack_id: str, platform: Platform, props: NetworkStackProps) -> None:
        super().__init__(scope, stack_id, platform)
        net = props.settings
        name = props.name
        self._google_apis: GoogleApisAccess | None = None
        self._vpc: PrivateNetwork | SharedVpcSubnet
        if net.shared_vpc is not None:
            # The host project's network team owns its routes, NAT, DNS, firewall, peerings and perimeter: the
            # stack reads the host and changes nothing there (README, "Shared VPC").
            shared = net.shared_vpc
            self._vpc = SharedVpcSubnet(
                self,
                "shared-vpc",
                SharedVpcSubnetProps(
                    host_project_id=shared.host_project_id,
                    network=shared.network,
                    subnetwork=shared.subnetwork,
                    region=platform.region,
                    pods_range=shared.pods_range,
                    services_range=shared.services_range,
                    private_services_range=shared.private_services_range,
                ),
            )
            private_services_range: str | None = self._vpc.private_services_range_name
        else:
            self._vpc, private_service_access = self._own_network(platform, net, name)
            private_services_range = Fn.element(private_service_access.connection.reserved_peering_ranges, 0)
        controls = net.service_controls
        if controls.enabled:
            if controls.access_policy_id is None:
                raise ValueError("the perimeter goes in an existing access policy: set access_policy_id")
            if controls.join is not None:
                if controls.join.membership == "rayfort":
                    PerimeterMembership(
                        self,
                        "service-controls",
                        PerimeterMembershipProps(
                            access_policy_id=controls.access_policy_id,
                            perimeter=controls.join.name,
                            project_numbers=self._perimeter_projects(platform, props),
                            dry_run=controls.join.dry_run,
                        ),
                    )
            else:
                ServicePerimeter(
                    self,
                    "service-controls",
                    ServicePerimeterProps(
                        name=name.replace("-", "_"),
                        project_numbers=tuple(self._perimeter_projects(platform, props).values()),
                        access_policy_id=controls.access_policy_id,
                        deployer=self._deployer_ingress(props.deployer),
                        enforce=controls.enforce,
                        extra_restricted_services=tuple(controls.extra_restricted_services),
                        access_levels=tuple(controls.access_levels),
                        ingress_policies=tuple(controls.ingress_policies),
                        egress_policies=tuple(controls.egress_policies),
                    ),
                )
        self.refs = NetworkRefs(
            network_id=self._vpc.network_id,
            subnet_id=self._vpc.subnet_id,
            subnet_cidr=self._vpc.subnet.ip_cidr_range,
            pods_range_name=self._vpc.pods_range_name,
            services_range_name=self._vpc.services_range_name,
            control_plane_cidr=net.control_plane_cidr,
            google_apis_cidr=net.google_apis_cidr,
            private_services_cidr=net.private_services,
            private_services_range=private_services_range,
        )
        self._outputs()
        policies = props.org_policies
        if policies.manage and policies.enforced:
            ProjectOrgPolicies(
                self,
                "org-policies",
                ProjectOrgPoliciesProps(
                    project_id=platform.project_id,
                    constraints=tuple(policies.enforced),
                    allowed_locations=tuple(policies.allowed_locations),
                    allowed_kms_projects=tuple(policies.allowed_kms_projects),
                ),
            )

    def _own_network(
        self, platform: Platform, net: NetworkSettings, name: str
    ) -> tuple[PrivateNetwork, PrivateServiceAccess]:
        nat = net.egress == "nat"
        fqdns = tuple(net.internet_egress.allowed_fqdns)
        vpc = PrivateNetwork(
            self,
            "vpc",
            PrivateNetworkProps(
                name=name,
                region=platform.region,
                subnet_cidr=net.subnet_cidr,
                pods_cidr=net.pods_cidr,
                services_cidr=net.services_cidr,
                flow_logs=net.flow_logs,
                firewall_policy_first=nat and bool(fqdns),
            ),
        )
        lockdown = None
        if not nat or net.internet_egress.deny_by_default:
            lockdown = EgressLockdown(
                google_apis_cidr=net.google_apis_cidr,
                internal_cidrs=(net.subnet_cidr, net.pods_cidr, net.services_cidr, net.control_plane_cidr),
                private_services_cidr=net.private_services_cidr,
            )
        if nat:
            CloudNat(
                self,
                "nat",
                CloudNatProps(
                    name=name,
                    network=vpc.network_id,
                    region=platform.region,
                    subnet=vpc.subnet_id,
                    log_filter=net.nat_logging,
                ),
            )
            if fqdns:
                FqdnEgress(self, "egress-fqdns", FqdnEgressProps(name=name, network=vpc.network_id, fqdns=fqdns))
        self._google_apis = GoogleApisAccess(
            self,
            "google-apis",
            GoogleApisAccessProps(
                name=name,
                network=vpc.network_id,
                vip_cidr=net.google_apis_cidr,
                vip_host=net.google_apis_host,
            ),
        )
        NodeFirewall(
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
        private_service_access = PrivateServiceAccess(
            self,
            "private-services",
            PrivateServiceAccessProps(name=name, network_id=vpc.network_id, cidr=net.private_services_cidr),
        )
        return vpc, private_service_access

    def _outputs(self) -> None:
        """What people wiring other systems to this network need; stacks use the attributes instead."""
        values: dict[str, tuple[str | list[str], str]] = {
            "network-self-link": (self._vpc.network_self_link, "The VPC the cluster lives in"),
            "subnet-self-link": (self._vpc.subnet_self_link, "The node subnet"),
            "pods-range-name": (self._vpc.pods_range_name, "Secondary range of the pods"),
            "services-range-name": (self._vpc.services_range_name, "Secondary range of the services"),
            "control-plane-cidr": (self.refs.control_plane_cidr, "The /28 reserved for the GKE control plane"),
        }
        if self._google_apis is not None:
            values["dns-zone-names"] = (
                self._google_apis.zone_names,
                "Private zones sending Google API names to the VIP",
            )
        for output_id, (value, description) in values.items():
            TerraformOutput(self, output_id, value=value, description=description)

    def _deployer_ingress(self, deployer: Deployer) -> DeployerIngress | None:
        """Terraform's identities from the sources it names; by default from this VPC, which its
        Interconnect or VPN (or its own subnet) brings its calls through."""
        if not deployer.service_accounts:
            return None
        levels, networks = deployer.access_level_sources, deployer.network_sources
        if not (levels or networks):
            networks = (f"//compute.googleapis.com/{self._vpc.network_id}",)
        return DeployerIngress(
            identities=tuple(f"serviceAccount:{account}" for account in deployer.service_accounts),
            networks=networks,
            access_levels=levels,
        )

    def _perimeter_projects(self, platform: Platform, props: NetworkStackProps) -> dict[str, str]:
        """{project id: number} of the cluster project and separate KMS and audit projects; never a Shared VPC
        host, which sits in its network team's perimeter already."""
        project_ids = [platform.project_id, *props.perimeter_projects]
        numbers = {}
        for project_id in dict.fromkeys(project_ids):
            project = google.DataGoogleProject(self, f"perimeter-project-{project_id}", project_id=project_id)
            numbers[project_id] = project.number
        return numbers
