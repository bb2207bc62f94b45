"""The dedicated Google service account of the cluster's nodes."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.iam import Principal

# The one predefined role GKE documents for node service accounts; nothing broader.
NODE_ROLE = "roles/container.defaultNodeServiceAccount"


@dataclass(frozen=True)
class NodeServiceAccountProps:
    """Inputs of NodeServiceAccount."""

    project_id: str
    """Project of the account and of its one role binding."""
    account_id: str
    """Account id (the part before @), 6-30 characters."""


class NodeServiceAccount(Construct):
    """A least-privilege identity for nodes, never the Compute Engine default account.

    Pods do not use it: with Workload Identity they get their own identities, so
    this account only writes logs and metrics and pulls images. Image pulls are
    granted where each repository is created (the mirror in the kuberay stack
    grants ``roles/artifactregistry.reader`` to ``principal``), not here.
    """

    def __init__(self, scope: Construct, construct_id: str, props: NodeServiceAccountProps) -> None:
        super().__init__(scope, construct_id)
        self.account = google.ServiceAccount(
            self,
            "account",
            account_id=props.account_id,
            display_name="rayfort GKE nodes",
            description="Dedicated node identity: logging, monitoring and image pulls only",
            project=props.project_id,
        )
        # A project-level grant: the node role has no resource-level equivalent.
        google.ProjectIamMember(
            self, "node-role", project=props.project_id, role=NODE_ROLE, member=self.principal.member
        )

    @property
    def email(self) -> str:
        return self.account.email

    @property
    def principal(self) -> Principal:
        """The nodes, for grants that live with other resources."""
        return Principal.service_account(self.account.email, "nodes")
