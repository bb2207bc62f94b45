"""The gke stack synthesized on its own: the network stack it reads from, and itself.

Building only these two keeps the gke tests about the gke stack: the stacks that
consume it (and the cross-stack outputs they add) are covered by tests/synth.
"""

from __future__ import annotations

import pytest

from rayfort._cdk import App
from rayfort.config import Environment
from stacks.app import gke_stack, network_stack
from tests.app import synthesize
from tests.conftest import SHIPPED, environment, stacks_in


def build_network_and_gke(env: Environment, outdir: str) -> App:
    app = App(outdir=outdir, skip_validation=False)
    gke_stack(app, env, network_stack(app, env).refs)
    return app


@pytest.fixture(scope="session")
def synth_gke(tmp_path_factory: pytest.TempPathFactory):
    """Synthesize an Environment's network and gke stacks and return the gke stack's JSON."""

    def run(env: Environment) -> dict:
        outdir = tmp_path_factory.mktemp("synth-gke") / "cdktf.out"
        synthesize(env, outdir, build=build_network_and_gke)
        return stacks_in(outdir)["gke"]

    return run


@pytest.fixture(scope="session")
def shipped_gke(synth_gke) -> dict[str, dict]:
    """The gke stack of each shipped environment."""
    return {name: synth_gke(environment(name)) for name in SHIPPED}
