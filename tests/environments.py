"""A shipped environment with these changes: the one helper every test that varies an environment uses.

``shipped("prod")`` is a fresh copy of ``environments/prod.yaml``'s data;
``shipped_with("dev", {"cluster": {"mode": "autopilot"}})`` merges changes into it
(mappings merge key by key, any other value, null included, replaces);
``loaded``/``refused`` write the data to a file and load it the way a user's file
is loaded (file, line and field in every message, cross-field rules included).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from rayfort.config import ConfigError, Environment, load_environment

ENVIRONMENTS = Path(__file__).resolve().parents[1] / "environments"


@cache
def _data(name: str) -> dict[str, Any]:
    return yaml.safe_load((ENVIRONMENTS / f"{name}.yaml").read_text())


def shipped(name: str = "dev") -> dict[str, Any]:
    """A fresh copy of the data of ``environments/<name>.yaml`` (``variants/<x>`` for a variant)."""
    return copy.deepcopy(_data(name))


def changed(data: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with ``changes`` merged in: mappings key by key, any other value (None too) replaced."""
    merged = copy.deepcopy(dict(data))
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = changed(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def shipped_with(name: str = "dev", changes: Mapping[str, Any] | None = None, **sections: Any) -> dict[str, Any]:
    """The data of a shipped environment with ``changes`` (and top-level ``sections``) merged in."""
    return changed(shipped(name), {**(changes or {}), **sections})


def written(tmp_path: Path, data: Mapping[str, Any] | str, name: str = "env.yaml") -> Path:
    """The data written as an environment file in ``tmp_path``."""
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(dict(data), sort_keys=False))
    return path


def loaded(tmp_path: Path, data: Mapping[str, Any] | str) -> Environment:
    """The environment a user's file with this data becomes."""
    return load_environment(written(tmp_path, data))


def refused(tmp_path: Path, data: Mapping[str, Any] | str) -> str:
    """The message a user's file with this data is refused with."""
    with pytest.raises(ConfigError) as caught:
        loaded(tmp_path, data)
    return str(caught.value)
