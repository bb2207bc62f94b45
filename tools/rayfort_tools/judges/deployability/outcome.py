"""One verdict of the deployability judge: a check, where it looked, and what is wrong (None when nothing)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    check: str
    stack: str
    address: str
    problem: str | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        return f"[{self.check}] {self.stack}/{self.address}: {self.problem or 'ok'}"
