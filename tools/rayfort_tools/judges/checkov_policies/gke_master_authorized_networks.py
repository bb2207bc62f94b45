"""CKV_RAYFORT_2: GKE master authorized networks set, narrow, and closed to Google Cloud public IPs.

CKV_GCP_20 only asks for the block; CKV_GCP_18 only rejects the literal
0.0.0.0/0. This check also rejects any range wider than /8 (so two /1s
cannot stand in for 0.0.0.0/0) and IPv6 ::/0, and demands
``gcp_public_cidrs_access_enabled = false`` explicitly (it is a computed
field: left out, GKE decides). A ``cidr_block`` given as a ``${...}``
reference (e.g. another stack's subnet range) cannot be read here and is
accepted.

Catalogue control: RF023 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import block, blocks, cidr_prefix_len, is_false, value

WIDEST_PREFIX = 8


class GKEMasterAuthorizedNetworks(RayfortCheck):
    """Closes: control plane reachable from the whole internet or from any Google Cloud VM."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_2",
            name="GKE master authorized networks are set, never wider than /8, and exclude Google Cloud public IPs",
            resources=("google_container_cluster",),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["master_authorized_networks_config"]
        networks = block(conf, "master_authorized_networks_config")
        if networks is None:
            return ["master_authorized_networks_config is missing"]
        found: list[str] = []
        if not is_false(value(networks, "gcp_public_cidrs_access_enabled", None)):
            found.append("master_authorized_networks_config.gcp_public_cidrs_access_enabled is not explicitly false")
        for entry in blocks(networks, "cidr_blocks"):
            cidr = value(entry, "cidr_block", None)
            prefix = cidr_prefix_len(cidr)
            if prefix is None:
                if not (isinstance(cidr, str) and cidr.startswith("${")):
                    found.append(f"cidr_block {cidr!r} is not a CIDR")
            elif prefix < WIDEST_PREFIX:
                found.append(f"cidr_block {cidr} is wider than /{WIDEST_PREFIX}")
        return found


check = GKEMasterAuthorizedNetworks()
