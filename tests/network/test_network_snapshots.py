"""Snapshots of the network stack: each egress mode, Shared VPC, VPC-SC dry-run and enforced, managed org policies."""

from __future__ import annotations

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.network.conftest import shared_vpc_variant, variant

VARIANTS = {
    "nat-dry-run": variant(),
    "airgapped": variant(network={"egress": "none"}, registry_mirror={}),
    "shared-vpc": shared_vpc_variant(),
    "vpc-sc-enforced": variant(
        network={
            "service_controls": {
                "enforce": True,
                "access_policy_id": "987654321",
                "access_levels": [{"name": "corp", "ip_subnetworks": ["203.0.113.0/24"]}],
                "ingress_policies": [
                    {
                        "identities": ["group:ray-ops@example.com"],
                        "services": ["container.googleapis.com"],
                        "resources": ["projects/111111111111"],
                        "access_level": "corp",
                    }
                ],
            }
        }
    ),
    "org-policies-managed": variant(
        org_policies={
            "enforced": ["gcp.resourceLocations", "compute.requireShieldedVm", "gcp.restrictNonCmekServices"],
            "allowed_locations": ["in:europe-locations"],
            "manage": True,
        }
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_network_stack_snapshot(synth_network, snapshot, name: str) -> None:
    assert synth_network(VARIANTS[name]) == snapshot.use_extension(JSONSnapshotExtension)(name=name)
