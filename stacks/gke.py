"""The gke stack: keys, node identity, the private cluster and its node pools."""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort.config import Environment
from rayfort.gke.cluster import PrivateCluster, PrivateClusterProps
from rayfort.gke.keys import ClusterKeys, ClusterKeysProps
from rayfort.gke.node_identity import NodeServiceAccount
from rayfort.gke.node_pool import HardenedNodePool, HardenedNodePoolProps
from rayfort.gke.service_agents import ProjectServiceAgents
from rayfort.stack import ClusterAccess, RayfortStack
from stacks.network import NetworkStack


class GkeStack(RayfortStack):
    """The cluster every tenant runs on; its outputs configure the in-cluster stacks' providers."""

    def __init__(self, scope: Construct, stack_id: str, env: Environment, network: NetworkStack) -> None:
        super().__init__(scope, stack_id, env)
        settings = env.cluster
        agents = ProjectServiceAgents(self, "service-agents", project_id=env.project_id)
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
            self, "node-identity", project_id=env.project_id, account_id=f"{settings.name}-nodes"
        )
        vpc = network.vpc
        authorized = [(vpc.subnet.ip_cidr_range, "node-subnet")]
        authorized += [(n.cidr, n.display_name) for n in settings.master_authorized_networks]
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
                autopilot=settings.mode == "autopilot",
                first_pool=settings.node_pools[0],
                release_channel=settings.release_channel,
                maintenance_window=settings.maintenance_window,
                security_group=settings.security_group,
                ray_operator_addon=env.kuberay.install == "gke-addon",
                gateway_api=env.exposure.api == "gateway",
                labels={"environment": env.name, "team": env.labels.team, "cost-center": env.labels.cost_center},
            ),
        )
        if settings.mode == "standard":
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

    @property
    def access(self) -> ClusterAccess:
        return self.cluster.access()
