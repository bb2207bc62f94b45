"""The policies as shipped: applied by the kuberay stack, schema-valid, and admitting the platform's own objects."""

from __future__ import annotations

import pytest
import yaml

from rayfort.config.placement import admitted_pools
from rayfort.kuberay.admission.policies import admission_manifest, admission_objects, ray_admission
from rayfort_tools.judges.k8s_schema import validate_manifest
from tests.conftest import SHIPPED, environment
from tests.kuberay.admission_harness import evaluate, synthesized_namespaces
from tests.kuberay.conftest import variant

ADMISSION_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")


def _manifests(tf_json: dict) -> list[dict]:
    bodies = tf_json.get("resource", {}).get("kubernetes_manifest", {}).values()
    return [body["manifest"] for body in bodies if isinstance(body.get("manifest"), dict)]


def _identity(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


@pytest.mark.parametrize("env", SHIPPED)
def test_the_kuberay_stack_applies_the_environments_policies(synthesized, env):
    applied = [m for m in _manifests(synthesized[env]["kuberay"]) if m["kind"] in ADMISSION_KINDS]
    expected = admission_objects(ray_admission(environment(env)))
    assert sorted(applied, key=_identity) == sorted(expected, key=_identity)
    for obj in applied:
        assert validate_manifest(obj) == [], obj["metadata"]["name"]


@pytest.mark.parametrize("env", SHIPPED)
def test_bindings_wait_for_their_policies(synthesized, env):
    manifests = synthesized[env]["kuberay"]["resource"]["kubernetes_manifest"]
    addresses = {
        body["manifest"]["metadata"]["name"] + "/" + body["manifest"]["kind"]: address
        for address, body in manifests.items()
        if isinstance(body["manifest"], dict) and body["manifest"]["kind"] in ADMISSION_KINDS
    }
    for name_kind, address in addresses.items():
        name, kind = name_kind.split("/")
        if kind == "ValidatingAdmissionPolicyBinding":
            policy = addresses[f"{name}/ValidatingAdmissionPolicy"]
            assert manifests[address]["depends_on"] == [f"kubernetes_manifest.{policy}"]


@pytest.mark.parametrize("env", SHIPPED)
def test_the_platform_never_refuses_itself(synthesized, env):
    """Every RayCluster and Service rayfort applies in a tenant namespace passes that environment's policies.

    Each is judged in its namespace as synthesized, whose annotations carry the tenant's own rules.
    """
    objects = admission_objects(ray_admission(environment(env)))
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ValidatingAdmissionPolicy"}
    tenants = {t.name for t in environment(env).tenants}
    namespaces = synthesized_namespaces(synthesized[env])
    judged = {"RayCluster": 0, "Service": 0}
    for stack, tf_json in synthesized[env].items():
        for manifest in _manifests(tf_json):
            kind = manifest["kind"]
            if kind not in judged:
                continue
            # Namespaces are references in the JSON; the objects of a tenant are named after it.
            tenant = (
                stack.removeprefix("tenant-")
                if stack.startswith("tenant-")
                else next((t for t in tenants if manifest["metadata"]["name"].startswith(t + "-")), None)
            )
            assert tenant in tenants, f"{stack}: {manifest['metadata']['name']} is in no tenant namespace"
            policy = policies["rayfort-ray-workloads" if kind == "RayCluster" else "rayfort-tenant-services"]
            decision = evaluate(policy, manifest, namespace=namespaces[tenant])
            assert decision.admitted, f"{env} {stack} {kind} {manifest['metadata']['name']}: {decision}"
            judged[kind] += 1
    assert judged["RayCluster"] == sum(t.ray_runtime == "kuberay" for t in environment(env).tenants)
    assert judged["Service"] > 0


@pytest.mark.parametrize("env", SHIPPED)
def test_each_tenant_namespace_carries_its_own_rules(synthesized, env):
    """What the Ray policy reads per tenant, as synthesized: gVisor exactly for untrusted code, and a token-auth
    waiver for the tenant's own platform cluster only where the environment turned its token auth off."""
    namespaces = synthesized_namespaces(synthesized[env])
    for tenant in environment(env).tenants:
        annotations = namespaces[tenant.name]["metadata"]["annotations"]
        assert annotations["rayfort.dev/sandboxed"] == ("true" if tenant.untrusted_code else "false")
        waived = tenant.ray_runtime == "kuberay" and not tenant.token_auth
        assert annotations["rayfort.dev/unauthenticated-ray-clusters"] == (tenant.name if waived else "")
        assert annotations["rayfort.dev/node-pools"].split(",") == [
            pool.name for pool in admitted_pools(environment(env), tenant.name)
        ]


def test_namespaced_operators_leave_the_policies_to_a_cluster_admin(kuberay_stack):
    env = variant("dev", install="namespaced", manage_crds=False)
    stack = kuberay_stack(env)
    assert not [m for m in _manifests(stack) if m["kind"] in ADMISSION_KINDS]
    manifest = admission_manifest(env)
    assert manifest.startswith("# rayfort admission policies for environment dev")
    assert list(yaml.safe_load_all(manifest)) == admission_objects(ray_admission(env))


@pytest.mark.parametrize("install", ["helm", "gke-addon"])
def test_cluster_admin_installs_apply_the_policies(kuberay_stack, install):
    stack = kuberay_stack(variant("dev", install=install))
    kinds = sorted(m["kind"] for m in _manifests(stack) if m["kind"] in ADMISSION_KINDS)
    assert kinds == sorted(ADMISSION_KINDS * 2)
