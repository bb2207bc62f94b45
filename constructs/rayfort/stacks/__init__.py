"""rayfort's stack compositions: network, gke, kuberay, tenant-<name> and exposure.

Each is a TerraformStack with its own state, built from the construct library
and wired to the stacks it depends on through references. An app composes them
(see ``main.py`` and ``stacks/app.py`` in the rayfort repository).
"""

from rayfort.stacks.base import RayfortStack, workspace_name
from rayfort.stacks.exposure import ExposureStack
from rayfort.stacks.gke import GkeStack
from rayfort.stacks.kuberay import KubeRayStack
from rayfort.stacks.network import NetworkStack
from rayfort.stacks.tenant import TenantStack

__all__ = [
    "ExposureStack",
    "GkeStack",
    "KubeRayStack",
    "NetworkStack",
    "RayfortStack",
    "TenantStack",
    "workspace_name",
]
