"""Waivers: the only way to weaken a secure default, always with a written reason."""

from __future__ import annotations

from pydantic import Field

from rayfort.config._types import Model


class Waiver(Model):
    """Permission to break one synth-time rule on matching constructs."""

    rule: str = Field(pattern=r"^RF[0-9]{3}$")
    """Rule id, such as RF012."""
    resource: str = Field(min_length=1)
    """Construct path or glob it applies to, such as tenant-team-a/*."""
    reason: str = Field(min_length=20)
    """Why the weaker setting is acceptable here; shown in the review report."""
