"""What the tenant stack hands the Ray runtime, and every Kubernetes object it gets back.

The tenant stack owns the namespace, identities, bucket and Redis; the runtime
owns the Ray pods. This module is the only contract between the two, so the
stack never needs to know whether the cluster is a RayCluster or Deployments.
"""

from __future__ import annotations

from dataclasses import dataclass

from rayfort.config.placement import TenantPlacement
from rayfort.config.tenant import TenantSettings

# Key of the Secret named by RayRuntimeInputs.redis_password_secret that holds the Redis AUTH string.
REDIS_PASSWORD_KEY = "password"
# Kubernetes service accounts of the Ray pods; the tenant stack creates them and binds them to the tenant's GSA.
HEAD_SERVICE_ACCOUNT = "ray-head"
WORKER_SERVICE_ACCOUNT = "ray-worker"


@dataclass(frozen=True)
class RayRuntimeInputs:
    """Everything the Ray pods need from the rest of the tenant; values may be Terraform tokens."""

    tenant: TenantSettings
    """Sizes, groups, ports, TLS mode and runtime kind."""
    image: str
    """Full Ray image reference (the mirror in air-gapped mode)."""
    project_id: str
    """Project holding the tenant's Secret Manager secrets (see ``secret_manager_secret_ids``)."""
    redis_address: str
    """host:port of the tenant's Memorystore instance (in-transit encryption on, port 6378)."""
    redis_ca_cert: str
    """PEM of the Memorystore server CA; public, so it travels in a ConfigMap.

    One Terraform expression, e.g. ``${join("\\n", google_redis_instance.x.server_ca_certs[*].cert)}``;
    a ``${...}`` nested inside another does not parse.
    """
    redis_password_secret: str
    """Name of a Secret in the namespace whose key ``password`` holds the Redis AUTH string."""
    gcs_bucket: str
    """The tenant's artifact bucket name, exported to the pods as RAYFORT_ARTIFACT_BUCKET."""
    namespace: str = ""
    """Namespace of every object (a token, so objects wait for it); the tenant name when empty."""
    head_service_account: str = HEAD_SERVICE_ACCOUNT
    """Kubernetes service account of the head pod."""
    worker_service_account: str = WORKER_SERVICE_ACCOUNT
    """Kubernetes service account of the worker pods."""
    placement: TenantPlacement | None = None
    """Each pod's pools and tolerations; None: no pool chosen, GPU pods tolerate the GPU taint."""

    @property
    def name(self) -> str:
        """RayCluster name, KubeRay label value and prefix of every object name."""
        return self.tenant.name

    @property
    def target_namespace(self) -> str:
        """Namespace every object lands in."""
        return self.namespace or self.tenant.name


def auth_token_secret_id(tenant: TenantSettings) -> str:
    """Secret Manager secret holding an operatorless cluster's Ray auth token (KubeRay makes its own)."""
    return f"{tenant.name}-ray-auth-token"


def secret_manager_secret_ids(tenant: TenantSettings) -> tuple[str, ...]:
    """Secret Manager secrets the Ray pods mount through the GKE Secret Manager add-on.

    The tenant stack creates each one without a version and grants the tenant's Google service
    account ``roles/secretmanager.secretAccessor`` on it; a person adds the value
    (``gcloud secrets versions add``), so no secret value is ever in Terraform state.
    """
    # Never a CA key: with ``tls: secret-manager`` the issuing CA reaches cert-manager, not the pods (ray_tls).
    if tenant.ray_runtime == "plain" and tenant.token_auth:
        return (auth_token_secret_id(tenant),)
    return ()
