"""The README's environment fragments are real: merged together into dev.yaml, they synthesize (one synth)."""

from __future__ import annotations

import copy
import re
import textwrap
from pathlib import Path
from typing import Any

import yaml

from rayfort.config import Environment

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(
    r"(?:^[ \t]*<!-- (?P<mark>[a-z-]+) -->[ \t]*\n)?^(?P<indent>[ \t]*)```yaml\n(?P<body>.*?)^[ \t]*```", re.M | re.S
)
FRAGMENT, EXCERPT = "environment-fragment", "environment-excerpt"


def _blocks() -> list[tuple[str | None, Any]]:
    found = []
    for match in BLOCK.finditer(README):
        body = textwrap.dedent(match["body"])
        found.append((match["mark"], yaml.safe_load(body)))
    return found


def _merge(base: Any, fragment: Any) -> Any:
    """Mappings merge key by key; lists of named mappings merge by name; other lists gain the new items."""
    if isinstance(base, dict) and isinstance(fragment, dict):
        merged = dict(base)
        for key, value in fragment.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(fragment, list):
        if all(isinstance(item, dict) and "name" in item for item in base + fragment):
            names = {item["name"]: i for i, item in enumerate(base)}
            merged = list(base)
            for item in fragment:
                if item["name"] in names:
                    merged[names[item["name"]]] = _merge(merged[names[item["name"]]], item)
                else:
                    merged.append(copy.deepcopy(item))
            return merged
        return base + [item for item in fragment if item not in base]
    return copy.deepcopy(fragment)


def test_every_environment_shaped_yaml_block_is_marked() -> None:
    fields = set(Environment.model_fields)
    for mark, data in _blocks():
        if isinstance(data, dict) and set(data) <= fields:
            assert mark in {FRAGMENT, EXCERPT}, (
                f"mark this README block <!-- {FRAGMENT} --> or <!-- {EXCERPT} -->: {data}"
            )
        else:
            assert mark is None, f"a marked block must be an environment fragment: {data}"


def test_the_fragments_the_readme_promises_are_there() -> None:
    fragments = [data for mark, data in _blocks() if mark == FRAGMENT]
    assert [t["name"] for f in fragments for t in f.get("tenants", [])] == ["team-c"]  # "Adding a tenant"
    assert any("retired_tenants" in f for f in fragments)  # "Offboarding a tenant"
    assert any(f.get("state", {}).get("backend") == "cloud" for f in fragments)  # "Deploying with Terraform Cloud"


def test_the_fragments_merged_into_dev_synthesize(synth_env) -> None:
    data = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    for mark, fragment in _blocks():
        if mark == FRAGMENT:
            data = _merge(data, fragment)
    stacks = synth_env(Environment.model_validate(data))
    assert "tenant-team-c" in stacks
    assert stacks["tenant-team-c"]["terraform"]["cloud"]["workspaces"]["name"] == "rayfort-dev-tenant-team-c"


def test_excerpts_are_at_least_valid_yaml_of_known_settings() -> None:
    excerpts = [data for mark, data in _blocks() if mark == EXCERPT]
    assert excerpts and all(isinstance(e, dict) and set(e) <= set(Environment.model_fields) for e in excerpts)
