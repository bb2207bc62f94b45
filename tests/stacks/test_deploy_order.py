"""Deployable on the first apply (issue 12): the mirror's own stack and pause, the namespaced operator's
namespaces and cert-manager, and bucket access recorded without a grant Domain Restricted Sharing refuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rayfort.config import load_environment
from rayfort.kuberay.prerequisites import is_cluster_admin_prerequisite
from rayfort.lifecycle.order import deploy_order
from rayfort.synthesized import read_manifest, read_stacks
from rayfort_tools.judges.deployability import Deployment, judge
from tests.app import synthesize
from tests.conftest import ROOT, resources

NAMESPACED_VARIANT = ROOT / "environments" / "variants" / "dev-namespaced.yaml"
# The mirror's resources kept the construct path below their stack ("mirror/..."), so their addresses are the
# ones they had in the kuberay stack: `terraform state mv` moves them between the two states unchanged.
MOVED_TO_MIRROR = {
    "google_artifact_registry_repository.mirror_charts_B28C0E24",
    "google_artifact_registry_repository.mirror_images_B6EC3291",
    "google_kms_crypto_key.mirror_key_4781A2C9",
    "google_kms_crypto_key_iam_member.mirror_registry-encrypter_9500C289",
    "google_kms_key_ring.mirror_ring_5EA6C5F9",
    "google_project_service.mirror_scanning-api_EE5D8750",
    "time_sleep.mirror_registry-encrypter-propagation_823C1F91",
}


def _addresses(tf_json: dict, kind: str = "resource") -> set[str]:
    return {f"{t}.{name}" for t, bodies in tf_json.get(kind, {}).items() for name in bodies}


# --- defect 4: the mirror is filled between its own stack and the stacks that read it -------------------


def test_the_mirror_has_its_own_stack_after_the_network_and_the_audit_trail(shipped_outdirs, synthesized) -> None:
    manifest = read_manifest(shipped_outdirs["airgapped"])
    needs = {name: set(entry.get("dependencies", [])) for name, entry in manifest["stacks"].items()}
    assert needs["mirror"] == {"network"}
    assert {"mirror"} <= needs["gke"] and {"mirror"} <= needs["kuberay"]
    # Nothing is published through IAP here: the exposure stack is empty and waits for nothing.
    assert needs["exposure"] == set()
    order = [stack for stack in deploy_order(manifest) if stack != "exposure"]
    assert order[:5] == ["network", "audit", "mirror", "gke", "kuberay"]
    stacks = synthesized["airgapped"]
    # Besides what moved, the mirror stack holds only the record of the review it is deployed with, like every stack.
    assert _addresses(stacks["mirror"]) - {"terraform_data.deploy-record_87CD72BF"} == MOVED_TO_MIRROR
    assert not MOVED_TO_MIRROR & _addresses(stacks["kuberay"])
    # Only the nodes' read grant stays where the nodes' identity is known, at its old address.
    assert {a for a in _addresses(stacks["kuberay"]) if "mirror" in a} == {
        "google_artifact_registry_repository_iam_member.mirror_nodes-images_21BF1E32"
    }
    assert "mirror" not in read_manifest(shipped_outdirs["dev"])["stacks"]


def test_no_stack_reads_a_chart_from_a_registry_it_creates(shipped_outdirs) -> None:
    outcomes = judge(Deployment.from_outdir(shipped_outdirs["airgapped"]))
    assert [o for o in outcomes if o.check == "plan-time" and not o.passed] == []


def _lifecycle(outdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rayfort.lifecycle", "--outdir", str(outdir), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_all_stops_after_the_mirror_until_it_is_filled(shipped_outdirs) -> None:
    airgapped = shipped_outdirs["airgapped"]
    stopped = _lifecycle(airgapped, "pause-after", "mirror")
    assert stopped.returncode == 3
    assert "make mirror-commands ENV=airgapped" in stopped.stderr and "MIRROR_FILLED=1" in stopped.stderr
    assert _lifecycle(airgapped, "pause-after", "mirror", "--done").returncode == 0
    assert _lifecycle(airgapped, "pause-after", "network").returncode == 0
    assert _lifecycle(shipped_outdirs["dev"], "pause-after", "gke").returncode == 0
    recipe = subprocess.run(["make", "-n", "deploy-all"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "pause-after $stack" in recipe.stdout
    filled = subprocess.run(
        ["make", "-n", "deploy-all", "MIRROR_FILLED=1"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "pause-after $stack --done" in filled.stdout


def test_the_summary_shows_the_fill_step_in_the_deploy_order(shipped_outdirs) -> None:
    from rayfort.lifecycle.record import read_record
    from rayfort.lifecycle.summary import summary

    outdir = shipped_outdirs["airgapped"]
    text = summary(read_record(outdir), ROOT / "environments" / "airgapped.yaml", outdir)
    assert "network -> audit -> mirror -> [make mirror-commands ENV=airgapped] -> gke -> kuberay" in text


# --- defect 9: the namespaced operator needs no cluster-admin rights beyond its prerequisites -------------


@pytest.fixture(scope="module")
def namespaced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("namespaced") / "cdktf.out"
    synthesize(load_environment(NAMESPACED_VARIANT), outdir)
    return outdir


def _namespaces_created(tf_json: dict) -> set[str]:
    bodies = tf_json.get("resource", {}).get("kubernetes_manifest", {}).values()
    return {b["manifest"]["metadata"]["name"] for b in bodies if b["manifest"].get("kind") == "Namespace"}


def test_the_namespaced_operators_tenant_namespaces_exist_before_its_roles(namespaced) -> None:
    stacks = read_stacks(namespaced)
    env = load_environment(NAMESPACED_VARIANT)
    # Named by the kuberay stack: inherent to a namespaced operator, which watches a list of namespaces.
    watched = {t.name for t in env.tenants if t.ray_runtime == "kuberay"}
    assert watched and watched <= _namespaces_created(stacks["kuberay"])
    (release,) = [r for r in resources(stacks["kuberay"], "helm_release") if r["chart"] == "kuberay-operator"]
    namespace_objects = {
        f"kubernetes_manifest.{name}"
        for name, body in stacks["kuberay"]["resource"]["kubernetes_manifest"].items()
        if body["manifest"]["kind"] == "Namespace" and body["manifest"]["metadata"]["name"] in watched
    }
    assert namespace_objects <= {dep.removeprefix("${").removesuffix("}") for dep in release["depends_on"]}
    for tenant in watched:
        assert _namespaces_created(stacks[f"tenant-{tenant}"]) == set()


def test_the_namespaced_mode_leaves_cert_manager_to_the_cluster_admin(namespaced) -> None:
    kuberay = read_stacks(namespaced)["kuberay"]
    assert [r["chart"] for r in resources(kuberay, "helm_release")] == ["kuberay-operator"]
    assert is_cluster_admin_prerequisite(
        "apiextensions.k8s.io/v1", "CustomResourceDefinition", "issuers.cert-manager.io"
    )
    assert is_cluster_admin_prerequisite(
        "apiextensions.k8s.io/v1", "CustomResourceDefinition", "challenges.acme.cert-manager.io"
    )
    assert not is_cluster_admin_prerequisite("rbac.authorization.k8s.io/v1", "ClusterRole", "cert-manager-controller")


def test_the_judge_passes_the_namespaced_variant_with_the_real_charts(namespaced) -> None:
    outcomes = judge(Deployment.from_outdir(namespaced), namespaced_operator=True)
    checked = {"namespaced-mode", "namespaces", "kinds", "rendering"}
    assert [o for o in outcomes if o.check == "namespaced-mode"], "the namespaced check ran"
    assert [str(o) for o in outcomes if o.check in checked and not o.passed] == []


# --- defect 10: bucket access recorded by Data Access audit logs, no grant to a Google group ----------------


def test_tenant_buckets_grant_nothing_outside_the_organization(synthesized) -> None:
    for stacks in synthesized.values():
        for name, tf_json in stacks.items():
            members = {
                m["member"]
                for t, bodies in tf_json.get("resource", {}).items()
                if t.endswith("_iam_member")
                for m in bodies.values()
            }
            assert "group:cloud-storage-analytics@google.com" not in members, name
            for bucket in resources(tf_json, "google_storage_bucket"):
                assert "logging" not in bucket, name


def test_storage_data_access_logs_are_on_before_any_bucket(synthesized, shipped_outdirs) -> None:
    for env_name, stacks in synthesized.items():
        # The audit stack owns the Data Access logs of the tenants' data services (one authoritative config each).
        configs = [c for c in resources(stacks["audit"], "google_project_iam_audit_config")]
        (storage,) = [c for c in configs if c["service"] == "storage.googleapis.com"]
        assert {c["log_type"] for c in storage["audit_log_config"]} >= {"DATA_READ", "DATA_WRITE"}
        assert not [c for c in storage["audit_log_config"] if c.get("exempted_members")]
        manifest = read_manifest(shipped_outdirs[env_name])
        order = deploy_order(manifest)
        assert all(order.index("audit") < order.index(s) for s in stacks if s.startswith("tenant-"))
        assert json.dumps(storage).count("${") == 0, "the project is known at plan time"
