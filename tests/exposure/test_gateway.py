"""The Gateway API alternative: its kinds against the upstream CRDs, GKE's policy kinds against field checkers."""

from __future__ import annotations

import copy
import json

import pytest

from rayfort.exposure.dashboard_backend import HEALTH_CHECK_PATH
from rayfort.exposure.gateway import (
    GATEWAY_CLASS,
    GATEWAY_NAME,
    GATEWAY_NAMESPACE,
    backend_policy,
    health_check_policy,
    http_route,
    shared_listener,
)
from rayfort.exposure.host_admission import host_policy
from rayfort.k8s.namespace import DASHBOARD_HOST_ANNOTATION
from rayfort_tools.judges.field_checks import registered
from rayfort_tools.judges.k8s_schema import NoSchema, validate_manifest
from tests.conftest import resources
from tests.exposure.conftest import of_kind, tenant_stack

HOSTS = {"team-a": "team-a.ray.example.com", "team-b": "models.ray.example.com"}


@pytest.fixture
def gateway_stack(exposure_stacks) -> dict:
    return exposure_stacks["gateway"]


@pytest.fixture
def published(published_stacks) -> dict:
    return published_stacks["gateway"]


def _tenant(all_stacks, tenant: str) -> dict:
    return tenant_stack(all_stacks, "gateway", tenant)


def test_one_gateway_of_the_managed_global_class_on_a_reserved_address(gateway_stack) -> None:
    (gateway,) = of_kind(gateway_stack, "Gateway")
    assert gateway["spec"]["gatewayClassName"] == GATEWAY_CLASS == "gke-l7-global-external-managed"
    (address,) = gateway["spec"]["addresses"]
    assert address["type"] == "NamedAddress" and address["value"].startswith("${google_compute_global_address.")
    assert gateway["metadata"]["annotations"]["networking.gke.io/certmap"].startswith(
        "${google_certificate_manager_certificate_map."
    )


def test_one_https_listener_for_the_zone_that_only_tenant_namespaces_may_use(gateway_stack) -> None:
    (gateway,) = of_kind(gateway_stack, "Gateway")
    (listener,) = gateway["spec"]["listeners"]
    assert listener["protocol"] == "HTTPS" and listener["port"] == 443
    assert listener["hostname"] == "*.ray.example.com"
    assert all(host.endswith(".ray.example.com") for host in HOSTS.values())
    namespaces = listener["allowedRoutes"]["namespaces"]
    assert namespaces == {
        "from": "Selector",
        "selector": {"matchExpressions": [{"key": "rayfort.dev/tenant", "operator": "Exists"}]},
    }
    assert listener["allowedRoutes"]["kinds"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]


def test_the_shared_edge_holds_nothing_per_tenant(gateway_stack) -> None:
    for kind in ("HTTPRoute", "GCPBackendPolicy", "HealthCheckPolicy", "Service", "Secret"):
        assert of_kind(gateway_stack, kind) == [], kind
    for resource_type in (
        "google_certificate_manager_certificate",
        "google_certificate_manager_certificate_map_entry",
        "google_dns_record_set",
        "google_iap_web_iam_member",
        "google_compute_address",
    ):
        assert resources(gateway_stack, resource_type) == [], resource_type
    # It reads no tenant stack: the tenants depend on it, never the reverse.
    remote = gateway_stack.get("data", {}).get("terraform_remote_state", {})
    assert remote and not [body for body in remote.values() if "tenant-" in json.dumps(body)]


def test_the_host_admission_policy_is_applied_with_the_gateway(gateway_stack) -> None:
    (policy,) = of_kind(gateway_stack, "ValidatingAdmissionPolicy")
    (binding,) = of_kind(gateway_stack, "ValidatingAdmissionPolicyBinding")
    assert policy == host_policy(GATEWAY_NAME, GATEWAY_NAMESPACE)
    assert binding["spec"] == {"policyName": policy["metadata"]["name"], "validationActions": ["Deny"]}


def test_no_plain_http_listener(gateway_stack) -> None:
    (gateway,) = of_kind(gateway_stack, "Gateway")
    assert all(listener["protocol"] == "HTTPS" for listener in gateway["spec"]["listeners"])


def test_gateway_policy_binds_the_tls_1_2_ssl_policy(gateway_stack) -> None:
    (policy,) = of_kind(gateway_stack, "GCPGatewayPolicy")
    assert policy["spec"]["default"]["sslPolicy"].startswith("${google_compute_ssl_policy.")
    assert policy["spec"]["targetRef"]["kind"] == "Gateway"
    (ssl,) = resources(gateway_stack, "google_compute_ssl_policy")
    assert ssl["profile"] == "MODERN" and ssl["min_tls_version"] == "TLS_1_2"


@pytest.mark.parametrize("tenant", sorted(HOSTS))
def test_each_tenant_routes_only_its_host_from_its_own_stack(all_stacks, tenant: str) -> None:
    (route,) = of_kind(_tenant(all_stacks, tenant), "HTTPRoute")
    assert route["spec"]["hostnames"] == [HOSTS[tenant]]
    (parent,) = route["spec"]["parentRefs"]
    assert parent["sectionName"] == "https" and parent["name"] == "dashboards"
    (rule,) = route["spec"]["rules"]
    (backend,) = rule["backendRefs"]
    assert backend == {"group": "", "kind": "Service", "name": f"{tenant}-dashboard", "port": 8265}
    (namespace,) = of_kind(_tenant(all_stacks, tenant), "Namespace")
    assert namespace["metadata"]["annotations"][DASHBOARD_HOST_ANNOTATION] == HOSTS[tenant]


@pytest.mark.parametrize("tenant", sorted(HOSTS))
def test_each_dashboard_backend_has_iap_armor_and_a_tokenless_health_check(all_stacks, tenant: str) -> None:
    stack = _tenant(all_stacks, tenant)
    (policy,) = of_kind(stack, "GCPBackendPolicy")
    default = policy["spec"]["default"]
    assert default["iap"]["enabled"] is True
    assert default["iap"]["oauth2ClientSecret"] == {"name": f"{tenant}-iap-oauth-client"}
    assert "data.google_secret_manager_secret_version." in default["iap"]["clientID"]
    assert "securityPolicy" in default and "terraform_remote_state" in default["securityPolicy"]
    assert policy["spec"]["targetRef"] == {"group": "", "kind": "Service", "name": f"{tenant}-dashboard"}
    (check,) = of_kind(stack, "HealthCheckPolicy")
    http = check["spec"]["default"]["config"]["httpHealthCheck"]
    assert http == {"port": 8265, "requestPath": HEALTH_CHECK_PATH}
    secrets = [s for s in of_kind(stack, "Secret") if s["metadata"]["name"] == f"{tenant}-iap-oauth-client"]
    (secret,) = secrets
    assert set(secret["stringData"]) == {"key"}
    assert "data.google_secret_manager_secret_version." in secret["stringData"]["key"]


def test_the_google_managed_client_is_the_default() -> None:
    assert backend_policy("a-dashboard", "a", "a-dashboard")["spec"]["default"]["iap"] == {"enabled": True}


def test_certificates_are_managed_per_host_in_the_shared_map(published) -> None:
    certificates = resources(published, "google_certificate_manager_certificate")
    assert sorted(c["managed"]["domains"][0] for c in certificates) == sorted(HOSTS.values())
    entries = resources(published, "google_certificate_manager_certificate_map_entry")
    assert sorted(e["hostname"] for e in entries) == sorted(HOSTS.values())
    assert len({e["map"] for e in entries}) == 1
    records = resources(published, "google_dns_record_set")
    assert sorted(r["name"] for r in records) == sorted(f"{h}." for h in HOSTS.values())
    assert len({r["rrdatas"][0] for r in records}) == 1


def test_no_ingress_objects_in_gateway_mode(published) -> None:
    for kind in ("Ingress", "BackendConfig", "FrontendConfig", "ManagedCertificate"):
        assert of_kind(published, kind) == []


# --- the schema judge: upstream CRDs, and field checkers for GKE's policy kinds ---


def check_fields(obj: dict) -> list:
    """The schema judge's errors for one object, GKE's policy kinds' field checkers registered."""
    with registered():
        return validate_manifest(obj)


SAMPLES = {
    "HTTPRoute": http_route("a-dashboard", "a", "a.ray.example.com", "a-dashboard", "dashboards", "gw", "https"),
    "GCPBackendPolicy": backend_policy("a-dashboard", "a", "a-dashboard", "id", "a-oauth", "armor"),
    "HealthCheckPolicy": health_check_policy("a-dashboard", "a", "a-dashboard"),
}


def test_without_registration_the_judge_fails_gke_policy_kinds() -> None:
    errors = validate_manifest(SAMPLES["GCPBackendPolicy"])
    assert errors and isinstance(errors[0], NoSchema)


def test_registration_vouches_for_gateway_kinds(gateway_checkers) -> None:
    for sample in SAMPLES.values():
        assert validate_manifest(sample) == []
    broken = copy.deepcopy(SAMPLES["HTTPRoute"])
    broken["spec"]["hostname"] = "typo"
    assert validate_manifest(broken)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_checkers_accept_what_rayfort_writes(kind: str) -> None:
    assert list(check_fields(SAMPLES[kind])) == []


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("GCPBackendPolicy", ("spec", "default", "iap", "enable"), True),
        ("GCPBackendPolicy", ("spec", "default", "timeoutSec"), "3600"),
        ("GCPBackendPolicy", ("spec", "targetRef", "kind"), "Deployment"),
        ("HealthCheckPolicy", ("spec", "default", "config", "httpHealthCheck", "requestPath"), "api/healthz"),
        ("HealthCheckPolicy", ("spec", "default", "config", "type"), "HTTPX"),
        ("HTTPRoute", ("spec", "hostname"), "a.ray.example.com"),
        ("HTTPRoute", ("spec", "rules", 0, "backendRefs", 0, "port"), 0),
    ],
)
def test_checkers_reject_misspelt_or_mistyped_fields(kind: str, path: tuple, value) -> None:
    broken = copy.deepcopy(SAMPLES[kind])
    node = broken
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    assert list(check_fields(broken))


def test_listener_checker_rejects_an_unknown_protocol() -> None:
    from rayfort.exposure.gateway import gateway

    good = gateway("dashboards", "gw", "addr", "map", [shared_listener("ray.example.com")])
    assert list(check_fields(good)) == []
    good["spec"]["listeners"][0]["protocol"] = "HTTPS only"
    assert list(check_fields(good))
