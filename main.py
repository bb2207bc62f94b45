"""Synthesize one environment (RAYFORT_ENV, default dev) into cdktf.out/."""

from __future__ import annotations

import sys
from pathlib import Path

from rayfort.synth import synth_main
from stacks import build_app

if __name__ == "__main__":
    sys.exit(synth_main(Path(__file__).resolve().parent / "environments", build_app))
