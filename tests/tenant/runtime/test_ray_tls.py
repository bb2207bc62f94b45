"""Ray's TLS: no Ray pod holds a CA key, each pod's init container gets its own leaf, trust survives a roll.

The init container's program is run here for real (python3 and openssl, as in the Ray image) against a
stand-in API server that signs its CSR the way cert-manager's CA issuer does: leaf and issuing CA as the
chain, the root as the CA.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from rayfort.k8s.pod_security import pod_templates
from rayfort.tenant.network_policies import TenantNetworkPolicyProps, tenant_network_policies
from rayfort.tenant.runtime import ray_runtime_objects
from rayfort.tenant.runtime.inputs import secret_manager_secret_ids
from rayfort.tenant.runtime.pods import RAY_PINNED_PORTS
from rayfort.tenant.runtime.tls import (
    ISSUING_CA_DURATION,
    ISSUING_CA_OVERLAP,
    LEAF_DURATION,
    REQUEST_ENV,
    ROOT_CA_DURATION,
    ROOT_CA_RENEW_BEFORE,
    ray_tls,
)
from rayfort_tools.judges.k8s_schema import validate_manifest
from tests.conftest import environment
from tests.tenant.cert_manager_standin import cert_manager_standin, make_ca, run_init
from tests.tenant.runtime.test_ray_objects import inputs

PER_POD = [(runtime, tls) for runtime in ("kuberay", "plain") for tls in ("cert-manager", "secret-manager")]


def _hours(duration: str) -> int:
    assert re.fullmatch(r"[0-9]+h", duration), duration
    return int(duration[:-1])


def _by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _ca_secrets(objects: list[dict]) -> set[str]:
    """Secrets holding a CA key: every CA Issuer's, and every CA Certificate's."""
    issuers = {o["spec"]["ca"]["secretName"] for o in _by_kind(objects, "Issuer").values() if "ca" in o["spec"]}
    return issuers | {o["spec"]["secretName"] for o in _by_kind(objects, "Certificate").values() if o["spec"]["isCA"]}


def _pods(objects: list[dict]):
    for obj in objects:
        for _, spec in pod_templates(obj):
            yield spec


# --- custody ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("runtime", "tls"), PER_POD)
def test_no_ray_pod_mounts_or_reads_a_ca_secret(runtime: str, tls: str) -> None:
    objects = ray_runtime_objects(inputs(ray_runtime=runtime, tls=tls))
    ca_secrets = _ca_secrets(objects)
    assert ca_secrets == {"team-a-ray-ca", "team-a-ray-root-ca"} if tls == "cert-manager" else {"team-a-ray-ca"}
    for spec in _pods(objects):
        volumes = json.dumps(spec.get("volumes", []))
        env = json.dumps([c.get("env", []) + c.get("envFrom", []) for c in spec["containers"]])
        for secret in ca_secrets:
            assert f'"{secret}"' not in volumes and f'"{secret}"' not in env
        # Nothing from Secret Manager carries TLS material any more.
        assert "ray-tls-ca" not in volumes
    assert not [o for o in objects if o["kind"] == "SecretProviderClass" and "tls" in o["metadata"]["name"]]


def test_no_ca_key_is_a_secret_manager_secret_the_pods_may_read() -> None:
    for tls in ("cert-manager", "secret-manager"):
        for runtime in ("kuberay", "plain"):
            assert not [s for s in secret_manager_secret_ids(inputs(ray_runtime=runtime, tls=tls).tenant) if "ca" in s]


@pytest.mark.parametrize(("runtime", "tls"), PER_POD)
def test_only_the_init_container_holds_the_token_that_requests_leaves(runtime: str, tls: str) -> None:
    for spec in _pods(ray_runtime_objects(inputs(ray_runtime=runtime, tls=tls))):
        (init,) = spec["initContainers"]
        assert init["name"] == "ray-tls-cert"
        assert {m["name"] for m in init["volumeMounts"]} == {"ray-tls", "ray-tls-api", "ray-tls-trust"}
        for container in spec["containers"]:  # the Ray container and, on a RayCluster head, the autoscaler
            assert [m for m in container.get("volumeMounts", []) if m["name"].startswith("ray-tls")] == [
                {"name": "ray-tls", "mountPath": "/etc/ray/tls", "readOnly": True}
            ]
        api = next(v for v in spec["volumes"] if v["name"] == "ray-tls-api")["projected"]["sources"]
        assert api[0] == {"serviceAccountToken": {"path": "token", "expirationSeconds": 600}}
        trust = next(v for v in spec["volumes"] if v["name"] == "ray-tls-trust")["configMap"]
        assert trust["name"] == "team-a-ray-trust" and trust["optional"] is True


@pytest.mark.parametrize("tls", ["cert-manager", "secret-manager"])
def test_the_role_lets_pods_request_leaves_and_nothing_else(tls: str) -> None:
    objects = ray_runtime_objects(inputs(tls=tls))
    (role,) = _by_kind(objects, "Role").values()
    assert role["rules"] == [
        {"apiGroups": ["cert-manager.io"], "resources": ["certificaterequests"], "verbs": ["create", "get"]}
    ]
    (binding,) = _by_kind(objects, "RoleBinding").values()
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert [s["name"] for s in binding["subjects"]] == ["ray-head", "ray-worker"]


def test_the_leaf_names_the_head_service_only_on_the_head() -> None:
    tls = ray_tls(inputs())
    head = {e["name"]: e.get("value") for e in tls.init_containers("head")[0]["env"]}
    worker = {e["name"]: e.get("value") for e in tls.init_containers("worker")[0]["env"]}
    assert head["HEAD_SERVICE"] == "team-a-head-svc" and "HEAD_SERVICE" not in worker
    assert head[REQUEST_ENV] == worker[REQUEST_ENV]
    assert json.loads(head[REQUEST_ENV])["spec"]["issuerRef"]["name"] == "team-a-ray-ca"


def test_kuberay_tls_leaves_the_certificates_to_the_operator() -> None:
    tls = ray_tls(inputs(tls="kuberay"))
    assert tls.cluster_options == {"tlsOptions": {"enabled": True}}
    assert (tls.objects, tls.volumes, tls.init_containers("head"), tls.init_containers("worker")) == ([], [], [], [])


# --- the PKI and its rotation ------------------------------------------------------------------


def test_cert_manager_keeps_a_root_and_a_rotating_issuing_ca() -> None:
    objects = ray_runtime_objects(inputs(tls="cert-manager"))
    issuers, certificates = _by_kind(objects, "Issuer"), _by_kind(objects, "Certificate")
    assert issuers["team-a-ray-ca-bootstrap"]["spec"] == {"selfSigned": {}}
    root, issuing = certificates["team-a-ray-root-ca"]["spec"], certificates["team-a-ray-ca"]["spec"]
    assert root["issuerRef"]["name"] == "team-a-ray-ca-bootstrap" and root["isCA"] is True
    assert issuers["team-a-ray-root"]["spec"] == {"ca": {"secretName": "team-a-ray-root-ca"}}
    assert issuing["issuerRef"]["name"] == "team-a-ray-root" and issuing["isCA"] is True
    assert issuers["team-a-ray-ca"]["spec"] == {"ca": {"secretName": "team-a-ray-ca"}}
    # The root is renewed with its key (old and new root certificates verify the same chains); the
    # issuing CA gets a new key at every renewal, which pods never trust directly.
    assert root["privateKey"]["rotationPolicy"] == "Never"
    assert issuing["privateKey"]["rotationPolicy"] == "Always"


def test_every_certificate_expires_before_the_one_that_signed_it_is_replaced() -> None:
    """A leaf outlives no issuing CA (it overlaps its successor longer); an issuing CA outlives no root."""
    objects = ray_runtime_objects(inputs(tls="cert-manager"))
    root, issuing = (_by_kind(objects, "Certificate")[name]["spec"] for name in ("team-a-ray-root-ca", "team-a-ray-ca"))
    assert (root["duration"], root["renewBefore"]) == (ROOT_CA_DURATION, ROOT_CA_RENEW_BEFORE)
    assert (issuing["duration"], issuing["renewBefore"]) == (ISSUING_CA_DURATION, ISSUING_CA_OVERLAP)
    assert _hours(LEAF_DURATION) < _hours(ISSUING_CA_OVERLAP) < _hours(ISSUING_CA_DURATION)
    assert _hours(ISSUING_CA_DURATION) <= _hours(ROOT_CA_RENEW_BEFORE) < _hours(ROOT_CA_DURATION)


def test_secret_manager_signs_with_the_imported_issuing_ca_and_makes_no_ca() -> None:
    objects = ray_runtime_objects(inputs(tls="secret-manager"))
    assert _by_kind(objects, "Certificate") == {}
    assert {name: o["spec"] for name, o in _by_kind(objects, "Issuer").items()} == {
        "team-a-ray-ca": {"ca": {"secretName": "team-a-ray-ca"}}
    }


# --- the network: nodes reach the API server only when they request leaves --------------------


@pytest.mark.parametrize("tls", ["cert-manager", "secret-manager", "kuberay"])
def test_every_node_reaches_the_api_server_exactly_when_it_requests_its_leaf(tls: str) -> None:
    env = environment("dev")
    tenant = env.tenants[0].model_copy(update={"tls": tls})
    props = TenantNetworkPolicyProps.for_tenant(
        tenant,
        RAY_PINNED_PORTS,
        "kuberay-system",
        control_plane_cidr=env.network.control_plane_cidr,
        google_apis_cidr=env.network.google_apis_cidr,
        redis_cidr=env.network.private_services_cidr,
    )
    policies = {p["metadata"]["name"]: p for p in tenant_network_policies(props)}
    if tls == "kuberay":
        assert "ray-certificate-requests" not in policies
        return
    policy = policies["ray-certificate-requests"]["spec"]
    assert policy["podSelector"]["matchExpressions"] == [
        {"key": "ray.io/node-type", "operator": "In", "values": ["head", "worker"]}
    ]
    assert policy["egress"] == [
        {"to": [{"ipBlock": {"cidr": "172.16.0.0/28"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    ]


# --- the init container's program, run for real -------------------------------------------------


@pytest.fixture
def api_server(tmp_path: Path):
    """The stand-in with the tenant PKI it signs with: a root and an issuing CA."""
    pki = tmp_path / "pki"
    pki.mkdir()
    with cert_manager_standin(pki) as standin:
        make_ca(pki, "root")
        make_ca(pki, "issuing", issuer="root")
        yield standin


def test_the_head_gets_a_leaf_for_its_ip_and_service_and_trusts_the_root(api_server, tmp_path: Path) -> None:
    handler = api_server
    handler.answers = [{"status": {}}, {"status": "signed"}]  # pending once, then issued
    container = ray_tls(inputs()).init_containers("head")[0]
    result = run_init(container, tmp_path, handler, extra_trust=b"-----BEGIN CERTIFICATE-----\nold root\n")
    out = tmp_path / "tls"
    assert result.returncode == 0, result.stderr
    assert "issued by cert-manager: CertificateRequest team-a-head-4xq9z-x7k2p" in result.stdout
    post, *gets = handler.requests
    assert post["path"] == "/apis/cert-manager.io/v1/namespaces/team-a/certificaterequests"
    assert {r["authorization"] for r in handler.requests} == {"Bearer the-projected-token"}
    assert [g["path"] for g in gets] == [post["path"] + "/team-a-head-4xq9z-x7k2p"] * 2
    body = post["body"]
    assert body["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Pod", "name": "team-a-head-4xq9z", "uid": "0b6a1c9e-uid"}
    ]
    assert body["spec"]["issuerRef"] == {"group": "cert-manager.io", "kind": "Issuer", "name": "team-a-ray-ca"}
    assert (body["spec"]["isCA"], body["spec"]["duration"]) == (False, LEAF_DURATION)
    # What the pod sends, namespace added as the API server does, is a valid CertificateRequest.
    assert validate_manifest({**body, "metadata": {**body["metadata"], "namespace": "team-a"}}) == []
    leaf = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", out / "tls.crt"], capture_output=True, text=True
    ).stdout
    for name in ("IP Address:10.20.0.7", "IP Address:127.0.0.1", "DNS:localhost", "DNS:team-a-head-svc"):
        assert name in leaf
    assert "DNS:team-a-head-svc.team-a.svc.cluster.local" in leaf
    # tls.crt is the leaf and its issuing CA (the chain gRPC sends); ca.crt the root, then the extra trust.
    assert (out / "tls.crt").read_text().count("BEGIN CERTIFICATE") == 2
    pki = handler.pki
    assert (out / "ca.crt").read_bytes() == (
        pki / "root.crt"
    ).read_bytes() + b"\n-----BEGIN CERTIFICATE-----\nold root\n"
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", pki / "root.crt", "-untrusted", out / "tls.crt", out / "tls.crt"],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert (out / "tls.key").stat().st_mode & 0o777 == 0o400
    assert not (out / "tls.csr").exists()


def test_a_worker_leaf_names_its_ip_but_not_the_head_service(api_server, tmp_path: Path) -> None:
    handler = api_server
    result = run_init(ray_tls(inputs()).init_containers("worker")[0], tmp_path, handler)
    out = tmp_path / "tls"
    assert result.returncode == 0, result.stderr
    leaf = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", out / "tls.crt"], capture_output=True, text=True
    ).stdout
    assert "IP Address:10.20.0.7" in leaf and "head-svc" not in leaf
    assert (out / "ca.crt").read_bytes() == (handler.pki / "root.crt").read_bytes()


def test_a_refused_request_fails_the_pod_start(api_server, tmp_path: Path) -> None:
    handler = api_server
    handler.answers = [
        {"status": {"conditions": [{"type": "Denied", "status": "True", "message": "denied by policy"}]}}
    ]
    result = run_init(ray_tls(inputs()).init_containers("worker")[0], tmp_path, handler)
    out = tmp_path / "tls"
    assert result.returncode != 0
    assert "refused: denied by policy" in result.stderr
    assert not (out / "tls.crt").exists()
