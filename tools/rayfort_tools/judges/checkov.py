"""The checkov judge: runs checkov over synthesized cdktf stacks and reads its verdict.

checkov lives in its own virtualenv (``.venv-checkov`` in the working directory,
or the path in ``RAYFORT_CHECKOV``: either that venv or its ``checkov`` executable),
because checkov 3.3.30 needs ``packaging<24`` while the app's pytest needs a
newer one. It is run as a subprocess with the terraform_json framework,
rayfort's custom checks and configuration, which ship in this package
(``checkov_policies/`` and its ``checkov.yaml``).

What checkov's terraform_json framework does with cdktf output (checkov 3.3.30):

* it scans every ``*.tf.json`` under a ``-d`` directory, so
  ``cdktf.out/stacks/<stack>/cdk.tf.json`` is picked up; other ``.json``
  files (manifest.json, tree.json) are ignored;
* cdktf's ``//`` metadata keys are dropped at the top level and kept as an
  opaque value inside a resource, where no check reads them;
* a nested block arrives as a list of dicts whether cdktf wrote an object or a
  list, scalars are wrapped in one-element lists, and "true"/"false" strings
  (any case) become booleans;
* Python checks report the resource as ``resource.<name>`` (the type is lost);
  this module restores ``<type>.<name>`` from the scanned file itself. Graph
  (YAML) checks already report ``<type>.<name>``.

Public API: ``run_checkov(paths) -> CheckovResult`` and ``parse_checkov_output``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

ENV_VAR = "RAYFORT_CHECKOV"
DEFAULT_VENV = Path(".venv-checkov")
POLICIES_DIR = Path(__file__).resolve().parent / "checkov_policies"
CONFIG_FILE = POLICIES_DIR / "checkov.yaml"
FRAMEWORK = "terraform_json"
DEFAULT_TIMEOUT_S = 600

PASSED = "PASSED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
_RESULT_KEYS = {"passed_checks": PASSED, "failed_checks": FAILED, "skipped_checks": SKIPPED}


class CheckovUnavailable(RuntimeError):
    """checkov's virtualenv is not on this machine."""


class CheckovError(RuntimeError):
    """checkov ran but crashed, or printed something that is not its JSON report."""


@dataclass(frozen=True)
class CheckovFinding:
    """One check's verdict on one resource."""

    check_id: str
    check_name: str
    result: str  # PASSED, FAILED or SKIPPED
    resource: str  # Terraform address, e.g. google_container_cluster.cluster
    file: str  # absolute path of the scanned *.tf.json
    lines: tuple[int, int] = (0, 0)
    details: tuple[str, ...] = ()
    evaluated_keys: tuple[str, ...] = ()
    suppress_comment: str | None = None

    def describe(self, root: Path | None = None) -> str:
        shown = self.file
        if root is not None:
            try:
                shown = str(Path(self.file).resolve().relative_to(root.resolve()))
            except ValueError:
                pass
        text = f"{self.check_id} {self.resource} ({shown}:{self.lines[0]}) {self.check_name}"
        if self.details:
            text += " - " + "; ".join(self.details)
        return text


@dataclass(frozen=True)
class CheckCounts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class CheckovResult:
    """checkov's verdict over the scanned stacks."""

    findings: tuple[CheckovFinding, ...]
    parsing_errors: tuple[str, ...] = ()
    checkov_version: str | None = None
    command: tuple[str, ...] = field(default=(), compare=False)

    def _with(self, result: str) -> list[CheckovFinding]:
        return [finding for finding in self.findings if finding.result == result]

    @property
    def passed(self) -> int:
        return len(self._with(PASSED))

    @property
    def failed(self) -> int:
        return len(self._with(FAILED))

    @property
    def skipped(self) -> int:
        return len(self._with(SKIPPED))

    @property
    def failures(self) -> list[CheckovFinding]:
        return self._with(FAILED)

    @property
    def skips(self) -> list[CheckovFinding]:
        return self._with(SKIPPED)

    @property
    def ok(self) -> bool:
        """No failed check and no file checkov could not parse."""
        return self.failed == 0 and not self.parsing_errors

    @property
    def per_check(self) -> dict[str, CheckCounts]:
        tally: dict[str, Counter[str]] = {}
        for finding in self.findings:
            tally.setdefault(finding.check_id, Counter())[finding.result] += 1
        return {
            check_id: CheckCounts(counts[PASSED], counts[FAILED], counts[SKIPPED])
            for check_id, counts in sorted(tally.items())
        }

    def for_check(self, check_id: str) -> list[CheckovFinding]:
        return [finding for finding in self.findings if finding.check_id == check_id]

    def for_file(self, path: Path | str) -> list[CheckovFinding]:
        wanted = str(Path(path).resolve())
        return [finding for finding in self.findings if str(Path(finding.file).resolve()) == wanted]

    def under(self, directory: Path | str) -> list[CheckovFinding]:
        root = Path(directory).resolve()
        return [finding for finding in self.findings if Path(finding.file).resolve().is_relative_to(root)]

    def summary(self, root: Path | None = None) -> str:
        lines = [
            f"checkov {self.checkov_version or '?'}: {self.passed} passed, {self.failed} failed, {self.skipped} skipped"
        ]
        lines.extend(f"  FAILED {finding.describe(root)}" for finding in self.failures)
        lines.extend(f"  PARSE ERROR {path}" for path in self.parsing_errors)
        return "\n".join(lines)


# --- running ---------------------------------------------------------------------------


def checkov_executable() -> Path | None:
    """checkov's executable: from RAYFORT_CHECKOV (a venv or the executable) or .venv-checkov."""
    configured = os.environ.get(ENV_VAR)
    candidate = Path(configured).expanduser() if configured else DEFAULT_VENV
    if candidate.is_dir():
        candidate = candidate / "bin" / "checkov"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    return None


def require_checkov() -> Path:
    executable = checkov_executable()
    if executable is None:
        raise CheckovUnavailable(
            "checkov not found: create it with `python3 -m venv .venv-checkov && "
            ".venv-checkov/bin/pip install -r requirements/checkov.txt`, "
            f"or point {ENV_VAR} at a venv or checkov executable"
        )
    return executable


def build_command(
    executable: Path,
    paths: Sequence[Path],
    *,
    checks: Sequence[str] = (),
    external_checks_dir: Path | None = POLICIES_DIR,
    config_file: Path | None = CONFIG_FILE,
) -> list[str]:
    command = [str(executable), "--framework", FRAMEWORK, "-o", "json", "--skip-download"]
    if external_checks_dir is not None:
        command += ["--external-checks-dir", str(external_checks_dir)]
    if config_file is not None:
        command += ["--config-file", str(config_file)]
    if checks:
        command += ["-c", ",".join(checks)]
    for path in paths:
        command += ["-d" if Path(path).is_dir() else "-f", str(path)]
    return command


def run_checkov(
    paths: Iterable[Path | str],
    *,
    checks: Sequence[str] = (),
    external_checks_dir: Path | None = POLICIES_DIR,
    config_file: Path | None = CONFIG_FILE,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> CheckovResult:
    """Run checkov over directories of synthesized stacks (or single *.tf.json files).

    ``checks`` limits the run to those check ids. Raises CheckovUnavailable
    when checkov is not installed and CheckovError when it crashes.
    """
    targets = [Path(path).resolve() for path in paths]
    if not targets:
        raise ValueError("run_checkov needs at least one directory or file")
    missing = [str(path) for path in targets if not path.exists()]
    if missing:
        raise FileNotFoundError(f"nothing to scan at {', '.join(missing)}")
    command = build_command(
        require_checkov(), targets, checks=checks, external_checks_dir=external_checks_dir, config_file=config_file
    )
    env = dict(os.environ)
    env.update(
        {
            "BC_SKIP_MAPPING": "TRUE",  # no guideline download from the vendor's API
            "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
            "PYTHONDONTWRITEBYTECODE": "1",  # keep policies/ free of __pycache__
            "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING"),
        }
    )
    try:
        completed = subprocess.run(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CheckovError(f"checkov did not finish within {timeout:.0f}s") from exc
    if completed.returncode not in (0, 1):
        raise CheckovError(f"checkov exited {completed.returncode}: {_tail(completed.stderr or completed.stdout)}")
    try:
        result = parse_checkov_output(completed.stdout)
    except ValueError as exc:
        raise CheckovError(f"{exc}; stderr: {_tail(completed.stderr)}") from exc
    if completed.returncode == 1 and not result.failed and not result.parsing_errors:
        raise CheckovError(f"checkov exited 1 without a failed check: {_tail(completed.stderr)}")
    return CheckovResult(result.findings, result.parsing_errors, result.checkov_version, tuple(command))


def _tail(text: str, limit: int = 2000) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else "..." + text[-limit:]


# --- parsing ----------------------------------------------------------------------------


def parse_checkov_output(stdout: str) -> CheckovResult:
    """Read checkov's ``-o json`` output.

    That output is one JSON document per scanned ``-d`` root (printed back to
    back), each a report object, a list of report objects (several
    frameworks), or a bare summary when nothing was scanned. Findings that
    repeat across documents are counted once.
    """
    findings: list[CheckovFinding] = []
    parsing_errors: list[str] = []
    version: str | None = None
    for document in _json_documents(stdout):
        for report in document if isinstance(document, list) else [document]:
            if not isinstance(report, dict):
                raise ValueError(f"unexpected checkov report element: {type(report).__name__}")
            summary = report.get("summary", report)
            version = version or summary.get("checkov_version")
            results = report.get("results") or {}
            parsing_errors.extend(results.get("parsing_errors") or [])
            for key, outcome in _RESULT_KEYS.items():
                for record in results.get(key) or []:
                    findings.append(_finding(record, outcome))
    # With several -d roots, checkov 3.3.30's terraform_json runner repeats the
    # earlier roots' records in each later report: keep one of each.
    unique = dict.fromkeys(findings)
    return CheckovResult(tuple(unique), tuple(dict.fromkeys(parsing_errors)), version)


def _json_documents(stdout: str) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    text = stdout.strip()
    if not text:
        raise ValueError("checkov printed nothing")
    index = 0
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ValueError(f"checkov printed no JSON: {_tail(text, 300)}")
    index = start
    while index < len(text):
        try:
            document, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise ValueError(f"checkov printed malformed JSON: {exc}") from exc
        yield document
        index = end
        while index < len(text) and text[index].isspace():
            index += 1


def _finding(record: dict[str, Any], outcome: str) -> CheckovFinding:
    file = record.get("file_abs_path") or record.get("repo_file_path") or record.get("file_path") or ""
    lines = record.get("file_line_range") or [0, 0]
    check_result = record.get("check_result") or {}
    resource = resolve_address(str(record.get("resource", "")), file, int(lines[0]))
    return CheckovFinding(
        check_id=str(record.get("check_id", "")),
        check_name=str(record.get("check_name", "")),
        result=outcome,
        resource=resource,
        file=str(file),
        lines=(int(lines[0]), int(lines[-1])),
        details=tuple(str(detail) for detail in record.get("details") or ()),
        evaluated_keys=tuple(str(key) for key in check_result.get("evaluated_keys") or ()),
        suppress_comment=check_result.get("suppress_comment"),
    )


def resolve_address(resource: str, file: str, start_line: int) -> str:
    """Turn checkov's ``resource.<name>`` back into ``<type>.<name>``.

    The type is found in the scanned file: the only type with a resource of
    that name, or else the one whose resource body opens on ``start_line``.
    When neither settles it (several same-named resources on one line), the
    address is left as checkov gave it.
    """
    if not resource.startswith("resource.") or not file:
        return resource
    name = resource[len("resource.") :]
    entries = [entry for entry in _resource_index(str(file)) if entry[1] == name]
    types = {entry[0] for entry in entries}
    if len(types) == 1:
        return f"{types.pop()}.{name}"
    on_line = {entry[0] for entry in entries if entry[2] == start_line}
    if len(on_line) == 1:
        return f"{on_line.pop()}.{name}"
    return resource


@lru_cache(maxsize=256)
def _resource_index(file: str) -> tuple[tuple[str, str, int], ...]:
    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError:
        return ()
    return tuple(resource_lines(text))


def resource_lines(text: str) -> list[tuple[str, str, int]]:
    """(type, name, line) for each resource body in Terraform JSON; line is where its ``{`` is.

    A small scanner rather than ``json``: the standard parser keeps no
    positions, and checkov reports resources by line.
    """
    found: list[tuple[str, str, int]] = []
    stack: list[list[Any]] = []  # frames: [is_object, current_key, expecting_key]
    line = 1
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\n":
            line += 1
        elif char == '"':
            end = index + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if stack and stack[-1][0] and stack[-1][2]:
                try:
                    stack[-1][1] = json.loads(text[index : end + 1])
                except ValueError:
                    stack[-1][1] = text[index + 1 : end]
                stack[-1][2] = False
            index = end
        elif char == "{":
            if len(stack) == 3 and all(frame[0] for frame in stack) and stack[0][1] == "resource":
                found.append((str(stack[1][1]), str(stack[2][1]), line))
            stack.append([True, None, True])
        elif char == "[":
            stack.append([False, None, False])
        elif char in "}]":
            if stack:
                stack.pop()
        elif char == "," and stack and stack[-1][0]:
            stack[-1][2] = True
        index += 1
    return found


# --- command line -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rayfort_tools.judges.checkov [DIR ...]``: judge synthesized stacks (default cdktf.out/stacks)."""
    args = list(sys.argv[1:] if argv is None else argv)
    paths = [Path(arg) for arg in args] or [Path("cdktf.out") / "stacks"]
    try:
        result = run_checkov(paths)
    except (CheckovUnavailable, CheckovError, FileNotFoundError) as exc:
        print(f"checkov judge: {exc}", file=sys.stderr)
        return 2
    print(result.summary(Path.cwd()))
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
