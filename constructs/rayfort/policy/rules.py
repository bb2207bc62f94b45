"""The synth-time rules: the catalogue's controls that have a floor on synthesized resources.

Each rule is drawn from ``rayfort.controls``; nothing here decides what a
control is or what weaker means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rayfort.controls import CONTROLS, Control

Resource = dict[str, Any]
Check = Callable[[Resource], Iterator[str]]


@dataclass(frozen=True)
class Rule:
    """One control, checked on every resource of the listed Terraform types."""

    id: str
    title: str
    control: str
    checks: Mapping[str, Check]
    attribute: str
    applies: Callable[[Resource], bool] = lambda resource: True
    """Whether the resource is something the rule is about (a Namespace, a LoadBalancer Service...)."""
    ratchet: bool = False

    @property
    def resource_types(self) -> tuple[str, ...]:
        return tuple(self.checks)

    def check(self, resource: Resource, resource_type: str | None = None) -> Iterator[str]:
        """Why ``resource`` falls below the floor; one type's check, or the only one the rule has."""
        if resource_type is None and len(self.checks) == 1:
            resource_type = next(iter(self.checks))
        check = self.checks.get(resource_type or "", self.checks.get("*"))
        if check is None:
            raise KeyError(f"{self.id} has no check for {resource_type}; it checks {', '.join(self.checks)}")
        yield from check(resource)

    @classmethod
    def of(cls, control: Control) -> Rule:
        attribute = ", ".join(control.where()) or ", ".join(control.resource_types)
        return cls(
            control.id, control.title, control.standard, control.checks, attribute, control.applies, control.ratchet
        )


RULES: tuple[Rule, ...] = tuple(Rule.of(control) for control in CONTROLS if control.checks)
