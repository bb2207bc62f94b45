"""Commands the Makefile's deploy targets run on a synthesized app (``python -m rayfort.lifecycle ...``).

  order                      the stacks in deploy order, one a line
  check-stack STACK          exit 2 unless STACK is a stack of the app with a passing review record
  check-reviews              exit 2 unless every stack has a passing review record
  check-destroy STACK        exit 2 while other stacks of the app still depend on STACK (--force: warn only),
                             or STACK has no passing review record
  pause-after STACK          exit 3, saying what to do, when a step outside Terraform comes after STACK
                             (filling the mirror); --done: it is done, go on
  publish-deploy             copy the stacks to deploy/<env>/, print that directory
  check-deploy               exit 1 when deploy/<env>/ differs from the synth

The synthesized app is $CDKTF_OUTDIR, or cdktf.out. Terraform refuses a stack without a passing
review record of exactly its JSON (``make review`` writes them); the checks say so before Terraform runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rayfort.lifecycle import deploy_dir
from rayfort.lifecycle.order import dependents, deploy_order, pause_after
from rayfort.lifecycle.record import read_record
from rayfort.review_record import review_problem
from rayfort.synthesized import read_manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rayfort.lifecycle", description=__doc__.splitlines()[0])
    parser.add_argument(
        "command",
        choices=[
            "order",
            "check-stack",
            "check-reviews",
            "check-destroy",
            "pause-after",
            "publish-deploy",
            "check-deploy",
        ],
    )
    parser.add_argument("stack", nargs="?", default="")
    parser.add_argument("--outdir", type=Path, default=Path(os.environ.get("CDKTF_OUTDIR", "cdktf.out")))
    parser.add_argument("--deploy-root", type=Path, default=Path("deploy"))
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--done", action="store_true", help="pause-after: the step is done")
    args = parser.parse_args(argv)
    try:
        manifest = read_manifest(args.outdir)
    except FileNotFoundError as exc:
        print(f"rayfort: {exc}", file=sys.stderr)
        return 2
    if args.command == "order":
        print("\n".join(deploy_order(manifest)))
        return 0
    if args.command == "check-reviews":
        return _check_reviews(args.outdir, manifest, deploy_order(manifest))
    if args.command == "publish-deploy":
        try:
            print(deploy_dir.publish(args.outdir, args.deploy_root))
        except deploy_dir.NotReviewed as exc:
            print(f"rayfort: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "check-deploy":
        found = deploy_dir.differences(args.outdir, args.deploy_root)
        if found:
            print("rayfort: the committed deploy/ does not match a fresh synth:", file=sys.stderr)
            print("\n".join(f"  - {line}" for line in found), file=sys.stderr)
            print("  run `make synth-commit ENV=<env>` and commit deploy/", file=sys.stderr)
            return 1
        print("rayfort: deploy/ matches a fresh synth")
        return 0
    order = deploy_order(manifest)
    if args.stack not in order:
        given = f"STACK={args.stack}" if args.stack else "no STACK"
        print(f"rayfort: {given}; stacks of this app, in deploy order: {' '.join(order)}", file=sys.stderr)
        return 2
    if args.command == "pause-after":
        return _pause(args.outdir, manifest, args.stack, done=args.done)
    if args.command == "check-destroy":
        blocking = dependents(manifest, args.stack)
        if blocking:
            message = (
                f"rayfort: {', '.join(blocking)} still depend on {args.stack}; destroy or change them first "
                f"(reverse deploy order: {' '.join(reversed(order))})"
            )
            print(message + ("; going on because of FORCE=1" if args.force else "; FORCE=1 to go on"), file=sys.stderr)
            if not args.force:
                return 2
    return _check_reviews(args.outdir, manifest, [args.stack])


def _check_reviews(outdir: Path, manifest: dict, stacks: list[str]) -> int:
    """Exit 2, saying what to run, unless each of ``stacks`` has a passing review record of its JSON."""
    problems = [
        problem
        for stack in stacks
        if (problem := review_problem(outdir / manifest["stacks"][stack]["workingDirectory"], stack)) is not None
    ]
    if not problems:
        return 0
    record = read_record(outdir)
    environment = record.environment if record is not None else "<env>"
    print("rayfort: Terraform plans only stacks a passing review approved, byte for byte:", file=sys.stderr)
    print("\n".join(f"  - {problem}" for problem in problems), file=sys.stderr)
    print(
        f"  run `make review ENV={environment}` (it writes the record beside each stack), fix what it reports, "
        "then plan or deploy the stacks it reviewed",
        file=sys.stderr,
    )
    return 2


PAUSED = 3
"""Exit code of a deliberate stop: not an error, a step for a person."""


def _pause(outdir: Path, manifest: dict, stack: str, *, done: bool) -> int:
    pause = pause_after(manifest, stack)
    if pause is None:
        return 0
    record = read_record(outdir)
    env = record.environment if record is not None else "<env>"
    if done:
        print(f"rayfort: {pause.done}=1: going on after {stack}", file=sys.stderr)
        return 0
    print(f"rayfort: stopped after {stack}. Next, {pause.step.format(env=env)}.", file=sys.stderr)
    print(
        f"  then: make deploy-all ENV={env} {pause.done}=1 (the stacks deployed so far plan no changes)",
        file=sys.stderr,
    )
    return PAUSED


if __name__ == "__main__":
    sys.exit(main())
