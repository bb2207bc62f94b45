"""The deployability judge: each check passes a repaired synthesized app and fails it mutated to break.

Every fixture is real synth output (dev, prod, airgapped, the namespaced
variant), repaired and mutated here by kind and graph, never by rayfort's
resource names, so the tests hold both before and after the defects of issue 12
are fixed: a repair is a no-op on fixed output, a mutation breaks either.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from rayfort.config import load_environment
from rayfort.synthesized import read_manifest, read_stacks
from rayfort_tools.judges import runner
from rayfort_tools.judges.deployability import Deployment, HelmUnavailable, Outcome, judge
from rayfort_tools.judges.deployability.terraform import interpolations, parse_refs
from rayfort_tools.judges.reference import ReferenceMissing
from tests.app import synthesize
from tests.environments import changed

ROOT = Path(__file__).resolve().parents[2]
NAMESPACED_VARIANT = ROOT / "environments" / "variants" / "dev-namespaced.yaml"
KEY_REF = re.compile(r"\$\{google_kms_crypto_key\.")


@dataclass
class App:
    """A synthesized app to mutate: its stacks and the manifest's stack dependencies."""

    stacks: dict[str, dict]
    dependencies: dict[str, list[str]]
    namespaced: bool = False
    _judged: dict[str, list[Outcome]] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, outdir: Path, namespaced: bool = False) -> App:
        manifest = read_manifest(outdir)
        deps = {name: entry.get("dependencies", []) for name, entry in manifest["stacks"].items()}
        return cls(read_stacks(outdir), deps, namespaced)

    def copy(self) -> App:
        return App(copy.deepcopy(self.stacks), copy.deepcopy(self.dependencies), self.namespaced)

    def outcomes(self, check: str, stack: str | None = None) -> list[Outcome]:
        """The judge's outcomes of one check on the app as it is now (judged again after any mutation)."""
        state = json.dumps([self.stacks, self.dependencies, self.namespaced], sort_keys=True)
        if state not in self._judged:
            try:
                deployment = Deployment(copy.deepcopy(self.stacks), self.dependencies, "test")
                self._judged = {state: judge(deployment, namespaced_operator=self.namespaced)}
            except (HelmUnavailable, ReferenceMissing) as missing:
                pytest.skip(str(missing))
        return [o for o in self._judged[state] if o.check == check and (stack is None or o.stack == stack)]

    def failures(self, check: str, stack: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes(check, stack) if not o.passed]

    # --- navigation by kind ---------------------------------------------------

    def stacks_with(self, resource_type: str) -> list[str]:
        return [name for name, tf in self.stacks.items() if tf.get("resource", {}).get(resource_type)]

    def blocks(self, stack: str, resource_type: str) -> dict[str, dict]:
        return self.stacks[stack].setdefault("resource", {}).setdefault(resource_type, {})

    def manifests(self, stack: str, kind: str) -> list[tuple[str, dict]]:
        return [
            (f"kubernetes_manifest.{name}", body)
            for name, body in self.blocks(stack, "kubernetes_manifest").items()
            if isinstance(body.get("manifest"), dict) and body["manifest"].get("kind") == kind
        ]

    def releases(self, stack: str, chart: str) -> list[tuple[str, dict]]:
        return [
            (f"helm_release.{name}", body)
            for name, body in self.blocks(stack, "helm_release").items()
            if str(body.get("chart", "")).endswith(chart)
        ]

    def tenant_stacks(self) -> list[str]:
        """Stacks that create a RayCluster (in their own namespace, or the namespaced operator's stack's)."""
        return sorted(s for s in self.stacks if self.manifests(s, "RayCluster"))

    def operator_stack(self) -> str:
        (stack,) = [s for s in self.stacks if self.releases(s, "kuberay-operator")]
        return stack

    def remote_state_of(self, reader: str, producer: str) -> str:
        """The name of ``reader``'s terraform_remote_state data source that reads ``producer``'s state."""
        backend = self.stacks[producer]["terraform"].get("backend", {})
        for name, body in self.stacks[reader].get("data", {}).get("terraform_remote_state", {}).items():
            if json.dumps(body.get("config"), sort_keys=True) == json.dumps(
                next(iter(backend.values()), None), sort_keys=True
            ):
                return name
        raise AssertionError(f"{reader} reads no remote state of {producer}")


def _addresses(outcomes: list[Outcome]) -> set[str]:
    return {o.address for o in outcomes}


@pytest.fixture(scope="session")
def apps(shipped_outdirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, App]:
    """dev, prod and airgapped (the shared session synth) and the namespaced variant, read once."""
    found = {name: App.read(outdir) for name, outdir in shipped_outdirs.items()}
    outdir = tmp_path_factory.mktemp("synth-dev-namespaced") / "cdktf.out"
    synthesize(load_environment(NAMESPACED_VARIANT), outdir)
    found["dev-namespaced"] = App.read(outdir, namespaced=True)
    return found


@pytest.fixture
def dev(apps) -> App:
    return apps["dev"].copy()


# --- repairs: what the fixed output looks like, made by kind -----------------


def wait_for_key_grants(app: App) -> App:
    """Every resource of a stack that names a KMS key waits for every KMS grant of that stack."""
    for stack, tf in app.stacks.items():
        grants = [
            f"google_kms_crypto_key_iam_member.{n}" for n in app.blocks(stack, "google_kms_crypto_key_iam_member")
        ]
        for resource_type, blocks in tf.get("resource", {}).items():
            if "_iam_" in resource_type or resource_type.startswith("google_kms_"):
                continue
            for body in blocks.values():
                if KEY_REF.search(json.dumps({k: v for k, v in body.items() if k != "depends_on"})):
                    body["depends_on"] = sorted({*body.get("depends_on", []), *grants})
    return app


def trust_public_endpoints(app: App) -> App:
    """No provider pins the cluster CA on the DNS endpoint."""
    for tf in app.stacks.values():
        for block in _provider_endpoints(tf):
            if "dns_endpoint_config" in block["host"]:
                block.pop("cluster_ca_certificate", None)
    return app


def _provider_endpoints(tf: dict) -> Iterator[dict]:
    for configs in tf.get("provider", {}).values():
        for config in configs:
            if "host" in config:
                yield config
            if isinstance(config.get("kubernetes"), dict):
                yield config["kubernetes"]


# --- ordering -----------------------------------------------------------------


def test_ordering_passes_when_every_key_user_waits_for_its_grants(dev) -> None:
    app = wait_for_key_grants(dev)
    checked = app.outcomes("ordering")
    assert len(checked) >= 4 and not app.failures("ordering"), app.failures("ordering")


def test_ordering_fails_a_cluster_that_does_not_wait_for_its_key_grants(dev) -> None:
    app = wait_for_key_grants(dev)
    (stack,) = app.stacks_with("google_container_cluster")
    (name, cluster) = next(iter(app.blocks(stack, "google_container_cluster").items()))
    cluster.pop("depends_on", None)
    failed = app.failures("ordering")
    assert _addresses(failed) == {f"google_container_cluster.{name}"}
    assert "does not wait for its grant" in failed[0].problem


def test_ordering_asks_only_for_the_grant_to_the_users_own_service_agent(dev) -> None:
    app = wait_for_key_grants(dev)
    stack = next(s for s in app.stacks_with("google_storage_bucket") if app.stacks_with("google_redis_instance"))
    grants = app.blocks(stack, "google_kms_crypto_key_iam_member")
    storage = next(f"google_kms_crypto_key_iam_member.{n}" for n, g in grants.items() if "storage" in g["member"])
    redis = next(f"google_kms_crypto_key_iam_member.{n}" for n, g in grants.items() if "cloud-redis" in g["member"])
    buckets = app.blocks(stack, "google_storage_bucket")
    for bucket in buckets.values():
        bucket["depends_on"] = [storage]
    assert not app.failures("ordering", stack)
    for bucket in buckets.values():
        bucket["depends_on"] = [redis]
    assert _addresses(app.failures("ordering", stack)) == {f"google_storage_bucket.{n}" for n in buckets}


def test_ordering_accepts_a_wait_through_a_propagation_delay(dev) -> None:
    app = wait_for_key_grants(dev)
    (stack,) = app.stacks_with("google_container_cluster")
    grants = [f"google_kms_crypto_key_iam_member.{n}" for n in app.blocks(stack, "google_kms_crypto_key_iam_member")]
    app.blocks(stack, "time_sleep")["iam"] = {"create_duration": "60s", "depends_on": grants}
    for resource_type in ("google_container_cluster", "google_container_node_pool"):
        for body in app.blocks(stack, resource_type).values():
            body["depends_on"] = ["time_sleep.iam"]
    assert not app.failures("ordering")


def test_ordering_knows_an_existing_key_by_its_id(dev) -> None:
    app = wait_for_key_grants(dev)
    (stack,) = app.stacks_with("google_container_cluster")
    text = json.dumps(app.stacks[stack])
    for index, name in enumerate(app.blocks(stack, "google_kms_crypto_key")):
        key_id = f"projects/kms-000000/locations/europe-west1/keyRings/existing/cryptoKeys/key{index}"
        text = text.replace(f"${{google_kms_crypto_key.{name}.id}}", key_id)
    app.stacks[stack] = json.loads(text)
    del app.stacks[stack]["resource"]["google_kms_crypto_key"]
    assert not app.failures("ordering", stack)
    (cluster,) = app.blocks(stack, "google_container_cluster").values()
    cluster.pop("depends_on")
    failed = app.failures("ordering", stack)
    assert len(failed) == 2, "the cluster names both keys"
    assert all(o.address.startswith("google_container_cluster.") and "cryptoKeys/key" in o.problem for o in failed)


def test_ordering_follows_a_key_into_a_later_stack(dev) -> None:
    """A key read through remote state: its grant may be in an earlier stack, or in this one and waited for."""
    app = wait_for_key_grants(dev)
    (gke,) = app.stacks_with("google_container_cluster")
    tenant = app.tenant_stacks()[0]
    grants = app.blocks(gke, "google_kms_crypto_key_iam_member")
    compute_grant = next(n for n, g in grants.items() if "compute-system" in g["member"])
    key_ref = grants[compute_grant]["crypto_key_id"]
    app.stacks[gke].setdefault("output", {})["boot-disk-key"] = {"value": key_ref}
    remote = app.remote_state_of(tenant, gke)
    disk = {
        "name": "scratch",
        "zone": "europe-west1-b",
        "disk_encryption_key": {
            "kms_key_self_link": f"${{data.terraform_remote_state.{remote}.outputs.boot-disk-key}}"
        },
    }
    app.blocks(tenant, "google_compute_disk")["scratch"] = disk
    assert not app.failures("ordering", tenant), "the grant in the earlier gke stack is enough"

    moved = app.copy()
    grant = moved.blocks(gke, "google_kms_crypto_key_iam_member").pop(compute_grant)
    for resource_type in ("google_container_cluster", "google_container_node_pool"):
        for body in moved.blocks(gke, resource_type).values():
            body["depends_on"] = [d for d in body.get("depends_on", []) if not d.endswith(compute_grant)]
    grant["crypto_key_id"] = disk["disk_encryption_key"]["kms_key_self_link"]
    moved.blocks(tenant, "google_kms_crypto_key_iam_member")["boot-disk-compute"] = grant
    failed = moved.failures("ordering", tenant)
    assert _addresses(failed) == {"google_compute_disk.scratch"} and "does not wait" in failed[0].problem

    moved.blocks(tenant, "google_kms_crypto_key_iam_member").pop("boot-disk-compute")
    failed = moved.failures("ordering", tenant)
    assert _addresses(failed) == {"google_compute_disk.scratch"} and "compute-system" in failed[0].problem


# --- plan-time reads ------------------------------------------------------------


def test_a_chart_read_from_a_registry_its_own_stack_creates_fails(apps) -> None:
    app = apps["airgapped"].copy()
    stack = app.operator_stack()
    (template,) = app.stacks[stack]["data"]["helm_template"].values()
    host, project, repository = re.fullmatch(r"oci://([^/]+)/([^/]+)/([^/]+)", template["repository"]).groups()
    app.blocks(stack, "google_artifact_registry_repository")["charts-here"] = {
        "location": host.removesuffix("-docker.pkg.dev"),
        "project": project,
        "repository_id": repository,
        "format": "DOCKER",
    }
    failed = app.failures("plan-time", stack)
    readers = {o.address for o in failed if "reads its chart at plan time" in o.problem}
    assert {a for a in readers if a.startswith("data.helm_template.")} and {
        a for a in readers if a.startswith("helm_release.")
    }


def test_images_run_from_a_registry_its_own_stack_creates_fail_but_naming_it_is_fine(dev) -> None:
    stack = dev.tenant_stacks()[0]
    dev.blocks(stack, "google_artifact_registry_repository")["images"] = {
        "location": "europe-west1",
        "project": "rayfort-dev-000000",
        "repository_id": "team-images",
        "format": "DOCKER",
    }
    image = "europe-west1-docker.pkg.dev/rayfort-dev-000000/team-images/ray:2.52.1"
    config_address, config = dev.manifests(stack, "ConfigMap")[0]
    config["manifest"].setdefault("data", {})["allowed"] = image.rsplit("/", 1)[0] + "/*"
    assert not dev.failures("plan-time", stack)
    cluster_address, cluster = dev.manifests(stack, "RayCluster")[0]
    cluster["manifest"]["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["image"] = image
    (failed,) = dev.failures("plan-time", stack)
    assert failed.address == cluster_address and "runs images from" in failed.problem


def test_a_mirror_that_exists_before_the_stack_passes(apps) -> None:
    app = apps["airgapped"].copy()
    stack = app.operator_stack()
    for resource_type in list(app.stacks[stack]["resource"]):
        if resource_type.startswith("google_artifact_registry_repository"):
            del app.stacks[stack]["resource"][resource_type]
    assert not app.failures("plan-time", stack)


def test_a_kubernetes_data_source_reading_what_its_stack_applies_fails(dev) -> None:
    stack = dev.operator_stack()
    (_, namespace), *_ = dev.manifests(stack, "Namespace")
    reads = dev.stacks[stack].setdefault("data", {}).setdefault("kubernetes_resource", {})
    reads["own"] = {"api_version": "v1", "kind": "Namespace", "metadata": namespace["manifest"]["metadata"]}
    reads["cluster"] = {"api_version": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}
    failed = dev.failures("plan-time", stack)
    assert _addresses(failed) == {"data.kubernetes_resource.own"}


def test_a_data_source_that_waits_for_its_own_stack_defers_the_crds(dev) -> None:
    app = dev
    stack = app.operator_stack()
    (template_name,) = app.stacks[stack]["data"]["helm_template"]
    namespace, _ = app.manifests(stack, "Namespace")[0]
    app.stacks[stack]["data"]["helm_template"][template_name]["depends_on"] = [namespace]
    failed = app.failures("plan-time", stack)
    assert f"data.helm_template.{template_name}" in _addresses(failed)
    assert any("for_each keys are unknown" in o.problem for o in failed)


def test_for_each_keys_from_a_computed_attribute_fail(dev) -> None:
    app = dev
    stack = app.tenant_stacks()[0]
    account = sorted(app.blocks(stack, "google_service_account"))[0]  # the head's or the workers': either will do
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "${each.key}", "namespace": "x"}}
    manifests = app.blocks(stack, "kubernetes_manifest")
    manifests["by-email"] = {"manifest": configmap, "for_each": f"${{toset([google_service_account.{account}.email])}}"}
    manifests["by-id"] = {
        "manifest": configmap,
        "for_each": f"${{toset([google_service_account.{account}.account_id])}}",
    }
    for_each = [o for o in app.failures("plan-time", stack) if "for_each" in o.problem]
    assert _addresses(for_each) == {"kubernetes_manifest.by-email"}


def test_an_object_named_at_apply_time_fails_but_an_annotation_may_be_unknown(dev) -> None:
    app = dev
    stack = app.tenant_stacks()[0]
    account = sorted(app.blocks(stack, "google_service_account"))[0]
    address, role = app.manifests(stack, "Role")[0]
    role["manifest"]["metadata"].setdefault("annotations", {})["owner"] = f"${{google_service_account.{account}.email}}"
    assert address not in _addresses(app.failures("plan-time", stack))
    role["manifest"]["metadata"]["name"] = f"${{google_service_account.{account}.email}}"
    assert address in _addresses(app.failures("plan-time", stack))


def test_a_provider_configured_from_its_own_stack_fails(dev) -> None:
    app = dev
    stack = app.tenant_stacks()[0]
    account = sorted(app.blocks(stack, "google_service_account"))[0]
    app.stacks[stack]["provider"]["kubernetes"][0]["host"] = f"https://${{google_service_account.{account}.email}}"
    assert "provider.kubernetes[0]" in _addresses(app.failures("plan-time", stack))


# --- trust --------------------------------------------------------------------


def test_the_dns_endpoint_passes_without_a_pinned_ca_and_fails_with_one(apps) -> None:
    app = trust_public_endpoints(apps["prod"].copy())
    # kuberay's kubernetes and helm providers, and the kubernetes provider of exposure and each tenant.
    assert len(app.outcomes("trust")) >= 5 and not app.failures("trust")
    pinned = app.copy()
    for tf in pinned.stacks.values():
        for block in _provider_endpoints(tf):
            block["cluster_ca_certificate"] = '${base64decode("Y2E=")}'
    failed = pinned.failures("trust")
    assert failed and all("publicly trusted" in o.problem for o in failed)


def test_the_ip_endpoint_needs_the_cluster_ca(dev) -> None:
    assert len(dev.outcomes("trust")) >= 5 and not dev.failures("trust")
    app = dev.copy()
    for tf in app.stacks.values():
        for block in _provider_endpoints(tf):
            block.pop("cluster_ca_certificate", None)
    failed = app.failures("trust")
    assert failed and all("without pinning cluster_ca_certificate" in o.problem for o in failed)


def test_connect_gateway_with_a_pinned_ca_fails(dev) -> None:
    stack = dev.tenant_stacks()[0]
    dev.stacks[stack]["provider"]["kubernetes"][0]["host"] = (
        "https://connectgateway.googleapis.com/v1/projects/1/locations/global/gkeMemberships/rayfort"
    )
    assert "provider.kubernetes[0]" in _addresses(dev.failures("trust", stack))


# --- namespaces -----------------------------------------------------------------


def test_every_object_of_dev_goes_into_a_namespace_that_exists_first(dev) -> None:
    checked = dev.outcomes("namespaces")
    assert len(checked) > 50 and not dev.failures("namespaces"), dev.failures("namespaces")


def test_an_object_that_does_not_wait_for_its_namespace_in_the_same_stack_fails(dev) -> None:
    stack = dev.operator_stack()
    waiting = [(a, b) for a, b in dev.manifests(stack, "NetworkPolicy") if b.get("depends_on")]
    address, body = waiting[0]
    body.pop("depends_on")
    failed = dev.failures("namespaces", stack)
    assert _addresses(failed) == {address} and "does not wait for namespace" in failed[0].problem


def test_an_object_in_a_namespace_only_a_later_stack_creates_fails(dev) -> None:
    stack, tenant = dev.operator_stack(), dev.tenant_stacks()[0]
    (_, namespace), *_ = dev.manifests(tenant, "Namespace")
    _, policy = dev.manifests(stack, "NetworkPolicy")[0]
    policy["manifest"]["metadata"]["namespace"] = namespace["manifest"]["metadata"]["name"]
    failed = dev.failures("namespaces", stack)
    assert len(failed) == 1 and f"created only by stack {tenant}" in failed[0].problem


def test_an_object_in_a_namespace_nobody_creates_fails(dev) -> None:
    stack = dev.tenant_stacks()[0]
    _, config = dev.manifests(stack, "ConfigMap")[0]
    config["manifest"]["metadata"]["namespace"] = "nobody-makes-this"
    assert any("no stack creates namespace nobody-makes-this" in o.problem for o in dev.failures("namespaces", stack))


def test_a_namespaced_object_without_a_namespace_fails(dev) -> None:
    stack = dev.tenant_stacks()[0]
    address, config = dev.manifests(stack, "ConfigMap")[0]
    del config["manifest"]["metadata"]["namespace"]
    assert address in _addresses(dev.failures("namespaces", stack))


def test_rendered_objects_in_a_later_stacks_namespace_fail(dev) -> None:
    """The operator chart, rendered with values that watch a tenant namespace, puts Roles there."""
    stack, tenant = dev.operator_stack(), dev.tenant_stacks()[0]
    (_, namespace), *_ = dev.manifests(tenant, "Namespace")
    name = namespace["manifest"]["metadata"]["name"]
    ((address, release),) = dev.releases(stack, "kuberay-operator")
    release["values"].append(f"singleNamespaceInstall: true\nwatchNamespace: [{name}]\n")
    failed = dev.failures("namespaces", stack)
    assert failed and _addresses(failed) == {address}
    assert any(o.problem.startswith(f"Role {name}/") and "rendered by chart" in o.problem for o in failed)


def test_a_release_into_a_namespace_nobody_creates_fails(dev) -> None:
    stack = dev.operator_stack()
    ((address, release),) = dev.releases(stack, "kuberay-operator")
    release["namespace"] = "not-created"
    assert any("Secret not-created/sh.helm.release" in o.problem for o in dev.failures("namespaces", stack))


# --- kinds ------------------------------------------------------------------------


def test_every_custom_kind_of_dev_is_installed_first(dev) -> None:
    checked = dev.outcomes("kinds")
    assert len(checked) >= 8 and not dev.failures("kinds"), dev.failures("kinds")


def test_a_custom_resource_in_a_stack_not_after_its_crd_fails(dev) -> None:
    stack, tenant = dev.operator_stack(), dev.tenant_stacks()[0]
    dev.dependencies[tenant] = [d for d in dev.dependencies[tenant] if d != stack]
    failed = dev.failures("kinds", tenant)
    kinds = {o.problem.split(" ")[0] for o in failed}
    assert {"RayCluster", "Certificate", "Issuer"} <= kinds
    assert all(f"installed only by stack {stack}" in o.problem for o in failed)


def test_a_custom_resource_beside_its_crd_in_one_stack_fails(dev) -> None:
    stack, tenant = dev.operator_stack(), dev.tenant_stacks()[0]
    _, cluster = dev.manifests(tenant, "RayCluster")[0]
    moved = copy.deepcopy(cluster)
    moved["manifest"]["metadata"]["namespace"] = "default"
    dev.blocks(stack, "kubernetes_manifest")["raycluster"] = moved
    (failed,) = dev.failures("kinds", stack)
    assert failed.address == "kubernetes_manifest.raycluster" and "needs the CRD to exist" in failed.problem


def test_a_kind_served_by_a_gke_feature_needs_the_feature_on(dev) -> None:
    (gke,) = dev.stacks_with("google_container_cluster")
    (cluster,) = dev.blocks(gke, "google_container_cluster").values()
    cluster["monitoring_config"]["managed_prometheus"]["enabled"] = False
    failed = dev.failures("kinds")
    assert failed and {o.problem.split(" ")[0] for o in failed} == {"PodMonitoring"}


def test_an_unknown_custom_kind_fails(dev) -> None:
    stack = dev.tenant_stacks()[0]
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}}
    dev.blocks(stack, "kubernetes_manifest")["widget"] = {"manifest": widget}
    assert _addresses(dev.failures("kinds", stack)) == {"kubernetes_manifest.widget"}


def test_crds_a_cluster_admin_provides_count_as_installed(dev) -> None:
    stack = dev.operator_stack()
    for name, body in list(dev.blocks(stack, "kubernetes_manifest").items()):
        if "for_each" in body:  # the CRDs applied from the chart: kuberay.manage_crds false
            del dev.blocks(stack, "kubernetes_manifest")[name]
    assert not dev.failures("kinds")


# --- organization singletons -----------------------------------------------------


def test_an_organization_level_access_policy_fails_and_a_scoped_one_passes(dev) -> None:
    (network,) = [s for s, deps in dev.dependencies.items() if not deps]
    policies = dev.blocks(network, "google_access_context_manager_access_policy")
    policies.clear()
    policies["org"] = {"parent": "organizations/123456789012", "title": "rayfort"}
    policies["scoped"] = {"parent": "organizations/123456789012", "title": "rayfort", "scopes": ["projects/1"]}
    assert _addresses(dev.failures("singletons")) == {"google_access_context_manager_access_policy.org"}
    assert len(dev.outcomes("singletons")) == 2


# --- one owner per cloud object -------------------------------------------------------


def test_every_object_of_the_shipped_apps_has_one_owner(apps) -> None:
    for name in ("dev", "prod", "airgapped"):
        assert apps[name].outcomes("ownership"), f"{name}: the ownership check runs"
        assert not apps[name].failures("ownership"), name


def test_an_api_enabled_by_two_stacks_fails_in_the_later_one(apps) -> None:
    prod = apps["prod"].copy()
    (owner,) = prod.stacks_with("google_project_service")[:1]
    name, body = next(iter(prod.blocks(owner, "google_project_service").items()))
    (later,) = [s for s in prod.tenant_stacks()][:1]
    prod.blocks(later, "google_project_service")["copy"] = copy.deepcopy(body)
    failed = prod.failures("ownership")
    assert [(o.stack, o.address) for o in failed] == [(later, "google_project_service.copy")]
    assert f"the same object as {owner}/google_project_service.{name}" in failed[0].problem


def test_two_grants_of_one_role_to_one_member_fail_unless_the_member_differs(dev) -> None:
    (stack,) = dev.stacks_with("google_project_iam_member")[:1]
    grants = dev.blocks(stack, "google_project_iam_member")
    name, body = next(iter(grants.items()))
    grants["twin"] = copy.deepcopy(body)
    grants["other"] = {**copy.deepcopy(body), "member": "group:someone-else@example.com"}
    assert _addresses(dev.failures("ownership")) == {"google_project_iam_member.twin"}


def test_names_known_only_at_apply_time_are_compared_as_written(dev) -> None:
    (stack,) = dev.stacks_with("google_project_iam_member")[:1]
    grants = dev.blocks(stack, "google_project_iam_member")
    body = next(iter(grants.values()))
    grants["computed-a"] = {**copy.deepcopy(body), "member": "serviceAccount:${google_service_account.a.email}"}
    grants["computed-b"] = {**copy.deepcopy(body), "member": "serviceAccount:${google_service_account.b.email}"}
    grants["computed-a-again"] = copy.deepcopy(grants["computed-a"])
    assert _addresses(dev.failures("ownership")) == {"google_project_iam_member.computed-a-again"}


# --- namespaced mode -----------------------------------------------------------------


def test_the_namespaced_operator_and_the_tenants_apply_nothing_cluster_scoped(apps) -> None:
    app = apps["dev-namespaced"].copy()
    stack = app.operator_stack()
    ((operator, _),) = app.releases(stack, "kuberay-operator")
    checked = app.outcomes("namespaced-mode")
    assert checked, "the namespaced check runs"
    failed = app.failures("namespaced-mode")
    assert operator not in _addresses(failed)
    assert not [o for o in failed if o.stack in app.tenant_stacks()]


def test_a_cluster_scoped_object_in_namespaced_mode_fails_unless_a_prerequisite(apps) -> None:
    app = apps["dev-namespaced"].copy()
    tenant = app.tenant_stacks()[0]
    manifests = app.blocks(tenant, "kubernetes_manifest")
    manifests["reader"] = {"manifest": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}}
    manifests["reader"]["manifest"]["metadata"] = {"name": "ray-reader"}
    manifests["crd"] = {
        "manifest": {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "rayclusters.ray.io"},
            "spec": {"group": "ray.io", "names": {"kind": "RayCluster"}, "scope": "Namespaced"},
        }
    }
    failed = app.failures("namespaced-mode", tenant)
    assert _addresses(failed) == {"kubernetes_manifest.reader"}


def test_a_cluster_wide_operator_release_fails_in_namespaced_mode(apps) -> None:
    app = apps["dev-namespaced"].copy()
    ((address, release),) = app.releases(app.operator_stack(), "kuberay-operator")
    release["values"].append("singleNamespaceInstall: false\n")
    failed = [o for o in app.failures("namespaced-mode") if o.address == address]
    assert any(o.problem.startswith("ClusterRole ") for o in failed)


def test_the_namespaced_check_runs_only_for_the_namespaced_operator(dev) -> None:
    assert dev.outcomes("namespaced-mode") == []


# --- charts -----------------------------------------------------------------------


def test_a_chart_the_judge_cannot_render_as_pinned_is_reported(dev) -> None:
    stack = dev.operator_stack()
    ((address, release),) = dev.releases(stack, "kuberay-operator")
    release["version"] = "1.6.0"
    assert any(o.address == address and "1.6.0" in o.problem for o in dev.failures("rendering"))
    release["chart"] = "no-such-chart"
    assert any(o.address == address and "no-such-chart" in o.problem for o in dev.failures("rendering"))


# --- reading Terraform -----------------------------------------------------------------


def test_references_are_parsed_as_terraform_reads_them() -> None:
    expression = next(interpolations("x${{ for c in data.helm_template.t.crds : yamldecode(c).metadata.name => c }}y"))
    assert [str(ref) for ref in parse_refs(expression)] == ["data.helm_template.t.crds"]
    assert [str(r) for r in parse_refs("base64decode(google_container_cluster.c.master_auth[0].ca)")] == [
        "google_container_cluster.c.master_auth.ca"
    ]


def test_a_namespace_read_through_remote_state_resolves_to_the_producers_literal(dev) -> None:
    deployment = Deployment(dev.stacks, dev.dependencies)
    read_remotely = [
        (deployment.stack(stack), namespace)
        for stack in dev.stacks
        for body in dev.blocks(stack, "kubernetes_manifest").values()
        if isinstance(body.get("manifest"), dict)
        for namespace in (
            body["manifest"]["metadata"].get("namespace", ""),
            *(p.get("namespace", "") for p in body["manifest"].get("spec", {}).get("parentRefs", [])),
        )
        if "terraform_remote_state" in str(namespace)
    ]
    assert read_remotely, "a tenant's route names the shared Gateway's namespace, read from the exposure state"
    for stack, namespace in read_remotely:
        assert stack.literal(namespace) in _namespaces(dev)


def _namespaces(app: App) -> set[str]:
    return {b["manifest"]["metadata"]["name"] for s in app.stacks for _, b in app.manifests(s, "Namespace")}


# --- the runner ---------------------------------------------------------------------------


def test_the_runner_registers_the_judge_advisory_until_enforced(monkeypatch, apps, tmp_path) -> None:
    assert runner.judge_deployability in runner.JUDGES
    app = apps["dev"].copy()
    (tmp_path / "manifest.json").write_text(
        json.dumps({"stacks": {name: {"dependencies": deps} for name, deps in app.dependencies.items()}})
    )
    app.blocks(app.tenant_stacks()[0], "kubernetes_manifest")["widget"] = {
        "manifest": {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "x"}}
    }
    env = runner.Synthesized("dev", tmp_path, app.stacks)
    monkeypatch.setattr(runner, "ENFORCE_DEPLOYABILITY", False)
    result = runner.judge_deployability([env])
    if result.unavailable:
        pytest.skip(result.unavailable)
    assert result.failed and result.advisory and "(advisory)" in runner.render_table([result])
    monkeypatch.setattr(runner, "ENFORCE_DEPLOYABILITY", True)
    assert not runner.judge_deployability([env]).advisory


def test_the_readme_documents_every_cluster_admin_prerequisite() -> None:
    from rayfort.kuberay.prerequisites import CLUSTER_ADMIN_PREREQUISITES

    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if line.lstrip().startswith("| ")]
    for item in CLUSTER_ADMIN_PREREQUISITES:
        names = "any" if item.names == "*" else f"`{item.names}`"
        assert any(f"| {item.kind} | {names} |" in row for row in rows), item


def _placement_difference() -> dict:
    """dev-placement: GPU pools and a dedicated pool, groups on them, and the waiver of the L4 pool."""
    dev = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    team_a, team_b = copy.deepcopy(dev["tenants"])
    team_a["worker_groups"].append(
        {"name": "gpu", "max_replicas": 2, "resources": {"cpu": "4", "memory": "16Gi", "gpu": 1}, "node_pool": "gpu-l4"}
    )
    team_a["quota"] = {"gpu": 2}
    team_b["worker_groups"].append(
        {"name": "h100", "max_replicas": 1, "resources": {"cpu": "8", "memory": "64Gi", "gpu": 1}}
    )
    team_b["quota"] = {"gpu": 1, "memory": "96Gi"}
    pools = [
        {"name": "default"},
        {
            "name": "gpu-l4",
            "machine_type": "g2-standard-8",
            "confidential_instance_type": None,
            "min_nodes": 0,
            "max_nodes": 2,
            "gpu": {"type": "nvidia-l4", "count": 1},
            "tenants": ["team-a"],
        },
        {
            "name": "gpu-h100",
            "machine_type": "a3-highgpu-1g",
            "confidential_instance_type": "TDX",
            "spot": True,
            "min_nodes": 0,
            "max_nodes": 1,
            "gpu": {"type": "nvidia-h100-80gb", "count": 1},
            "tenants": ["team-b"],
        },
        {"name": "team-b", "machine_type": "n2d-standard-4", "max_nodes": 3, "tenants": ["team-b"], "dedicated": True},
    ]
    waiver = {
        "rule": "RF003",
        "resource": "gke/pool-gpu-l4/pool",
        "reason": "L4 GPUs have no confidential variant; only team-a's batch jobs on public data run on these nodes",
        "tenants": ["team-a"],
    }
    return {
        "name": "dev-placement",
        "cluster": {"node_pools": pools},
        "tenants": [team_a, team_b],
        "waivers": [*dev["waivers"], waiver],
    }


def _sandbox_difference() -> dict:
    """dev-sandbox: a GKE Sandbox pool, team-a's untrusted code on it, and one sandboxed group of team-b's."""
    dev = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    team_a, team_b = copy.deepcopy(dev["tenants"])
    team_a["untrusted_code"] = True
    team_b["worker_groups"].append(
        {"name": "notebooks", "max_replicas": 2, "resources": {"cpu": "1", "memory": "4Gi"}, "sandbox": True}
    )
    pools = [
        {"name": "default"},
        {"name": "sandbox", "machine_type": "n2d-standard-4", "min_nodes": 0, "max_nodes": 3, "sandbox": True},
    ]
    # The one judged variant on per-tenant Ingress: its IAP waiver names the Ingress dashboard's BackendConfig.
    exposure = {**dev["exposure"], "api": "ingress"}
    waivers = [{**w, "resource": w["resource"].replace("/backend-policy/", "/backend-config/")} for w in dev["waivers"]]
    return {
        "name": "dev-sandbox",
        "cluster": {"node_pools": pools},
        "tenants": [team_a, team_b],
        "exposure": exposure,
        "waivers": waivers,
    }


def _shared_vpc_difference(dev: dict) -> dict:
    """dev-shared-vpc: the host's subnet and ranges instead of rayfort's VPC, its perimeter joined, a runner in
    its VPC; without the settings a Shared VPC refuses (own ranges, internet egress and its waiver)."""
    network = dev["network"]
    for own in ("subnet_cidr", "pods_cidr", "services_cidr", "internet_egress"):
        del network[own]
    network["shared_vpc"] = {
        "host_project_id": "netteam-host-000000",
        "network": "hub",
        "subnetwork": "ray-nodes",
        "pods_range": {"name": "ray-pods", "cidr": "10.64.0.0/14"},
        "services_range": {"name": "ray-services", "cidr": "10.68.0.0/20"},
        "private_services_range": {"name": "hub-private-services", "cidr": "10.72.0.0/16"},
        "google_apis_vip": "restricted",
    }
    network["service_controls"]["join"] = {"name": "netteam_shared_vpc"}
    dev["deployer"]["runs_in"] = "vpc"
    dev["waivers"] = [waiver for waiver in dev["waivers"] if waiver["rule"] != "RF046"]
    return {**dev, "name": "dev-shared-vpc"}


VARIANT_DIFFERENCES = {
    "dev-namespaced.yaml": {"name": "dev-namespaced", "kuberay": {"install": "namespaced", "manage_crds": False}},
    "dev-dns-endpoint.yaml": {
        "name": "dev-dns-endpoint",
        "cluster": {"control_plane_access": "dns_endpoint"},
        "network": {
            "service_controls": {
                "enforce": True,
                "access_levels": [{"name": "platform_team", "ip_subnetworks": ["203.0.113.0/24"]}],
            }
        },
    },
    "dev-placement.yaml": _placement_difference(),
    "dev-sandbox.yaml": _sandbox_difference(),
    "dev-shared-vpc.yaml": _shared_vpc_difference,
}


def test_the_judged_variants_are_dev_with_only_their_difference() -> None:
    """The variants must follow dev.yaml: a drifted copy would judge a configuration nobody ships."""
    dev = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    assert sorted(Path(v).name for v in runner.VARIANTS) == sorted(VARIANT_DIFFERENCES)
    for variant in runner.VARIANTS:
        written = yaml.safe_load((ROOT / variant).read_text())
        difference = VARIANT_DIFFERENCES[Path(variant).name]
        expected = difference(copy.deepcopy(dev)) if callable(difference) else changed(dev, difference)
        assert written == expected, variant
