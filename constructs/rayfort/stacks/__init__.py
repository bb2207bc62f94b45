"""rayfort's stack compositions: network, audit, mirror (air-gapped), gke, kuberay, tenant-<name> and exposure.

Each is a TerraformStack with its own state, built from typed settings, a
Platform (project, region, environment, labels, state backend) and the typed
refs of the stacks it depends on: NetworkRefs, AuditRefs, MirrorRefs, ClusterRefs,
OperatorRefs, ExposureRefs and TenantRefs, each the ``refs`` of the stack that offers it. An app composes them
(see ``main.py`` and ``stacks/app.py`` in the rayfort repository); an app
calls ``use_lazy_provider_import()`` first to load only the provider modules its
stacks use.
"""

from rayfort._providers import use_lazy_provider_import
from rayfort.stacks.audit import AuditRefs, AuditStack, AuditStackProps
from rayfort.stacks.base import Platform, RayfortStack, workspace_name
from rayfort.stacks.exposure import ExposureRefs, ExposureStack, ExposureStackProps
from rayfort.stacks.gke import ClusterRefs, GkeStack, GkeStackProps
from rayfort.stacks.kuberay import KubeRayStack, KubeRayStackProps, OperatorRefs, OperatorTenant
from rayfort.stacks.mirror import MirrorRefs, MirrorStack
from rayfort.stacks.network import NetworkRefs, NetworkStack, NetworkStackProps
from rayfort.stacks.tenant import TenantRefs, TenantStack

__all__ = [
    "AuditRefs",
    "AuditStack",
    "AuditStackProps",
    "ClusterRefs",
    "ExposureRefs",
    "ExposureStack",
    "ExposureStackProps",
    "GkeStack",
    "GkeStackProps",
    "KubeRayStack",
    "KubeRayStackProps",
    "MirrorRefs",
    "MirrorStack",
    "NetworkRefs",
    "NetworkStack",
    "NetworkStackProps",
    "OperatorRefs",
    "OperatorTenant",
    "Platform",
    "RayfortStack",
    "TenantRefs",
    "TenantStack",
    "use_lazy_provider_import",
    "workspace_name",
]
