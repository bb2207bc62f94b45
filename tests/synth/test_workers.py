"""A synth split over processes writes what one process writes (rayfort.synth_workers).

The byte-identity test of a whole app split over two processes is in test_app.py, and the
interrupts of a split synth are in test_cli.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rayfort import synth_workers
from rayfort._cdk import FRAMEWORK
from rayfort.synth import synth_main
from rayfort.synth_workers import OWN_SHARE, WORKERS_ENV, WorkerFailed, deal, split_tenants
from rayfort.synthesized import read_exact, stable_json
from stacks import build_app
from tests.conftest import ROOT, environment

STABLE_STRINGIFY = ROOT / "node_modules" / "cdktf" / "node_modules" / "json-stable-stringify"

AWKWARD = {
    "z": [],
    "Z": {},
    "é": ["\u2028", 'quote " backslash \\ slash /', "\x00\x01\x1f\x7f", "\b\f\n\r\t"],
    "\uffff": "after every BMP key in JavaScript's order",
    "😀": "an astral key, sorted by its UTF-16 surrogates before U+FFFF",
    "numbers": [0, -1, 12345678901234567890, 0.1, 1e21, 1e-7, 2.5e-300, -0.5],
    "flags": [True, False, None],
    "nested": {"b": [{"y": [], "x": [[]]}], "a": {"": ""}},
}


def _framework_writes(value_json: str) -> str:
    """What cdktf's own json-stable-stringify writes for the JSON value ``value_json`` (cdktn's writer is
    exercised by the round trip of its own files)."""
    read = "JSON.parse(require('fs').readFileSync(0, 'utf8'))"
    script = f"process.stdout.write(require({str(STABLE_STRINGIFY)!r})({read}, {{space: 2}}))"
    return subprocess.run(["node", "-e", script], input=value_json, capture_output=True, text=True, check=True).stdout


def test_every_file_the_framework_wrote_is_written_back_byte_for_byte(shipped_outdirs) -> None:
    files = [
        path for outdir in shipped_outdirs.values() for path in [outdir / "manifest.json", *outdir.rglob("cdk.tf.json")]
    ]
    assert len(files) > 20
    for path in files:
        assert stable_json(read_exact(path), FRAMEWORK) == path.read_text(encoding="utf-8"), path


def test_a_file_of_awkward_values_is_written_back_byte_for_byte(tmp_path) -> None:
    written = _framework_writes(json.dumps(AWKWARD))
    (tmp_path / "stack.json").write_text(written, encoding="utf-8")
    assert stable_json(read_exact(tmp_path / "stack.json")) == written


def test_values_made_in_python_are_written_as_the_framework_writes_them() -> None:
    """Numbers included: a float is written as JavaScript writes it (1e-7, 0.000001, 1e+21)."""
    numbers = [0.1, 1e21, 1e-7, 1e-6, 2.5e-300, -0.5, -0.0, 1.5e16, 1e20, 123.456, 5e-324, 1.7976931348623157e308]
    numbers += [100.0, 2**53, 2**53 + 1, 10**21, 12345678901234567890, -(2**60)]
    value = {**AWKWARD, "more numbers": numbers}
    assert stable_json(value) == _framework_writes(json.dumps(value))


def test_importing_the_synth_does_not_start_the_cdk() -> None:
    """Workers are forked before the CDK's runtime starts: the synth's own imports must not start it."""
    script = "import sys, main, rayfort.synth; assert 'jsii' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, timeout=60)


def _output(root: Path, stacks: dict[str, dict]) -> None:
    manifest = {"stacks": {}, "version": "0.21.0"}
    for name, tf_json in stacks.items():
        (root / "stacks" / name).mkdir(parents=True)
        (root / "stacks" / name / "cdk.tf.json").write_text(stable_json(tf_json))
        manifest["stacks"][name] = {
            "name": name,
            "synthesizedStackPath": f"stacks/{name}/cdk.tf.json",
            "workingDirectory": f"stacks/{name}",
        }
    (root / "manifest.json").write_text(stable_json(manifest))


def _shared(*outputs: str) -> dict:
    return {
        "resource": {"google_compute_network": {"vpc": {"name": "vpc"}}},
        "output": {o: {"value": o} for o in outputs},
    }


def _workers_of(tmp_path: Path, theirs: dict[str, dict]) -> synth_workers.Workers:
    _output(tmp_path / "worker", theirs)
    workers = synth_workers.Workers()
    workers.outdirs.append(tmp_path / "worker")
    workers._workers.append(synth_workers._Worker(pid=0, report=-1, outdir=tmp_path / "worker", tenants=("team-b",)))
    return workers


def test_the_merge_moves_the_workers_tenants_and_takes_the_union_of_shared_outputs(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(synth_workers, "_wait", lambda worker: None)
    ours = tmp_path / "ours"
    _output(ours, {"network": _shared("a-reads"), "tenant-a": {"output": {"x": {"value": 1}}}})
    workers = _workers_of(tmp_path, {"network": _shared("b-reads"), "tenant-b": {"output": {"y": {"value": 2}}}})
    workers.merge_into(ours, "cdktf")
    assert read_exact(ours / "stacks" / "network" / "cdk.tf.json") == _shared("a-reads", "b-reads")
    assert json.loads((ours / "stacks" / "tenant-b" / "cdk.tf.json").read_text()) == {"output": {"y": {"value": 2}}}
    assert not (tmp_path / "worker" / "stacks" / "tenant-b").exists()
    assert sorted(json.loads((ours / "manifest.json").read_text())["stacks"]) == ["network", "tenant-a", "tenant-b"]
    assert (ours / "manifest.json").read_text() == stable_json(read_exact(ours / "manifest.json"))


def test_shared_stacks_that_differ_in_more_than_outputs_fail_the_synth(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(synth_workers, "_wait", lambda worker: None)
    ours = tmp_path / "ours"
    _output(ours, {"network": _shared()})
    changed = _shared()
    changed["resource"]["google_compute_network"]["vpc"]["name"] = "other"
    workers = _workers_of(tmp_path, {"network": changed})
    with pytest.raises(
        WorkerFailed, match=r"different values at stack network\.resource\.google_compute_network\.vpc\.name"
    ):
        workers.merge_into(ours, "cdktf")


def test_the_number_of_processes_follows_the_cores_and_the_tenants(monkeypatch) -> None:
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert [synth_workers._worker_count(n) for n in (1, 39, 40, 500)] == [1, 1, 2, 2]
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert [synth_workers._worker_count(n) for n in (1, 2, 500)] == [1, 2, 3]
    monkeypatch.setenv(WORKERS_ENV, "")  # set but empty: as unset
    assert synth_workers._worker_count(500) == 2


def test_tenants_are_dealt_in_turn_with_a_smaller_share_for_the_synth_s_own_process() -> None:
    names = [f"team-{index:03}" for index in range(500)]
    shares = deal(names, 2)
    assert sorted(name for share in shares for name in share) == names
    assert [len(share) for share in shares] == [240, 260]  # 240 / 260 = OWN_SHARE
    assert abs(len(shares[0]) / len(shares[1]) - OWN_SHARE) < 0.01
    gaps = [int(b[-3:]) - int(a[-3:]) for share in shares for a, b in zip(share, share[1:], strict=False)]
    assert max(gaps) <= 3, "dealt in turn"
    assert deal(["team-a", "team-b"], 2) == [("team-b",), ("team-a",)]
    assert [len(share) for share in deal(names, 3)] == [158, 171, 171]


@pytest.mark.parametrize("named", ["0", "two", "-1", "²"])
def test_a_bad_number_of_processes_is_one_message(tmp_path, monkeypatch, capsys, named: str) -> None:
    monkeypatch.setenv(WORKERS_ENV, named)
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "cdktf.out"))
    assert synth_main(ROOT / "environments", build_app, ["dev"]) == 2
    assert capsys.readouterr().err == (
        f"rayfort: {WORKERS_ENV}={named!r}: the number of processes that synthesize is a whole number, 1 or more "
        "(unset: one per core for a large environment)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_process_whose_cdk_runtime_runs_synthesizes_alone(monkeypatch) -> None:
    """A fork would share the runtime's pipes: this test process has started it, so no split."""
    monkeypatch.setenv(WORKERS_ENV, "2")
    assert "jsii" in sys.modules
    assert split_tenants(environment("dev"), build_app) is None


FAILING_WORKER = """
import sys
from pathlib import Path
import main
from rayfort.synth import synth_main

def build(env, outdir, tenants=None):
    if tenants == ("team-a",):  # the worker's share (deal)
        raise RuntimeError("no stack for team-a")
    return main.build_app(env, outdir, tenants)

sys.exit(synth_main(Path("environments"), build, ["dev"]))
"""


@pytest.mark.slow
def test_a_failing_worker_fails_the_synth_with_its_report_and_leaves_nothing(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    result = subprocess.run(
        [sys.executable, "-O", "-c", FAILING_WORKER],
        cwd=ROOT,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir), WORKERS_ENV: "2"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "WorkerFailed: the synth worker for 1 tenant (team-a) failed:" in result.stderr
    assert "RuntimeError: no stack for team-a" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cdktf.out.lock"]
