"""Where the third-party reference data (CRDs, chart values, schemas, fixtures) lives.

The data is not part of rayfort: it is read from ``RAYFORT_REFERENCE_DIR``, or
from ``../shared/reference`` beside the working directory (the checkout). On a machine without it, the
judges that need it report themselves as unavailable instead of passing.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "RAYFORT_REFERENCE_DIR"


def reference_dir() -> Path | None:
    """The reference directory, or None when it is not on this machine."""
    configured = os.environ.get(ENV_VAR)
    candidate = Path(configured) if configured else Path.cwd().parent / "shared" / "reference"
    return candidate if candidate.is_dir() else None


def require_reference(*parts: str) -> Path:
    """A path inside the reference data; raises ReferenceMissing when absent."""
    root = reference_dir()
    if root is None:
        raise ReferenceMissing(f"reference data not found: set {ENV_VAR} or place it at ../shared/reference")
    path = root.joinpath(*parts)
    if not path.exists():
        raise ReferenceMissing(f"reference data incomplete: {path} does not exist")
    return path


class ReferenceMissing(RuntimeError):
    """The reference data a judge needs is not on this machine."""
