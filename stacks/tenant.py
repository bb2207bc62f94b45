"""tenant-<name> stacks: one isolated Ray cluster per team, each with its own state."""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort.config import Environment
from rayfort.config.tenant import TenantSettings
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.namespace import restricted_namespace
from rayfort.stack import RayfortStack
from stacks.gke import GkeStack
from stacks.kuberay import KubeRayStack
from stacks.network import NetworkStack


class TenantStack(RayfortStack):
    """A team's namespace and Ray cluster."""

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        env: Environment,
        tenant: TenantSettings,
        network: NetworkStack,
        gke: GkeStack,
        kuberay: KubeRayStack,
    ) -> None:
        super().__init__(scope, stack_id, env)
        self.tenant = tenant
        self.network = network
        self.use_cluster(gke.access)
        # The operator and its CRDs must exist before a RayCluster can be planned.
        self.add_dependency(kuberay)
        self.namespace = KubernetesObject(
            self,
            "namespace",
            restricted_namespace(tenant.name, {"rayfort.dev/tenant": tenant.name, "rayfort.dev/cost-center": tenant.cost_center}),
        )

    @property
    def namespace_name(self) -> str:
        return self.namespace.name
