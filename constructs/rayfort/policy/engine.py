"""Run the rules as a cdktf Aspect on every stack, honour waivers, and keep the record.

cdktf invokes aspects per stack during synth; the aspect records every
evaluation (control on, waived, or violated) and marks violations as error
annotations, so ``cdktf synth`` fails even for apps that compose our constructs
without our CLI. rayfort's own CLI refuses to publish output with violations.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rayfort._cdk import Annotations, App, Aspects, Construct, IAspect, TerraformStack, implements
from rayfort.config import Environment
from rayfort.config.waivers import Waiver
from rayfort.policy.environment_rules import ENVIRONMENT_RULES
from rayfort.policy.rules import RULES, Rule
from rayfort.synthesized import read_stacks

Status = Literal["on", "waived", "violated"]
GUARD_ID = "rayfort-rules"
"""Construct id of the childless guard each stack gets; it synthesizes to nothing."""


@dataclass(frozen=True)
class Evaluation:
    """One rule evaluated on one resource."""

    rule: str
    title: str
    control: str
    attribute: str
    path: str
    resource_type: str
    status: Status
    findings: tuple[str, ...] = ()
    waiver_reason: str | None = None


@dataclass
class PolicyReport:
    """Every evaluation of a synth, and the waivers that matched nothing."""

    evaluations: list[Evaluation] = field(default_factory=list)
    unused_waivers: list[Waiver] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    """Every waiver in force, so the review can name the ones a change adds or widens."""

    @property
    def violations(self) -> list[Evaluation]:
        return [e for e in self.evaluations if e.status == "violated"]

    @property
    def waived(self) -> list[Evaluation]:
        return [e for e in self.evaluations if e.status == "waived"]

    @property
    def refused(self) -> bool:
        return bool(self.violations or self.unused_waivers)

    def describe(self) -> str:
        """The refusal message: rule, construct path, what is wrong, and how to waive it."""
        lines = []
        for e in self.violations:
            for finding in e.findings:
                lines.append(f"  - {e.rule} {e.title}: {e.path}: {finding}")
            lines.append(
                f"    (to accept this, add to waivers: {{rule: {e.rule}, resource: {e.path}, reason: <why, in words>}})"
            )
        for waiver in self.unused_waivers:
            lines.append(f"  - waiver {waiver.rule} for {waiver.resource} matches nothing; remove it")
        return "\n".join(lines)

    def to_json(self) -> str:
        """Deterministic JSON for reviewers and the review report."""
        document = {
            "evaluations": [
                asdict(e) for e in sorted(self.evaluations, key=lambda e: (e.path, e.rule, e.resource_type))
            ],
            "unused_waivers": [w.model_dump(exclude_none=True) for w in self.unused_waivers],
            "waivers": [w.model_dump(exclude_none=True) for w in self.waivers],
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _find(stack: TerraformStack, path: str) -> Any:
    """The construct at ``path`` (as cdktf writes it: stack id first), or the stack itself."""
    node: Any = stack
    for part in path.split("/")[1:]:
        child = node.node.try_find_child(part)
        if child is None:
            return node
        node = child
    return node


@implements(IAspect)
class RayfortRules:
    """The synth-time rules: a cdktf Aspect for any app, and a judge of synthesized output.

    ``attach(app)`` adds the rules as an aspect, so ``cdktf synth`` of an app
    composing our constructs fails on a violation. rayfort's own CLI calls
    ``judge_output(outdir)`` after synth instead: the same rules over the
    stacks cdktf has just written, without moving every stack from the jsii
    runtime to Python a second time (a third of a large app's synth time).
    """

    def __init__(
        self, waivers: Sequence[Waiver] = (), rules: Iterable[Rule] = RULES, environment: Environment | None = None
    ) -> None:
        self._waivers = tuple(waivers)
        self._rules = tuple(rules)
        self._rules_by_type: dict[str, tuple[Rule, ...]] = {}
        self._environment = environment
        self._used: set[int] = set()
        self._evaluations: list[Evaluation] = []
        self._environment_judged = False

    def attach(self, app: App) -> RayfortRules:
        """Guard every stack of ``app``.

        cdktf invokes an aspect on every construct below the one it is added
        to, each a round trip to the jsii runtime. The rules judge a whole
        stack at once, so each stack gets one childless guard construct and
        the aspect is added to that: one visit per stack.
        """
        stacks = {child.node.id: child for child in app.node.children if isinstance(child, TerraformStack)}
        for stack in stacks.values():
            Aspects.of(Construct(stack, GUARD_ID)).add(self)
        if self._environment is not None:
            for path, refusal in self._judge_environment(self._environment):
                owner = stacks.get(path.split("/", 1)[0])
                if owner is not None:
                    Annotations.of(owner).add_error(refusal)
        return self

    def judge_output(self, outdir: Path) -> PolicyReport:
        """Judge the stacks of a synthesized app directory; call once, after ``app.synth()``."""
        return self.judge_stacks(read_stacks(outdir))

    def judge_stacks(self, stacks: Mapping[str, dict[str, Any]]) -> PolicyReport:
        """Judge synthesized stacks ({stack id: cdk.tf.json}); call once per app."""
        for tf_json in stacks.values():
            self._judge_stack(tf_json)
        if self._environment is not None:
            self._judge_environment(self._environment)
        return self.report()

    def visit(self, node: Any) -> None:
        """Judge the whole stack of the visited construct, from one ``to_terraform()``."""
        stack = TerraformStack.of(node)
        for path, refusal in self._judge_stack(stack.to_terraform()):
            Annotations.of(_find(stack, path)).add_error(refusal)

    def judge_environment(self) -> PolicyReport | None:
        """Evaluate the environment rules once, before anything is built; the refusal, or None.

        The refusal lists only violations: waivers meant for resources are
        judged with the resources.
        """
        if self._environment is None:
            return None
        refusals = self._judge_environment(self._environment)
        if not refusals:
            return None
        return PolicyReport(evaluations=list(self._evaluations))

    def _judge_environment(self, env: Environment) -> list[tuple[str, str]]:
        """Evaluate the environment rules; (path, message) of each violation no waiver covers."""
        if self._environment_judged:
            return []
        self._environment_judged = True
        refusals = []
        for rule in ENVIRONMENT_RULES:
            as_rule = Rule(rule.id, rule.title, rule.control, {}, rule.attribute, ratchet=rule.ratchet)
            found = list(rule.findings(env))
            if not found:
                self._record(as_rule, "environment", "environment", "on")
            for path, finding in found:
                waiver = self._waiver_for(rule.id, path)
                if waiver is not None:
                    self._record(as_rule, path, "environment", "waived", (finding,), waiver.reason)
                else:
                    self._record(as_rule, path, "environment", "violated", (finding,))
                    refusals.append((path, f"{rule.id} {rule.title}: {finding}"))
        return refusals

    def _judge_stack(self, tf_json: dict[str, Any]) -> list[tuple[str, str]]:
        """Evaluate every rule on every resource of a stack; (path, message) of each unwaived violation."""
        refusals = []
        for resource_type, resources in sorted(tf_json.get("resource", {}).items()):
            for body in resources.values():
                path = body.get("//", {}).get("metadata", {}).get("path", "")
                attributes = {k: v for k, v in body.items() if k != "//"}
                refusals += [(path, message) for message in self._judge_resource(resource_type, path, attributes)]
        return refusals

    def _judge_resource(self, resource_type: str, path: str, body: dict[str, Any]) -> list[str]:
        """Evaluate every rule on one resource; the violations no waiver covers."""
        refusals: list[str] = []
        for rule in self._rules_for(resource_type):
            if not rule.applies(body):
                continue
            findings = tuple(dict.fromkeys(rule.check(body, resource_type)))
            if not findings:
                if "*" not in rule.resource_types:
                    # A ratchet control's waiver may stand while the control holds: the review
                    # compares its value with the baseline and names the waiver that accepts a widening.
                    standing = self._waiver_for(rule.id, path) if rule.ratchet else None
                    self._record(rule, path, resource_type, "on", (), standing.reason if standing else None)
                continue
            waiver = self._waiver_for(rule.id, path)
            if waiver is not None:
                self._record(rule, path, resource_type, "waived", findings, waiver.reason)
            else:
                self._record(rule, path, resource_type, "violated", findings)
                refusals += [f"{rule.id} {rule.title}: {finding}" for finding in findings]
        return refusals

    def _rules_for(self, resource_type: str) -> tuple[Rule, ...]:
        """The rules that check ``resource_type``, in catalogue order; looked up once per type, not per resource."""
        rules = self._rules_by_type.get(resource_type)
        if rules is None:
            rules = self._rules_by_type[resource_type] = tuple(
                rule for rule in self._rules if "*" in rule.resource_types or resource_type in rule.resource_types
            )
        return rules

    def synth(self, app: App) -> PolicyReport:
        """Synthesize ``app`` and return the record; cdktf itself aborts on our error annotations."""
        try:
            app.synth()
        except RuntimeError as error:
            if not self.report().refused or 'Annotations with level "ERROR"' not in str(error):
                raise
        return self.report()

    def report(self) -> PolicyReport:
        """What the last synth found; call after ``app.synth()``."""
        unused = [w for i, w in enumerate(self._waivers) if i not in self._used]
        return PolicyReport(evaluations=list(self._evaluations), unused_waivers=unused, waivers=list(self._waivers))

    def _waiver_for(self, rule_id: str, path: str) -> Waiver | None:
        for index, waiver in enumerate(self._waivers):
            if waiver.rule == rule_id and fnmatch.fnmatchcase(path, waiver.resource):
                self._used.add(index)
                return waiver
        return None

    def _record(
        self,
        rule: Rule,
        path: str,
        resource_type: str,
        status: Status,
        findings: tuple[str, ...] = (),
        reason: str | None = None,
    ) -> None:
        self._evaluations.append(
            Evaluation(rule.id, rule.title, rule.control, rule.attribute, path, resource_type, status, findings, reason)
        )
