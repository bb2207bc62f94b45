"""The lines `make synth` ends with: environment, each stack with its resources, where it went, the policy."""

from __future__ import annotations

import os
from pathlib import Path

from rayfort.lifecycle.order import PAUSES
from rayfort.lifecycle.record import SynthRecord


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, as a user would type it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def summary(record: SynthRecord, source: Path, outdir: Path) -> str:
    """A short report of one synth, stacks in deploy order."""
    width = max(len(name) for name in record.order)
    lines = [f"rayfort: synthesized environment {record.environment} ({_shown(source)}) into {_shown(outdir)}/"]
    lines.append(f"  {'stack'.ljust(width)}  resources  directory")
    for name in record.order:
        stack = record.stacks[name]
        directory = _shown(outdir / stack["directory"])
        lines.append(f"  {name.ljust(width)}  {stack['resources']:>9}  {directory}/")
    total = sum(stack["resources"] for stack in record.stacks.values())
    lines.append(f"  {'total'.ljust(width)}  {total:>9}")
    policy = record.policy
    waived = f", {len(policy.waived)} waived: {', '.join(sorted(set(policy.waived)))}" if policy.waived else ""
    verdict = "passed" if not policy.violated else f"{policy.violated} violated"
    lines.append(f"  policy: {verdict} ({policy.on} checks on{waived})")
    shipped = source.parent.name == "environments" and source.stem == record.environment
    env = record.environment if shipped else _shown(source)
    lines.append(f"  deploy order: {' -> '.join(_steps(record, env))}")
    # Terraform plans only reviewed stacks: the review writes the record each stack is planned with.
    lines.append(f"  next: make review ENV={env}, then make plan STACK={record.order[0]} ENV={env}")
    return "\n".join(lines)


def _steps(record: SynthRecord, env: str) -> list[str]:
    """The stacks in deploy order, with the steps outside Terraform between them in brackets."""
    steps = []
    for name in record.order:
        steps.append(name)
        steps += [
            f"[{pause.command.format(env=env)}]" for pause in PAUSES if pause.after == name and name != record.order[-1]
        ]
    return steps
