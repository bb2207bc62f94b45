"""CKV_RAYFORT_6: GKE node boot disks encrypted with a customer-managed key.

No built-in check looks at ``boot_disk_kms_key``. Without it node boot disks
(container images, emptyDir on disk, logs) use Google-managed keys. This
check wants it on every ``google_container_node_pool``, on a cluster's own
``node_config`` and inline pools, on a kept default pool, and on
auto-provisioning defaults for Autopilot and node auto-provisioning.

Catalogue control: RF002 (rayfort.controls says what it protects and what weaker means).
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
    nap_enabled,
    non_empty_string,
    value,
)


def _cmek_problem(where: str, node_config: dict[str, Any] | None) -> str | None:
    if node_config is None:
        return f"{where} is missing, so boot disks use Google-managed keys"
    if not non_empty_string(value(node_config, "boot_disk_kms_key", None)):
        return f"{where}.boot_disk_kms_key is not set"
    return None


class GKEBootDiskCMEK(RayfortCheck):
    """Closes: node boot disks encrypted only with Google-managed keys."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_6",
            name="GKE node boot disks use a customer-managed Cloud KMS key",
            resources=("google_container_cluster", "google_container_node_pool"),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["node_config/[0]/boot_disk_kms_key"]
        if self.entity_type == "google_container_node_pool":
            problem = _cmek_problem("node_config", block(conf, "node_config"))
            return [problem] if problem else []
        found = [p for where, cfg in cluster_node_configs(conf) if (p := _cmek_problem(where, cfg))]
        if default_pool_lives_on(conf) and block(conf, "node_config") is None:
            found.append("the default node pool is kept and has no node_config.boot_disk_kms_key")
        if is_autopilot(conf) or nap_enabled(conf):
            problem = _cmek_problem("cluster_autoscaling.auto_provisioning_defaults", auto_provisioning_defaults(conf))
            if problem:
                found.append(problem)
        return found


check = GKEBootDiskCMEK()
