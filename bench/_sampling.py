"""Run a command and sample it: wall time and the peak RSS summed over its whole process tree."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Sample:
    wall_s: float
    peak_rss_mb: float
    cpu_s: float
    """User and system CPU time of the process tree: the wall time of an idle machine, near enough."""
    returncode: int
    stderr: str


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process under it."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").glob("*/children"))
        except OSError:
            continue  # ended while being listed
        for task in tasks:
            try:
                queue += [int(child) for child in task.read_text().split()]
            except OSError:
                pass
    return pids


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total


def sample(command: list[str], cwd: Path, env: dict[str, str]) -> Sample:
    """Run ``command``, sampling the RSS of it and its children every 20 ms (python and node alike)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, rss_bytes(process_tree(process.pid)))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Sample(wall, peak / 2**20, cpu, process.returncode, process.stderr.read().decode())
