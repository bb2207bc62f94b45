"""GKE Sandbox (issue 20.7): untrusted code runs in gVisor, on sandbox pools only, and nothing else runs there.

The judged variant ``dev-sandbox`` is synthesized once: team-a has ``untrusted_code`` (head and workers in
gVisor), team-b runs one worker group in gVisor (``sandbox: true``) and the rest on the shared pool. The
placement judge (the scheduler's predicates over the gke stack's pools, GKE's own sandbox label and taint
and the gvisor RuntimeClass's scheduling) and the pod security judge pass on it; each is shown to fail
when a template leaves gVisor.
"""

from __future__ import annotations

import copy

import pytest

from rayfort.config import load_environment
from rayfort.config.placement import SANDBOX_NODE_KEY, SANDBOX_TAINT, admitted_tenants
from rayfort.kuberay.admission.policies import admission_objects, ray_admission
from rayfort.synthesized import read_stacks
from rayfort_tools.judges import runner
from rayfort_tools.judges.placement import pools_of, schedulable_pools, tenant_templates
from tests.app import synthesize
from tests.conftest import ENVIRONMENTS
from tests.kuberay.admission_harness import evaluate, synthesized_namespaces

VARIANT = ENVIRONMENTS / "variants" / "dev-sandbox.yaml"
HEAD = "spec.headGroupSpec.template.spec"


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> runner.Synthesized:
    env = load_environment(VARIANT)
    outdir = tmp_path_factory.mktemp("sandbox") / "cdktf.out"
    synthesize(env, outdir)
    return runner.Synthesized("dev-sandbox", outdir, read_stacks(outdir), env)


def _clusters(stacks: dict) -> dict[str, dict]:
    return {
        body["manifest"]["metadata"]["name"]: body["manifest"]
        for tf in stacks.values()
        for body in tf.get("resource", {}).get("kubernetes_manifest", {}).values()
        if isinstance(body.get("manifest"), dict) and body["manifest"]["kind"] == "RayCluster"
    }


def _templates(variant: runner.Synthesized) -> dict[tuple[str, str], dict]:
    return {(tenant, where.rsplit(":", 1)[1]): spec for tenant, _, where, spec in tenant_templates(variant.stacks)}


def test_sandboxed_pods_name_gvisor_select_and_tolerate_the_sandbox_nodes(variant) -> None:
    sandboxed = {
        ("team-a", HEAD),
        ("team-a", "spec.workerGroupSpecs[0].template.spec"),
        ("team-b", "spec.workerGroupSpecs[1].template.spec"),
    }
    templates = _templates(variant)
    assert len(templates) == 5
    for key, spec in templates.items():
        if key in sandboxed:
            assert spec["runtimeClassName"] == "gvisor", key
            assert spec["nodeSelector"][SANDBOX_NODE_KEY] == "gvisor", key
            assert SANDBOX_TAINT.toleration() in spec["tolerations"], key
        else:
            assert "runtimeClassName" not in spec and SANDBOX_NODE_KEY not in spec["nodeSelector"], key
            assert SANDBOX_TAINT.toleration() not in spec.get("tolerations", []), key


def test_the_scheduler_could_place_sandboxed_pods_only_on_the_sandbox_pool(variant) -> None:
    result = runner.judge_placement([variant])
    assert (result.checked, result.failures) == (5, [])
    pools = pools_of(variant.stacks["gke"])
    assert {pool.name: pool.sandbox for pool in pools} == {"default": False, "sandbox": True}
    placed = {key: schedulable_pools(spec, pools) for key, spec in _templates(variant).items()}
    assert placed == {
        ("team-a", HEAD): {"sandbox"},
        ("team-a", "spec.workerGroupSpecs[0].template.spec"): {"sandbox"},
        ("team-b", HEAD): {"default"},
        ("team-b", "spec.workerGroupSpecs[0].template.spec"): {"default"},
        ("team-b", "spec.workerGroupSpecs[1].template.spec"): {"sandbox"},
    }
    # The untrusted tenant is on no shared pool at all; the sandbox pool takes both tenants' gVisor pods.
    env = variant.environment
    by_name = {pool.name: pool for pool in env.cluster.node_pools}
    assert admitted_tenants(env, by_name["default"]) == ["team-b"]
    assert admitted_tenants(env, by_name["sandbox"]) == ["team-a", "team-b"]


def _broken(variant: runner.Synthesized, tenant: str, edit) -> runner.JudgeResult:
    stacks = copy.deepcopy(variant.stacks)
    edit(_clusters({f"tenant-{tenant}": stacks[f"tenant-{tenant}"]})[tenant]["spec"])
    return runner.judge_placement([runner.Synthesized("broken", variant.outdir, stacks, variant.environment)])


def test_the_judge_fails_an_untrusted_tenants_pod_outside_gvisor(variant) -> None:
    result = _broken(variant, "team-a", lambda spec: spec["headGroupSpec"]["template"]["spec"].pop("runtimeClassName"))
    assert result.failed == 1 and "tenant team-a runs untrusted code, but not in gVisor" in result.failures[0]


def test_the_judge_fails_a_pod_that_could_run_on_a_sandbox_pool_outside_gvisor(variant) -> None:
    result = _broken(
        variant, "team-b", lambda spec: spec["workerGroupSpecs"][1]["template"]["spec"].pop("runtimeClassName")
    )
    assert result.failed == 1 and "could run outside gVisor on sandbox pools sandbox" in result.failures[0]


def test_a_gvisor_pod_kept_to_a_pool_without_gvisor_fits_nowhere(variant) -> None:
    """GKE's gvisor RuntimeClass adds the sandbox nodes' selector: with the default pool's affinity, no node fits."""

    def edit(spec: dict) -> None:
        spec["workerGroupSpecs"][0]["template"]["spec"]["runtimeClassName"] = "gvisor"

    result = _broken(variant, "team-b", edit)
    assert result.failed == 1 and "fits no node pool" in result.failures[0]


def test_pod_security_restricted_holds_in_the_sandbox(variant) -> None:
    result = runner.judge_pod_security([variant])
    assert result.checked > 0 and result.failures == []


def test_admission_holds_the_untrusted_tenant_to_gvisor(variant) -> None:
    policy = next(
        o
        for o in admission_objects(ray_admission(variant.environment))
        if o["metadata"]["name"] == "rayfort-ray-workloads"
    )
    namespaces = synthesized_namespaces(variant.stacks)
    for name, cluster in _clusters(variant.stacks).items():
        namespace = namespaces[name]
        decision = evaluate(policy, cluster, namespace=namespace)
        assert decision.admitted, decision
        if name == "team-a":
            own = copy.deepcopy(cluster)
            del own["spec"]["workerGroupSpecs"][0]["template"]["spec"]["runtimeClassName"]
            refused = evaluate(policy, own, namespace=namespace)
            assert not refused.admitted
            assert refused.denials and "runtimeClassName: gvisor" in refused.denials[0], refused
            assert not refused.errors and not refused.fallbacks


def test_the_variant_file_is_judged_by_default() -> None:
    assert "environments/variants/dev-sandbox.yaml" in runner.VARIANTS
