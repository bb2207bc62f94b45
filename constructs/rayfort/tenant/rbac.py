"""Access for people: namespace-scoped Roles bound to the team's Google groups, never cluster-admin.

Nothing on namespaces, nor anything cluster-scoped: the admission policies trust the labels and annotations the
platform writes on a tenant's Namespace (``rayfort.tenant.admission``), so its team must not be able to edit it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.k8s.manifest import KubernetesObject

DEVELOPER_ROLE = "ray-developer"
VIEWER_ROLE = "ray-viewer"
_READ = ["get", "list", "watch"]
_WRITE = ["create", "update", "patch", "delete"]
_RAY_KINDS = ["rayclusters", "rayjobs", "rayservices"]
_RAY_STATUS = [f"{kind}/status" for kind in _RAY_KINDS]
# What a team needs to see why its cluster is (not) running; Secrets are deliberately absent.
_CORE_READ = ["pods", "pods/log", "services", "events", "configmaps"]
_LABELS = {"app.kubernetes.io/managed-by": "rayfort"}


@dataclass(frozen=True)
class TenantRbacProps:
    """Inputs of TenantRbac."""

    namespace: str
    """The tenant namespace; a reference, so the objects wait for it."""
    project_id: str
    """Project of the cluster, where the credentials grant is made."""
    connect_role: str
    """The role that lets a member fetch cluster credentials and nothing inside (ClusterRefs.connect_role)."""
    developers: tuple[str, ...]
    """Google groups (emails) that manage Ray clusters and jobs in the namespace."""
    viewers: tuple[str, ...] = ()
    """Google groups (emails) that only read the namespace; none by default."""
    developer_secrets: tuple[str, ...] = ()
    """Secrets developers may read by name (the Ray auth token, to submit jobs); no Secret otherwise."""


def developer_role(namespace: str, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
    """Manage RayClusters, RayJobs and RayServices; read their pods, logs, services, events and named secrets."""
    rules = [
        {"apiGroups": ["ray.io"], "resources": _RAY_KINDS, "verbs": _READ + _WRITE},
        {"apiGroups": ["ray.io"], "resources": _RAY_STATUS, "verbs": ["get"]},
        {"apiGroups": [""], "resources": _CORE_READ, "verbs": _READ},
    ]
    if secrets:
        rules.append({"apiGroups": [""], "resources": ["secrets"], "resourceNames": list(secrets), "verbs": ["get"]})
    return _role(namespace, DEVELOPER_ROLE, rules)


def viewer_role(namespace: str) -> dict[str, Any]:
    """Read the Ray resources and their pods, logs, services and events."""
    return _role(
        namespace,
        VIEWER_ROLE,
        [
            {"apiGroups": ["ray.io"], "resources": _RAY_KINDS + _RAY_STATUS, "verbs": _READ},
            {"apiGroups": [""], "resources": _CORE_READ, "verbs": _READ},
        ],
    )


def group_binding(namespace: str, role: str, groups: tuple[str, ...]) -> dict[str, Any]:
    """Bind a Role to Google groups; GKE resolves them through Google Groups for RBAC."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": role, "namespace": namespace, "labels": _LABELS},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in groups],
    }


def tenant_rbac_objects(props: TenantRbacProps) -> list[dict[str, Any]]:
    """The Roles and the RoleBindings of the groups the environment names, in a stable order."""
    objects = [
        developer_role(props.namespace, props.developer_secrets),
        group_binding(props.namespace, DEVELOPER_ROLE, props.developers),
    ]
    if props.viewers:
        objects += [viewer_role(props.namespace), group_binding(props.namespace, VIEWER_ROLE, props.viewers)]
    return objects


def _role(namespace: str, name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace, "labels": _LABELS},
        "rules": rules,
    }


class TenantRbac(Construct):
    """Namespace Roles for the team's groups, and the one project-level grant they need to connect."""

    def __init__(self, scope: Construct, construct_id: str, props: TenantRbacProps) -> None:
        super().__init__(scope, construct_id)
        for obj in tenant_rbac_objects(props):
            KubernetesObject(self, f"{obj['kind'].lower()}-{obj['metadata']['name']}", obj)
        # A project-level grant, as GKE has no per-cluster IAM: the connect role only lets `gcloud container
        # clusters get-credentials` (and the DNS endpoint's IAM check) pass; what members may do inside is
        # decided by the Roles above. The ids keep their old name: the binding moved off clusterViewer.
        for group in sorted(set(props.developers) | set(props.viewers)):
            google.ProjectIamMember(
                self,
                f"cluster-viewer-{group_id_part(group)}",
                project=props.project_id,
                role=props.connect_role,
                member=f"group:{group}",
            )


def group_id_part(email: str) -> str:
    """A group email as a construct id fragment (Terraform names allow no '@' or '.')."""
    return re.sub(r"[^a-z0-9]+", "-", email.lower())
