"""The review's verdict: what blocks a change, what passes with a waiver, and what could not be judged.

A weakening is anything the control catalogue ranks weaker (an attribute, or a
resource added or removed); it passes only when a waiver for that control
covers that construct, and the waiver's reason is shown. Every failed judge
check blocks too. A judge that judged nothing is "skipped", never "0 checked".
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from rayfort.controls import BY_ID
from rayfort_tools.review.diff import ResourceChange, weakened_controls
from rayfort_tools.review.synth_output import SynthOutput

EXIT_CLEAN = 0
EXIT_WEAKENED = 1
EXIT_BAD_INPUT = 2


@dataclass
class Verdict:
    unwaived: list[str] = field(default_factory=list)
    """Weakenings no waiver covers: they block."""
    waived: list[str] = field(default_factory=list)
    """Weakenings a waiver accepts, each with its reason."""
    failed_checks: list[str] = field(default_factory=list)
    """Judge checks that failed, by judge and check id: they block."""
    skipped_judges: list[str] = field(default_factory=list)
    waivers: list[str] = field(default_factory=list)
    """Waivers this change adds or widens."""

    @property
    def exit_code(self) -> int:
        return EXIT_WEAKENED if self.unwaived or self.failed_checks else EXIT_CLEAN


def _title(control_id: str | None) -> str:
    control = BY_ID.get(control_id or "")
    return f"{control.id} {control.title}" if control else "(no control)"


def waiver_reason(policy: dict[str, Any], control_id: str | None, path: str) -> str | None:
    """The reason of the waiver that accepts lowering ``control_id`` at ``path`` in this output, if any."""
    if control_id is None:
        return None
    for evaluation in policy.get("evaluations", []):
        if evaluation["rule"] == control_id and evaluation["path"] == path and evaluation.get("waiver_reason"):
            return evaluation["waiver_reason"]
    for waiver in policy.get("waivers", []):
        if waiver["rule"] == control_id and fnmatch.fnmatchcase(path, waiver["resource"]):
            scope = " [scope: all]" if waiver.get("scope") == "all" else ""
            return f"{waiver['reason']}{scope}"
    return None


def _file(verdict: Verdict, entry: str, reason: str | None) -> None:
    if reason is None:
        verdict.unwaived.append(entry)
    else:
        verdict.waived.append(f"{entry} — waived: {reason}")


def judge_changes(verdict: Verdict, changes: list[ResourceChange], baseline: SynthOutput, current: SynthOutput) -> None:
    """Sort every weakening of a diff into waived and unwaived."""
    seen: set[tuple[str | None, str]] = set()
    for change in changes:
        if change.weakens:
            done = {"add": "added", "remove": "removed"}.get(change.action, change.action)
            entry = f"`{change.construct_path}` {done}: {_title(change.control)}: {change.weakens}"
            seen.add((change.control, change.construct_path))
            _file(verdict, entry, waiver_reason(current.policy, change.control, change.construct_path))
        for attribute in change.weakenings:
            entry = (
                f"`{change.construct_path}`: {_title(attribute.control)}: `{attribute.path}` {attribute.describe()} "
                f"({attribute.weakens})"
            )
            seen.add((attribute.control, change.construct_path))
            _file(verdict, entry, waiver_reason(current.policy, attribute.control, change.construct_path))
    for before, now in weakened_controls(baseline, current):
        if now is None:
            assert before is not None
            verdict.unwaived.append(
                f"`{before['path']}`: {before['rule']} {before['title']} is no longer evaluated on a resource "
                "that is still there"
            )
        elif (now["rule"], now["path"]) not in seen:
            entry = f"`{now['path']}`: {now['rule']} {now['title']} is now waived ({'; '.join(now['findings'])})"
            verdict.waived.append(f"{entry} — waived: {now['waiver_reason']}")
    verdict.waivers += new_waivers(baseline.policy, current.policy)


def new_waivers(baseline: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Waivers in ``current`` that ``baseline`` did not have, named as added or widened."""
    before = baseline.get("waivers", [])
    found = []
    for waiver in current.get("waivers", []):
        same = [w for w in before if w["rule"] == waiver["rule"]]
        tenants = waiver.get("tenants")
        named = f" for tenants {', '.join(tenants) or 'none'}" if tenants is not None else ""
        kept = [w for w in same if w["resource"] == waiver["resource"] and w.get("scope") == waiver.get("scope")]
        if kept:
            # A waiver that places tenants widens when it names one its baseline did not.
            added = sorted(set(tenants or ()) - {t for w in kept for t in w.get("tenants") or ()})
            if added:
                found.append(
                    f"widened: {_title(waiver['rule'])} at `{waiver['resource']}` now also for tenants "
                    f"{', '.join(added)}: {waiver['reason']}"
                )
            continue
        widened = any(fnmatch.fnmatchcase(w["resource"], waiver["resource"]) for w in same)
        scope = " **scope: all** (also covers constructs added later)" if waiver.get("scope") == "all" else ""
        found.append(
            f"{'widened' if widened else 'added'}: {_title(waiver['rule'])} at `{waiver['resource']}`{scope}{named}: "
            f"{waiver['reason']}"
        )
    return found


def judge_results(verdict: Verdict, results: list[Any] | None) -> None:
    """Every failed judge check blocks; a judge that could not run, or judged nothing, is skipped."""
    for result in results or []:
        if result.unavailable or result.checked == 0:
            result.unavailable = result.unavailable or "nothing to judge in this output (skipped)"
            verdict.skipped_judges.append(f"{result.judge}: {result.unavailable}")
            continue
        verdict.failed_checks += [f"{result.judge}: {failure}" for failure in result.failures]
        if result.failed and not result.failures:
            verdict.failed_checks.append(f"{result.judge}: {result.failed} checks failed")
