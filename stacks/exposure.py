"""The exposure stack: dashboards behind IAP, clients through an internal load balancer."""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort.config import Environment
from rayfort.stack import RayfortStack
from stacks.gke import GkeStack
from stacks.network import NetworkStack
from stacks.tenant import TenantStack


class ExposureStack(RayfortStack):
    """Publishes each opted-in tenant's dashboard and client ports, and nothing else."""

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        env: Environment,
        network: NetworkStack,
        gke: GkeStack,
        tenants: list[TenantStack],
    ) -> None:
        super().__init__(scope, stack_id, env)
        self.use_cluster(gke.access)
        self.tenants = tenants
        self.network = network
