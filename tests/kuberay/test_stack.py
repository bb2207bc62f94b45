"""The kuberay stack in each install mode, with and without air gap, as Terraform JSON."""

from __future__ import annotations

import json

import pytest
import yaml
from syrupy.extensions.json import JSONSnapshotExtension

from rayfort.config import Environment
from rayfort.k8s.pod_security import check_object, check_operator_values
from rayfort.kuberay.addon import REQUIRED_RAYCLUSTER_FIELDS
from rayfort.versions import KUBERAY_VERSION
from rayfort_tools.judges.helm_values import check_values
from rayfort_tools.judges.k8s_schema import validate_manifest
from rayfort_tools.judges.reference import require_reference
from tests.conftest import environment, resources
from tests.kuberay.conftest import variant

VARIANTS = {
    "helm": lambda: environment("dev"),
    "namespaced": lambda: variant("dev", install="namespaced"),
    "gke-addon": lambda: variant("dev", install="gke-addon"),
    "airgapped-helm": lambda: environment("airgapped"),
    "airgapped-namespaced": lambda: variant("airgapped", install="namespaced", manage_crds=False),
}
INSTALLING = ("helm", "namespaced", "airgapped-helm", "airgapped-namespaced")


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.fixture
def stack(kuberay_stack):
    return lambda name: kuberay_stack(VARIANTS[name]())


def _release(tf: dict) -> dict:
    (release,) = [r for r in resources(tf, "helm_release") if r["chart"] == "kuberay-operator"]
    return release


def _operator_manifests(tf: dict) -> dict[str, dict]:
    """kubernetes_manifest resources of the operator, by name; cert-manager's are tested in test_cert_manager,
    the admission policies in test_admission_platform."""
    bodies = tf.get("resource", {}).get("kubernetes_manifest", {})
    return {name: body for name, body in bodies.items() if not name.startswith(("cert-manager_", "admission_"))}


def _values(tf: dict) -> dict:
    (text,) = _release(tf)["values"]
    return yaml.safe_load(text)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_snapshot(stack, snapshot_json, name: str) -> None:
    assert stack(name) == snapshot_json


@pytest.mark.parametrize("name", INSTALLING)
def test_release_is_pinned_atomic_and_leaves_crds_and_namespace_to_rayfort(stack, name: str) -> None:
    release = _release(stack(name))
    assert release["version"] == KUBERAY_VERSION and release["chart"] == "kuberay-operator"
    assert release["atomic"] is True and release["wait"] is True and release["cleanup_on_fail"] is True
    assert release["skip_crds"] is True and release["create_namespace"] is False
    assert release["timeout"] > 0 and release["namespace"] == "kuberay-system"


@pytest.mark.parametrize("name", INSTALLING)
def test_release_values_pass_the_judges(stack, name: str) -> None:
    values = _values(stack(name))
    assert check_values(values) == []
    assert check_operator_values(values) == []


@pytest.mark.parametrize("name", INSTALLING)
def test_every_in_cluster_object_passes_schema_and_pod_security(stack, name: str) -> None:
    manifests = [m["manifest"] for m in _operator_manifests(stack(name)).values() if "for_each" not in m]
    kinds = sorted(m["kind"] for m in manifests)
    # The namespaced operator's stack also creates the watched tenant namespaces (dev: 2, airgapped: 1).
    tenant_namespaces = ["Namespace"] * {"namespaced": 2, "airgapped-namespaced": 1}.get(name, 0)
    expected = ["Namespace", *tenant_namespaces, "NetworkPolicy", "NetworkPolicy", "PodDisruptionBudget"]
    assert kinds == [*expected, "ResourceQuota"]
    for manifest in manifests:
        assert validate_manifest(manifest) == []
        assert check_object(manifest) == []


def test_namespaced_objects_wait_for_the_namespace(stack) -> None:
    tf = stack("helm")
    (namespace_key,) = [
        k
        for k, m in _operator_manifests(tf).items()
        if m["manifest"] != "${each.value}" and m["manifest"]["kind"] == "Namespace"
    ]
    for manifest in _operator_manifests(tf).values():
        if manifest["manifest"] != "${each.value}" and manifest["manifest"]["kind"] != "Namespace":
            assert manifest["depends_on"] == [f"kubernetes_manifest.{namespace_key}"]


def test_namespace_is_restricted(stack) -> None:
    (namespace,) = [
        m["manifest"]
        for m in _operator_manifests(stack("helm")).values()
        if m["manifest"] != "${each.value}" and m["manifest"]["kind"] == "Namespace"
    ]
    labels = namespace["metadata"]["labels"]
    assert all(labels[f"pod-security.kubernetes.io/{mode}"] == "restricted" for mode in ("enforce", "audit", "warn"))


def _with_another_tenant(name: str) -> Environment:
    env = VARIANTS[name]()
    extra = env.tenants[-1].model_copy(update={"name": "team-z"})
    return env.model_copy(update={"tenants": [*env.tenants, extra]})


@pytest.mark.parametrize("name", ["helm", "gke-addon", "airgapped-helm"])
def test_adding_a_tenant_leaves_the_stack_as_it_was(kuberay_stack, stack, name: str) -> None:
    """Installed cluster-wide or as GKE's add-on, nothing here names a tenant (operator egress, admission)."""
    assert kuberay_stack(_with_another_tenant(name)) == stack(name)


def test_the_namespaced_operator_names_its_tenants(kuberay_stack, stack) -> None:
    """Inherent: a namespaced operator watches a list of namespaces, which this stack creates first."""
    added = kuberay_stack(_with_another_tenant("namespaced"))
    assert _values(added)["watchNamespace"] == [*_values(stack("namespaced"))["watchNamespace"], "team-z"]


def test_namespaced_mode_watches_exactly_the_kuberay_tenants(stack) -> None:
    # The watch list (and the namespaces this stack creates) name the tenants: inherent to a namespaced operator.
    values = _values(stack("namespaced"))
    assert values["singleNamespaceInstall"] is True
    assert values["watchNamespace"] == [t.name for t in environment("dev").tenants if t.ray_runtime == "kuberay"]
    assert "watchNamespace" not in _values(stack("helm"))


def test_crds_are_rendered_from_the_same_pinned_chart_and_applied_before_the_release(stack) -> None:
    tf = stack("helm")
    (template,) = tf["data"]["helm_template"].values()
    release = _release(tf)
    for key in ("chart", "repository", "version"):
        assert template[key] == release[key]
    (crds,) = [m for m in resources(tf, "kubernetes_manifest") if "for_each" in m]
    crd_key = next(k for k, m in tf["resource"]["kubernetes_manifest"].items() if "for_each" in m)
    template_key = next(iter(tf["data"]["helm_template"]))
    assert f"data.helm_template.{template_key}.crds" in crds["for_each"]
    assert "yamldecode(crd).metadata.name" in crds["for_each"]
    assert 'if yamldecode(crd).kind == "CustomResourceDefinition"' in crds["for_each"]
    assert crds["manifest"] == "${each.value}"
    assert f"kubernetes_manifest.{crd_key}" in release["depends_on"]


def test_without_manage_crds_no_crds_are_applied(stack) -> None:
    tf = stack("airgapped-namespaced")
    assert "helm_template" not in tf.get("data", {})
    assert all("for_each" not in m for m in resources(tf, "kubernetes_manifest"))


def test_gke_addon_creates_nothing_but_cert_manager_and_admission_and_checks_the_addons_crd(stack) -> None:
    tf = stack("gke-addon")
    assert all(
        name.startswith(("cert-manager_", "admission_", "deploy-record_"))  # every stack keeps its review record
        for bodies in tf.get("resource", {}).values()
        for name in bodies
    )
    (crd,) = tf["data"]["kubernetes_resource"].values()
    assert crd["metadata"] == {"name": "rayclusters.ray.io"}
    (postcondition,) = crd["lifecycle"]["postcondition"]
    assert all(f'"{field}"' in postcondition["condition"] for field in REQUIRED_RAYCLUSTER_FIELDS)


def test_required_addon_fields_are_in_our_pinned_crd() -> None:
    crd = yaml.safe_load(require_reference(f"kuberay-v{KUBERAY_VERSION}", "crd", "ray.io_rayclusters.yaml").read_text())
    (v1,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    assert set(REQUIRED_RAYCLUSTER_FIELDS) <= set(v1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"])


@pytest.mark.parametrize("name", ("helm", "namespaced"))
def test_connected_environments_use_the_public_chart_over_https(stack, name: str) -> None:
    release = _release(stack(name))
    assert release["repository"] == "https://ray-project.github.io/kuberay-helm/"
    assert "repository_password" not in release
    assert _values(stack(name))["image"]["repository"] == "quay.io/kuberay/operator"


@pytest.mark.parametrize("name", ("airgapped-helm", "airgapped-namespaced"))
def test_airgapped_pulls_chart_and_image_only_from_the_mirror(stack, name: str) -> None:
    tf = stack(name)
    release = _release(tf)
    mirror = "europe-west3-docker.pkg.dev/rayfort-airgap-000000"
    assert release["repository"] == f"oci://{mirror}/rayfort-charts"
    assert release["repository_password"].startswith("${data.google_client_config.")
    assert _values(tf)["image"]["repository"] == f"{mirror}/rayfort-mirror/kuberay/operator"
    text = json.dumps(tf)
    assert "quay.io" not in text and "github.io" not in text and "docker.io" not in text
