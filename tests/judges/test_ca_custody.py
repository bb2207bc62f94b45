"""The CA custody judge: the output before issue 20 fails it, today's passes, and every way to reach a CA key fails.

``fixtures/ca_custody/before-issue-20.json`` is rayfort's own output before issue 20 (the dev tenant
team-a's RayCluster and the prod tenant fraud-scoring's Deployments, with their Issuer and CA
Certificate), when each pod's init container mounted the tenant CA's Secret to sign its own leaf.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from rayfort_tools.judges.ca_custody import _delivered_keys, ca_keys, pod_findings
from rayfort_tools.judges.runner import Synthesized, judge_ca_custody

BEFORE = Path(__file__).parent / "fixtures" / "ca_custody" / "before-issue-20.json"


def _judge(stacks: dict[str, dict], tmp_path: Path):
    return judge_ca_custody([Synthesized("test", tmp_path, stacks)])


def _manifests(tf_json: dict) -> dict[str, dict]:
    return {name: body["manifest"] for name, body in tf_json["resource"]["kubernetes_manifest"].items()}


def _find(tf_json: dict, kind: str, name: str | None = None) -> dict:
    return next(m for m in _manifests(tf_json).values() if m["kind"] == kind and name in (None, m["metadata"]["name"]))


def test_the_output_before_issue_20_fails_in_every_pod(tmp_path: Path) -> None:
    result = _judge(json.loads(BEFORE.read_text()), tmp_path)
    # team-a: the head and its worker group; fraud-scoring: the head and its worker Deployment.
    assert (result.checked, result.failed) == (4, 4), result.failures
    assert all("CA Certificate" in failure and "mounted by ray-tls-cert" in failure for failure in result.failures)


def test_todays_output_passes(synthesized: dict, tmp_path: Path) -> None:
    for name, stacks in synthesized.items():
        result = judge_ca_custody([Synthesized(name, tmp_path, stacks)])
        assert result.failed == 0, result.failures
        assert result.checked >= 2, name  # every shipped environment has a head and workers


@pytest.fixture
def dev_tenant(synthesized: dict) -> dict:
    return copy.deepcopy(synthesized["dev"]["tenant-team-a"])


def _worker_spec(tf_json: dict) -> dict:
    return _find(tf_json, "RayCluster")["spec"]["workerGroupSpecs"][0]["template"]["spec"]


def test_a_secret_volume_of_the_issuing_ca_fails(dev_tenant: dict, tmp_path: Path) -> None:
    spec = _worker_spec(dev_tenant)
    spec["volumes"].append({"name": "ca", "secret": {"secretName": "team-a-ray-ca"}})
    spec["containers"][0]["volumeMounts"].append({"name": "ca", "mountPath": "/ca"})
    result = _judge({"tenant-team-a": dev_tenant}, tmp_path)
    assert result.failed == 1
    assert (
        "Secret team-a-ray-ca (CA Certificate team-a-ray-ca; Issuer team-a-ray-ca signs with it)" in result.failures[0]
    )
    assert "mounted by ray-worker" in result.failures[0]


def test_a_declared_volume_fails_even_before_a_container_mounts_it(dev_tenant: dict, tmp_path: Path) -> None:
    _worker_spec(dev_tenant)["volumes"].append({"name": "ca", "secret": {"secretName": "team-a-ray-root-ca"}})
    result = _judge({"tenant-team-a": dev_tenant}, tmp_path)
    assert result.failed == 1 and "no container yet" in result.failures[0]


def test_a_projected_root_ca_fails(dev_tenant: dict, tmp_path: Path) -> None:
    head = _find(dev_tenant, "RayCluster")["spec"]["headGroupSpec"]["template"]["spec"]
    head["volumes"].append({"name": "ca", "projected": {"sources": [{"secret": {"name": "team-a-ray-root-ca"}}]}})
    assert _judge({"tenant-team-a": dev_tenant}, tmp_path).failed == 1


def test_the_autoscaler_reading_a_ca_key_fails(dev_tenant: dict, tmp_path: Path) -> None:
    """The sidecar is not in the template: KubeRay builds it from autoscalerOptions, and the judge renders it."""
    options = _find(dev_tenant, "RayCluster")["spec"]["autoscalerOptions"]
    options["env"].append(
        {"name": "CA_KEY", "valueFrom": {"secretKeyRef": {"name": "team-a-ray-ca", "key": "tls.key"}}}
    )
    result = _judge({"tenant-team-a": dev_tenant}, tmp_path)
    assert result.failed == 1 and "container autoscaler reads Secret team-a-ray-ca" in result.failures[0]


def test_a_deployment_reading_a_ca_issuers_secret_fails(synthesized: dict, tmp_path: Path) -> None:
    tenant = copy.deepcopy(synthesized["prod"]["tenant-fraud-scoring"])
    head = _find(tenant, "Deployment", "fraud-scoring-head")["spec"]["template"]["spec"]
    head["containers"][0]["envFrom"] = [{"secretRef": {"name": "fraud-scoring-ray-ca"}}]
    result = _judge({"tenant-fraud-scoring": tenant}, tmp_path)
    assert result.failed == 1 and "Issuer fraud-scoring-ray-ca signs with it" in result.failures[0]


def _deployment(namespace: str, volume: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": namespace},
        "spec": {"template": {"spec": {"containers": [{"name": "c"}], "volumes": [volume]}}},
    }


def test_a_cluster_issuers_secret_is_found_in_cert_managers_namespace() -> None:
    issuer = {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "corp"}}
    issuer["spec"] = {"ca": {"secretName": "corp-ca"}}
    keys = ca_keys([issuer])
    volume = {"name": "v", "secret": {"secretName": "corp-ca"}}
    assert [f for _, f in pod_findings(_deployment("cert-manager", volume), keys)] != [[]]
    # A Secret of the same name elsewhere is another Secret.
    assert [f for _, f in pod_findings(_deployment("team-x", volume), keys)] == [[]]


def test_an_unresolved_namespace_can_only_make_the_judge_stricter() -> None:
    certificate = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"namespace": "${ns}"}}
    certificate["metadata"]["name"] = "ca"
    certificate["spec"] = {"isCA": True, "secretName": "ca"}
    keys = ca_keys([certificate])
    assert [f for _, f in pod_findings(_deployment("team-x", {"name": "v", "secret": {"secretName": "ca"}}), keys)] != [
        []
    ]


def test_a_private_key_from_secret_manager_fails_and_a_token_does_not(dev_tenant: dict, tmp_path: Path) -> None:
    """Before issue 20, ``tls: secret-manager`` delivered the tenant CA's key through the GKE add-on."""
    secrets = (
        '- resourceName: "projects/p/secrets/team-a-ray-tls-ca-cert/versions/latest"\n  path: "tls.crt"\n'
        '- resourceName: "projects/p/secrets/team-a-ray-tls-ca-key/versions/latest"\n  path: "tls.key"\n'
    )
    provider = {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {
            "name": "team-a-ray-tls-ca",
            "namespace": _find(dev_tenant, "RayCluster")["metadata"]["namespace"],
        },
        "spec": {"provider": "gke", "parameters": {"secrets": secrets}},
    }
    dev_tenant["resource"]["kubernetes_manifest"]["spc"] = {"manifest": provider}
    csi = {"driver": "secrets-store-gke.csi.k8s.io", "readOnly": True}
    csi["volumeAttributes"] = {"secretProviderClass": "team-a-ray-tls-ca"}
    _worker_spec(dev_tenant)["volumes"].append({"name": "ray-tls-ca", "csi": csi})
    result = _judge({"tenant-team-a": dev_tenant}, tmp_path)
    assert result.failed == 1 and "team-a-ray-tls-ca-key/versions/latest as tls.key" in result.failures[0]


@pytest.mark.parametrize(
    ("path", "delivers_a_key"),
    [("tls.key", True), ("ca.key", True), ("signing-key.pem", True), ("token", False), ("tls.crt", False)],
)
def test_what_counts_as_a_delivered_private_key(path: str, delivers_a_key: bool) -> None:
    spec = {"parameters": {"secrets": f'- resourceName: "projects/p/secrets/s/versions/1"\n  path: "{path}"\n'}}
    assert bool(_delivered_keys(spec)) is delivers_a_key
