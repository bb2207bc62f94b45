"""Shared VPC mode (issue 20.1): rayfort reads the host, joins its network team's perimeter, changes nothing there.

The network-stack tests use the minimal base of ``tests.network.conftest``; the
variant tests synthesize the judged ``environments/variants/dev-shared-vpc.yaml``
once and scan every stack.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from rayfort.config import Environment
from tests.conftest import resources
from tests.environments import refused, shipped, shipped_with
from tests.network.conftest import JOINED, SHARED_VPC, build, messages, shared_vpc_variant, variant

HOST = SHARED_VPC["host_project_id"]
VARIANT = "variants/dev-shared-vpc"
VARIANT_HOST = "netteam-host-000000"
# Resource types that change who may do what, what traffic passes, which names resolve where, or a perimeter.
HOST_FORBIDDEN = re.compile(
    r"_iam_|^google_compute_(firewall|network_peering|route|router|shared_vpc)|^google_dns_|"
    r"^google_access_context_manager_|^google_compute_network_firewall_policy"
)


# --- what the environment refuses ------------------------------------------


def test_the_shared_vpc_base_is_valid() -> None:
    assert messages(shared_vpc_variant()) == []


@pytest.mark.parametrize(
    ("setting", "value", "where"),
    [
        ("subnet_cidr", "10.10.0.0/20", "the host's subnet, read from shared_vpc.subnetwork"),
        ("pods_cidr", "10.20.0.0/16", "shared_vpc.pods_range"),
        ("services_cidr", "10.30.0.0/20", "shared_vpc.services_range"),
        ("private_services_cidr", "10.40.0.0/20", "shared_vpc.private_services_range"),
    ],
)
def test_own_vpc_ranges_are_refused_one_message_each(setting: str, value: str, where: str) -> None:
    assert messages(shared_vpc_variant(network={setting: value})) == [
        f"network.{setting}: is a range of rayfort's own VPC; with shared_vpc the host's is used ({where}); remove it"
    ]


def test_settings_of_host_resources_are_refused() -> None:
    found = messages(shared_vpc_variant(network={"internet_egress": {"allowed_fqdns": ["pypi.org"]}}))
    assert found == [
        "network.internet_egress: is decided by the Shared VPC host project's network team, not here; "
        "remove it or drop shared_vpc"
    ]


def test_host_must_be_another_project() -> None:
    found = messages(shared_vpc_variant(network={"shared_vpc": {"host_project_id": "rayfort-net-000000"}}))
    assert found == [
        "network.shared_vpc.host_project_id: is the cluster project itself; allowed: a separate Shared VPC host project"
    ]


def test_a_perimeter_of_rayforts_own_is_refused() -> None:
    data = shared_vpc_variant()
    del data["network"]["service_controls"]["join"]
    (found,) = messages(data)
    assert found.startswith("network.service_controls.join: is required with shared_vpc: the host project already")
    assert "allowed: {name: <that perimeter's name>}" in found


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("enforce", True),
        ("extra_restricted_services", ["bigquery.googleapis.com"]),
        ("access_levels", [{"name": "corp", "ip_subnetworks": ["203.0.113.0/24"]}]),
        (
            "ingress_policies",
            [
                {
                    "identities": ["user:a@example.com"],
                    "services": ["storage.googleapis.com"],
                    "resources": ["projects/1"],
                }
            ],
        ),
    ],
)
def test_own_perimeter_settings_are_refused_in_a_joined_perimeter(setting: str, value: Any) -> None:
    found = messages(shared_vpc_variant(network={"service_controls": {setting: value}}))
    assert found == [
        f"network.service_controls.{setting}: configures a perimeter rayfort owns; a joined perimeter is configured "
        "by its network team (who admit the deployer and decide enforcement), so remove it or drop "
        "service_controls.join"
    ]


def test_the_deployers_perimeter_sources_are_refused_in_a_joined_perimeter() -> None:
    found = messages(shared_vpc_variant(deployer={"perimeter_sources": ["projects/123"]}))
    assert len(found) == 1 and found[0].startswith("deployer.perimeter_sources: shapes the ingress policy")


def test_the_private_vip_is_refused_inside_a_perimeter() -> None:
    found = messages(shared_vpc_variant(network={"shared_vpc": {"google_apis_vip": "private"}}))
    assert found == [
        "network.shared_vpc.google_apis_vip: reaches Google APIs outside the perimeter's restricted VIP; allowed: "
        "restricted (the host's DNS must answer *.googleapis.com with restricted.googleapis.com)"
    ]


def test_route_export_to_the_control_plane_would_change_the_host_and_is_refused() -> None:
    (found,) = messages(shared_vpc_variant(deployer={"runs_in": "on_premises", "source_ranges": ["10.200.0.0/24"]}))
    assert found.startswith("deployer.runs_in: reaches the internal IP endpoint only if GKE's peering in the host's")
    ok = shared_vpc_variant(
        deployer={"runs_in": "on_premises", "source_ranges": ["10.200.0.0/24"]},
        cluster={"control_plane_access": "connect_gateway"},
    )
    assert messages(ok) == []


def test_the_dns_endpoint_is_refused_with_advice_that_fits_a_joined_perimeter() -> None:
    (found,) = messages(shared_vpc_variant(cluster={"control_plane_access": "dns_endpoint"}))
    assert found.startswith("cluster.control_plane_access: needs an enforced VPC Service Controls perimeter")
    assert found.endswith(
        "a joined perimeter's enforcement is not rayfort's to guarantee; use internal_ip or connect_gateway"
    )


def test_host_ranges_must_not_overlap_the_control_plane() -> None:
    found = messages(shared_vpc_variant(network={"control_plane_cidr": "10.68.0.0/28"}))
    assert found == [
        "network.control_plane_cidr: overlaps network.shared_vpc.services_range.cidr (10.68.0.0/20); "
        "every range must be disjoint"
    ]


@pytest.mark.parametrize("required", ["pods_range", "services_range", "private_services_range", "google_apis_vip"])
def test_the_hosts_ranges_and_vip_are_required_inputs(tmp_path: Path, required: str) -> None:
    data = shipped(VARIANT)
    del data["network"]["shared_vpc"][required]
    message = refused(tmp_path, data)
    assert f"network.shared_vpc.{required}" in message and "required" in message.lower()
    assert "env.yaml" in message and "line" in message


def test_a_host_range_is_validated_with_file_line_and_field(tmp_path: Path) -> None:
    data = shipped_with(VARIANT, {"network": {"shared_vpc": {"pods_range": {"name": "Pods!", "cidr": "10.64.0.0/14"}}}})
    message = refused(tmp_path, data)
    assert "network.shared_vpc.pods_range.name" in message and "Pods!" in message and "line" in message


# --- the network stack -----------------------------------------------------


@pytest.mark.parametrize("egress", ["nat", "none"])
def test_shared_vpc_network_stack_creates_nothing_in_the_host(synth_network, egress: str) -> None:
    """Whether the host's VPC has internet egress or not, its NAT, routes and DNS are the network team's."""
    tf = synth_network(shared_vpc_variant(network={"egress": egress}))
    created = {kind for kind in tf["resource"] if kind != "terraform_data"}
    assert created == {"google_access_context_manager_service_perimeter_resource"}
    assert HOST not in json.dumps(tf["resource"])
    assert "output" in tf and "dns-zone-names" not in tf["output"]


def test_the_host_is_read_and_each_declared_range_checked_at_plan_time(synth_network) -> None:
    data = synth_network(shared_vpc_variant())["data"]
    (subnet,) = data["google_compute_subnetwork"].values()
    assert (subnet["project"], subnet["name"], subnet["region"]) == (HOST, "ray-nodes", "europe-west4")
    conditions = [c["condition"] for c in subnet["lifecycle"]["postcondition"]]
    assert any('"ray-pods"' in c and '"10.64.0.0/14"' in c for c in conditions)
    assert any('"ray-services"' in c and '"10.68.0.0/20"' in c for c in conditions)
    (psa,) = data["google_compute_global_address"].values()
    assert (psa["project"], psa["name"]) == (HOST, "hub-private-services")
    (condition,) = psa["lifecycle"]["postcondition"]
    assert condition["condition"] == (
        '${self.purpose == "VPC_PEERING" && self.address == "10.72.0.0" && self.prefix_length == 16}'
    )
    assert "network.shared_vpc.private_services_range" in condition["error_message"]


def test_only_rayforts_projects_join_the_network_teams_perimeter(synth_network) -> None:
    tf = synth_network(
        shared_vpc_variant(cluster={"kms": {"create": {"project_id": "rayfort-kms-000000"}}}),
    )
    members = resources(tf, "google_access_context_manager_service_perimeter_resource")
    assert {m["perimeter_name"] for m in members} == {f"accessPolicies/444444444/servicePerimeters/{JOINED['name']}"}
    projects = {m["resource"].split("perimeter-project-")[1].split(".")[0] for m in members}
    assert projects == {"rayfort-net-000000", "rayfort-kms-000000"}
    assert "google_project" in tf["data"] and f"perimeter-project-{HOST}" not in tf["data"]["google_project"]
    assert resources(tf, "google_access_context_manager_service_perimeter") == []
    assert resources(tf, "google_access_context_manager_service_perimeter_dry_run_resource") == []


def test_a_perimeter_with_an_explicit_dry_run_spec_gets_the_projects_there_too(synth_network) -> None:
    tf = synth_network(shared_vpc_variant(network={"service_controls": {"join": {"dry_run": True}}}))
    (enforced,) = resources(tf, "google_access_context_manager_service_perimeter_resource")
    (dry_run,) = resources(tf, "google_access_context_manager_service_perimeter_dry_run_resource")
    assert dry_run["resource"] == enforced["resource"] and dry_run["perimeter_name"] == enforced["perimeter_name"]


def test_membership_as_a_prerequisite_leaves_the_perimeter_alone(synth_network) -> None:
    tf = synth_network(shared_vpc_variant(network={"service_controls": {"join": {"membership": "prerequisite"}}}))
    assert not [kind for kind in tf["resource"] if kind.startswith("google_access_context_manager")]


def test_references_carry_the_hosts_ranges() -> None:
    from rayfort._cdk import App
    from stacks.app import network_stack

    refs = network_stack(App(), build(shared_vpc_variant())).refs
    assert (refs.pods_range_name, refs.services_range_name) == ("ray-pods", "ray-services")
    assert (refs.private_services_cidr, refs.private_services_range) == ("10.72.0.0/16", "hub-private-services")
    assert refs.google_apis_cidr == "199.36.153.4/30"


# --- the judged variant, every stack ---------------------------------------


@pytest.fixture(scope="module")
def variant_outdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Environment, Path]:
    from tests.app import synthesize
    from tests.environments import loaded

    root = tmp_path_factory.mktemp("shared-vpc")
    env = loaded(root, shipped(VARIANT))
    synthesize(env, root / "cdktf.out")
    return env, root / "cdktf.out"


@pytest.fixture(scope="module")
def variant_stacks(variant_outdir) -> tuple[Environment, dict[str, dict]]:
    from tests.conftest import stacks_in

    env, outdir = variant_outdir
    return env, stacks_in(outdir)


def _host_data_sources(stacks: dict[str, dict]) -> dict[str, set[str]]:
    """{stack: addresses of its data sources that read the host project}."""
    found: dict[str, set[str]] = {}
    for name, tf in stacks.items():
        for kind, items in tf.get("data", {}).items():
            for local, body in items.items():
                if body.get("project") == VARIANT_HOST:
                    found.setdefault(name, set()).add(f"data.{kind}.{local}")
    return found


def _host_touches(stacks: dict[str, dict]) -> list[str]:
    """Every resource that names the host project, or is of a forbidden kind and acts on the host's network."""
    found = []
    for name, tf in stacks.items():
        for kind, items in tf.get("resource", {}).items():
            for local, body in items.items():
                text = json.dumps(body)
                if VARIANT_HOST in text:
                    found.append(f"{name}: {kind}.{local} names the host project")
                elif HOST_FORBIDDEN.search(kind) and "shared-vpc_" in text:
                    found.append(f"{name}: {kind}.{local} acts on the host's network")
    return found


def test_no_resource_of_any_stack_touches_the_host(variant_stacks) -> None:
    """Issue 20.1: no perimeter, IAM, firewall, route or DNS resource in the host; the host id appears only in reads."""
    env, stacks = variant_stacks
    assert env.network.shared_vpc is not None and env.network.shared_vpc.host_project_id == VARIANT_HOST
    assert set(_host_data_sources(stacks)) == {"network"}, "only the network stack reads the host"
    assert _host_touches(stacks) == []


def test_the_host_scan_finds_a_grant_or_a_rule_in_the_host(variant_stacks) -> None:
    """The scan above can fail: the grant rayfort used to make, and a firewall rule on the host's network."""
    _, stacks = variant_stacks
    network = copy.deepcopy(stacks["network"])
    (network_id,) = network["data"]["google_compute_network"]
    network["resource"]["google_project_iam_member"] = {
        "grant": {"project": VARIANT_HOST, "role": "roles/container.hostServiceAgentUser", "member": "x"}
    }
    network["resource"]["google_compute_firewall"] = {
        "rule": {"name": "r", "network": f"${{data.google_compute_network.{network_id}.id}}"}
    }
    found = _host_touches({**stacks, "network": network})
    assert found == [
        "network: google_project_iam_member.grant names the host project",
        "network: google_compute_firewall.rule acts on the host's network",
    ]


def test_the_host_is_used_only_where_gke_redis_and_addresses_attach_to_it(variant_stacks) -> None:
    """Resources that reference the host's network or subnet only attach to it: they are not in the host."""
    _, stacks = variant_stacks
    users = set()
    for tf in stacks.values():
        for kind, items in tf.get("resource", {}).items():
            for body in items.values():
                if "shared-vpc_" in json.dumps({k: v for k, v in body.items() if k != "//"}):
                    users.add(kind)
    assert users <= {"google_container_cluster", "google_redis_instance", "google_compute_address"}, users
    assert {"google_container_cluster", "google_redis_instance"} <= users


def test_tenant_policies_use_the_hosts_ranges(variant_stacks) -> None:
    env, stacks = variant_stacks
    shared = env.network.shared_vpc
    assert shared is not None
    for tenant in env.tenants:
        tf = stacks[f"tenant-{tenant.name}"]
        policies = {
            body["manifest"]["metadata"]["name"]: body["manifest"]["spec"]
            for body in resources(tf, "kubernetes_manifest")
            if body["manifest"]["kind"] == "NetworkPolicy"
        }
        redis = policies["ray-head-redis-egress"]["egress"][0]["to"]
        assert redis == [{"ipBlock": {"cidr": shared.private_services_range.cidr}}]
        google = policies["ray-google-egress"]["egress"][0]["to"]
        assert google == [{"ipBlock": {"cidr": "199.36.153.4/30"}}]
        everything = json.dumps(policies)
        assert env.network.private_services_cidr not in everything, "rayfort's own default range leaked in"
        (instance,) = resources(tf, "google_redis_instance")
        assert instance["reserved_ip_range"] == shared.private_services_range.name
        if tenant.exposure.iap.enabled:
            checks = policies["ray-dashboard-health-checks"]["ingress"][0]["from"]
            assert checks == [{"ipBlock": {"cidr": "35.191.0.0/16"}}, {"ipBlock": {"cidr": "130.211.0.0/22"}}]


def test_the_variant_is_judged_by_default() -> None:
    from rayfort_tools.judges import runner

    assert "environments/variants/dev-shared-vpc.yaml" in runner.VARIANTS


def test_the_own_vpc_environments_are_unchanged_in_kind(synth_network) -> None:
    """Own-VPC mode keeps its own perimeter, firewall and private service access."""
    tf = synth_network(variant())
    assert resources(tf, "google_access_context_manager_service_perimeter")
    assert resources(tf, "google_access_context_manager_service_perimeter_resource") == []
    assert resources(tf, "google_service_networking_connection")


def test_the_deployability_judge_finds_no_change_to_the_host(variant_outdir) -> None:
    """The judge's foreign-network check reads the host off the data sources, by kind, and passes the variant."""
    from rayfort_tools.judges.deployability import Deployment, foreign_network

    _, outdir = variant_outdir
    deployment = Deployment.from_outdir(outdir)
    projects, _ = foreign_network.foreign_networks(deployment)
    assert projects == {VARIANT_HOST}
    outcomes = list(foreign_network.check(deployment))
    assert outcomes and all(outcome.passed for outcome in outcomes)


def test_the_deployability_judge_fails_a_grant_or_a_rule_in_the_host(variant_outdir) -> None:
    """A grant in the host project, and a firewall rule on its network from another stack (through remote state)."""
    from rayfort_tools.judges.deployability import Deployment, foreign_network

    _, outdir = variant_outdir
    read = Deployment.from_outdir(outdir)
    stacks = copy.deepcopy({name: stack.tf for name, stack in read.stacks.items()})
    stacks["network"]["resource"]["google_project_iam_member"] = {
        "grant": {"project": VARIANT_HOST, "role": "roles/container.hostServiceAgentUser", "member": "x"}
    }
    tenant = stacks["tenant-team-a"]
    (redis,) = tenant["resource"]["google_redis_instance"].values()
    tenant["resource"]["google_compute_firewall"] = {"rule": {"name": "r", "network": redis["authorized_network"]}}
    failed = [o for o in foreign_network.check(Deployment(stacks, read.dependencies)) if not o.passed]
    assert [(o.stack, o.address) for o in failed] == [
        ("network", "google_project_iam_member.grant"),
        ("tenant-team-a", "google_compute_firewall.rule"),
    ]
    assert "changes project netteam-host-000000" in failed[0].problem
