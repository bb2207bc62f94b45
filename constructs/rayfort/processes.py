"""The processes this one started (the CDK's node runtime, synth workers), as Linux's /proc lists them."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CHILD_EXIT_SECONDS = 10
"""How long an interrupted process waits for those it started (its CDK runtime, its workers) to end."""


def children() -> set[int] | None:
    """The processes this one started that still exist (zombies included); None where there is no /proc."""
    tasks = Path(f"/proc/{os.getpid()}/task")
    if not tasks.is_dir():
        return None
    found: set[int] = set()
    for task in tasks.glob("*/children"):
        try:
            found.update(int(pid) for pid in task.read_text().split())
        except OSError:
            pass
    return found


def stop_children() -> None:
    """End the processes this one started (its CDK runtime, its workers), so none writes on after it exits."""
    started = children() or set()
    for pid in started:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    # Wait for them to end (a zombie has ended), so none writes into a scratch directory after it is removed.
    deadline = time.monotonic() + CHILD_EXIT_SECONDS
    while any(_running(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.02)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
