"""The schema judge passes what the API server would keep and fails what it would drop."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import yaml

from rayfort.versions import KUBERAY_VERSION
from rayfort_tools.judges import k8s_schema
from rayfort_tools.judges.k8s_schema import (
    NoSchema,
    SchemaError,
    manifests_in_stack,
    register_field_checker,
    unregister_field_checker,
    validate_manifest,
    validate_stack,
)
from rayfort_tools.judges.reference import ReferenceMissing, require_reference

NAMESPACE = "team-a"
LABELS = {"app.kubernetes.io/name": "ray", "rayfort.dev/team": "team-a"}


def _meta(name: str, namespace: str | None = NAMESPACE) -> dict:
    meta = {"name": name, "labels": dict(LABELS)}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _container() -> dict:
    return {
        "name": "ray-head",
        "image": "rayproject/ray:2.52.1-py311",
        "ports": [{"containerPort": 8265, "name": "dashboard", "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "4Gi"}},
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


CORE_OBJECTS = {
    "Namespace": {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta("team-a", None)},
    "NetworkPolicy": {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta("default-deny"),
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"ray.io/cluster": "ray"}}}],
                    "ports": [{"port": 6379, "protocol": "TCP"}, {"port": "dashboard"}],
                }
            ],
        },
    },
    "Deployment": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta("proxy"),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "proxy"}},
            "template": {
                "metadata": {"labels": {"app": "proxy"}},
                "spec": {"automountServiceAccountToken": False, "containers": [_container()]},
            },
        },
    },
    "Service": {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta("ray-dashboard"),
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": "ray"},
            "ports": [{"name": "dashboard", "port": 8265, "targetPort": "dashboard"}],
        },
    },
    "ResourceQuota": {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": _meta("quota"),
        "spec": {"hard": {"requests.cpu": "64", "limits.memory": "256Gi", "pods": 200}},
    },
    "LimitRange": {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": _meta("limits"),
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "500m"}}]},
    },
    "Role": {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta("ray-user"),
        "rules": [{"apiGroups": ["ray.io"], "resources": ["rayjobs"], "verbs": ["get", "list", "create"]}],
    },
    "RoleBinding": {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta("ray-user"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "ray-user"},
        "subjects": [{"kind": "Group", "name": "team-a@example.com", "apiGroup": "rbac.authorization.k8s.io"}],
    },
    "ServiceAccount": {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            **_meta("ray-head"),
            "annotations": {"iam.gke.io/gcp-service-account": "${google_service_account.ray.email}"},
        },
        "automountServiceAccountToken": False,
    },
    "PodDisruptionBudget": {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta("ray-head"),
        "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"ray.io/node-type": "head"}}},
    },
}


def _core(kind: str) -> dict:
    return copy.deepcopy(CORE_OBJECTS[kind])


def _messages(errors: list[SchemaError]) -> list[tuple[str, str]]:
    return [(error.path, error.message) for error in errors]


def _reference(*parts: str) -> Path:
    try:
        return require_reference(*parts)
    except ReferenceMissing as missing:
        pytest.skip(str(missing))


def _kuberay_samples() -> list[dict]:
    samples = _reference(f"kuberay-v{KUBERAY_VERSION}", "samples")
    return [
        doc
        for sample in sorted(samples.glob("*.yaml"))
        for doc in yaml.safe_load_all(sample.read_text())
        if doc and doc.get("kind") == "RayCluster"
    ]


@pytest.fixture
def ray_cluster() -> dict:
    by_name = {doc["metadata"]["name"]: doc for doc in _kuberay_samples()}
    return copy.deepcopy(by_name["raycluster-kuberay"])


# --- Kubernetes kinds -------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CORE_OBJECTS))
def test_valid_core_objects_pass(kind):
    assert validate_manifest(_core(kind)) == []


def test_typo_in_a_field_name_is_an_unknown_field():
    policy = _core("NetworkPolicy")
    policy["spec"]["podSelectr"] = policy["spec"].pop("podSelector")
    assert _messages(validate_manifest(policy)) == [
        ("$.spec", "'podSelector' is a required property"),
        ("$.spec.podSelectr", "unknown field"),
    ]


def test_unknown_field_deep_in_a_pod_template_fails():
    deployment = _core("Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsNonRot"] = True
    errors = validate_manifest(deployment)
    assert _messages(errors) == [("$.spec.template.spec.containers[0].securityContext.runAsNonRot", "unknown field")]
    assert (errors[0].api_version, errors[0].kind, errors[0].namespace, errors[0].name) == (
        "apps/v1",
        "Deployment",
        NAMESPACE,
        "proxy",
    )


def test_wrong_type_fails():
    deployment = _core("Deployment")
    deployment["spec"]["replicas"] = "two"
    assert [error.path for error in validate_manifest(deployment)] == ["$.spec.replicas"]


def test_unknown_metadata_field_fails():
    namespace = _core("Namespace")
    namespace["metadata"]["label"] = {"a": "b"}
    assert _messages(validate_manifest(namespace)) == [("$.metadata.label", "unknown field")]


def test_interpolation_satisfies_any_scalar_but_not_an_object():
    deployment = _core("Deployment")
    deployment["spec"]["replicas"] = "${var.replicas}"
    deployment["spec"]["template"]["spec"]["automountServiceAccountToken"] = "${var.automount}"
    assert validate_manifest(deployment) == []

    deployment["spec"]["selector"] = "${var.selector}"
    assert [error.path for error in validate_manifest(deployment)] == ["$.spec.selector"]


def test_interpolation_in_an_int_or_string_field_passes():
    budget = _core("PodDisruptionBudget")
    budget["spec"]["maxUnavailable"] = "${var.max_unavailable}"
    assert validate_manifest(budget) == []


# --- KubeRay kinds ----------------------------------------------------------


def test_kuberay_samples_pass():
    samples = _kuberay_samples()
    assert len(samples) >= 5
    for sample in samples:
        assert validate_manifest(sample) == [], sample["metadata"]["name"]


def test_validating_does_not_change_the_object(ray_cluster):
    del ray_cluster["spec"]["workerGroupSpecs"][0]["minReplicas"]
    before = copy.deepcopy(ray_cluster)
    validate_manifest(ray_cluster)
    assert ray_cluster == before


def test_ray_cluster_with_unknown_field_fails(ray_cluster):
    ray_cluster["spec"]["headGroupSpec"]["enableIngres"] = False
    assert _messages(validate_manifest(ray_cluster)) == [("$.spec.headGroupSpec.enableIngres", "unknown field")]


def test_ray_cluster_pod_template_is_checked_in_full(ray_cluster):
    container = ray_cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    container["securityContext"] = {"runAsNonRoot": "yes", "readOnlyRootFS": True}
    assert sorted(error.path for error in validate_manifest(ray_cluster)) == [
        "$.spec.headGroupSpec.template.spec.containers[0].securityContext.readOnlyRootFS",
        "$.spec.headGroupSpec.template.spec.containers[0].securityContext.runAsNonRoot",
    ]


def test_ray_cluster_metadata_is_checked_as_object_meta(ray_cluster):
    ray_cluster["metadata"]["lables"] = {"team": "a"}
    ray_cluster["metadata"]["annotations"] = {"rayfort.dev/owner": 7}
    assert sorted(error.path for error in validate_manifest(ray_cluster)) == [
        '$.metadata.annotations["rayfort.dev/owner"]',
        "$.metadata.lables",
    ]


def test_ray_cluster_missing_required_field_without_default_fails(ray_cluster):
    del ray_cluster["spec"]["workerGroupSpecs"][0]["groupName"]
    assert _messages(validate_manifest(ray_cluster)) == [
        ("$.spec.workerGroupSpecs[0]", "'groupName' is a required property")
    ]


def test_ray_cluster_relying_on_defaulted_required_fields_passes(ray_cluster):
    # minReplicas and maxReplicas are required in the CRD but carry defaults (0, 2147483647).
    worker = ray_cluster["spec"]["workerGroupSpecs"][0]
    del worker["minReplicas"], worker["maxReplicas"]
    assert validate_manifest(ray_cluster) == []


def test_ray_cluster_null_counts_as_absent(ray_cluster):
    ray_cluster["spec"]["workerGroupSpecs"][0]["minReplicas"] = None
    assert validate_manifest(ray_cluster) == []
    ray_cluster["spec"]["workerGroupSpecs"][0]["groupName"] = None
    assert _messages(validate_manifest(ray_cluster)) == [
        ("$.spec.workerGroupSpecs[0]", "'groupName' is a required property")
    ]


def test_ray_cluster_wrong_type_fails_and_interpolation_passes(ray_cluster):
    worker = ray_cluster["spec"]["workerGroupSpecs"][0]
    worker["replicas"] = "${var.workers}"
    assert validate_manifest(ray_cluster) == []
    worker["replicas"] = "one"
    assert [error.path for error in validate_manifest(ray_cluster)] == ["$.spec.workerGroupSpecs[0].replicas"]


def test_ray_cluster_quantity_pattern_holds_unless_interpolated(ray_cluster):
    limits = ray_cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    limits["memory"] = "${var.head_memory}"
    assert validate_manifest(ray_cluster) == []
    limits["memory"] = "5 GB"
    assert [error.path for error in validate_manifest(ray_cluster)] == [
        "$.spec.headGroupSpec.template.spec.containers[0].resources.limits.memory"
    ]


def test_other_kuberay_kinds_are_checked(ray_cluster):
    cluster_spec = ray_cluster["spec"]
    job_spec = {"entrypoint": "python train.py", "rayClusterSpec": cluster_spec, "shutdownAfterJobFinishes": True}
    kinds = {
        "RayJob": job_spec,
        "RayService": {"rayClusterConfig": cluster_spec},
        "RayCronJob": {"schedule": "0 * * * *", "jobTemplate": job_spec},
    }
    for kind, spec in kinds.items():
        obj = {"apiVersion": "ray.io/v1", "kind": kind, "metadata": _meta("train"), "spec": spec}
        assert validate_manifest(obj) == [], kind
        obj = copy.deepcopy(obj)
        obj["spec"]["rayClusterSpc"] = {}
        assert _messages(validate_manifest(obj)) == [("$.spec.rayClusterSpc", "unknown field")], kind


def test_unserved_kuberay_version_fails(ray_cluster):
    ray_cluster["apiVersion"] = "ray.io/v2"
    assert [error.path for error in validate_manifest(ray_cluster)] == ["$.apiVersion"]


# --- GKE kinds --------------------------------------------------------------


def _gke(api_version: str, kind: str, spec: dict) -> dict:
    _reference("gke-crd-schemas")
    return {"apiVersion": api_version, "kind": kind, "metadata": _meta("ray-dashboard"), "spec": spec}


def test_backend_config_with_iap_passes():
    assert validate_manifest(_gke("cloud.google.com/v1", "BackendConfig", {"iap": {"enabled": True}})) == []


def test_backend_config_relies_on_defaulted_enabled():
    assert validate_manifest(_gke("cloud.google.com/v1", "BackendConfig", {"iap": {}})) == []


def test_backend_config_with_unknown_key_fails():
    config = _gke("cloud.google.com/v1", "BackendConfig", {"iap": {"enabled": True, "oauthClientCredentials": {}}})
    assert _messages(validate_manifest(config)) == [("$.spec.iap.oauthClientCredentials", "unknown field")]


def test_backend_config_with_wrong_type_fails():
    config = _gke("cloud.google.com/v1", "BackendConfig", {"timeoutSec": "30s"})
    assert [error.path for error in validate_manifest(config)] == ["$.spec.timeoutSec"]


def test_managed_certificate():
    certificate = _gke("networking.gke.io/v1", "ManagedCertificate", {"domains": ["ray.team-a.example.com"]})
    assert validate_manifest(certificate) == []

    certificate["spec"]["domains"] = ["${google_dns_record_set.ray.name}"]
    assert validate_manifest(certificate) == []

    certificate["spec"]["domains"] = ["Ray.Example.com"]
    assert [error.path for error in validate_manifest(certificate)] == ["$.spec.domains[0]"]

    certificate["spec"] = {"domain": "ray.team-a.example.com"}
    assert _messages(validate_manifest(certificate)) == [("$.spec.domain", "unknown field")]


def test_frontend_config():
    spec = {"redirectToHttps": {"enabled": True, "responseCodeName": "PERMANENT_REDIRECT"}, "sslPolicy": "modern"}
    config = _gke("networking.gke.io/v1beta1", "FrontendConfig", spec)
    assert validate_manifest(config) == []

    config["spec"]["redirectToHTTPS"] = config["spec"].pop("redirectToHttps")
    assert _messages(validate_manifest(config)) == [("$.spec.redirectToHTTPS", "unknown field")]


def test_gke_kind_in_the_wrong_version_has_no_schema():
    config = _gke("networking.gke.io/v1", "FrontendConfig", {})
    assert isinstance(validate_manifest(config)[0], NoSchema)


# --- CRD extensions the reference CRDs do not use yet --------------------------


EXTENSIONS_CRD = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "port": {"x-kubernetes-int-or-string": True},
                "expires": {"type": "string", "nullable": True},
                "values": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "env": {"type": "object", "additionalProperties": {"type": "string"}},
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"data": {"type": "object", "additionalProperties": True}},
                },
            },
        },
    },
}


@pytest.mark.parametrize(
    "spec, paths",
    [
        ({"port": 8080, "expires": None, "values": {"any": {"thing": 1}}, "env": {"A": "b"}}, []),
        ({"port": "http"}, []),
        ({"port": 1.5}, ["$.spec.port"]),
        ({"env": {"A": 1}}, ["$.spec.env.A"]),
        ({"template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}}, []),
        ({"template": {"metadata": {"name": "a"}}}, ["$.spec.template", "$.spec.template"]),
        (
            {"template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"nmae": "a"}}},
            ["$.spec.template.metadata.nmae"],
        ),
        ({"portt": 1}, ["$.spec.portt"]),
    ],
)
def test_crd_extensions_keep_their_kubernetes_meaning(spec, paths):
    validator = k8s_schema._crd_validator(EXTENSIONS_CRD)
    obj = {"apiVersion": "rayfort.dev/v1", "kind": "Extensions", "metadata": {"name": "x"}, "spec": spec}
    assert [error.path for error in k8s_schema._errors(("", "", "", ""), validator, obj)] == paths


# --- kinds without a schema -------------------------------------------------


def test_unknown_kind_fails_with_no_schema():
    errors = validate_manifest({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": _meta("w")})
    assert len(errors) == 1 and isinstance(errors[0], NoSchema)
    assert errors[0].message == "no schema for example.com/v1/Widget"


@pytest.mark.parametrize(
    "api_version, kind",
    [
        ("networking.gke.io/v1", "GCPBackendPolicy"),
        ("networking.gke.io/v1", "HealthCheckPolicy"),
        ("networking.gke.io/v1", "GCPGatewayPolicy"),
    ],
)
def test_gke_policy_kinds_have_no_schema_and_fail_unless_a_field_checker_vouches(api_version, kind):
    errors = validate_manifest({"apiVersion": api_version, "kind": kind, "metadata": _meta("x"), "spec": {}})
    assert [type(error) for error in errors] == [NoSchema]


# --- upstream CRDs (cert-manager, PodMonitoring, SecretProviderClass, Gateway API) ---

UPSTREAM_OBJECTS = {
    "Certificate": (
        "cert-manager.io/v1",
        {
            "secretName": "ray-ca",
            "isCA": True,
            "commonName": "team-a ray CA",
            "duration": "8760h",
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "issuerRef": {"name": "bootstrap", "kind": "Issuer", "group": "cert-manager.io"},
        },
    ),
    "Issuer": ("cert-manager.io/v1", {"selfSigned": {}}),
    # From the cert-manager chart's CRD templates (the reference crds/ has no copy).
    "ClusterIssuer": ("cert-manager.io/v1", {"ca": {"secretName": "corp-ca"}}),
    "CertificateRequest": (
        "cert-manager.io/v1",
        {
            "request": "LS0tLS1CRUdJTg==",
            "issuerRef": {"group": "cert-manager.io", "kind": "Issuer", "name": "team-a-ray-ca"},
            "duration": "2160h",
            "isCA": False,
            "usages": ["digital signature", "server auth", "client auth"],
        },
    ),
    "PodMonitoring": (
        "monitoring.googleapis.com/v1",
        {
            "selector": {"matchLabels": {"ray.io/cluster": "team-a"}},
            "endpoints": [{"port": "metrics", "interval": "30s"}],
        },
    ),
    "SecretProviderClass": (
        "secrets-store.csi.x-k8s.io/v1",
        {"provider": "gke", "parameters": {"secrets": "- resourceName: projects/p/secrets/s/versions/1\n"}},
    ),
    "Gateway": (
        "gateway.networking.k8s.io/v1",
        {
            "gatewayClassName": "gke-l7-global-external-managed",
            "addresses": [{"type": "NamedAddress", "value": "${google_compute_global_address.ray.name}"}],
            "listeners": [{"name": "team-a", "hostname": "a.ray.example.com", "port": 443, "protocol": "HTTPS"}],
        },
    ),
    "HTTPRoute": (
        "gateway.networking.k8s.io/v1",
        {
            "parentRefs": [{"name": "dashboards", "namespace": "gw", "sectionName": "team-a"}],
            "hostnames": ["a.ray.example.com"],
            "rules": [{"backendRefs": [{"name": "team-a-dashboard", "port": 8265}]}],
        },
    ),
}


def _upstream(kind: str) -> dict:
    _reference("crds")
    api_version, spec = UPSTREAM_OBJECTS[kind]
    return {"apiVersion": api_version, "kind": kind, "metadata": _meta("x"), "spec": copy.deepcopy(spec)}


@pytest.mark.parametrize("kind", sorted(UPSTREAM_OBJECTS))
def test_upstream_crd_kinds_pass_when_valid(kind):
    assert validate_manifest(_upstream(kind)) == []


@pytest.mark.parametrize("kind", sorted(UPSTREAM_OBJECTS))
def test_upstream_crd_kinds_fail_on_an_unknown_field(kind):
    obj = _upstream(kind)
    obj["spec"]["misspelt"] = True
    assert _messages(validate_manifest(obj)) == [("$.spec.misspelt", "unknown field")]


@pytest.mark.parametrize(
    "kind, path, value",
    [
        ("Certificate", ("privateKey", "rotationPolicy"), "Sometimes"),
        ("CertificateRequest", ("usages", 0), "server"),
        ("HTTPRoute", ("rules", 0, "backendRefs", 0, "port"), 0),
        ("Gateway", ("listeners", 0, "port"), 70000),
        ("PodMonitoring", ("endpoints", 0, "interval"), "often"),
    ],
)
def test_upstream_crd_kinds_fail_on_an_invalid_value(kind, path, value):
    obj = _upstream(kind)
    node = obj["spec"]
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    assert validate_manifest(obj)


def test_upstream_crd_kinds_fail_on_a_version_the_crd_does_not_serve():
    obj = _upstream("Issuer")
    obj["apiVersion"] = "cert-manager.io/v1alpha2"
    assert _messages(validate_manifest(obj)) == [
        ("$.apiVersion", "the upstream Issuer CRD does not serve cert-manager.io/v1alpha2")
    ]


def test_a_junctor_branch_does_not_make_the_other_fields_unknown():
    """Gateway addresses: a oneOf branch names only `type`; `value` is still a declared field."""
    obj = _upstream("Gateway")
    assert obj["spec"]["addresses"][0]["type"] == "NamedAddress"
    assert validate_manifest(obj) == []
    obj["spec"]["addresses"][0]["valu"] = "typo"
    assert _messages(validate_manifest(obj)) == [("$.spec.addresses[0].valu", "unknown field")]


def test_missing_api_version_fails():
    assert _messages(validate_manifest({"kind": "Namespace", "metadata": {"name": "a"}})) == [
        ("$", "apiVersion and kind must be non-empty strings")
    ]


@pytest.fixture
def gateway_checker():
    def listeners_use_https(gateway):
        for index, listener in enumerate(gateway["spec"].get("listeners", [])):
            if listener.get("protocol") != "HTTPS":
                yield f"$.spec.listeners[{index}].protocol", "listener must use HTTPS"

    register_field_checker("example.com/v1", "Gateway", listeners_use_https)
    yield
    unregister_field_checker("example.com/v1", "Gateway")


def test_registered_field_checker_stands_in_for_a_schema(gateway_checker):
    gateway = {
        "apiVersion": "example.com/v1",
        "kind": "Gateway",
        "metadata": _meta("ray"),
        "spec": {"gatewayClassName": "gke-l7-rilb", "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443}]},
    }
    assert validate_manifest(gateway) == []
    gateway["spec"]["listeners"][0]["protocol"] = "HTTP"
    assert _messages(validate_manifest(gateway)) == [("$.spec.listeners[0].protocol", "listener must use HTTPS")]


def test_field_checker_cannot_shadow_a_schema_or_another_checker(gateway_checker):
    with pytest.raises(ValueError, match="has a schema"):
        register_field_checker("networking.k8s.io/v1", "NetworkPolicy", lambda obj: [])
    with pytest.raises(ValueError, match="has a schema"):
        register_field_checker("gateway.networking.k8s.io/v1", "HTTPRoute", lambda obj: [])
    with pytest.raises(ValueError, match="already has"):
        register_field_checker("example.com/v1", "Gateway", lambda obj: [])


# --- synthesized stacks -----------------------------------------------------


def _stack(**resources: dict) -> dict:
    return {"resource": {"google_service_account": {"ray": {"account_id": "ray"}}, **resources}}


def test_manifests_in_stack_yields_addresses_and_manifests():
    stack = _stack(
        kubernetes_manifest={
            "team_a_namespace": {"manifest": _core("Namespace")},
            "team_a_default_deny": {
                "manifest": _core("NetworkPolicy"),
                "depends_on": ["kubernetes_manifest.team_a_namespace"],
            },
        }
    )
    assert list(manifests_in_stack(stack)) == [
        ("kubernetes_manifest.team_a_namespace", _core("Namespace")),
        ("kubernetes_manifest.team_a_default_deny", _core("NetworkPolicy")),
    ]
    assert list(validate_stack(stack)) == []


def test_native_kubernetes_resource_fails():
    stack = _stack(kubernetes_namespace_v1={"team_a": {"metadata": {"name": "team-a"}}})
    [(address, failure)] = manifests_in_stack(stack)
    assert address == "kubernetes_namespace_v1.team_a"
    assert isinstance(failure, SchemaError)
    assert failure.message == "native kubernetes resource kubernetes_namespace_v1 has no manifest converter"
    assert list(validate_stack(stack)) == [(address, failure)]


def test_stack_reports_manifest_errors_and_unreadable_manifests():
    policy = _core("NetworkPolicy")
    policy["spec"]["podSelectr"] = {}
    stack = _stack(kubernetes_manifest={"deny": {"manifest": policy}, "opaque": {"manifest": "${yamldecode(var.doc)}"}})
    assert [(address, error.path) for address, error in validate_stack(stack)] == [
        ("kubernetes_manifest.deny", "$.spec.podSelectr"),
        ("kubernetes_manifest.opaque", "$.manifest"),
    ]


# --- speed ------------------------------------------------------------------


def test_three_hundred_objects_take_well_under_a_few_seconds():
    objects = [
        *_kuberay_samples(),
        *CORE_OBJECTS.values(),
        _gke("cloud.google.com/v1", "BackendConfig", {"iap": {"enabled": True}}),
    ]
    objects = (objects * (300 // len(objects) + 1))[:300]
    start = time.perf_counter()
    for obj in objects:
        validate_manifest(obj)
    assert time.perf_counter() - start < 3.0


def _chart_crd_stack(chart: str = "kuberay-operator", version: str = "1.7.0") -> dict:
    for_each = (
        "${{ for crd in data.helm_template.chart.crds : yamldecode(crd).metadata.name => yamldecode(crd) "
        'if yamldecode(crd).kind == "CustomResourceDefinition" }}'
    )
    return {
        "data": {"helm_template": {"chart": {"chart": chart, "version": version}}},
        "resource": {"kubernetes_manifest": {"crds": {"for_each": for_each, "manifest": "${each.value}"}}},
    }


def test_pinned_chart_crds_are_checked_through_their_reference_copies() -> None:
    try:
        found = list(k8s_schema.manifests_in_stack(_chart_crd_stack()))
    except ReferenceMissing as missing:
        pytest.skip(str(missing))
    names = sorted(manifest["metadata"]["name"] for _, manifest in found)
    assert names == ["rayclusters.ray.io", "raycronjobs.ray.io", "rayjobs.ray.io", "rayservices.ray.io"]
    assert all(not k8s_schema.validate_manifest(manifest) for _, manifest in found)


def test_crds_of_another_chart_version_are_not_trusted() -> None:
    ((_, result),) = list(k8s_schema.manifests_in_stack(_chart_crd_stack(version="1.6.0")))
    assert isinstance(result, k8s_schema.SchemaError) and "only kuberay-operator 1.7.0" in result.message
