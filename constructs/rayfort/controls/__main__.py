"""python -m rayfort.controls README.md: regenerate the README's controls table from the catalogue."""

import sys
from pathlib import Path

from rayfort.controls.readme import main

main(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
