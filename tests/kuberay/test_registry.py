"""The private mirror (its own stack): repositories, key, scanning, readers, and the list of what to copy into it."""

from __future__ import annotations

import pytest

from rayfort._cdk import App, TerraformStack
from rayfort.config import Environment
from rayfort.iam import Principal
from rayfort.registry.images import MirrorAddress, images_to_mirror, mirror_commands
from rayfort.registry.mirror import ArtifactMirror, ArtifactMirrorProps
from tests.conftest import environment, resources

ADDRESS = MirrorAddress("rayfort-airgap-000000", "europe-west3", "rayfort-mirror", "rayfort-charts")
MIRROR = "europe-west3-docker.pkg.dev/rayfort-airgap-000000"


@pytest.fixture(scope="module")
def airgapped(mirror_stack) -> dict:
    return mirror_stack(environment("airgapped"))


@pytest.fixture(scope="module")
def airgapped_kuberay(kuberay_stack) -> dict:
    return kuberay_stack(environment("airgapped"))


def test_repositories_are_cmek_encrypted_scanned_and_immutable(airgapped) -> None:
    repos = {r["repository_id"]: r for r in resources(airgapped, "google_artifact_registry_repository")}
    assert set(repos) == {"rayfort-mirror", "rayfort-charts"}
    for repo in repos.values():
        assert repo["format"] == "DOCKER" and repo["mode"] == "STANDARD_REPOSITORY"
        assert repo["kms_key_name"].startswith("${google_kms_crypto_key.")
        assert repo["vulnerability_scanning_config"] == {"enablement_config": "INHERITED"}
        assert repo["docker_config"] == {"immutable_tags": True}
        assert any(dep.startswith("time_sleep.mirror_registry-encrypter-propagation") for dep in repo["depends_on"])
    (api,) = resources(airgapped, "google_project_service")
    assert api["service"] == "containerscanning.googleapis.com" and api["disable_on_destroy"] is False


def test_created_key_rotates_and_cannot_be_destroyed(airgapped) -> None:
    (key,) = resources(airgapped, "google_kms_crypto_key")
    assert key["rotation_period"] == "7776000s" and key["lifecycle"]["prevent_destroy"] is True
    (grant,) = resources(airgapped, "google_kms_crypto_key_iam_member")
    assert grant["member"].endswith("@gcp-sa-artifactregistry.iam.gserviceaccount.com")


def test_only_the_node_identity_reads_and_nothing_is_public(airgapped, airgapped_kuberay) -> None:
    # The mirror stack grants nobody; the kuberay stack, which knows the nodes' identity, grants them.
    assert resources(airgapped, "google_artifact_registry_repository_iam_member") == []
    members = resources(airgapped_kuberay, "google_artifact_registry_repository_iam_member")
    assert [m["role"] for m in members] == ["roles/artifactregistry.reader"]
    assert members[0]["member"].startswith(
        "serviceAccount:${data.terraform_remote_state.cross-stack-reference-input-gke"
    )
    assert not [m for m in members if m["member"] in ("allUsers", "allAuthenticatedUsers")]


def test_grant_read_refuses_public_members() -> None:
    stack = TerraformStack(App(), "test")
    mirror = ArtifactMirror(stack, "mirror", ArtifactMirrorProps(address=ADDRESS, create=False))
    for member in ("allUsers", "allAuthenticatedUsers"):
        with pytest.raises(ValueError, match="private"):
            mirror.grant_read(Principal(member, "public"))


CERT_MANAGER_COMPONENTS = ("acmesolver", "cainjector", "controller", "startupapicheck", "webhook")
JETSTACK = f"{MIRROR}/rayfort-mirror/jetstack/cert-manager"


def test_images_to_mirror_for_the_pinned_versions() -> None:
    assert images_to_mirror(environment("airgapped")) == [
        ("docker.io/rayproject/ray:2.52.1-py311", f"{MIRROR}/rayfort-mirror/rayproject/ray:2.52.1-py311"),
        ("https://charts.jetstack.io/cert-manager:v1.21.1", f"oci://{MIRROR}/rayfort-charts/cert-manager:v1.21.1"),
        (
            "https://ray-project.github.io/kuberay-helm/kuberay-operator:1.7.0",
            f"oci://{MIRROR}/rayfort-charts/kuberay-operator:1.7.0",
        ),
        *[(f"quay.io/jetstack/cert-manager-{c}:v1.21.1", f"{JETSTACK}-{c}:v1.21.1") for c in CERT_MANAGER_COMPONENTS],
        ("quay.io/kuberay/operator:v1.7.0", f"{MIRROR}/rayfort-mirror/kuberay/operator:v1.7.0"),
    ]
    assert images_to_mirror(environment("dev")) == []


def test_cert_manager_is_mirrored_only_when_a_tenant_needs_it() -> None:
    env = environment("airgapped")
    data = env.model_dump(mode="json", exclude_unset=True)
    data["tenants"] = []
    sources = [source for source, _ in images_to_mirror(Environment.model_validate(data))]
    assert sources and not [s for s in sources if "jetstack" in s]


def test_mirror_commands() -> None:
    assert mirror_commands(environment("airgapped")) == [
        f"crane copy docker.io/rayproject/ray:2.52.1-py311 {MIRROR}/rayfort-mirror/rayproject/ray:2.52.1-py311",
        "helm pull cert-manager --repo https://charts.jetstack.io/ --version v1.21.1",
        f"helm push cert-manager-v1.21.1.tgz oci://{MIRROR}/rayfort-charts",
        "helm pull kuberay-operator --repo https://ray-project.github.io/kuberay-helm/ --version 1.7.0",
        f"helm push kuberay-operator-1.7.0.tgz oci://{MIRROR}/rayfort-charts",
        *[
            f"crane copy quay.io/jetstack/cert-manager-{c}:v1.21.1 {JETSTACK}-{c}:v1.21.1"
            for c in CERT_MANAGER_COMPONENTS
        ],
        f"crane copy quay.io/kuberay/operator:v1.7.0 {MIRROR}/rayfort-mirror/kuberay/operator:v1.7.0",
    ]
