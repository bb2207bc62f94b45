"""Where Terraform runs decides how it reaches the control plane, and which certificate it trusts there.

Issue 12, defects 1 (the cluster CA pinned on the DNS endpoint), 7 (GKE's retired vulnerability scanning)
and 8 (an internal endpoint nobody outside the VPC can reach).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rayfort.config import cross_field_problems
from rayfort.config.derived import (
    control_plane_access,
    export_routes_to_control_plane,
    private_endpoint_global_access,
)
from tests.conftest import environment, resources
from tests.gke.variants import DEV, build, dev_with


def _connections(tf: dict) -> Iterator[dict]:
    """Every provider block that connects to the API server: kubernetes, and helm's nested kubernetes."""
    providers = tf.get("provider", {})
    yield from providers.get("kubernetes", [])
    for helm in providers.get("helm", []):
        yield helm["kubernetes"]


def _cluster(tf: dict) -> dict:
    (cluster,) = resources(tf, "google_container_cluster")
    return cluster


def _problems(data: dict) -> dict[str, str]:
    from rayfort.config import Environment

    return {
        ".".join(str(p) for p in problem.path): problem.message
        for problem in cross_field_problems(Environment.model_validate(data))
    }


def _with_deployer(**deployer) -> dict:
    data = dev_with()
    data["deployer"] = {**data["deployer"], **deployer}
    return data


# --- defect 1: trust ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "own_ip"), [("dev", True), ("airgapped", True), ("prod", False)])
def test_the_cluster_ca_is_pinned_only_on_the_clusters_own_ip_endpoint(synthesized, name: str, own_ip: bool) -> None:
    """The DNS endpoint serves a publicly trusted certificate: a pinned cluster CA would fail the handshake."""
    in_cluster = {stack: tf for stack, tf in synthesized[name].items() if "kubernetes" in tf.get("provider", {})}
    # The shared edge talks to the cluster too, where some tenant publishes a dashboard (airgapped has none).
    published = any(t.exposure.iap.enabled for t in environment(name).tenants)
    assert {"kuberay", *(["exposure"] if published else [])} <= set(in_cluster)
    assert any(s.startswith("tenant-") for s in in_cluster)
    for stack, tf in in_cluster.items():
        blocks = list(_connections(tf))
        # Only the kuberay stack installs charts, so only it has a helm provider too.
        assert len(blocks) == (2 if stack == "kuberay" else 1), stack
        for block in blocks:
            assert ("private_cluster_config0private_endpoint" in block["host"]) is own_ip, (stack, block)
            assert ("dns_endpoint_config0endpoint" in block["host"]) is not own_ip, (stack, block)
            assert ("cluster_ca_certificate" in block) is own_ip, (stack, block)
            if own_ip:
                assert "master_auth0cluster_ca_certificate" in block["cluster_ca_certificate"]


# --- defect 7: vulnerability scanning ----------------------------------------------------------


@pytest.mark.parametrize("name", ["dev", "prod", "airgapped"])
def test_images_are_scanned_in_artifact_registry_and_gke_asks_for_no_retired_tier(synthesized, name: str) -> None:
    gke = synthesized[name]["gke"]
    posture = _cluster(gke)["security_posture_config"]
    assert posture == {"mode": "BASIC", "vulnerability_mode": "VULNERABILITY_DISABLED"}
    # Exactly one stack enables the scanning API in the cluster's project: the mirror's where this app
    # creates one there (it is deployed first), else gke's.
    owners = [
        (stack, s)
        for stack, tf in synthesized[name].items()
        for s in resources(tf, "google_project_service")
        if s["service"] == "containerscanning.googleapis.com" and s["project"] == environment(name).project_id
    ]
    mirror = environment(name).registry_mirror
    assert [stack for stack, _ in owners] == ["mirror" if mirror is not None and mirror.create else "gke"]
    assert owners[0][1]["disable_on_destroy"] is False


def test_gke_enterprise_workload_scanning_is_an_opt_in(synth_gke) -> None:
    gke = synth_gke(build(dev_with(vulnerability_scanning="enterprise")))
    assert _cluster(gke)["security_posture_config"]["vulnerability_mode"] == "VULNERABILITY_ENTERPRISE"
    assert not [s for s in resources(gke, "google_project_service") if s["service"].startswith("containerscanning")]


def test_the_retired_basic_tier_cannot_be_asked_for() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="artifact_registry"):
        build(dev_with(vulnerability_scanning="basic"))


# --- defect 8: where Terraform runs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("deployer", "cluster", "access"),
    [
        ({"runs_in": "vpc"}, {}, "internal_ip"),
        ({"runs_in": "on_premises", "source_ranges": ["10.200.0.0/24"]}, {}, "internal_ip"),
        ({"runs_in": "outside"}, {}, "dns_endpoint"),
        ({"runs_in": "outside"}, {"control_plane_access": "connect_gateway"}, "connect_gateway"),
        ({"runs_in": "on_premises"}, {"control_plane_access": "dns_endpoint"}, "dns_endpoint"),
    ],
)
def test_the_endpoint_follows_from_where_terraform_runs(deployer: dict, cluster: dict, access: str) -> None:
    data = dev_with(**cluster)
    data["deployer"] = {"service_accounts": DEV["deployer"]["service_accounts"], **deployer}
    # The DNS endpoint needs an enforced perimeter; a runner outside calls from public addresses (a level).
    data["network"]["service_controls"] = {
        "access_policy_id": "1",
        "enforce": True,
        "access_levels": [{"name": "runners", "ip_subnetworks": ["203.0.113.0/24"]}],
    }
    if deployer["runs_in"] == "outside":
        data["deployer"]["perimeter_sources"] = ["runners"]
    env = build(data)
    assert control_plane_access(env) == access
    assert export_routes_to_control_plane(env) is (access == "internal_ip" and deployer["runs_in"] == "on_premises")


def test_the_default_is_the_internal_endpoint_without_global_access_or_exported_routes() -> None:
    data = dev_with()
    del data["deployer"]
    env = build(data)
    assert control_plane_access(env) == "internal_ip"
    assert not private_endpoint_global_access(env) and not export_routes_to_control_plane(env)


@pytest.mark.parametrize("name", ["dev", "airgapped"])
def test_on_premises_runners_reach_the_internal_endpoint_through_exported_routes(synthesized, name: str) -> None:
    """dev and airgapped run Terraform on premises: their ranges are authorized and routed back to them."""
    env = environment(name)
    gke = synthesized[name]["gke"]
    cluster = _cluster(gke)
    assert cluster["private_cluster_config"]["enable_private_endpoint"] is True
    assert cluster["control_plane_endpoints_config"]["dns_endpoint_config"]["allow_external_traffic"] is False
    authorized = {b["cidr_block"] for b in cluster["master_authorized_networks_config"]["cidr_blocks"]}
    assert set(env.deployer.source_ranges) <= authorized
    (routes,) = resources(gke, "google_compute_network_peering_routes_config")
    (address,) = gke["resource"]["google_container_cluster"]
    assert routes["peering"] == f"${{google_container_cluster.{address}.private_cluster_config[0].peering_name}}"
    assert routes["export_custom_routes"] is True and routes["import_custom_routes"] is False
    assert "networkvpc" in routes["network"] and routes["network"].endswith(", 4)}")
    # The runners' traffic enters in the cluster's region: no global access.
    assert cluster["private_cluster_config"]["master_global_access_config"] == {"enabled": False}


def test_the_dns_endpoint_needs_no_routes_and_admits_external_traffic(synthesized) -> None:
    gke = synthesized["prod"]["gke"]
    assert resources(gke, "google_compute_network_peering_routes_config") == []
    assert _cluster(gke)["control_plane_endpoints_config"]["dns_endpoint_config"]["allow_external_traffic"] is True


def test_a_runner_entering_from_another_region_gets_global_access(synth_gke) -> None:
    gke = synth_gke(build(_with_deployer(region="europe-west4")))
    assert _cluster(gke)["private_cluster_config"]["master_global_access_config"] == {"enabled": True}


def test_a_runner_range_already_authorized_is_listed_once(synth_gke) -> None:
    gke = synth_gke(build(_with_deployer(source_ranges=["10.200.0.0/24", "10.210.0.0/24"])))
    blocks = _cluster(gke)["master_authorized_networks_config"]["cidr_blocks"]
    cidrs = [b["cidr_block"] for b in blocks]
    assert cidrs.count("10.200.0.0/24") == 1
    assert {"cidr_block": "10.210.0.0/24", "display_name": "terraform-runner"} in blocks


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (
            lambda d: (
                d["deployer"].update(runs_in="outside", source_ranges=[]),
                d["cluster"].update(control_plane_access="internal_ip"),
            ),
            "cluster.control_plane_access",
            "cannot be reached by Terraform running outside the VPC",
        ),
        (
            lambda d: d["deployer"].update(source_ranges=[]),
            "deployer.source_ranges",
            "is required for a runner on premises",
        ),
        (
            lambda d: d["deployer"].update(runs_in="outside"),
            "deployer.source_ranges",
            "applies only to a runner in the VPC or on premises",
        ),
    ],
)
def test_combinations_that_cannot_reach_the_control_plane_are_refused(change, field: str, says: str) -> None:
    data = dev_with()
    change(data)
    problems = _problems(data)
    assert field in problems and says in problems[field], problems
