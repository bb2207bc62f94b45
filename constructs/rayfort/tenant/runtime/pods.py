"""What every Ray pod of a tenant shares, whichever runtime creates it.

Both runtimes build their containers here, so a RayCluster and the
operatorless Deployments get the same security contexts, probes, pinned
ports, identity and environment, and the network policies can rely on them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from rayfort.config.placement import PodPlacement, sandboxed
from rayfort.config.quantity import quantity
from rayfort.config.tenant import (
    AUTOSCALER_RESOURCES,
    RAY_FIXED_PORTS,
    RAY_INTERNAL_PORTS,
    Resources,
    TenantSettings,
    WorkerGroup,
)
from rayfort.tenant.namespace import TENANT_LABEL
from rayfort.tenant.runtime.inputs import RayRuntimeInputs

NodeType = Literal["head", "worker"]

RAY_PINNED_PORTS: dict[str, int] = {**RAY_FIXED_PORTS, **RAY_INTERNAL_PORTS}
"""Every port a Ray pod listens on, besides the tenant's worker range; none is left to chance.

Which way each flows, within one tenant's cluster:

* to the head only: ``gcs`` (raylets, workers and drivers of every node), ``client`` (Ray Client
  users), ``dashboard`` (job submission, the KubeRay operator from ``kuberay-system``, the load
  balancers of the exposure stack);
* between every pair of nodes, head and workers alike, both ways, worker to worker included:
  ``node_manager``, ``object_manager`` (object transfer), ``dashboard_agent_grpc`` and
  ``dashboard_agent`` (the head's dashboard calls each node's agent), the worker port range
  (direct calls between tasks and actors), and ``serve`` when Serve is on (proxies on every node);
* ``metrics`` from Managed Service for Prometheus collectors (namespace ``gmp-system``) to every pod;
* the head's autoscaler sidecar (RayCluster only) to the Kubernetes API server;
* ``runtime_env_agent`` only within a pod (the raylet calls its local agent); pinned so it can't
  land inside the worker range.
"""

HEAD_GROUP = "headgroup"
"""The ``ray.io/group`` label of the head, as KubeRay sets it."""
TLS_DIR = "/etc/ray/tls"
REDIS_CA_DIR = "/etc/ray/redis-ca"
AUTH_TOKEN_DIR = "/etc/ray/auth"
RAY_UID = 1000
"""The ``ray`` user of the rayproject/ray images."""
RAY_GID = 100
"""The ``users`` group of the rayproject/ray images."""
PROBE_PERIOD_SECONDS = 5
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
"""Where Kubernetes clients (Ray's autoscaler among them) read the API token and CA."""
AUTOSCALER_API_VOLUME = "autoscaler-api-access"
AUTOSCALER_TOKEN_SECONDS = 3600
"""The kubelet renews a projected token at 80% of its life; Ray's autoscaler re-reads the file every minute."""
SECRETS_STORE_DRIVER = "secrets-store-gke.csi.k8s.io"
"""The GKE Secret Manager add-on's CSI driver."""
_GPU = "nvidia.com/gpu"


def head_service_name(name: str) -> str:
    """The head Service, named as KubeRay names it, in both runtimes."""
    return f"{name}-head-svc"


def head_selector(name: str) -> dict[str, str]:
    """Labels that select a cluster's head pod in either runtime (KubeRay's, which plain pods carry too)."""
    return {"ray.io/cluster": name, "ray.io/node-type": "head"}


def pod_labels(name: str, node_type: NodeType, group: str) -> dict[str, str]:
    """KubeRay's own pod labels; operatorless pods carry them too so policies select both alike."""
    return {"ray.io/cluster": name, "ray.io/node-type": node_type, "ray.io/group": group}


def template_labels(inputs: RayRuntimeInputs, node_type: NodeType, group: str) -> dict[str, str]:
    """A Ray pod template's labels: KubeRay's, and the tenant label the network policies select by."""
    return {**pod_labels(inputs.name, node_type, group), TENANT_LABEL: inputs.tenant.name}


def container_security_context() -> dict[str, Any]:
    """Pod Security restricted, spelled out per container: non-root, no escalation, no capabilities."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "runAsNonRoot": True,
        "runAsUser": RAY_UID,
        "runAsGroup": RAY_GID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security_context() -> dict[str, Any]:
    """Pod defaults that back up the container contexts; fsGroup lets Ray read mounted secrets."""
    return {
        "runAsNonRoot": True,
        "runAsUser": RAY_UID,
        "runAsGroup": RAY_GID,
        "fsGroup": RAY_GID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resource_requirements(resources: Resources) -> dict[str, Any]:
    """Requests equal to limits (Guaranteed QoS), so one tenant's pod can't squeeze a neighbour."""
    amounts: dict[str, Any] = {"cpu": resources.cpu, "memory": resources.memory}
    if resources.gpu:
        amounts[_GPU] = resources.gpu
    return {"requests": dict(amounts), "limits": dict(amounts)}


def autoscaler_options(
    env: Sequence[dict[str, Any]] = (), volume_mounts: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """The autoscaler sidecar inherits nothing from the Ray container, so it gets its own limits and context.

    KubeRay v1.7 builds the sidecar with an environment of its own and merges only
    ``autoscalerOptions`` into it (``BuildAutoscalerContainer`` and ``mergeAutoscalerOverrides`` in
    ray-operator/controllers/ray/common/pod.go): whatever the sidecar needs to reach a TLS head
    (``env``, ``volume_mounts``) must be given here, or it cannot speak to the GCS.
    """
    options: dict[str, Any] = {
        "upscalingMode": "Default",
        "idleTimeoutSeconds": 60,
        "imagePullPolicy": "IfNotPresent",
        "resources": resource_requirements(AUTOSCALER_RESOURCES),
        "securityContext": container_security_context(),
    }
    if env:
        options["env"] = list(env)
    if volume_mounts:
        options["volumeMounts"] = list(volume_mounts)
    return options


def autoscaler_api_access() -> tuple[dict[str, Any], dict[str, Any]]:
    """(volume, mount) of the head's API credentials, for the autoscaler sidecar alone.

    The head pod does not automount its service account token, so the Ray container, where job
    drivers and dashboard users run code, has no Kubernetes credential. The sidecar gets the same
    three files automounting would give it (token, cluster CA, namespace) at the path Ray's autoscaler
    reads (``load_k8s_secrets`` in ray/autoscaler/_private/kuberay/node_provider.py), through
    ``autoscalerOptions.volumeMounts``, which KubeRay v1.7 appends to the sidecar only
    (``mergeAutoscalerOverrides``); KubeRay leaves the pod's ``automountServiceAccountToken`` as given.
    """
    volume = {
        "name": AUTOSCALER_API_VOLUME,
        "projected": {
            "defaultMode": 0o440,
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": AUTOSCALER_TOKEN_SECONDS}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}},
            ],
        },
    }
    return volume, {"name": AUTOSCALER_API_VOLUME, "mountPath": SERVICE_ACCOUNT_DIR, "readOnly": True}


def ray_start_params(tenant: TenantSettings, node_type: NodeType) -> dict[str, str]:
    """``ray start`` flags that pin every port, so network policies can name them."""
    params: dict[str, int | str] = {
        "node-manager-port": RAY_INTERNAL_PORTS["node_manager"],
        "object-manager-port": RAY_INTERNAL_PORTS["object_manager"],
        "runtime-env-agent-port": RAY_INTERNAL_PORTS["runtime_env_agent"],
        "dashboard-agent-grpc-port": RAY_INTERNAL_PORTS["dashboard_agent_grpc"],
        "dashboard-agent-listen-port": RAY_FIXED_PORTS["dashboard_agent"],
        "metrics-export-port": RAY_FIXED_PORTS["metrics"],
        "min-worker-port": tenant.worker_ports.min,
        "max-worker-port": tenant.worker_ports.max,
    }
    if node_type == "head":
        params.update(
            {
                "port": RAY_FIXED_PORTS["gcs"],
                "dashboard-host": "0.0.0.0",
                "dashboard-port": RAY_FIXED_PORTS["dashboard"],
                "ray-client-server-port": RAY_FIXED_PORTS["client"],
            }
        )
    return {key: str(value) for key, value in sorted(params.items())}


def resource_params(resources: Resources) -> dict[str, str]:
    """What Ray should advertise, from the limits, as KubeRay derives it (CPU rounded up)."""
    params = {"num-cpus": str(math.ceil(quantity(resources.cpu))), "memory": str(int(quantity(resources.memory)))}
    if resources.gpu:
        params["num-gpus"] = str(resources.gpu)
    return params


def container_ports(tenant: TenantSettings, node_type: NodeType) -> list[dict[str, Any]]:
    """Named ports the Services and the PodMonitoring refer to."""
    names = ["gcs-server", "dashboard", "client"] if node_type == "head" else []
    keys = {"gcs-server": "gcs", "dashboard": "dashboard", "client": "client", "metrics": "metrics", "serve": "serve"}
    names.append("metrics")
    if tenant.serve:
        names.append("serve")
    return [{"name": name, "containerPort": RAY_FIXED_PORTS[keys[name]], "protocol": "TCP"} for name in names]


def _health_command(port: int, path: str) -> str:
    # Sent with the token, so the probe holds whether or not Ray exempts health paths from token auth;
    # it runs inside the container against localhost, so no network policy is in its way.
    auth = '--header "Authorization: Bearer ${RAY_AUTH_TOKEN:-$(cat "${RAY_AUTH_TOKEN_PATH:-/dev/null}")}" '
    return f"wget -T 2 -q -O- {auth}http://localhost:{port}/{path} | grep success"


def probes(node_type: NodeType) -> dict[str, Any]:
    """Readiness and liveness: the raylet everywhere, plus the GCS on the head (KubeRay's own checks)."""
    checks = [_health_command(RAY_FIXED_PORTS["dashboard_agent"], "api/local_raylet_healthz")]
    if node_type == "head":
        checks.append(_health_command(RAY_FIXED_PORTS["dashboard"], "api/gcs_healthz"))
    command = {"exec": {"command": ["bash", "-c", " && ".join(checks)]}}
    return {
        "readinessProbe": {
            **command,
            "initialDelaySeconds": 10,
            "periodSeconds": PROBE_PERIOD_SECONDS,
            "timeoutSeconds": 2,
            "failureThreshold": 10,
            "successThreshold": 1,
        },
        "livenessProbe": {
            **command,
            "initialDelaySeconds": 30,
            "periodSeconds": PROBE_PERIOD_SECONDS,
            "timeoutSeconds": 2,
            "failureThreshold": 120,
            "successThreshold": 1,
        },
    }


def base_env(inputs: RayRuntimeInputs, node_type: NodeType) -> list[dict[str, Any]]:
    """Environment both runtimes set: the artifact bucket, logs to stderr, the Redis CA for the head's GCS."""
    env = [
        {"name": "RAYFORT_ARTIFACT_BUCKET", "value": inputs.gcs_bucket},
        # Ray's own logs go to stderr, where GKE's WORKLOADS logging ships them to Cloud Logging.
        {"name": "RAY_LOG_TO_STDERR", "value": "1"},
    ]
    if node_type == "head":
        env.append({"name": "RAY_REDIS_CA_CERT", "value": f"{REDIS_CA_DIR}/ca.crt"})
    return env


def redis_ca_config_map_name(name: str) -> str:
    """ConfigMap holding the Memorystore server CA (public, so not a Secret)."""
    return f"{name}-redis-ca"


def redis_ca_config_map(inputs: RayRuntimeInputs) -> dict[str, Any]:
    """The server CA the head checks Memorystore's certificate against (``rediss://``)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": redis_ca_config_map_name(inputs.name),
            "namespace": inputs.target_namespace,
            "labels": common_labels(inputs.name),
        },
        "data": {"ca.crt": inputs.redis_ca_cert},
    }


def redis_ca_volume(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(volume, mount) of the Redis server CA."""
    volume = {"name": "redis-ca", "configMap": {"name": redis_ca_config_map_name(name), "defaultMode": 0o444}}
    return volume, {"name": "redis-ca", "mountPath": REDIS_CA_DIR, "readOnly": True}


def secret_provider_class(inputs: RayRuntimeInputs, name: str, secrets: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Secret Manager secrets (id, file name) mounted by the GKE add-on with the pod's Workload Identity.

    The value never passes through Terraform: a person adds a version to the secret; pods read the latest.
    """
    listed = "".join(
        f'- resourceName: "projects/{inputs.project_id}/secrets/{secret_id}/versions/latest"\n  path: "{path}"\n'
        for secret_id, path in secrets
    )
    return {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {"name": name, "namespace": inputs.target_namespace, "labels": common_labels(inputs.name)},
        "spec": {"provider": "gke", "parameters": {"secrets": listed}},
    }


def secret_store_volume(volume_name: str, provider_class: str) -> dict[str, Any]:
    """A read-only CSI volume of a SecretProviderClass."""
    return {
        "name": volume_name,
        "csi": {
            "driver": SECRETS_STORE_DRIVER,
            "readOnly": True,
            "volumeAttributes": {"secretProviderClass": provider_class},
        },
    }


def common_labels(name: str) -> dict[str, str]:
    """Labels of every runtime object that is not a pod."""
    return {"app.kubernetes.io/part-of": "rayfort", "app.kubernetes.io/managed-by": "rayfort", "ray.io/cluster": name}


def placement(inputs: RayRuntimeInputs, group: WorkerGroup | None) -> PodPlacement:
    """Where the head (no group) or a group's workers run: the environment's placement, if the stack gave one."""
    if inputs.placement is not None:
        return inputs.placement.of(group.name if group is not None else None)
    gpu = bool((group.resources if group is not None else inputs.tenant.head).gpu)
    return PodPlacement.unplaced(gpu, sandboxed(inputs.tenant, group))


def pod_spec(
    inputs: RayRuntimeInputs,
    node_type: NodeType,
    containers: list[dict[str, Any]],
    *,
    group: WorkerGroup | None,
    init_containers: Sequence[dict[str, Any]] = (),
    volumes: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A Ray pod: its own service account, Workload Identity nodes only, kept to the node pools that admit it.

    The head's is the head pod (no group); a worker's names its group. The required node affinity, the
    tolerations and GKE Sandbox (``runtimeClassName: gvisor`` and the sandbox nodes' label) come from
    ``config.placement``: exactly the pools and taints the tenant may use.
    """
    account = inputs.head_service_account if node_type == "head" else inputs.worker_service_account
    where = placement(inputs, group)
    spec: dict[str, Any] = {
        "serviceAccountName": account,
        # No Ray container holds Kubernetes credentials: the autoscaler sidecar alone mounts the head's token.
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "nodeSelector": {"iam.gke.io/gke-metadata-server-enabled": "true", **where.node_selector()},
        "securityContext": pod_security_context(),
        "terminationGracePeriodSeconds": 60,
        "containers": containers,
    }
    if where.runtime_class is not None:
        spec["runtimeClassName"] = where.runtime_class
    if init_containers:
        spec["initContainers"] = list(init_containers)
    if volumes:
        spec["volumes"] = list(volumes)
    affinity = where.affinity()
    if affinity is not None:
        spec["affinity"] = affinity
    if where.tolerations:
        spec["tolerations"] = [taint.toleration() for taint in where.tolerations]
    return spec


def ray_container(
    inputs: RayRuntimeInputs,
    node_type: NodeType,
    resources: Resources,
    *,
    env: list[dict[str, Any]],
    volume_mounts: list[dict[str, Any]],
    command: list[str] | None = None,
) -> dict[str, Any]:
    """The Ray container: pinned image, restricted context, equal requests and limits, probes, logs to stdout."""
    container: dict[str, Any] = {
        "name": "ray-head" if node_type == "head" else "ray-worker",
        "image": inputs.image,
        "imagePullPolicy": "IfNotPresent",
        "securityContext": container_security_context(),
        "resources": resource_requirements(resources),
        "ports": container_ports(inputs.tenant, node_type),
        "env": env,
        **probes(node_type),
    }
    if command is not None:
        container["command"] = command
    if volume_mounts:
        container["volumeMounts"] = volume_mounts
    return container


def pod_monitoring(inputs: RayRuntimeInputs) -> dict[str, Any]:
    """Managed Service for Prometheus scrapes every Ray pod of the tenant on the metrics port."""
    return {
        "apiVersion": "monitoring.googleapis.com/v1",
        "kind": "PodMonitoring",
        "metadata": {
            "name": f"{inputs.name}-ray",
            "namespace": inputs.target_namespace,
            "labels": common_labels(inputs.name),
        },
        "spec": {
            "selector": {"matchLabels": {"ray.io/cluster": inputs.name}},
            "endpoints": [{"port": "metrics", "interval": "30s"}],
        },
    }
