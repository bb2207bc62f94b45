"""The kuberay stack synthesized with only the stacks it references, for each install mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rayfort._cdk import App
from rayfort.config import Environment
from stacks import app as wiring
from tests.app import synthesize
from tests.conftest import environment


def build_kuberay(env: Environment, outdir: str = "cdktf.out") -> App:
    """network, the mirror (air-gapped), gke and kuberay: the kuberay stack and everything it references."""
    app = App(outdir=outdir, skip_validation=False)
    networking = wiring.network_stack(app, env)
    mirror = wiring.mirror_stack(app, env, networking)
    cluster = wiring.gke_stack(app, env, networking.refs, mirror).refs
    wiring.kuberay_stack(app, env, cluster, networking.refs, mirror)
    return app


def variant(base: str, **kuberay: object) -> Environment:
    """A shipped environment with other kuberay settings."""
    env = environment(base)
    data = env.model_dump(mode="json", exclude_unset=True)
    data["kuberay"] = {**data.get("kuberay", {}), **kuberay}
    return Environment.model_validate(data)


@pytest.fixture(scope="session")
def kuberay_stack(tmp_path_factory: pytest.TempPathFactory):
    """Synthesize an environment and return its kuberay stack's Terraform JSON."""
    cache: dict[str, dict] = {}

    def run(env: Environment) -> dict:
        key = env.model_dump_json()
        if key not in cache:
            outdir: Path = tmp_path_factory.mktemp("kuberay") / "cdktf.out"
            synthesize(env, outdir, build=build_kuberay)
            cache[key] = json.loads((outdir / "stacks" / "kuberay" / "cdk.tf.json").read_text())
        return cache[key]

    return run


@pytest.fixture(scope="session")
def mirror_stack(tmp_path_factory: pytest.TempPathFactory):
    """Synthesize an air-gapped environment and return its mirror stack's Terraform JSON."""

    def run(env: Environment) -> dict:
        outdir: Path = tmp_path_factory.mktemp("mirror") / "cdktf.out"
        synthesize(env, outdir, build=build_kuberay)
        return json.loads((outdir / "stacks" / "mirror" / "cdk.tf.json").read_text())

    return run
