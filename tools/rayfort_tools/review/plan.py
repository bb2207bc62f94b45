"""Summarise a Terraform plan (``terraform show -json plan.out``) for reviewers."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rayfort_tools.review.diff import AttributeChange, attribute_changes


@dataclass
class PlannedChange:
    address: str
    resource_type: str
    action: str  # create, update, delete, replace, read
    replace_paths: list[str] = field(default_factory=list)
    attributes: list[AttributeChange] = field(default_factory=list)

    @property
    def weakenings(self) -> list[AttributeChange]:
        return [a for a in self.attributes if a.weakens]


@dataclass
class PlanSummary:
    terraform_version: str
    changes: list[PlannedChange]

    @property
    def counts(self) -> Counter:
        return Counter(change.action for change in self.changes)


def _action(actions: list[str]) -> str | None:
    if "delete" in actions and "create" in actions:
        return "replace"
    for action in ("create", "update", "delete", "read"):
        if action in actions:
            return action
    return None


def load_plan(path: Path) -> PlanSummary:
    """Read plan JSON in Terraform's documented format; no-op changes are left out."""
    document = json.loads(path.read_text())
    if "resource_changes" not in document and "format_version" not in document:
        raise ValueError(f"{path} is not Terraform plan JSON (expected format_version and resource_changes)")
    changes = []
    for entry in document.get("resource_changes", []):
        change: dict[str, Any] = entry.get("change", {})
        action = _action(change.get("actions", []))
        if action is None:
            continue
        before, after = change.get("before") or {}, change.get("after") or {}
        attributes = attribute_changes(entry["type"], before, after) if action in ("update", "replace") else []
        replace_paths = [".".join(str(part) for part in p) for p in change.get("replace_paths", [])]
        changes.append(PlannedChange(entry["address"], entry["type"], action, replace_paths, attributes))
    return PlanSummary(document.get("terraform_version", "unknown"), changes)
