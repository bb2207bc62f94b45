"""What a change does, resource by resource: added, removed, changed, replaced, weakened.

Resources are matched by construct path, the same identity Terraform uses
(cdktf derives the resource name from it). Attribute changes are listed by
path; the tables below say which of them make Terraform replace a resource and
which weaken a security control.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rayfort_tools.review.synth_output import SynthOutput

# Attributes that force Terraform to destroy and recreate the resource (ForceNew in the provider schema).
REPLACING_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "google_container_cluster": (
        "name",
        "location",
        "project",
        "network",
        "subnetwork",
        "networking_mode",
        "enable_autopilot",
        "datapath_provider",
        "ip_allocation_policy",
        "private_cluster_config.master_ipv4_cidr_block",
        "private_cluster_config.enable_private_nodes",
        "confidential_nodes",
        "node_config",
    ),
    "google_container_node_pool": (
        "name",
        "cluster",
        "location",
        "project",
        "node_config.machine_type",
        "node_config.disk_type",
        "node_config.boot_disk_kms_key",
        "node_config.confidential_nodes",
        "node_config.service_account",
        "node_config.oauth_scopes",
        "node_config.guest_accelerator",
        "node_config.spot",
        "node_config.shielded_instance_config",
    ),
    "google_storage_bucket": ("name", "location", "project"),
    "google_compute_network": ("name", "project", "auto_create_subnetworks", "delete_default_routes_on_create"),
    "google_compute_subnetwork": ("name", "network", "region", "project"),
    "google_kms_key_ring": ("name", "location", "project"),
    "google_kms_crypto_key": ("name", "key_ring", "purpose"),
    "google_redis_instance": (
        "name",
        "region",
        "tier",
        "authorized_network",
        "connect_mode",
        "transit_encryption_mode",
        "customer_managed_key",
        "reserved_ip_range",
    ),
    "google_service_account": ("account_id", "project"),
    "google_artifact_registry_repository": ("repository_id", "location", "format", "kms_key_name", "project"),
    "google_compute_address": ("name", "address", "address_type", "subnetwork", "region"),
    "google_compute_global_address": ("name", "address", "address_type", "purpose", "prefix_length"),
    "google_dns_managed_zone": ("name", "dns_name", "visibility"),
    "kubernetes_manifest": (
        "manifest.apiVersion",
        "manifest.kind",
        "manifest.metadata.name",
        "manifest.metadata.namespace",
    ),
}


def _turned_off(old: Any, new: Any) -> bool:
    return old is True and new is not True


def _turned_on(old: Any, new: Any) -> bool:
    return old is not True and new is True


def _ranges_widened(old: Any, new: Any) -> bool:
    return isinstance(new, list) and bool(set(map(str, new)) - set(map(str, old or [])))


def _removed(old: Any, new: Any) -> bool:
    return old not in (None, "", [], {}) and new in (None, "", [], {})


def _rotation_longer(old: Any, new: Any) -> bool:
    def seconds(value: Any) -> float:
        text = str(value or "").rstrip("s")
        return float(text) if text.replace(".", "", 1).isdigit() else float("inf")

    return seconds(new) > seconds(old)


def _changed_from(*strong: str) -> Callable[[Any, Any], bool]:
    return lambda old, new: old in strong and new not in strong


@dataclass(frozen=True)
class Weakening:
    resource_type: str
    attribute: tuple[str, ...]
    weakened: Callable[[Any, Any], bool]
    meaning: str


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "google_container_cluster",
        ("private_cluster_config", "enable_private_endpoint"),
        _turned_off,
        "the control plane gets a public endpoint",
    ),
    Weakening(
        "google_container_cluster",
        ("private_cluster_config", "enable_private_nodes"),
        _turned_off,
        "nodes get public IPs",
    ),
    Weakening(
        "google_container_cluster",
        ("master_authorized_networks_config", "cidr_blocks"),
        _ranges_widened,
        "more networks reach the control plane",
    ),
    Weakening(
        "google_container_cluster",
        ("control_plane_endpoints_config", "dns_endpoint_config", "allow_external_traffic"),
        _turned_on,
        "the control plane's DNS endpoint accepts traffic from outside the VPC (IAM still decides)",
    ),
    Weakening("google_container_cluster", ("deletion_protection",), _turned_off, "the cluster can be destroyed"),
    Weakening(
        "google_container_cluster",
        ("database_encryption", "state"),
        _changed_from("ENCRYPTED"),
        "secrets are no longer encrypted with our key",
    ),
    Weakening(
        "google_container_cluster",
        ("binary_authorization", "evaluation_mode"),
        _changed_from("PROJECT_SINGLETON_POLICY_ENFORCE"),
        "unsigned images may run",
    ),
    Weakening("google_container_cluster", ("enable_legacy_abac",), _turned_on, "legacy ABAC grants broad access"),
    Weakening(
        "google_container_cluster",
        ("master_auth", "client_certificate_config", "issue_client_certificate"),
        _turned_on,
        "long-lived client certificates are issued",
    ),
    Weakening(
        "google_container_cluster",
        ("workload_identity_config", "workload_pool"),
        _removed,
        "pods fall back to the node's identity",
    ),
    Weakening("google_container_cluster", ("logging_config", "enable_components"), _removed, "logging switched off"),
    Weakening(
        "google_container_node_pool",
        ("node_config", "confidential_nodes", "enabled"),
        _turned_off,
        "node memory is no longer encrypted in use",
    ),
    Weakening(
        "google_container_node_pool",
        ("node_config", "shielded_instance_config", "enable_secure_boot"),
        _turned_off,
        "nodes boot without verified boot",
    ),
    Weakening(
        "google_container_node_pool",
        ("node_config", "boot_disk_kms_key"),
        _removed,
        "boot disks fall back to Google-managed keys",
    ),
    Weakening(
        "google_container_node_pool",
        ("node_config", "workload_metadata_config", "mode"),
        _changed_from("GKE_METADATA"),
        "pods can read node credentials",
    ),
    Weakening("google_compute_firewall", ("source_ranges",), _ranges_widened, "the rule admits more sources"),
    Weakening("google_compute_firewall", ("log_config", "metadata"), _removed, "firewall logging switched off"),
    Weakening("google_compute_subnetwork", ("log_config",), _removed, "flow logs switched off"),
    Weakening(
        "google_compute_subnetwork",
        ("private_ip_google_access",),
        _turned_off,
        "nodes lose the private path to Google APIs",
    ),
    Weakening("google_kms_crypto_key", ("rotation_period",), _rotation_longer, "keys rotate less often"),
    Weakening("google_kms_crypto_key", ("lifecycle", "prevent_destroy"), _turned_off, "the key can be destroyed"),
    Weakening(
        "google_storage_bucket",
        ("public_access_prevention",),
        _changed_from("enforced"),
        "the bucket may become public",
    ),
    Weakening("google_storage_bucket", ("uniform_bucket_level_access",), _turned_off, "object ACLs return"),
    Weakening("google_storage_bucket", ("encryption", "default_kms_key_name"), _removed, "objects use Google keys"),
    Weakening("google_redis_instance", ("auth_enabled",), _turned_off, "Redis accepts unauthenticated clients"),
    Weakening(
        "google_redis_instance",
        ("transit_encryption_mode",),
        _changed_from("SERVER_AUTHENTICATION"),
        "Redis traffic is no longer encrypted",
    ),
    Weakening(
        "google_access_context_manager_service_perimeter", ("status",), _removed, "the perimeter is no longer enforced"
    ),
    Weakening(
        "google_compute_ssl_policy",
        ("min_tls_version",),
        _changed_from("TLS_1_2", "TLS_1_3"),
        "older TLS versions are accepted",
    ),
    Weakening(
        "kubernetes_manifest",
        ("manifest", "spec", "authOptions", "mode"),
        _changed_from("token"),
        "anyone who reaches the Ray head can run code",
    ),
    Weakening(
        "kubernetes_manifest",
        ("manifest", "metadata", "labels", "pod-security.kubernetes.io/enforce"),
        _changed_from("restricted"),
        "the namespace admits privileged pods",
    ),
    Weakening(
        "kubernetes_manifest",
        ("manifest", "spec", "loadBalancerSourceRanges"),
        _ranges_widened,
        "the load balancer admits more sources",
    ),
)


@dataclass(frozen=True)
class AttributeChange:
    path: str
    old: Any
    new: Any
    replaces: bool
    weakens: str | None


@dataclass
class ResourceChange:
    stack: str
    construct_path: str
    resource_type: str
    action: str  # "add", "remove", "change", "replace"
    attributes: list[AttributeChange] = field(default_factory=list)

    @property
    def weakenings(self) -> list[AttributeChange]:
        return [a for a in self.attributes if a.weakens]


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaves of a resource body; a one-item list of blocks reads like the block itself."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        value = value[0]
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _value_at(body: dict, keys: tuple[str, ...]) -> Any:
    current: Any = body
    for key in keys:
        if isinstance(current, list) and len(current) == 1:
            current = current[0]
        if not isinstance(current, dict) or key not in current:
            return None
        current = current[key]
    return current


def _by_path(output: SynthOutput, stack: str) -> dict[str, tuple[str, dict]]:
    found = {}
    for address, body in output.resources(stack).items():
        found[output.construct_path(stack, address)] = (address.split(".", 1)[0], body)
    return found


def diff_outputs(baseline: SynthOutput, current: SynthOutput) -> list[ResourceChange]:
    """Every resource added, removed, changed or replaced between two synths."""
    changes: list[ResourceChange] = []
    for stack in sorted(set(baseline.stacks) | set(current.stacks)):
        before = _by_path(baseline, stack) if stack in baseline.stacks else {}
        after = _by_path(current, stack) if stack in current.stacks else {}
        for path in sorted(set(before) | set(after)):
            if path not in before:
                changes.append(ResourceChange(stack, path, after[path][0], "add"))
            elif path not in after:
                changes.append(ResourceChange(stack, path, before[path][0], "remove"))
            else:
                change = _compare(stack, path, before[path], after[path])
                if change is not None:
                    changes.append(change)
    return changes


def _compare(stack: str, path: str, before: tuple[str, dict], after: tuple[str, dict]) -> ResourceChange | None:
    resource_type, old_body = before
    _, new_body = after
    attributes = attribute_changes(resource_type, old_body, new_body)
    if not attributes:
        return None
    action = "replace" if any(a.replaces for a in attributes) else "change"
    return ResourceChange(stack, path, resource_type, action, attributes)


def attribute_changes(resource_type: str, old_body: dict, new_body: dict) -> list[AttributeChange]:
    """Changed leaves of one resource, marked when they force replacement or weaken a control."""
    old, new = dict(_flatten(old_body)), dict(_flatten(new_body))
    replacing = REPLACING_ATTRIBUTES.get(resource_type, ())
    attributes = []
    for attribute in sorted(set(old) | set(new)):
        if old.get(attribute) == new.get(attribute):
            continue
        replaces = any(attribute == r or attribute.startswith(f"{r}.") for r in replacing)
        attributes.append(AttributeChange(attribute, old.get(attribute), new.get(attribute), replaces, None))
    for weakening in WEAKENINGS:
        if weakening.resource_type != resource_type:
            continue
        was, now = _value_at(old_body, weakening.attribute), _value_at(new_body, weakening.attribute)
        if was != now and weakening.weakened(was, now):
            path = ".".join(weakening.attribute)
            plain = next((a for a in attributes if a.path == path), None)
            if plain is not None:
                attributes.remove(plain)
            replaces = plain.replaces if plain is not None else False
            attributes.append(AttributeChange(path, was, now, replaces, weakening.meaning))
    return attributes


def weakened_controls(baseline: SynthOutput, current: SynthOutput) -> list[tuple[dict, dict | None]]:
    """Rule evaluations that were on and are now waived or gone: (baseline evaluation, current or None)."""
    now = {(e["rule"], e["path"]): e for e in current.policy.get("evaluations", [])}
    found = []
    for evaluation in baseline.policy.get("evaluations", []):
        if evaluation["status"] != "on":
            continue
        current_evaluation = now.get((evaluation["rule"], evaluation["path"]))
        if current_evaluation is not None and current_evaluation["status"] != "on":
            found.append((evaluation, current_evaluation))
    return found
