"""CKV_RAYFORT_1: GKE nodes and control plane private by value, not by the mere block.

CKV_GCP_25/CKV_GCP_64 pass as soon as a ``private_cluster_config`` block
exists, even with ``enable_private_endpoint = false`` (public control plane)
or ``enable_private_nodes = false`` (nodes with public IPs). This check wants
both flags literally true on every cluster, Autopilot included, and no node
pool opting its nodes back out of private addressing. The DNS-based endpoint
may accept traffic from outside the VPC: every request to it is authorized by
IAM (and rayfort admits it only inside an enforced VPC-SC perimeter); it puts
no IP address of the control plane on the internet.

Catalogue control: RF005 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import block, blocks, is_false, is_true, value


class GKEPrivateControlPlane(RayfortCheck):
    """Closes: public GKE control plane or public node IPs behind a present-but-weak private_cluster_config."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_1",
            name="GKE private nodes and private endpoint are enabled by value (clusters and node pools)",
            resources=("google_container_cluster", "google_container_node_pool"),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        if self.entity_type == "google_container_node_pool":
            return self._pool_problems(conf, "network_config")
        found: list[str] = []
        private = block(conf, "private_cluster_config")
        if private is None:
            found.append("private_cluster_config is missing")
        else:
            if not is_true(value(private, "enable_private_nodes", None)):
                found.append("private_cluster_config.enable_private_nodes is not true")
            if not is_true(value(private, "enable_private_endpoint", None)):
                found.append("private_cluster_config.enable_private_endpoint is not true")
        for index, pool in enumerate(blocks(conf, "node_pool")):
            found.extend(f"node_pool[{index}]: {p}" for p in self._pool_problems(pool, "network_config"))
        self.evaluated_keys = [
            "private_cluster_config/[0]/enable_private_nodes",
            "private_cluster_config/[0]/enable_private_endpoint",
            "control_plane_endpoints_config",
        ]
        return found

    @staticmethod
    def _pool_problems(pool: dict[str, Any], key: str) -> list[str]:
        network = block(pool, key)
        if network is not None and is_false(value(network, "enable_private_nodes", None)):
            return [f"{key}.enable_private_nodes is false: this pool's nodes get public IPs"]
        return []


check = GKEPrivateControlPlane()
