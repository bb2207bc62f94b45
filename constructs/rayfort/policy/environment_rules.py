"""Rules read from the environment: the catalogue's controls an environment setting lowers.

They run before anything is built, so a weakened setting is refused in a
fraction of a second, and they cover what no resource shows (a perimeter that
was never created). They are waived like any other rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rayfort.config import Environment
from rayfort.controls import CONTROLS
from rayfort.controls.environment import EnvironmentCheck


@dataclass(frozen=True)
class EnvironmentRule:
    """One control decided by the environment, reported at a construct path."""

    id: str
    title: str
    control: str
    attribute: str
    check: EnvironmentCheck
    ratchet: bool = False

    def findings(self, env: Environment) -> Iterator[tuple[str, str]]:
        """(construct path, what is wrong) for every place the control is lowered."""
        yield from self.check(env)


ENVIRONMENT_RULES: tuple[EnvironmentRule, ...] = tuple(
    EnvironmentRule(
        control.id,
        control.title,
        control.standard,
        ", ".join(control.environment),
        control.environment_check,
        control.ratchet,
    )
    for control in CONTROLS
    if control.environment_check is not None
)
