"""Waivers: the only way to weaken a secure default, always with a written reason."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from rayfort.config._types import DnsLabel, Model, field_error

MIN_REASON_WORDS = 5
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
_WILDCARD = re.compile(r"[*?\[]")


def is_wildcard(resource: str) -> bool:
    """Whether a resource pattern can match constructs it does not name: a wildcard before <stack>/<construct>/."""
    literal = _WILDCARD.split(resource, maxsplit=1)[0]
    return bool(_WILDCARD.search(resource)) and literal.count("/") < 2


class Waiver(Model):
    """Permission to lower one control on matching constructs."""

    rule: str = Field(pattern=r"^RF[0-9]{3}$")
    """Control id from the catalogue, such as RF012."""
    resource: str = Field(min_length=1)
    """Construct path, or a glob below <stack>/<construct>/ such as gke/pool-gpu/*."""
    scope: Literal["path", "all"] = "path"
    """all: the resource is a wildcard that also covers constructs added later (shown as such in the review)."""
    reason: str
    """Why the weaker setting is acceptable here, in at least five words; shown in the review report."""
    tenants: list[DnsLabel] | None = None
    """Tenants the weaker setting is accepted for; required by controls that place tenants (RF003: the pool's)."""

    @field_validator("rule")
    @classmethod
    def _known_control(cls, rule: str) -> str:
        from rayfort.controls import BY_ID

        if rule not in BY_ID:
            known = ", ".join(f"{control.id} ({control.title})" for control in BY_ID.values())
            raise ValueError(f"is not a control in rayfort's catalogue; allowed: {known}")
        return rule

    @field_validator("reason")
    @classmethod
    def _real_words(cls, reason: str) -> str:
        words = {word.lower() for word in _WORD.findall(reason)}
        if len(words) < MIN_REASON_WORDS:
            raise ValueError(
                f"must say why in at least {MIN_REASON_WORDS} different words (found {len(words)}); "
                "the review shows it to whoever approves the change"
            )
        return reason

    @model_validator(mode="after")
    def _wildcards_say_so(self) -> Waiver:
        if is_wildcard(self.resource) and self.scope != "all":
            raise ValueError(
                f"resource {self.resource!r} is a wildcard that also covers constructs added later; "
                "name a construct (<stack>/<construct>/...), or say so with scope: all"
            )
        if self.scope == "all" and not is_wildcard(self.resource):
            raise ValueError(f"scope: all is for wildcard resources; {self.resource!r} names constructs, drop scope")
        return self

    @model_validator(mode="after")
    def _tenants_where_the_control_places_them(self) -> Waiver:
        from rayfort.controls import BY_ID

        control = BY_ID[self.rule]
        if control.waiver_names_tenants and self.tenants is None:
            raise field_error(
                "tenants",
                f"is required for {control.id} ({control.title}): name the tenants whose pods the weaker "
                "construct may carry, such as tenants: [team-a] ([] for none); it admits no other",
            )
        if not control.waiver_names_tenants and self.tenants is not None:
            named = ", ".join(c.id for c in BY_ID.values() if c.waiver_names_tenants)
            raise field_error(
                "tenants",
                f"applies only to waivers of controls that place tenants ({named}); {control.id} places none, "
                "remove tenants",
            )
        return self
