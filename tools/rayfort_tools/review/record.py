"""The deploy record: what a review approved, written where Terraform reads it at plan time.

Each synthesized stack declares ``var.rayfort_review`` and refuses to plan
unless the record's verdict is ``pass`` and its digest for that stack is the
SHA-256 of the stack's ``cdk.tf.json`` (``rayfort.audit.deploy_record``). This
module writes that record, from the review's verdict, the waivers in the
policy record and the bytes of every stack, into each stack's directory as
``rayfort-review.auto.tfvars.json``: Terraform loads it by itself, and
Terraform Cloud receives it with the configuration (CLI-driven runs upload the
stack directory; VCS-driven runs read it from the commit ``make synth-commit``
makes).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from rayfort.review_record import PASS, RECORD_FILE, RECORD_VARIABLE, STACK_FILE, stack_digest
from rayfort_tools.review.gate import Verdict
from rayfort_tools.review.synth_output import SynthOutput

FAIL = "fail"


def stack_digests(output: SynthOutput) -> dict[str, str]:
    """SHA-256 of each stack's cdk.tf.json, exactly the bytes Terraform's filesha256 reads."""
    return {
        stack: stack_digest((output.root / "stacks" / stack / STACK_FILE).read_bytes())
        for stack in sorted(output.stacks)
    }


def _source() -> dict[str, str]:
    """Where the review ran: the commit and pull request of a GitHub Actions run, when there is one."""
    env = os.environ
    found: dict[str, str] = {}
    if env.get("GITHUB_SHA"):
        found["commit"] = env["GITHUB_SHA"]
    server, repository = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY")
    if server and repository and env.get("GITHUB_RUN_ID"):
        found["run"] = f"{server}/{repository}/actions/runs/{env['GITHUB_RUN_ID']}"
    ref = env.get("GITHUB_REF", "")
    if server and repository and ref.startswith("refs/pull/"):
        found["pull_request"] = f"{server}/{repository}/pull/{ref.split('/')[2]}"
    if env.get("RAYFORT_REVIEW_URL"):
        found["review"] = env["RAYFORT_REVIEW_URL"]
    return found


def deploy_record(
    output: SynthOutput, verdict: Verdict, environment: str, report: str = "", advisory: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The record of one review: verdict, waivers in force, stack digests, the report's digest and its source.

    Failures of the ``advisory`` judges (those ``make judge`` shows but does not fail on, such as
    deployability until RAYFORT_ENFORCE_DEPLOYABILITY=1) are recorded apart and do not fail the record:
    a deploy is refused for what the project enforces, and its record shows what it does not yet.
    """
    digests = stack_digests(output)
    blocking = [check for check in verdict.failed_checks if check.split(":", 1)[0] not in advisory]
    waivers = [
        {"rule": e["rule"], "resource": e["path"], "reason": e.get("waiver_reason", "")}
        for e in output.policy.get("evaluations", [])
        if e.get("status") == "waived"
    ]
    return {
        "environment": environment,
        "verdict": PASS if not verdict.unwaived and not blocking else FAIL,
        "waivers": sorted(waivers, key=lambda w: (w["rule"], w["resource"])),
        "unwaived_weakenings": list(verdict.unwaived),
        "failed_checks": blocking,
        "advisory_failures": [check for check in verdict.failed_checks if check not in blocking],
        "stacks": digests,
        "digest": hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest(),
        "report_sha256": hashlib.sha256(report.encode()).hexdigest(),
        "source": _source(),
    }


def write_record(output: SynthOutput, record: dict[str, Any]) -> list[Path]:
    """Write the record beside every stack's cdk.tf.json as the value of var.rayfort_review."""
    value = json.dumps(record, sort_keys=True, separators=(",", ":"))
    written = []
    for stack in sorted(output.stacks):
        path = output.root / "stacks" / stack / RECORD_FILE
        path.write_text(json.dumps({RECORD_VARIABLE: value}, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
