"""Shared helpers for rayfort's custom checkov checks (not a check itself).

checkov's terraform_json parser turns every JSON object into a one-element
list and wraps every scalar in a one-element list. A nested block that cdktf
emits as an object (single block) and one it emits as a list of objects
(repeated block) therefore both arrive as a list of dicts; a scalar arrives as
``[value]`` and a list of scalars as ``[[a, b]]``. The parser also turns the
strings "true"/"false" (any case) into booleans, so the provider's
``"FALSE"`` enum for the kubelet read-only port reaches a check as ``False``.
cdktf's ``//`` metadata key inside a resource is kept as a raw dict; no check
reads it.

The helpers below accept both shapes everywhere, so a check never depends on
how cdktf chose to serialise a block.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from typing import Any

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__bool__": lambda self: False})()

# The Compute Engine default service account: PROJECT_NUMBER-compute@developer.gserviceaccount.com
DEFAULT_COMPUTE_SA_SUFFIX = "-compute@developer.gserviceaccount.com"


def blocks(node: Any, key: str) -> list[dict[str, Any]]:
    """Every nested block under ``key``, whether given as one object or a list of them."""
    if not isinstance(node, dict):
        return []
    raw = node.get(key)
    return _dicts(raw)


def _dicts(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        out: list[dict[str, Any]] = []
        for item in raw:
            out.extend(_dicts(item))
        return out
    return []


def block(node: Any, key: str) -> dict[str, Any] | None:
    """The first nested block under ``key`` (single blocks), or None."""
    found = blocks(node, key)
    return found[0] if found else None


def value(node: Any, key: str, default: Any = MISSING) -> Any:
    """An attribute's value with checkov's one-element list unwrapped; ``default`` if absent."""
    if not isinstance(node, dict) or key not in node:
        return default
    raw = node[key]
    if isinstance(raw, list):
        if len(raw) == 1 and not isinstance(raw[0], dict):
            return raw[0]
        if not raw:
            return default
    return raw


def path_value(node: Any, path: str, default: Any = MISSING) -> Any:
    """``value`` at a dotted path through single nested blocks, e.g. ``release_channel.channel``."""
    *parents, leaf = path.split(".")
    current: Any = node
    for part in parents:
        current = block(current, part)
        if current is None:
            return default
    return value(current, leaf, default)


def string_list(node: Any, key: str) -> list[Any]:
    """A list-of-scalars attribute as a flat Python list ([] if absent)."""
    raw = value(node, key, None)
    if raw is None:
        return []
    if isinstance(raw, list):
        flat: list[Any] = []
        for item in raw:
            if isinstance(item, list):
                flat.extend(item)
            else:
                flat.append(item)
        return flat
    return [raw]


def is_true(raw: Any) -> bool:
    """A literal true (bool, or a string the parser left as text)."""
    return raw is True or (isinstance(raw, str) and raw.strip().lower() == "true")


def is_false(raw: Any) -> bool:
    """A literal false (bool, or a string the parser left as text)."""
    return raw is False or (isinstance(raw, str) and raw.strip().lower() == "false")


def is_interpolation(raw: Any) -> bool:
    """A string that is entirely one Terraform interpolation/expression ``${...}``."""
    if not isinstance(raw, str):
        return False
    text = raw.strip()
    return text.startswith("${") and text.endswith("}")


def non_empty_string(raw: Any) -> bool:
    return isinstance(raw, str) and raw.strip() != ""


def is_default_compute_sa(raw: Any) -> bool:
    """The Compute Engine default service account: literal email, "default", or its data source."""
    if not isinstance(raw, str):
        return False
    text = raw.strip().lower()
    return (
        text == "default"
        or text.endswith(DEFAULT_COMPUTE_SA_SUFFIX)
        or "data.google_compute_default_service_account." in text
    )


def cidr_prefix_len(raw: Any) -> int | None:
    """The prefix length of a literal CIDR, or None when it is not a literal CIDR."""
    if not isinstance(raw, str):
        return None
    try:
        return ipaddress.ip_network(raw.strip(), strict=False).prefixlen
    except ValueError:
        return None


# --- GKE specifics ---------------------------------------------------------------


def is_autopilot(cluster: dict[str, Any]) -> bool:
    return is_true(value(cluster, "enable_autopilot", False))


def nap_enabled(cluster: dict[str, Any]) -> bool:
    """Node auto-provisioning on a Standard cluster (new pools appear outside Terraform)."""
    autoscaling = block(cluster, "cluster_autoscaling")
    return autoscaling is not None and is_true(value(autoscaling, "enabled", False))


def auto_provisioning_defaults(cluster: dict[str, Any]) -> dict[str, Any] | None:
    return block(block(cluster, "cluster_autoscaling"), "auto_provisioning_defaults")


def cluster_node_configs(cluster: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Node configs a cluster resource defines itself: its default pool's and each inline pool's.

    Yields (label, node_config or None). An inline ``node_pool`` without a
    ``node_config`` yields None: its nodes get every provider default.
    """
    own = block(cluster, "node_config")
    if own is not None:
        yield "node_config", own
    for index, pool in enumerate(blocks(cluster, "node_pool")):
        yield f"node_pool[{index}].node_config", block(pool, "node_config")


def default_pool_lives_on(cluster: dict[str, Any]) -> bool:
    """A Standard cluster whose default node pool is kept (not removed after creation)."""
    if is_autopilot(cluster):
        return False
    return not is_true(value(cluster, "remove_default_node_pool", False)) and not blocks(cluster, "node_pool")


# --- Kubernetes manifests ------------------------------------------------------------


def manifest_of(conf: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest object of a kubernetes_manifest, or None when it is not a literal object."""
    return block(conf, "manifest")


_CHART_CRDS = re.compile(r"data\.helm_template\.[-\w]+\.crds\b.*kind\s*==\s*\\?\"CustomResourceDefinition\\?\"", re.S)


def is_chart_crds(conf: dict[str, Any]) -> bool:
    """A kubernetes_manifest that applies the CRDs of a pinned chart, one per for_each item.

    Such a resource carries no workload: its manifests are the chart's own
    CustomResourceDefinitions, rendered at plan time by the helm_template data source.
    """
    for_each = value(conf, "for_each", None)
    return (
        value(conf, "manifest", None) == "${each.value}"
        and isinstance(for_each, str)
        and bool(_CHART_CRDS.search(for_each))
    )


def manifest_kind(manifest: dict[str, Any]) -> tuple[Any, Any]:
    return value(manifest, "apiVersion", None), value(manifest, "kind", None)


def annotations(manifest: dict[str, Any]) -> dict[str, Any]:
    metadata = block(manifest, "metadata")
    found = block(metadata, "annotations")
    if not found:
        return {}
    return {key: value(found, key, None) for key in found if key != "//"}


# Where Pod templates sit inside the workload kinds rayfort emits.
_TEMPLATE_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Deployment": (("spec", "template"),),
    "StatefulSet": (("spec", "template"),),
    "DaemonSet": (("spec", "template"),),
    "ReplicaSet": (("spec", "template"),),
    "Job": (("spec", "template"),),
    "CronJob": (("spec", "jobTemplate", "spec", "template"),),
}
_RAY_CLUSTER_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "RayCluster": ("spec",),
    "RayJob": ("spec", "rayClusterSpec"),
    "RayService": ("spec", "rayClusterConfig"),
}


def _descend(nodes: list[dict[str, Any]], path: Iterable[str]) -> list[dict[str, Any]]:
    for part in path:
        nodes = [child for node in nodes for child in blocks(node, part)]
    return nodes


def pod_specs(manifest: dict[str, Any]) -> list[tuple[str, dict[str, Any]]] | None:
    """(label, PodSpec) pairs of a workload manifest; None when the kind carries no Pods."""
    api_version, kind = manifest_kind(manifest)
    if kind == "Pod":
        return [("spec", spec) for spec in blocks(manifest, "spec")]
    if kind in _TEMPLATE_PATHS:
        found: list[tuple[str, dict[str, Any]]] = []
        for path in _TEMPLATE_PATHS[kind]:
            for template in _descend([manifest], path):
                found.extend(("/".join(path) + "/spec", spec) for spec in blocks(template, "spec"))
        return found
    if kind in _RAY_CLUSTER_SPEC_PATHS and isinstance(api_version, str) and api_version.startswith("ray.io/"):
        found = []
        for cluster_spec in _descend([manifest], _RAY_CLUSTER_SPEC_PATHS[kind]):
            for head in blocks(cluster_spec, "headGroupSpec"):
                for template in blocks(head, "template"):
                    found.extend(("headGroupSpec/template/spec", spec) for spec in blocks(template, "spec"))
            for index, group in enumerate(blocks(cluster_spec, "workerGroupSpecs")):
                name = value(group, "groupName", index)
                for template in blocks(group, "template"):
                    found.extend((f"workerGroupSpecs[{name}]/template/spec", spec) for spec in blocks(template, "spec"))
        if kind == "RayJob":
            for template in _descend([manifest], ("spec", "submitterPodTemplate")):
                found.extend(("submitterPodTemplate/spec", spec) for spec in blocks(template, "spec"))
        return found
    return None


def containers(pod_spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every container of a PodSpec: init, regular and ephemeral."""
    found: list[tuple[str, dict[str, Any]]] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for index, container in enumerate(blocks(pod_spec, key)):
            found.append((f"{key}[{value(container, 'name', index)}]", container))
    return found
