"""CKV_RAYFORT_3: GKE release channel REGULAR or STABLE.

CKV_GCP_70 passes any channel value, including UNSPECIFIED (no channel, no
automatic security patch cadence) and RAPID (pre-GA versions) - neither fits
a regulated production cluster.

Catalogue control: RF041 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import path_value

ALLOWED = ("REGULAR", "STABLE")


class GKEReleaseChannel(RayfortCheck):
    """Closes: clusters off a release channel (UNSPECIFIED) or on the RAPID channel."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_3",
            name="GKE release channel is REGULAR or STABLE",
            resources=("google_container_cluster",),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["release_channel/[0]/channel"]
        channel = path_value(conf, "release_channel.channel", None)
        if channel not in ALLOWED:
            return [f"release_channel.channel is {channel!r}, want one of {', '.join(ALLOWED)}"]
        return []


check = GKEReleaseChannel()
