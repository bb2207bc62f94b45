"""Each organization policy constraint: a configuration that breaks it is refused by name, a compliant one passes."""

from __future__ import annotations

import copy

import pytest

from rayfort.config.org_policy import location_allowed
from rayfort.controls.org_policies import configuration_problems
from tests.conftest import resources
from tests.network.conftest import build, messages, variant

ALL_CONSTRAINTS = [
    "gcp.resourceLocations",
    "compute.requireShieldedVm",
    "compute.requireOsLogin",
    "compute.restrictNonConfidentialComputing",
    "compute.vmExternalIpAccess",
    "gcp.restrictNonCmekServices",
    "gcp.restrictCmekCryptoKeyProjects",
    "iam.disableServiceAccountKeyCreation",
]


def _policies(*enforced: str, **settings: object) -> dict:
    return {"enforced": list(enforced), **settings}


# --- constraints an environment setting can break -------------------------------------------


def test_resource_locations_refuses_a_region_outside_the_list() -> None:
    found = messages(variant(org_policies=_policies("gcp.resourceLocations", allowed_locations=["in:us-locations"])))
    assert "region: is outside constraints/gcp.resourceLocations; allowed: in:us-locations" in found
    assert "zones.0: is outside constraints/gcp.resourceLocations; allowed: in:us-locations" in found


def test_resource_locations_refuses_a_node_zone_outside_a_zone_list() -> None:
    data = variant(
        zones=["europe-west4-a", "europe-west4-b"],
        cluster={"name": "rayfort-net", "node_pools": [{"name": "ray", "zones": ["europe-west4-b"]}]},
        org_policies=_policies("gcp.resourceLocations", allowed_locations=["europe-west4", "europe-west4-a"]),
    )
    found = messages(data)
    assert "zones.1: is outside constraints/gcp.resourceLocations; allowed: europe-west4, europe-west4-a" in found
    assert any(
        m.startswith("cluster.node_pools.0.zones.0: is outside constraints/gcp.resourceLocations") for m in found
    )


@pytest.mark.parametrize(
    "allowed",
    [["in:europe-locations"], ["in:eu-locations"], ["in:europe-west4-locations"], ["europe-west4", "europe-west4-a"]],
)
def test_resource_locations_accepts_a_compliant_environment(allowed: list[str]) -> None:
    assert messages(variant(org_policies=_policies("gcp.resourceLocations", allowed_locations=allowed))) == []


def test_resource_locations_needs_the_list_and_resolvable_groups() -> None:
    assert any(
        "list the allowed locations" in m for m in messages(variant(org_policies=_policies("gcp.resourceLocations")))
    )
    found = messages(variant(org_policies=_policies("gcp.resourceLocations", allowed_locations=["in:mars-locations"])))
    assert any(
        "org_policies.allowed_locations: constraints/gcp.resourceLocations: rayfort cannot resolve" in m for m in found
    )


def test_location_groups() -> None:
    assert location_allowed("europe-west2-a", ["in:europe-locations"])
    assert not location_allowed("europe-west2", ["in:eu-locations"])
    assert location_allowed("us-east1", ["in:northamerica-locations"])
    assert not location_allowed("europe-west4", ["europe-west4-a"])


def test_confidential_computing_refuses_a_pool_without_confidential_nodes() -> None:
    data = variant(
        cluster={"name": "rayfort-net", "node_pools": [{"name": "plain", "confidential_instance_type": None}]},
        org_policies=_policies("compute.restrictNonConfidentialComputing"),
    )
    assert messages(data) == [
        "cluster.node_pools.0.confidential_instance_type: constraints/compute.restrictNonConfidentialComputing is in "
        "force: every node must be a Confidential VM; allowed: SEV, SEV_SNP or TDX"
    ]
    data["cluster"]["node_pools"][0]["confidential_instance_type"] = "SEV_SNP"
    assert messages(data) == []


def test_workload_identity_constraint_is_refused_and_explained() -> None:
    found = messages(variant(org_policies=_policies("iam.disableWorkloadIdentityClusterCreation")))
    assert len(found) == 1
    assert found[0].startswith(
        "org_policies.enforced.0: constraints/iam.disableWorkloadIdentityClusterCreation "
        "cannot be met: rayfort gives every tenant its own Google identity through Workload "
        "Identity"
    )
    assert messages(variant(org_policies=_policies())) == []


def test_cmek_key_projects_refuses_a_key_project_not_allowed() -> None:
    data = variant(
        cluster={"name": "rayfort-net", "kms": {"create": {"project_id": "rayfort-kms-000000"}}},
        org_policies=_policies("gcp.restrictCmekCryptoKeyProjects", allowed_kms_projects=["rayfort-keys-000000"]),
    )
    assert messages(data) == [
        "cluster.kms.create.project_id: supplies a CMEK key from a project "
        "constraints/gcp.restrictCmekCryptoKeyProjects does not allow; allowed: rayfort-keys-000000"
    ]
    data["org_policies"]["allowed_kms_projects"] = ["rayfort-kms-000000"]
    assert messages(data) == []


def test_cmek_key_projects_reads_existing_keys_and_the_default_project() -> None:
    key = "projects/rayfort-other-000000/locations/europe-west4/keyRings/r/cryptoKeys/{}"
    data = variant(
        cluster={
            "name": "rayfort-net",
            "kms": {
                "create": None,
                "existing": {"boot_disk_key": key.format("disk"), "secrets_key": key.format("etcd")},
            },
        },
        registry_mirror={"kms_key": key.format("registry")},
        org_policies=_policies("gcp.restrictCmekCryptoKeyProjects", allowed_kms_projects=["rayfort-net-000000"]),
    )
    found = messages(data)
    assert [m.split(":")[0] for m in found] == [
        "cluster.kms.existing.boot_disk_key",
        "cluster.kms.existing.secrets_key",
        "registry_mirror.kms_key",
    ]
    assert (
        messages(
            variant(
                org_policies=_policies("gcp.restrictCmekCryptoKeyProjects", allowed_kms_projects=["rayfort-net-000000"])
            )
        )
        == []
    )


# --- constraints only the synthesized configuration can break --------------------------------


@pytest.fixture(scope="module")
def compliant(synth_env) -> tuple[object, dict[str, dict]]:
    """Every constraint rayfort can meet declared, and the whole app synthesized from it."""
    data = variant(
        org_policies=_policies(
            *ALL_CONSTRAINTS, allowed_locations=["in:europe-locations"], allowed_kms_projects=["rayfort-net-000000"]
        )
    )
    assert messages(data) == []
    env = build(data)
    return env, synth_env(env)


def test_rayfort_output_meets_every_constraint(compliant) -> None:
    env, stacks = compliant
    assert resources(stacks["gke"], "google_container_node_pool") or resources(
        stacks["gke"], "google_container_cluster"
    )
    assert configuration_problems(env, stacks) == []


class _Counted(dict):
    """Stacks that count how often each is read, as the synth's stacks parse one each time it is read."""

    def __init__(self, stacks: dict) -> None:
        super().__init__(stacks)
        self.reads: dict[str, int] = {}

    def __getitem__(self, name: str) -> dict:
        self.reads[name] = self.reads.get(name, 0) + 1
        return super().__getitem__(name)

    def items(self):  # every value through __getitem__, so no read goes uncounted
        return [(name, self[name]) for name in self]

    def values(self):
        return [self[name] for name in self]


def test_each_stack_is_read_once_whatever_the_constraints_in_force(compliant) -> None:
    env, stacks = compliant
    assert len(env.org_policies.enforced) > 1
    counted = _Counted(stacks)
    configuration_problems(env, counted)
    assert counted.reads == dict.fromkeys(stacks, 1)


def _first(stacks: dict, resource_type: str) -> tuple[str, dict]:
    for stack, tf_json in sorted(stacks.items()):
        for name, body in sorted(tf_json.get("resource", {}).get(resource_type, {}).items()):
            return f"{stack}: {resource_type}.{name}", body
    raise AssertionError(f"no {resource_type}")


@pytest.mark.parametrize(
    ("constraint", "resource_type", "change", "attribute"),
    [
        (
            "compute.requireShieldedVm",
            "google_container_node_pool",
            lambda r: r["node_config"]["shielded_instance_config"].update(enable_secure_boot=False),
            "node_config.shielded_instance_config.enable_secure_boot is not true",
        ),
        (
            "compute.requireOsLogin",
            "google_container_cluster",
            lambda r: r["private_cluster_config"].update(enable_private_nodes=False),
            "private_cluster_config.enable_private_nodes is not true",
        ),
        (
            "compute.vmExternalIpAccess",
            "google_container_cluster",
            lambda r: r["private_cluster_config"].update(enable_private_nodes=False),
            "private_cluster_config.enable_private_nodes is not true",
        ),
        (
            "compute.restrictNonConfidentialComputing",
            "google_container_node_pool",
            lambda r: r["node_config"].pop("confidential_nodes"),
            "node_config.confidential_nodes.enabled is not true",
        ),
        (
            "gcp.restrictNonCmekServices",
            "google_container_node_pool",
            lambda r: r["node_config"].pop("boot_disk_kms_key"),
            "node_config.boot_disk_kms_key is not set",
        ),
    ],
)
def test_a_configuration_breaking_a_constraint_is_refused(
    compliant, constraint, resource_type, change, attribute
) -> None:
    env, stacks = compliant
    broken = copy.deepcopy(stacks)
    address, body = _first(broken, resource_type)
    change(body)
    expected = f"constraints/{constraint} is in force: {address}: {attribute}"
    assert any(problem.startswith(expected) for problem in configuration_problems(env, broken))


def test_a_bucket_without_cmek_is_refused(compliant) -> None:
    env, stacks = compliant
    broken = copy.deepcopy(stacks)
    broken["network"].setdefault("resource", {})["google_storage_bucket"] = {"logs": {"name": "logs"}}
    assert any(
        problem.startswith(
            "constraints/gcp.restrictNonCmekServices is in force: network: google_storage_bucket.logs: "
            "encryption.default_kms_key_name is not set"
        )
        and "(RF019;" in problem
        for problem in configuration_problems(env, broken)
    )


def test_a_secret_without_cmek_is_refused(compliant) -> None:
    env, stacks = compliant
    broken = copy.deepcopy(stacks)
    replicas = {"replicas": [{"location": "europe-west4"}]}
    secret = {"secret_id": "token", "replication": {"user_managed": replicas}}
    broken["network"].setdefault("resource", {})["google_secret_manager_secret"] = {"token": secret}
    assert any(
        problem.startswith(
            "constraints/gcp.restrictNonCmekServices is in force: network: google_secret_manager_secret.token: "
            "replication.user_managed.replicas.customer_managed_encryption.kms_key_name is not set"
        )
        and "(RF033;" in problem
        for problem in configuration_problems(env, broken)
    )


def test_a_service_account_key_is_refused(compliant) -> None:
    env, stacks = compliant
    broken = copy.deepcopy(stacks)
    broken["gke"]["resource"]["google_service_account_key"] = {"nodes": {"service_account_id": "x"}}
    (problem,) = configuration_problems(env, broken)
    assert problem.startswith(
        "constraints/iam.disableServiceAccountKeyCreation is in force: gke: google_service_account_key.nodes: "
        "(resource) service account keys are long-lived credentials"
    )
    assert "RF016" in problem


def test_undeclared_constraints_are_not_checked(compliant) -> None:
    _, stacks = compliant
    broken = copy.deepcopy(stacks)
    broken["gke"]["resource"]["google_service_account_key"] = {"nodes": {"service_account_id": "x"}}
    assert configuration_problems(build(variant()), broken) == []


# --- setting the constraints on the project ---------------------------------------------------


def test_managed_policies_set_each_enforced_constraint(synth_network) -> None:
    tf = synth_network(
        variant(
            org_policies=_policies(
                *ALL_CONSTRAINTS,
                allowed_locations=["in:europe-locations"],
                allowed_kms_projects=["rayfort-net-000000"],
                manage=True,
            )
        )
    )
    policies = {body["name"].rsplit("/", 1)[1]: body for body in resources(tf, "google_org_policy_policy")}
    assert set(policies) == set(ALL_CONSTRAINTS)
    assert all(body["parent"] == "projects/rayfort-net-000000" for body in policies.values())
    rules = {name: body["spec"]["rules"] for name, body in policies.items()}
    assert rules["compute.requireShieldedVm"] == [{"enforce": "TRUE"}]
    assert rules["gcp.resourceLocations"] == [{"values": {"allowed_values": ["in:europe-locations"]}}]
    assert rules["gcp.restrictCmekCryptoKeyProjects"] == [
        {"values": {"allowed_values": ["under:projects/rayfort-net-000000"]}}
    ]
    assert rules["compute.vmExternalIpAccess"] == [{"deny_all": "TRUE"}]
    denied = rules["gcp.restrictNonCmekServices"][0]["values"]["denied_values"]
    assert {"container.googleapis.com", "secretmanager.googleapis.com"} <= set(denied)


def test_policies_are_not_set_unless_managed(synth_network) -> None:
    tf = synth_network(variant(org_policies=_policies("compute.requireShieldedVm")))
    assert resources(tf, "google_org_policy_policy") == []


def test_an_autopilot_cluster_meets_every_constraint_it_can_break(synth_env) -> None:
    data = variant(
        cluster={"name": "rayfort-net", "mode": "autopilot"},
        org_policies=_policies(
            *ALL_CONSTRAINTS, allowed_locations=["in:europe-locations"], allowed_kms_projects=["rayfort-net-000000"]
        ),
    )
    env = build(data)
    stacks = synth_env(env)
    assert configuration_problems(env, stacks) == []
    broken = copy.deepcopy(stacks)
    _, cluster = _first(broken, "google_container_cluster")
    cluster["cluster_autoscaling"]["auto_provisioning_defaults"].pop("boot_disk_kms_key")
    assert any(
        "cluster_autoscaling.auto_provisioning_defaults.boot_disk_kms_key is not set" in problem
        for problem in configuration_problems(env, broken)
    )


def test_the_loader_refuses_a_violating_environment_file(tmp_path) -> None:
    import yaml

    from rayfort.config import ConfigError, load_environment

    path = tmp_path / "eu-only.yaml"
    path.write_text(
        yaml.safe_dump(
            variant(
                region="us-east1",
                zones=["us-east1-b"],
                org_policies=_policies("gcp.resourceLocations", allowed_locations=["in:europe-locations"]),
            )
        )
    )
    with pytest.raises(ConfigError) as refused:
        load_environment(path)
    text = str(refused.value)
    assert 'region: "us-east1"' in text or "region: us-east1" in text
    assert "is outside constraints/gcp.resourceLocations; allowed: in:europe-locations" in text
