"""The Terraform Cloud bootstrap's synthesized stack: snapshot, checkov, intent, and no static credential anywhere."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from bootstrap.app import STACK_ID, build_bootstrap_app
from rayfort._cdk import FRAMEWORK
from rayfort._providers import UNPUBLISHED
from rayfort.lifecycle.locks import unlocked
from rayfort.terraform_cloud.dynamic_credentials import account_id
from rayfort.terraform_cloud.plan import cloud_plan
from rayfort_tools.judges import checkov as judge
from tests.conftest import environment

ROOT = Path(__file__).resolve().parents[2]
WORKSPACES = [
    "network",
    "audit",
    "mirror",
    "gke",
    "exposure",
    "kuberay",
    "tenant-fraud-scoring",
    "tenant-risk-models",
]


@pytest.fixture(scope="module")
def plan(shipped_outdirs: dict[str, Path]):
    if "tfe" in UNPUBLISHED[FRAMEWORK]:
        pytest.skip(f"the bootstrap app runs on cdktf only: {FRAMEWORK} publishes no tfe provider bindings")
    return cloud_plan(environment("prod"), shipped_outdirs["prod"])


@pytest.fixture(scope="module")
def bootstrap_dir(plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("bootstrap") / "cdktf.out"
    build_bootstrap_app(environment("prod"), plan, str(outdir)).synth()
    return outdir / "stacks" / STACK_ID


@pytest.fixture(scope="module")
def tf_json(bootstrap_dir: Path) -> dict[str, Any]:
    return json.loads((bootstrap_dir / "cdk.tf.json").read_text())


def _resources(tf_json: dict, resource_type: str) -> list[dict]:
    return list(tf_json["resource"].get(resource_type, {}).values())


def _workspace_refs(tf_json: dict) -> dict[str, str]:
    """{stack: the ${tfe_workspace....id} reference of its workspace}."""
    return {
        next(s for s in WORKSPACES if body["name"] == f"rayfort-prod-{s}"): f"${{tfe_workspace.{key}.id}}"
        for key, body in tf_json["resource"]["tfe_workspace"].items()
    }


def test_snapshot(tf_json: dict, snapshot) -> None:
    assert tf_json == snapshot.use_extension(JSONSnapshotExtension)(name="tfc-bootstrap-prod")


def test_one_workspace_per_stack_named_like_the_stacks_backend(tf_json: dict, synthesized: dict) -> None:
    names = sorted(w["name"] for w in _resources(tf_json, "tfe_workspace"))
    backends = sorted(s["terraform"]["cloud"]["workspaces"]["name"] for s in synthesized["prod"].values())
    assert names == backends == sorted(f"rayfort-prod-{s}" for s in WORKSPACES)
    for workspace in _resources(tf_json, "tfe_workspace"):
        stack = workspace["name"].removeprefix("rayfort-prod-")
        assert workspace["working_directory"] == f"deploy/prod/{stack}"
        assert workspace["trigger_prefixes"] == [f"deploy/prod/{stack}"]
        assert workspace["vcs_repo"]["oauth_token_id"].startswith("ot-")


def test_run_triggers_follow_the_deploy_order_without_repeats(tf_json: dict) -> None:
    refs = {ref: stack for stack, ref in _workspace_refs(tf_json).items()}
    edges = sorted((refs[t["sourceable_id"]], refs[t["workspace_id"]]) for t in _resources(tf_json, "tfe_run_trigger"))
    assert edges == [
        ("audit", "gke"),
        ("exposure", "tenant-risk-models"),
        ("gke", "exposure"),
        ("gke", "kuberay"),
        ("kuberay", "tenant-fraud-scoring"),
        ("kuberay", "tenant-risk-models"),
        ("mirror", "gke"),
        ("network", "audit"),
        ("network", "mirror"),
    ]


def test_state_is_shared_only_with_the_stacks_that_read_it(tf_json: dict, synthesized: dict) -> None:
    refs = _workspace_refs(tf_json)
    stack_of = {ref: stack for stack, ref in refs.items()}
    readers_from_json = {
        producer: sorted(
            reader
            for reader, stack in synthesized["prod"].items()
            for data in stack.get("data", {}).get("terraform_remote_state", {}).values()
            if data["config"]["workspaces"]["name"] == f"rayfort-prod-{producer}"
        )
        for producer in WORKSPACES
    }
    for settings in _resources(tf_json, "tfe_workspace_settings"):
        producer = stack_of[settings["workspace_id"]]
        assert settings["global_remote_state"] is False
        assert sorted(stack_of[c] for c in settings["remote_state_consumer_ids"]) == readers_from_json[producer]
        assert settings["auto_apply"] is False and settings["assessments_enabled"] is True
    assert readers_from_json["kuberay"] == []  # tenants follow kuberay but never read its state
    assert "kuberay" not in readers_from_json["network"]


def test_every_stack_runs_on_the_agents_that_the_enforced_perimeter_admits(tf_json: dict) -> None:
    """prod's perimeter admits the deployer only through its VPC: a hosted runner's plan of network would 403."""
    stack_of = {ref: stack for stack, ref in _workspace_refs(tf_json).items()}
    settings = {stack_of[s["workspace_id"]]: s for s in _resources(tf_json, "tfe_workspace_settings")}
    assert sorted(settings) == sorted(WORKSPACES)
    assert {s["execution_mode"] for s in settings.values()} == {"agent"}
    assert {s["agent_pool_id"] for s in settings.values()} == {environment("prod").state.agent_pool_id}


def test_the_identity_provider_trusts_only_this_organization_project_and_workspaces(tf_json: dict) -> None:
    (provider,) = _resources(tf_json, "google_iam_workload_identity_pool_provider")
    condition = provider["attribute_condition"]
    assert 'assertion.terraform_organization_name == "example-bank"' in condition
    assert re.search(r"assertion\.terraform_project_name == \"\$\{tfe_project\.[^}]+\.name\}\"", condition)
    listed = json.loads(condition.split(" in ", 1)[1])
    assert listed == [f"rayfort-prod-{s}" for s in WORKSPACES]
    assert provider["oidc"] == {"issuer_uri": "https://app.terraform.io"}
    assert provider["project"] == "rayfort-tfc-000000"


def test_each_workspace_impersonates_its_own_account_by_workspace_id(tf_json: dict) -> None:
    refs = _workspace_refs(tf_json)
    bindings = _resources(tf_json, "google_service_account_iam_member")
    assert len(bindings) == len(WORKSPACES)
    for binding in bindings:
        assert binding["role"] == "roles/iam.workloadIdentityUser"
        member = binding["member"]
        assert member.startswith("principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.")
        assert member.split("/attribute.terraform_workspace_id/")[1] in refs.values()
    accounts = _resources(tf_json, "google_service_account")
    assert {a["project"] for a in accounts} == {"rayfort-tfc-000000"}
    assert sorted(a["account_id"] for a in accounts) == sorted(account_id("tfc-prod", s) for s in WORKSPACES)
    assert all(6 <= len(a["account_id"]) <= 30 for a in accounts)
    for variable in _resources(tf_json, "tfe_variable"):
        assert variable["category"] == "env" and variable["sensitive"] is False
    keys = sorted({v["key"] for v in _resources(tf_json, "tfe_variable")})
    assert keys == ["TFC_GCP_PROVIDER_AUTH", "TFC_GCP_RUN_SERVICE_ACCOUNT_EMAIL", "TFC_GCP_WORKLOAD_PROVIDER_NAME"]


def test_roles_follow_the_resources_each_stack_manages(tf_json: dict, plan) -> None:
    grants = _resources(tf_json, "google_project_iam_member")
    prod, kms, audit = "rayfort-prod-000000", "rayfort-prod-kms-000000", "rayfort-prod-audit-000000"
    assert {g["project"] for g in grants} == {prod, kms, audit}
    # prod's kuberay stack grants the nodes read access to the private mirror, which its own stack creates.
    assert plan.workspace("kuberay").roles_in(prod) == ("roles/artifactregistry.admin", "roles/container.admin")
    assert "roles/redis.admin" in plan.workspace("tenant-risk-models").roles_in(prod)
    assert "roles/redis.admin" not in plan.workspace("gke").roles_in(prod)
    # Keys live in the KMS project and the evidence in the audit project: the roles go where the resources are.
    assert plan.workspace("gke").roles_in(kms) == ("roles/cloudkms.admin", "roles/resourcemanager.projectIamAdmin")
    assert "roles/cloudkms.admin" not in plan.workspace("gke").roles_in(prod)
    assert "roles/logging.configWriter" in plan.workspace("audit").roles_in(audit)
    # Adding the cluster project to the audit project's metrics scope needs metricsScopes.link in both.
    for project in (prod, audit):
        assert "roles/monitoring.admin" in plan.workspace("audit").roles_in(project)
    assert plan.workspace("network").organization_roles == ("roles/accesscontextmanager.policyAdmin",)
    assert all(not w.unknown_types for w in plan.workspaces)
    assert not any(g["role"] in {"roles/owner", "roles/editor"} for g in grants)


# --- no static credentials anywhere -------------------------------------------------------------------

SECRET_PATTERNS = {
    "Terraform Cloud token": re.compile(r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{20,}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "service account key file": re.compile(r'"type"\s*:\s*"service_account"|private_key_id'),
    "Google API key": re.compile(r"AIza[0-9A-Za-z_-]{35}"),
}
CREDENTIAL_ATTRIBUTES = {"credentials", "access_token", "token", "private_key", "client_secret", "password"}
KEY_RESOURCES = {"google_service_account_key", "tfe_team_token", "tfe_organization_token", "tfe_agent_token"}
# A credential obtained at run time: the short-lived token of the identity the run already has.
RUN_TIME_TOKEN = re.compile(r"\$\{data\.google_client_config\.[A-Za-z0-9_]+\.access_token\}")


def _credential_attributes(node: Any, path: str) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CREDENTIAL_ATTRIBUTES and not (isinstance(value, str) and RUN_TIME_TOKEN.fullmatch(value)):
                found.append(f"{path}.{key}")
            found += _credential_attributes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            found += _credential_attributes(item, path)
    return found


def static_credentials(tf_json: dict) -> list[str]:
    """Every place a synthesized stack carries a credential instead of obtaining one at run time."""
    found = [f"resource type {t}" for t in tf_json.get("resource", {}) if t in KEY_RESOURCES]
    found += _credential_attributes(tf_json.get("provider", {}), "provider")
    for variable in tf_json.get("resource", {}).get("tfe_variable", {}).values():
        if variable.get("sensitive"):
            found.append(f"sensitive tfe_variable {variable['key']}")
    text = json.dumps(tf_json)
    found += [name for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)]
    return found


def test_no_static_credential_in_the_bootstrap_or_any_stack(tf_json: dict, synthesized: dict, bootstrap_dir) -> None:
    assert static_credentials(tf_json) == []
    for env, stacks in synthesized.items():
        for name, stack in stacks.items():
            assert static_credentials(stack) == [], f"{env}/{name}"
    committed = [p for p in (ROOT / "deploy").rglob("*") if p.is_file()]
    assert committed and not [p for p in committed if any(s.search(p.read_text()) for s in SECRET_PATTERNS.values())]
    assert not list(bootstrap_dir.rglob("*.json.key")) and not list(ROOT.glob("*.json.key"))


@pytest.mark.parametrize(
    "planted",
    [
        {"resource": {"google_service_account_key": {"k": {"service_account_id": "x"}}}},
        {"provider": {"google": [{"credentials": '${file("key.json")}'}]}},
        {"provider": {"tfe": [{"token": "${var.token}"}]}},
        {"provider": {"helm": [{"kubernetes": {"token": "eyJhbGciOi"}}]}},
        {"resource": {"tfe_variable": {"v": {"key": "GOOGLE_CREDENTIALS", "sensitive": True, "value": "x"}}}},
        {"locals": {"t": "abcdefghijklmn.atlasv1.abcdefghijklmnopqrstuvwxyz"}},
        {"locals": {"k": "-----BEGIN PRIVATE KEY-----"}},
    ],
)
def test_the_credential_detector_finds_each_planted_credential(tf_json: dict, planted: dict) -> None:
    mutated = json.loads(json.dumps(tf_json))
    for key, value in planted.items():
        if key in mutated and isinstance(mutated[key], dict):
            for inner, body in value.items():
                mutated[key][inner] = body
        else:
            mutated[key] = value
    assert static_credentials(mutated)


# --- judges ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_checkov_passes_the_bootstrap_but_for_service_account_admin_outside_the_identity_project(
    bootstrap_dir: Path, tf_json: dict
) -> None:
    """CKV_GCP_49 flags roles/iam.serviceAccountAdmin granted on a project: the stacks that create
    service accounts need it, and the runners' own accounts live in the identity project, out of its reach."""
    if judge.checkov_executable() is None:
        pytest.skip("checkov is not installed (.venv-checkov or RAYFORT_CHECKOV)")
    result = judge.run_checkov([bootstrap_dir])
    assert result.passed > 100
    unexpected = [f for f in result.failures if f.check_id != "CKV_GCP_49"]
    assert unexpected == []
    flagged = {f.resource.split(".", 1)[1] for f in result.failures}
    grants = tf_json["resource"]["google_project_iam_member"]
    assert flagged and all(grants[key]["role"] == "roles/iam.serviceAccountAdmin" for key in flagged)
    runners = {a["project"] for a in _resources(tf_json, "google_service_account")}
    assert runners.isdisjoint({grants[key]["project"] for key in flagged})


def test_tfe_is_the_one_provider_without_published_checksums(tf_json: dict) -> None:
    assert unlocked(tf_json) == [("registry.terraform.io/hashicorp/tfe", "0.71.0")]


def _bootstrap(environment_name: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "bootstrap" / "main.py"), environment_name],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif("tfe" in UNPUBLISHED[FRAMEWORK], reason="the framework refuses first (next test)")
def test_the_bootstrap_refuses_an_environment_without_terraform_cloud_state() -> None:
    result = _bootstrap("dev")
    assert result.returncode == 2
    assert "state.backend is local; the Terraform Cloud bootstrap needs state.backend: cloud" in result.stderr


@pytest.mark.skipif("tfe" not in UNPUBLISHED[FRAMEWORK], reason=f"{FRAMEWORK} publishes the tfe provider")
def test_the_bootstrap_refuses_a_framework_without_the_tfe_provider() -> None:
    result = _bootstrap("prod")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"rayfort: the Terraform Cloud bootstrap needs the tfe provider, which {FRAMEWORK} does not publish; "
        "run it with the default framework (make bootstrap)"
    )
