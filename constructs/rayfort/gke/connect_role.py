"""The one Google permission people need to reach the cluster: a custom role instead of clusterViewer.

Kubernetes RBAC decides what a team's members may do inside the cluster (``tenant.rbac``); IAM only has
to let them fetch its endpoint and credentials (``gcloud container clusters get-credentials``:
``container.clusters.get``) and, through the DNS-based endpoint, pass its IAM check
(``container.clusters.connect``). GKE has no per-cluster IAM policy, so the grant is on the project;
the predefined ``roles/container.clusterViewer`` would also list every cluster of the project and
carries whatever Google adds to it later. This role holds exactly those permissions and no more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rayfort._cdk import Construct
from rayfort._providers import google

ControlPlaneAccess = Literal["internal_ip", "dns_endpoint", "connect_gateway"]


def connect_permissions(access: ControlPlaneAccess) -> list[str]:
    """The permissions a person needs to reach the control plane the way the environment exposes it.

    ``container.clusters.get`` returns the endpoint and CA that get-credentials writes into the
    kubeconfig; the DNS-based endpoint also checks ``container.clusters.connect`` on every request.
    Connect Gateway needs its own roles (``roles/gkehub.gatewayReader`` and friends), granted where
    the fleet membership is, not here.
    """
    permissions = ["container.clusters.get"]
    if access == "dns_endpoint":
        permissions.append("container.clusters.connect")
    return sorted(permissions)


def connect_role_id(cluster: str) -> str:
    """The role id (letters, digits, ``_`` and ``.``): one per cluster, so two clusters in a project never share one."""
    return "rayfortConnect_" + re.sub(r"[^A-Za-z0-9]", "_", cluster)


@dataclass(frozen=True)
class ClusterConnectRoleProps:
    """Inputs of ClusterConnectRole."""

    project_id: str
    """The cluster's project, where the role is defined and granted."""
    cluster: str
    """The cluster's name, part of the role id and title."""
    access: ControlPlaneAccess
    """How people reach the control plane; decides whether ``container.clusters.connect`` is needed."""


class ClusterConnectRole(Construct):
    """A project custom role with only what fetching the cluster's credentials needs.

    A deleted custom role keeps its id for 37 days (IAM's soft delete); the provider undeletes and
    updates it when the same cluster name is deployed again within that time.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ClusterConnectRoleProps) -> None:
        super().__init__(scope, construct_id)
        self.role = google.ProjectIamCustomRole(
            self,
            "role",
            project=props.project_id,
            role_id=connect_role_id(props.cluster),
            title=f"rayfort: connect to {props.cluster}"[:100],
            description="Fetch the cluster's endpoint and credentials; Kubernetes RBAC decides the rest.",
            permissions=connect_permissions(props.access),
            stage="GA",
        )
        self.name: str = self.role.name
        """``projects/<project>/roles/<id>``, the role a grant names."""
