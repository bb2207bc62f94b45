"""Exposure and tenant stacks of the shipped environments and of the test environments here, synthesized once.

The exposure stack holds the shared edge; each tenant's route, policies, record, certificate, IAP grant and
internal load balancer are in its own stack, so tests of what a tenant publishes read ``published_stacks``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rayfort.config import Environment, load_environment
from rayfort_tools.judges.field_checks import registered
from tests.conftest import ENVIRONMENTS, SHIPPED, stacks_in, synthesized_once, worker_order

HERE = Path(__file__).resolve().parent
TEST_ENVIRONMENTS = {
    "gateway": HERE / "environments" / "gateway.yaml",
    "ingress": HERE / "environments" / "ingress.yaml",
}
ALL = ("dev", "prod", "airgapped", *TEST_ENVIRONMENTS)


def exposure_environment(name: str) -> Environment:
    return load_environment(TEST_ENVIRONMENTS.get(name, ENVIRONMENTS / f"{name}.yaml"))


@pytest.fixture(scope="session")
def exposure_outdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each environment synthesized once: {env: cdktf.out directory}; the shipped ones are shipped_outdirs'."""
    keys = {name: name if name in SHIPPED else f"exposure-{name}" for name in ALL}
    made = {
        name: synthesized_once(tmp_path_factory, keys[name], exposure_environment(name)) for name in worker_order(ALL)
    }
    return {name: made[name] for name in ALL}


@pytest.fixture(scope="session")
def exposure_stacks(exposure_outdirs: dict[str, Path]) -> dict[str, dict]:
    """{env: the exposure stack's Terraform JSON}."""
    return {name: stacks_in(outdir)["exposure"] for name, outdir in exposure_outdirs.items()}


@pytest.fixture(scope="session")
def all_stacks(exposure_outdirs: dict[str, Path]) -> dict[str, dict[str, dict]]:
    """{env: {stack: Terraform JSON}}."""
    return {name: stacks_in(outdir) for name, outdir in exposure_outdirs.items()}


@pytest.fixture(scope="session")
def published_stacks(all_stacks: dict[str, dict[str, dict]]) -> dict[str, dict]:
    """{env: the exposure and tenant stacks' resources and data merged into one Terraform JSON}.

    Block names are unique across these stacks only by chance, so each is kept under <stack>/<name>.
    """
    merged: dict[str, dict] = {}
    for name, stacks in all_stacks.items():
        out: dict[str, dict] = {"resource": {}, "data": {}}
        for stack, tf_json in stacks.items():
            if stack != "exposure" and not stack.startswith("tenant-"):
                continue
            for block in ("resource", "data"):
                for kind, bodies in tf_json.get(block, {}).items():
                    for address, body in bodies.items():
                        out[block].setdefault(kind, {})[f"{stack}/{address}"] = body
        merged[name] = out
    return merged


def tenant_stack(all_stacks: dict[str, dict[str, dict]], env: str, tenant: str) -> dict:
    return all_stacks[env][f"tenant-{tenant}"]


@pytest.fixture
def gateway_checkers():
    """The field checkers (the Gateway kinds' among them), registered for one test and removed after it."""
    with registered():
        yield


def manifests(tf_json: dict) -> list[dict]:
    return [body["manifest"] for body in tf_json.get("resource", {}).get("kubernetes_manifest", {}).values()]


def of_kind(tf_json: dict, kind: str) -> list[dict]:
    return [m for m in manifests(tf_json) if m["kind"] == kind]
