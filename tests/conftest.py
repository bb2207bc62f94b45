"""Shared fixtures: shipped environments and their synthesized stacks, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rayfort.config import Environment, load_environment
from rayfort.synthesized import read_stacks
from tests.app import synthesize
from tests.foundation.frameworks import snapshots_as_cdktf

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ROOT / "environments"
SHIPPED = ("dev", "prod", "airgapped")


def stacks_in(outdir: Path) -> dict[str, dict]:
    """Every stack's cdk.tf.json under a synth output directory, by stack id."""
    return read_stacks(outdir)


def environment(name: str) -> Environment:
    return load_environment(ENVIRONMENTS / f"{name}.yaml")


@pytest.fixture
def snapshot(snapshot):
    """Snapshots hold cdktf's output; under cdktn its documented differences (tests/foundation) are read as cdktf's."""
    return snapshots_as_cdktf(snapshot)


@pytest.fixture(scope="session")
def shipped_outdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each shipped environment synthesized once: {env: its cdktf.out directory}."""
    result = {}
    for name in SHIPPED:
        outdir = tmp_path_factory.mktemp(f"synth-{name}") / "cdktf.out"
        synthesize(environment(name), outdir)
        result[name] = outdir
    return result


@pytest.fixture(scope="session")
def synthesized(shipped_outdirs: dict[str, Path]) -> dict[str, dict[str, dict]]:
    """Each shipped environment synthesized once: {env: {stack: tf_json}}."""
    return {name: stacks_in(outdir) for name, outdir in shipped_outdirs.items()}


@pytest.fixture(scope="session")
def synth_env(tmp_path_factory: pytest.TempPathFactory):
    """Synthesize an arbitrary Environment into a fresh directory and return its stacks."""

    def run(env: Environment) -> dict[str, dict]:
        outdir = tmp_path_factory.mktemp("synth-variant") / "cdktf.out"
        synthesize(env, outdir)
        return stacks_in(outdir)

    return run


def resources(tf_json: dict, resource_type: str) -> list[dict]:
    """The bodies of every resource of one type in a stack."""
    return list(tf_json.get("resource", {}).get(resource_type, {}).values())
