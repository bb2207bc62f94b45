"""CKV_RAYFORT_9: GKE cluster turns the kubelet read-only port (10255) off for its node pools.

No built-in check looks at it. The unauthenticated read-only port leaks Pod
specs (env, images, tokens in args) to anything that can reach a node. A
Standard cluster must set
``node_pool_defaults.node_config_defaults.insecure_kubelet_readonly_port_enabled
= "FALSE"`` (the default for pools created later); an Autopilot cluster or one
with node auto-provisioning must set
``node_pool_auto_config.node_kubelet_config.insecure_kubelet_readonly_port_enabled
= "FALSE"``; and no node config the cluster defines may turn it back on.
Separate ``google_container_node_pool`` resources are judged by the graph
policy CKV2_RAYFORT_2.

Catalogue control: RF040 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import cluster_node_configs, is_autopilot, is_false, is_true, nap_enabled, path_value

KEY = "insecure_kubelet_readonly_port_enabled"


class GKEKubeletReadonlyPort(RayfortCheck):
    """Closes: the unauthenticated kubelet read-only port left open on GKE nodes."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_9",
            name="GKE cluster disables the insecure kubelet read-only port by default and in its node configs",
            resources=("google_container_cluster",),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = [
            f"node_pool_defaults/[0]/node_config_defaults/[0]/{KEY}",
            f"node_pool_auto_config/[0]/node_kubelet_config/[0]/{KEY}",
        ]
        found = []
        if is_autopilot(conf) or nap_enabled(conf):
            auto = path_value(conf, f"node_pool_auto_config.node_kubelet_config.{KEY}", None)
            if not is_false(auto):
                found.append(f"node_pool_auto_config.node_kubelet_config.{KEY} is {auto!r}, want 'FALSE'")
        if not is_autopilot(conf):
            default = path_value(conf, f"node_pool_defaults.node_config_defaults.{KEY}", None)
            if not is_false(default):
                found.append(f"node_pool_defaults.node_config_defaults.{KEY} is {default!r}, want 'FALSE'")
            for where, node_config in cluster_node_configs(conf):
                own = path_value(node_config, f"kubelet_config.{KEY}", None) if node_config else None
                if is_true(own):
                    found.append(f"{where}.kubelet_config.{KEY} turns the read-only port on")
        return found


check = GKEKubeletReadonlyPort()
