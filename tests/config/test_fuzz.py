"""Random environments, YAML documents and bytes never produce anything but an Environment or one clear refusal."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rayfort.config import ConfigError, Environment, load_environment
from rayfort.synth import synth_main
from tests.conftest import ENVIRONMENTS

BASE = yaml.safe_load((ENVIRONMENTS / "dev.yaml").read_text())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["10.0.0.0/8", "0.0.0.0/0", "europe-west1-b", "", "~", "team-a"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


PATHS = [path for path in _paths(BASE) if path]


@st.composite
def mutated(draw) -> Any:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(PATHS))
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = draw(values)
            elif action == "delete" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        except (KeyError, IndexError, TypeError):
            continue
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_never_raise_anything_but_config_error(data: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "env.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        try:
            assert isinstance(load_environment(path), Environment)
        except ConfigError as error:
            assert error.problems and all(
                problem.startswith("line ") or "file" in problem for problem in error.problems
            )


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises_anything_but_config_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "env.yaml"
        path.write_text(text)
        try:
            load_environment(path)
        except ConfigError:
            pass


# Arbitrary YAML documents: random nesting, key types, scalars, tags, anchors, aliases and merge keys,
# run through the CLI in-process; a document that loads is handed to a stub instead of a real synth.
FIELDS = ["name", "tenants", "cluster", "network", "labels", "zones", "node_pools", "worker_groups", "max_replicas"]
YAML_SCALARS = st.one_of(
    st.sampled_from(
        [
            "~",
            "null",
            "",
            "yes",
            "No",
            "on",
            "true",
            "0",
            "-1",
            "0x1F",
            "0o17",
            "1_000",
            "1:20",
            "1e+25",
            "1.0e+25",
            "9" * 40,
            ".nan",
            "-.inf",
            "2026-01-03",
            "2026-01-03T02:00:00",
            "2026-01-03T02:00:00Z",
            "'quoted'",
            '"a\\tb"',
            "!!str 1",
            "!!int x",
            "!!bool maybe",
            "!!float",
            "!!binary aGk=",
            "!!timestamp 2026-01-01",
            "!foo bar",
            "!!python/object:os.system x",
            "<<",
            "=",
            "FREQ=DAILY",
            "10.0.0.0/8",
            "europe-west1-b",
            "team-a",
            "../../../etc/passwd",
        ]
    ),
    st.text(max_size=12).map(lambda text: json.dumps(text, ensure_ascii=False)),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@st.composite
def yaml_documents(draw) -> str:
    anchors: list[str] = []

    def value(depth: int) -> str:
        kinds = ["scalar", "scalar", "list", "map", "alias"] if depth < 5 else ["scalar", "alias"]
        kind = draw(st.sampled_from(kinds))
        if kind == "alias" and anchors:
            return "*" + draw(st.sampled_from(anchors))
        anchor = ""
        if draw(st.integers(0, 3)) == 0:
            anchor = f"a{len(anchors)}"
            if draw(st.booleans()):
                anchors.append(anchor)  # defined before its value ends: aliases inside it recurse
        if kind in ("scalar", "alias"):
            body = draw(YAML_SCALARS)
        elif kind == "list":
            body = "[" + ", ".join(value(depth + 1) for _ in range(draw(st.integers(0, 4)))) + "]"
        else:
            body = "{" + ", ".join(f"{key(depth)}: {value(depth + 1)}" for _ in range(draw(st.integers(0, 4)))) + "}"
        if anchor and anchor not in anchors:
            anchors.append(anchor)
        return f"&{anchor} {body}" if anchor else body

    def key(depth: int) -> str:
        kind = draw(st.sampled_from(["field", "field", "scalar", "merge", "complex"]))
        if kind == "field":
            return draw(st.sampled_from(FIELDS))
        if kind == "merge":
            return "<<"
        if kind == "complex":
            return "? " + value(depth + 1)
        return draw(YAML_SCALARS)

    if draw(st.integers(0, 7)) == 0:
        return value(0)
    return "".join(f"{key(0)}: {value(1)}\n" for _ in range(draw(st.integers(1, 6))))


def _run_cli(content: bytes) -> tuple[int, str, int]:
    """(exit code, stderr, synths started) of the CLI on ``content``, with the synth itself stubbed."""
    started = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "env.yaml"
        path.write_bytes(content)
        stderr = io.StringIO()
        with (
            mock.patch("rayfort.synth.synthesize", lambda env, outdir, build: started.append(env)),
            contextlib.redirect_stderr(stderr),
        ):
            code = synth_main(ENVIRONMENTS, build=None, argv=[str(path)])
    return code, stderr.getvalue(), len(started)


def _assert_clean_exit(code: int, stderr: str, started: int) -> None:
    assert code in (0, 2), stderr
    assert "Traceback" not in stderr
    if code == 2:
        assert stderr.startswith("rayfort: ") and started == 0
        problems = [line for line in stderr.splitlines() if line.startswith("  - ")]
        assert problems and all(p.startswith(("  - line ", "  - the ", "  - ... and")) for p in problems), stderr
    else:
        assert stderr == "" and started == 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_documents())
def test_arbitrary_yaml_never_escapes_the_cli(document: str) -> None:
    _assert_clean_exit(*_run_cli(document.encode()))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_the_cli(content: bytes) -> None:
    _assert_clean_exit(*_run_cli(content))
