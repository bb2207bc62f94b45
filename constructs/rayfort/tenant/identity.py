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
    kubernetes_accounts: tuple[str, ...] = (HEAD_SERVICE_ACCOUNT, WORKER_SERVICE_ACCOUNT)
    """Kubernetes service accounts that may act as the Google service account: the head's and the workers'."""


def account_id(tenant: str) -> str:
    """``ray-<tenant>``, shortened with a hash when it would not fit Google's 6-30 characters."""
    return short_name(f"ray-{tenant}", _ACCOUNT_ID_MAX, keep_prefix="ray-", digest_of=tenant, min_length=6)


def kubernetes_service_account(namespace: str, name: str, google_account_email: str) -> dict[str, Any]:
    """A KSA mapped to the tenant's GSA; its token is mounted only where a pod asks (the autoscaler)."""
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
    """One GSA per tenant, usable only by that tenant's two KSAs; grants come from the resources' owners."""

    def __init__(self, scope: Construct, construct_id: str, props: TenantIdentityProps) -> None:
        super().__init__(scope, construct_id)
        self.account = google.ServiceAccount(
            self,
            "account",
            account_id=account_id(props.tenant),
            display_name=f"rayfort tenant {props.tenant}"[:100],
            description=f"Ray pods of tenant {props.tenant}, through Workload Identity only",
            project=props.project_id,
        )
        namespace = props.namespace or props.tenant
        pool = f"{props.project_id}.svc.id.goog"
        for name in props.kubernetes_accounts:
            KubernetesObject(self, f"ksa-{name}", kubernetes_service_account(namespace, name, self.email))
            # On this GSA only: a project-level workloadIdentityUser would let any KSA act as any GSA.
            google.ServiceAccountIamMember(
                self,
                f"workload-identity-{name}",
                service_account_id=self.account.name,
                role=WORKLOAD_IDENTITY_USER,
                member=f"serviceAccount:{pool}[{props.tenant}/{name}]",
            )

    @property
    def email(self) -> str:
        return self.account.email

    @property
    def principal(self) -> Principal:
        """The Ray pods' GSA, for the ``grant_*`` methods of the tenant's resources."""
        return Principal.service_account(self.account.email, "ray-pods")

    def grant_artifact_read(self, construct_id: str, *, project_id: str, location: str, repository: str) -> None:
        """Let Ray read one Artifact Registry repository (runtime environments), not every repository."""
        google.ArtifactRegistryRepositoryIamMember(
            self,
            construct_id,
            project=project_id,
            location=location,
            repository=repository,
            role="roles/artifactregistry.reader",
            member=self.principal.member,
        )
