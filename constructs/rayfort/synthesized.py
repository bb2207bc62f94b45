"""A synthesized app directory, read back: every stack the manifest lists, by stack id.

The manifest is the authority: a stack directory it does not list (one the
cdktf CLI is about to remove) is not part of the app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_manifest(outdir: Path) -> dict[str, Any]:
    """cdktf's manifest.json of ``outdir``; FileNotFoundError names what to run when there is none."""
    path = outdir / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{outdir} holds no synthesized app (no manifest.json): run `make synth` first")
    return json.loads(path.read_text())


def read_stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    """{stack id: cdk.tf.json} of every stack of the app in ``outdir``, in stack id order."""
    manifest = read_manifest(outdir)
    return {
        name: json.loads((outdir / entry["synthesizedStackPath"]).read_text())
        for name, entry in sorted(manifest["stacks"].items())
    }
