"""The tenant's Ray cluster as a KubeRay ``RayCluster`` (``ray.io/v1``).

The operator adds what it owns: the autoscaler sidecar (from ``autoscalerOptions``), the
``wait-gcs-ready`` init container, the token environment (from ``authOptions``; it also
generates the token Secret, so the token is never in Terraform state), the GCS fault-tolerance
wiring, the namespaced Role and RoleBinding that let the autoscaler (running as the head's
service account) patch the cluster and, with ``tls: kuberay``, the certificates.
"""

from __future__ import annotations

from typing import Any

from rayfort.config.tenant import WorkerGroup
from rayfort.tenant.runtime.inputs import REDIS_PASSWORD_KEY, RayRuntimeInputs
from rayfort.tenant.runtime.pods import (
    HEAD_GROUP,
    autoscaler_api_access,
    autoscaler_options,
    base_env,
    common_labels,
    pod_monitoring,
    pod_spec,
    ray_container,
    ray_start_params,
    redis_ca_config_map,
    redis_ca_volume,
    template_labels,
)
from rayfort.tenant.runtime.tls import RayTls, ray_tls


def kuberay_auth_secret_name(name: str) -> str:
    """The Secret (key ``auth_token``) KubeRay generates for a RayCluster without ``authOptions.secretName``.

    KubeRay keeps the last 50 characters of longer names and swaps a leading digit or '-' for 'r'.
    """
    kept = name[-50:]
    return kept if kept[0].isalpha() else "r" + kept[1:]


def ray_cluster(inputs: RayRuntimeInputs, tls: RayTls | None = None) -> dict[str, Any]:
    """The RayCluster: token auth, TLS, GCS fault tolerance on Memorystore, in-tree autoscaling."""
    tenant = inputs.tenant
    tls = tls or ray_tls(inputs)
    _, api_mount = autoscaler_api_access()
    spec: dict[str, Any] = {
        "rayVersion": tenant.ray_version,
        "enableInTreeAutoscaling": True,
        # The sidecar reaches the head's GCS over the same mutual TLS, with the head's own leaf, and
        # is the only container of the head that mounts the API token.
        "autoscalerOptions": autoscaler_options(tls.env, [*tls.volume_mounts, api_mount]),
        "authOptions": {"mode": "token" if tenant.token_auth else "disabled"},
        "gcsFaultToleranceOptions": {
            "redisAddress": f"rediss://{inputs.redis_address}",
            "redisPassword": {
                "valueFrom": {"secretKeyRef": {"name": inputs.redis_password_secret, "key": REDIS_PASSWORD_KEY}}
            },
        },
        **tls.cluster_options,
        "headGroupSpec": _head_group(inputs, tls),
        "workerGroupSpecs": [_worker_group(inputs, group, tls) for group in tenant.worker_groups],
    }
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": inputs.name, "namespace": inputs.target_namespace, "labels": common_labels(inputs.name)},
        "spec": spec,
    }


def kuberay_runtime_objects(inputs: RayRuntimeInputs) -> list[dict[str, Any]]:
    """Every object of a KubeRay runtime; all namespaced."""
    tls = ray_tls(inputs)
    return [redis_ca_config_map(inputs), *tls.objects, ray_cluster(inputs, tls), pod_monitoring(inputs)]


def _head_group(inputs: RayRuntimeInputs, tls: RayTls) -> dict[str, Any]:
    ca_volume, ca_mount = redis_ca_volume(inputs.name)
    container = ray_container(
        inputs,
        "head",
        inputs.tenant.head,
        env=base_env(inputs, "head") + tls.env,
        volume_mounts=[ca_mount, *tls.volume_mounts],
    )
    # No automounted token: the autoscaler sidecar alone mounts the head's (autoscaler_api_access).
    api_volume, _ = autoscaler_api_access()
    spec = pod_spec(
        inputs,
        "head",
        [container],
        group=None,
        init_containers=tls.init_containers("head"),
        volumes=[ca_volume, *tls.volumes, api_volume],
    )
    return {
        "serviceType": "ClusterIP",
        "rayStartParams": ray_start_params(inputs.tenant, "head"),
        "template": {"metadata": {"labels": template_labels(inputs, "head", HEAD_GROUP)}, "spec": spec},
    }


def _worker_group(inputs: RayRuntimeInputs, group: WorkerGroup, tls: RayTls) -> dict[str, Any]:
    container = ray_container(
        inputs,
        "worker",
        group.resources,
        env=base_env(inputs, "worker") + tls.env,
        volume_mounts=list(tls.volume_mounts),
    )
    spec = pod_spec(
        inputs,
        "worker",
        [container],
        group=group,
        init_containers=tls.init_containers("worker"),
        volumes=tls.volumes,
    )
    return {
        "groupName": group.name,
        "replicas": group.min_replicas,
        "minReplicas": group.min_replicas,
        "maxReplicas": group.max_replicas,
        "rayStartParams": ray_start_params(inputs.tenant, "worker"),
        "template": {"metadata": {"labels": template_labels(inputs, "worker", group.name)}, "spec": spec},
    }
