"""A synthesized app directory, read back: every stack the manifest lists, by stack id.

The manifest is the authority: a stack directory it does not list (one the
cdktf CLI is about to remove) is not part of the app.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
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


class SynthesizedStacks(Mapping[str, dict[str, Any]]):
    """{stack id: cdk.tf.json} of the app in ``outdir``, each stack parsed when asked for and not kept.

    The synth's checks each read every stack once; holding them all parsed would add
    about 150 MB at 500 tenants, on top of the framework's node runtime, which still
    holds the whole app. Iteration is in stack id order, like ``read_stacks``.
    """

    def __init__(self, outdir: Path) -> None:
        self._outdir = outdir
        self._paths = {
            name: entry["synthesizedStackPath"] for name, entry in sorted(read_manifest(outdir)["stacks"].items())
        }

    def __getitem__(self, name: str) -> dict[str, Any]:
        return json.loads((self._outdir / self._paths[name]).read_text())

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)
