"""CKV_RAYFORT_8: GKE Workload Identity on, and every node pool behind the GKE metadata server.

No built-in check looks at ``workload_identity_config``: without a
``PROJECT.svc.id.goog`` pool, Pods fall back to the node's service account.
CKV_GCP_69 covers ``workload_metadata_config`` on node pools but not on a
cluster's inline ``node_pool`` blocks, and shares its id with the cluster
result (which fails for Autopilot), so it cannot be relied on alone. This
check wants the pool on every Standard cluster (Autopilot always has it; if
set there it must be right) and ``workload_metadata_config.mode =
"GKE_METADATA"`` on every node config a cluster or node pool defines.

Catalogue control: RF004 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import block, cluster_node_configs, is_autopilot, path_value

POOL_SUFFIX = ".svc.id.goog"


def _metadata_problem(where: str, node_config: dict[str, Any] | None) -> str | None:
    mode = path_value(node_config, "workload_metadata_config.mode", None) if node_config else None
    if mode != "GKE_METADATA":
        return f"{where}.workload_metadata_config.mode is {mode!r}, want 'GKE_METADATA'"
    return None


class GKEWorkloadIdentity(RayfortCheck):
    """Closes: Pods reaching the node's service account through the Compute metadata server."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_8",
            name="GKE Workload Identity pool is set and node pools use the GKE metadata server",
            resources=("google_container_cluster", "google_container_node_pool"),
            categories=(CheckCategories.IAM,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["workload_identity_config/[0]/workload_pool", "node_config/[0]/workload_metadata_config"]
        if self.entity_type == "google_container_node_pool":
            problem = _metadata_problem("node_config", block(conf, "node_config"))
            return [problem] if problem else []
        found = []
        workload_pool = path_value(conf, "workload_identity_config.workload_pool", None)
        if workload_pool is None:
            if not is_autopilot(conf):
                found.append("workload_identity_config.workload_pool is not set")
        elif not (isinstance(workload_pool, str) and workload_pool.strip().endswith(POOL_SUFFIX)):
            found.append(f"workload_identity_config.workload_pool {workload_pool!r} does not end with {POOL_SUFFIX}")
        for where, node_config in cluster_node_configs(conf):
            problem = _metadata_problem(where, node_config)
            if problem:
                found.append(problem)
        return found


check = GKEWorkloadIdentity()
