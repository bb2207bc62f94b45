"""Google-managed service agents of a project, addressed through its project number."""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort._providers import google


class ProjectServiceAgents(Construct):
    """Emails of the service agents that need access to our keys and networks.

    Derived from the project number read at plan time, so no number is ever typed
    into an environment file.
    """

    def __init__(self, scope: Construct, construct_id: str, *, project_id: str) -> None:
        super().__init__(scope, construct_id)
        self.project = google.DataGoogleProject(self, "project", project_id=project_id)

    @property
    def number(self) -> str:
        return self.project.number

    def _agent(self, domain: str) -> str:
        return f"service-{self.project.number}@{domain}"

    @property
    def gke(self) -> str:
        """The GKE service agent (container-engine-robot)."""
        return self._agent("container-engine-robot.iam.gserviceaccount.com")

    @property
    def compute(self) -> str:
        """The Compute Engine service agent, which encrypts boot disks."""
        return self._agent("compute-system.iam.gserviceaccount.com")

    @property
    def google_apis(self) -> str:
        """The Google APIs service agent (cloudservices)."""
        return f"{self.project.number}@cloudservices.gserviceaccount.com"
