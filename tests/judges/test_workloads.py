"""The pods KubeRay derives from what we emit, built as KubeRay v1.7.0 builds them, and what they must pass.

The GCS fault-tolerance cleanup pod (``buildRedisCleanupJob``, raycluster_controller.go) is created by
the operator when a cluster is deleted, long after any judge ran: it must pass Pod Security restricted
and fit the tenant's LimitRange and quota, or the Job is refused and the cluster's data stays in Redis.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from rayfort.config.quantity import quantity
from rayfort.k8s.pod_security import check_pod_spec
from rayfort.tenant.namespace import TENANT_LABEL
from rayfort_tools.judges.k8s_schema import validate_manifest
from rayfort_tools.judges.workloads import (
    admitted_workloads,
    kuberay_labels,
    kuberay_pods,
    ray_cluster_pods,
    stack_manifests,
)
from tests.conftest import SHIPPED


def _manifests(synthesized, env: str) -> list[dict]:
    return [m for tf in synthesized[env].values() for m in stack_manifests(tf)]


def _of(manifests: list[dict], kind: str) -> list[dict]:
    return [m for m in manifests if m.get("kind") == kind]


def _node_type(pod: dict) -> str | None:
    return pod["metadata"]["labels"].get("ray.io/node-type")


def _cleanup_cases(synthesized):
    for env in SHIPPED:
        manifests = _manifests(synthesized, env)
        for cluster in _of(manifests, "RayCluster"):
            pods = ray_cluster_pods(cluster)
            head = next(p for p in pods if _node_type(p) == "head")
            cleanup = [p for p in pods if _node_type(p) == "redis-cleanup"]
            yield env, manifests, cluster, head, cleanup


def test_every_cluster_we_emit_gets_a_cleanup_pod_built_from_its_head(synthesized) -> None:
    cases = list(_cleanup_cases(synthesized))
    assert {env for env, *_ in cases} == set(SHIPPED)
    for env, _, cluster, head, cleanup in cases:
        assert len(cleanup) == 1, (env, cluster["metadata"]["name"])
        pod = cleanup[0]
        labels = pod["metadata"]["labels"]
        # The head's labels, the tenant's included, relabelled; the Job controller's on top.
        assert {k: v for k, v in labels.items() if k in head["metadata"]["labels"]} == {
            **head["metadata"]["labels"],
            "ray.io/node-type": "redis-cleanup",
        }
        assert labels[TENANT_LABEL] == cluster["metadata"]["namespace"]
        assert labels["batch.kubernetes.io/job-name"] == f"{cluster['metadata']['name']}-redis-cleanup"
        # Only the Ray container, without probes, with KubeRay's fixed resources; our TLS init container stays.
        (ray,) = pod["spec"]["containers"]
        assert ray["name"] == head["spec"]["containers"][0]["name"]
        assert "livenessProbe" not in ray and "readinessProbe" not in ray
        fixed = {"cpu": "200m", "memory": "256Mi"}
        assert ray["resources"] == {"limits": fixed, "requests": fixed}
        assert pod["spec"]["initContainers"] == head["spec"].get("initContainers")
        assert pod["spec"]["restartPolicy"] == "Never"
        # The head's TLS and auth settings, and its Redis CA, come with the copy.
        head_env = {e["name"] for e in head["spec"]["containers"][0]["env"]}
        assert head_env <= {e["name"] for e in ray["env"]}
        assert ray["volumeMounts"] == head["spec"]["containers"][0]["volumeMounts"]


def test_the_cleanup_pod_passes_pod_security_restricted(synthesized) -> None:
    for env, _, cluster, _, (cleanup,) in _cleanup_cases(synthesized):
        assert check_pod_spec(cleanup["spec"], metadata=cleanup["metadata"]) == [], (env, cluster["metadata"]["name"])


def _requests(pod: dict, resource: str) -> Decimal:
    return sum(quantity(c["resources"]["requests"][resource]) for c in pod["spec"]["containers"])


def test_the_cleanup_pod_fits_the_tenants_limit_range_and_quota(synthesized) -> None:
    """KubeRay starts the Job only once the head pod is gone, so it takes the head's place in the quota."""
    for env, manifests, cluster, head, (cleanup,) in _cleanup_cases(synthesized):
        ns = cluster["metadata"]["namespace"]
        (limits,) = [m for m in _of(manifests, "LimitRange") if m["metadata"]["namespace"] == ns]
        (quota,) = [m for m in _of(manifests, "ResourceQuota") if m["metadata"]["namespace"] == ns]
        (ray,) = cleanup["spec"]["containers"]
        for item in limits["spec"]["limits"]:
            assert item["type"] == "Container"
            for resource, amount in ray["resources"]["limits"].items():
                assert quantity(amount) <= quantity(item.get("max", {}).get(resource, amount)), (env, item)
                assert quantity(amount) >= quantity(item.get("min", {}).get(resource, "0")), (env, item)
        for resource in ("cpu", "memory"):
            # The head (with its autoscaler) fit the quota beside the workers; the cleanup pod asks for less.
            assert _requests(cleanup, resource) <= _requests(head, resource), (env, resource)
            assert _requests(cleanup, resource) <= quantity(quota["spec"]["hard"][f"requests.{resource}"])
        assert int(quota["spec"]["hard"]["pods"]) >= 1


def test_the_autoscaler_gets_the_tls_settings_and_a_mount_of_the_heads_leaf(synthesized) -> None:
    """KubeRay builds the sidecar's environment itself and merges only autoscalerOptions env and mounts."""
    seen = set()
    for env in SHIPPED:
        for cluster in _of(_manifests(synthesized, env), "RayCluster"):
            head = next(p for p in ray_cluster_pods(cluster) if _node_type(p) == "head")
            ray, autoscaler = head["spec"]["containers"]
            assert autoscaler["name"] == "autoscaler"
            env_of = {e["name"]: e.get("value") for e in autoscaler["env"]}
            ray_env = {e["name"]: e.get("value") for e in ray["env"]}
            assert env_of["RAY_USE_TLS"] == ray_env.get("RAY_USE_TLS", "1") == "1"
            for name in ("RAY_TLS_SERVER_CERT", "RAY_TLS_SERVER_KEY", "RAY_TLS_CA_CERT"):
                path = env_of[name]
                mount = next(m for m in autoscaler["volumeMounts"] if path.startswith(m["mountPath"] + "/"))
                assert mount["readOnly"] is True
                # Shipped tenants use cert-manager's CA: the leaf volume is ours, in the head's template.
                assert mount["name"] in {v["name"] for v in head["spec"]["volumes"]}
            assert env_of["RAY_AUTH_MODE"] == "token"
            assert check_pod_spec(head["spec"], metadata=head["metadata"]) == []
            seen.add(env)
    assert seen == set(SHIPPED)


def test_what_a_team_may_create_is_two_rayjobs_per_cluster_valid_against_kuberays_crd(synthesized) -> None:
    manifests = _manifests(synthesized, "dev")
    jobs = admitted_workloads(manifests)
    clusters = _of(manifests, "RayCluster")
    assert len(jobs) == 2 * len(clusters) == 4
    for job in jobs:
        assert validate_manifest(job) == [], job["metadata"]["name"]
    pods = list(kuberay_pods(jobs))
    submitters = [p for p in pods if "ray.io/originated-from-crd" in p["metadata"]["labels"]]
    assert len(submitters) == len(jobs)
    for pod in submitters:
        labels = pod["metadata"]["labels"]
        assert labels["ray.io/originated-from-crd"] == "RayJob"
        assert labels["app.kubernetes.io/created-by"] == "kuberay-operator"
        assert labels[TENANT_LABEL] == pod["metadata"]["namespace"]
        assert "ray.io/node-type" not in labels
        assert check_pod_spec(pod["spec"], metadata=pod["metadata"]) == []
    # The jobs with their own cluster make a second cluster per tenant; the tenant's Redis is not theirs.
    own = {p["metadata"]["labels"]["ray.io/cluster"] for p in pods if _node_type(p) == "head"}
    assert own == {f"{c['metadata']['name']}-pi-own-cluster-q2w4z" for c in clusters}
    assert not any(_node_type(p) == "redis-cleanup" for p in pods)


def test_a_template_cannot_override_kuberays_node_type_group_or_cluster() -> None:
    template = {
        "metadata": {"labels": {"ray.io/node-type": "worker", "ray.io/cluster": "x", "ray.io/group": "g", "a": "b"}}
    }
    labels = kuberay_labels("c", "head", "headgroup", template)
    assert (
        labels["ray.io/node-type"] == "head"
        and labels["ray.io/cluster"] == "c"
        and labels["ray.io/group"] == "headgroup"
    )
    assert labels["a"] == "b" and labels["ray.io/identifier"] == "c-head" and labels["ray.io/is-ray-node"] == "yes"


@pytest.mark.parametrize(
    ("change", "cleaned"),
    [
        (lambda c: None, True),
        (lambda c: c["spec"]["gcsFaultToleranceOptions"].update(backend="rocksdb"), False),
        (lambda c: c["spec"].pop("gcsFaultToleranceOptions"), False),
        (
            lambda c: (
                c["spec"].pop("gcsFaultToleranceOptions"),
                c["metadata"].update(annotations={"ray.io/ft-enabled": "true"}),
            ),
            True,
        ),
    ],
    ids=["redis", "embedded-rocksdb", "no-fault-tolerance", "annotation"],
)
def test_a_cleanup_pod_only_where_kuberay_runs_the_job(synthesized, change, cleaned: bool) -> None:
    cluster = copy.deepcopy(_of(_manifests(synthesized, "dev"), "RayCluster")[0])
    change(cluster)
    assert any(_node_type(p) == "redis-cleanup" for p in ray_cluster_pods(cluster)) is cleaned
