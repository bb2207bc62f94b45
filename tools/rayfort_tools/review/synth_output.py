"""A synthesized cdktf.out/ directory, read back as data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rayfort.synthesized import read_manifest, read_stacks

POLICY_RECORD = "rayfort-policy.json"
_REMOTE_OUTPUT = re.compile(
    r"data\.terraform_remote_state\.cross-stack-reference-input-(?P<stack>[-\w]+)\.outputs\.(?P<output>[-\w]+)"
)


@dataclass(frozen=True)
class Reference:
    """One value a stack reads from another."""

    consumer: str
    producer: str
    value: str


@dataclass
class SynthOutput:
    """Stacks, their dependencies and resources, and the policy record of one synth."""

    root: Path
    stacks: dict[str, dict[str, Any]]
    dependencies: dict[str, list[str]]
    policy: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> SynthOutput:
        manifest = read_manifest(root)
        stacks = read_stacks(root)
        dependencies = {
            name: sorted(entry.get("dependencies", [])) for name, entry in sorted(manifest["stacks"].items())
        }
        policy_path = root / POLICY_RECORD
        policy = json.loads(policy_path.read_text()) if policy_path.is_file() else {}
        return cls(root, stacks, dependencies, policy)

    def resources(self, stack: str) -> dict[str, dict[str, Any]]:
        """Every resource of a stack by address (type.name), metadata removed."""
        found = {}
        for resource_type, items in self.stacks[stack].get("resource", {}).items():
            for name, body in items.items():
                found[f"{resource_type}.{name}"] = {k: v for k, v in body.items() if k != "//"}
        return found

    def construct_path(self, stack: str, address: str) -> str:
        resource_type, name = address.split(".", 1)
        body = self.stacks[stack].get("resource", {}).get(resource_type, {}).get(name, {})
        return body.get("//", {}).get("metadata", {}).get("path", address)

    def references(self) -> list[Reference]:
        """Values each stack reads from another, named by the producer's attribute."""
        found = set()
        for consumer, tf_json in self.stacks.items():
            text = json.dumps({k: v for k, v in tf_json.items() if k not in ("data", "output")})
            for match in _REMOTE_OUTPUT.finditer(text):
                producer, output = match.group("stack"), match.group("output")
                value = self.stacks.get(producer, {}).get("output", {}).get(output, {}).get("value", output)
                found.add(Reference(consumer, producer, _attribute_name(str(value))))
        return sorted(found, key=lambda r: (r.producer, r.consumer, r.value))

    def deploy_order(self) -> list[str]:
        """Stacks in an order where each comes after everything it depends on."""
        order: list[str] = []
        remaining = dict(self.dependencies)
        while remaining:
            ready = sorted(name for name, deps in remaining.items() if all(d in order for d in deps))
            if not ready:
                raise ValueError(f"stack dependencies form a cycle: {sorted(remaining)}")
            order += ready
            for name in ready:
                del remaining[name]
        return order


def _attribute_name(value: str) -> str:
    """``${google_compute_network.vpc_6776A399.id}`` → ``google_compute_network.vpc.id``."""
    inner = value.removeprefix("${").removesuffix("}")
    return re.sub(r"_[0-9A-F]{8}(?=\.|$)", "", inner)
