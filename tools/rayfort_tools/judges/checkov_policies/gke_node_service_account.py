"""CKV_RAYFORT_4: every GKE node runs as a dedicated service account, never the Compute Engine default.

CKV2_GCP_1 misses a node pool that leaves ``service_account`` out (GKE then
uses PROJECT_NUMBER-compute@developer.gserviceaccount.com, which holds
project Editor by default). This check wants it set and not the default on
every ``google_container_node_pool``, on a cluster's own ``node_config`` and
inline ``node_pool`` blocks, on the default pool when the cluster keeps it,
and on auto-provisioning defaults for Autopilot and node auto-provisioning.

Catalogue control: RF004 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import (
    auto_provisioning_defaults,
    block,
    cluster_node_configs,
    default_pool_lives_on,
    is_autopilot,
    is_default_compute_sa,
    nap_enabled,
    non_empty_string,
    value,
)


def _sa_problem(where: str, node_config: dict[str, Any] | None) -> str | None:
    if node_config is None:
        return f"{where} is missing, so nodes run as the Compute Engine default service account"
    account = value(node_config, "service_account", None)
    if not non_empty_string(account):
        return f"{where}.service_account is not set (defaults to the Compute Engine default service account)"
    if is_default_compute_sa(account):
        return f"{where}.service_account is the Compute Engine default service account"
    return None


class GKENodeServiceAccount(RayfortCheck):
    """Closes: nodes running as the over-privileged Compute Engine default service account."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_4",
            name="GKE nodes use a dedicated service account, never the Compute Engine default",
            resources=("google_container_cluster", "google_container_node_pool"),
            categories=(CheckCategories.IAM,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["node_config/[0]/service_account"]
        if self.entity_type == "google_container_node_pool":
            problem = _sa_problem("node_config", block(conf, "node_config"))
            return [problem] if problem else []
        found = [p for where, cfg in cluster_node_configs(conf) if (p := _sa_problem(where, cfg))]
        if default_pool_lives_on(conf) and block(conf, "node_config") is None:
            found.append("the default node pool is kept and has no node_config.service_account")
        if is_autopilot(conf) or nap_enabled(conf):
            problem = _sa_problem("cluster_autoscaling.auto_provisioning_defaults", auto_provisioning_defaults(conf))
            if problem:
                found.append(problem)
        return found


check = GKENodeServiceAccount()
