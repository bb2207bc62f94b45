"""The app the tools synthesize: named as ``module:function``, imported from the working directory.

The tools depend on the rayfort library, never on an app; the app's composition
(``stacks:build_app`` in the rayfort repository) is handed to them by name.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from rayfort.synth import Build

DEFAULT_APP = "stacks:build_app"


def load_build(spec: str = DEFAULT_APP) -> Build:
    """The ``build(env, outdir=...)`` function named by ``spec`` (``module:function``)."""
    module_name, _, function = spec.partition(":")
    if not module_name or not function:
        raise ValueError(f"--app {spec!r}: expected module:function, like {DEFAULT_APP}")
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    return getattr(importlib.import_module(module_name), function)
