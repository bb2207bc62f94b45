"""Workload Identity: the Ray pods act as one Google service account of their own tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.iam import Principal
from rayfort.k8s.manifest import KubernetesObject
from rayfort.names import short_name
from rayfort.tenant.runtime.inputs import HEAD_SERVICE_ACCOUNT, WORKER_SERVICE_ACCOUNT

WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
GSA_ANNOTATION = "iam.gke.io/gcp-service-account"
_ACCOUNT_ID_MAX = 30


@dataclass(frozen=True)
class TenantIdentityProps:
    """Inputs of TenantIdentity."""

    tenant: str
    """Tenant name; also the namespace of the Kubernetes service accounts."""
    project_id: str
    """Project of the cluster, whose workload identity pool is <project>.svc.id.goog."""
    namespace: str = ""
    """The namespace as a reference, so the accounts wait for it; the tenant name when empty."""


def account_id(tenant: str) -> str:
    """``ray-<tenant>`` (the head's), shortened with a hash when it would not fit Google's 6-30 characters."""
    return short_name(f"ray-{tenant}", _ACCOUNT_ID_MAX, keep_prefix="ray-", digest_of=tenant, min_length=6)


def worker_account_id(tenant: str) -> str:
    """``rayw-<tenant>`` (the workers'), shortened like ``account_id``."""
    return short_name(f"rayw-{tenant}", _ACCOUNT_ID_MAX, keep_prefix="rayw-", digest_of=tenant, min_length=6)


def kubernetes_service_account(namespace: str, name: str, google_account_email: str) -> dict[str, Any]:
    """A KSA mapped to one GSA; its token is mounted only where a pod asks (the autoscaler)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "rayfort"},
            "annotations": {GSA_ANNOTATION: google_account_email},
        },
        "automountServiceAccountToken": False,
    }


class TenantIdentity(Construct):
    """Two GSAs per tenant, the head's and the workers', each usable only by its own KSA.

    Workers run the jobs' code on every node, so they get less than the head (which
    also runs the driver and the autoscaler): the grants come from the resources'
    owners, to ``head`` or ``workers``. The head's account keeps the construct id and
    grant names of the single account it replaces (``ray-pods``), so no grant of the
    head is re-created.
    """

    def __init__(self, scope: Construct, construct_id: str, props: TenantIdentityProps) -> None:
        super().__init__(scope, construct_id)
        self.head_account = google.ServiceAccount(
            self,
            "account",
            account_id=account_id(props.tenant),
            display_name=f"rayfort tenant {props.tenant} head"[:100],
            description=f"Ray head of tenant {props.tenant}, through Workload Identity only",
            project=props.project_id,
        )
        self.worker_account = google.ServiceAccount(
            self,
            "worker-account",
            account_id=worker_account_id(props.tenant),
            display_name=f"rayfort tenant {props.tenant} workers"[:100],
            description=f"Ray workers of tenant {props.tenant}, through Workload Identity only",
            project=props.project_id,
        )
        namespace = props.namespace or props.tenant
        pool = f"{props.project_id}.svc.id.goog"
        for name, account in ((HEAD_SERVICE_ACCOUNT, self.head_account), (WORKER_SERVICE_ACCOUNT, self.worker_account)):
            KubernetesObject(self, f"ksa-{name}", kubernetes_service_account(namespace, name, account.email))
            # On this GSA only: a project-level workloadIdentityUser would let any KSA act as any GSA.
            google.ServiceAccountIamMember(
                self,
                f"workload-identity-{name}",
                service_account_id=account.name,
                role=WORKLOAD_IDENTITY_USER,
                member=f"serviceAccount:{pool}[{props.tenant}/{name}]",
            )

    @property
    def head(self) -> Principal:
        """The head's GSA (the driver, the dashboard, the autoscaler), for the ``grant_*`` methods of resources."""
        return Principal.service_account(self.head_account.email, "ray-pods")

    @property
    def workers(self) -> Principal:
        """The workers' GSA: the jobs' code on every worker node."""
        return Principal.service_account(self.worker_account.email, "ray-workers")

    @property
    def pods(self) -> tuple[Principal, Principal]:
        """Both, for what every Ray process needs (the token, the TLS material, the mirror)."""
        return self.head, self.workers

    def grant_artifact_read(self, construct_id: str, *, project_id: str, location: str, repository: str) -> None:
        """Let Ray's pods read one Artifact Registry repository (runtime environments), not every repository."""
        # The head's grant keeps the id it had when it was the only account's.
        for grant_id, principal in ((construct_id, self.head), (f"{construct_id}-{self.workers.name}", self.workers)):
            google.ArtifactRegistryRepositoryIamMember(
                self,
                grant_id,
                project=project_id,
                location=location,
                repository=repository,
                role="roles/artifactregistry.reader",
                member=principal.member,
            )
