"""The catalogue is the one list: rule ids stay stable, and the README and checkov docs are drawn from it."""

from __future__ import annotations

import re
from pathlib import Path

from rayfort.controls import CONTROLS
from rayfort.controls.readme import rewrite
from rayfort.policy.environment_rules import ENVIRONMENT_RULES
from rayfort.policy.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "tools" / "rayfort_tools" / "judges" / "checkov_policies"


def test_ids_are_unique_and_the_old_ones_stay() -> None:
    ids = [control.id for control in CONTROLS]
    assert len(ids) == len(set(ids))
    assert {f"RF{n:03d}" for n in (*range(1, 6), *range(10, 23))} <= set(ids)


def test_every_control_says_what_it_protects_and_how_it_is_enforced() -> None:
    for control in CONTROLS:
        assert control.protects and control.title and control.standard, control.id
        assert control.checks or control.environment_check or control.presence, control.id
        assert control.settings or control.presence or control.environment_check, control.id
        if control.environment_check is not None:
            assert control.environment, f"{control.id} reads the environment but names no field"


def test_rules_and_environment_rules_are_drawn_from_the_catalogue() -> None:
    assert [rule.id for rule in RULES] == [control.id for control in CONTROLS if control.checks]
    assert [rule.id for rule in ENVIRONMENT_RULES] == [c.id for c in CONTROLS if c.environment_check]


def test_the_readme_table_is_generated_from_the_catalogue() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rewrite(readme) == readme, "run: python -m rayfort.controls README.md"
    for control in CONTROLS:
        assert f"| {control.id} | {control.title}" in readme


def test_every_checkov_policy_names_the_controls_that_list_it() -> None:
    found = {}
    for path in sorted([*POLICIES.glob("*.py"), *POLICIES.glob("*.yaml")]):
        text = path.read_text(encoding="utf-8")
        check = re.search(r"CKV2?_RAYFORT_\d+", text)
        if check is None or path.name == "checkov.yaml":
            continue
        named = re.search(r"Catalogue control: ([RF0-9, ]+)", text)
        assert named, f"{path.name} does not name its catalogue control"
        expected = [control.id for control in CONTROLS if check.group(0) in control.judged_by]
        assert named.group(1).strip(" ,").split(", ") == expected, path.name
        found[check.group(0)] = path.name
    listed = {judge for control in CONTROLS for judge in control.judged_by if "RAYFORT" in judge}
    assert listed == set(found)
