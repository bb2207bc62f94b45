"""The gke stack: keys, node identity, image admission, audit logs, the private cluster and its node pools."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct, TerraformOutput
from rayfort._providers import google
from rayfort.config.cluster import ClusterSettings, NodePool
from rayfort.gke.audit_logs import DataAccessAuditLogs, DataAccessAuditLogsProps
from rayfort.gke.binary_authorization import ImageAdmissionPolicy, ImageAdmissionPolicyProps
from rayfort.gke.cluster import ClusterAccess, ControlPlaneReach, PrivateCluster, PrivateClusterProps
from rayfort.gke.connect_role import ClusterConnectRole, ClusterConnectRoleProps
from rayfort.gke.keys import ClusterKeys, ClusterKeysProps
from rayfort.gke.node_identity import NodeServiceAccount, NodeServiceAccountProps
from rayfort.gke.node_pool import HardenedNodePool, HardenedNodePoolProps
from rayfort.iam import Principal, ServiceAgents
from rayfort.registry.mirror import SCANNING_API
from rayfort.stacks.base import Platform, RayfortStack
from rayfort.stacks.network import NetworkRefs

CREDENTIALS_FLAG = {
    "internal_ip": "--internal-ip",
    "dns_endpoint": "--dns-endpoint",
    "connect_gateway": None,
}


@dataclass(frozen=True)
class ClusterRefs:
    """What the gke stack offers the in-cluster stacks."""

    access: ClusterAccess
    """The API server's address and CA (references), for the kubernetes and helm providers."""
    nodes: Principal
    """The nodes' service account, for image-pull grants made where repositories are created."""
    connect_role: str
    """The custom role that lets a person fetch the cluster's credentials and nothing else (ClusterConnectRole)."""


@dataclass(frozen=True)
class GkeStackProps:
    """Inputs of GkeStack besides the platform and the network."""

    settings: ClusterSettings
    """The cluster, its node pools and its keys."""
    zones: tuple[str, ...]
    """Zones of the region; a pool without zones of its own uses the first."""
    admitted_images: tuple[str, ...]
    """Image name patterns Binary Authorization admits (Google's system images are admitted by Google)."""
    ray_operator_addon: bool = False
    """Run GKE's managed Ray operator instead of installing KubeRay with Helm."""
    gateway_api: bool = False
    """Turn on the Gateway API CRDs, for dashboards published through a Gateway."""
    control_plane: ControlPlaneReach = ControlPlaneReach()
    """The endpoint Terraform uses and what makes it reachable from where Terraform runs."""
    runner_ranges: tuple[str, ...] = ()
    """The Terraform runner's addresses, authorized on the internal IP endpoint."""
    scanning_enabled_by: str | None = None
    """The project where another stack of the app (the mirror's) already enables container scanning."""


class GkeStack(RayfortStack):
    """The cluster every tenant runs on: CMEK keys, node identity, image admission, audit logs, node pools.

    Offers ``refs`` (ClusterRefs): how to reach the API server, and the nodes'
    identity. Needs the platform, its settings (GkeStackProps) and NetworkRefs.
    """

    def __init__(
        self, scope: Construct, stack_id: str, platform: Platform, props: GkeStackProps, network: NetworkRefs
    ) -> None:
        super().__init__(scope, stack_id, platform)
        settings = props.settings
        project = platform.project_id
        # A scope of its own: the project data source's address is service-agents/project.
        agents = ServiceAgents.read(Construct(self, "service-agents"), "project", project)
        keys = ClusterKeys(
            self,
            "keys",
            ClusterKeysProps(
                settings=settings.kms, location=platform.region, project_id=project, name_prefix=settings.name
            ),
        )
        node_identity = NodeServiceAccount(
            self, "node-identity", NodeServiceAccountProps(project_id=project, account_id=f"{settings.name}-nodes")
        )
        ImageAdmissionPolicy(
            self,
            "image-admission",
            ImageAdmissionPolicyProps(project_id=project, admitted_patterns=props.admitted_images),
        )
        DataAccessAuditLogs(self, "audit-logs", DataAccessAuditLogsProps(project_id=project))
        if settings.vulnerability_scanning == "artifact_registry" and props.scanning_enabled_by != project:
            # GKE Standard scans no workloads any more: Artifact Analysis scans every image pushed to the
            # project's Artifact Registry repositories instead (see VULNERABILITY_MODES). One owner per API:
            # where the mirror stack (deployed first) enables it in this project, it is that stack's.
            google.ProjectService(self, "scanning-api", project=project, service=SCANNING_API, disable_on_destroy=False)
        if keys.project_id != project:
            DataAccessAuditLogs(
                self,
                "key-audit-logs",
                DataAccessAuditLogsProps(project_id=keys.project_id, services=("cloudkms.googleapis.com",)),
            )
        authorized = [(network.subnet_cidr, "node-subnet")]
        authorized += [(n.cidr, n.display_name) for n in settings.master_authorized_networks]
        listed = {cidr for cidr, _ in authorized}
        authorized += [(cidr, "terraform-runner") for cidr in props.runner_ranges if cidr not in listed]
        standard = settings.mode == "standard"
        cluster = PrivateCluster(
            self,
            "cluster",
            PrivateClusterProps(
                name=settings.name,
                project_id=project,
                location=platform.region,
                network_id=network.network_id,
                subnet_id=network.subnet_id,
                pods_range_name=network.pods_range_name,
                services_range_name=network.services_range_name,
                control_plane_cidr=network.control_plane_cidr,
                secrets_key=keys.secrets,
                boot_disk_key=keys.boot_disk,
                service_agents=agents,
                node_service_account=node_identity.email,
                authorized_networks=tuple(authorized),
                control_plane=props.control_plane,
                vulnerability_scanning=settings.vulnerability_scanning,
                autopilot=not standard,
                bootstrap_pool=_bootstrap_pool(settings.node_pools),
                release_channel=settings.release_channel,
                maintenance_window=settings.maintenance_window,
                security_group=settings.security_group,
                ray_operator_addon=props.ray_operator_addon,
                gateway_api=props.gateway_api,
                labels={
                    "environment": platform.environment,
                    "team": platform.labels.team,
                    "cost-center": platform.labels.cost_center,
                },
            ),
        )
        if standard:
            for pool in settings.node_pools:
                HardenedNodePool(
                    self,
                    f"pool-{pool.name}",
                    HardenedNodePoolProps(
                        pool=pool,
                        cluster_id=cluster.id,
                        location=platform.region,
                        zones=list(pool.zones or props.zones[:1]),
                        service_account=node_identity.email,
                        boot_disk_key=keys.boot_disk,
                        compute_agent=agents.compute,
                        google_beta=self.use_google_beta() if pool.sandbox else None,
                    ),
                )
        connect = ClusterConnectRole(
            self,
            "connect-role",
            ClusterConnectRoleProps(project_id=project, cluster=settings.name, access=props.control_plane.access),
        )
        self.refs = ClusterRefs(access=cluster.access(), nodes=node_identity.principal, connect_role=connect.name)
        self._outputs(platform, settings, props.control_plane, cluster, node_identity)

    def _outputs(
        self,
        platform: Platform,
        settings: ClusterSettings,
        reach: ControlPlaneReach,
        cluster: PrivateCluster,
        nodes: NodeServiceAccount,
    ) -> None:
        """What people need: which cluster, where, its identities, and how to get credentials."""
        TerraformOutput(self, "cluster_name", value=cluster.name, description="GKE cluster name")
        TerraformOutput(self, "cluster_location", value=cluster.location, description="GKE cluster region")
        TerraformOutput(self, "workload_pool", value=cluster.workload_pool, description="Workload Identity pool")
        TerraformOutput(self, "node_service_account", value=nodes.email, description="Node service account")
        access = reach.access
        flag = CREDENTIALS_FLAG[access]
        if flag is None:
            command = (
                f"gcloud container fleet memberships get-credentials {settings.name} --project {platform.project_id}"
            )
        else:
            command = (
                f"gcloud container clusters get-credentials {settings.name} --location {platform.region} "
                f"--project {platform.project_id} {flag}"
            )
        TerraformOutput(self, "get_credentials", value=command, description=f"kubectl credentials through {access}")


def _bootstrap_pool(pools: list[NodePool]) -> NodePool:
    """GKE's throw-away default pool: the first confidential CPU pool's machine, hardened, never a GPU."""
    for pool in pools:
        if pool.gpu is None and pool.confidential_instance_type is not None:
            return NodePool(
                name="default",
                machine_type=pool.machine_type,
                confidential_instance_type=pool.confidential_instance_type,
            )
    return NodePool(name="default")
