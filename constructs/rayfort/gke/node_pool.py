"""Node pools on which every hardening setting is set explicitly, not left to GKE's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct, TerraformProvider
from rayfort._providers import google, google_beta
from rayfort.config.cluster import NodePool
from rayfort.config.placement import SANDBOX_RUNTIME_CLASS, configured_taints, pool_labels
from rayfort.gke.keys import BOOT_DISK_GRANT
from rayfort.iam import Principal
from rayfort.kms import EncryptionKey


def hardened_node_config(pool: NodePool, *, service_account: str, boot_disk_key: str) -> dict[str, Any]:
    """The node_config of a pool: COS, shielded, confidential, CMEK, GKE metadata server, no read-only kubelet port.

    Its taints and labels are ``config.placement``'s: the pool's own, the GPU taint, and a dedicated
    pool's ``rayfort.dev/tenant`` taint and label, which only that tenant's pods tolerate and select.
    A sandbox pool runs pods in gVisor (``sandbox_config``, google-beta only); GKE itself taints and
    labels its nodes ``sandbox.gke.io/runtime=gvisor``, so neither is written here.
    """
    config: dict[str, Any] = {
        "machine_type": pool.machine_type,
        "image_type": "COS_CONTAINERD",
        "disk_size_gb": pool.disk_size_gb,
        "disk_type": pool.disk_type,
        "boot_disk_kms_key": boot_disk_key,
        "service_account": service_account,
        "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        # CPU limits enforced, as GKE's API default; google < 7.6 sent false for an unset value, >= 7.6 sends true.
        "kubelet_config": {"cpu_cfs_quota": True, "insecure_kubelet_readonly_port_enabled": "FALSE"},
        "metadata": {"disable-legacy-endpoints": "true"},
        "labels": pool_labels(pool),
        "spot": pool.spot,
    }
    if pool.confidential_instance_type is None:
        # Written out even when off (a waived pool), so a reviewer reads the choice, not a provider default.
        config["confidential_nodes"] = {"enabled": False}
    else:
        config["confidential_nodes"] = {
            "enabled": True,
            "confidential_instance_type": pool.confidential_instance_type,
        }
    if pool.sandbox:
        # GKE Sandbox runs on COS with containerd only, which every pool uses (image_type above).
        config["sandbox_config"] = {"sandbox_type": SANDBOX_RUNTIME_CLASS}
    taints = [{"key": t.key, "value": t.value, "effect": t.provider_effect} for t in configured_taints(pool)]
    if pool.gpu is not None:
        config["guest_accelerator"] = [
            {
                "type": pool.gpu.type,
                "count": pool.gpu.count,
                "gpu_driver_installation_config": {"gpu_driver_version": pool.gpu.driver_version},
            }
        ]
    if taints:
        config["taint"] = taints
    return config


@dataclass(frozen=True)
class HardenedNodePoolProps:
    """Inputs of HardenedNodePool."""

    pool: NodePool
    """The pool's settings from the environment."""
    cluster_id: str
    """The cluster the pool belongs to."""
    location: str
    """The cluster's location."""
    zones: list[str]
    """Zones of the nodes."""
    service_account: str
    """Email of the dedicated node service account."""
    boot_disk_key: EncryptionKey
    """CMEK key of the boot disks; granted here to Compute Engine's service agent."""
    compute_agent: Principal
    """Compute Engine's service agent of the cluster project, which encrypts the boot disks."""
    google_beta: TerraformProvider | None = None
    """The stack's google-beta provider; a sandbox pool needs it (the GA provider has no sandbox_config)."""


class HardenedNodePool(Construct):
    """A node pool with auto-repair, auto-upgrade, autoscaling and surge upgrades."""

    def __init__(self, scope: Construct, construct_id: str, props: HardenedNodePoolProps) -> None:
        super().__init__(scope, construct_id)
        pool = props.pool
        grant = props.boot_disk_key.grant_encrypt_decrypt(props.compute_agent, construct_id=BOOT_DISK_GRANT)
        # The GA provider has no sandbox_config: a sandbox pool is google-beta's resource of the same type,
        # created by the stack's google-beta provider, which it names (Terraform would pick google).
        beta: dict[str, Any] = {}
        if pool.sandbox:
            if props.google_beta is None:
                raise ValueError(f"node pool {pool.name}: a sandbox pool needs the stack's google-beta provider")
            beta = {"provider": props.google_beta}
        node_pool_class = google_beta.GoogleContainerNodePool if pool.sandbox else google.ContainerNodePool
        self.node_pool = node_pool_class(
            self,
            "pool",
            name=pool.name,
            cluster=props.cluster_id,
            location=props.location,
            node_locations=list(props.zones),
            autoscaling={"min_node_count": pool.min_nodes, "max_node_count": pool.max_nodes},
            management={"auto_repair": True, "auto_upgrade": True},
            upgrade_settings={"strategy": "SURGE", "max_surge": 1, "max_unavailable": 0},
            node_config=hardened_node_config(
                pool, service_account=props.service_account, boot_disk_key=props.boot_disk_key.id
            ),
            depends_on=[grant.propagated],
            **beta,
        )
