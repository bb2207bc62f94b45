"""What would run in the cluster, from what we emit: namespaces and representative pods.

network-config-analyzer reasons about pods, but we emit RayClusters and
Deployments. Each is expanded into the pods its controller would create, with
the labels KubeRay or the ReplicaSet controller would give them, and the
namespaces get the ``kubernetes.io/metadata.name`` label the API server adds.
Namespaces and pods we do not emit but policies name (kube-dns, the KubeRay
operator, managed Prometheus collectors) are added as stand-ins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

# Labels KubeRay 1.7 puts on every pod of a RayCluster, besides the template's own.
KUBERAY_POD_LABELS = {"app.kubernetes.io/created-by": "kuberay-operator", "app.kubernetes.io/name": "kuberay"}
HEAD_GROUP = "headgroup"
WORKERS_PER_GROUP = 2
"""Two workers per group, so worker-to-worker flows are exercised."""

STAND_INS: dict[str, list[dict[str, str]]] = {
    "kube-system": [{"k8s-app": "kube-dns"}],
    "kuberay-system": [
        {"app.kubernetes.io/name": "kuberay-operator", "app.kubernetes.io/instance": "kuberay-operator"}
    ],
    "gmp-system": [{"app.kubernetes.io/name": "collector", "app.kubernetes.io/part-of": "gmp"}],
}


def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Namespace with the label the API server always adds."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**(labels or {}), "kubernetes.io/metadata.name": name}},
    }


def _pod(name: str, namespace_name: str, labels: dict[str, str], template: dict[str, Any]) -> dict[str, Any]:
    spec = template.get("spec") or {}
    containers = [
        {"name": c.get("name", "c"), "image": c.get("image", "i"), "ports": c.get("ports", [])}
        for c in spec.get("containers", [])
    ] or [{"name": "c", "image": "i"}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace_name, "labels": labels},
        "spec": {"containers": containers},
    }


def _template_labels(template: dict[str, Any]) -> dict[str, str]:
    return dict((template.get("metadata") or {}).get("labels") or {})


def _ray_cluster_pods(cluster: dict[str, Any]) -> Iterator[dict[str, Any]]:
    name, ns = cluster["metadata"]["name"], cluster["metadata"].get("namespace", "default")
    spec = cluster.get("spec") or {}
    head = (spec.get("headGroupSpec") or {}).get("template") or {}
    labels = {
        **_template_labels(head),
        **KUBERAY_POD_LABELS,
        "ray.io/cluster": name,
        "ray.io/node-type": "head",
        "ray.io/group": HEAD_GROUP,
    }
    yield _pod(f"{name}-head", ns, labels, head)
    for group in spec.get("workerGroupSpecs") or []:
        template = group.get("template") or {}
        labels = {
            **_template_labels(template),
            **KUBERAY_POD_LABELS,
            "ray.io/cluster": name,
            "ray.io/node-type": "worker",
            "ray.io/group": group.get("groupName", ""),
        }
        for index in range(WORKERS_PER_GROUP):
            yield _pod(f"{name}-{group.get('groupName', 'workers')}-{index}", ns, labels, template)


def _workload_pods(workload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    name, ns = workload["metadata"]["name"], workload["metadata"].get("namespace", "default")
    template = (workload.get("spec") or {}).get("template") or {}
    replicas = (workload.get("spec") or {}).get("replicas", 1)
    count = min(replicas if isinstance(replicas, int) else 1, WORKERS_PER_GROUP) or 1
    for index in range(count):
        yield _pod(f"{name}-{index}", ns, _template_labels(template), template)


def cluster_resources(manifests: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Namespaces, representative pods and NetworkPolicies of everything we emit, plus the stand-ins."""
    resources: list[dict[str, Any]] = []
    seen_namespaces: set[str] = set()
    for manifest in manifests:
        kind = manifest.get("kind")
        if kind == "Namespace":
            name = manifest["metadata"]["name"]
            seen_namespaces.add(name)
            resources.append(namespace(name, (manifest.get("metadata") or {}).get("labels")))
        elif kind == "RayCluster":
            resources.extend(_ray_cluster_pods(manifest))
        elif kind in ("Deployment", "StatefulSet"):
            resources.extend(_workload_pods(manifest))
        elif kind == "NetworkPolicy":
            resources.append(manifest)
    for name, pods in STAND_INS.items():
        if name not in seen_namespaces:
            resources.append(namespace(name))
        for index, labels in enumerate(pods):
            resources.append(_pod(f"{name}-stand-in-{index}", name, labels, {}))
    return resources


_LOCAL_REFERENCE = re.compile(r"^\$\{kubernetes_manifest\.(?P<name>[-\w]+)\.manifest(?P<path>(?:\.[-\w]+)+)\}$")


def stack_manifests(tf_json: dict[str, Any]) -> list[dict[str, Any]]:
    """A stack's literal manifests, with references to its own manifests' fields resolved.

    Objects name their namespace through the Namespace object's reference (so
    Terraform creates it first); the value is right there in the same stack.
    """
    bodies = tf_json.get("resource", {}).get("kubernetes_manifest", {})
    literal = {name: body["manifest"] for name, body in bodies.items() if isinstance(body.get("manifest"), dict)}

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: resolve(child) for key, child in value.items()}
        if isinstance(value, list):
            return [resolve(child) for child in value]
        match = _LOCAL_REFERENCE.match(value) if isinstance(value, str) else None
        if match and match.group("name") in literal:
            found: Any = literal[match.group("name")]
            for key in match.group("path").strip(".").split("."):
                found = found.get(key) if isinstance(found, dict) else None
            return value if found is None else found
        return value

    return [resolve(manifest) for manifest in literal.values()]
