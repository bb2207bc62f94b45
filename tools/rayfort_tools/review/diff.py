"""What a change does, resource by resource: added, removed, changed, replaced, weakened.

Resources are matched by construct path, the same identity Terraform uses
(cdktf derives the resource name from it). Attribute changes are listed by
path; the table below says which of them make Terraform replace a resource.
What weakens a security control is the control catalogue's to say
(``rayfort.controls``): its settings' comparators and its presence rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rayfort.controls import CONTROLS, Control, Setting
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


@dataclass(frozen=True)
class AttributeChange:
    path: str
    old: Any
    new: Any
    replaces: bool
    weakens: str | None
    control: str | None = None
    """The catalogue control a weakening lowers."""

    @property
    def added(self) -> list[Any]:
        """Elements a list gained (empty unless the value is a list)."""
        return _elements_only_in(self.new, self.old)

    @property
    def removed(self) -> list[Any]:
        return _elements_only_in(self.old, self.new)

    def describe(self) -> str:
        """The change as a reviewer reads it: list elements added and removed, else old → new."""
        if isinstance(self.old, list) or isinstance(self.new, list):
            parts = [f"+ {_compact(item)}" for item in self.added] + [f"− {_compact(item)}" for item in self.removed]
            if parts:
                return "; ".join(parts)
            return f"{_compact(self.old)} → {_compact(self.new)} (order)"
        return f"{_compact(self.old, 120)} → {_compact(self.new, 120)}"


def _compact(value: Any, limit: int | None = None) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def _elements_only_in(value: Any, other: Any) -> list[Any]:
    if not isinstance(value, list):
        return []
    others = {_compact(item) for item in other} if isinstance(other, list) else set()
    return [item for item in value if _compact(item) not in others]


@dataclass
class ResourceChange:
    stack: str
    construct_path: str
    resource_type: str
    action: str  # "add", "remove", "change", "replace"
    attributes: list[AttributeChange] = field(default_factory=list)
    weakens: str | None = None
    """Why adding or removing this resource is itself a weakening (a deny rule removed, an allow added)."""
    control: str | None = None

    @property
    def weakenings(self) -> list[AttributeChange]:
        return [a for a in self.attributes if a.weakens]


def _block(value: Any) -> Any:
    """A one-item list of blocks reads like the block itself."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return value[0]
    return value


def _leaf_changes(old: Any, new: Any, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Changed leaves of two bodies, side by side: a block removed lists each of its values as gone (null)."""
    old, new = _block(old), _block(new)
    if isinstance(old, dict) or isinstance(new, dict):
        old_map = old if isinstance(old, dict) else {}
        new_map = new if isinstance(new, dict) else {}
        if (old is not None and not isinstance(old, dict)) or (new is not None and not isinstance(new, dict)):
            if old != new:
                yield prefix, old, new
            return
        if not old_map and not new_map:
            if old != new:
                yield prefix, old, new
            return
        for key in sorted(set(old_map) | set(new_map)):
            yield from _leaf_changes(old_map.get(key), new_map.get(key), f"{prefix}.{key}" if prefix else str(key))
    elif old != new:
        yield prefix, old, new


def _by_path(output: SynthOutput, stack: str) -> dict[str, tuple[str, dict]]:
    found = {}
    for address, body in output.resources(stack).items():
        found[output.construct_path(stack, address)] = (address.split(".", 1)[0], body)
    return found


def _presence(resource_type: str, body: dict, change: str) -> tuple[str, str] | None:
    """(meaning, control id) when the catalogue ranks adding or removing this resource as a weakening."""
    for control in CONTROLS:
        for presence in control.presence:
            if presence.resource_type == resource_type and presence.change == change and presence.applies(body):
                return presence.meaning, control.id
    return None


def diff_outputs(baseline: SynthOutput, current: SynthOutput) -> list[ResourceChange]:
    """Every resource added, removed, changed or replaced between two synths.

    A resource added to a stack that existed, or removed from one that remains,
    is a weakening when the catalogue says so; a whole stack added or removed
    (a tenant arriving or leaving) is not.
    """
    changes: list[ResourceChange] = []
    for stack in sorted(set(baseline.stacks) | set(current.stacks)):
        before = _by_path(baseline, stack) if stack in baseline.stacks else {}
        after = _by_path(current, stack) if stack in current.stacks else {}
        both = stack in baseline.stacks and stack in current.stacks
        for path in sorted(set(before) | set(after)):
            if path not in before:
                resource_type, body = after[path]
                weakens = _presence(resource_type, body, "added") if both else None
                changes.append(ResourceChange(stack, path, resource_type, "add", [], *(weakens or (None, None))))
            elif path not in after:
                resource_type, body = before[path]
                weakens = _presence(resource_type, body, "removed") if both else None
                changes.append(ResourceChange(stack, path, resource_type, "remove", [], *(weakens or (None, None))))
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


def _settings(resource_type: str) -> Iterator[tuple[Control, Setting]]:
    for control in CONTROLS:
        for setting in control.settings:
            if setting.resource_type in (resource_type, "*"):
                yield control, setting


def attribute_changes(resource_type: str, old_body: dict, new_body: dict) -> list[AttributeChange]:
    """Changed leaves of one resource, marked when they force replacement or the catalogue ranks them weaker."""
    replacing = REPLACING_ATTRIBUTES.get(resource_type, ())
    attributes = []
    for attribute, old, new in _leaf_changes(old_body, new_body):
        replaces = any(attribute == r or attribute.startswith(f"{r}.") for r in replacing)
        attributes.append(AttributeChange(attribute, old, new, replaces, None))
    for control, setting in _settings(resource_type):
        if not (setting.applies(old_body) or setting.applies(new_body)):
            continue
        was, now = setting.value(old_body), setting.value(new_body)
        if was == now or not setting.compare.weaker(was, now):
            continue
        path = setting.attribute
        plain = next((a for a in attributes if a.path == path), None)
        if plain is not None:
            attributes.remove(plain)
        replaces = plain.replaces if plain is not None else False
        attributes.append(AttributeChange(path, was, now, replaces, setting.meaning, control.id))
    return attributes


def weakened_controls(baseline: SynthOutput, current: SynthOutput) -> list[tuple[dict | None, dict | None]]:
    """Rule evaluations that are now waived where they were not, or gone while their resource remains.

    (baseline evaluation or None, current evaluation or None): a newly waived
    control on a new resource has no baseline evaluation; a control that stopped
    being evaluated on a resource that is still there has no current one.
    """
    before = {(e["rule"], e["path"]): e for e in baseline.policy.get("evaluations", [])}
    now = {(e["rule"], e["path"]): e for e in current.policy.get("evaluations", [])}
    paths = {current.construct_path(stack, address) for stack in current.stacks for address in current.resources(stack)}
    found: list[tuple[dict | None, dict | None]] = []
    for key, evaluation in sorted(now.items()):
        was = before.get(key)
        if evaluation["status"] == "waived" and (was is None or was["status"] != "waived"):
            found.append((was, evaluation))
    rules_now = {rule for rule, _ in now}
    for key, evaluation in sorted(before.items()):
        if evaluation["status"] != "on" or key in now:
            continue
        # An environment rule that now finds something is recorded at the construct it names instead.
        if key[1] in paths or (key[1] == "environment" and key[0] not in rules_now):
            found.append((evaluation, None))
    return found
