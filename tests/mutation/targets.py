"""The detector modules `make mutation` mutates, the fast tests that judge each, and the operators used.

Each module is judged by its own fast tests only: no synth, no subprocess, no
snapshot, so a mutant is killed by an assertion about the detector and never
by a changed byte somewhere in a synthesized stack. A test file listed here must
not call the CDK runtime (the run refuses one that does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Target:
    name: str
    """Short name for ``make mutation MODULES=...``."""
    path: str
    """The module's file, from the repository root."""
    module: str
    """Its import name."""
    tests: tuple[str, ...]
    """pytest arguments selecting its fast tests (files, node ids, ``--deselect=``)."""
    replays: str | None = field(default=None, repr=False)
    """An analyser (executable name) its tests run as a subprocess: same input, recorded answer (``replay``)."""

    @property
    def file(self) -> Path:
        return ROOT / self.path

    def test_files(self) -> list[str]:
        """The test files its selection reads (for the changed-files mode)."""
        return sorted({arg.split("::")[0] for arg in self.tests if not arg.startswith("-")})


_POLICY = (
    "tests/policy/test_rules.py",
    "tests/controls/test_compare.py",
    "tests/controls/test_comparators.py",
    "tests/controls/test_weakenings.py",
)
_REVIEW = (
    "tests/review/test_review_diff.py",
    "tests/review/test_review.py",
    "--deselect=tests/review/test_review.py::test_cli_help_and_bad_usage",
    "tests/review/test_verdict.py",
    "tests/review/test_diff_edges.py",
    "tests/controls/test_catalogue_meaning.py",
)
_ENVIRONMENT = (
    "tests/controls/test_environment_checks.py",
    "tests/review/test_gate.py::test_weakening_one_or_two_fields_is_never_silent",
    "tests/review/test_gate.py::test_harmless_changes_are_not_refused",
    "tests/review/test_gate.py::test_each_example_is_refused_at_synth_naming_the_control_and_the_waiver",
)

TARGETS: tuple[Target, ...] = (
    Target("compare", "constructs/rayfort/controls/compare.py", "rayfort.controls.compare", (*_POLICY, *_REVIEW[:1])),
    Target("checks", "constructs/rayfort/controls/checks.py", "rayfort.controls.checks", _POLICY),
    Target(
        "catalogue",
        "constructs/rayfort/controls/catalogue.py",
        "rayfort.controls.catalogue",
        (*_POLICY, "tests/controls/test_catalogue.py", *_REVIEW),
    ),
    Target("environment", "constructs/rayfort/controls/environment.py", "rayfort.controls.environment", _ENVIRONMENT),
    Target(
        "org_policies",
        "constructs/rayfort/controls/org_policies.py",
        "rayfort.controls.org_policies",
        ("tests/controls/test_org_policies.py",),
    ),
    Target("engine", "constructs/rayfort/policy/engine.py", "rayfort.policy.engine", ("tests/policy/test_judging.py",)),
    Target(
        "rules",
        "constructs/rayfort/policy/rules.py",
        "rayfort.policy.rules",
        (
            *_POLICY,
            "tests/policy/test_rule_records.py",
            "tests/controls/test_catalogue.py",
            "tests/policy/test_judging.py",
        ),
    ),
    Target(
        "environment_rules",
        "constructs/rayfort/policy/environment_rules.py",
        "rayfort.policy.environment_rules",
        ("tests/policy/test_rule_records.py", "tests/policy/test_judging.py", *_ENVIRONMENT),
    ),
    Target("diff", "tools/rayfort_tools/review/diff.py", "rayfort_tools.review.diff", _REVIEW),
    Target("gate", "tools/rayfort_tools/review/gate.py", "rayfort_tools.review.gate", _REVIEW),
    Target(
        "types",
        "constructs/rayfort/config/_types.py",
        "rayfort.config._types",
        (
            "tests/config/test_types.py",
            "tests/config/test_models.py",
            "tests/config/test_schema.py",
            "tests/config/test_bad_input.py",
            "--deselect=tests/config/test_bad_input.py::test_cli_exits_2_with_one_message_and_writes_nothing",
            "--deselect=tests/config/test_bad_input.py::test_cli_leaves_previous_output_untouched_on_failure",
        ),
    ),
    Target(
        "quantity",
        "constructs/rayfort/config/quantity.py",
        "rayfort.config.quantity",
        (
            "tests/config/test_quantity.py",
            "tests/config/test_schema.py",
            "tests/config/test_bad_input.py",
            "--deselect=tests/config/test_bad_input.py::test_cli_exits_2_with_one_message_and_writes_nothing",
            "--deselect=tests/config/test_bad_input.py::test_cli_leaves_previous_output_untouched_on_failure",
        ),
    ),
    Target(
        "pod_security",
        "constructs/rayfort/k8s/pod_security.py",
        "rayfort.k8s.pod_security",
        ("tests/k8s/test_pod_security.py", "tests/k8s/test_pod_security_weakenings.py"),
    ),
    Target(
        "tenant_isolation",
        "tools/rayfort_tools/judges/tenant_isolation.py",
        "rayfort_tools.judges.tenant_isolation",
        (
            "tests/judges/test_isolation_mechanics.py",
            "tests/judges/test_tenant_isolation.py",
            "--deselect=tests/judges/test_tenant_isolation.py"
            "::test_on_dev_the_judge_fails_when_the_cleanup_pods_flows_are_removed",
        ),
        replays="nca",
    ),
)
BY_NAME = {target.name: target for target in TARGETS}

# --- operators -------------------------------------------------------------------------------
# cosmic-ray's operators, minus the ones that only produce type errors on our operands or a mutant
# equal to another one by construction. Each exclusion says why.

_BINARY_SIBLINGS = {
    ("Add", "Sub"),
    ("Sub", "Add"),
    ("Mul", "Div"),
    ("Div", "Mul"),
    ("FloorDiv", "Div"),
    ("Mod", "FloorDiv"),
    ("Pow", "Mul"),
    ("BitOr", "BitAnd"),
    ("BitAnd", "BitOr"),
    ("BitXor", "BitOr"),
    ("LShift", "RShift"),
    ("RShift", "LShift"),
}
_ORDERING = {"Eq", "NotEq", "Lt", "LtE", "Gt", "GtE"}


def excluded(operator: str) -> str | None:
    """Why an operator is left out of the run, or None when it runs."""
    name = operator.removeprefix("core/")
    if match := re.fullmatch(r"ReplaceBinaryOperator_(\w+?)_(\w+)", name):
        if (match[1], match[2]) not in _BINARY_SIBLINGS:
            return "binary operator replaced by an unrelated one: a type error on strings, sets and dicts"
    if match := re.fullmatch(r"ReplaceComparisonOperator_(\w+?)_(\w+)", name):
        pair = {match[1], match[2]}
        if pair <= _ORDERING or pair == {"Is", "IsNot"}:
            return None
        if pair in ({"Is", "Eq"}, {"IsNot", "NotEq"}):
            return "identity and equality agree on None, booleans and interned strings"
        return "identity against an ordering: a type error, or the same as Is/IsNot"
    if match := re.fullmatch(r"ReplaceUnaryOperator_(\w+?)_(\w+)", name):
        if match[1] != "Delete" and (match[1], match[2]) != ("USub", "UAdd"):
            return "bitwise inversion and unary plus: NumberReplacer covers the values"
    if name.startswith(("VariableReplacer", "VariableInserter")):
        return "needs arguments; random variables are not a weakening"
    return None
