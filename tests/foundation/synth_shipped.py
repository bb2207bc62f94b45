"""Synthesize every shipped environment into OUTDIR/<env>/cdktf.out, in one process.

The equivalence test runs this with the other framework's interpreter
(``python -O -m tests.foundation.synth_shipped OUTDIR``): one synth per
environment, one jsii runtime for all of them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rayfort.synth import synthesize
from stacks import build_app
from tests.conftest import SHIPPED, environment


def main(outdir: Path) -> None:
    for name in SHIPPED:
        synthesize(environment(name), outdir / name / "cdktf.out", build_app)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
