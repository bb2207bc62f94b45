"""Assemble the Markdown review report, fit to paste as a pull-request comment."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from rayfort_tools.review.diff import ResourceChange, diff_outputs
from rayfort_tools.review.gate import Verdict, judge_changes, judge_results
from rayfort_tools.review.plan import PlanSummary
from rayfort_tools.review.synth_output import SynthOutput


@dataclass
class Review:
    """Everything the report says, and whether it should block the change."""

    markdown: str
    verdict: Verdict = field(default_factory=Verdict)

    @property
    def unwaived_weakenings(self) -> list[str]:
        return self.verdict.unwaived

    @property
    def waived_weakenings(self) -> list[str]:
        return self.verdict.waived

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code


def _stacks_section(output: SynthOutput) -> list[str]:
    lines = ["## Stacks", "", "```mermaid", "graph LR"]
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for reference in output.references():
        edges[(reference.producer, reference.consumer)].append(reference.value)
    for stack in output.stacks:
        lines.append(f'  {_node(stack)}["{stack}"]')
    for (producer, consumer), values in sorted(edges.items()):
        label = "<br/>".join(sorted(set(values))[:4]) + (
            f"<br/>+{len(set(values)) - 4} more" if len(set(values)) > 4 else ""
        )
        lines.append(f'  {_node(producer)} -->|"{label}"| {_node(consumer)}')
    for consumer, deps in output.dependencies.items():
        for producer in deps:
            if (producer, consumer) not in edges:
                lines.append(f"  {_node(producer)} -.->|deploys first| {_node(consumer)}")
    lines += ["```", "", "Deploy order: " + " → ".join(f"`{s}`" for s in output.deploy_order()), ""]
    return lines


def _node(stack: str) -> str:
    return stack.replace("-", "_")


def _resources_section(output: SynthOutput) -> list[str]:
    lines = ["## Resources", "", "| stack | resource type | count |", "| --- | --- | ---: |"]
    for stack in output.deploy_order():
        counts = Counter(address.split(".", 1)[0] for address in output.resources(stack))
        for resource_type, count in sorted(counts.items()):
            lines.append(f"| `{stack}` | `{resource_type}` | {count} |")
        lines.append(f"| `{stack}` | **total** | **{sum(counts.values())}** |")
    return [*lines, ""]


def _controls_section(output: SynthOutput) -> list[str]:
    evaluations = output.policy.get("evaluations", [])
    lines = ["## Security controls", ""]
    if not evaluations:
        return [
            *lines,
            "_No policy record in this output (`rayfort-policy.json`): it was not made by `make synth`._",
            "",
        ]
    lines += ["| rule | control | enforced at | status |", "| --- | --- | --- | --- |"]
    by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for evaluation in evaluations:
        by_rule[evaluation["rule"]].append(evaluation)
    for rule in sorted(by_rule):
        group = by_rule[rule]
        first = group[0]
        types = ", ".join(f"`{t}`" for t in sorted({e["resource_type"] for e in group}))
        on = sum(1 for e in group if e["status"] == "on")
        status = [f"on ({on})"] if on else []
        for e in group:
            if e["status"] == "waived":
                status.append(f"**waived** at `{e['path']}`: {e['waiver_reason']}")
            elif e["status"] == "violated":
                status.append(f"**violated** at `{e['path']}`")
        lines.append(
            f"| {rule} {first['title']} | {first['control']} | {types}: `{first['attribute']}` | "
            f"{'<br/>'.join(status)} |"
        )
    waived = [e for e in evaluations if e["status"] == "waived"]
    lines += ["", f"Waivers in force: {len(waived)}.", ""]
    return lines


def _judges_section(results: list[Any] | None) -> list[str]:
    if results is None:
        return ["## Judges", "", "_Not run (`--no-judges`)._", ""]
    from rayfort_tools.judges.runner import render_table

    return ["## Judges", "", "```", render_table(results), "```", ""]


def _diff_section(changes: list[ResourceChange], baseline_name: str) -> list[str]:
    lines = [f"## Changes against `{baseline_name}`", ""]
    if not changes:
        return [*lines, "No resource changes.", ""]
    counts = Counter(change.action for change in changes)
    lines.append(", ".join(f"{counts.get(a, 0)} {a}" for a in ("add", "change", "replace", "remove")))
    lines.append("")
    for stack in sorted({c.stack for c in changes}):
        lines += [f"### `{stack}`", "", "| action | resource | attribute changes |", "| --- | --- | --- |"]
        for change in (c for c in changes if c.stack == stack):
            marks = []
            for attribute in change.attributes:
                flag = " ⚠️ **weakens**: " + attribute.weakens if attribute.weakens else ""
                flag += " 🔁 forces replacement" if attribute.replaces else ""
                marks.append(f"`{attribute.path}`: {attribute.describe()}{flag}")
            if change.weakens:
                marks.append(f"⚠️ **weakens** ({change.control}): {change.weakens}")
            action = f"**{change.action}**" if change.action in ("replace", "remove") else change.action
            lines.append(f"| {action} | `{change.construct_path}` (`{change.resource_type}`) | {'<br/>'.join(marks)} |")
        lines.append("")
    return lines


def _plan_section(plan: PlanSummary) -> list[str]:
    counts = plan.counts
    lines = [
        f"## Plan (Terraform {plan.terraform_version})",
        "",
        ", ".join(f"{counts.get(a, 0)} to {a}" for a in ("create", "update", "replace", "delete")),
        "",
    ]
    if plan.changes:
        lines += ["| action | address | detail |", "| --- | --- | --- |"]
    for change in plan.changes:
        detail = []
        if change.replace_paths:
            detail.append("replaced because of " + ", ".join(f"`{p}`" for p in change.replace_paths))
        for attribute in change.weakenings:
            detail.append(f"⚠️ **weakens** `{attribute.path}`: {attribute.weakens}")
        action = f"**{change.action}**" if change.action in ("replace", "delete") else change.action
        lines.append(f"| {action} | `{change.address}` | {'<br/>'.join(detail)} |")
    return [*lines, ""]


def build_review(
    output: SynthOutput,
    *,
    environment: str,
    judges: list[Any] | None,
    baseline: SynthOutput | None = None,
    baseline_name: str = "",
    plan: PlanSummary | None = None,
) -> Review:
    """The whole report; weakenings without a waiver make it blocking."""
    lines = [f"# rayfort review: `{environment}`", ""]
    lines += _stacks_section(output) + _resources_section(output) + _controls_section(output)
    review = Review("")
    judge_results(review.verdict, judges)
    lines += _judges_section(judges)
    if plan is not None:
        lines += _plan_section(plan)
        review.verdict.unwaived += [
            f"{c.address}: {a.path} ({a.control}: {a.weakens})" for c in plan.changes for a in c.weakenings
        ]
    elif baseline is not None:
        changes = diff_outputs(baseline, output)
        lines += _diff_section(changes, baseline_name)
        judge_changes(review.verdict, changes, baseline, output)
    lines += _verdict(review.verdict)
    review.markdown = "\n".join(lines).rstrip() + "\n"
    return review


def _verdict(verdict: Verdict) -> list[str]:
    lines = ["## Verdict", ""]
    if verdict.unwaived:
        lines.append("❌ This change weakens security controls without a waiver:")
        lines += [f"- {entry}" for entry in verdict.unwaived]
    if verdict.failed_checks:
        lines += ["", "❌ Judge checks failed:"]
        lines += [f"- {entry}" for entry in verdict.failed_checks]
    if not verdict.unwaived and not verdict.failed_checks:
        lines.append("✅ No control is weakened without a waiver.")
    if verdict.waived:
        lines += ["", "Weakened with a waiver (check the reasons):"]
        lines += [f"- {entry}" for entry in verdict.waived]
    if verdict.waivers:
        lines += ["", "Waivers this change adds or widens:"]
        lines += [f"- {entry}" for entry in verdict.waivers]
    if verdict.skipped_judges:
        lines += ["", "Judges skipped (their checks did not run):"]
        lines += [f"- {entry}" for entry in verdict.skipped_judges]
    return [*lines, ""]
