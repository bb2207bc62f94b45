"""Shared fixtures: shipped environments and their synthesized stacks, built once per session."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from rayfort.config import Environment, load_environment
from rayfort.synthesized import read_stacks
from tests.app import synthesize
from tests.foundation.frameworks import snapshots_as_cdktf

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ROOT / "environments"
SHIPPED = ("dev", "prod", "airgapped")

# Tests that share something outside tmp_path: each group runs on one xdist worker, one test after another.
LOCAL_RAY = pytest.mark.xdist_group("local-ray")
"""Ray clusters on this machine: two at once would race for free ports and halve each other's CPU."""
REVIEW_VERDICT = pytest.mark.xdist_group("review-verdict")
"""`make review` passes its exit code through the checkout's own .review-verdict.mk."""


def stacks_in(outdir: Path) -> dict[str, dict]:
    """Every stack's cdk.tf.json under a synth output directory, by stack id."""
    return read_stacks(outdir)


def environment(name: str) -> Environment:
    return load_environment(ENVIRONMENTS / f"{name}.yaml")


@pytest.fixture
def snapshot(snapshot):
    """Snapshots hold cdktf's output; under cdktn its documented differences (tests/foundation) are read as cdktf's."""
    return snapshots_as_cdktf(snapshot)


LONGEST = ("local-ray", "review-verdict", "tests/synth/test_app.py")
"""The groups that take a minute or more alone (measured): handed out first, so that no worker is left
finishing one while the other has nothing to do."""


def _group(item: pytest.Item) -> str:
    marker = item.get_closest_marker("xdist_group")
    if marker is None:
        return item.nodeid.split("::", 1)[0]
    return marker.args[0] if marker.args else marker.kwargs["name"]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs on xdist workers with --dist loadgroup: a file's tests stay together (its module
    fixtures are built once), unless they name a group of their own (tests that share something outside
    tmp_path, which must not run at the same time). The groups are handed out in collection order
    (--no-loadscope-reorder), the longest first."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(_group(item)))
    if "PYTEST_XDIST_WORKER" in os.environ:
        items.sort(key=lambda item: _group(item) not in LONGEST)


def synthesized_once(tmp_path_factory: pytest.TempPathFactory, key: str, env: Environment) -> Path:
    """``env`` synthesized once per run, by whichever xdist worker needs it first: its cdktf.out.

    The output is in the run's base temp, which every worker sees; the others wait for it and read it.
    """
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / "synthesized-once"
    shared.mkdir(exist_ok=True)
    outdir = shared / key / "cdktf.out"
    with (shared / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outdir.exists():  # the synth publishes its output only once it is complete
            outdir.parent.mkdir(exist_ok=True)
            synthesize(env, outdir)
    return outdir


def worker_order(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` starting at this worker's own place, so that workers synthesizing them at once take different ones."""
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:]) % len(names)
    return names[index:] + names[:index]


@pytest.fixture(scope="session")
def shipped_outdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each shipped environment synthesized once: {env: its cdktf.out directory}."""
    made = {name: synthesized_once(tmp_path_factory, name, environment(name)) for name in worker_order(SHIPPED)}
    return {name: made[name] for name in SHIPPED}


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
