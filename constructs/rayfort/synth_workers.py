"""Tenant stacks synthesized by several processes at once, merged into the output one process writes.

A tenant stack needs the shared stacks (network, audit, mirror, gke, kuberay, exposure) and nothing of
another tenant, so the synth splits the tenants over processes: each builds every shared stack and its
share of the tenants, and synthesizes them with a CDK runtime of its own. jsii runs one node process per
Python process and the two take turns, so one process keeps about one core busy; a second on a second core
halves a large synth. The shared stacks each process writes differ only in the cross-stack outputs its own
tenants read: the merge takes their union and writes the files as the framework does (``stable_json``,
keys sorted), so the output is byte-identical for any number of processes (a test compares them). Each
process synthesizes with ``synthesize_app``: the framework writes the stacks, then rayfort writes in the
Kubernetes objects the framework was spared.

Workers are forked before this process starts its CDK runtime: they inherit the validated environment and
the imported modules instead of reading them again. A process whose runtime already runs (one that has
synthesized before, as in a test) synthesizes alone: a fork would share that runtime's pipes.
"""

from __future__ import annotations

import inspect
import os
import shutil
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from rayfort.config import Environment
from rayfort.processes import stop_children
from rayfort.synthesized import add_blocks, read_exact, stable_json

WORKERS_ENV = "RAYFORT_SYNTH_WORKERS"
"""How many processes synthesize (1: this one alone); unset, one per core the process may run on."""
TENANTS_PER_WORKER = 20
"""Each process builds every shared stack (about 2 s of CPU): below this many tenants each, one process is faster."""
OWN_SHARE = 0.92
"""This process's share of the tenants, against a worker's. Measured at 500 tenants: with equal shares this
process finished its synth 2.3 s after the worker (of about 23 s), with 0.85 of a share 3.4 s before it."""
MANIFEST = "manifest.json"
TENANTS_KEYWORD = "tenants"
"""The keyword a build takes to make only some tenant stacks (``build(env, outdir=..., tenants=names)``)."""


_ALONE = f"synthesize in one process ({WORKERS_ENV}=1) and report this"


class BadWorkerCount(ValueError):
    """``RAYFORT_SYNTH_WORKERS`` is not a number of processes."""


class WorkerFailed(Exception):
    """A synth worker ended without an output; the message holds what it reported."""


def split_tenants(env: Environment, build: Callable[..., Any]) -> list[tuple[str, ...]] | None:
    """The tenant names each process builds, this process's first; None when this process builds all."""
    count = _worker_count(len(env.tenants))
    if count == 1 or "jsii" in sys.modules or not _takes_tenants(build):
        return None
    return deal([tenant.name for tenant in env.tenants], count)


def deal(names: Sequence[str], count: int) -> list[tuple[str, ...]]:
    """``names`` dealt out in turn to ``count`` processes, each next one to the process with the least work.

    In turn, so that each process gets as many IAP and internal tenants as another. This process's share
    (the first) weighs ``OWN_SHARE`` of a worker's: it starts building later, after the rules have loaded,
    so a smaller share lets both finish together.
    """
    shares: list[list[str]] = [[] for _ in range(count)]
    weights = [OWN_SHARE] + [1.0] * (count - 1)
    for name in names:
        least = min(range(count), key=lambda index: (len(shares[index]) + 1) / weights[index])
        shares[least].append(name)
    return [tuple(share) for share in shares]


def _worker_count(tenants: int) -> int:
    named = os.environ.get(WORKERS_ENV, "")
    if not named:
        cores = len(os.sched_getaffinity(0))
        return max(1, min(cores, tenants // TENANTS_PER_WORKER))
    if not (named.isascii() and named.isdigit()) or int(named) < 1:
        raise BadWorkerCount(
            f"{WORKERS_ENV}={named!r}: the number of processes that synthesize is a whole number, 1 or more "
            "(unset: one per core for a large environment)"
        )
    return max(1, min(int(named), tenants))


def _takes_tenants(build: Callable[..., Any]) -> bool:
    parameters = inspect.signature(build).parameters.values()
    return any(p.name == TENANTS_KEYWORD or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def build_kwargs(share: tuple[str, ...] | None) -> dict[str, Any]:
    """The keyword that makes a build build ``share`` only (nothing when it builds every tenant)."""
    return {} if share is None else {TENANTS_KEYWORD: share}


@dataclass(frozen=True)
class _Worker:
    pid: int
    report: int
    """The read end of a pipe: what the worker wrote there when it failed."""
    outdir: Path
    tenants: tuple[str, ...]


class Workers:
    """Forked synth workers, each writing its tenants (and every shared stack) to a directory of its own."""

    def __init__(self) -> None:
        self._workers: list[_Worker] = []
        self.outdirs: list[Path] = []

    def merge_into(self, outdir: Path, framework: str) -> None:
        """Wait for every worker, then merge its output into ``outdir``, which this process synthesized.

        Files are written as ``framework`` (``_cdk.FRAMEWORK``) writes them.
        """
        for worker in self._workers:
            _wait(worker)
        manifest = read_exact(outdir / MANIFEST)
        for worker in self._workers:
            _merge(worker.outdir, outdir, manifest, framework)
        (outdir / MANIFEST).write_text(stable_json(manifest, framework), encoding="utf-8")

    def stop(self) -> None:
        """End the workers still running (SIGTERM; each ends its own CDK runtime) and reap them."""
        for worker in self._workers:
            try:
                os.kill(worker.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for worker in self._workers:
            try:
                os.waitpid(worker.pid, 0)
            except ChildProcessError:
                pass
            os.close(worker.report)
        self._workers = []


@contextmanager
def synth_workers(
    env: Environment, build: Callable[..., Any], shares: Sequence[tuple[str, ...]], beside: Path
) -> Iterator[Workers]:
    """Fork a worker per share; on leaving, any still running is stopped and their directories are removed.

    Each worker's directory is a scratch directory beside ``beside`` (the output), named like the
    synth's own, so a killed run's leftovers are recognised and removed by the next synth.
    """
    workers = Workers()
    try:
        for share in shares:
            outdir = Path(tempfile.mkdtemp(prefix=f".{beside.name}-", dir=beside.parent))
            workers.outdirs.append(outdir)
            workers._workers.append(_fork(env, build, share, outdir))
        yield workers
    finally:
        workers.stop()
        for outdir in workers.outdirs:
            shutil.rmtree(outdir, ignore_errors=True)


def _fork(env: Environment, build: Callable[..., Any], share: tuple[str, ...], outdir: Path) -> _Worker:
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        _work(env, build, share, outdir, write)  # never returns
    os.close(write)
    return _Worker(pid, read, outdir, share)


def _work(env: Environment, build: Callable[..., Any], share: tuple[str, ...], outdir: Path, report: int) -> None:
    """The worker: build and synthesize its share, then exit 0; or write why not to ``report`` and exit 1.

    Ctrl-C reaches every process of the terminal's group: the parent decides and sends SIGTERM, on which the
    worker ends its CDK runtime before it exits, so nothing writes on after the parent removed the directory.
    """
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, _terminated)
        from rayfort._cdk import FRAMEWORK
        from rayfort._providers import use_lazy_provider_import

        use_lazy_provider_import()
        synthesize_app(lambda: build(env, outdir=str(outdir), **build_kwargs(share)), outdir, FRAMEWORK)
        code = 0
    except BaseException:  # noqa: BLE001 (everything is reported to the parent, which raises it)
        message = traceback.format_exc().encode("utf-8", errors="replace")
        while message:
            message = message[os.write(report, message) :]
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # no exit hooks: they belong to the parent (its lock, its scratch, the jsii runtime's)


def synthesize_app(build: Callable[[], Any], outdir: Path, framework: str) -> None:
    """Build the app and synthesize it into ``outdir``, then write the Kubernetes objects its holders left out.

    The framework's synth resolves each block several times over, and a tenant's plain objects came out
    as they went in: written here instead (``rayfort.k8s.manifest.objects_left_out``), in the framework's
    format, a 500-tenant synth takes a fifth less time. The output is the same (tests compare them).
    """
    from rayfort.k8s.manifest import objects_left_out  # imports the CDK: never before the workers are forked

    with objects_left_out() as holders:
        build().synth()
        left_out = {holder.stack_path: holder.left_out() for holder in holders}
    add_blocks(
        outdir, {stack: {"kubernetes_manifest": blocks} for stack, blocks in left_out.items() if blocks}, framework
    )


def _terminated(signum: int, frame: FrameType | None) -> None:
    stop_children()
    os._exit(128 + signum)


def _wait(worker: _Worker) -> None:
    chunks = []
    while chunk := os.read(worker.report, 65536):
        chunks.append(chunk)
    _, status = os.waitpid(worker.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        reported = b"".join(chunks).decode("utf-8", errors="replace").strip() or f"it exited with {code}"
        count = len(worker.tenants)
        names = ", ".join(worker.tenants) if count <= 3 else f"{worker.tenants[0]} ... {worker.tenants[-1]}"
        raise WorkerFailed(
            f"the synth worker for {count} tenant{'s' if count != 1 else ''} ({names}) failed:\n{reported}"
        )


def _merge(source: Path, outdir: Path, manifest: dict[str, Any], framework: str) -> None:
    """Move ``source``'s own stacks into ``outdir``; fold the cross-stack outputs of the stacks both wrote."""
    theirs = read_exact(source / MANIFEST)
    for name, entry in theirs["stacks"].items():
        written = source / entry["synthesizedStackPath"]
        if name not in manifest["stacks"]:
            manifest["stacks"][name] = entry
            target = outdir / entry["workingDirectory"]
            target.parent.mkdir(parents=True, exist_ok=True)
            (source / entry["workingDirectory"]).rename(target)
            continue
        _union(manifest["stacks"][name], entry, f"{MANIFEST}: stacks.{name}")
        ours = outdir / manifest["stacks"][name]["synthesizedStackPath"]
        if written.read_bytes() != ours.read_bytes():
            merged = read_exact(ours)
            _union(merged, read_exact(written), f"stack {name}")
            ours.write_text(stable_json(merged, framework), encoding="utf-8")
    for key in theirs.keys() - {"stacks"}:
        if manifest.get(key) != theirs[key]:
            raise WorkerFailed(f"the synth workers wrote different values at {MANIFEST}: {key}; {_ALONE}")


def _union(ours: dict[str, Any], theirs: dict[str, Any], where: str) -> None:
    """Add to ``ours`` what only ``theirs`` has; a value both have must be equal, objects are merged key by key.

    Two processes build the shared stacks from one environment, so anything else that differs is a
    fault in the split (a stack that reads the tenants that are built, rather than the environment).
    """
    for key, value in theirs.items():
        if key not in ours:
            ours[key] = value
        elif isinstance(ours[key], dict) and isinstance(value, dict):
            _union(ours[key], value, f"{where}.{key}")
        elif ours[key] != value:
            raise WorkerFailed(f"the synth workers wrote different values at {where}.{key}; {_ALONE}")
