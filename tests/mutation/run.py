"""`make mutation`: cosmic-ray's mutants of each detector module, judged by the module's own fast tests.

cosmic-ray (``cosmic_ray.commands.init``) finds the mutation points and writes
each mutant's source; its session database keeps the results, so ``cr-report
.mutation/<module>.sqlite`` lists them. It would run every mutant as a fresh
``pytest`` process (seconds each, thousands of mutants); this runner instead
forks a process that has imported everything and run the tests once:

- a mutant inside a function swaps the function's code object in the child and
  runs only the tests that executed that function;
- a mutant in code that runs at import (module or class level), and every
  mutant the swap leaves alive, is judged again by a fresh import of the project
  with the mutated module and the module's whole fast-test selection.

A surviving mutant is either killed by a new test or listed, with the reason it
is equivalent, in ``tests/mutation/equivalent.yaml``. The run fails when a
module scores below 90 % killed or a survivor is not listed.

    python -m tests.mutation.run [--modules compare,diff] [--changed origin/main] [--survivors|--resume] [--jobs 2]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import inspect
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from _pytest.runner import runtestprotocol

from tests.mutation import inprocess
from tests.mutation.forked import Outcome, run_forked
from tests.mutation.replay import Replay
from tests.mutation.targets import BY_NAME, ROOT, TARGETS, Target, excluded

STATE = ROOT / ".mutation"
EQUIVALENTS = Path(__file__).with_name("equivalent.yaml")
GOAL = 0.90
PYTEST_ARGS = (
    "-q",
    "-p",
    "no:cacheprovider",
    "--no-header",
    "-o",
    "addopts=",
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",
)
KILLED, SURVIVED, PENDING = "killed", "survived", "pending"


@dataclass
class Mutant:
    job_id: str
    operator: str
    occurrence: int
    line: int
    column: int
    before: str
    after: str
    source: str
    plan: inprocess.Plan
    status: str = PENDING
    how: str = ""
    """What decided the status: the fast path, a fresh import, a timeout."""

    @property
    def where(self) -> str:
        return self.plan.mutated[0][0] if self.plan.mutated else "<module>"

    def describe(self) -> str:
        return f"{self.before.strip()}  →  {self.after.strip()}"


@dataclass
class Equivalent:
    module: str
    line: str
    operator: str
    reason: str
    after: str | None = None
    killed_by: str | None = None
    """A slow test (one that synthesizes with the CDK) that kills it: not equivalent, out of the fast run's reach."""
    used: bool = field(default=False, compare=False)

    def matches(self, target: Target, mutant: Mutant) -> bool:
        return (
            self.module == target.path
            and self.operator == mutant.operator
            and self.line == mutant.before.strip()
            and (self.after is None or self.after == mutant.after.strip())
        )


def load_equivalents() -> list[Equivalent]:
    entries = yaml.safe_load(EQUIVALENTS.read_text(encoding="utf-8")) or []
    return [Equivalent(**entry) for entry in entries]


# --- cosmic-ray's session ---------------------------------------------------------------------


def _fingerprint(target: Target) -> str:
    """The module's source, its test selection and the operators: what the mutants and their meaning depend on."""
    from tests.mutation import targets

    digest = hashlib.sha256(target.file.read_bytes())
    digest.update(repr(target).encode())
    digest.update(inspect.getsource(targets.excluded).encode())
    digest.update(repr(sorted(targets._BINARY_SIBLINGS)).encode())
    return digest.hexdigest()


def _annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the annotations are, when the module postpones their evaluation (PEP 563)."""
    tree = ast.parse(source)
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(a.name == "annotations" for a in node.names)
        for node in tree.body
    )
    spans = []
    for node in ast.walk(tree) if postponed else ():
        annotation = None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            annotation = node.returns
        elif isinstance(node, (ast.arg, ast.AnnAssign)):
            annotation = node.annotation
        if annotation is not None:
            spans.append(
                ((annotation.lineno, annotation.col_offset), (annotation.end_lineno, annotation.end_col_offset))
            )
    return spans


def session(target: Target, survivors_only: bool, resume: bool = False) -> tuple[object, list[Mutant]]:
    """cosmic-ray's work database for the target, and the mutants to run now."""
    from cosmic_ray.commands import init
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator
    from cosmic_ray.work_db import WorkDB
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    STATE.mkdir(exist_ok=True)
    db_path, stamp = STATE / f"{target.name}.sqlite", STATE / f"{target.name}.fingerprint"
    fingerprint = _fingerprint(target)
    fresh = not (db_path.exists() and stamp.exists() and stamp.read_text() == fingerprint)
    if fresh and survivors_only:
        print(f"  {target.name}: the module changed since the last run; running every mutant")
    db = WorkDB(str(db_path), WorkDB.Mode.create)
    if fresh:
        init([Path(target.path)], db, {})
        stamp.write_text(fingerprint)
        annotations = _annotation_spans(target.file.read_text(encoding="utf-8"))
        for item in db.work_items:
            spec = item.mutations[0]
            reason = excluded(spec.operator_name) or (
                "in an annotation, which `from __future__ import annotations` never evaluates"
                if any(start <= tuple(spec.start_pos) < end for start, end in annotations)
                else None
            )
            if reason:
                db.set_result(item.job_id, WorkResult(WorkerOutcome.SKIPPED, output=f"excluded operator: {reason}"))
    results = dict(db.results)
    original = target.file.read_text(encoding="utf-8")
    lines = original.splitlines()
    mutants = []
    for item in db.work_items:
        result = results.get(item.job_id)
        if result is not None and result.worker_outcome == WorkerOutcome.SKIPPED:
            continue
        if survivors_only and not fresh and result is not None and result.test_outcome != TestOutcome.SURVIVED:
            continue
        if resume and not fresh and result is not None:
            continue
        spec = item.mutations[0]
        source = mutate_code(original, get_operator(spec.operator_name)(**spec.operator_args), spec.occurrence)
        if source is None:
            continue
        line, column = spec.start_pos
        mutated_lines = source.splitlines()
        try:
            plan = inprocess.plan(str(target.file), original, source)
        except SyntaxError:
            # cosmic-ray writes some mutants that are not Python (``**mapping`` in a dict display made ``*``).
            db.set_result(item.job_id, WorkResult(WorkerOutcome.SKIPPED, output="the mutant is not valid Python"))
            continue
        mutants.append(
            Mutant(
                item.job_id,
                spec.operator_name,
                spec.occurrence,
                line,
                column,
                lines[line - 1],
                mutated_lines[line - 1] if line <= len(mutated_lines) else "",
                source,
                plan,
            )
        )
    mutants.sort(key=lambda m: (m.line, m.column, m.operator))
    return db, mutants


class Progress:
    """Records each judged mutant at once (an interrupted run can ``--resume``) and says how far it is."""

    def __init__(self, db, total: int) -> None:
        self.db, self.total, self.done, self.started = db, total, 0, time.monotonic()

    def __call__(self, mutant: Mutant) -> None:
        record(self.db, mutant)
        self.done += 1
        if self.done % 50 == 0:
            print(f"  {self.done}/{self.total} judged, {time.monotonic() - self.started:.0f}s", flush=True)


def record(db, mutant: Mutant) -> None:
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    outcome = TestOutcome.KILLED if mutant.status == KILLED else TestOutcome.SURVIVED
    diff = f"--- line {mutant.line}\n- {mutant.before}\n+ {mutant.after}"
    db.set_result(mutant.job_id, WorkResult(WorkerOutcome.NORMAL, output=mutant.how, test_outcome=outcome, diff=diff))


def totals(db) -> tuple[int, int, list[tuple[object, object]]]:
    """(mutants run, killed, survivors as (work item, result)) over the whole session."""
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    done = [(i, r) for i, r in db.completed_work_items if r.worker_outcome != WorkerOutcome.SKIPPED]
    survivors = [(i, r) for i, r in done if r.test_outcome == TestOutcome.SURVIVED]
    return len(done), len(done) - len(survivors), survivors


# --- the fast path: code swap in a fork of one pytest session -------------------------------------


class FastPath:
    """pytest plugin: run the selection once (recording which test runs which code), then each mutant.

    A mutant whose code no test runs survives without a run. One whose code also
    runs at import (building the catalogue, a module constant), or sits in
    module-level code, is left for a fresh import (``status`` stays pending).
    """

    def __init__(
        self,
        target: Target,
        mutants: list[Mutant],
        jobs: int,
        at_import: set[inprocess.CodeKey],
        progress: Progress,
    ) -> None:
        self.target, self.mutants, self.jobs, self.at_import = target, mutants, jobs, at_import
        self.progress = progress
        self.failures: list[str] = []
        self.collected = 0

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if session.testsfailed:
            self.failures.append("collection failed")
            return True
        items = session.items
        self.collected = len(items)
        filename = str(self.target.file)
        covered: dict[inprocess.CodeKey, set[int]] = defaultdict(set)
        durations = []
        recorder = inprocess.CodeRecorder({filename})
        for index, item in enumerate(items):
            started = time.monotonic()
            with recorder:
                reports = runtestprotocol(item, nextitem=None, log=False)
            durations.append(time.monotonic() - started)
            if any(report.failed for report in reports):
                self.failures.append(item.nodeid)
            for _, code_key in recorder.seen:
                covered[code_key].add(index)
        if self.failures:
            return True
        functions = inprocess.live_functions(filename)
        cached = inprocess.cached_functions(functions)
        inprocess.clear_project_caches()  # what the baseline cached, each child computes again with its mutant

        def tasks() -> Iterator[tuple[Mutant, object, float]]:
            for mutant in self.mutants:
                mutated = set(mutant.plan.mutated)
                if mutant.plan.module_level or mutated & self.at_import or mutated & cached:
                    continue
                chosen = sorted(set().union(*(covered.get(k, set()) for k in mutated)))
                if not chosen:
                    mutant.status, mutant.how = SURVIVED, "no fast test runs this code"
                    self.progress(mutant)
                    continue
                chosen.sort(key=lambda i: durations[i])

                def body(mutant: Mutant = mutant, chosen: list[int] = chosen) -> int:
                    if not inprocess.swap(mutant.plan, functions):
                        return inprocess.HARNESS_ERROR
                    for i in chosen:
                        if any(r.failed for r in runtestprotocol(items[i], nextitem=None, log=False)):
                            return 1
                    return 0

                yield mutant, body, 10 + 10 * sum(durations[i] for i in chosen)

        for mutant, outcome in run_forked(tasks(), self.jobs):
            judge(mutant, outcome, "code swap")
            self.progress(mutant)
        return True


def import_time_codes(target: Target) -> set[inprocess.CodeKey]:
    """The target's code that runs while the project and its tests are imported and collected."""
    found = STATE / f"{target.name}.at-import.json"

    def collect() -> int:
        inprocess.forget_project_modules()
        with inprocess.CodeRecorder({str(target.file)}) as recorder:
            code = pytest.main([*target.tests, "--collect-only", *PYTEST_ARGS])
        found.write_text(json.dumps(sorted(k for _, k in recorder.seen)))
        return int(code)

    ((_, outcome),) = run_forked([(None, collect, 600)], 1)
    if outcome.status != 0:
        raise SystemExit(f"{target.name}: collecting its fast tests failed (exit {outcome.status})")
    return {tuple(k) for k in json.loads(found.read_text())}


def judge(mutant: Mutant, outcome: Outcome, path: str) -> None:
    # pytest's 2 (interrupted) and 4 (usage error) mean the mutant broke an import or the conftest: the
    # unmutated baseline ran the same arguments. 5 (no tests) cannot come from a mutant.
    if outcome.status in (inprocess.CDK_TOUCHED, inprocess.HARNESS_ERROR, 5):
        raise SystemExit(
            f"mutation run broken at line {mutant.line} ({mutant.operator}, {path}): child exit {outcome.status} "
            "(77: a fast test called the CDK; 70: the mutant could not be applied; 5: no tests). "
            "Re-run with MUTATION_DEBUG=1 to see the child's output."
        )
    if outcome.timed_out:
        mutant.status, mutant.how = KILLED, f"{path}: timeout after {outcome.seconds:.0f}s"
    elif outcome.status == 0:
        mutant.status, mutant.how = SURVIVED, f"{path}: tests passed"
    else:
        mutant.status, mutant.how = KILLED, f"{path}: tests failed (exit {outcome.status})"


# --- the exact path: a fresh import of the project with the mutated module --------------------------


def exact(target: Target, mutants: list[Mutant], jobs: int, progress: Progress) -> None:
    original = target.file.read_text(encoding="utf-8")

    def fresh(source: str) -> int:
        inprocess.install_mutant(target.module, str(target.file), source)
        return int(pytest.main([*target.tests, "-x", *PYTEST_ARGS]))

    started = time.monotonic()
    ((_, baseline),) = run_forked([(None, lambda: fresh(original), 600)], 1)
    if baseline.status != 0:
        raise SystemExit(f"{target.name}: the fast tests fail on the unmutated module (exit {baseline.status})")
    timeout = 20 + 4 * (time.monotonic() - started)
    tasks = [(m, lambda m=m: fresh(m.source), timeout) for m in mutants]
    for mutant, outcome in run_forked(tasks, jobs):
        judge(mutant, outcome, "fresh import")
        progress(mutant)


# --- one module -------------------------------------------------------------------------------


def mutate(target: Target, survivors_only: bool, jobs: int, resume: bool = False) -> dict:
    started = time.monotonic()
    db, mutants = session(target, survivors_only, resume)
    replay = (
        Replay(target.replays, STATE / "replay" / target.name, "--resource_list", "--file_out")
        if (target.replays)
        else None
    )
    if mutants:
        if replay:
            replay.install()
        try:
            progress = Progress(db, len(mutants))
            fast = FastPath(target, mutants, jobs, import_time_codes(target), progress)
            code = pytest.main([*target.tests, *PYTEST_ARGS], plugins=[fast])
            if fast.failures or code not in (0, 5) or not fast.collected:
                raise SystemExit(f"{target.name}: the fast tests do not pass unmutated: {fast.failures or code}")
            again = [m for m in mutants if m.status == PENDING]
            print(f"  {len(mutants) - len(again)} judged by a code swap; {len(again)} by a fresh import", flush=True)
            exact(target, again, jobs, progress)
        finally:
            if replay:
                replay.uninstall()
    total, killed, survivors = totals(db)
    return {
        "module": target.path,
        "total": total,
        "killed": killed,
        "survivors": survivors,
        "ran": len(mutants),
        "seconds": round(time.monotonic() - started, 1),
    }


def stored(target: Target) -> dict:
    """The last run's results of a target, from its session database."""
    from cosmic_ray.work_db import WorkDB

    total, killed, survivors = totals(WorkDB(str(STATE / f"{target.name}.sqlite"), WorkDB.Mode.open))
    return {"module": target.path, "total": total, "killed": killed, "survivors": survivors, "ran": 0, "seconds": 0}


def _line_of(item) -> tuple[str, str, int]:
    spec = item.mutations[0]
    return str(spec.module_path), spec.operator_name, spec.start_pos[0]


def report(results: list[dict], equivalents: list[Equivalent]) -> int:
    failed = False
    rows = []
    print()
    for result in results:
        target = next(t for t in TARGETS if t.path == result["module"])
        lines = target.file.read_text(encoding="utf-8").splitlines()
        unlisted, listed = [], 0
        for item, work in result["survivors"]:
            spec = item.mutations[0]
            before = lines[spec.start_pos[0] - 1]
            after = (work.diff or "").rsplit("\n+ ", 1)[-1]
            probe = Mutant("", spec.operator_name, 0, spec.start_pos[0], 0, before, after, "", inprocess.Plan())
            match = next((e for e in equivalents if e.matches(target, probe)), None)
            if match is None:
                unlisted.append((spec, before, after))
            else:
                match.used, listed = True, listed + 1
        total, killed = result["total"], result["killed"]
        score = killed / total if total else 1.0
        ok = score >= GOAL and not unlisted
        failed |= not ok
        rows.append((target.name, total, killed, listed, len(unlisted), score, result["seconds"], ok))
        for spec, before, after in unlisted:
            print(f"SURVIVED {target.path}:{spec.start_pos[0]} {spec.operator_name}")
            print(f"    - {before.strip()}\n    + {after.strip()}")
    print(f"\n{'module':<18}{'mutants':>8}{'killed':>8}{'equiv.':>8}{'unlisted':>10}{'score':>9}{'time':>9}")
    for name, total, killed, listed, unlisted, score, seconds, ok in rows:
        mark = "" if ok else "  ✗"
        print(f"{name:<18}{total:>8}{killed:>8}{listed:>8}{unlisted:>10}{score:>8.1%}{seconds:>8.0f}s{mark}")
    modules = {r["module"] for r in results}
    stale = [e for e in equivalents if e.module in modules and not e.used]
    for entry in stale:
        print(f"STALE equivalent (no such survivor): {entry.module}: {entry.operator}: {entry.line}")
    failed |= bool(stale)
    print(f"\ngoal: ≥ {GOAL:.0%} killed per module, every survivor listed in {EQUIVALENTS.relative_to(ROOT)}")
    return 1 if failed else 0


def changed_targets(ref: str) -> list[Target]:
    """Targets whose module or fast tests differ from ``ref`` (committed or not)."""
    names = subprocess.run(
        ["git", "diff", "--name-only", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    harness = any(name.startswith("tests/mutation/") for name in names)
    return [t for t in TARGETS if harness or t.path in names or set(t.test_files()) & set(names)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modules", default="", help="comma-separated names: " + ", ".join(BY_NAME))
    parser.add_argument("--changed", metavar="REF", help="only modules whose source or fast tests differ from REF")
    parser.add_argument("--survivors", action="store_true", help="re-test only the last run's survivors")
    parser.add_argument("--resume", action="store_true", help="judge only the mutants an interrupted run left")
    parser.add_argument("--report", action="store_true", help="only report the last run's results")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "1")))
    args = parser.parse_args(argv)
    if args.changed:
        targets = changed_targets(args.changed)
        if not targets:
            print(f"no detector module or its fast tests changed since {args.changed}")
            return 0
    elif args.modules:
        unknown = [name for name in args.modules.split(",") if name not in BY_NAME]
        if unknown:
            parser.error(f"unknown module {unknown}; choose from {', '.join(BY_NAME)}")
        targets = [BY_NAME[name] for name in args.modules.split(",")]
    else:
        targets = list(TARGETS)
    missing = [t.name for t in targets if not all((ROOT / f).exists() for f in t.test_files())]
    if missing:
        print(f"pending (fast tests not on this branch yet): {', '.join(missing)}")
        targets = [t for t in targets if t.name not in missing]
    os.chdir(ROOT)
    if args.report:
        return report([stored(t) for t in targets if (STATE / f"{t.name}.sqlite").exists()], load_equivalents())
    # Third-party modules load once, here: the CDK's runtime (a node process) starts with its import, and
    # forked children inherit it instead of starting their own. Children import only the project again.
    import tests.conftest  # noqa: F401

    results = []
    for target in targets:
        print(f"mutating {target.path} ...", flush=True)
        results.append(mutate(target, args.survivors, args.jobs, args.resume))
    (STATE / "summary.json").write_text(
        json.dumps([{k: v for k, v in r.items() if k != "survivors"} for r in results], indent=2) + "\n"
    )
    return report(results, load_equivalents())


if __name__ == "__main__":
    sys.exit(main())
