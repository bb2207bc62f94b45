"""A baseline to compare with: a synthesized directory, or a git ref synthesized on the fly."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rayfort_tools.review.synth_output import SynthOutput


class BaselineError(RuntimeError):
    """The baseline could not be read or synthesized."""


def load_baseline(spec: str, *, environment: str, repo: Path) -> SynthOutput:
    """``spec`` is a cdktf.out directory, or a git ref whose code synthesizes ``environment``."""
    candidate = Path(spec)
    if candidate.is_dir():
        return SynthOutput.load(candidate)
    return _synthesize_ref(spec, environment, repo)


def _synthesize_ref(ref: str, environment: str, repo: Path) -> SynthOutput:
    """Check ``ref`` out into a throwaway worktree and synthesize it with this checkout's dependencies."""
    scratch = Path(tempfile.mkdtemp(prefix="rayfort-baseline-"))
    worktree = scratch / "tree"
    run = lambda *args: subprocess.run(args, cwd=repo, capture_output=True, text=True)  # noqa: E731
    added = run("git", "worktree", "add", "--detach", str(worktree), ref)
    if added.returncode != 0:
        raise BaselineError(f"--baseline {ref}: neither a directory nor a git ref: {added.stderr.strip()}")
    try:
        outdir = scratch / "cdktf.out"
        env = {
            **os.environ,
            "CDKTF_OUTDIR": str(outdir),
            # The worktree's own library shadows the installed one (PYTHONPATH precedes the editable finder).
            "PYTHONPATH": os.pathsep.join([str(worktree / "constructs"), str(worktree)]),
        }
        result = subprocess.run(
            [sys.executable, "main.py", environment], cwd=worktree, env=env, capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0:
            raise BaselineError(f"--baseline {ref}: synth failed:\n{result.stderr.strip()}")
        return SynthOutput.load(outdir)
    finally:
        run("git", "worktree", "remove", "--force", str(worktree))
