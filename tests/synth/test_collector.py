"""The synth pauses Python's cyclic garbage collector while it builds, synthesizes and checks an app."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from rayfort.synth import collector_paused, synthesize
from tests.environments import loaded, shipped


def test_the_collector_is_off_while_the_app_is_built_and_on_again_after_a_failure(tmp_path: Path) -> None:
    seen: list[bool] = []

    def build(env, outdir):
        seen.append(gc.isenabled())
        raise RuntimeError("the build stops here")

    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="the build stops here"):
        synthesize(loaded(tmp_path, shipped("dev")), tmp_path / "out", build)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_already_off_stays_off(tmp_path: Path) -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
