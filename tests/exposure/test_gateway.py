"""The Gateway API alternative: its kinds against the upstream CRDs, GKE's policy kinds against field checkers."""

from __future__ import annotations

import copy

import pytest

from rayfort.exposure.dashboard_backend import HEALTH_CHECK_PATH
from rayfort.exposure.gateway import GATEWAY_CLASS, backend_policy, health_check_policy, http_route, tenant_listener
from rayfort_tools.judges.field_checks import registered
from rayfort_tools.judges.k8s_schema import NoSchema, validate_manifest
from tests.conftest import resources
from tests.exposure.conftest import of_kind

HOSTS = {"team-a": "team-a.ray.example.com", "team-b": "models.ray.example.com"}


@pytest.fixture
def gateway_stack(exposure_stacks) -> dict:
    return exposure_stacks["gateway"]


def _by_namespace_token(manifests: list[dict], tenant: str) -> dict:
    (found,) = [m for m in manifests if f"tenant-{tenant}." in m["metadata"]["namespace"]]
    return found


def test_one_gateway_of_the_managed_global_class_on_a_reserved_address(gateway_stack) -> None:
    (gateway,) = of_kind(gateway_stack, "Gateway")
    assert gateway["spec"]["gatewayClassName"] == GATEWAY_CLASS == "gke-l7-global-external-managed"
    (address,) = gateway["spec"]["addresses"]
    assert address["type"] == "NamedAddress" and address["value"].startswith("${google_compute_global_address.")
    assert gateway["metadata"]["annotations"]["networking.gke.io/certmap"].startswith(
        "${google_certificate_manager_certificate_map."
    )


def test_each_tenant_has_an_https_listener_only_its_namespace_can_use(gateway_stack) -> None:
    (gateway,) = of_kind(gateway_stack, "Gateway")
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert set(listeners) == set(HOSTS)
    for tenant, listener in listeners.items():
        assert listener["protocol"] == "HTTPS" and listener["port"] == 443
        assert listener["hostname"] == HOSTS[tenant]
        namespaces = listener["allowedRoutes"]["namespaces"]
        assert namespaces == {"from": "Selector", "selector": {"matchLabels": {"kubernetes.io/metadata.name": tenant}}}


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
def test_each_tenant_routes_its_host_through_its_own_listener(gateway_stack, tenant: str) -> None:
    route = _by_namespace_token(of_kind(gateway_stack, "HTTPRoute"), tenant)
    assert route["spec"]["hostnames"] == [HOSTS[tenant]]
    (parent,) = route["spec"]["parentRefs"]
    assert parent["sectionName"] == tenant and parent["name"] == "dashboards"
    (rule,) = route["spec"]["rules"]
    (backend,) = rule["backendRefs"]
    assert backend == {"group": "", "kind": "Service", "name": f"{tenant}-dashboard", "port": 8265}


@pytest.mark.parametrize("tenant", sorted(HOSTS))
def test_each_dashboard_backend_has_iap_armor_and_a_tokenless_health_check(gateway_stack, tenant: str) -> None:
    policy = _by_namespace_token(of_kind(gateway_stack, "GCPBackendPolicy"), tenant)
    default = policy["spec"]["default"]
    assert default["iap"]["enabled"] is True
    assert default["iap"]["oauth2ClientSecret"] == {"name": f"{tenant}-iap-oauth-client"}
    assert "data.google_secret_manager_secret_version." in default["iap"]["clientID"]
    assert default["securityPolicy"].startswith("${google_compute_security_policy.")
    assert policy["spec"]["targetRef"] == {"group": "", "kind": "Service", "name": f"{tenant}-dashboard"}
    check = _by_namespace_token(of_kind(gateway_stack, "HealthCheckPolicy"), tenant)
    http = check["spec"]["default"]["config"]["httpHealthCheck"]
    assert http == {"port": 8265, "requestPath": HEALTH_CHECK_PATH}
    secret = _by_namespace_token(of_kind(gateway_stack, "Secret"), tenant)
    assert set(secret["stringData"]) == {"key"}
    assert "data.google_secret_manager_secret_version." in secret["stringData"]["key"]


def test_the_google_managed_client_is_the_default() -> None:
    assert backend_policy("a-dashboard", "a", "a-dashboard")["spec"]["default"]["iap"] == {"enabled": True}


def test_certificates_are_managed_per_host_in_one_map(gateway_stack) -> None:
    certificates = resources(gateway_stack, "google_certificate_manager_certificate")
    assert sorted(c["managed"]["domains"][0] for c in certificates) == sorted(HOSTS.values())
    entries = resources(gateway_stack, "google_certificate_manager_certificate_map_entry")
    assert sorted(e["hostname"] for e in entries) == sorted(HOSTS.values())
    records = resources(gateway_stack, "google_dns_record_set")
    assert sorted(r["name"] for r in records) == sorted(f"{h}." for h in HOSTS.values())
    assert len({r["rrdatas"][0] for r in records}) == 1


def test_no_ingress_objects_in_gateway_mode(gateway_stack) -> None:
    for kind in ("Ingress", "BackendConfig", "FrontendConfig", "ManagedCertificate"):
        assert of_kind(gateway_stack, kind) == []


# --- the schema judge: upstream CRDs, and field checkers for GKE's policy kinds ---


def check_fields(obj: dict) -> list:
    """The schema judge's errors for one object, GKE's policy kinds' field checkers registered."""
    with registered():
        return validate_manifest(obj)


SAMPLES = {
    "HTTPRoute": http_route("a-dashboard", "a", "a.ray.example.com", "a-dashboard", "dashboards", "gw", "a"),
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

    good = gateway("dashboards", "gw", "addr", "map", [tenant_listener("a", "a.ray.example.com")])
    assert list(check_fields(good)) == []
    good["spec"]["listeners"][0]["protocol"] = "HTTPS only"
    assert list(check_fields(good))
