"""The gke stack: keys, node identity, image admission, audit logs, the private cluster and its node pools."""

from __future__ import annotations

from rayfort._cdk import Construct, TerraformOutput
from rayfort.config import Environment
from rayfort.config.cluster import NodePool, admitted_image_patterns
from rayfort.gke.audit_logs import DataAccessAuditLogs, DataAccessAuditLogsProps
from rayfort.gke.binary_authorization import ImageAdmissionPolicy, ImageAdmissionPolicyProps
from rayfort.gke.cluster import ClusterAccess, PrivateCluster, PrivateClusterProps
from rayfort.gke.keys import ClusterKeys, ClusterKeysProps
from rayfort.gke.node_identity import NodeServiceAccount, NodeServiceAccountProps
from rayfort.gke.node_pool import HardenedNodePool, HardenedNodePoolProps
from rayfort.gke.service_agents import ProjectServiceAgents, ProjectServiceAgentsProps
from rayfort.stacks.base import RayfortStack
from rayfort.stacks.network import NetworkStack

CREDENTIALS_FLAG = {
    "internal_ip": "--internal-ip",
    "dns_endpoint": "--dns-endpoint",
    "connect_gateway": None,
}


class GkeStack(RayfortStack):
    """The cluster every tenant runs on; its references configure the in-cluster stacks' providers."""

    def __init__(self, scope: Construct, stack_id: str, env: Environment, network: NetworkStack) -> None:
        super().__init__(scope, stack_id, env)
        settings = env.cluster
        agents = ProjectServiceAgents(self, "service-agents", ProjectServiceAgentsProps(project_id=env.project_id))
        self.keys = ClusterKeys(
            self,
            "keys",
            ClusterKeysProps(
                settings=settings.kms, location=env.region, project_id=env.project_id, name_prefix=settings.name
            ),
        )
        self.keys.grant_boot_disk_encryption(agents.compute)
        self.keys.grant_secrets_encryption(agents.gke)
        self.node_identity = NodeServiceAccount(
            self,
            "node-identity",
            NodeServiceAccountProps(project_id=env.project_id, account_id=f"{settings.name}-nodes"),
        )
        ImageAdmissionPolicy(
            self,
            "image-admission",
            ImageAdmissionPolicyProps(project_id=env.project_id, admitted_patterns=admitted_image_patterns(env)),
        )
        DataAccessAuditLogs(self, "audit-logs", DataAccessAuditLogsProps(project_id=env.project_id))
        if self.keys.project_id != env.project_id:
            DataAccessAuditLogs(
                self,
                "key-audit-logs",
                DataAccessAuditLogsProps(project_id=self.keys.project_id, services=("cloudkms.googleapis.com",)),
            )
        vpc = network.vpc
        authorized = [(vpc.subnet.ip_cidr_range, "node-subnet")]
        authorized += [(n.cidr, n.display_name) for n in settings.master_authorized_networks]
        standard = settings.mode == "standard"
        self.cluster = PrivateCluster(
            self,
            "cluster",
            PrivateClusterProps(
                name=settings.name,
                project_id=env.project_id,
                location=env.region,
                network_id=vpc.network_id,
                subnet_id=vpc.subnet_id,
                pods_range_name=vpc.pods_range_name,
                services_range_name=vpc.services_range_name,
                control_plane_cidr=env.network.control_plane_cidr,
                secrets_key_id=self.keys.secrets_key_id,
                boot_disk_key_id=self.keys.boot_disk_key_id,
                node_service_account=self.node_identity.email,
                authorized_networks=tuple(authorized),
                control_plane_access=settings.control_plane_access,
                autopilot=not standard,
                bootstrap_pool=_bootstrap_pool(settings.node_pools),
                release_channel=settings.release_channel,
                maintenance_window=settings.maintenance_window,
                security_group=settings.security_group,
                ray_operator_addon=env.kuberay.install == "gke-addon",
                gateway_api=env.exposure.api == "gateway",
                labels={"environment": env.name, "team": env.labels.team, "cost-center": env.labels.cost_center},
            ),
        )
        if standard:
            for pool in settings.node_pools:
                HardenedNodePool(
                    self,
                    f"pool-{pool.name}",
                    HardenedNodePoolProps(
                        pool=pool,
                        cluster_id=self.cluster.id,
                        location=env.region,
                        zones=pool.zones or env.zones[:1],
                        service_account=self.node_identity.email,
                        boot_disk_key=self.keys.boot_disk_key_id,
                    ),
                )
        self._outputs(env)

    def _outputs(self, env: Environment) -> None:
        """What people need: which cluster, where, its identities, and how to get credentials."""
        TerraformOutput(self, "cluster_name", value=self.cluster_name, description="GKE cluster name")
        TerraformOutput(self, "cluster_location", value=self.location, description="GKE cluster region")
        TerraformOutput(self, "workload_pool", value=self.workload_pool, description="Workload Identity pool")
        TerraformOutput(
            self, "node_service_account", value=self.node_service_account_email, description="Node service account"
        )
        access = env.cluster.control_plane_access
        flag = CREDENTIALS_FLAG[access]
        if flag is None:
            command = (
                f"gcloud container fleet memberships get-credentials {env.cluster.name} --project {env.project_id}"
            )
        else:
            command = (
                f"gcloud container clusters get-credentials {env.cluster.name} --location {env.region} "
                f"--project {env.project_id} {flag}"
            )
        TerraformOutput(self, "get_credentials", value=command, description=f"kubectl credentials through {access}")

    @property
    def access(self) -> ClusterAccess:
        return self.cluster.access()

    @property
    def cluster_name(self) -> str:
        return self.cluster.name

    @property
    def location(self) -> str:
        return self.cluster.location

    @property
    def endpoint(self) -> str:
        """The API server address for the chosen control plane access."""
        return self.cluster.endpoint

    @property
    def ca_certificate(self) -> str:
        """Base64 PEM of the cluster CA."""
        return self.cluster.ca_certificate

    @property
    def workload_pool(self) -> str:
        return self.cluster.workload_pool

    @property
    def node_service_account_email(self) -> str:
        return self.node_identity.email

    @property
    def node_service_account_member(self) -> str:
        """serviceAccount:<email>, for image-pull grants made where repositories are created."""
        return self.node_identity.member

    @property
    def boot_disk_key_id(self) -> str:
        return self.keys.boot_disk_key_id

    @property
    def secrets_key_id(self) -> str:
        return self.keys.secrets_key_id


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
