"""The deploy order of a synthesized app, read from cdktf's manifest.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def dependencies(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """{stack: the stacks it depends on}, as cdktf recorded them (references and explicit dependencies)."""
    return {name: sorted(entry.get("dependencies", [])) for name, entry in sorted(manifest["stacks"].items())}


def deploy_order(manifest: dict[str, Any]) -> list[str]:
    """Every stack after the stacks it depends on, in layers (network, gke, exposure and kuberay, tenants).

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


@dataclass(frozen=True)
class Pause:
    """A step outside Terraform between one stack and the stacks after it, which read what the step provides."""

    after: str
    """The stack after which the step comes."""
    command: str
    """The command the step starts with, with ``{env}`` for the environment (shown in the deploy order)."""
    step: str
    """What to do, with ``{env}`` for the environment."""
    done: str
    """The make variable that says the step is done (``<NAME>=1``), for ``make deploy-all``."""


PAUSES = (
    Pause(
        after="mirror",
        command="make mirror-commands ENV={env}",
        step=(
            "fill the mirror: `make mirror-commands ENV={env}` prints the crane and helm commands that copy the "
            "pinned images and charts into it; run them on a host with internet access. The stacks after it read "
            "their charts from the mirror when they are planned. Do it again whenever rayfort's pinned versions change"
        ),
        done="MIRROR_FILLED",
    ),
)
"""The mirror stack (rayfort.stacks.mirror) creates empty repositories that the kuberay stack reads at plan time."""


def pause_after(manifest: dict[str, Any], stack: str) -> Pause | None:
    """The step after ``stack``, before the stacks that follow it; None when there is none, or nothing follows."""
    order = deploy_order(manifest)
    if stack not in order or stack == order[-1]:
        return None
    return next((pause for pause in PAUSES if pause.after == stack), None)
