"""CKV_RAYFORT_7: GKE cluster runs Confidential Nodes (memory encrypted in use).

No built-in check looks at Confidential GKE Nodes. A cluster passes with
cluster-level ``confidential_nodes.enabled = true`` (every pool then must be
confidential), or - Standard clusters only - when its own ``node_config`` and
every inline pool set ``node_config.confidential_nodes.enabled = true``.
Separate ``google_container_node_pool`` resources are judged by the graph
policy CKV2_RAYFORT_1, which also credits the cluster-level setting.

Catalogue control: RF003 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import cluster_node_configs, is_autopilot, is_true, path_value


class GKEConfidentialNodes(RayfortCheck):
    """Closes: Ray workloads and their data in node memory left unencrypted in use."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_7",
            name="GKE cluster enables Confidential Nodes (cluster level, or every node config it defines)",
            resources=("google_container_cluster",),
            categories=(CheckCategories.ENCRYPTION,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["confidential_nodes/[0]/enabled", "node_config/[0]/confidential_nodes/[0]/enabled"]
        if is_true(path_value(conf, "confidential_nodes.enabled", None)):
            return []
        if is_autopilot(conf):
            return ["Autopilot cluster without confidential_nodes.enabled = true"]
        configs = list(cluster_node_configs(conf))
        if not configs:
            return ["confidential_nodes.enabled is not true and the cluster defines no node_config that enables it"]
        return [
            f"{where}.confidential_nodes.enabled is not true"
            for where, node_config in configs
            if not is_true(path_value(node_config, "confidential_nodes.enabled", None))
        ]


check = GKEConfidentialNodes()
