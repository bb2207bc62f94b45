"""The rayfort app's synth, as the tests run it: the library's pipeline with the app's composition."""

from __future__ import annotations

from functools import partial

from rayfort.synth import synthesize as _synthesize
from stacks import build_app

synthesize = partial(_synthesize, build=build_app)
"""``synthesize(env, outdir)``: validate, build with ``stacks.build_app``, judge and publish atomically."""
