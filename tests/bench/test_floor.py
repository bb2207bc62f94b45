"""bench/floor.py counts a tenant stack's constructs and elements the way the floor needs them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _floor():
    sys.path.insert(0, str(ROOT / "bench"))  # floor.py imports its sibling _sampling, as when run as a script
    spec = importlib.util.spec_from_file_location("bench_floor", ROOT / "bench" / "floor.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _at(path: str) -> dict:
    return {"//": {"metadata": {"path": path}}}


def test_constructs_are_the_levels_between_the_stack_and_its_elements() -> None:
    stack = {
        "resource": {
            "kubernetes_manifest": {
                "a": _at("tenant-a/policies/allow-dns/object"),
                "b": _at("tenant-a/policies/allow-gcs/object"),
            },
            "google_service_account": {"c": _at("tenant-a/identity/account")},
        },
        "data": {"google_project": {"d": _at("tenant-a/project")}},
        "output": {"e": {"value": "x"}},
        "provider": {"google": [{"project": "p"}]},
    }
    held = _floor().held_by("tenant-a", stack)
    # policies and identity: an object's own levels (allow-dns/object) are written by its stack's holder
    assert (held.constructs, held.kubernetes_objects, held.other_elements) == (2, 2, 4)
