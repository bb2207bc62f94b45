"""Google-managed service agents of a project, addressed through its project number."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google


@dataclass(frozen=True)
class ProjectServiceAgentsProps:
    """Inputs of ProjectServiceAgents."""

    project_id: str
    """Project whose service agents are addressed."""


class ProjectServiceAgents(Construct):
    """Emails of the service agents that need access to our keys.

    Derived from the project number read at plan time, so no number is ever typed
    into an environment file.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ProjectServiceAgentsProps) -> None:
        super().__init__(scope, construct_id)
        self.project = google.DataGoogleProject(self, "project", project_id=props.project_id)

    def _agent(self, domain: str) -> str:
        return f"service-{self.project.number}@{domain}"

    @property
    def gke(self) -> str:
        """The GKE service agent (container-engine-robot), which encrypts Kubernetes secrets."""
        return self._agent("container-engine-robot.iam.gserviceaccount.com")

    @property
    def compute(self) -> str:
        """The Compute Engine service agent, which encrypts boot disks."""
        return self._agent("compute-system.iam.gserviceaccount.com")
