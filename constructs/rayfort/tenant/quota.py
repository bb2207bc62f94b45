"""Quota and default limits, so one tenant cannot starve the others on the shared cluster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort.config.tenant import TenantQuota, TenantSettings

GPU = "nvidia.com/gpu"
_LABELS = {"app.kubernetes.io/managed-by": "rayfort"}


@dataclass(frozen=True)
class ContainerDefaults:
    """What a container without requests or limits gets; small, so a forgotten one stays cheap."""

    cpu_request: str = "250m"
    """Default CPU request."""
    memory_request: str = "512Mi"
    """Default memory request."""
    cpu_limit: str = "1"
    """Default CPU limit."""
    memory_limit: str = "2Gi"
    """Default memory limit."""


def resource_quota(namespace: str, quota: TenantQuota, load_balancers: int = 0) -> dict[str, Any]:
    """Caps on CPU, memory, GPUs and pods, and no LoadBalancer Service unless one is granted."""
    hard = {
        "requests.cpu": quota.cpu,
        "limits.cpu": quota.cpu,
        "requests.memory": quota.memory,
        "limits.memory": quota.memory,
        f"requests.{GPU}": str(quota.gpu),
        "pods": str(quota.pods),
        "services.loadbalancers": str(load_balancers),
    }
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "tenant-quota", "namespace": namespace, "labels": _LABELS},
        "spec": {"hard": hard},
    }


def limit_range(namespace: str, defaults: ContainerDefaults = ContainerDefaults()) -> dict[str, Any]:
    """Defaults for containers that state no resources, which the quota would otherwise reject."""
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "container-defaults", "namespace": namespace, "labels": _LABELS},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "defaultRequest": {"cpu": defaults.cpu_request, "memory": defaults.memory_request},
                    "default": {"cpu": defaults.cpu_limit, "memory": defaults.memory_limit},
                }
            ]
        },
    }


def tenant_quota_objects(namespace: str, tenant: TenantSettings) -> list[dict[str, Any]]:
    """The tenant's ResourceQuota and LimitRange; one LoadBalancer only for an internal load balancer."""
    load_balancers = 1 if tenant.exposure.internal.enabled else 0
    return [resource_quota(namespace, tenant.quota, load_balancers), limit_range(namespace)]
