"""The mutation harness itself: what it mutates, how a mutant is put in place, and the equivalents list.

`make mutation` is too slow for `make test`; these keep its parts honest in
every run: each target and its fast tests exist, the operator exclusions are the
documented ones, the in-process mutant is the mutant, every listed equivalent
still names a line that exists, and CI runs the changed modules.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.mutation import inprocess, run
from tests.mutation.targets import BY_NAME, ROOT, TARGETS, excluded


def test_every_target_and_its_fast_tests_exist() -> None:
    for target in TARGETS:
        assert target.file.is_file(), target.path
        assert target.module.replace(".", "/") in target.path, target
        for test_file in target.test_files():
            assert (ROOT / test_file).is_file(), (target.name, test_file)


@pytest.mark.parametrize(
    ("operator", "runs"),
    [
        ("core/ReplaceComparisonOperator_Lt_LtE", True),
        ("core/ReplaceComparisonOperator_Eq_NotEq", True),
        ("core/ReplaceComparisonOperator_Is_IsNot", True),
        ("core/ReplaceComparisonOperator_Eq_Is", False),
        ("core/ReplaceComparisonOperator_Lt_Is", False),
        ("core/ReplaceBinaryOperator_Add_Sub", True),
        ("core/ReplaceBinaryOperator_Add_Mul", False),
        ("core/ReplaceBinaryOperator_BitOr_BitAnd", True),
        ("core/ReplaceUnaryOperator_Delete_Not", True),
        ("core/ReplaceUnaryOperator_USub_UAdd", True),
        ("core/ReplaceUnaryOperator_USub_Invert", False),
        ("core/NumberReplacer", True),
        ("core/AddNot", True),
        ("core/RemoveDecorator", True),
        ("core/ExceptionReplacer", True),
    ],
)
def test_operators_run_unless_their_exclusion_says_why(operator: str, runs: bool) -> None:
    assert (excluded(operator) is None) is runs


SOURCE = """
LIMIT = 3

def weaker(a, b):
    return a < b

class Rank:
    order = ("low", "high")

    def of(self, value):
        return [v for v in self.order if v == value]
"""


def test_a_mutant_in_a_function_swaps_code_and_one_at_import_needs_a_fresh_import() -> None:
    function = inprocess.plan("m.py", SOURCE, SOURCE.replace("a < b", "a <= b"))
    assert not function.module_level and function.mutated == [("weaker", 4)]
    assert [key for key, _ in function.swaps] == [("weaker", 4)]
    nested = inprocess.plan("m.py", SOURCE, SOURCE.replace("v == value", "v != value"))
    assert not nested.module_level and nested.mutated == [("Rank.of.<locals>.<listcomp>", 11)]
    assert {key for key, _ in nested.swaps} == {("Rank.of", 10), ("Rank.of.<locals>.<listcomp>", 11)}
    constant = inprocess.plan("m.py", SOURCE, SOURCE.replace("LIMIT = 3", "LIMIT = 4"))
    assert constant.module_level
    in_class = inprocess.plan("m.py", SOURCE, SOURCE.replace('("low", "high")', '("high", "low")'))
    assert in_class.module_level and in_class.mutated == [("Rank", 7)]
    assert inprocess.plan("m.py", SOURCE, SOURCE).mutated == []


def test_a_swapped_function_runs_the_mutant_for_every_reference() -> None:
    namespace: dict = {"__name__": "m"}
    exec(compile(SOURCE, "m.py", "exec"), namespace)
    alias = namespace["weaker"]
    functions = {inprocess.key(alias.__code__): [alias]}
    plan = inprocess.plan("m.py", SOURCE, SOURCE.replace("a < b", "a <= b"))
    assert alias(1, 1) is False
    assert inprocess.swap(plan, functions) == 1
    assert alias(1, 1) is True and namespace["weaker"](1, 1) is True


def test_forked_children_report_status_and_timeouts() -> None:
    import time

    from tests.mutation.forked import run_forked

    tasks = [("ok", lambda: 0, 30), ("killed", lambda: 1, 30), ("slow", lambda: time.sleep(30) or 0, 0.5)]
    outcomes = dict(run_forked(tasks, jobs=2))
    assert outcomes["ok"].status == 0 and outcomes["killed"].status == 1 and outcomes["slow"].timed_out


def test_an_analysers_answer_is_replayed_only_for_the_same_question(tmp_path) -> None:
    """Same executable, options and input files: the recorded answer; any of them changed: a real run."""
    from tests.mutation.replay import Replay

    calls = tmp_path / "calls"
    executable = tmp_path / "bin" / "nca"
    executable.parent.mkdir()
    executable.write_text(
        '#!/bin/sh\necho run >> "$CALLS"\ncat "$2"/* > "$4"\necho "Warning: $2/a.json" >&2\nexit 3\n',
    )
    executable.chmod(0o755)
    replay = Replay("nca", tmp_path / "recorded", "--in", "--out")

    def ask(contents: str, option: str = "--in", timeout: int = 5) -> subprocess.CompletedProcess:
        scratch = tmp_path / f"scratch-{len(list(tmp_path.iterdir()))}"
        (scratch / "in").mkdir(parents=True)
        (scratch / "in" / "a.json").write_text(contents)
        command = [str(executable), option, str(scratch / "in"), "--out", str(scratch / "out")]
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, env={"CALLS": str(calls)}
        )
        assert (scratch / "out").read_text() == contents  # written for the caller, replayed or not
        assert completed.stderr == f"Warning: {scratch / 'in'}/a.json\n"  # paths are the caller's own
        assert completed.returncode == 3
        return completed

    replay.install()
    try:
        ask("pods")
        ask("pods")
        assert calls.read_text().count("run") == 1
        ask("pods and a probe")
        ask("pods", timeout=6)
        assert calls.read_text().count("run") == 3
        executable.write_text(executable.read_text().replace("exit 3", "exit 3 # another version"))
        ask("pods")
        assert calls.read_text().count("run") == 4
    finally:
        replay.uninstall()
    assert subprocess.run is replay.real


# --- the equivalents list ---------------------------------------------------------------------------


def test_every_listed_equivalent_names_a_line_that_exists_and_says_why() -> None:
    entries = run.load_equivalents()
    modules = {target.path: target.file.read_text(encoding="utf-8").splitlines() for target in TARGETS}
    for entry in entries:
        assert entry.module in modules, entry
        assert entry.line in {line.strip() for line in modules[entry.module]}, f"no such line any more: {entry}"
        assert entry.operator.startswith("core/") and excluded(entry.operator) is None, entry
        assert len(entry.reason.split()) >= 5, f"say why it is equivalent: {entry}"
        if entry.killed_by:
            file, _, test = entry.killed_by.partition("::")
            assert f"def {test}(" in (ROOT / file).read_text(encoding="utf-8"), entry.killed_by


def test_the_equivalents_file_is_a_list_of_entries() -> None:
    raw = yaml.safe_load(run.EQUIVALENTS.read_text(encoding="utf-8"))
    assert isinstance(raw, list)
    keys = [(e["module"], e["operator"], e["line"], e.get("after")) for e in raw]
    assert len(keys) == len(set(keys)), "an equivalent is listed twice"


# --- which modules a change selects ----------------------------------------------------------------------


def test_a_change_selects_the_modules_it_touches(monkeypatch: pytest.MonkeyPatch) -> None:
    def diff(names: list[str]):
        def fake(*args, **kwargs):
            return subprocess.CompletedProcess(args, 0, stdout="\n".join(names), stderr="")

        return fake

    monkeypatch.setattr(run.subprocess, "run", diff(["constructs/rayfort/controls/compare.py", "README.md"]))
    assert [t.name for t in run.changed_targets("origin/main")] == ["compare"]
    monkeypatch.setattr(run.subprocess, "run", diff(["tests/review/test_verdict.py"]))
    assert {t.name for t in run.changed_targets("origin/main")} == {"catalogue", "diff", "gate"}
    monkeypatch.setattr(run.subprocess, "run", diff(["tests/mutation/targets.py"]))
    assert len(run.changed_targets("origin/main")) == len(TARGETS)
    monkeypatch.setattr(run.subprocess, "run", diff(["stacks/app.py"]))
    assert run.changed_targets("origin/main") == []
    assert BY_NAME["engine"].test_files() == ["tests/policy/test_judging.py"]


def test_make_and_ci_run_it() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\nmutation: setup" in makefile and "-m tests.mutation.run" in makefile
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "rayfort.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["test"]["steps"]
    (step,) = [s for s in steps if "make mutation" in s.get("run", "")]
    assert (
        step["run"] == 'make mutation CHANGED="origin/$BASE_REF"'
        and step["if"] == "github.event_name == 'pull_request'"
    )
    assert steps[0]["with"]["fetch-depth"] == 0
    pipfile = (ROOT / "Pipfile").read_text(encoding="utf-8")
    assert 'cosmic-ray = "==' in pipfile.split("[dev-packages]")[1]
