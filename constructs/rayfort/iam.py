"""Who is granted access: IAM principals, and the Google-managed service agents of a project."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google


@dataclass(frozen=True)
class Principal:
    """An IAM member, and the short name that grants to it carry in their construct ids.

    The member is often a Terraform reference (an email known only at plan time),
    which cannot name a construct; ``name`` does, and so it is part of the address
    of every grant made to this principal.
    """

    member: str
    """``serviceAccount:<email>``, ``group:<email>`` or ``user:<email>``."""
    name: str
    """Construct id of grants to this principal, such as ``storage-agent`` or ``ray-pods``."""

    @classmethod
    def service_account(cls, email: str, name: str) -> Principal:
        return cls(f"serviceAccount:{email}", name)

    @classmethod
    def group(cls, email: str, name: str) -> Principal:
        return cls(f"group:{email}", name)


@dataclass(frozen=True)
class ServiceAgents:
    """The service agents of one project: the identities Google services use our keys and networks as.

    Their emails derive from the project number, which is read at plan time
    (``read``), so no number is ever typed into an environment file.
    """

    project_number: str
    """The project's number, a reference to a ``google_project`` data source."""

    @classmethod
    def read(cls, scope: Construct, construct_id: str, project_id: str) -> ServiceAgents:
        """The agents of ``project_id``, its number read by a data source at ``scope/construct_id``."""
        project = google.DataGoogleProject(scope, construct_id, project_id=project_id)
        return cls(project.number)

    def _agent(self, domain: str, name: str) -> Principal:
        return Principal.service_account(f"service-{self.project_number}@{domain}", name)

    @property
    def gke(self) -> Principal:
        """GKE's agent (container-engine-robot): encrypts Kubernetes secrets, uses Shared VPC subnets."""
        return self._agent("container-engine-robot.iam.gserviceaccount.com", "gke-agent")

    @property
    def compute(self) -> Principal:
        """Compute Engine's agent: encrypts node boot disks."""
        return self._agent("compute-system.iam.gserviceaccount.com", "compute-agent")

    @property
    def redis(self) -> Principal:
        """Memorystore for Redis's agent: encrypts instances with a customer-managed key."""
        return self._agent("cloud-redis.iam.gserviceaccount.com", "redis-agent")

    @property
    def artifact_registry(self) -> Principal:
        """Artifact Registry's agent: encrypts repositories with a customer-managed key."""
        return self._agent("gcp-sa-artifactregistry.iam.gserviceaccount.com", "registry-agent")

    @property
    def secret_manager(self) -> Principal:
        """Secret Manager's agent: encrypts secret payloads with a customer-managed key.

        Secret Manager's CMEK guide (https://cloud.google.com/secret-manager/docs/cmek)
        creates it with ``gcloud beta services identity create --service=secretmanager.googleapis.com``,
        once per project: a prerequisite, as the pinned google provider has no resource for it
        (``google_project_service_identity`` is google-beta's).
        """
        return self._agent("gcp-sa-secretmanager.iam.gserviceaccount.com", "secret-manager-agent")

    @property
    def google_apis(self) -> Principal:
        """The Google APIs service agent (<number>@cloudservices): creates node instance groups."""
        return Principal.service_account(
            f"{self.project_number}@cloudservices.gserviceaccount.com", "google-apis-agent"
        )


def storage_service_agent(scope: Construct, construct_id: str, project_id: str) -> Principal:
    """Cloud Storage's agent of ``project_id``, which encrypts buckets with a customer-managed key.

    Read through ``google_storage_project_service_account``, which creates the
    agent when the project has none yet (Cloud Storage creates it on demand).
    """
    account = google.DataGoogleStorageProjectServiceAccount(scope, construct_id, project=project_id)
    return Principal.service_account(account.email_address, "storage-agent")


def logging_service_agent(scope: Construct, construct_id: str, project_id: str) -> Principal:
    """Cloud Logging's agent of ``project_id``, which encrypts its log buckets with a customer-managed key.

    Read through ``google_logging_project_cmek_settings``, whose ``service_account_id``
    is the agent (service-<number>@gcp-sa-logging); Google documents reading it
    there before granting it a key
    (https://cloud.google.com/logging/docs/routing/managed-encryption-storage).
    """
    settings = google.DataGoogleLoggingProjectCmekSettings(scope, construct_id, project=project_id)
    return Principal.service_account(settings.service_account_id, "logging-agent")
