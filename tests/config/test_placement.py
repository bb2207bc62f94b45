"""Which pools admit which tenants, where each pod goes, and the bad input placement refuses.

The base is the judged variant ``dev-placement``: a shared default pool, an L4 pool whose confidential
nodes are waived for team-a, an H100 pool named for team-b, and a pool dedicated to team-b.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rayfort.config import Environment, load_environment
from rayfort.config.cluster import NodePool
from rayfort.config.placement import (
    GPU_TAINT,
    NODE_POOL_LABEL,
    TENANT_NODE_KEY,
    NodeTaint,
    admits,
    pool_labels,
    pool_taints,
    tenant_placement,
)
from rayfort.config.waivers import Waiver
from rayfort.controls.environment import quota_within_capacity
from rayfort.tenant.namespace import TENANT_LABEL
from tests.conftest import ENVIRONMENTS, ROOT
from tests.environments import refused, shipped

VARIANT = ENVIRONMENTS / "variants" / "dev-placement.yaml"
REASON = "L4 GPUs have no confidential variant at all"


def _env(data: dict) -> Environment:
    return Environment.model_validate(data)


def _rf003(data: dict) -> int:
    """The index of the variant's RF003 waiver (its gpu-l4 pool's), which the waivers before it do not touch."""
    return next(w for w, waiver in enumerate(data["waivers"]) if waiver["rule"] == "RF003")


def _line(tmp_path: Path, fragment: str, after: str = "") -> int:
    """The line of ``fragment`` in the file ``_refused`` wrote (the first after ``after``)."""
    rows = (tmp_path / "env.yaml").read_text().splitlines()
    start = next(i for i, row in enumerate(rows) if after in row) if after else 0
    return next(i for i, row in enumerate(rows[start:], start + 1) if fragment in row)


@pytest.fixture(scope="module")
def variant() -> Environment:
    return load_environment(VARIANT)


# --- who each pool admits -------------------------------------------------------------------


def test_the_variant_admits_as_its_file_says(variant: Environment) -> None:
    admitted = {
        pool.name: [t.name for t in variant.tenants if admits(variant, pool, t.name)]
        for pool in variant.cluster.node_pools
    }
    # team-b has a dedicated pool, so the shared default pool (which names nobody) no longer admits it.
    assert admitted == {"default": ["team-a"], "gpu-l4": ["team-a"], "gpu-h100": ["team-b"], "team-b": ["team-b"]}


@pytest.mark.parametrize(
    ("pool", "admits_unnamed"),
    [
        ({"name": "cpu"}, True),
        ({"name": "cpu", "confidential_instance_type": None}, False),
        (
            {
                "name": "gpu",
                **{"machine_type": "a3-highgpu-1g", "confidential_instance_type": "TDX", "spot": True},
                "gpu": {"type": "nvidia-h100-80gb"},
            },
            False,
        ),
        ({"name": "cpu", "taints": [{"key": "example.com/batch"}]}, False),
        ({"name": "cpu", "tenants": ["team-a"], "dedicated": True}, False),
    ],
)
def test_only_a_plain_shared_confidential_cpu_pool_admits_tenants_it_does_not_name(
    pool: dict, admits_unnamed: bool
) -> None:
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"] = [pool]
    env = _env(data)
    assert admits(env, env.cluster.node_pools[0], None) is admits_unnamed


def test_a_tenant_with_a_dedicated_pool_leaves_the_shared_pools_unless_one_names_it(variant: Environment) -> None:
    default = variant.cluster.node_pools[0]
    assert not admits(variant, default, "team-b") and admits(variant, default, "team-a")
    named = default.model_copy(update={"tenants": ["team-a", "team-b"]})
    assert admits(variant, named, "team-b")


def test_an_empty_list_admits_nobody(variant: Environment) -> None:
    pool = NodePool(name="system", tenants=[])
    assert not admits(variant, pool, "team-a") and not admits(variant, pool, None)


# --- what the nodes carry and where the pods go ---------------------------------------------


def test_a_dedicated_pool_is_tainted_and_labelled_with_its_tenant(variant: Environment) -> None:
    pools = {pool.name: pool for pool in variant.cluster.node_pools}
    assert pool_taints(pools["team-b"]) == (NodeTaint(TENANT_NODE_KEY, "team-b", "NoSchedule"),)
    assert pool_labels(pools["team-b"]) == {TENANT_NODE_KEY: "team-b"}
    assert pool_taints(pools["gpu-l4"]) == (GPU_TAINT,) and pool_labels(pools["gpu-l4"]) == {}
    assert pool_taints(pools["default"]) == ()
    assert TENANT_NODE_KEY == TENANT_LABEL  # the namespace, pod and node label are one key


def test_each_pod_goes_to_its_pools_and_tolerates_exactly_their_taints(variant: Environment) -> None:
    team_a, team_b = (tenant_placement(variant, t) for t in variant.tenants)
    assert (team_a.head.pools, team_a.head.tolerations) == (("default",), ())
    assert (team_a.of("gpu").pools, team_a.of("gpu").tolerations) == (("gpu-l4",), (GPU_TAINT,))
    # team-b's head and CPU workers go to its dedicated pool; its GPU group, naming no pool, to the pool named for it.
    dedicated = NodeTaint(TENANT_NODE_KEY, "team-b", "NoSchedule")
    for pods in (team_b.head, team_b.of("cpu")):
        assert (pods.pools, pods.tolerations, pods.dedicated_to) == (("team-b",), (dedicated,), "team-b")
    assert (team_b.of("h100").pools, team_b.of("h100").tolerations) == (("gpu-h100",), (GPU_TAINT,))
    terms = team_b.head.affinity()["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms == {
        "nodeSelectorTerms": [
            {
                "matchExpressions": [
                    {"key": NODE_POOL_LABEL, "operator": "In", "values": ["team-b"]},
                    {"key": TENANT_NODE_KEY, "operator": "In", "values": ["team-b"]},
                ]
            }
        ]
    }


def test_a_tainted_pool_takes_only_the_groups_that_name_it() -> None:
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"][0]["tenants"] = ["team-a"]
    data["cluster"]["node_pools"].append(
        {"name": "batch", "taints": [{"key": "example.com/batch"}], "tenants": ["team-a"]}
    )
    env = _env(data)
    team_a = env.tenants[0]
    assert tenant_placement(env, team_a).of("cpu").pools == ("default",)
    group = team_a.worker_groups[0].model_copy(update={"node_pool": "batch"})
    named = team_a.model_copy(update={"worker_groups": [group, *team_a.worker_groups[1:]]})
    placed = tenant_placement(env, named).of("cpu")
    assert placed.pools == ("batch",) and [str(t) for t in placed.tolerations] == ["example.com/batch=:NoSchedule"]


def test_autopilot_chooses_no_pool() -> None:
    data = shipped("variants/dev-placement")
    del data["cluster"]["node_pools"]
    data["cluster"]["mode"] = "autopilot"
    for tenant in data["tenants"]:
        for group in tenant["worker_groups"]:
            group.pop("node_pool", None)
    del data["waivers"][_rf003(data)]
    env = _env(data)
    team_a = tenant_placement(env, env.tenants[0])
    assert team_a.head.affinity() is None and team_a.of("gpu").tolerations == (GPU_TAINT,)


# --- refusals, each at its line with what to set --------------------------------------------


def test_a_group_may_name_only_an_existing_pool(tmp_path: Path) -> None:
    data = shipped("variants/dev-placement")
    data["tenants"][0]["worker_groups"][1]["node_pool"] = "gpu-a100"
    message = refused(tmp_path, data)
    line = _line(tmp_path, "node_pool: gpu-a100")
    assert (
        f'line {line}: tenants[0].worker_groups[1].node_pool: "gpu-a100" is not allowed: is not a node pool of this '
        "cluster; allowed: default, gpu-l4, gpu-h100, team-b"
    ) in message


def test_a_group_may_name_only_a_pool_that_admits_its_tenant(tmp_path: Path) -> None:
    data = shipped("variants/dev-placement")
    data["tenants"][1]["worker_groups"][1]["node_pool"] = "gpu-l4"
    message = refused(tmp_path, data)
    line = _line(tmp_path, "node_pool: gpu-l4", after="cost_center: cc-1002")
    assert (
        f'line {line}: tenants[1].worker_groups[1].node_pool: "gpu-l4" is not allowed: does not admit tenant team-b '
        "(it admits: team-a); add team-b to cluster.node_pools[1].tenants and to the tenants of its RF003 waiver, "
        "or choose another pool"
    ) in message


def test_another_tenants_dedicated_pool_is_refused(tmp_path: Path) -> None:
    data = shipped("variants/dev-placement")
    data["tenants"][0]["worker_groups"][0]["node_pool"] = "team-b"
    assert "does not admit tenant team-a (it admits: team-b); it is dedicated to team-b; choose another pool" in (
        refused(tmp_path, data)
    )


@pytest.mark.parametrize(
    ("group", "pool", "expected"),
    [
        (
            1,
            "default",
            "has no GPUs, and group gpu asks for 1 per worker; allowed: a pool with gpu settings that admits team-a "
            "(gpu-l4)",
        ),
        (
            0,
            "gpu-l4",
            "has GPUs, which only workers that ask for them may take (its nodes carry the nvidia.com/gpu taint); set "
            "resources.gpu, or choose a pool without GPUs (default)",
        ),
    ],
)
def test_a_named_pool_must_have_the_groups_gpus_or_none(tmp_path: Path, group: int, pool: str, expected: str) -> None:
    data = shipped("variants/dev-placement")
    data["tenants"][0]["worker_groups"][group]["node_pool"] = pool
    assert expected in refused(tmp_path, data)


def test_a_gpu_group_without_an_admitting_gpu_pool_is_refused(tmp_path: Path) -> None:
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"][2]["tenants"] = []
    message = refused(tmp_path, data)
    assert (
        "tenants[1].worker_groups[1].node_pool: null is not allowed: no GPU node pool takes the workers of group h100 "
        "of tenant team-b (GPU pools: gpu-l4 admits team-a; gpu-h100 admits none); set node_pool to a pool that "
        "admits it, or add team-b to the tenants of a GPU pool (cluster.node_pools[].tenants)"
    ) in message


def test_a_head_without_an_admitting_cpu_pool_is_refused(tmp_path: Path) -> None:
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"][0]["tenants"] = ["team-b"]
    data["cluster"]["node_pools"] = [data["cluster"]["node_pools"][0], *data["cluster"]["node_pools"][1:3]]
    data["tenants"][1]["worker_groups"] = data["tenants"][1]["worker_groups"][1:]
    message = refused(tmp_path, data)
    assert (
        "tenants[0].head: null is not allowed: no CPU node pool takes the head of tenant team-a (CPU pools: default "
        "admits team-b); add team-a to the tenants of a CPU pool (cluster.node_pools[].tenants)"
    ) in message


def test_pool_tenants_must_be_tenants_of_the_environment(tmp_path: Path) -> None:
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"][2]["tenants"] = ["team-b", "team-c"]
    message = refused(tmp_path, data)
    line = _line(tmp_path, "- team-c")
    assert (
        f'line {line}: cluster.node_pools[2].tenants[1]: "team-c" is not allowed: is not a tenant of this '
        "environment; allowed: team-a, team-b" in message
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"tenants": ["team-a", "team-b"]}, "tenants: [<the tenant>] with dedicated: true"),
        ({"tenants": None}, "a dedicated pool belongs to exactly one tenant, found 0"),
        ({"tenants": ["team-b", "team-b"]}, "team-b is repeated; name each tenant once"),
        (
            {"labels": {"rayfort.dev/tenant": "team-a"}},
            "rayfort.dev/tenant is in the rayfort.dev/ namespace rayfort sets itself",
        ),
        ({"taints": [{"key": "rayfort.dev/tenant", "value": "team-a"}]}, "rayfort.dev/ namespace rayfort sets itself"),
    ],
)
def test_a_dedicated_pool_is_made_only_with_dedicated_true(tmp_path: Path, change: dict, expected: str) -> None:
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"][3].update(change)
    assert expected in refused(tmp_path, data)


def test_node_pool_is_refused_in_autopilot_mode(tmp_path: Path) -> None:
    data = shipped("variants/dev-placement")
    del data["cluster"]["node_pools"]
    del data["waivers"][_rf003(data)]
    data["cluster"]["mode"] = "autopilot"
    message = refused(tmp_path, data)
    assert 'tenants[0].worker_groups[1].node_pool: "gpu-l4" is not allowed: is not allowed in autopilot mode' in message


def test_a_cluster_keeps_a_pool_without_taints_for_the_system_pods(tmp_path: Path) -> None:
    """Dedicating the last untainted pool would leave kube-dns, the operator and cert-manager unschedulable."""
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"][0].update({"tenants": ["team-a"], "dedicated": True})
    message = refused(tmp_path, data)
    assert (
        f"line {_line(tmp_path, 'node_pools:')}: cluster.node_pools: "
        '["default", "gpu-l4", "gpu-h100", "team-b"] is not allowed: has no pool without taints '
        "(default: rayfort.dev/tenant=team-a:NoSchedule; gpu-l4: nvidia.com/gpu=present:NoSchedule; gpu-h100: "
        "nvidia.com/gpu=present:NoSchedule; team-b: rayfort.dev/tenant=team-b:NoSchedule); GKE's system pods "
        "(kube-dns), the KubeRay operator and cert-manager tolerate none"
    ) in message
    data["cluster"]["node_pools"].append({"name": "system", "tenants": [], "max_nodes": 1})
    path = tmp_path / "with-system.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    env = load_environment(path)
    assert [t.name for t in env.tenants if admits(env, env.cluster.node_pools[-1], t.name)] == []


@pytest.mark.parametrize(
    ("mutate", "at", "expected"),
    [
        pytest.param(
            lambda d: d["tenants"][0]["worker_groups"][1].update(node_pool="gpu-a100"),
            ("node_pool: gpu-a100", ""),
            'tenants[0].worker_groups[1].node_pool: "gpu-a100" is not allowed: is not a node pool of this cluster; '
            "allowed: default, gpu-l4, gpu-h100, team-b",
            id="unknown pool",
        ),
        pytest.param(
            lambda d: d["tenants"][1]["worker_groups"][1].update(node_pool="gpu-l4"),
            ("node_pool: gpu-l4", "cost_center: cc-1002"),
            'tenants[1].worker_groups[1].node_pool: "gpu-l4" is not allowed: does not admit tenant team-b (it admits: '
            "team-a); add team-b to cluster.node_pools[1].tenants and to the tenants of its RF003 waiver",
            id="tenant not on the pool's list",
        ),
        pytest.param(
            lambda d: d["tenants"][0]["worker_groups"][0].update(node_pool="team-b"),
            ("node_pool: team-b", ""),
            'tenants[0].worker_groups[0].node_pool: "team-b" is not allowed: does not admit tenant team-a (it admits: '
            "team-b); it is dedicated to team-b; choose another pool",
            id="another tenant's dedicated pool",
        ),
        pytest.param(
            lambda d: d["cluster"]["node_pools"][3].update(tenants=["team-b", "team-a"]),
            ("tenants:", "name: team-b"),
            'cluster.node_pools[3].tenants: ["team-b", "team-a"] is not allowed: a dedicated pool belongs to exactly '
            "one tenant, found 2",
            id="dedicated pool of two tenants",
        ),
    ],
)
def test_the_cli_refuses_bad_placement_with_exit_2_at_the_line(
    tmp_path: Path, mutate, at: tuple[str, str], expected: str
) -> None:
    data = shipped("variants/dev-placement")
    mutate(data)
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    outdir = tmp_path / "cdktf.out"
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir)},
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"rayfort: {path} is not a valid rayfort environment"), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"line {_line(tmp_path, *at)}: {expected}" in result.stderr, result.stderr
    assert not outdir.exists()


# --- waivers that name tenants ---------------------------------------------------------------


def test_a_waived_pool_admits_only_tenants_its_waiver_names(tmp_path: Path) -> None:
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"][1]["tenants"] = ["team-a", "team-b"]
    message = refused(tmp_path, data)
    line = _line(tmp_path, "tenants:", after="rule: RF003")
    assert (
        f'line {line}: waivers[{_rf003(data)}].tenants: ["team-a"] is not allowed: does not name team-b, whom '
        "cluster.node_pools[1] (gpu-l4) admits on nodes without confidential computing; the RF003 waiver of a pool "
        "must name every tenant the pool admits: add them here (the review shows the widened waiver), or remove "
        "them from cluster.node_pools[1].tenants"
    ) in message
    data["waivers"][_rf003(data)]["tenants"].append("team-b")
    path = tmp_path / "widened.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    load_environment(path)


def test_the_first_matching_waiver_is_the_one_that_must_name_them(tmp_path: Path) -> None:
    """The rules apply the first waiver whose resource matches; the tenants it names are the ones that count."""
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"][1]["tenants"] = ["team-a", "team-b"]
    broad = {
        "rule": "RF003",
        "resource": "gke/pool-gpu-*/pool",
        "scope": "all",
        "reason": REASON,
        "tenants": ["team-a", "team-b"],
    }
    first = _rf003(data)
    data["waivers"].append(broad)
    assert f"waivers[{first}].tenants" in refused(tmp_path, data)
    data["waivers"].insert(first, data["waivers"].pop())
    path = tmp_path / "first.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    load_environment(path)


def test_an_rf003_waiver_must_name_tenants_and_others_must_not(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"is required for RF003 \(Confidential nodes\): name the tenants"):
        Waiver(rule="RF003", resource="gke/pool-gpu/pool", reason=REASON)
    assert Waiver(rule="RF003", resource="gke/pool-gpu/pool", reason=REASON, tenants=[]).tenants == []
    with pytest.raises(ValueError, match="applies only to waivers of controls that place tenants \\(RF003\\); RF028"):
        Waiver(rule="RF028", resource="exposure/x/backend-config/object", reason=REASON, tenants=["team-a"])
    data = shipped("variants/dev-placement")
    w = _rf003(data)
    del data["waivers"][w]["tenants"]
    message = refused(tmp_path, data)
    assert f"line {_line(tmp_path, 'rule: RF003')}: waivers[{w}].tenants" in message


def test_waiver_tenants_must_be_tenants_of_the_environment(tmp_path: Path) -> None:
    data = shipped("variants/dev-placement")
    w = _rf003(data)
    data["waivers"][w]["tenants"] = ["team-a", "team-z"]
    assert f'waivers[{w}].tenants[1]: "team-z" is not allowed: is not a tenant of this environment' in refused(
        tmp_path, data
    )


def test_the_review_names_a_waiver_that_now_names_more_tenants() -> None:
    from rayfort_tools.review.gate import new_waivers

    waiver = {
        "rule": "RF003",
        "resource": "gke/pool-gpu-l4/pool",
        "scope": "path",
        "reason": REASON,
        "tenants": ["team-a"],
    }
    wider = {**waiver, "tenants": ["team-a", "team-b"]}
    assert new_waivers({"waivers": [waiver]}, {"waivers": [waiver]}) == []
    assert new_waivers({"waivers": [waiver]}, {"waivers": [wider]}) == [
        f"widened: RF003 Confidential nodes at `gke/pool-gpu-l4/pool` now also for tenants team-b: {REASON}"
    ]
    assert new_waivers({"waivers": []}, {"waivers": [waiver]}) == [
        f"added: RF003 Confidential nodes at `gke/pool-gpu-l4/pool` for tenants team-a: {REASON}"
    ]


# --- capacity follows placement ---------------------------------------------------------------


def test_a_pod_is_judged_against_the_nodes_of_its_own_pools(tmp_path: Path) -> None:
    """team-b's workers fit the default pool's nodes too, but they may run only on the dedicated pool."""
    data = shipped("variants/dev-placement")
    data["cluster"]["node_pools"][3]["machine_type"] = "n2d-standard-2"
    data["tenants"][1]["worker_groups"][0]["resources"] = {"cpu": "1", "memory": "6Gi"}
    data["tenants"][1]["head"] = {"cpu": "1", "memory": "4Gi"}
    data["cluster"]["node_pools"][0]["machine_type"] = "n2d-standard-8"
    accepted = copy.deepcopy(data)
    data["tenants"][1]["worker_groups"][0]["resources"] = {"cpu": "2", "memory": "6Gi"}
    message = refused(tmp_path, data)
    assert "a worker of group cpu fits no node of the pools it may run on: team-b (n2d-standard-2: 1.93 CPU" in message
    path = tmp_path / "fits.yaml"
    path.write_text(yaml.safe_dump(accepted, sort_keys=False))
    load_environment(path)


def test_a_quota_is_bounded_by_the_pools_that_admit_the_tenant(variant: Environment) -> None:
    data = shipped("variants/dev-placement")
    data["tenants"][0]["quota"] = {"gpu": 3}
    found = list(quota_within_capacity(_env(data)))
    assert found == [
        (
            "tenant-team-a/resourcequota/object",
            "tenants[0].quota.gpu 3 exceeds what the node pools admitting team-a can hold (2.00 at max_nodes): it "
            "limits nothing",
        )
    ]
    assert list(quota_within_capacity(variant)) == []


def test_the_readme_excerpt_is_the_variant() -> None:
    """Every value the README's node-pool excerpt shows is the judged variant's, so the two cannot drift."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Node pools: where each tenant runs", 1)[1].split("\n## ", 1)[0]
    excerpt = yaml.safe_load(section.split("<!-- environment-excerpt -->\n```yaml\n", 1)[1].split("```", 1)[0])
    data = shipped("variants/dev-placement")

    def contained(part, whole) -> bool:
        if isinstance(part, dict):
            return isinstance(whole, dict) and all(k in whole and contained(v, whole[k]) for k, v in part.items())
        if isinstance(part, list) and part and isinstance(part[0], dict) and "name" in part[0]:
            named = {item.get("name"): item for item in whole}
            return all(contained(item, named.get(item["name"])) for item in part)
        if isinstance(part, list) and part and isinstance(part[0], dict):
            return all(any(contained(item, other) for other in whole) for item in part)
        return part == whole

    assert contained(excerpt, data)
