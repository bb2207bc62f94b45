"""The synth command on bad input, interrupts and a second synth: one message, the right exit, output untouched.

The command cases run ``make synth ENV=...`` (or main.py where make would add its own interrupt line);
bad input is refused before the CDK starts, so each costs about a second. The bookkeeping of the
output directory (leftovers, lock, held interrupts) is tested in-process with a stub app.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rayfort import synth
from rayfort.synth import Interrupted, SynthBusy, SynthRefused, synthesize
from tests.config.bad_inputs import CASES
from tests.conftest import ROOT, environment

COMMAND_CASES = [
    "complex key (list)",
    "alias bomb",
    "not UTF-8",
    "naive and aware window times",
    "30-digit max_replicas",
    "node label key with a space",
    "secret path traversal",
    "merged block broken by its user",
]


@pytest.fixture
def previous_output(tmp_path: Path) -> Path:
    """An output directory from an earlier run, which a failed run must leave exactly as it is."""
    outdir = tmp_path / "out" / "cdktf.out"
    (outdir / "stacks" / "network").mkdir(parents=True)
    (outdir / "stacks" / "network" / "cdk.tf.json").write_text('{"earlier": true}')
    return outdir


def _untouched(outdir: Path) -> bool:
    leftovers = [p.name for p in outdir.parent.iterdir() if p.name not in (outdir.name, f".{outdir.name}.lock")]
    files = sorted(str(p.relative_to(outdir)) for p in outdir.rglob("*") if p.is_file())
    marker = outdir / "stacks" / "network" / "cdk.tf.json"
    return not leftovers and files == ["stacks/network/cdk.tf.json"] and marker.read_text() == '{"earlier": true}'


def _without_make_variables(environ: os._Environ[str]) -> dict[str, str]:
    return {key: value for key, value in environ.items() if key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}


def _make_synth(env_file: Path | str, outdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "synth", f"ENV={env_file}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # As a user's shell runs it: not as a sub-make of `make test`, whose level changes make's own lines.
        env={**_without_make_variables(os.environ), "CDKTF_OUTDIR": str(outdir)},
        timeout=120,
    )


def _rayfort_lines(stderr: str) -> list[str]:
    """stderr without make's own report of the failed recipe."""
    return [line for line in stderr.splitlines() if not line.startswith("make: ***")]


@pytest.mark.slow
@pytest.mark.parametrize("name", [*COMMAND_CASES, "2 MiB file", "/dev/zero"])
def test_make_synth_refuses_bad_input_with_one_message(tmp_path: Path, previous_output: Path, name: str) -> None:
    if name == "/dev/zero":
        env_file, expected = "/dev/zero", ("the stream is longer than 1 MiB",)
    elif name == "2 MiB file":
        env_file, expected = tmp_path / "big.yaml", ("the file is 2.0 MiB",)
        env_file.write_bytes(b"a" * (2 << 20))
    else:
        env_file, expected = tmp_path / "env.yaml", CASES[name].expected
        env_file.write_bytes(CASES[name].text.encode("utf-8", "surrogateescape"))
    result = _make_synth(env_file, previous_output)
    lines = _rayfort_lines(result.stderr)
    assert result.returncode == 2, result.stderr
    assert lines[0] == f"rayfort: {env_file} is not a valid rayfort environment (1 problem):"
    assert len(lines) == 2 and lines[1].startswith(f"  - {expected[0]}"), result.stderr
    assert all(fragment in lines[1] for fragment in expected[1:])
    assert "Traceback" not in result.stderr + result.stdout
    assert _untouched(previous_output)


@pytest.mark.slow
def test_a_second_synth_in_the_same_checkout_is_refused(tmp_path: Path, previous_output: Path) -> None:
    lock = previous_output.with_name(".cdktf.out.lock")
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242, environment prod, since 10:00:00\n")
        held.flush()
        result = _make_synth("dev", previous_output)
    assert result.returncode == 2
    assert _rayfort_lines(result.stderr) == [
        f"rayfort: {previous_output} is being written by another synth in this checkout "
        "(pid 4242, environment prod, since 10:00:00); wait for it to finish, or set CDKTF_OUTDIR to a "
        "directory of your own"
    ]
    assert _untouched(previous_output)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            pass
    return found


def _wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _descendants(pid: int) -> list[int]:
    found = _children(pid)
    return found + [grandchild for child in found for grandchild in _descendants(child)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "group", "when", "workers"),
    [
        (signal.SIGINT, True, "the CDK is running", "1"),  # Ctrl-C: the whole foreground group, node included
        (signal.SIGTERM, False, "the scratch directory exists", "1"),
        # Split over two processes (rayfort.synth_workers): each forked worker and its own CDK runtime end too,
        # whether the signal reaches the whole group or the synth alone, which then ends its workers.
        (signal.SIGINT, True, "the workers are running", "2"),
        (signal.SIGTERM, False, "the workers are running", "2"),
    ],
)
def test_an_interrupt_exits_with_one_line_and_no_scratch(
    previous_output: Path, signum: int, group: bool, when: str, workers: str
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-O", str(ROOT / "main.py"), "dev"],
        cwd=ROOT,
        env={**os.environ, "CDKTF_OUTDIR": str(previous_output), "RAYFORT_SYNTH_WORKERS": workers},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    scratch = lambda: [p for p in previous_output.parent.iterdir() if p.name.startswith(".cdktf.out-")]  # noqa: E731
    started = {
        "the scratch directory exists": scratch,
        "the CDK is running": lambda: scratch() and _children(process.pid),
        # the synth's node runtime, the worker, and the worker's node runtime
        "the workers are running": lambda: len(_descendants(process.pid)) >= 3,
    }
    _wait_for(started[when])
    children = _descendants(process.pid)
    if group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    name = signal.Signals(signum).name
    assert stderr == f"rayfort: interrupted ({name}); {previous_output} is as it was before this run\n"
    assert "Traceback" not in stdout
    _wait_for(lambda: not any(Path(f"/proc/{child}").exists() for child in children), timeout=10)
    assert _untouched(previous_output)


class _StubApp:
    """Stands in for the CDK app: synthesizes an app of no stacks, or fails as told."""

    def __init__(self, outdir: str, fail: bool = False) -> None:
        self.outdir = Path(outdir)
        self.fail = fail

    def synth(self) -> None:
        (self.outdir / "manifest.json").write_text(json.dumps({"stacks": {}}))
        if self.fail:
            raise SynthRefused("refused for the test")


def _stub(env, outdir: str) -> _StubApp:
    return _StubApp(outdir)


def test_the_next_synth_removes_what_killed_runs_left(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    for name in (".cdktf.out-k1ll3d_x", ".cdktf.out-previous"):
        (tmp_path / name / "stacks").mkdir(parents=True)
    unrelated = tmp_path / ".cdktf.out-notes"
    unrelated.mkdir()
    synthesize(environment("dev"), outdir, _stub)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cdktf.out-notes", ".cdktf.out.lock", "cdktf.out"]
    assert (outdir / "manifest.json").is_file() and (outdir / "rayfort-policy.json").is_file()


def test_a_run_killed_between_the_two_renames_gets_its_last_output_back(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    (tmp_path / ".cdktf.out-previous").mkdir()
    (tmp_path / ".cdktf.out-previous" / "manifest.json").write_text("last")
    with pytest.raises(SynthRefused):
        synthesize(environment("dev"), outdir, lambda env, outdir: _StubApp(outdir, fail=True))
    assert (outdir / "manifest.json").read_text() == "last"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cdktf.out.lock", "cdktf.out"]


def test_a_live_run_keeps_its_scratch_and_the_second_is_refused(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    live = tmp_path / ".cdktf.out-l1ve_run"
    live.mkdir()
    with synth._output_lock(outdir.resolve(), "prod"):
        with pytest.raises(SynthBusy, match=r"another synth in this checkout \(pid \d+, environment prod, since"):
            synthesize(environment("dev"), outdir, _stub)
        assert live.is_dir() and not outdir.exists()


def test_an_interrupt_while_publishing_waits_for_the_publish(monkeypatch) -> None:
    interrupts = synth._Interrupts()
    monkeypatch.setattr(synth, "stop_children", lambda: None)
    with interrupts.installed(), pytest.raises(Interrupted):
        with interrupts.held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
            published = True
    assert published and interrupts.published and interrupts.received == [signal.SIGINT]
