"""cert-manager in the kuberay stack: installed when a tenant's TLS needs it; restricted, fenced, pinned, mirrored."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from rayfort.config import Environment
from rayfort.config.derived import cert_manager_needed
from rayfort.k8s.namespace import restricted_namespace
from rayfort.k8s.pod_security import check_object, check_pod_spec
from rayfort.kuberay.cert_manager import (
    CERT_MANAGER_VERSION,
    COMPONENT_VALUES,
    COMPONENTS,
    NAMESPACE,
    WEBHOOK_PORT,
    CertManagerValues,
    cert_manager_network_policies,
    component_pod_specs,
)
from rayfort_tools.judges.k8s_schema import validate_manifest
from tests.conftest import environment, resources
from tests.kuberay.conftest import variant

CONTROL_PLANE = "172.16.0.0/28"
MIRROR_IMAGES = "europe-west3-docker.pkg.dev/rayfort-airgap-000000/rayfort-mirror/jetstack/cert-manager-"
EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+$")
# Where the chart reads each component's pod settings: the controller at the top level, the others nested.
POD_COMPONENTS = COMPONENT_VALUES


def with_tenants(base: str, **tenant: object) -> Environment:
    """A shipped environment with every tenant's settings overridden."""
    data = environment(base).model_dump(mode="json", exclude_unset=True)
    data["tenants"] = [{**t, **tenant} for t in data["tenants"]]
    return Environment.model_validate(data)


def _release(tf: dict) -> dict:
    (release,) = [r for r in resources(tf, "helm_release") if r["chart"] == "cert-manager"]
    return release


def _values(tf: dict) -> dict:
    (text,) = _release(tf)["values"]
    return yaml.safe_load(text)


def _cert_manager_manifests(tf: dict) -> list[dict]:
    bodies = tf["resource"].get("kubernetes_manifest", {})
    return [body["manifest"] for name, body in bodies.items() if name.startswith("cert-manager_")]


def pod_spec_from_values(values: dict[str, Any], component: str) -> dict[str, Any]:
    return component_pod_specs(values)[component]


# --- builders, without a synth ------------------------------------------------


def test_namespace_and_network_policies_pass_the_schema_judge() -> None:
    objects = [restricted_namespace(NAMESPACE), *cert_manager_network_policies(CONTROL_PLANE)]
    for obj in objects:
        assert validate_manifest(obj) == [], obj["metadata"]["name"]
        assert check_object(obj) == []


def test_network_policies_deny_by_default_and_open_only_the_api_server_dns_and_webhook() -> None:
    deny, api, webhook = cert_manager_network_policies(CONTROL_PLANE)
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert api["spec"]["policyTypes"] == ["Egress"]
    to_api, to_dns = api["spec"]["egress"]
    assert to_api == {"to": [{"ipBlock": {"cidr": CONTROL_PLANE}}], "ports": [{"protocol": "TCP", "port": 443}]}
    assert to_dns["to"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
    assert {p["port"] for p in to_dns["ports"]} == {53}
    assert webhook["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "webhook"
    assert webhook["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = webhook["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": WEBHOOK_PORT}]
    assert {"ipBlock": {"cidr": CONTROL_PLANE}} in rule["from"]
    assert all("ipBlock" not in peer or peer["ipBlock"]["cidr"] == CONTROL_PLANE for peer in rule["from"])


@pytest.mark.parametrize("component", sorted(POD_COMPONENTS))
def test_every_component_pod_meets_the_restricted_profile(component: str) -> None:
    values = CertManagerValues().as_chart_values()
    spec = pod_spec_from_values(values, component)
    assert check_pod_spec(spec) == []
    container = spec["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["limits"]["memory"] == container["resources"]["requests"]["memory"]


@pytest.mark.parametrize("component", sorted(POD_COMPONENTS))
def test_the_judge_sees_a_missing_security_context(component: str) -> None:
    values = CertManagerValues().as_chart_values()
    spec = pod_spec_from_values(values, component)
    del spec["containers"][0]["securityContext"]
    assert check_pod_spec(spec) != []


def test_values_pin_every_image_and_keep_crds_and_leases_in_place() -> None:
    values = CertManagerValues().as_chart_values()
    images = [values["image"], *(values[c]["image"] for c in COMPONENTS if c != "controller")]
    assert [i["repository"].rsplit("-", 1)[1] for i in images] == list(COMPONENTS)
    assert {i["tag"] for i in images} == {CERT_MANAGER_VERSION}
    assert values["crds"] == {"enabled": True, "keep": True}
    assert values["global"]["leaderElection"]["namespace"] == NAMESPACE
    assert values["global"]["rbac"]["aggregateClusterRoles"] is False
    for node in (values, values["webhook"], values["cainjector"]):
        assert node["replicaCount"] == 2 and node["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    assert values["webhook"]["securePort"] == WEBHOOK_PORT and values["webhook"]["hostNetwork"] is False


def test_values_render_deterministically() -> None:
    assert CertManagerValues().to_yaml() == CertManagerValues().to_yaml()


# --- when it is installed -----------------------------------------------------


@pytest.mark.parametrize("tls", ["cert-manager", "kuberay", "secret-manager"])
def test_needed_by_every_tls_source(tls: str) -> None:
    """secret-manager too: cert-manager signs with the organization's issuing CA, so no Ray pod holds its key."""
    assert cert_manager_needed(with_tenants("dev", tls=tls)) is True


def test_not_needed_without_tenants() -> None:
    data = environment("dev").model_dump(mode="json", exclude_unset=True)
    data["tenants"] = []
    assert cert_manager_needed(Environment.model_validate(data)) is False


def test_a_plain_runtime_tenant_with_cert_manager_tls_needs_it() -> None:
    assert cert_manager_needed(with_tenants("dev", ray_runtime="plain", tls="cert-manager")) is True


def test_not_installed_when_no_tenant_needs_it(kuberay_stack) -> None:
    data = environment("dev").model_dump(mode="json", exclude_unset=True)
    data["tenants"] = []  # no tenant: only the waivers of the platform's registries and egress still cover something
    data["waivers"] = [w for w in data["waivers"] if w["rule"] in ("RF025", "RF046")]
    tf = kuberay_stack(Environment.model_validate(data))
    assert [r for r in resources(tf, "helm_release") if r["chart"] == "cert-manager"] == []
    assert _cert_manager_manifests(tf) == []


@pytest.mark.parametrize("install", ["helm", "gke-addon"])
def test_installed_by_the_stack_in_the_cluster_wide_modes(kuberay_stack, install: str) -> None:
    tf = kuberay_stack(variant("dev", install=install))
    assert _release(tf)["namespace"] == NAMESPACE
    kinds = sorted(m["kind"] for m in _cert_manager_manifests(tf))
    assert kinds == ["Namespace", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy"]


def test_a_cluster_admin_prerequisite_with_the_namespaced_operator(kuberay_stack) -> None:
    """cert-manager is cluster-wide (CRDs, ClusterRoles, webhooks): beyond a team that is not cluster-admin."""
    tf = kuberay_stack(variant("dev", install="namespaced"))
    assert [r for r in resources(tf, "helm_release") if r["chart"] == "cert-manager"] == []
    assert _cert_manager_manifests(tf) == []


# --- the synthesized stack ----------------------------------------------------


@pytest.mark.parametrize("base", ["dev", "airgapped"])
def test_every_object_passes_schema_and_pod_security(kuberay_stack, base: str) -> None:
    manifests = _cert_manager_manifests(kuberay_stack(environment(base)))
    (namespace,) = [m for m in manifests if m["kind"] == "Namespace"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for manifest in manifests:
        assert validate_manifest(manifest) == []
        assert check_object(manifest) == []


@pytest.mark.parametrize("base", ["dev", "airgapped"])
def test_release_satisfies_the_supply_chain_policy(kuberay_stack, base: str) -> None:
    release = _release(kuberay_stack(environment(base)))
    assert EXACT_VERSION.match(release["version"]) and release["version"] == CERT_MANAGER_VERSION
    assert release["repository"].startswith(("https://", "oci://"))
    assert release["atomic"] is True and release["wait"] is True and release["cleanup_on_fail"] is True
    assert release["skip_crds"] is True and release["create_namespace"] is False
    assert release["name"] == "cert-manager" and release["timeout"] > 0
    password = release.get("repository_password")
    assert password is None or password.startswith("${")


def test_release_waits_for_its_namespace_and_network_policies(kuberay_stack) -> None:
    release = _release(kuberay_stack(environment("dev")))
    assert len(release["depends_on"]) == 4
    assert all(dep.startswith("kubernetes_manifest.cert-manager_") for dep in release["depends_on"])


@pytest.mark.parametrize("base", ["dev", "airgapped"])
def test_released_values_meet_the_restricted_profile(kuberay_stack, base: str) -> None:
    values = _values(kuberay_stack(environment(base)))
    for component in POD_COMPONENTS:
        assert check_pod_spec(pod_spec_from_values(values, component)) == []


def test_public_install_uses_the_upstream_chart_and_images(kuberay_stack) -> None:
    tf = kuberay_stack(environment("dev"))
    release = _release(tf)
    assert release["repository"] == "https://charts.jetstack.io" and "repository_password" not in release
    values = _values(tf)
    assert values["image"]["repository"] == "quay.io/jetstack/cert-manager-controller"


def test_airgapped_install_takes_chart_and_every_image_from_the_mirror(kuberay_stack) -> None:
    tf = kuberay_stack(environment("airgapped"))
    release = _release(tf)
    assert release["repository"] == "oci://europe-west3-docker.pkg.dev/rayfort-airgap-000000/rayfort-charts"
    assert release["repository_username"] == "oauth2accesstoken"
    assert release["repository_password"].startswith("${data.google_client_config.")
    values = _values(tf)
    repositories = [values["image"]["repository"]] + [values[c]["image"]["repository"] for c in COMPONENTS[1:]]
    assert repositories == [f"{MIRROR_IMAGES}{c}" for c in COMPONENTS]
