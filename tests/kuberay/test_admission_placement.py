"""A team's own Ray objects are held to the node pools that admit its tenant, by a real CEL engine.

The environment is the judged variant ``dev-placement``: team-a is admitted to ``default`` and the
waived ``gpu-l4``; team-b to its dedicated pool ``team-b`` and ``gpu-h100``. Every GPU pool carries the
same ``nvidia.com/gpu`` taint, so a tenant that may tolerate it could reach the other tenant's GPU pool:
both must keep their templates to their pools by required node affinity. Each refusal is the exact
message the API server returns. Each tenant's rules are on its Namespace as its stack writes it, which
the API server hands the policy; a tenant namespace without them gets those of a tenant no pool names.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rayfort.config import Environment, load_environment
from rayfort.config.placement import GPU_TAINT, NodeTaint
from rayfort.kuberay.admission.node_pools import tenant_nodes, toleration_forms
from rayfort.kuberay.admission.policies import ray_admission
from rayfort.kuberay.admission.ray_workloads import ray_workload_policy
from rayfort.tenant.admission import TenantNodes
from tests.conftest import ENVIRONMENTS, environment
from tests.kuberay import admission_fixtures as fx
from tests.kuberay.admission_harness import (
    check_uses_no_kubernetes_library,
    compile_expression,
    evaluate,
    policy_expressions,
)

VARIANT = load_environment(ENVIRONMENTS / "variants" / "dev-placement.yaml")
DEV = environment("dev")
POLICY = ray_workload_policy(ray_admission(VARIANT))
DEV_POLICY = ray_workload_policy(ray_admission(DEV))
POOL = "cloud.google.com/gke-nodepool"
HEAD = "spec.headGroupSpec.template"
WORKER = "spec.workerGroupSpecs[groupName=cpu].template"
AFFINITY = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
TEAM_A_TOLERABLE = (
    "nvidia.com/gpu, nvidia.com/gpu:NoSchedule, nvidia.com/gpu=present, nvidia.com/gpu=present:NoSchedule"
)


def _keep(tenant: str, pools: str, where: str) -> str:
    return (
        f"keep every pod template to the node pools that admit tenant {tenant}: set {AFFINITY} so that every "
        f"nodeSelectorTerms entry has {{key: {POOL}, operator: In, values: [{pools}]}} (or fewer), or "
        f"spec.nodeSelector {POOL}: one of them; another tenant's pool would take these pods (every GPU pool carries "
        f"the same nvidia.com/gpu taint); missing on: {where}"
    )


def _require(spec: dict, *pools: str, key: str = POOL, operator: str = "In") -> None:
    term = {"matchExpressions": [{"key": key, "operator": operator, "values": list(pools)}]}
    spec["affinity"] = {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}
    }


def _templates(obj: dict) -> list[dict]:
    spec = obj["spec"]
    return [spec["headGroupSpec"]["template"]["spec"], *(g["template"]["spec"] for g in spec["workerGroupSpecs"])]


def _cluster(tenant: str = "team-a", pools: tuple[str, ...] = ("default",)) -> dict:
    """A team's own cluster, kept to the pools given (the compliant fixture, re-labelled for ``tenant``)."""
    obj = fx.ray_cluster()
    obj["metadata"]["namespace"] = tenant
    for template in (obj["spec"]["headGroupSpec"]["template"], obj["spec"]["workerGroupSpecs"][0]["template"]):
        template["metadata"]["labels"]["rayfort.dev/tenant"] = tenant
    for spec in _templates(obj):
        _require(spec, *pools)
    return obj


NOT_SANDBOXED = {"rayfort.dev/sandboxed": "false"}
"""Placement alone: a namespace without annotations must also run in gVisor (test_admission_policies)."""


def _namespace(env: Environment, tenant: str) -> dict:
    """The tenant's namespace as its stack writes it; a tenant the environment does not name has no node rules."""
    known = any(t.name == tenant for t in env.tenants)
    return fx.platform_namespace(env, tenant) if known else fx.namespace(tenant, NOT_SANDBOXED)


def _denials(obj: dict, tenant: str = "team-a", policy: dict = POLICY, env: Environment = VARIANT) -> list[str]:
    return _decided(obj, _namespace(env, tenant), policy)


def _decided(obj: dict, namespace: dict, policy: dict = POLICY) -> list[str]:
    decision = evaluate(policy, obj, namespace=namespace)
    assert decision.applies and not decision.errors, decision.errors
    assert not decision.fallbacks, f"messageExpression failed: {decision.fallbacks}"
    return decision.denials


def _worker(obj: dict) -> dict:
    return obj["spec"]["workerGroupSpecs"][0]["template"]["spec"]


def test_every_expression_compiles_with_no_kubernetes_library_function() -> None:
    for expression in policy_expressions(POLICY):
        check_uses_no_kubernetes_library(expression)
        compile_expression(expression)


@pytest.mark.parametrize(
    ("tenant", "pools"),
    [
        ("team-a", ("default",)),
        ("team-a", ("default", "gpu-l4")),
        ("team-b", ("team-b",)),
        ("team-b", ("gpu-h100", "team-b")),
    ],
)
def test_a_cluster_kept_to_admitted_pools_is_admitted(tenant: str, pools: tuple[str, ...]) -> None:
    assert _denials(_cluster(tenant, pools), tenant) == []


def test_a_gpu_worker_on_its_own_gpu_pool_is_admitted() -> None:
    obj = _cluster("team-a")
    _require(_worker(obj), "gpu-l4")
    _worker(obj)["tolerations"] = [GPU_TAINT.toleration()]
    assert _denials(obj) == []
    for spec in _templates(obj):
        del spec["affinity"]
        spec["nodeSelector"] = {POOL: "default"}
    _worker(obj)["nodeSelector"] = {POOL: "gpu-l4", "iam.gke.io/gke-metadata-server-enabled": "true"}
    assert _denials(obj) == []


def test_asking_for_a_pool_that_does_not_admit_the_tenant_is_refused_with_what_to_set() -> None:
    """team-b asks for team-a's waived L4 pool: the GPU taint alone would let it in."""
    obj = _cluster("team-b", ("team-b",))
    _require(_worker(obj), "gpu-l4")
    _worker(obj)["tolerations"] = [GPU_TAINT.toleration()]
    assert _denials(obj, "team-b") == [
        "select only node pools that admit tenant team-b (gpu-h100, team-b; cluster.node_pools[].tenants decides); "
        f"selecting others: {WORKER}"
    ]


def test_a_node_selector_for_a_foreign_pool_is_refused() -> None:
    obj = _cluster("team-a")
    del _worker(obj)["affinity"]
    _worker(obj)["nodeSelector"] = {POOL: "team-b"}
    assert _denials(obj) == [
        f"select only node pools that admit tenant team-a (default, gpu-l4; cluster.node_pools[].tenants decides); "
        f"selecting others: {WORKER}",
    ]


@pytest.mark.parametrize(
    ("toleration", "shown"),
    [
        (NodeTaint("rayfort.dev/tenant", "team-b", "NoSchedule").toleration(), "rayfort.dev/tenant=team-b:NoSchedule"),
        ({"key": "rayfort.dev/tenant", "operator": "Exists"}, "rayfort.dev/tenant"),
        ({"operator": "Exists"}, ""),
        (
            {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoExecute"},
            "nvidia.com/gpu=present:NoExecute",
        ),
    ],
)
def test_tolerating_a_taint_of_a_pool_that_does_not_admit_the_tenant_is_refused(toleration: dict, shown: str) -> None:
    obj = _cluster("team-a")
    _worker(obj)["tolerations"] = [toleration]
    assert _denials(obj) == [
        f"tolerate only taints of node pools that admit tenant team-a (allowed: {TEAM_A_TOLERABLE}); not allowed: "
        f"{WORKER} ({shown})"
    ]


def test_a_tenant_without_gpu_pools_may_not_tolerate_the_gpu_taint_at_all() -> None:
    assert _denials(_cluster("team-a", ("default",)), "team-a", DEV_POLICY, DEV) == [], "dev pins nobody"
    obj = fx.ray_cluster()
    _worker(obj)["tolerations"] = [GPU_TAINT.toleration()]
    assert _denials(obj, policy=DEV_POLICY, env=DEV) == [
        "tolerate only taints of node pools that admit tenant team-a (allowed: none); not allowed: "
        f"{WORKER} (nvidia.com/gpu=present:NoSchedule)"
    ]


def test_without_affinity_a_tenant_that_could_reach_another_pool_is_refused() -> None:
    obj = _cluster("team-a")
    del _worker(obj)["affinity"]
    assert _denials(obj) == [_keep("team-a", "default, gpu-l4", WORKER)]


@pytest.mark.parametrize(
    "terms",
    [
        # One term restricted, the other not: terms are ORed, so the second reaches every pool.
        [
            {"matchExpressions": [{"key": POOL, "operator": "In", "values": ["team-b"]}]},
            {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]},
        ],
        [{"matchExpressions": [{"key": POOL, "operator": "NotIn", "values": ["team-b"]}]}],
        [{"matchExpressions": [{"key": POOL, "operator": "In", "values": []}]}],
        [],
    ],
)
def test_only_an_affinity_that_restricts_every_term_keeps_a_pod(terms: list) -> None:
    obj = _cluster("team-b", ("team-b",))
    _worker(obj)["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] = (
        terms
    )
    assert _denials(obj, "team-b") == [_keep("team-b", "gpu-h100, team-b", WORKER)]


def test_node_name_is_refused_because_it_skips_the_scheduler() -> None:
    obj = _cluster("team-a")
    obj["spec"]["headGroupSpec"]["template"]["spec"]["nodeName"] = "gke-rayfort-dev-team-b-1234"
    assert _denials(obj) == [
        "remove spec.nodeName: a pod bound to a node by name skips the scheduler, and with it the taints and node "
        f"affinity that keep each tenant to the node pools that admit it; set on: {HEAD}"
    ]


def test_a_submitter_pod_is_held_to_the_same_pools() -> None:
    job = fx.ray_job_on_platform_cluster()
    job["spec"]["submissionMode"] = "K8sJobMode"
    job["spec"]["submitterPodTemplate"] = fx.submitter_template()
    assert _denials(job) == [_keep("team-a", "default, gpu-l4", "spec.submitterPodTemplate")]
    _require(job["spec"]["submitterPodTemplate"]["spec"], "default")
    assert _denials(job) == []


def test_a_rayjobs_own_cluster_is_held_at_its_own_path() -> None:
    job = fx.ray_job_with_cluster()
    job["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["template"]["spec"]["nodeSelector"] = {POOL: "gpu-h100"}
    _require(job["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"], "default")
    assert _denials(job) == [
        "select only node pools that admit tenant team-a (default, gpu-l4; cluster.node_pools[].tenants decides); "
        "selecting others: spec.rayClusterSpec.workerGroupSpecs[groupName=cpu].template"
    ]
    del job["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["template"]["spec"]["nodeSelector"]
    assert _denials(job) == [
        _keep("team-a", "default, gpu-l4", "spec.rayClusterSpec.workerGroupSpecs[groupName=cpu].template")
    ]


def test_a_namespace_of_a_tenant_the_environment_does_not_name_gets_the_shared_pools_only() -> None:
    obj = _cluster("team-z", ("default",))
    assert _denials(obj, "team-z") == []
    _require(_worker(obj), "gpu-l4")
    assert _denials(obj, "team-z")[0].startswith("select only node pools that admit tenant team-z (default;")


def test_a_namespace_without_its_annotations_gets_the_strictest_rules() -> None:
    """team-b's namespace stripped of its annotations: what its own pools allow is refused, as for team-z."""
    annotated = fx.platform_namespace(VARIANT, "team-b")
    assert annotated["metadata"]["annotations"]["rayfort.dev/node-pools"] == "gpu-h100,team-b"
    own = _cluster("team-b", ("team-b",))
    _worker(own)["tolerations"] = [NodeTaint("rayfort.dev/tenant", "team-b", "NoSchedule").toleration()]
    assert _decided(own, annotated) == []
    bare = fx.namespace("team-b", NOT_SANDBOXED)
    assert _decided(own, bare) == [
        "tolerate only taints of node pools that admit tenant team-b (allowed: none); not allowed: "
        f"{WORKER} (rayfort.dev/tenant=team-b:NoSchedule)",
        "select only node pools that admit tenant team-b (default; cluster.node_pools[].tenants decides); "
        f"selecting others: {HEAD}, {WORKER}",
    ]
    # Any of the three missing is as if all were: a partial set never mixes with the default's.
    for missing in ("rayfort.dev/node-pools", "rayfort.dev/tolerations", "rayfort.dev/pinned-to-node-pools"):
        partial = copy.deepcopy(annotated)
        del partial["metadata"]["annotations"][missing]
        assert _decided(own, partial) == _decided(own, bare), missing
    # team-a's rules pin it (the GPU taint would reach team-b's H100s); without them nothing does, but its
    # pools shrink to the shared one, and the GPU taint is refused with them.
    gpu = _cluster("team-a", ("default",))
    _require(_worker(gpu), "gpu-l4")
    _worker(gpu)["tolerations"] = [GPU_TAINT.toleration()]
    assert _denials(gpu) == []
    assert _decided(gpu, fx.namespace("team-a", NOT_SANDBOXED)) == [
        f"tolerate only taints of node pools that admit tenant team-a (allowed: none); not allowed: {WORKER} "
        "(nvidia.com/gpu=present:NoSchedule)",
        "select only node pools that admit tenant team-a (default; cluster.node_pools[].tenants decides); "
        f"selecting others: {WORKER}",
    ]


def test_one_tenants_annotations_give_another_tenant_nothing() -> None:
    """The policy reads the namespace the object is submitted in: team-a's own rules, never team-b's."""
    obj = _cluster("team-a", ("team-b",))
    _worker(obj)["tolerations"] = [NodeTaint("rayfort.dev/tenant", "team-b", "NoSchedule").toleration()]
    assert _denials(obj, "team-a") == [
        f"tolerate only taints of node pools that admit tenant team-a (allowed: {TEAM_A_TOLERABLE}); not allowed: "
        f"{WORKER} (rayfort.dev/tenant=team-b:NoSchedule)",
        "select only node pools that admit tenant team-a (default, gpu-l4; cluster.node_pools[].tenants decides); "
        f"selecting others: {HEAD}, {WORKER}",
    ]


def test_the_rules_per_tenant() -> None:
    assert tenant_nodes(VARIANT, "team-a") == TenantNodes(
        ("default", "gpu-l4"), tuple(TEAM_A_TOLERABLE.split(", ")), True
    )
    team_b = tenant_nodes(VARIANT, "team-b")
    assert team_b.pools == ("gpu-h100", "team-b") and team_b.pinned
    assert "rayfort.dev/tenant=team-b:NoSchedule" in team_b.tolerations
    # Another tenant may not tolerate team-b's key at all: "rayfort.dev/tenant" would match every dedicated pool.
    assert "rayfort.dev/tenant" in team_b.tolerations
    # A tenant named nowhere is kept off every tainted pool by the taints alone, so nothing pins it.
    assert tenant_nodes(VARIANT, None) == TenantNodes(("default",), (), False)


def test_a_toleration_form_is_allowed_only_when_every_taint_it_matches_is_admitted() -> None:
    mine, theirs = (
        NodeTaint("rayfort.dev/tenant", "a", "NoSchedule"),
        NodeTaint("rayfort.dev/tenant", "b", "NoSchedule"),
    )
    assert toleration_forms({mine}, {mine, theirs}) == ("rayfort.dev/tenant=a", "rayfort.dev/tenant=a:NoSchedule")
    assert toleration_forms({mine}, {mine}) == (
        "rayfort.dev/tenant",
        "rayfort.dev/tenant:NoSchedule",
        "rayfort.dev/tenant=a",
        "rayfort.dev/tenant=a:NoSchedule",
    )


def test_autopilot_judges_no_pool() -> None:
    data = VARIANT.model_dump(mode="json", exclude_unset=True)
    data["cluster"] = {k: v for k, v in data["cluster"].items() if k != "node_pools"} | {"mode": "autopilot"}
    assert ray_admission(Environment.model_validate(_without_node_pools(data))).node_placement is None


def _without_node_pools(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for tenant in data["tenants"]:
        for group in tenant["worker_groups"]:
            group.pop("node_pool", None)
    data["waivers"] = [w for w in data["waivers"] if w["rule"] != "RF003"]
    return data


def test_the_readme_quotes_the_placement_refusals_exactly() -> None:
    """The refusals the README lists under "Node pools" are what these cases produce, word for word."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Node pools: where each tenant runs", 1)[1].split("\n## ", 1)[0]
    quoted = section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    unpinned = _cluster("team-b", ("team-b",))
    del _worker(unpinned)["affinity"]
    _worker(unpinned)["tolerations"] = [GPU_TAINT.toleration()]
    foreign = copy.deepcopy(unpinned)
    _require(_worker(foreign), "gpu-l4")
    escaping = _cluster("team-a")
    _worker(escaping)["tolerations"] = [{"key": "rayfort.dev/tenant", "operator": "Exists"}]
    escaping["spec"]["headGroupSpec"]["template"]["spec"]["nodeName"] = "gke-rayfort-dev-team-b-1234"
    produced = [*_denials(unpinned, "team-b"), *_denials(foreign, "team-b"), *_denials(escaping)]
    assert sorted(quoted) == sorted(produced)
