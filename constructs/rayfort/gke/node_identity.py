"""The dedicated Google service account of the cluster's nodes."""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort._providers import google

# The one predefined role GKE documents for node service accounts; nothing broader.
NODE_ROLE = "roles/container.defaultNodeServiceAccount"


class NodeServiceAccount(Construct):
    """A least-privilege identity for nodes, never the Compute Engine default account.

    Pods do not use it: with Workload Identity they get their own identities, so
    this account only writes logs and metrics and pulls images.
    """

    def __init__(self, scope: Construct, construct_id: str, *, project_id: str, account_id: str) -> None:
        super().__init__(scope, construct_id)
        self._project_id = project_id
        self.account = google.ServiceAccount(
            self,
            "account",
            account_id=account_id,
            display_name="rayfort GKE nodes",
            description="Dedicated node identity: logging, monitoring and image pulls only",
            project=project_id,
        )
        # A project-level grant: the node role has no resource-level equivalent.
        google.ProjectIamMember(self, "node-role", project=project_id, role=NODE_ROLE, member=self.member)

    @property
    def email(self) -> str:
        return self.account.email

    @property
    def member(self) -> str:
        return f"serviceAccount:{self.account.email}"

    def grant_image_pull(self, construct_id: str, *, repository: str, location: str, project_id: str) -> None:
        """Let nodes pull from one Artifact Registry repository, not from every repository."""
        google.ArtifactRegistryRepositoryIamMember(
            self, construct_id, project=project_id, location=location, repository=repository,
            role="roles/artifactregistry.reader", member=self.member,
        )
