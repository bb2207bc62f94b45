"""Exposure stacks of the shipped environments and of the test environments here, synthesized once.

The exposure stack is built with the real network and gke stacks and, in place
of each tenant stack, a stand-in holding just what the exposure stack reads
from one (``tenant`` and a ``namespace_name`` reference to another stack's
Namespace). The whole app, real tenant stacks included, is covered by the
snapshot tests in tests/synth.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rayfort._cdk import App, Construct
from rayfort.cli import synthesize
from rayfort.config import Environment, load_environment
from rayfort.config.tenant import TenantSettings
from rayfort.exposure.gateway_checks import SCHEMAS, register_gateway_field_checkers
from rayfort.judges.k8s_schema import unregister_field_checker
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.namespace import restricted_namespace
from rayfort.stack import RayfortStack
from stacks.exposure import ExposureStack
from stacks.gke import GkeStack
from stacks.network import NetworkStack
from tests.conftest import ENVIRONMENTS, stacks_in

HERE = Path(__file__).resolve().parent
TEST_ENVIRONMENTS = {"gateway": HERE / "environments" / "gateway.yaml", "ingress": HERE / "environments" / "ingress.yaml"}
ALL = ("dev", "prod", "airgapped", *TEST_ENVIRONMENTS)


class TenantStandIn(RayfortStack):
    """What ExposureStack reads from a TenantStack: its settings and its Namespace's name as a reference."""

    def __init__(self, scope: Construct, stack_id: str, env: Environment, tenant: TenantSettings, gke: GkeStack) -> None:
        super().__init__(scope, stack_id, env)
        self.tenant = tenant
        self.use_cluster(gke.access)
        self.namespace = KubernetesObject(self, "namespace", restricted_namespace(tenant.name))

    @property
    def namespace_name(self) -> str:
        return self.namespace.name


def build_exposure_app(env: Environment, outdir: str) -> App:
    app = App(outdir=outdir, skip_validation=False)
    network = NetworkStack(app, "network", env)
    gke = GkeStack(app, "gke", env, network)
    tenants = [TenantStandIn(app, f"tenant-{t.name}", env, t, gke) for t in env.tenants]
    ExposureStack(app, "exposure", env, network, gke, tenants)
    return app


def exposure_environment(name: str) -> Environment:
    return load_environment(TEST_ENVIRONMENTS.get(name, ENVIRONMENTS / f"{name}.yaml"))


@pytest.fixture(scope="session")
def exposure_outdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each environment synthesized once: {env: cdktf.out directory}."""
    outdirs = {}
    for name in ALL:
        outdir = tmp_path_factory.mktemp(f"exposure-{name}") / "cdktf.out"
        synthesize(exposure_environment(name), outdir, build_exposure_app)
        outdirs[name] = outdir
    return outdirs


@pytest.fixture(scope="session")
def exposure_stacks(exposure_outdirs: dict[str, Path]) -> dict[str, dict]:
    """{env: the exposure stack's Terraform JSON}."""
    return {name: stacks_in(outdir)["exposure"] for name, outdir in exposure_outdirs.items()}


@pytest.fixture
def gateway_checkers():
    """The Gateway kinds' field checkers, registered for one test and removed after it."""
    register_gateway_field_checkers()
    yield
    for api_version, kind in SCHEMAS:
        unregister_field_checker(api_version, kind)


def manifests(tf_json: dict) -> list[dict]:
    return [body["manifest"] for body in tf_json.get("resource", {}).get("kubernetes_manifest", {}).values()]


def of_kind(tf_json: dict, kind: str) -> list[dict]:
    return [m for m in manifests(tf_json) if m["kind"] == kind]
