"""Intent: the dashboard edge's hardening values, in the shipped environments and on the Ingress variant.

``tests/hardening/registry.py`` names these tests for the values they assert, so that no edge hardening
value is kept by a snapshot alone. The shipped environments (``synthesized``: dev, prod, air-gapped) put
the dashboards behind the shared Gateway; the Ingress objects appear only with ``exposure.api: ingress``
(the exposure test environment ``ingress`` and the judged variant ``dev-sandbox``), asserted at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from rayfort.config import load_environment
from tests.conftest import ENVIRONMENTS, resources
from tests.exposure.conftest import of_kind

TENANT_LABEL = "rayfort.dev/tenant"
EVERY_REQUEST = 1000000
"""GCPBackendPolicy's ``logging.sampleRate`` is in millionths: 1000000 logs every request."""


def _address(resource_type: str, tf_json: dict) -> str:
    """The one resource of a type in a stack, as Terraform addresses it."""
    (address,) = tf_json["resource"][resource_type]
    return f"{resource_type}.{address}"


def _gateways(synthesized: dict) -> Iterator[tuple[str, dict, dict]]:
    """(env, exposure stack, Gateway) of every shipped environment that publishes dashboards."""
    for env, stacks in synthesized.items():
        exposure = stacks.get("exposure", {})
        for gateway in of_kind(exposure, "Gateway"):
            yield env, exposure, gateway


def _tenant_stacks(stacks: dict) -> Iterator[tuple[str, dict]]:
    for name, tf_json in stacks.items():
        if name.startswith("tenant-"):
            yield name, tf_json


# --- the shared Gateway of the shipped environments ----------------------------------------------------------


def test_every_dashboard_request_is_logged_at_the_gateway(synthesized) -> None:
    """Each routed dashboard Service's backend logs every request (``logging.enabled``, ``sampleRate`` 1000000).

    The load balancer's request log is the record of who reached which Ray cluster through IAP; a backend
    without the policy, logging off, or a sampled rate would lose requests from that record.
    """
    routed = set()
    for env, stacks in synthesized.items():
        for stack, tf_json in _tenant_stacks(stacks):
            policies = {p["spec"]["targetRef"]["name"]: p for p in of_kind(tf_json, "GCPBackendPolicy")}
            for route in of_kind(tf_json, "HTTPRoute"):
                for rule in route["spec"]["rules"]:
                    for backend in rule["backendRefs"]:
                        policy = policies.get(backend["name"])
                        assert policy is not None, f"{env}/{stack}: {backend['name']} has no GCPBackendPolicy"
                        assert policy["spec"]["targetRef"]["kind"] == "Service"
                        logging = policy["spec"]["default"]["logging"]
                        assert logging == {"enabled": True, "sampleRate": EVERY_REQUEST}, f"{env}/{stack}"
                        routed.add(env)
    assert {"dev", "prod"} <= routed


def test_the_gateway_serves_https_only_under_the_tls_1_2_ssl_policy(synthesized) -> None:
    """The GCPGatewayPolicy binds the edge's SSL policy (TLS 1.2 or newer, a strong profile) to the Gateway.

    Without ``sslPolicy`` the load balancer falls back to Google's COMPATIBLE profile and TLS 1.0; the
    Gateway has no plain-HTTP listener at all (what FrontendConfig's ``redirectToHttps`` did on Ingress).
    """
    envs = set()
    for env, exposure, gateway in _gateways(synthesized):
        envs.add(env)
        assert all(
            listener["protocol"] == "HTTPS" and listener["port"] == 443 for listener in gateway["spec"]["listeners"]
        )
        (policy,) = of_kind(exposure, "GCPGatewayPolicy")
        assert policy["spec"]["targetRef"] == {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": gateway["metadata"]["name"],
        }
        assert policy["spec"]["default"]["sslPolicy"] == f"${{{_address('google_compute_ssl_policy', exposure)}.name}}"
        (ssl,) = resources(exposure, "google_compute_ssl_policy")
        assert ssl["min_tls_version"] == "TLS_1_2" and ssl["profile"] in ("MODERN", "RESTRICTED"), env
    assert {"dev", "prod"} <= envs


def test_the_gateway_presents_google_managed_certificates_from_its_map(synthesized) -> None:
    """The Gateway's ``networking.gke.io/certmap`` is the edge's Certificate Manager map; each map entry's
    ``certificates`` is one Google-managed certificate for exactly the entry's host.

    No listener refers to a certificate Secret: no private key sits in the cluster or in Terraform state,
    and a host's entry cannot present another host's (or a self-managed, uploaded) certificate.
    """
    entries = 0
    for env, stacks in synthesized.items():
        exposure = stacks.get("exposure", {})
        for gateway in of_kind(exposure, "Gateway"):
            certmap = gateway["metadata"]["annotations"]["networking.gke.io/certmap"]
            map_address = _address("google_certificate_manager_certificate_map", exposure)
            assert certmap == f"${{{map_address}.name}}", env
            assert all("certificateRefs" not in listener.get("tls", {}) for listener in gateway["spec"]["listeners"])
        for stack, tf_json in [("exposure", exposure), *_tenant_stacks(stacks)]:
            certificates = tf_json.get("resource", {}).get("google_certificate_manager_certificate", {})
            for entry in resources(tf_json, "google_certificate_manager_certificate_map_entry"):
                entries += 1
                assert "google_certificate_manager_certificate_map" in entry["map"], f"{env}/{stack}"
                (reference,) = entry["certificates"]
                prefix = "${google_certificate_manager_certificate."
                assert reference.startswith(prefix) and reference.endswith(".id}"), f"{env}/{stack}: {reference}"
                certificate = certificates[reference[len(prefix) : -len(".id}")]]
                assert "self_managed" not in certificate, f"{env}/{stack}"
                assert certificate["managed"]["domains"] == [entry["hostname"]], f"{env}/{stack}"
    assert entries >= 2


def test_only_tenant_namespaces_attach_routes_to_the_gateway(synthesized) -> None:
    """Each listener's ``allowedRoutes`` admits HTTPRoutes from namespaces labelled ``rayfort.dev/tenant`` only.

    ``from: All`` (or ``Same`` with a tenant label on the Gateway's namespace) would let any namespace publish a
    route on the shared, IAP-fronted address; the host admission policy then keeps each tenant to its own host.
    """
    envs = set()
    for env, exposure, gateway in _gateways(synthesized):
        envs.add(env)
        for listener in gateway["spec"]["listeners"]:
            assert listener["allowedRoutes"] == {
                "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                "namespaces": {
                    "from": "Selector",
                    "selector": {"matchExpressions": [{"key": TENANT_LABEL, "operator": "Exists"}]},
                },
            }, env
        for namespace in of_kind(exposure, "Namespace"):
            assert TENANT_LABEL not in namespace["metadata"]["labels"], env
        tenants = [ns for _, tf in _tenant_stacks(synthesized[env]) for ns in of_kind(tf, "Namespace")]
        assert tenants and all(TENANT_LABEL in ns["metadata"]["labels"] for ns in tenants), env
    assert {"dev", "prod"} <= envs


# --- per-tenant Ingress (exposure.api: ingress), outside the shipped environments ------------------------------


@pytest.fixture(scope="module", params=["ingress", "variants/dev-sandbox"])
def ingress_stacks(request, all_stacks, synth_env) -> dict[str, dict]:
    """{stack: Terraform JSON} of an ``api: ingress`` environment: the exposure test one, the judged variant."""
    if request.param in all_stacks:
        return all_stacks[request.param]
    return synth_env(load_environment(ENVIRONMENTS / f"{request.param}.yaml"))


def test_ingress_dashboards_log_every_request_redirect_to_https_and_serve_managed_certificates(ingress_stacks) -> None:
    """On Ingress the same hardening lives in BackendConfig, FrontendConfig and an Ingress annotation.

    BackendConfig ``logging`` (``enable``, ``sampleRate`` 1.0) logs every request; FrontendConfig's
    ``redirectToHttps.enabled`` sends plain HTTP to HTTPS and its ``sslPolicy`` is the exposure stack's TLS 1.2
    policy; the Ingress's ``networking.gke.io/managed-certificates`` names a Google-managed certificate for
    exactly its hosts. The Service's backend-config annotation ties the BackendConfig to the dashboard backend.
    """
    (ssl,) = resources(ingress_stacks["exposure"], "google_compute_ssl_policy")
    assert ssl["min_tls_version"] == "TLS_1_2" and ssl["profile"] in ("MODERN", "RESTRICTED")
    ingresses = 0
    for stack, tf_json in _tenant_stacks(ingress_stacks):
        for ingress in of_kind(tf_json, "Ingress"):
            ingresses += 1
            annotations = ingress["metadata"]["annotations"]
            hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
            certificates = {c["metadata"]["name"]: c for c in of_kind(tf_json, "ManagedCertificate")}
            assert certificates[annotations["networking.gke.io/managed-certificates"]]["spec"]["domains"] == hosts
            frontends = {f["metadata"]["name"]: f for f in of_kind(tf_json, "FrontendConfig")}
            frontend = frontends[annotations["networking.gke.io/v1beta1.FrontendConfig"]]["spec"]
            assert frontend["redirectToHttps"]["enabled"] is True, stack
            assert frontend["sslPolicy"].startswith(
                "${data.terraform_remote_state.cross-stack-reference-input-exposure"
            )
            assert "google_compute_ssl_policy" in frontend["sslPolicy"], stack
            backends = {b["metadata"]["name"]: b for b in of_kind(tf_json, "BackendConfig")}
            services = {s["metadata"]["name"]: s for s in of_kind(tf_json, "Service")}
            for rule in ingress["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    service = services[path["backend"]["service"]["name"]]
                    config = json.loads(service["metadata"]["annotations"]["cloud.google.com/backend-config"])
                    backend = backends[config["default"]]["spec"]
                    assert backend["logging"] == {"enable": True, "sampleRate": 1}, stack
                    assert backend["iap"]["enabled"] is True, stack
    assert ingresses
