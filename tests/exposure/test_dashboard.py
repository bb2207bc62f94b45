"""The IAP dashboard on Ingress: what each object says, and that each matches its schema."""

from __future__ import annotations

import json

import pytest

from rayfort.exposure.dashboard_backend import HEALTH_CHECK_PATH
from rayfort.exposure.iap_ingress import backend_config, frontend_config, managed_certificate
from rayfort.k8s.pod_security import check_object
from rayfort.tenant.runtime.pods import head_selector
from rayfort_tools.judges.k8s_schema import validate_manifest, validate_stack
from tests.conftest import resources
from tests.exposure.conftest import ALL, manifests, of_kind, tenant_stack


@pytest.mark.parametrize("name", ALL)
def test_every_manifest_of_the_stack_matches_its_schema(published_stacks, gateway_checkers, name: str) -> None:
    assert [str(error) for _, error in validate_stack(published_stacks[name])] == []


@pytest.mark.parametrize("name", ALL)
def test_nothing_the_stack_applies_breaks_pod_security(published_stacks, name: str) -> None:
    for manifest in manifests(published_stacks[name]):
        assert not check_object(manifest), manifest["kind"]


def test_gke_kinds_match_the_reference_schemas_with_every_option() -> None:
    assert validate_manifest(backend_config("a-dashboard", "a", "a-oauth", "armor")) == []
    assert validate_manifest(frontend_config("a-dashboard", "a", "tls")) == []
    assert validate_manifest(managed_certificate("a-dashboard", "a", "a.ray.example.com")) == []


def test_the_schema_judge_catches_a_misspelt_backend_config_field() -> None:
    broken = backend_config("a-dashboard", "a")
    broken["spec"]["iap"]["enable"] = True
    assert validate_manifest(broken)


def _one(stack: dict, kind: str) -> dict:
    (found,) = of_kind(stack, kind)
    return found


def test_backend_config_turns_iap_on_with_the_google_managed_client() -> None:
    spec = backend_config("team-a-dashboard", "team-a")["spec"]
    assert spec["iap"] == {"enabled": True}
    assert spec["healthCheck"]["requestPath"] == HEALTH_CHECK_PATH == "/api/gcs_healthz"
    assert spec["healthCheck"]["port"] == 8265
    assert spec["timeoutSec"] >= 600
    assert "securityPolicy" not in spec


def _ingress_team_a(all_stacks) -> dict:
    return tenant_stack(all_stacks, "ingress", "team-a")


def test_dashboard_service_is_a_neg_backend_for_the_dashboard_port_only(all_stacks) -> None:
    (service,) = [s for s in of_kind(_ingress_team_a(all_stacks), "Service") if s["spec"]["type"] == "ClusterIP"]
    annotations = service["metadata"]["annotations"]
    assert json.loads(annotations["cloud.google.com/neg"]) == {"ingress": True}
    assert json.loads(annotations["cloud.google.com/backend-config"]) == {"default": "team-a-dashboard"}
    assert [p["port"] for p in service["spec"]["ports"]] == [8265]
    assert service["spec"]["selector"] == head_selector("team-a")
    assert service["metadata"]["name"] != "team-a-head-svc"


def test_ingress_is_gce_with_static_ip_certificate_and_https_redirect(all_stacks) -> None:
    stack = _ingress_team_a(all_stacks)
    ingress = _one(stack, "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["kubernetes.io/ingress.class"] == "gce"
    assert annotations["kubernetes.io/ingress.global-static-ip-name"].startswith("${google_compute_global_address.")
    assert (
        annotations["networking.gke.io/managed-certificates"] == _one(stack, "ManagedCertificate")["metadata"]["name"]
    )
    assert annotations["networking.gke.io/v1beta1.FrontendConfig"] == _one(stack, "FrontendConfig")["metadata"]["name"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "team-a.ray.example.com"
    assert _one(stack, "ManagedCertificate")["spec"]["domains"] == ["team-a.ray.example.com"]
    frontend = _one(stack, "FrontendConfig")["spec"]
    assert frontend["redirectToHttps"]["enabled"] is True
    # The exposure stack's SSL policy, read from its state.
    assert frontend["sslPolicy"].startswith("${data.terraform_remote_state.cross-stack-reference-input-exposure")


@pytest.mark.parametrize("name", ["dev", "prod", "gateway", "ingress"])
def test_ssl_policy_is_tls_1_2_with_a_strong_profile(exposure_stacks, name: str) -> None:
    (policy,) = resources(exposure_stacks[name], "google_compute_ssl_policy")
    assert policy["min_tls_version"] == "TLS_1_2"
    assert policy["profile"] in ("MODERN", "RESTRICTED")


def test_dns_a_record_points_at_the_static_ip(all_stacks) -> None:
    (record,) = resources(_ingress_team_a(all_stacks), "google_dns_record_set")
    assert record["type"] == "A" and record["name"] == "team-a.ray.example.com."
    (address,) = record["rrdatas"]
    assert address.startswith("${google_compute_global_address.dashboard_address_") and address.endswith(".address}")


def test_created_zone_has_dnssec_on_and_existing_zone_is_looked_up(exposure_stacks, published_stacks) -> None:
    (zone,) = resources(exposure_stacks["dev"], "google_dns_managed_zone")
    assert zone["dnssec_config"]["state"] == "on"
    assert all(spec["algorithm"] != "rsasha1" for spec in zone["dnssec_config"]["default_key_specs"])
    prod = exposure_stacks["prod"]
    assert "google_dns_managed_zone" not in prod["resource"]
    (lookup,) = prod["data"]["google_dns_managed_zone"].values()
    assert lookup["name"] == "ray-prod-example-com"
    (record,) = resources(published_stacks["prod"], "google_dns_record_set")
    assert record["managed_zone"].startswith("${data.terraform_remote_state.cross-stack-reference-input-exposure")


def test_cloud_armor_is_attached_and_denies_by_default(exposure_stacks, published_stacks) -> None:
    stack = exposure_stacks["prod"]
    (policy,) = resources(stack, "google_compute_security_policy")
    rules = {rule["priority"]: rule for rule in policy["rule"]}
    assert rules[2147483647]["action"] == "deny(403)"
    assert any(
        "cve-canary" in json.dumps(rule["match"]) and rule["action"].startswith("deny") for rule in rules.values()
    )
    (allow,) = [rule for rule in rules.values() if rule["action"] == "throttle"]
    assert allow["match"]["config"]["src_ip_ranges"] == ["203.0.113.0/24"]
    assert allow["rate_limit_options"]["rate_limit_threshold"]["count"] == 600
    default = _one(published_stacks["prod"], "GCPBackendPolicy")["spec"]["default"]
    assert default["securityPolicy"].startswith("${data.terraform_remote_state.cross-stack-reference-input-exposure")
    for config in of_kind(published_stacks["ingress"], "BackendConfig"):
        assert config["spec"]["securityPolicy"]["name"].startswith("${data.terraform_remote_state.")


def test_custom_oauth_client_comes_from_secret_manager_never_a_literal(published_stacks) -> None:
    stack = published_stacks["ingress"]
    secrets = [s for s in of_kind(stack, "Secret") if s["metadata"]["name"].endswith("-iap-oauth-client")]
    assert len(secrets) == 2
    for secret in secrets:
        assert set(secret["stringData"]) == {"client_id", "client_secret"}
        assert all("data.google_secret_manager_secret_version." in value for value in secret["stringData"].values())
    for config in of_kind(stack, "BackendConfig"):
        assert config["spec"]["iap"]["oauthclientCredentials"]["secretName"].endswith("-iap-oauth-client")
    versions = stack["data"]["google_secret_manager_secret_version"].values()
    assert len(versions) == 2  # each tenant stack reads it: the secret never crosses stacks as an output
    assert {v["secret"] for v in versions} == {"projects/rayfort-ing-000000/secrets/iap-oauth-client"}
