"""What would run in the cluster, from what we emit: namespaces and the pods controllers would make.

network-config-analyzer reasons about pods, but we emit RayClusters and
Deployments. Each is expanded into the pods its controller would create, with
the labels KubeRay or the ReplicaSet controller would give them, and the
namespaces get the ``kubernetes.io/metadata.name`` label the API server adds.
Namespaces and pods we do not emit but policies name (kube-dns, the KubeRay
operator, managed Prometheus collectors) are added as stand-ins.

KubeRay's pods are built the way KubeRay v1.7.0 builds them (cited per
function; ``ray-operator/controllers/ray/`` in ray-project/kuberay): labels,
the containers it adds or keeps, and their resources. What KubeRay injects
that no judge reads (the Ray start command, FQ_RAY_IP, the GCS fault-tolerance
environment) is left out. Besides what we emit, ``admitted_workloads`` adds
what a team may create itself in its namespace, so that it is judged too.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from typing import Any

from rayfort.tenant.namespace import TENANT_LABEL

HEAD_GROUP = "headgroup"
WORKERS_PER_GROUP = 2
"""Two workers per group, so worker-to-worker flows are exercised."""
KUBERAY = "kuberay-operator"
# labelPod (common/pod.go): KubeRay's labels, under the template's own, except these three.
_FIXED_LABELS = ("ray.io/node-type", "ray.io/group", "ray.io/cluster")
RAY_CONTAINER = 0
"""utils.RayContainerIndex: the Ray container comes first."""
REDIS_CLEANUP_RESOURCES = {"cpu": "200m", "memory": "256Mi"}
"""buildRedisCleanupJob (raycluster_controller.go): fixed requests and limits of the cleanup container."""
# GetDefaultSubmitterContainer (common/job.go): the submitter container when a RayJob gives no template.
DEFAULT_SUBMITTER_RESOURCES = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "200Mi"}}
# BuildAutoscalerContainer (common/pod.go): the sidecar's own limits, before autoscalerOptions.resources.
AUTOSCALER_RESOURCES = {"cpu": "500m", "memory": "512Mi"}
# utils.RayTLSVolumeName / RayTLSCertMountPath and SetContainerTLSConfig (common/pod.go), with tlsOptions.
KUBERAY_TLS_DIR = "/etc/ray/tls"
# KubeRay (utils.GenerateRayClusterName) and the Job controller end the names they make in five random characters.
GENERATED_SUFFIX = "q2w4z"
JOB_POD_SUFFIX = "j5n7p"

STAND_INS: dict[str, list[dict[str, str]]] = {
    "kube-system": [{"k8s-app": "kube-dns"}],
    "kuberay-system": [{"app.kubernetes.io/name": KUBERAY, "app.kubernetes.io/instance": KUBERAY}],
    "gmp-system": [{"app.kubernetes.io/name": "collector", "app.kubernetes.io/part-of": "gmp"}],
}


def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Namespace with the label the API server always adds."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**(labels or {}), "kubernetes.io/metadata.name": name}},
    }


def _pod(name: str, namespace_name: str, labels: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace_name, "labels": labels},
        "spec": spec,
    }


def _for_analysis(pod: dict[str, Any]) -> dict[str, Any]:
    """The pod as network-config-analyzer needs it: labels, and containers with their ports."""
    containers = [
        {"name": c.get("name", "c"), "image": c.get("image", "i"), "ports": c.get("ports", [])}
        for c in pod["spec"].get("containers", [])
    ] or [{"name": "c", "image": "i"}]
    return {**pod, "spec": {"containers": containers}}


def _template_labels(template: dict[str, Any]) -> dict[str, str]:
    return dict((template.get("metadata") or {}).get("labels") or {})


def _namespace_of(obj: dict[str, Any]) -> str:
    return obj["metadata"].get("namespace", "default")


def _check_label(value: str) -> str:
    """utils.CheckLabel: at most 63 characters (the end is kept), no leading punctuation."""
    value = value[-63:]
    return "r" + value[1:] if not value[0].isalnum() else value


def kuberay_labels(cluster: str, node_type: str, group: str, template: dict[str, Any]) -> dict[str, str]:
    """labelPod (common/pod.go): KubeRay's pod labels, the template's over them except node type, group, cluster."""
    labels = {
        "ray.io/is-ray-node": "yes",
        "ray.io/cluster": cluster,
        "ray.io/node-type": node_type,
        "ray.io/group": group,
        "ray.io/identifier": _check_label(f"{cluster}-{node_type}"),
        "app.kubernetes.io/name": "kuberay",
        "app.kubernetes.io/created-by": KUBERAY,
    }
    labels.update({k: v for k, v in _template_labels(template).items() if k not in _FIXED_LABELS})
    return labels


def _token_env(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    """SetContainerTokenAuthEnvVars (common/pod.go): the token from the Secret KubeRay generates."""
    auth = (cluster.get("spec") or {}).get("authOptions") or {}
    if auth.get("mode") != "token":
        return []
    secret = auth.get("secretName") or _check_label(cluster["metadata"]["name"])
    return [
        {"name": "RAY_AUTH_MODE", "value": "token"},
        {"name": "RAY_AUTH_TOKEN", "valueFrom": {"secretKeyRef": {"name": secret, "key": "auth_token"}}},
    ]


def autoscaler_container(cluster: dict[str, Any]) -> dict[str, Any]:
    """The in-tree autoscaler sidecar as DefaultHeadPodTemplate (common/pod.go) adds it to the head.

    BuildAutoscalerContainer's own environment, the token (with ``authOptions``), KubeRay's TLS
    settings (only with ``tlsOptions``), then ``mergeAutoscalerOverrides``: env and volumeMounts
    appended, resources, image, pull policy and securityContext replaced. Nothing comes from the
    Ray container.
    """
    spec = cluster.get("spec") or {}
    head = ((spec.get("headGroupSpec") or {}).get("template") or {}).get("spec") or {}
    start = "ray kuberay-autoscaler --cluster-name $(RAY_CLUSTER_NAME) --cluster-namespace $(RAY_CLUSTER_NAMESPACE)"
    env: list[dict[str, Any]] = [
        {"name": "RAY_CLUSTER_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['ray.io/cluster']"}}},
        {"name": "RAY_CLUSTER_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "RAY_HEAD_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "KUBERAY_CRD_VER", "value": "v1"},
        {"name": "KUBERAY_GEN_AUTOSCALER_START_CMD", "value": start},
        *_token_env(cluster),
    ]
    mounts: list[dict[str, Any]] = []
    if (spec.get("tlsOptions") or {}).get("enabled"):
        env += [
            {"name": "RAY_USE_TLS", "value": "1"},
            {"name": "RAY_TLS_SERVER_CERT", "value": f"{KUBERAY_TLS_DIR}/tls.crt"},
            {"name": "RAY_TLS_SERVER_KEY", "value": f"{KUBERAY_TLS_DIR}/tls.key"},
            {"name": "RAY_TLS_CA_CERT", "value": f"{KUBERAY_TLS_DIR}/ca.crt"},
        ]
        mounts.append({"name": "ray-tls", "mountPath": KUBERAY_TLS_DIR, "readOnly": True})
    container: dict[str, Any] = {
        "name": "autoscaler",
        "image": (head.get("containers") or [{}])[RAY_CONTAINER].get("image", ""),
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/bash", "-c", "--"],  # utils.GetContainerCommand, login shell off
        "args": [start],
        "resources": {"limits": dict(AUTOSCALER_RESOURCES), "requests": dict(AUTOSCALER_RESOURCES)},
    }
    options = spec.get("autoscalerOptions") or {}
    env += options.get("env") or []
    mounts += options.get("volumeMounts") or []
    for field in ("resources", "image", "imagePullPolicy", "securityContext"):
        if field in options:
            container[field] = copy.deepcopy(options[field])
    container["env"] = env
    if mounts:
        container["volumeMounts"] = mounts
    return container


def ray_cluster_pods(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    """The head, two workers per group and, with GCS fault tolerance, the Redis cleanup Job's pod."""
    name, ns = cluster["metadata"]["name"], _namespace_of(cluster)
    spec = cluster.get("spec") or {}
    head_template = (spec.get("headGroupSpec") or {}).get("template") or {}
    head_spec = copy.deepcopy(head_template.get("spec") or {})
    if spec.get("enableInTreeAutoscaling"):
        head_spec["containers"] = [*head_spec.get("containers", []), autoscaler_container(cluster)]
    head = _pod(f"{name}-head", ns, kuberay_labels(name, "head", HEAD_GROUP, head_template), head_spec)
    pods = [head]
    for group in spec.get("workerGroupSpecs") or []:
        template = group.get("template") or {}
        group_name = group.get("groupName", "workers")
        labels = kuberay_labels(name, "worker", group_name, template)
        for index in range(WORKERS_PER_GROUP):
            pods.append(
                _pod(f"{name}-{group_name}-worker-{index}", ns, labels, copy.deepcopy(template.get("spec") or {}))
            )
    if _redis_cleanup(cluster):
        pods.append(redis_cleanup_pod(cluster, head))
    return pods


def _redis_cleanup(cluster: dict[str, Any]) -> bool:
    """IsGCSFaultToleranceEnabled and not IsGCSFaultToleranceEmbedded (utils/util.go); the operator's cleanup is on."""
    spec = cluster.get("spec") or {}
    options = spec.get("gcsFaultToleranceOptions")
    annotated = str((cluster["metadata"].get("annotations") or {}).get("ray.io/ft-enabled", "")).lower() == "true"
    return (options is not None or annotated) and (options or {}).get("backend", "redis") != "rocksdb"


def redis_cleanup_pod(cluster: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    """buildRedisCleanupJob (raycluster_controller.go): the head pod, relabelled, with its Ray container only.

    Node type ``redis-cleanup``; KubeRay's ``wait-for-tls-ip-san`` init container dropped (ours stay);
    no probes; fixed 200m/256Mi requests and limits; never restarted. The Job controller adds its labels.
    """
    job = _check_label(f"{cluster['metadata']['name']}-redis-cleanup")
    spec = copy.deepcopy(head["spec"])
    ray = spec["containers"][RAY_CONTAINER]
    ray["command"] = ["/bin/bash", "-c", "--"]
    ray["args"] = ["python -c '<cleanup_redis_storage of the cluster's storage namespace>'"]
    for probe in ("livenessProbe", "readinessProbe"):
        ray.pop(probe, None)
    ray["env"] = [
        *(ray.get("env") or []),
        {"name": "RAY_redis_db_connect_retries", "value": "120"},
        {"name": "RAY_redis_db_connect_wait_milliseconds", "value": "500"},
    ]
    ray["resources"] = {"limits": dict(REDIS_CLEANUP_RESOURCES), "requests": dict(REDIS_CLEANUP_RESOURCES)}
    spec["containers"] = [ray]
    inits = [c for c in spec.get("initContainers") or [] if c.get("name") != "wait-for-tls-ip-san"]
    if inits:
        spec["initContainers"] = inits
    else:
        spec.pop("initContainers", None)
    spec["restartPolicy"] = "Never"
    labels = {**head["metadata"]["labels"], "ray.io/node-type": "redis-cleanup", **_job_labels(job)}
    return _pod(f"{job}-{JOB_POD_SUFFIX}", head["metadata"]["namespace"], labels, spec)


def _job_labels(job: str) -> dict[str, str]:
    """What the Job controller adds to its pods' labels (the uid stands in for a real one)."""
    uid = "00000000-0000-0000-0000-000000000000"
    return {
        "batch.kubernetes.io/job-name": job,
        "job-name": job,
        "batch.kubernetes.io/controller-uid": uid,
        "controller-uid": uid,
    }


def ray_job_cluster(job: dict[str, Any]) -> str | None:
    """The cluster a RayJob runs on: its clusterSelector's, or the one KubeRay makes for it (initRayJobStatusIfNeed)."""
    spec = job.get("spec") or {}
    selected = (spec.get("clusterSelector") or {}).get("ray.io/cluster")
    if selected:
        return selected
    return f"{job['metadata']['name']}-{GENERATED_SUFFIX}" if spec.get("rayClusterSpec") else None


def has_submitter_pod(job: dict[str, Any]) -> bool:
    """K8sJobMode (the default) runs a submitter Job; HTTPMode, InteractiveMode and SidecarMode run no pod of it."""
    return ((job.get("spec") or {}).get("submissionMode") or "K8sJobMode") == "K8sJobMode"


def ray_job_pods(job: dict[str, Any]) -> list[dict[str, Any]]:
    """A RayJob's own cluster (constructRayClusterForRayJob, rayjob_controller.go) and its submitter pod."""
    name, ns = job["metadata"]["name"], _namespace_of(job)
    spec = job.get("spec") or {}
    pods: list[dict[str, Any]] = []
    cluster_spec = spec.get("rayClusterSpec")
    if cluster_spec and not spec.get("clusterSelector"):
        labels = {
            **(job["metadata"].get("labels") or {}),
            "ray.io/originated-from-cr-name": name,
            "ray.io/originated-from-crd": "RayJob",
        }
        cluster = {
            "metadata": {"name": ray_job_cluster(job), "namespace": ns, "labels": labels},
            "spec": copy.deepcopy(cluster_spec),
        }
        pods += ray_cluster_pods(cluster)
    if has_submitter_pod(job):
        pods.append(submitter_pod(job, cluster_spec))
    return pods


def submitter_pod(job: dict[str, Any], cluster_spec: dict[str, Any] | None) -> dict[str, Any]:
    """getSubmitterTemplate (rayjob_controller.go): the RayJob's template, or GetDefaultSubmitterContainer's.

    KubeRay adds three labels to the template's own, the Job controller its own; the token env comes
    with a token-authenticated cluster.
    """
    name, ns = job["metadata"]["name"], _namespace_of(job)
    template = copy.deepcopy((job.get("spec") or {}).get("submitterPodTemplate") or {})
    spec = template.get("spec") or {}
    if not spec.get("containers"):
        head = (((cluster_spec or {}).get("headGroupSpec") or {}).get("template") or {}).get("spec") or {}
        image = (head.get("containers") or [{}])[RAY_CONTAINER].get("image", "")
        spec = {
            "containers": [
                {"name": "ray-job-submitter", "image": image, "resources": copy.deepcopy(DEFAULT_SUBMITTER_RESOURCES)}
            ],
            "restartPolicy": "Never",
        }
    labels = {
        **_template_labels(template),
        "ray.io/originated-from-cr-name": name,
        "ray.io/originated-from-crd": "RayJob",
        "app.kubernetes.io/created-by": KUBERAY,
        **_job_labels(name),
    }
    return _pod(f"{name}-{JOB_POD_SUFFIX}", ns, labels, spec)


def admitted_workloads(manifests: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a team may create beside each RayCluster we emit, as its admission policies let it.

    Two RayJobs per cluster: one on the platform's cluster (``clusterSelector``) and one with a
    cluster of its own, whose spec is the platform's (it must carry the platform's auth, TLS,
    images and the tenant label to be admitted) without GCS fault tolerance. Both in KubeRay's
    K8sJobMode, the one mode with a submitter pod (HTTPMode, the README's default, has none).
    Each submitter carries the tenant label and Pod Security restricted, as admission requires.
    """
    jobs = []
    for cluster in manifests:
        if cluster.get("kind") != "RayCluster":
            continue
        name, ns = cluster["metadata"]["name"], _namespace_of(cluster)
        spec = cluster.get("spec") or {}
        head = (spec.get("headGroupSpec") or {}).get("template") or {}
        tenant = _template_labels(head).get(TENANT_LABEL)
        if tenant is None:
            continue
        head_spec = head.get("spec") or {}
        ray = (head_spec.get("containers") or [{}])[RAY_CONTAINER]
        submitter = {
            "metadata": {"labels": {TENANT_LABEL: tenant}},
            "spec": {
                "securityContext": copy.deepcopy(head_spec.get("securityContext") or {}),
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "ray-job-submitter",
                        "image": ray.get("image", ""),
                        "securityContext": copy.deepcopy(ray.get("securityContext") or {}),
                        "resources": copy.deepcopy(DEFAULT_SUBMITTER_RESOURCES),
                    }
                ],
            },
        }
        # A team's own cluster keeps the platform's spec but its GCS fault tolerance: the tenant's
        # Memorystore is the platform cluster's (the README's "What teams can do themselves").
        own = {key: copy.deepcopy(value) for key, value in spec.items() if key != "gcsFaultToleranceOptions"}
        for job_name, placement in (
            (f"{name}-pi", {"clusterSelector": {"ray.io/cluster": name}}),
            (f"{name}-pi-own-cluster", {"rayClusterSpec": own}),
        ):
            jobs.append(
                {
                    "apiVersion": "ray.io/v1",
                    "kind": "RayJob",
                    "metadata": {"name": job_name, "namespace": ns, "labels": {TENANT_LABEL: tenant}},
                    "spec": {
                        "entrypoint": "python pi_job.py",
                        **placement,
                        "submitterPodTemplate": copy.deepcopy(submitter),
                    },
                }
            )
    return jobs


def kuberay_pods(manifests: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every pod KubeRay would make from the RayClusters and RayJobs among ``manifests``, full specs."""
    for manifest in manifests:
        if manifest.get("kind") == "RayCluster":
            yield from ray_cluster_pods(manifest)
        elif manifest.get("kind") == "RayJob":
            yield from ray_job_pods(manifest)


def _workload_pods(workload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    name, ns = workload["metadata"]["name"], _namespace_of(workload)
    template = (workload.get("spec") or {}).get("template") or {}
    replicas = (workload.get("spec") or {}).get("replicas", 1)
    count = min(replicas if isinstance(replicas, int) else 1, WORKERS_PER_GROUP) or 1
    for index in range(count):
        yield _pod(f"{name}-{index}", ns, _template_labels(template), copy.deepcopy(template.get("spec") or {}))


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
        elif kind in ("RayCluster", "RayJob"):
            resources.extend(_for_analysis(pod) for pod in kuberay_pods([manifest]))
        elif kind in ("Deployment", "StatefulSet"):
            resources.extend(_for_analysis(pod) for pod in _workload_pods(manifest))
        elif kind == "NetworkPolicy":
            resources.append(manifest)
    for name, pods in STAND_INS.items():
        if name not in seen_namespaces:
            resources.append(namespace(name))
        for index, labels in enumerate(pods):
            resources.append(
                _pod(f"{name}-stand-in-{index}", name, labels, {"containers": [{"name": "c", "image": "i"}]})
            )
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
