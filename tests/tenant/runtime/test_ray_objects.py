"""Every object of both Ray runtimes passes the schema and Pod Security judges, in every TLS mode.

PodMonitoring, cert-manager's kinds and SecretProviderClass are held to their upstream CRDs; the
field checkers of ``rayfort_tools.judges.field_checks`` (GKE's policy kinds) are registered as the runner does.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest

from rayfort.config.tenant import TenantSettings
from rayfort.k8s.pod_security import check_object, pod_templates
from rayfort.tenant.runtime import ray_runtime_objects
from rayfort.tenant.runtime.inputs import RayRuntimeInputs
from rayfort_tools.judges.field_checks import registered
from rayfort_tools.judges.k8s_schema import validate_manifest

IMAGE = "rayproject/ray:2.52.1-py311"
TOKEN = "${google_redis_instance.ray.host}:6378"


def tenant(**overrides) -> TenantSettings:
    base = {
        "name": "team-a",
        "cost_center": "cc-1001",
        "groups": {"developers": ["ray-team-a-dev@example.com"]},
        "worker_groups": [{"name": "cpu"}, {"name": "gpu", "max_replicas": 2, "resources": {"gpu": 1}}],
    }
    return TenantSettings.model_validate({**base, **overrides})


def inputs(**overrides) -> RayRuntimeInputs:
    return RayRuntimeInputs(
        tenant=tenant(**overrides),
        image=IMAGE,
        project_id="rayfort-dev-000000",
        redis_address=TOKEN,
        redis_ca_cert="${google_redis_instance.ray.server_ca_certs[0].cert}",
        redis_password_secret="team-a-redis",
        gcs_bucket="rayfort-dev-team-a-artifacts",
    )


@pytest.fixture(autouse=True)
def field_checkers() -> Iterator[None]:
    with registered():
        yield


# --- the judges over every runtime and TLS mode ---------------------------------------------

MODES = [
    (runtime, tls, token)
    for runtime, tls, token in itertools.product(
        ("kuberay", "plain"), ("cert-manager", "kuberay", "secret-manager"), (True, False)
    )
    if not (runtime == "plain" and tls == "kuberay")
]


@pytest.mark.parametrize(("runtime", "tls", "token"), MODES)
def test_every_object_passes_schema_and_pod_security(runtime: str, tls: str, token: bool) -> None:
    objects = ray_runtime_objects(inputs(ray_runtime=runtime, tls=tls, token_auth=token))
    assert objects
    for obj in objects:
        assert validate_manifest(obj) == [], obj["kind"]
        assert check_object(obj) == [], obj["kind"]


@pytest.mark.parametrize(("runtime", "tls", "token"), MODES)
def test_every_object_is_namespaced_in_the_tenant_namespace(runtime: str, tls: str, token: bool) -> None:
    namespaced = {
        "ConfigMap",
        "Service",
        "Deployment",
        "RayCluster",
        "PodMonitoring",
        "Issuer",
        "Certificate",
        "SecretProviderClass",
        "Role",
        "RoleBinding",
    }
    for obj in ray_runtime_objects(inputs(ray_runtime=runtime, tls=tls, token_auth=token)):
        assert obj["kind"] in namespaced
        assert obj["metadata"]["namespace"] == "team-a"


def test_plain_runtime_needs_no_cluster_scoped_object_and_no_kuberay() -> None:
    objects = ray_runtime_objects(inputs(ray_runtime="plain", tls="secret-manager"))
    kinds = {(obj["apiVersion"], obj["kind"]) for obj in objects}
    # Core kinds, the CRDs GKE itself installs (managed Prometheus, the Secret Manager add-on) and
    # cert-manager's Issuer, which signs the pods' leaves with the organization's issuing CA.
    assert kinds == {
        ("v1", "ConfigMap"),
        ("v1", "Service"),
        ("apps/v1", "Deployment"),
        ("monitoring.googleapis.com/v1", "PodMonitoring"),
        ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"),
        ("cert-manager.io/v1", "Issuer"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    }
    assert not [obj for obj in objects if not obj["metadata"].get("namespace")]


def test_pod_security_covers_the_autoscaler_sidecar() -> None:
    cluster = next(o for o in ray_runtime_objects(inputs()) if o["kind"] == "RayCluster")
    head = dict(pod_templates(cluster))["spec.headGroupSpec.template.spec"]
    assert [c["name"] for c in head["containers"]] == ["ray-head", "autoscaler"]
    cluster["spec"]["autoscalerOptions"].pop("securityContext")
    assert check_object(cluster), "without its own securityContext the sidecar must fail restricted"


def test_no_secret_value_in_any_object() -> None:
    for runtime, tls, token in MODES:
        text = json.dumps(ray_runtime_objects(inputs(ray_runtime=runtime, tls=tls, token_auth=token)))
        assert "BEGIN" not in text and "PRIVATE KEY" not in text
        assert '"kind": "Secret"' not in text
    cluster = next(o for o in ray_runtime_objects(inputs()) if o["kind"] == "RayCluster")
    password = cluster["spec"]["gcsFaultToleranceOptions"]["redisPassword"]
    assert password == {"valueFrom": {"secretKeyRef": {"name": "team-a-redis", "key": "password"}}}


def test_field_checkers_refuse_typos() -> None:
    objects = ray_runtime_objects(inputs(tls="cert-manager"))
    monitoring = next(o for o in objects if o["kind"] == "PodMonitoring")
    monitoring["spec"]["endpoint"] = monitoring["spec"].pop("endpoints")
    assert validate_manifest(monitoring)
    certificate = next(o for o in objects if o["kind"] == "Certificate")
    certificate["spec"]["privateKey"]["algorithm"] = "DSA"
    assert validate_manifest(certificate)
