"""VPC Service Controls: always a dry-run spec; enforcing copies it to status."""

from __future__ import annotations

import pytest

from rayfort.network.service_perimeter import REQUIRED_RESTRICTED_SERVICES
from tests.conftest import resources
from tests.network.conftest import messages, variant

ISSUE_SERVICES = {
    "container",
    "containerfilesystem",
    "containersecurity",
    "artifactregistry",
    "storage",
    "cloudkms",
    "logging",
    "monitoring",
    "iam",
    "iamcredentials",
    "sts",
    "secretmanager",
    "redis",
    "dns",
    "compute",
    "binaryauthorization",
    "containeranalysis",
    "gkehub",
    "gkeconnect",
    "connectgateway",
}
CONTROLS = {
    "access_levels": [{"name": "corp", "ip_subnetworks": ["203.0.113.0/24"], "regions": ["NL"]}],
    "ingress_policies": [
        {
            "identities": ["group:ray-ops@example.com"],
            "services": ["container.googleapis.com"],
            "resources": ["projects/111111111111"],
            "access_level": "corp",
        }
    ],
    "egress_policies": [
        {
            "identities": ["serviceAccount:export@rayfort-net-000000.iam.gserviceaccount.com"],
            "services": ["storage.googleapis.com"],
            "resources": ["projects/222222222222"],
        }
    ],
}


def _perimeter(tf: dict) -> dict:
    (perimeter,) = resources(tf, "google_access_context_manager_service_perimeter")
    return perimeter


def test_required_services_cover_the_issue_list() -> None:
    assert ISSUE_SERVICES <= {service.removesuffix(".googleapis.com") for service in REQUIRED_RESTRICTED_SERVICES}


def test_default_is_a_dry_run_regular_perimeter_in_the_existing_policy(synth_network) -> None:
    tf = synth_network(variant())
    assert resources(tf, "google_access_context_manager_access_policy") == []
    perimeter = _perimeter(tf)
    assert perimeter["parent"] == "accessPolicies/444444444"
    assert perimeter["perimeter_type"] == "PERIMETER_TYPE_REGULAR"
    assert perimeter["use_explicit_dry_run_spec"] is True
    assert "status" not in perimeter
    spec = perimeter["spec"]
    assert set(REQUIRED_RESTRICTED_SERVICES) <= set(spec["restricted_services"])
    assert spec["vpc_accessible_services"] == {"enable_restriction": True, "allowed_services": ["RESTRICTED-SERVICES"]}
    assert spec["resources"] == ["projects/${data.google_project.perimeter-project-rayfort-net-000000.number}"]


def test_enforced_perimeter_keeps_the_spec_and_enforces_the_same_configuration(synth_network) -> None:
    tf = synth_network(
        variant(
            network={
                "service_controls": {
                    "enforce": True,
                    "access_policy_id": "987654321",
                    "extra_restricted_services": ["bigquery.googleapis.com"],
                    **CONTROLS,
                }
            }
        )
    )
    assert resources(tf, "google_access_context_manager_access_policy") == []
    perimeter = _perimeter(tf)
    assert perimeter["parent"] == "accessPolicies/987654321"
    assert perimeter["name"].startswith("accessPolicies/987654321/servicePerimeters/rayfort_net")
    assert perimeter["use_explicit_dry_run_spec"] is True
    assert perimeter["status"] == perimeter["spec"]
    assert "bigquery.googleapis.com" in perimeter["status"]["restricted_services"]


def test_access_levels_and_rules_come_from_the_environment(synth_network) -> None:
    tf = synth_network(variant(network={"service_controls": CONTROLS}))
    (level,) = resources(tf, "google_access_context_manager_access_level")
    assert level["basic"]["conditions"] == [{"ip_subnetworks": ["203.0.113.0/24"], "regions": ["NL"]}]
    assert level["name"].endswith("/accessLevels/corp")
    spec = _perimeter(tf)["spec"]
    (ingress,) = spec["ingress_policies"]
    assert ingress["ingress_from"]["identities"] == ["group:ray-ops@example.com"]
    sources = ingress["ingress_from"]["sources"]
    assert sources[0] == {"resource": "projects/111111111111"}
    assert sources[1]["access_level"].startswith("${google_access_context_manager_access_level.")
    assert ingress["ingress_to"]["operations"] == [
        {"service_name": "container.googleapis.com", "method_selectors": [{"method": "*"}]}
    ]
    (egress,) = spec["egress_policies"]
    assert egress["egress_to"]["resources"] == ["projects/222222222222"]


def test_separate_kms_project_is_inside_the_perimeter(synth_network) -> None:
    tf = synth_network(
        variant(cluster={"name": "rayfort-net", "kms": {"create": {"project_id": "rayfort-kms-000000"}}})
    )
    assert _perimeter(tf)["spec"]["resources"] == [
        "projects/${data.google_project.perimeter-project-rayfort-net-000000.number}",
        "projects/${data.google_project.perimeter-project-rayfort-kms-000000.number}",
    ]


@pytest.mark.parametrize(
    ("controls", "expected"),
    [
        ({"access_levels": [{"name": "empty"}]}, "access_levels.0: has no condition"),
        (
            {"access_levels": [{"name": "lan", "ip_subnetworks": ["10.0.0.0/8"]}]},
            "access_levels.0.ip_subnetworks.0: is a private range",
        ),
        (
            {"ingress_policies": [{**CONTROLS["ingress_policies"][0], "access_level": "missing"}]},
            "ingress_policies.0.access_level: is not declared",
        ),
        (
            {"egress_policies": [{**CONTROLS["egress_policies"][0], "identities": ["alice@example.com"]}]},
            "egress_policies.0.identities.0: allowed: an identity starting with",
        ),
        (
            {"egress_policies": [{**CONTROLS["egress_policies"][0], "resources": ["projects/my-project"]}]},
            "egress_policies.0.resources.0: allowed: a project as projects/<project number>",
        ),
    ],
)
def test_bad_perimeter_settings_are_refused(controls: dict, expected: str) -> None:
    found = messages(variant(network={"service_controls": controls}))
    assert any(f"network.service_controls.{expected}" in message for message in found), found
