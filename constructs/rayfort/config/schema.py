"""Export the JSON Schema of an environment file, for editors that complete and check it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rayfort.config.environment import Environment


def environment_schema() -> str:
    """The schema as stable, pretty JSON text."""
    schema = Environment.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "rayfort environment"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else Path("environments/schema.json")
    target.write_text(environment_schema(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
