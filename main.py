"""Synthesize one environment (RAYFORT_ENV, default dev) into cdktf.out/."""

from __future__ import annotations

import sys
from pathlib import Path

from rayfort.cli import synth_main

if __name__ == "__main__":
    sys.exit(synth_main(environments_dir=Path(__file__).resolve().parent / "environments"))
