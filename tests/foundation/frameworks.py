"""CDK for Terraform and CDK Terrain side by side: their venvs, their locks, and how their output differs.

Both frameworks synthesize the same stacks. The differences, by design of the
frameworks and not of rayfort, are listed here and nowhere else:

1. ``terraform.required_providers.google.source``: cdktf's prebuilt google
   provider writes ``google``, cdktn's ``hashicorp/google``. Terraform reads
   both as ``registry.terraform.io/hashicorp/google``: the same provider in
   state, so no ``terraform state replace-provider`` is needed.
2. ``//.metadata.version`` (and ``version`` in manifest.json): the framework's
   own version.
3. Formatting only: cdktf writes an empty list or object over two lines, cdktn
   as ``[]`` or ``{}``. The JSON is the same; a text diff of committed output
   (``make synth-commit``) shows these lines once when switching.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from rayfort._cdk import FRAMEWORK, FRAMEWORKS

ROOT = Path(__file__).resolve().parents[2]

LOCKS = {"cdktf": ROOT / "Pipfile.lock", "cdktn": ROOT / "frameworks" / "cdktn" / "Pipfile.lock"}
VENVS = {"cdktf": ROOT / ".venv", "cdktn": ROOT / ".venv-cdktn"}
OTHER = next(name for name in FRAMEWORKS if name != FRAMEWORK)


def locked_version(framework: str, package: str) -> str:
    """The version of ``package`` in ``framework``'s lock."""
    lock = json.loads(LOCKS[framework].read_text())
    return lock["default"][package]["version"].removeprefix("==")


Path_ = tuple[str, ...]

DOCUMENTED_DIFFERENCES: dict[Path_, dict[str, str]] = {
    ("terraform", "required_providers", "google", "source"): {"cdktf": "google", "cdktn": "hashicorp/google"},
    ("//", "metadata", "version"): {name: locked_version(name, name) for name in FRAMEWORKS},
}
"""A stack's cdk.tf.json: the JSON path of each documented difference, and its value under each framework."""


def _get(data: Any, path: Path_) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def as_framework(tf_json: dict, source: str, target: str, seen: set[Path_] | None = None) -> dict:
    """``tf_json`` as synthesized by ``source``, with each documented difference set to ``target``'s value.

    A documented path whose value is not ``source``'s is an undocumented difference: AssertionError.
    """
    result = copy.deepcopy(tf_json)
    for path, values in DOCUMENTED_DIFFERENCES.items():
        value = _get(result, path)
        if value is None:
            continue
        assert value == values[source], f"{'.'.join(path)} is {value!r} under {source}, documented {values[source]!r}"
        _get(result, path[:-1])[path[-1]] = values[target]
        if seen is not None:
            seen.add(path)
    return result


def snapshots_as_cdktf(snapshot: Any) -> Any:
    """A syrupy snapshot assertion that reads this framework's documented values as cdktf's, the snapshots' own."""
    if FRAMEWORK == "cdktf":
        return snapshot

    def matcher(data: Any, path: tuple) -> Any:
        keys = tuple(str(name) for name, _ in path)
        for documented, values in DOCUMENTED_DIFFERENCES.items():
            if keys[-len(documented) :] == documented and data == values[FRAMEWORK]:
                return values["cdktf"]
        return data

    return snapshot.with_defaults(matcher=matcher)


def venv_python(framework: str) -> Path:
    return VENVS[framework] / "bin" / "python"
