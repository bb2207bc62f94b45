"""Run mutants in forked children, a few at a time, with a deadline each.

The parent has imported everything and run the tests once; a child inherits
that, puts its mutant in place, runs tests and exits with pytest's meaning:
0 the tests passed (the mutant survived), anything else it was killed.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from tests.mutation.inprocess import HARNESS_ERROR, child_exit, guard_cdk, quiet


@dataclass(frozen=True)
class Outcome:
    status: int | None
    """The child's exit status; None when it ran past its deadline and was stopped."""
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.status is None


def run_forked(
    tasks: Iterable[tuple[object, Callable[[], int], float]], jobs: int = 1
) -> Iterator[tuple[object, Outcome]]:
    """Run each (tag, body, timeout) in a forked child; yield (tag, outcome) as children finish.

    ``body`` runs in the child and returns its exit status (``HARNESS_ERROR``
    when it raises). Children never run the parent's exit handlers, and their
    output goes nowhere unless ``MUTATION_DEBUG`` is set.
    """
    pending = iter(tasks)
    running: dict[int, tuple[object, float, float]] = {}
    exhausted = False
    while running or not exhausted:
        while not exhausted and len(running) < max(1, jobs):
            task = next(pending, None)
            if task is None:
                exhausted = True
                break
            tag, body, timeout = task
            pid = os.fork()
            if pid == 0:  # the child
                status = HARNESS_ERROR
                try:
                    if not os.environ.get("MUTATION_DEBUG"):
                        quiet()
                    guard_cdk()
                    status = body()
                except BaseException:
                    import traceback

                    traceback.print_exc()
                finally:
                    child_exit(status)
            running[pid] = (tag, time.monotonic(), time.monotonic() + timeout)
        finished = False
        for pid, (tag, started, deadline) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                del running[pid]
                finished = True
                code = os.waitstatus_to_exitcode(status)
                yield tag, Outcome(code if code >= 0 else 128 - code, time.monotonic() - started)
            elif time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                del running[pid]
                finished = True
                yield tag, Outcome(None, time.monotonic() - started)
        if not finished and running:
            time.sleep(0.005)
