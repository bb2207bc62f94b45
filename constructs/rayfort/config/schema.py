"""Export the JSON Schema of an environment file, for editors that complete and check it.

The schema says what JSON Schema can: types, enums, ranges, and the patterns of names, ranges and
addresses. What it cannot (host bits of a CIDR, overlaps, rules across settings) only the models
check; tests/config/test_schema.py lists those cases so the gap is known.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rayfort.config.cluster import CONFIDENTIAL_MACHINE_FAMILIES
from rayfort.config.environment import Environment

SCHEMA_ID = "https://rayfort.invalid/schemas/environment/v1.json"
"""The schema's stable identifier: map it to environments/schema.json, or publish the file at it.

``.invalid`` never resolves (RFC 2606), so no editor fetches a schema from a host nobody controls.
"""


def environment_schema() -> str:
    """The schema as stable, pretty JSON text."""
    schema = Environment.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "rayfort environment"
    schema["$defs"]["NodePool"]["allOf"] = _confidential_machine_families()
    _keys_by_pattern(schema)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def _keys_by_pattern(node: Any) -> None:
    """pydantic writes a mapping's key pattern as patternProperties, which lets other keys through:
    make it propertyNames, which refuses them."""
    if isinstance(node, dict):
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in node:
            [(pattern, values)] = patterns.items()
            node.pop("patternProperties")
            node["additionalProperties"] = values
            node.setdefault("propertyNames", {})["pattern"] = pattern
        for child in node.values():
            _keys_by_pattern(child)
    elif isinstance(node, list):
        for child in node:
            _keys_by_pattern(child)


def _confidential_machine_families() -> list[dict[str, Any]]:
    """Each confidential technology admits only its machine families (SEV, the default, also when unset)."""
    rules = []
    for tech, families in CONFIDENTIAL_MACHINE_FAMILIES.items():
        condition: dict[str, Any] = {"properties": {"confidential_instance_type": {"const": tech}}}
        if tech != "SEV":
            condition["required"] = ["confidential_instance_type"]
        pattern = "^(" + "|".join(families) + ")-"
        rules.append({"if": condition, "then": {"properties": {"machine_type": {"pattern": pattern}}}})
    return rules


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else Path("environments/schema.json")
    target.write_text(environment_schema(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
