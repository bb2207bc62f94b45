"""Assemble the Markdown review report, laid out as a pull-request comment.

The verdict and the weakenings come first, then the changes per stack, then collapsed details:
resources, security controls, judges, and the graph of stacks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from rayfort_tools.review.comment import COMMENT_LIMIT, Part, assemble, fit, marker
from rayfort_tools.review.diff import ResourceChange, diff_outputs
from rayfort_tools.review.gate import Verdict, judge_changes, judge_results
from rayfort_tools.review.plan import PlanSummary
from rayfort_tools.review.synth_output import SynthOutput

_CUT_FIRST = ("Stacks", "Resources", "Changes", "Judges", "Security controls", "Verdict")
"""A comment over GitHub's limit is cut in this order: context first, then the long tail of changes;
the judges, the controls (with their waivers) and the verdict last."""


@dataclass
class Review:
    """Everything the report says, and whether it should block the change."""

    markdown: str
    verdict: Verdict = field(default_factory=Verdict)
    head: str = ""
    parts: list[Part] = field(default_factory=list)

    @property
    def unwaived_weakenings(self) -> list[str]:
        return self.verdict.unwaived

    @property
    def waived_weakenings(self) -> list[str]:
        return self.verdict.waived

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def comment(self, *, full_report: str, limit: int = COMMENT_LIMIT) -> str:
        """The report as one pull-request comment: cut to ``limit``, pointing at ``full_report`` when cut."""
        return fit(self.head, self.parts, full_report=full_report, limit=limit)


def _groups(stacks: list[str], key: Callable[[str], Hashable]) -> list[list[str]]:
    """Stacks that share ``key``, each group in the order of its first member."""
    found: dict[Hashable, list[str]] = {}
    for stack in stacks:
        found.setdefault(key(stack), []).append(stack)
    return list(found.values())


def _label(members: list[str]) -> str:
    """A group's name: every member up to three, else the first and how many more."""
    if len(members) <= 3:
        return ", ".join(members)
    return f"{members[0]} and {len(members) - 1} more like it"


def _code_label(members: list[str]) -> str:
    if len(members) <= 3:
        return ", ".join(f"`{m}`" for m in members)
    return f"`{members[0]}` and {len(members) - 1} more like it"


def _members(groups: list[list[str]]) -> list[str]:
    """Who is in each group whose label leaves members out."""
    return [f"- {_code_label(group)}: {', '.join(f'`{m}`' for m in group)}" for group in groups if len(group) > 3]


def _details(summary: str, body: list[str], *, title: str, is_open: bool = False, **kwargs: Any) -> Part:
    """A collapsed section (``<details>``); GitHub renders Markdown inside it after a blank line."""
    opening = ["<details open>" if is_open else "<details>", f"<summary>{summary}</summary>", ""]
    return Part(title, [*body], _CUT_FIRST.index(title), opening=opening, closing=["", "</details>"], **kwargs)


def _graph_part(output: SynthOutput) -> Part:
    """The stacks top-down, values listed below it; stacks with the same neighbours are drawn as one node.

    Edge labels and a left-to-right layout made the graph wider than a pull request (about 800 px);
    top-down with one node per kind of tenant stays that wide for any number of tenants.
    """
    order = output.deploy_order()
    values: dict[tuple[str, str], set[str]] = defaultdict(set)
    for reference in output.references():
        values[(reference.producer, reference.consumer)].add(reference.value)
    edges = set(values)
    edges |= {(producer, consumer) for consumer, deps in output.dependencies.items() for producer in deps}

    def neighbours(stack: str) -> Hashable:
        return (
            frozenset((p, frozenset(values.get((p, c), ()))) for p, c in edges if c == stack),
            frozenset((c, frozenset(values.get((p, c), ()))) for p, c in edges if p == stack),
        )

    groups = _groups(order, neighbours)
    group_of = {stack: tuple(group) for group in groups for stack in group}
    merged: dict[tuple[tuple[str, ...], tuple[str, ...]], set[str]] = {}
    for producer, consumer in edges:
        merged.setdefault((group_of[producer], group_of[consumer]), set()).update(values.get((producer, consumer), ()))
    position = {stack: index for index, stack in enumerate(order)}
    arrows = sorted(merged.items(), key=lambda item: (position[item[0][0][0]], position[item[0][1][0]]))

    lines = [f"Deploy order: {_waves(output)}.", "", "```mermaid", "flowchart TD"]
    lines += [f'  {_node(group[0])}["{_label(group)}"]' for group in groups]
    for (producer, consumer), read in arrows:
        lines.append(f"  {_node(producer[0])} {'-->' if read else '-.->'} {_node(consumer[0])}")
    lines += ["```", "", "Solid arrows carry values (listed below); dotted ones only order the deployment.", ""]
    lines += _members(groups) + ([""] if _members(groups) else [])
    readers: dict[tuple[tuple[str, ...], frozenset[str]], list[str]] = defaultdict(list)
    for (producer, consumer), read in arrows:
        if read:
            readers[(producer, frozenset(read))].append(_code_label(list(consumer)))
    lines += ["Values read from another stack:", ""]
    for (producer, read), consumers in readers.items():
        shown = ", ".join(f"`{value}`" for value in sorted(read))
        lines.append(f"- {_code_label(list(producer))} → {', '.join(consumers)}: {shown}")
    pairs = sum(map(bool, values.values()))
    summary = f"<strong>Stacks</strong>: {len(order)} in deploy order, {pairs} {'pair' if pairs == 1 else 'pairs'} "
    summary += "sharing values"
    return _details(summary, lines, title="Stacks", divisible=False)


def _waves(output: SynthOutput) -> str:
    """The deploy order as steps; the stacks of one step do not depend on each other."""
    level: dict[str, int] = {}
    for stack in output.deploy_order():
        level[stack] = 1 + max((level[d] for d in output.dependencies.get(stack, [])), default=-1)
    steps = [[s for s in level if level[s] == n] for n in range(max(level.values(), default=-1) + 1)]
    named = [
        ", ".join(f"`{s}`" for s in step) if len(step) <= 3 else f"`{step[0]}` and {len(step) - 1} more"
        for step in steps
    ]
    return " → ".join(named)


def _node(stack: str) -> str:
    return "s_" + stack.replace("-", "_")


def _type_counts(counts: Counter) -> str:
    """``26 kubernetes_manifest, 2 google_storage_bucket, ...``: most numerous first, never split at the count."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{count}\u00a0{kind}" for kind, count in ordered)


def _count_lines(groups: list[list[str]], counts: dict[str, Counter]) -> list[str]:
    """One list item per group of stacks with the same counts; members listed under a group's item."""
    lines = []
    for group in groups:
        each = counts[group[0]]
        total = f"**{sum(each.values())}**" + (" each" if len(group) > 1 else "")
        lines.append(f"- {_code_label(group)}: {total} — {_type_counts(each)}")
        if len(group) > 3:
            lines.append("  - " + ", ".join(f"`{m}`" for m in group))
    return lines


def _resources_part(output: SynthOutput) -> Part:
    """Resources by type per stack; stacks with the same counts share an entry."""
    counts = {
        stack: Counter(address.split(".", 1)[0] for address in output.resources(stack)) for stack in output.stacks
    }
    groups = _groups(output.deploy_order(), lambda stack: tuple(sorted(counts[stack].items())))
    total = sum(sum(c.values()) for c in counts.values())
    summary = f"<strong>Resources</strong>: {total} in {len(counts)} stacks"
    return _details(summary, _count_lines(groups, counts), title="Resources")


def _controls_part(output: SynthOutput) -> Part:
    evaluations = output.policy.get("evaluations", [])
    if not evaluations:
        body = ["_No policy record in this output (`rayfort-policy.json`): it was not made by `make synth`._"]
        return _details("<strong>Security controls</strong>: no record", body, title="Security controls")
    lines = ["| rule | control | enforced at | status |", "| --- | --- | --- | --- |"]
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
    violated = [e for e in evaluations if e["status"] == "violated"]
    lines += ["", f"Waivers in force: {len(waived)}."]
    summary = (
        f"<strong>Security controls</strong>: {len(by_rule)} rules, {len(waived)} waived, {len(violated)} violated"
    )
    return _details(summary, lines, title="Security controls", is_open=bool(violated))


def _judges_part(results: list[Any] | None) -> Part:
    if results is None:
        return _details("<strong>Judges</strong>: not run", ["_Not run (`--no-judges`)._"], title="Judges")
    from rayfort_tools.judges.runner import render_table

    failed = sum(1 for r in results if r.failed)
    unavailable = sum(1 for r in results if r.unavailable)
    summary = f"<strong>Judges</strong>: {len(results)}, {failed} failed, {unavailable} skipped"
    body = ["```", render_table(results), "```"]
    return _details(summary, body, title="Judges", is_open=bool(failed), divisible=False)


def _cell(text: str) -> str:
    """Text in a table cell, unable to end the cell (``|``) or open HTML (``<``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _diff_section(
    changes: list[ResourceChange], baseline_name: str, *, baseline: SynthOutput, output: SynthOutput
) -> list[str]:
    """Changed resources per stack in deploy order; a stack added or removed whole is one row of counts."""
    lines = [f"## Changes against `{baseline_name}`", ""]
    if not changes:
        return [*lines, "No resource changes.", ""]
    counts = Counter(change.action for change in changes)
    lines.append(", ".join(f"{counts.get(a, 0)} {a}" for a in ("add", "change", "replace", "remove")))
    lines.append("")
    by_stack: dict[str, list[ResourceChange]] = defaultdict(list)
    for change in changes:
        by_stack[change.stack].append(change)
    whole = {"add": set(output.stacks) - set(baseline.stacks), "remove": set(baseline.stacks) - set(output.stacks)}
    order = [*output.deploy_order(), *sorted(whole["remove"])]
    for stack in (s for s in order if s in by_stack and s not in whole["add"] | whole["remove"]):
        lines += [f"### `{stack}`", "", "| action | resource | attribute changes |", "| --- | --- | --- |"]
        for change in by_stack[stack]:
            marks = []
            for attribute in change.attributes:
                flag = " ⚠️ **weakens**: " + attribute.weakens if attribute.weakens else ""
                flag += " 🔁 forces replacement" if attribute.replaces else ""
                marks.append(f"`{attribute.path}`: {_cell(attribute.describe())}{flag}")
            if change.weakens:
                marks.append(f"⚠️ **weakens** ({change.control}): {change.weakens}")
            action = f"**{change.action}**" if change.action in ("replace", "remove") else change.action
            path = change.construct_path.removeprefix(f"{stack}/")  # the heading names the stack
            lines.append(f"| {action} | `{path}` (`{change.resource_type}`) | {'<br/>'.join(marks)} |")
        lines.append("")
    for action, heading in (("add", "New stacks"), ("remove", "**Removed** stacks")):
        stacks = [s for s in order if s in whole[action] and s in by_stack]
        if not stacks:
            continue
        types = {stack: Counter(c.resource_type for c in by_stack[stack]) for stack in stacks}
        groups = _groups(stacks, lambda stack, types=types: tuple(sorted(types[stack].items())))
        lines += [f"### {heading}", "", *_count_lines(groups, types), ""]
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
    """The whole report; weakenings without a waiver, and failed judge checks, make it blocking."""
    lines: list[str] = []
    review = Review("")
    judge_results(review.verdict, judges)
    if plan is not None:
        lines += _plan_section(plan)
        review.verdict.unwaived += [
            f"{c.address}: {a.path} ({a.control}: {a.weakens})" for c in plan.changes for a in c.weakenings
        ]
    elif baseline is not None:
        changes = diff_outputs(baseline, output)
        lines += _diff_section(changes, baseline_name, baseline=baseline, output=output)
        judge_changes(review.verdict, changes, baseline, output)
    else:
        lines += ["## Changes", "", "_No baseline (`BASELINE=` or `PLAN=`): this report describes the output alone._"]
    review.head = f"{marker(environment)}\n# rayfort review: `{environment}`\n"
    review.parts = [
        Part("Verdict", _verdict(review.verdict), _CUT_FIRST.index("Verdict")),
        Part("Changes", lines, _CUT_FIRST.index("Changes")),
        _resources_part(output),
        _controls_part(output),
        _judges_part(judges),
        _graph_part(output),
    ]
    review.markdown = assemble(review.head, review.parts)
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
