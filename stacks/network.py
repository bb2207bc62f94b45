"""The network stack: the private VPC every other stack sits in."""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort.config import Environment
from rayfort.network.private_network import PrivateNetwork, PrivateNetworkProps
from rayfort.stack import RayfortStack


class NetworkStack(RayfortStack):
    """VPC and node subnet; its attributes are the references the gke and exposure stacks use."""

    def __init__(self, scope: Construct, stack_id: str, env: Environment) -> None:
        super().__init__(scope, stack_id, env)
        net = env.network
        self.vpc = PrivateNetwork(
            self,
            "vpc",
            PrivateNetworkProps(
                name=env.cluster.name,
                region=env.region,
                subnet_cidr=net.subnet_cidr,
                pods_cidr=net.pods_cidr,
                services_cidr=net.services_cidr,
                flow_logs=net.flow_logs,
            ),
        )
