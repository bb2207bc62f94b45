"""The deploy order of a synthesized app, read from cdktf's manifest.json."""

from __future__ import annotations

from typing import Any


def dependencies(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """{stack: the stacks it depends on}, as cdktf recorded them (references and explicit dependencies)."""
    return {name: sorted(entry.get("dependencies", [])) for name, entry in sorted(manifest["stacks"].items())}


def deploy_order(manifest: dict[str, Any]) -> list[str]:
    """Every stack after the stacks it depends on, in layers (network, gke, kuberay, tenants, exposure).

    A stack's layer is one more than its deepest dependency's; within a layer, by name (deterministic).
    """
    needs = dependencies(manifest)
    layer: dict[str, int] = {}
    while len(layer) < len(needs):
        ready = [name for name in needs if name not in layer and all(dep in layer for dep in needs[name])]
        if not ready:
            cycle = sorted(set(needs) - set(layer))
            raise ValueError(f"the stacks depend on each other in a cycle: {', '.join(cycle)}")
        for name in ready:
            layer[name] = 1 + max((layer[dep] for dep in needs[name]), default=-1)
    return sorted(needs, key=lambda name: (layer[name], name))


def dependents(manifest: dict[str, Any], stack: str) -> list[str]:
    """The stacks that depend on ``stack`` directly: they must be changed or destroyed before it is."""
    return sorted(name for name, needs in dependencies(manifest).items() if stack in needs)
