"""CKV_RAYFORT_10: every GKE node pool is shielded with Secure Boot and integrity monitoring, explicitly.

CKV_GCP_68 returns no result for a node pool without ``node_config`` and
CKV_GCP_72 passes a ``node_config`` that omits ``shielded_instance_config``;
neither looks at a cluster's inline ``node_pool`` blocks or at
auto-provisioning defaults. This check wants
``shielded_instance_config { enable_secure_boot = true,
enable_integrity_monitoring = true }`` on every node config, cluster
``enable_shielded_nodes`` not false, and the same on auto-provisioning
defaults when node auto-provisioning is on (Autopilot enforces both itself).

Catalogue control: RF001 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import (
    auto_provisioning_defaults,
    block,
    cluster_node_configs,
    default_pool_lives_on,
    is_autopilot,
    is_false,
    is_true,
    nap_enabled,
    path_value,
    value,
)


def _shielded_problems(where: str, node_config: dict[str, Any] | None) -> list[str]:
    if node_config is None:
        return [f"{where} is missing, so Secure Boot is off by default"]
    found = []
    for flag in ("enable_secure_boot", "enable_integrity_monitoring"):
        if not is_true(path_value(node_config, f"shielded_instance_config.{flag}", None)):
            found.append(f"{where}.shielded_instance_config.{flag} is not true")
    return found


class GKEShieldedNodes(RayfortCheck):
    """Closes: node pools booting without Secure Boot or without integrity monitoring."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_10",
            name="GKE node pools set Secure Boot and integrity monitoring explicitly",
            resources=("google_container_cluster", "google_container_node_pool"),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["node_config/[0]/shielded_instance_config"]
        if self.entity_type == "google_container_node_pool":
            return _shielded_problems("node_config", block(conf, "node_config"))
        found: list[str] = []
        if is_false(value(conf, "enable_shielded_nodes", None)):
            found.append("enable_shielded_nodes is false")
        if is_autopilot(conf):
            return found
        for where, node_config in cluster_node_configs(conf):
            found.extend(_shielded_problems(where, node_config))
        if default_pool_lives_on(conf) and block(conf, "node_config") is None:
            found.append("the default node pool is kept without node_config.shielded_instance_config")
        if nap_enabled(conf):
            found.extend(
                _shielded_problems("cluster_autoscaling.auto_provisioning_defaults", auto_provisioning_defaults(conf))
            )
        return found


check = GKEShieldedNodes()
