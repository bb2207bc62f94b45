"""Synthesize one environment (RAYFORT_ENV, default dev) into cdktf.out/."""

from __future__ import annotations

import sys
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from rayfort.synth import synth_main

if TYPE_CHECKING:
    from rayfort._cdk import App
    from rayfort.config import Environment


def build_app(env: Environment, outdir: str, tenants: Collection[str] | None = None) -> App:
    """The app's composition, imported only for a valid environment: bad input is refused before the CDK starts."""
    from stacks import build_app as build

    return build(env, outdir=outdir, tenants=tenants)


if __name__ == "__main__":
    sys.exit(synth_main(Path(__file__).resolve().parent / "environments", build_app))
