"""Exposure stacks of the shipped environments and of the test environments here, synthesized once."""

from __future__ import annotations

from pathlib import Path

import pytest

from rayfort.config import Environment, load_environment
from rayfort_tools.judges.field_checks import registered
from tests.app import synthesize
from tests.conftest import ENVIRONMENTS, stacks_in

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
    """Each environment synthesized once: {env: cdktf.out directory}."""
    outdirs = {}
    for name in ALL:
        outdir = tmp_path_factory.mktemp(f"exposure-{name}") / "cdktf.out"
        synthesize(exposure_environment(name), outdir)
        outdirs[name] = outdir
    return outdirs


@pytest.fixture(scope="session")
def exposure_stacks(exposure_outdirs: dict[str, Path]) -> dict[str, dict]:
    """{env: the exposure stack's Terraform JSON}."""
    return {name: stacks_in(outdir)["exposure"] for name, outdir in exposure_outdirs.items()}


@pytest.fixture
def gateway_checkers():
    """The field checkers (the Gateway kinds' among them), registered for one test and removed after it."""
    with registered():
        yield


def manifests(tf_json: dict) -> list[dict]:
    return [body["manifest"] for body in tf_json.get("resource", {}).get("kubernetes_manifest", {}).values()]


def of_kind(tf_json: dict, kind: str) -> list[dict]:
    return [m for m in manifests(tf_json) if m["kind"] == kind]
