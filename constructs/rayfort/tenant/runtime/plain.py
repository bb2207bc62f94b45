"""The tenant's Ray cluster as plain Deployments and a Service, for namespaces without KubeRay.

Same pods as the RayCluster (security contexts, probes, labels, pinned ports, TLS), but
nothing is added behind our back, so this module does what the operator would: it starts Ray,
wires token auth and GCS fault tolerance. There is no autoscaler: each worker group runs at
``max_replicas``, the size the namespace quota is made for. Every object is namespaced.
"""

from __future__ import annotations

import shlex
from typing import Any

from rayfort.config.tenant import RAY_FIXED_PORTS, WorkerGroup
from rayfort.tenant.runtime.inputs import REDIS_PASSWORD_KEY, RayRuntimeInputs, auth_token_secret_id
from rayfort.tenant.runtime.pods import (
    AUTH_TOKEN_DIR,
    HEAD_GROUP,
    NodeType,
    base_env,
    common_labels,
    head_service_name,
    pod_labels,
    pod_monitoring,
    pod_spec,
    ray_container,
    ray_start_params,
    redis_ca_config_map,
    redis_ca_volume,
    resource_params,
    secret_provider_class,
    secret_store_volume,
    template_labels,
)
from rayfort.tenant.runtime.tls import RayTls, ray_tls

# How long a worker keeps retrying the GCS while the head restarts; its state is safe in Redis.
_WORKER_GCS_RECONNECT_SECONDS = "600"


def auth_provider_class_name(name: str) -> str:
    """SecretProviderClass mounting the Ray auth token from Secret Manager."""
    return f"{name}-ray-auth"


def plain_runtime_objects(inputs: RayRuntimeInputs) -> list[dict[str, Any]]:
    """Every object of an operatorless runtime, in a stable order."""
    tls = ray_tls(inputs)
    objects: list[dict[str, Any]] = [redis_ca_config_map(inputs), *tls.objects]
    if inputs.tenant.token_auth:
        token = [(auth_token_secret_id(inputs.tenant), "token")]
        objects.append(secret_provider_class(inputs, auth_provider_class_name(inputs.name), token))
    objects += [head_service(inputs), head_deployment(inputs, tls)]
    objects += [worker_deployment(inputs, group, tls) for group in inputs.tenant.worker_groups]
    objects.append(pod_monitoring(inputs))
    return objects


def head_service(inputs: RayRuntimeInputs) -> dict[str, Any]:
    """The head Service, named and shaped like KubeRay's so exposure and policies treat both alike."""
    names = {"gcs-server": "gcs", "dashboard": "dashboard", "client": "client", "metrics": "metrics"}
    if inputs.tenant.serve:
        names["serve"] = "serve"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": head_service_name(inputs.name),
            "namespace": inputs.target_namespace,
            "labels": common_labels(inputs.name),
        },
        "spec": {
            "type": "ClusterIP",
            "selector": pod_labels(inputs.name, "head", HEAD_GROUP),
            "ports": [
                {"name": name, "port": RAY_FIXED_PORTS[key], "targetPort": name, "protocol": "TCP"}
                for name, key in names.items()
            ],
        },
    }


def head_deployment(inputs: RayRuntimeInputs, tls: RayTls | None = None) -> dict[str, Any]:
    """One head; Recreate, so two heads never share the GCS state in Redis."""
    tls = tls or ray_tls(inputs)
    ca_volume, ca_mount = redis_ca_volume(inputs.name)
    env = (
        base_env(inputs, "head")
        + _auth_env(inputs)
        + tls.env
        + [
            {"name": "RAY_REDIS_ADDRESS", "value": f"rediss://{inputs.redis_address}"},
            {
                "name": "REDIS_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": inputs.redis_password_secret, "key": REDIS_PASSWORD_KEY}},
            },
            {"name": "RAY_external_storage_namespace", "value": inputs.name},
        ]
    )
    params = {**ray_start_params(inputs.tenant, "head"), **resource_params(inputs.tenant.head)}
    command = _ray_start(["--head"], params, ['--redis-password="$REDIS_PASSWORD"'])
    mounts = [ca_mount, *_auth_mounts(inputs), *tls.volume_mounts]
    container = ray_container(inputs, "head", inputs.tenant.head, env=env, volume_mounts=mounts, command=command)
    spec = pod_spec(
        inputs,
        "head",
        [container],
        group=None,
        init_containers=tls.init_containers("head"),
        volumes=[ca_volume, *_auth_volumes(inputs), *tls.volumes],
    )
    return _deployment(inputs, f"{inputs.name}-head", "head", HEAD_GROUP, 1, spec, {"type": "Recreate"})


def worker_deployment(inputs: RayRuntimeInputs, group: WorkerGroup, tls: RayTls | None = None) -> dict[str, Any]:
    """One worker group, at its maximum size."""
    tls = tls or ray_tls(inputs)
    env = (
        base_env(inputs, "worker")
        + _auth_env(inputs)
        + tls.env
        + [
            {"name": "RAY_gcs_rpc_server_reconnect_timeout_s", "value": _WORKER_GCS_RECONNECT_SECONDS},
        ]
    )
    gcs = f"{head_service_name(inputs.name)}:{RAY_FIXED_PORTS['gcs']}"
    params = {**ray_start_params(inputs.tenant, "worker"), **resource_params(group.resources)}
    command = _ray_start([f"--address={gcs}"], params, [])
    container = ray_container(
        inputs,
        "worker",
        group.resources,
        env=env,
        volume_mounts=[*_auth_mounts(inputs), *tls.volume_mounts],
        command=command,
    )
    spec = pod_spec(
        inputs,
        "worker",
        [container],
        group=group,
        init_containers=tls.init_containers("worker"),
        volumes=[*_auth_volumes(inputs), *tls.volumes],
    )
    return _deployment(
        inputs,
        f"{inputs.name}-worker-{group.name}",
        "worker",
        group.name,
        group.max_replicas,
        spec,
        {"type": "RollingUpdate"},
    )


def _deployment(
    inputs: RayRuntimeInputs,
    name: str,
    node_type: NodeType,
    group: str,
    replicas: int,
    spec: dict[str, Any],
    strategy: dict[str, Any],
) -> dict[str, Any]:
    # The selector keeps KubeRay's labels only: a Deployment's selector cannot change once created.
    selector = pod_labels(inputs.name, node_type, group)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": inputs.target_namespace, "labels": common_labels(inputs.name)},
        "spec": {
            "replicas": replicas,
            "strategy": strategy,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": template_labels(inputs, node_type, group)}, "spec": spec},
        },
    }


def _ray_start(first: list[str], params: dict[str, str], raw: list[str]) -> list[str]:
    """``ray start`` in the foreground; ``raw`` arguments are left for the shell to expand."""
    args = [*first, *(f"--{key}={shlex.quote(value)}" for key, value in sorted(params.items())), *raw]
    return ["bash", "-c", "exec ray start --block " + " ".join(args)]


def _auth_env(inputs: RayRuntimeInputs) -> list[dict[str, Any]]:
    if not inputs.tenant.token_auth:
        return []
    return [
        {"name": "RAY_AUTH_MODE", "value": "token"},
        {"name": "RAY_AUTH_TOKEN_PATH", "value": f"{AUTH_TOKEN_DIR}/token"},
    ]


def _auth_mounts(inputs: RayRuntimeInputs) -> list[dict[str, Any]]:
    if not inputs.tenant.token_auth:
        return []
    return [{"name": "ray-auth", "mountPath": AUTH_TOKEN_DIR, "readOnly": True}]


def _auth_volumes(inputs: RayRuntimeInputs) -> list[dict[str, Any]]:
    if not inputs.tenant.token_auth:
        return []
    return [secret_store_volume("ray-auth", auth_provider_class_name(inputs.name))]
