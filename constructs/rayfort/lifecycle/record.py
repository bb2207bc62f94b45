"""rayfort-synth.json: what a synth produced, for the summary, the next synth's tenant guard and the tools.

Deterministic (no times, no absolute paths): the same input writes the same record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rayfort.lifecycle.order import deploy_order

RECORD = "rayfort-synth.json"


@dataclass(frozen=True)
class PolicyResult:
    """The synth-time rules' verdict: evaluations on, waived (with their rule ids) and violated."""

    on: int
    waived: tuple[str, ...]
    violated: int


@dataclass(frozen=True)
class SynthRecord:
    """One synth: its environment, its stacks in deploy order with resource counts, the policy result."""

    environment: str
    tenants: tuple[str, ...]
    stacks: dict[str, dict[str, Any]]
    order: tuple[str, ...]
    policy: PolicyResult

    def to_json(self) -> str:
        document = {
            "environment": self.environment,
            "tenants": list(self.tenants),
            "order": list(self.order),
            "stacks": self.stacks,
            "policy": {"on": self.policy.on, "waived": list(self.policy.waived), "violated": self.policy.violated},
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"


def count_resources(tf_json: dict[str, Any]) -> int:
    """Resources Terraform will manage in a stack (data sources and outputs are not counted)."""
    return sum(len(bodies) for bodies in tf_json.get("resource", {}).values())


def make_record(
    environment: str,
    tenants: list[str],
    manifest: dict[str, Any],
    stacks: Mapping[str, dict[str, Any]],
    policy: PolicyResult,
) -> SynthRecord:
    return SynthRecord(
        environment=environment,
        tenants=tuple(tenants),
        stacks={
            name: {
                "resources": count_resources(stacks[name]),
                "dependencies": sorted(manifest["stacks"][name].get("dependencies", [])),
                "directory": manifest["stacks"][name]["workingDirectory"],
            }
            for name in sorted(stacks)
        },
        order=tuple(deploy_order(manifest)),
        policy=policy,
    )


def read_record(outdir: Path) -> SynthRecord | None:
    """The record of the synth in ``outdir``; None when there is none (a fresh clone, an older rayfort)."""
    try:
        document = json.loads((outdir / RECORD).read_text(encoding="utf-8"))
        return SynthRecord(
            environment=document["environment"],
            tenants=tuple(document["tenants"]),
            stacks=document["stacks"],
            order=tuple(document["order"]),
            policy=PolicyResult(
                document["policy"]["on"], tuple(document["policy"]["waived"]), document["policy"]["violated"]
            ),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
