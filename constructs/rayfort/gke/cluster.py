"""The private, hardened GKE control plane."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rayfort._cdk import Construct, Fn
from rayfort._providers import google
from rayfort.config.cluster import MaintenanceWindow, NodePool
from rayfort.gke.keys import BOOT_DISK_GRANT, SECRETS_GRANT
from rayfort.gke.node_pool import hardened_node_config
from rayfort.iam import ServiceAgents
from rayfort.kms import EncryptionKey

ControlPlaneAccess = Literal["internal_ip", "dns_endpoint", "connect_gateway"]
VulnerabilityScanning = Literal["artifact_registry", "enterprise"]
# GKE Standard's workload vulnerability scanning (VULNERABILITY_BASIC) was shut down on 31 July 2025, and
# only GKE Enterprise keeps it (VULNERABILITY_ENTERPRISE); the replacement is Artifact Analysis scanning of
# the images in Artifact Registry. Source: GKE, "Vulnerability scanning removal from GKE"
# (https://cloud.google.com/kubernetes-engine/docs/deprecations/vulnerability-scanning-gkee).
VULNERABILITY_MODES: dict[str, str] = {
    "artifact_registry": "VULNERABILITY_DISABLED",
    "enterprise": "VULNERABILITY_ENTERPRISE",
}


@dataclass(frozen=True)
class ControlPlaneReach:
    """How Terraform and operators reach the control plane: the endpoint, and what makes it reachable."""

    access: ControlPlaneAccess = "internal_ip"
    """internal_ip by default: the endpoint is reachable only from inside the VPC (and what it routes)."""
    global_access: bool = False
    """Let the internal IP endpoint answer callers in other regions; off by default."""
    export_routes: bool = False
    """Export the VPC's custom routes (on-premises, learned over Interconnect or VPN) to the control plane's
    peering, so its replies find the way back; off by default."""


@dataclass(frozen=True)
class ClusterAccess:
    """How in-cluster stacks reach the API server: no kubeconfig, only references.

    ``host`` and ``ca_certificate`` are tokens of the gke stack's cluster, so
    cdktf turns them into outputs there and remote-state lookups here.
    """

    host: str
    ca_certificate: str | None
    """The cluster CA, pinned only on the cluster's own IP endpoint; None where the endpoint presents a
    publicly trusted certificate (the DNS endpoint, Connect Gateway), which the pinned CA would fail."""


@dataclass(frozen=True)
class PrivateClusterProps:
    """Inputs of PrivateCluster. Everything not listed here is fixed to its hardened value."""

    name: str
    """Cluster name."""
    project_id: str
    """Cluster project; the Workload Identity pool is <project>.svc.id.goog."""
    location: str
    """Region: a regional control plane survives a zone outage."""
    network_id: str
    """VPC (a reference to the network stack)."""
    subnet_id: str
    """Node subnet (a reference to the network stack)."""
    pods_range_name: str
    """Secondary range for pods."""
    services_range_name: str
    """Secondary range for services."""
    control_plane_cidr: str
    """The /28 of the control plane."""
    secrets_key: EncryptionKey
    """CMEK key for application-layer secrets encryption; granted here to GKE's service agent."""
    boot_disk_key: EncryptionKey
    """CMEK key of node boot disks (the bootstrap pool's, or every Autopilot node's); granted here to
    Compute Engine's service agent."""
    service_agents: ServiceAgents
    """Service agents of the cluster project, which use the keys."""
    node_service_account: str
    """Dedicated node service account email."""
    authorized_networks: tuple[tuple[str, str], ...] = ()
    """(cidr, name) pairs allowed to the private endpoint; empty admits only the VPC's own ranges."""
    control_plane: ControlPlaneReach = ControlPlaneReach()
    """The internal IP endpoint by default, reachable only from inside the VPC."""
    vulnerability_scanning: VulnerabilityScanning = "artifact_registry"
    """Images scanned in Artifact Registry by default; enterprise turns on GKE Enterprise's workload scanning."""
    autopilot: bool = False
    """Standard by default; autopilot hands the nodes to GKE."""
    bootstrap_pool: NodePool = NodePool(name="default")
    """Shapes the default pool GKE creates and rayfort removes at once, so even it is hardened."""
    release_channel: Literal["REGULAR", "STABLE"] = "REGULAR"
    """Never UNSPECIFIED."""
    maintenance_window: MaintenanceWindow = MaintenanceWindow()
    """Weekend nights by default."""
    security_group: str | None = None
    """Google Groups for RBAC when given."""
    ray_operator_addon: bool = False
    """GKE's managed Ray operator instead of the Helm release."""
    gateway_api: bool = False
    """Gateway API CRDs off unless exposure.api is gateway."""
    labels: dict[str, str] = field(default_factory=dict)
    """Resource labels of the cluster (team, environment, cost-center)."""


class PrivateCluster(Construct):
    """A private GKE cluster that passes an enterprise security review unedited.

    Private nodes and endpoint, Workload Identity, Dataplane V2, CMEK secrets,
    Binary Authorization enforced, no client certificates, no legacy ABAC, no
    anonymous access beyond health checks, no RBAC bindings to the
    system:authenticated or system:unauthenticated groups. In Autopilot mode the
    settings GKE manages itself (and rejects when set) are left out: shielded
    nodes, network_policy, intranode visibility, inter-node encryption, node_config.
    """

    def __init__(self, scope: Construct, construct_id: str, props: PrivateClusterProps) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        self._workload_pool = f"{props.project_id}.svc.id.goog"
        config: dict[str, Any] = {
            "name": props.name,
            "project": props.project_id,
            "location": props.location,
            "network": props.network_id,
            "subnetwork": props.subnet_id,
            "networking_mode": "VPC_NATIVE",
            "ip_allocation_policy": {
                "cluster_secondary_range_name": props.pods_range_name,
                "services_secondary_range_name": props.services_range_name,
            },
            "private_cluster_config": {
                "enable_private_nodes": True,
                "enable_private_endpoint": True,
                "master_ipv4_cidr_block": props.control_plane_cidr,
                "master_global_access_config": {"enabled": props.control_plane.global_access},
            },
            "control_plane_endpoints_config": {
                "dns_endpoint_config": {"allow_external_traffic": props.control_plane.access == "dns_endpoint"},
            },
            "master_authorized_networks_config": {
                "gcp_public_cidrs_access_enabled": False,
                "cidr_blocks": [{"cidr_block": cidr, "display_name": name} for cidr, name in props.authorized_networks],
            },
            "datapath_provider": "ADVANCED_DATAPATH",
            "workload_identity_config": {"workload_pool": self._workload_pool},
            "database_encryption": {"state": "ENCRYPTED", "key_name": props.secrets_key.id},
            "binary_authorization": {"evaluation_mode": "PROJECT_SINGLETON_POLICY_ENFORCE"},
            "security_posture_config": {
                "mode": "BASIC",
                "vulnerability_mode": VULNERABILITY_MODES[props.vulnerability_scanning],
            },
            "enable_legacy_abac": False,
            "master_auth": {"client_certificate_config": {"issue_client_certificate": False}},
            "anonymous_authentication_config": {"mode": "LIMITED"},
            "rbac_binding_config": {
                "enable_insecure_binding_system_unauthenticated": False,
                "enable_insecure_binding_system_authenticated": False,
            },
            "release_channel": {"channel": props.release_channel},
            "maintenance_policy": {
                "recurring_window": {
                    "start_time": props.maintenance_window.start_time,
                    "end_time": props.maintenance_window.end_time,
                    "recurrence": props.maintenance_window.recurrence,
                }
            },
            "logging_config": {"enable_components": ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]},
            "monitoring_config": {
                "enable_components": ["SYSTEM_COMPONENTS"],
                "managed_prometheus": {"enabled": True},
            },
            "secret_manager_config": {"enabled": True},
            "cost_management_config": {"enabled": True},
            "addons_config": {
                "http_load_balancing": {"disabled": False},
                "ray_operator_config": {"enabled": props.ray_operator_addon},
            },
            "deletion_protection": True,
            "resource_labels": dict(sorted(props.labels.items())),
        }
        if props.security_group:
            config["authenticator_groups_config"] = {"security_group": props.security_group}
        if props.control_plane.access == "connect_gateway":
            config["fleet"] = {"project": props.project_id}
        if props.gateway_api:
            config["gateway_api_config"] = {"channel": "CHANNEL_STANDARD"}
        if props.autopilot:
            config.update(self._autopilot(props))
        else:
            config.update(self._standard(props))
        # GKE checks both keys when it creates the cluster and its bootstrap nodes: the grants come first.
        grants = (
            props.secrets_key.grant_encrypt_decrypt(props.service_agents.gke, construct_id=SECRETS_GRANT),
            props.boot_disk_key.grant_encrypt_decrypt(props.service_agents.compute, construct_id=BOOT_DISK_GRANT),
        )
        self.cluster = google.ContainerCluster(
            self, "cluster", **config, depends_on=[grant.propagated for grant in grants]
        )
        if props.control_plane.export_routes:
            self._export_routes(props.network_id)

    def _export_routes(self, network_id: str) -> None:
        """The control plane's VPC learns our custom routes (on premises), so it can answer runners there.

        GKE creates the peering with the cluster; its name is known only then. The network's project and
        name come from its id, projects/<project>/global/networks/<name> (a Shared VPC host's network too).
        """
        parts = Fn.split("/", network_id)
        google.ComputeNetworkPeeringRoutesConfig(
            self,
            "control-plane-routes",
            project=Fn.element(parts, 1),
            network=Fn.element(parts, 4),
            peering=self.cluster.private_cluster_config.peering_name,
            export_custom_routes=True,
            import_custom_routes=False,
        )

    @staticmethod
    def _standard(props: PrivateClusterProps) -> dict[str, Any]:
        return {
            "remove_default_node_pool": True,
            "initial_node_count": 1,
            "node_config": hardened_node_config(
                props.bootstrap_pool, service_account=props.node_service_account, boot_disk_key=props.boot_disk_key.id
            )
            # The bootstrap pool is deleted once the cluster exists, and the cluster updates no node_config field
            # in place: false is what google < 7.6 sent for it, so existing clusters are not replaced.
            | {"kubelet_config": {"cpu_cfs_quota": False, "insecure_kubelet_readonly_port_enabled": "FALSE"}},
            "enable_shielded_nodes": True,
            "enable_intranode_visibility": True,
            # Inter-node WireGuard needs Dataplane V2 and is not offered on Autopilot.
            "in_transit_encryption_config": "IN_TRANSIT_ENCRYPTION_INTER_NODE_TRANSPARENT",
            # Dataplane V2 enforces NetworkPolicy itself; the block records that Calico is not in use.
            "network_policy": {"enabled": False, "provider": "PROVIDER_UNSPECIFIED"},
            "node_pool_defaults": {"node_config_defaults": {"insecure_kubelet_readonly_port_enabled": "FALSE"}},
        }

    @staticmethod
    def _autopilot(props: PrivateClusterProps) -> dict[str, Any]:
        return {
            "enable_autopilot": True,
            "confidential_nodes": {"enabled": True},
            "cluster_autoscaling": {
                "auto_provisioning_defaults": {
                    "service_account": props.node_service_account,
                    "boot_disk_kms_key": props.boot_disk_key.id,
                    "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
                }
            },
            "node_pool_auto_config": {"node_kubelet_config": {"insecure_kubelet_readonly_port_enabled": "FALSE"}},
        }

    @property
    def workload_pool(self) -> str:
        """<project>.svc.id.goog, as a reference: Workload Identity grants wait for the cluster that creates it."""
        return self.cluster.workload_identity_config.workload_pool

    @property
    def id(self) -> str:
        return self.cluster.id

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def location(self) -> str:
        return self.cluster.location

    @property
    def ca_certificate(self) -> str:
        return self.cluster.master_auth.cluster_ca_certificate

    @property
    def endpoint(self) -> str:
        """The address in-cluster stacks use, per the chosen control plane access."""
        if self._props.control_plane.access == "dns_endpoint":
            return self.cluster.control_plane_endpoints_config.dns_endpoint_config.endpoint
        if self._props.control_plane.access == "connect_gateway":
            # //gkehub.googleapis.com/projects/N/locations/L/memberships/ID becomes the gateway's path.
            path = Fn.replace(self.cluster.fleet.membership, "//gkehub.googleapis.com/", "")
            return "connectgateway.googleapis.com/v1/" + Fn.replace(path, "/memberships/", "/gkeMemberships/")
        return self.cluster.private_cluster_config.private_endpoint

    def access(self) -> ClusterAccess:
        """What the kuberay, tenant and exposure stacks need to configure their providers.

        Only the IP endpoint serves a certificate the cluster's own CA signs. The DNS endpoint
        (``*.gke.goog``) and Connect Gateway serve publicly trusted ones: pinning the cluster CA there
        fails every handshake (x509: certificate signed by unknown authority), at plan time already.
        """
        own_ip = self._props.control_plane.access == "internal_ip"
        return ClusterAccess(host=self.endpoint, ca_certificate=self.ca_certificate if own_ip else None)
