"""Judge: every key rayfort passes to the kuberay-operator chart is a key the chart reads.

Helm ignores a key its templates never look up, so a misspelt security setting
is dropped without a word and the default runs instead. This judge compares the
values we pass with the chart's own values.yaml for the pinned version.

What counts as a known key:

* a key of the chart's values.yaml, at the same nesting;
* a key the chart documents only as a commented-out line at the right depth,
  written ``# key:`` directly after the indentation of its siblings (the chart
  does this for ``watchNamespace``, ``useKubernetesProxy`` and
  ``resources.requests``). A lower-case first letter and exactly one space after
  ``#`` tell such a line from prose (``# Note:``) and from examples nested
  inside a comment (``#   prometheus.io/port:``).

Below a free-form path (``FREE_FORM``) any key is accepted: the chart copies
those values into the rendered objects with ``toYaml``, so their keys belong to
Kubernetes (labels, node selectors, affinity, security contexts, resource
quantities), not to the chart. Every other mapping is checked key by key. A
list whose chart default holds mappings (``featureGates``) has each item
checked against the keys those mappings use; items of other lists must be
scalars unless the list is free-form. A mapping given where the chart has a
scalar, or the reverse, is also an error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rayfort.versions import KUBERAY_VERSION
from rayfort_tools.judges.reference import require_reference

# Paths whose contents the chart passes through toYaml unchanged.
FREE_FORM = frozenset(
    {
        "nodeSelector",
        "labels",
        "annotations",
        "affinity",
        "tolerations",
        "imagePullSecrets",
        "podSecurityContext",
        "securityContext",
        "env",
        "resources.limits",
        "resources.requests",
        "configuration.defaultContainerEnvs",
        "configuration.defaultPodAnnotations",
        "configuration.defaultPodLabels",
        "configuration.headSidecarContainers",
        "configuration.workerSidecarContainers",
        "metrics.serviceMonitor.additionalLabels",
    }
)

_COMMENTED_KEY = re.compile(r"^(?P<indent> *)# (?P<key>[a-z][A-Za-z0-9]*):(?: |$)")
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z][A-Za-z0-9]*):(?: |$)")


@dataclass(frozen=True)
class UnknownKey:
    """A value the chart does not read, at a dotted path of the values."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def chart_values_file(chart: str = "kuberay-operator") -> Path:
    """values.yaml of a chart of the pinned KubeRay release, from the reference data."""
    return require_reference(f"kuberay-v{KUBERAY_VERSION}", "charts-values", chart, "values.yaml")


@functools.cache
def chart_schema(chart: str = "kuberay-operator") -> dict[str, Any]:
    """The chart's defaults with the commented-out keys added (as None), nested like the values."""
    text = chart_values_file(chart).read_text()
    schema = yaml.safe_load(text) or {}
    for path in commented_keys(text):
        node: Any = schema
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.setdefault(path[-1], None)
    return schema


def commented_keys(text: str) -> list[tuple[str, ...]]:
    """Keys documented as ``# key:`` lines, each with the path of its parent mapping."""
    found: list[tuple[str, ...]] = []
    parents: list[tuple[int, str]] = []
    for line in text.splitlines():
        real = _KEY.match(line)
        commented = _COMMENTED_KEY.match(line)
        match = real or commented
        if match is None:
            continue
        indent = len(match.group("indent"))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        if real is not None:
            parents.append((indent, real.group("key")))
        elif parents or indent == 0:
            found.append((*(key for _, key in parents), commented.group("key")))
    return found


def check_values(values: Mapping[str, Any], chart: str = "kuberay-operator") -> list[UnknownKey]:
    """Every key of ``values`` the chart does not read; empty when all are known."""
    return list(_walk(values, chart_schema(chart), ""))


def _walk(given: Any, known: Any, path: str) -> Iterator[UnknownKey]:
    if path in FREE_FORM:
        return
    if isinstance(given, Mapping):
        if known is not None and not isinstance(known, Mapping):
            yield UnknownKey(path, f"is a scalar or list in the chart ({known!r}), not a mapping")
            return
        for key, value in given.items():
            child = f"{path}.{key}" if path else str(key)
            if known is None or key not in known:
                if child not in FREE_FORM:
                    yield UnknownKey(child, "is not a key of the chart's values")
                continue
            yield from _walk(value, known[key], child)
    elif isinstance(given, list):
        if isinstance(known, Mapping):
            yield UnknownKey(path, "is a mapping in the chart, not a list")
            return
        item_keys = _item_keys(known)
        for i, item in enumerate(given):
            if isinstance(item, Mapping):
                if item_keys is None:
                    yield UnknownKey(f"{path}[{i}]", "the chart expects scalars in this list")
                    continue
                for key in item:
                    if key not in item_keys:
                        yield UnknownKey(
                            f"{path}[{i}].{key}", f"is not a key of this list's items ({sorted(item_keys)})"
                        )
    elif isinstance(known, Mapping) and known:
        yield UnknownKey(path, "is a mapping in the chart, not a scalar")


def _item_keys(known: Any) -> set[str] | None:
    """Keys the chart's default list items use, or None when its items are not mappings."""
    if isinstance(known, list) and known and all(isinstance(item, Mapping) for item in known):
        return {key for item in known for key in item}
    return None
