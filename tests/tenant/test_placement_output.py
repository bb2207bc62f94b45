"""The synthesized output keeps every tenant's pods to the node pools that admit it.

The multi-pool variant ``dev-placement`` is synthesized once; every pod template of every tenant stack
is walked. Each must carry a required node affinity naming only admitted pools and tolerate only their
taints, and the scheduler's own predicates over the node pools the gke stack creates (the placement
judge) must place it on admitted pools only. The judge is shown to catch a template that escapes.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from rayfort.config import Environment, load_environment
from rayfort.config.placement import NODE_POOL_LABEL, TENANT_NODE_KEY, admitted_pools, pool_taints, tenant_placement
from rayfort.kuberay.admission.policies import admission_objects, ray_admission
from rayfort.synthesized import read_stacks
from rayfort.tenant.runtime import ray_runtime_objects
from rayfort_tools.judges import runner
from rayfort_tools.judges.placement import pools_of, schedulable_pools, tenant_templates
from tests.app import synthesize
from tests.conftest import ENVIRONMENTS, SHIPPED, environment
from tests.kuberay.admission_harness import evaluate, synthesized_namespaces
from tests.tenant.runtime.test_ray_objects import inputs

VARIANT = ENVIRONMENTS / "variants" / "dev-placement.yaml"


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> runner.Synthesized:
    env = load_environment(VARIANT)
    outdir = tmp_path_factory.mktemp("placement") / "cdktf.out"
    synthesize(env, outdir)
    return runner.Synthesized("dev-placement", outdir, read_stacks(outdir), env)


def _manifests(stacks: dict, kind: str) -> list[dict]:
    return [
        body["manifest"]
        for tf in stacks.values()
        for body in tf.get("resource", {}).get("kubernetes_manifest", {}).values()
        if isinstance(body.get("manifest"), dict) and body["manifest"]["kind"] == kind
    ]


def test_every_tenant_template_requires_only_admitted_pools_and_tolerates_only_their_taints(variant) -> None:
    env = variant.environment
    walked = []
    for tenant, _, where, spec in tenant_templates(variant.stacks):
        admitted = admitted_pools(env, tenant)
        names = {pool.name for pool in admitted}
        terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms, where
        for term in terms:
            pools = [e for e in term["matchExpressions"] if e["key"] == NODE_POOL_LABEL and e["operator"] == "In"]
            assert pools and all(set(e["values"]) <= names for e in pools), (where, term)
        taints = {taint.toleration()["key"] + "=" + taint.value for pool in admitted for taint in pool_taints(pool)}
        for toleration in spec.get("tolerations", []):
            assert toleration["operator"] == "Equal" and toleration["key"], (where, toleration)
            assert f"{toleration['key']}={toleration['value']}" in taints, (where, toleration)
        walked.append((tenant, where))
    # team-a: head, cpu, gpu; team-b: head, cpu, h100.
    assert len(walked) == 6 and {tenant for tenant, _ in walked} == {"team-a", "team-b"}


def test_the_scheduler_could_place_each_pod_only_on_its_tenants_pools(variant) -> None:
    result = runner.judge_placement([variant])
    assert (result.checked, result.failures) == (6, [])
    pools = pools_of(variant.stacks["gke"])
    placed = {
        (tenant, where.rsplit(":", 1)[1]): schedulable_pools(spec, pools)
        for tenant, _, where, spec in tenant_templates(variant.stacks)
    }
    assert placed == {
        ("team-a", "spec.headGroupSpec.template.spec"): {"default"},
        ("team-a", "spec.workerGroupSpecs[0].template.spec"): {"default"},
        ("team-a", "spec.workerGroupSpecs[1].template.spec"): {"gpu-l4"},
        ("team-b", "spec.headGroupSpec.template.spec"): {"team-b"},
        ("team-b", "spec.workerGroupSpecs[0].template.spec"): {"team-b"},
        ("team-b", "spec.workerGroupSpecs[1].template.spec"): {"gpu-h100"},
    }


def test_the_judge_catches_a_template_that_could_reach_another_tenants_pool(variant) -> None:
    """The old shape of a GPU worker, the GPU toleration and no pool affinity, reaches every GPU pool (and more)."""
    stacks = copy.deepcopy(variant.stacks)
    for body in stacks["tenant-team-b"]["resource"]["kubernetes_manifest"].values():
        if body["manifest"]["kind"] == "RayCluster":
            del body["manifest"]["spec"]["workerGroupSpecs"][1]["template"]["spec"]["affinity"]
    broken = runner.Synthesized("broken", variant.outdir, stacks, variant.environment)
    result = runner.judge_placement([broken])
    assert result.failed == 1
    assert (
        "can be scheduled on default, gpu-l4, which do not admit team-b (admitting: gpu-h100, team-b)"
        in result.failures[0]
    )


def test_a_template_that_fits_no_pool_fails_the_judge(variant) -> None:
    stacks = copy.deepcopy(variant.stacks)
    for body in stacks["tenant-team-a"]["resource"]["kubernetes_manifest"].values():
        if body["manifest"]["kind"] == "RayCluster":
            body["manifest"]["spec"]["headGroupSpec"]["template"]["spec"]["nodeSelector"][NODE_POOL_LABEL] = "team-b"
    result = runner.judge_placement([runner.Synthesized("broken", variant.outdir, stacks, variant.environment)])
    assert result.failed == 1 and "fits no node pool" in result.failures[0]


def test_the_dedicated_pool_carries_its_tenants_taint_and_label(variant) -> None:
    pools = {pool.name: pool for pool in pools_of(variant.stacks["gke"])}
    assert pools["team-b"].taints == ((TENANT_NODE_KEY, "team-b", "NoSchedule"),)
    assert pools["team-b"].labels[TENANT_NODE_KEY] == "team-b"
    assert all(TENANT_NODE_KEY not in pool.labels for name, pool in pools.items() if name != "team-b")
    assert pools["gpu-l4"].taints == pools["gpu-h100"].taints == (("nvidia.com/gpu", "present", "NoSchedule"),)


def test_the_platform_clusters_pass_the_variants_admission_policy(variant) -> None:
    policy = next(
        o
        for o in admission_objects(ray_admission(variant.environment))
        if o["metadata"]["name"] == "rayfort-ray-workloads"
    )
    clusters = _manifests(variant.stacks, "RayCluster")
    namespaces = synthesized_namespaces(variant.stacks)
    assert len(clusters) == 2
    for cluster in clusters:
        decision = evaluate(policy, cluster, namespace=namespaces[cluster["metadata"]["name"]])
        assert decision.admitted, decision


def test_the_waiver_that_names_team_a_waives_the_l4_pool(variant) -> None:
    import json

    from rayfort.synth import POLICY_REPORT

    record = json.loads((variant.outdir / POLICY_REPORT).read_text())
    waived = {(e["rule"], e["path"]) for e in record["evaluations"] if e["status"] == "waived"}
    assert ("RF003", "gke/pool-gpu-l4/pool") in waived
    assert {"rule": "RF003", "resource": "gke/pool-gpu-l4/pool", "tenants": ["team-a"]}.items() <= next(
        w for w in record["waivers"] if w["rule"] == "RF003"
    ).items()
    assert all("tenants" not in w for w in record["waivers"] if w["rule"] != "RF003")


@pytest.mark.parametrize("env", SHIPPED)
def test_the_shipped_environments_keep_every_pod_to_admitted_pools(shipped_outdirs, env: str) -> None:
    shipped = runner.load_outdir(env, shipped_outdirs[env], environment(env))
    result = runner.judge_placement([shipped])
    assert result.checked > 0 and result.failures == []


def test_operatorless_deployments_are_placed_like_a_raycluster() -> None:
    env: Environment = load_environment(VARIANT)
    tenant = env.tenants[1].model_copy(update={"ray_runtime": "plain"})
    runtime = inputs(ray_runtime="plain")
    runtime = type(runtime)(**{**runtime.__dict__, "tenant": tenant, "placement": tenant_placement(env, tenant)})
    deployments = {o["metadata"]["name"]: o for o in ray_runtime_objects(runtime) if o["kind"] == "Deployment"}
    placed = {
        name: d["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"]
        for name, d in deployments.items()
    }
    assert placed == {"team-b-head": ["team-b"], "team-b-worker-cpu": ["team-b"], "team-b-worker-h100": ["gpu-h100"]}
    head = deployments["team-b-head"]["spec"]["template"]["spec"]
    assert head["tolerations"] == [
        {"key": TENANT_NODE_KEY, "operator": "Equal", "value": "team-b", "effect": "NoSchedule"}
    ]


def test_without_an_environment_only_gpu_pods_tolerate_the_gpu_taint() -> None:
    """Constructs composed without an environment's pools choose no pool (as in Autopilot)."""
    from rayfort.tenant.runtime.kuberay import ray_cluster

    cluster = ray_cluster(inputs())
    cpu, gpu = cluster["spec"]["workerGroupSpecs"]
    assert "affinity" not in cpu["template"]["spec"] and "tolerations" not in cpu["template"]["spec"]
    assert gpu["template"]["spec"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]


def test_the_variant_file_is_judged_by_default() -> None:
    assert str(VARIANT.relative_to(Path(__file__).resolve().parents[2])) in runner.VARIANTS
    assert runner.judge_placement in runner.JUDGES


def test_the_waiver_of_one_gpu_pool_admits_no_other_tenants_gpu_workers(variant) -> None:
    """Issue 20.4: gpu-l4's RF003 waiver names team-a; team-b's GPU workers reach only gpu-h100, by every path."""
    from rayfort.config.placement import GPU_TAINT, admitted_tenants
    from tests.kuberay.test_admission_placement import _cluster, _denials, _require, _worker

    env = variant.environment
    l4 = next(pool for pool in env.cluster.node_pools if pool.name == "gpu-l4")
    assert admitted_tenants(env, l4) == ["team-a"]
    # The synthesized pods: the scheduler's predicates over the gke stack's pools.
    pools = pools_of(variant.stacks["gke"])
    reach = [
        schedulable_pools(spec, pools) for tenant, _, _, spec in tenant_templates(variant.stacks) if tenant == "team-b"
    ]
    assert {"gpu-h100"} in reach and all("gpu-l4" not in reached for reached in reach)
    # What team-b writes itself, judged by the admission policy in a real CEL engine.
    own = _cluster("team-b", ("team-b",))
    del _worker(own)["affinity"]
    _worker(own)["tolerations"] = [GPU_TAINT.toleration()]  # the old shape: the GPU toleration and no pool
    assert _denials(own, "team-b")[0].startswith("keep every pod template to the node pools that admit tenant team-b")
    _require(_worker(own), "gpu-l4")
    assert _denials(own, "team-b")[0].startswith("select only node pools that admit tenant team-b (gpu-h100, team-b;")
    _require(_worker(own), "gpu-h100")
    assert _denials(own, "team-b") == []
