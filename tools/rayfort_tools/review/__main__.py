"""python -m rayfort_tools.review: write the review report of a synthesized app.

The full report and the pull-request comment (cut to GitHub's limit, with the hidden marker CI
updates) go to ``<out>/review/``: ignored by git, and replaced with the output they describe.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rayfort.config import ConfigError, Environment, load_environment, resolve_environment_path
from rayfort_tools.review.baseline import BaselineError, load_baseline
from rayfort_tools.review.gate import EXIT_BAD_INPUT
from rayfort_tools.review.plan import load_plan
from rayfort_tools.review.report import build_review
from rayfort_tools.review.synth_output import SynthOutput

REPORT = "review.md"
COMMENT = "comment.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rayfort_tools.review",
        description="Write a Markdown review of a synthesized rayfort app, fit to paste into a pull request. "
        "Exit code 0: clean; 1: a security control is weakened without a waiver, or a judge check failed; "
        "2: bad input (no synthesized output, an unreadable baseline, plan or environment).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(os.environ.get("CDKTF_OUTDIR", "cdktf.out")),
        help="the synthesized app to review (default: cdktf.out)",
    )
    parser.add_argument(
        "--env",
        default=os.environ.get("RAYFORT_ENV", "dev"),
        help="environment the output was synthesized from; used to synthesize a git-ref baseline",
    )
    parser.add_argument("--baseline", help="a cdktf.out directory or a git ref (e.g. origin/main) to diff against")
    parser.add_argument("--plan", type=Path, help="summarise this `terraform show -json` plan instead of a diff")
    parser.add_argument("--no-judges", action="store_true", help="leave out the judge table (faster)")
    parser.add_argument(
        "--report-dir",
        type=Path,
        help=f"where {REPORT} (the full report) and {COMMENT} (the pull-request comment) go (default: OUT/review)",
    )
    parser.add_argument("--output", type=Path, help="also write the full report to this file")
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the deploy record (verdict, waivers, stack digests) beside each stack for Terraform to read",
    )
    args = parser.parse_args(argv)

    try:
        output = SynthOutput.load(args.out)
        baseline = load_baseline(args.baseline, environment=args.env, repo=Path.cwd()) if args.baseline else None
        plan = load_plan(args.plan) if args.plan else None
        environment = None if args.no_judges else _environment(args.env)
    except (FileNotFoundError, ValueError, BaselineError, ConfigError) as error:
        print(f"rayfort review: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    judges = None
    if not args.no_judges:
        from rayfort_tools.judges.runner import Synthesized, run

        # The isolation judge compares the policies with the flows the environment intends.
        judges = run([Synthesized(args.env, args.out, output.stacks, environment)])
    review = build_review(
        output, environment=args.env, judges=judges, baseline=baseline, baseline_name=args.baseline or "", plan=plan
    )
    sys.stdout.write(review.markdown)
    report_dir = args.report_dir or args.out / "review"
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / REPORT).write_text(review.markdown, encoding="utf-8")
    (report_dir / COMMENT).write_text(review.comment(full_report=_full_report(args.env, report_dir)), encoding="utf-8")
    print(f"rayfort review: wrote {report_dir / REPORT} and {report_dir / COMMENT}", file=sys.stderr)
    if args.output:
        args.output.write_text(review.markdown, encoding="utf-8")
    if args.record:
        from rayfort_tools.review.record import deploy_record, write_record

        advisory = frozenset(result.judge for result in judges or [] if result.advisory)
        write_record(output, deploy_record(output, review.verdict, args.env, review.markdown, advisory))
    return review.exit_code


def _environment(selector: str) -> Environment:
    return load_environment(resolve_environment_path(selector, Path("environments")))


def artifact_name(environment: str) -> str:
    """The workflow uploads each environment's report directory under this name."""
    return f"rayfort-review-{environment}"


def _full_report(environment: str, report_dir: Path) -> str:
    """Where a reader of a cut comment finds the whole report: the workflow run's artifact, or the file."""
    run_id, repository = os.environ.get("GITHUB_RUN_ID"), os.environ.get("GITHUB_REPOSITORY")
    if run_id and repository:
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        return (
            f"`{REPORT}` in the `{artifact_name(environment)}` artifact of "
            f"[this workflow run]({server}/{repository}/actions/runs/{run_id})"
        )
    return f"`{report_dir / REPORT}`"


if __name__ == "__main__":
    sys.exit(main())
