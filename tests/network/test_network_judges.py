"""checkov (built-in checks and rayfort's policies) on the network stack in every mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rayfort_tools.judges.checkov import CheckovUnavailable, run_checkov
from tests.network.conftest import shared_vpc_variant, variant

MODES = {
    "nat": variant(network={"iap_tcp_forwarding": True}),
    "airgapped": variant(network={"egress": "none"}, registry_mirror={}),
    "shared-vpc": shared_vpc_variant(),
    "enforced": variant(network={"service_controls": {"enforce": True, "access_policy_id": "987654321"}}),
}


@pytest.fixture(scope="module")
def checkov_result(synth_network, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("network-checkov")
    for mode, data in MODES.items():
        stack_dir = root / mode
        stack_dir.mkdir()
        (stack_dir / "cdk.tf.json").write_text(json.dumps(synth_network(data), indent=2))
    try:
        return run_checkov([root]), root
    except CheckovUnavailable as exc:
        pytest.skip(str(exc))


def test_no_check_fails_on_the_network_stack(checkov_result) -> None:
    result, root = checkov_result
    assert result.failures == [], "\n".join(f.describe(root) for f in result.failures)


@pytest.mark.parametrize(
    ("check_id", "resource_type"),
    [
        ("CKV_GCP_26", "google_compute_subnetwork"),
        ("CKV_GCP_74", "google_compute_subnetwork"),
        ("CKV2_GCP_18", "google_compute_network"),
        ("CKV2_GCP_12", "google_compute_firewall"),
        ("CKV_RAYFORT_11", "google_access_context_manager_service_perimeter"),
    ],
)
def test_network_checks_pass(checkov_result, check_id: str, resource_type: str) -> None:
    result, _ = checkov_result
    findings = [f for f in result.for_check(check_id) if f.resource.startswith(f"{resource_type}.")]
    assert findings and all(f.result == "PASSED" for f in findings)
    if check_id == "CKV_RAYFORT_11":
        # A Shared VPC joins its network team's perimeter: the perimeter judged is theirs, not in our stacks.
        assert {Path(f.file).parent.name for f in findings} == set(MODES) - {"shared-vpc"}
