"""Settings of the KubeRay operator installation, and the feature gates it may run with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rayfort.config._types import Model

if TYPE_CHECKING:
    from rayfort.config.tenant import TenantSettings


OPERATOR_NAMESPACE = "kuberay-system"
"""Namespace of the KubeRay operator rayfort installs; no tenant may take it."""


@dataclass(frozen=True)
class FeatureGate:
    """A KubeRay feature gate of the pinned release: its maturity and the release's default."""

    maturity: Literal["alpha", "beta"]
    """Alpha gates are off unless a tenant setting needs them."""
    default: bool
    """What the operator does when the gate is not named."""


# The gates the kuberay-operator 1.7.0 chart lists in its values. Gates that exist
# only in upstream source are left out: an operator refuses to start on a gate it
# does not know, so a gate is added here only once the pinned chart names it.
FEATURE_GATES: dict[str, FeatureGate] = {
    "RayClusterStatusConditions": FeatureGate("beta", True),
    "RayJobDeletionPolicy": FeatureGate("beta", True),
    "RayMultiHostIndexing": FeatureGate("beta", True),
    "RayServiceIncrementalUpgrade": FeatureGate("beta", True),
    "RayCronJob": FeatureGate("alpha", False),
    "RayClusterMTLS": FeatureGate("alpha", False),
    "RayClusterNetworkPolicy": FeatureGate("alpha", False),
    "RayClusterHistoryServer": FeatureGate("alpha", False),
}


class KubeRaySettings(Model):
    """How the KubeRay operator is installed; the version is pinned by rayfort."""

    install: Literal["helm", "namespaced", "gke-addon"] = "helm"
    """helm: cluster-wide release; namespaced: Roles in the tenant namespaces only; gke-addon: GKE's Ray operator."""
    manage_crds: bool = True
    """Apply the ray.io CRDs as separate, versioned objects before the release; false: a cluster admin applies them."""
    feature_gates: dict[str, bool] = {}
    """KubeRay feature gates over the release defaults; alpha gates only when a tenant setting needs them."""


def gates_needed_by(tenant: TenantSettings) -> set[str]:
    """Alpha gates a tenant's settings depend on."""
    if tenant.ray_runtime == "kuberay" and tenant.tls == "kuberay":
        return {"RayClusterMTLS"}
    return set()


CERT_MANAGER_TLS = frozenset({"cert-manager", "kuberay", "secret-manager"})
"""Tenant TLS sources whose certificates cert-manager issues (kuberay: the operator's tlsOptions ask it;
secret-manager: it signs with the organization's issuing CA, so no Ray pod holds that key)."""
