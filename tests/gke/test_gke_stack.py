"""The synthesized gke stack: standard, autopilot and GPU variants, and what every variant must hold."""

from __future__ import annotations

import re

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from rayfort._cdk import App, Token
from stacks.app import gke_stack, network_stack
from tests.conftest import environment, resources
from tests.gke.variants import autopilot, build, dev_with, gpu

AUTOPILOT_REJECTS = (
    "enable_shielded_nodes",
    "network_policy",
    "enable_intranode_visibility",
    "in_transit_encryption_config",
    "node_config",
    "remove_default_node_pool",
    "node_pool_defaults",
)


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.fixture(scope="module")
def variants(synth_gke, shipped_gke) -> dict[str, dict]:
    """The gke stack of each variant: standard is the dev environment itself."""
    return {"standard": shipped_gke["dev"], "autopilot": synth_gke(autopilot()), "gpu": synth_gke(gpu())}


class ref:  # noqa: N801  (reads as a value in assertions)
    """Equals a Terraform reference to one of the stack's resources, whatever cdktf's id hash."""

    def __init__(self, resource_type: str, construct_path: str, attribute: str) -> None:
        self._pattern = re.compile(
            rf"^\$\{{{re.escape(resource_type)}\.{re.escape(construct_path)}_[0-9A-F]{{8}}\.{re.escape(attribute)}\}}$"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(self._pattern.match(other))

    def __repr__(self) -> str:
        return f"ref({self._pattern.pattern})"


def _cluster(stack: dict) -> dict:
    [cluster] = resources(stack, "google_container_cluster")
    return cluster


@pytest.mark.parametrize("variant", ["standard", "autopilot", "gpu"])
def test_variant_snapshots(variants, snapshot_json, variant: str) -> None:
    assert variants[variant] == snapshot_json(name=f"gke-{variant}")


@pytest.mark.parametrize("variant", ["standard", "autopilot", "gpu"])
def test_every_variant_keeps_the_cluster_private_encrypted_and_admission_controlled(variants, variant) -> None:
    cluster = _cluster(variants[variant])
    assert cluster["private_cluster_config"]["enable_private_nodes"] is True
    assert cluster["private_cluster_config"]["enable_private_endpoint"] is True
    assert cluster["master_authorized_networks_config"]["gcp_public_cidrs_access_enabled"] is False
    assert all(b["cidr_block"] != "0.0.0.0/0" for b in cluster["master_authorized_networks_config"]["cidr_blocks"])
    assert cluster["database_encryption"]["state"] == "ENCRYPTED"
    assert cluster["database_encryption"]["key_name"] == ref("google_kms_crypto_key", "keys_secrets", "id")
    assert cluster["workload_identity_config"] == {"workload_pool": "rayfort-dev-000000.svc.id.goog"}
    assert cluster["binary_authorization"] == {"evaluation_mode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert cluster["release_channel"]["channel"] in {"REGULAR", "STABLE"}
    assert cluster["deletion_protection"] is True
    assert cluster["enable_legacy_abac"] is False
    assert cluster["master_auth"]["client_certificate_config"]["issue_client_certificate"] is False
    assert cluster["anonymous_authentication_config"] == {"mode": "LIMITED"}
    assert set(cluster["rbac_binding_config"].values()) == {False}
    assert cluster["authenticator_groups_config"] == {"security_group": "gke-security-groups@example.com"}
    assert cluster["resource_labels"] == {"cost-center": "cc-0000", "environment": "dev", "team": "ml-platform"}
    assert cluster["logging_config"]["enable_components"] == ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]
    assert cluster["monitoring_config"]["managed_prometheus"] == {"enabled": True}


def test_standard_cluster_sets_every_node_hardening_explicitly(variants) -> None:
    cluster = _cluster(variants["standard"])
    assert cluster["remove_default_node_pool"] is True
    assert cluster["datapath_provider"] == "ADVANCED_DATAPATH"
    assert cluster["network_policy"]["enabled"] is False  # Dataplane V2 enforces policies; CKV_GCP_12 reads both
    assert cluster["enable_intranode_visibility"] is True
    assert cluster["in_transit_encryption_config"] == "IN_TRANSIT_ENCRYPTION_INTER_NODE_TRANSPARENT"
    assert cluster["node_config"]["confidential_nodes"]["enabled"] is True


def test_default_pool_mirrors_the_original_setup(variants) -> None:
    [pool] = resources(variants["standard"], "google_container_node_pool")
    node = pool["node_config"]
    assert node["machine_type"] == "n2d-standard-2"
    assert pool["node_locations"] == ["europe-west1-b"]
    assert pool["autoscaling"] == {"max_node_count": 4, "min_node_count": 1}
    assert pool["management"] == {"auto_repair": True, "auto_upgrade": True}
    assert node["image_type"] == "COS_CONTAINERD"
    assert node["service_account"] == ref("google_service_account", "node-identity_account", "email")
    assert node["boot_disk_kms_key"] == ref("google_kms_crypto_key", "keys_boot-disk", "id")
    assert node["shielded_instance_config"] == {"enable_integrity_monitoring": True, "enable_secure_boot": True}
    assert node["confidential_nodes"] == {"confidential_instance_type": "SEV", "enabled": True}
    assert node["workload_metadata_config"] == {"mode": "GKE_METADATA"}
    assert node["kubelet_config"]["insecure_kubelet_readonly_port_enabled"] == "FALSE"


def test_autopilot_leaves_out_what_gke_manages_and_keeps_cmek_and_identity(variants) -> None:
    stack = variants["autopilot"]
    cluster = _cluster(stack)
    assert cluster["enable_autopilot"] is True
    assert not set(AUTOPILOT_REJECTS) & set(cluster)
    assert resources(stack, "google_container_node_pool") == []
    defaults = cluster["cluster_autoscaling"]["auto_provisioning_defaults"]
    assert defaults["boot_disk_kms_key"] == ref("google_kms_crypto_key", "keys_boot-disk", "id")
    assert defaults["service_account"] == ref("google_service_account", "node-identity_account", "email")
    assert cluster["confidential_nodes"] == {"enabled": True}


def test_gpu_pool_is_tainted_confidential_and_has_a_managed_driver(variants) -> None:
    pools = {p["name"]: p for p in resources(variants["gpu"], "google_container_node_pool")}
    node = pools["gpu-h100"]["node_config"]
    assert node["taint"] == [{"effect": "NO_SCHEDULE", "key": "nvidia.com/gpu", "value": "present"}]
    [accelerator] = node["guest_accelerator"]
    assert accelerator["type"] == "nvidia-h100-80gb" and accelerator["count"] == 1
    assert accelerator["gpu_driver_installation_config"] == {"gpu_driver_version": "LATEST"}
    assert node["confidential_nodes"] == {"confidential_instance_type": "TDX", "enabled": True}
    assert node["spot"] is True
    # The throw-away bootstrap pool takes the CPU pool's shape, never the GPU's.
    assert _cluster(variants["gpu"])["node_config"]["machine_type"] == "n2d-standard-2"
    assert "taint" not in pools["cpu"]["node_config"]


def test_keys_rotate_within_90_days_cannot_be_destroyed_and_each_has_one_agent(shipped_gke) -> None:
    stack = shipped_gke["dev"]
    keys = resources(stack, "google_kms_crypto_key")
    assert {k["name"] for k in keys} == {"rayfort-dev-boot-disk", "rayfort-dev-secrets"}
    assert all(k["rotation_period"] == "7776000s" and k["lifecycle"]["prevent_destroy"] is True for k in keys)
    grants = resources(stack, "google_kms_crypto_key_iam_member")
    [boot] = [g for g in grants if g["crypto_key_id"] == ref("google_kms_crypto_key", "keys_boot-disk", "id")]
    [secrets] = [g for g in grants if g["crypto_key_id"] == ref("google_kms_crypto_key", "keys_secrets", "id")]
    assert boot["member"].endswith("@compute-system.iam.gserviceaccount.com")
    assert secrets["member"].endswith("@container-engine-robot.iam.gserviceaccount.com")
    assert {g["role"] for g in grants} == {"roles/cloudkms.cryptoKeyEncrypterDecrypter"}
    assert "google_project_iam_member" not in {t for t in stack["resource"] if "kms" in t}


def test_prod_keys_live_in_the_kms_project_which_logs_key_access(shipped_gke) -> None:
    stack = shipped_gke["prod"]
    [ring] = resources(stack, "google_kms_key_ring")
    assert ring["project"] == "rayfort-prod-kms-000000"
    assert {k["rotation_period"] for k in resources(stack, "google_kms_crypto_key")} == {"2592000s"}
    audited = {(a["project"], a["service"]) for a in resources(stack, "google_project_iam_audit_config")}
    assert ("rayfort-prod-kms-000000", "cloudkms.googleapis.com") in audited


def test_existing_keys_are_referenced_not_created(synth_gke) -> None:
    key = "projects/corp-kms-000000/locations/europe-west1/keyRings/gke/cryptoKeys/"
    existing = {"boot_disk_key": key + "boot", "secrets_key": key + "etcd"}
    data = dev_with(kms={"create": None, "existing": existing})
    data["tenants"] = []  # tenants need keys rayfort creates; the cluster alone can use existing ones
    # dev's other waivers name tenant and exposure constructs; its upstream images and hosts stay waived
    data["waivers"] = [w for w in data["waivers"] if w["rule"] in ("RF025", "RF046")]
    stack = synth_gke(build(data))
    assert "google_kms_key_ring" not in stack["resource"] and "google_kms_crypto_key" not in stack["resource"]
    assert {g["crypto_key_id"] for g in resources(stack, "google_kms_crypto_key_iam_member")} == {
        key + "boot",
        key + "etcd",
    }
    assert _cluster(stack)["database_encryption"]["key_name"] == key + "etcd"
    audited = {(a["project"], a["service"]) for a in resources(stack, "google_project_iam_audit_config")}
    assert ("corp-kms-000000", "cloudkms.googleapis.com") in audited


def test_data_access_audit_logs_cover_gke_iap_and_kms(shipped_gke) -> None:
    configs = resources(shipped_gke["dev"], "google_project_iam_audit_config")
    assert {c["service"] for c in configs} == {
        "container.googleapis.com",
        "iap.googleapis.com",
        "cloudkms.googleapis.com",
    }
    for config in configs:
        assert [c["log_type"] for c in config["audit_log_config"]] == ["ADMIN_READ", "DATA_READ", "DATA_WRITE"]
        assert all("exempted_members" not in c for c in config["audit_log_config"])


@pytest.mark.parametrize(
    ("name", "patterns"),
    [
        (
            "dev",
            [
                "quay.io/kuberay/operator",
                "docker.io/rayproject/ray",
                "quay.io/jetstack/cert-manager-controller",
                "quay.io/jetstack/cert-manager-webhook",
                "quay.io/jetstack/cert-manager-cainjector",
                "quay.io/jetstack/cert-manager-startupapicheck",
            ],
        ),
        ("prod", ["europe-west4-docker.pkg.dev/rayfort-prod-000000/rayfort-mirror/**"]),
        ("airgapped", ["europe-west3-docker.pkg.dev/rayfort-airgap-000000/rayfort-mirror/**"]),
    ],
)
def test_binary_authorization_policy_denies_all_but_rayfort_images(shipped_gke, name, patterns) -> None:
    [policy] = resources(shipped_gke[name], "google_binary_authorization_policy")
    assert [p["name_pattern"] for p in policy["admission_whitelist_patterns"]] == patterns
    assert policy["default_admission_rule"] == {
        "enforcement_mode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
        "evaluation_mode": "ALWAYS_DENY",
    }
    assert policy["global_policy_evaluation_mode"] == "ENABLE"


def test_node_account_gets_only_the_node_role_and_no_registry_grant_here(shipped_gke) -> None:
    stack = shipped_gke["dev"]
    [account] = resources(stack, "google_service_account")
    assert account["account_id"] == "rayfort-dev-nodes"
    [member] = resources(stack, "google_project_iam_member")
    assert member["role"] == "roles/container.defaultNodeServiceAccount"
    assert not [t for t in stack["resource"] if t.startswith("google_artifact_registry")]


@pytest.mark.parametrize(("name", "flag"), [("dev", "--internal-ip"), ("prod", "--dns-endpoint")])
def test_outputs_name_the_cluster_and_how_to_reach_it(shipped_gke, name, flag) -> None:
    outputs = shipped_gke[name]["output"]
    for key in ("cluster_name", "cluster_location", "workload_pool", "node_service_account"):
        assert outputs[key]["value"].startswith("${")
    command = outputs["get_credentials"]["value"]
    assert command.startswith("gcloud container clusters get-credentials rayfort-") and command.endswith(flag)


def test_connect_gateway_outputs_a_fleet_credentials_command(synth_gke) -> None:
    stack = synth_gke(build(dev_with(control_plane_access="connect_gateway")))
    assert stack["output"]["get_credentials"]["value"] == (
        "gcloud container fleet memberships get-credentials rayfort-dev --project rayfort-dev-000000"
    )
    assert _cluster(stack)["fleet"] == {"project": "rayfort-dev-000000"}


def test_refs_are_references(tmp_path) -> None:
    """The stack offers tokens, so other stacks get them as outputs plus remote state."""
    app = App(outdir=str(tmp_path))
    env = environment("dev")
    refs = gke_stack(app, env, network_stack(app, env).refs).refs
    for value in (refs.access.host, refs.access.ca_certificate, refs.nodes.member):
        assert Token.is_unresolved(value)
    assert refs.nodes.member.startswith("serviceAccount:")


def test_a_waived_pool_states_confidential_nodes_off_explicitly(synth_gke) -> None:
    pool = {
        "name": "gpu",
        "machine_type": "g2-standard-8",
        "gpu": {"type": "nvidia-l4"},
        "confidential_instance_type": None,
    }
    data = dev_with(node_pools=[{"name": "cpu"}, pool])
    data["waivers"] = [
        *data.get("waivers", []),
        {
            "rule": "RF003",
            "resource": "gke/pool-gpu/pool",
            "reason": "L4 inference nodes hold only public model weights",
            "tenants": [],  # the pool names no tenant, so it admits none
        },
    ]
    stack = synth_gke(build(data))
    pools = {p["name"]: p["node_config"] for p in resources(stack, "google_container_node_pool")}
    assert pools["gpu"]["confidential_nodes"] == {"enabled": False}
    assert pools["cpu"]["confidential_nodes"]["enabled"] is True


@pytest.mark.parametrize(
    ("name", "permissions"),
    [("dev", ["container.clusters.get"]), ("prod", ["container.clusters.connect", "container.clusters.get"])],
)
def test_people_connect_through_a_custom_role_with_exactly_what_credentials_need(
    shipped_gke, name, permissions
) -> None:
    """Least privilege: no predefined role (clusterViewer also lists every cluster); the DNS endpoint adds connect."""
    stack = shipped_gke[name]
    [role] = resources(stack, "google_project_iam_custom_role")
    assert role["permissions"] == permissions
    assert role["role_id"] == "rayfortConnect_" + _cluster(stack)["name"].replace("-", "_")
    assert role["stage"] == "GA" and role["project"] == _cluster(stack)["project"]


def test_connect_role_permissions_follow_the_control_plane_access() -> None:
    from rayfort.gke.connect_role import connect_permissions, connect_role_id

    assert connect_permissions("internal_ip") == ["container.clusters.get"]
    assert connect_permissions("connect_gateway") == ["container.clusters.get"]
    assert connect_permissions("dns_endpoint") == ["container.clusters.connect", "container.clusters.get"]
    assert connect_role_id("rayfort-dev") == "rayfortConnect_rayfort_dev"
    assert re.fullmatch(r"[a-zA-Z0-9_.]{3,64}", connect_role_id("a" * 40))


def test_a_sandbox_pool_is_google_betas_with_gvisor_and_gke_sets_its_taint(synth_gke) -> None:
    stack = synth_gke(build(dev_with(node_pools=[{"name": "default"}, {"name": "untrusted", "sandbox": True}])))
    pools = {p["name"]: p for p in resources(stack, "google_container_node_pool")}
    sandbox, default = pools["untrusted"], pools["default"]
    assert sandbox["provider"] == "google-beta" and "provider" not in default
    assert sandbox["node_config"]["sandbox_config"] == {"sandbox_type": "gvisor"}
    assert "sandbox_config" not in default["node_config"]
    # GKE Sandbox runs on COS with containerd; GKE taints and labels the nodes itself.
    assert sandbox["node_config"]["image_type"] == "COS_CONTAINERD"
    assert "taint" not in sandbox["node_config"]
    assert sandbox["node_config"]["confidential_nodes"]["enabled"] is True
    assert sandbox["node_config"]["workload_metadata_config"] == {"mode": "GKE_METADATA"}
    beta = stack["provider"]["google-beta"][0]
    assert beta == stack["provider"]["google"][0] | {"default_labels": beta["default_labels"]}
    assert beta["default_labels"] == stack["provider"]["google"][0]["default_labels"]
    assert stack["terraform"]["required_providers"]["google-beta"]["version"] == "6.50.0"


def test_without_a_sandbox_pool_there_is_no_google_beta(shipped_gke) -> None:
    for stack in shipped_gke.values():
        assert "google-beta" not in stack["provider"]
        assert "google-beta" not in stack["terraform"]["required_providers"]
