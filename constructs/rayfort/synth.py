"""The synth entry point: validate, build, synthesize to a scratch directory, then publish.

A run that fails for any reason leaves cdktf.out/ exactly as it was; a run that
succeeds replaces it whole. Bad input exits 2 with one message and no traceback.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from rayfort._cdk import App
from rayfort.config import ConfigError, Environment, load_environment, resolve_environment_path
from rayfort.config.org_policy import configuration_problems
from rayfort.policy import RayfortRules
from rayfort.synthesized import read_stacks

EXIT_BAD_INPUT = 2
OUTDIR_ENV = "CDKTF_OUTDIR"
POLICY_REPORT = "rayfort-policy.json"
CDKTF_CLI_ENV = "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS"
"""Set by the cdktf CLI for the apps it runs."""


Build = Callable[..., App]
"""An app's composition: ``build(env, outdir=...)`` returns the App to synthesize."""


class SynthRefused(Exception):
    """The configuration is valid input but breaks a rule; the message says which and where."""


def synth_main(environments_dir: Path, build: Build, argv: list[str] | None = None) -> int:
    """Synthesize the selected environment with ``build``; the exit code is 0, or 2 for bad input or a refused rule."""
    args = sys.argv[1:] if argv is None else argv
    selector = args[0] if args else None
    path = resolve_environment_path(selector, environments_dir)
    outdir = Path(os.environ.get(OUTDIR_ENV, "cdktf.out"))
    try:
        env = load_environment(path)
        synthesize(env, outdir, build)
    except ConfigError as exc:
        print(f"rayfort: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SynthRefused as exc:
        print(f"rayfort: {path}: synthesis refused:\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def synthesize(env: Environment, outdir: Path, build: Build) -> None:
    """Synthesize the app ``build`` makes of ``env`` into ``outdir`` atomically: all stacks or nothing."""
    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
        rules = RayfortRules(env.waivers, environment=env)
        early = rules.judge_environment()
        if early is not None:
            raise SynthRefused(early.describe())
        app = build(env, outdir=str(scratch))
        app.synth()
        stacks = read_stacks(scratch)
        report = rules.judge_stacks(stacks)
        if report.refused:
            raise SynthRefused(report.describe())
        guardrails = configuration_problems(env, stacks)
        if guardrails:
            raise SynthRefused("\n".join(f"  - {problem}" for problem in guardrails))
        (scratch / POLICY_REPORT).write_text(report.to_json(), encoding="utf-8")
        _publish(scratch, outdir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _publish(scratch: Path, outdir: Path) -> None:
    previous = outdir.with_name(f".{outdir.name}-previous")
    shutil.rmtree(previous, ignore_errors=True)
    if outdir.exists():
        outdir.rename(previous)
    if os.environ.get(CDKTF_CLI_ENV) and (previous / "stacks").is_dir():
        # The cdktf CLI lists the stacks before running the app and deletes the ones that are gone
        # itself afterwards; it fails if they are already gone, so they are handed back for it to remove.
        (scratch / "stacks").mkdir(exist_ok=True)
        for stack in (previous / "stacks").iterdir():
            if not (scratch / "stacks" / stack.name).exists():
                stack.rename(scratch / "stacks" / stack.name)
    scratch.rename(outdir)
    shutil.rmtree(previous, ignore_errors=True)
