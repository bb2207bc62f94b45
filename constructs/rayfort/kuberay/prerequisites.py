"""What a cluster admin provides before a platform team deploys with ``kuberay.install: namespaced``.

The namespaced mode exists for platform teams that are not cluster-admin: with
it, rayfort's stacks may apply no cluster-scoped object except the ones listed
here, each of which a cluster admin applies once, or lets the platform team
create. The deployability judge fails any other cluster-scoped object, whether
a stack applies it directly or a Helm release renders it. The README's
"namespaced" section documents this list; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class ClusterAdminPrerequisite:
    """Cluster-scoped objects of one kind, by name pattern, and what the cluster admin does about them."""

    api_group: str
    """API group of the kind ("" for the core group)."""
    kind: str
    names: str
    """Shell-style pattern of the objects' names."""
    provided_by: str
    """What the cluster admin does, in one sentence (the README repeats it)."""

    def matches(self, api_version: str, kind: str, name: str) -> bool:
        group = api_version.rpartition("/")[0]
        return group == self.api_group and kind == self.kind and fnmatchcase(name, self.names)


CLUSTER_ADMIN_PREREQUISITES: tuple[ClusterAdminPrerequisite, ...] = (
    ClusterAdminPrerequisite(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "*.ray.io",
        "applies the KubeRay CRDs once per KubeRay version (with kuberay.manage_crds: false)",
    ),
    ClusterAdminPrerequisite(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "*.cert-manager.io",
        "installs cert-manager (the pinned chart, with its CRDs, ClusterRoles and webhooks) when a tenant's TLS "
        "needs it (tls: cert-manager or kuberay); the kuberay stack installs it only in the other modes",
    ),
    ClusterAdminPrerequisite(
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicy",
        "rayfort-*",
        "applies rayfort's tenant admission policies (make admission-policies)",
    ),
    ClusterAdminPrerequisite(
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
        "rayfort-*",
        "applies rayfort's tenant admission policies (make admission-policies)",
    ),
    ClusterAdminPrerequisite(
        "",
        "Namespace",
        "*",
        "lets the platform team create namespaces (a ClusterRole with create on namespaces, bound to the deployer)",
    ),
)


def is_cluster_admin_prerequisite(api_version: str, kind: str, name: str) -> bool:
    """Whether a cluster-scoped object is one the namespaced mode lets a cluster admin provide."""
    return any(item.matches(api_version, kind, name) for item in CLUSTER_ADMIN_PREREQUISITES)
