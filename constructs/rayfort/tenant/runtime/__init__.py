"""A tenant's Ray runtime: a RayCluster for KubeRay, or Deployments without an operator.

The tenant stack hands ``RayRuntimeInputs`` (``inputs``) to ``ray_runtime_objects``, the
dispatcher on top; ``kuberay`` and ``plain`` build the two runtimes from the pod templates
(``pods``) and Ray's TLS (``tls``), which build on the inputs alone.
"""

from __future__ import annotations

from typing import Any

from rayfort.tenant.runtime.inputs import RayRuntimeInputs
from rayfort.tenant.runtime.kuberay import kuberay_runtime_objects
from rayfort.tenant.runtime.plain import plain_runtime_objects

__all__ = ["RayRuntimeInputs", "ray_runtime_objects"]


def ray_runtime_objects(inputs: RayRuntimeInputs) -> list[dict[str, Any]]:
    """Every Kubernetes object of the tenant's Ray runtime, in a stable order."""
    if inputs.tenant.ray_runtime == "plain":
        return plain_runtime_objects(inputs)
    return kuberay_runtime_objects(inputs)
