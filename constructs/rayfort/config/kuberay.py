"""Settings of the KubeRay operator installation, and the feature gates it may run with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rayfort.config._types import Model, Problem

if TYPE_CHECKING:
    from rayfort.config.environment import Environment
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


def cert_manager_needed(env: Environment) -> bool:
    """Whether some tenant's Ray TLS needs cert-manager in the cluster (its images are admitted and mirrored then)."""
    return any(tenant.tls in CERT_MANAGER_TLS for tenant in env.tenants)


def cert_manager_installed(env: Environment) -> bool:
    """Whether the kuberay stack installs cert-manager: when needed, except with the namespaced operator.

    cert-manager is cluster-wide by nature (its CRDs, ClusterRoles, webhook
    configurations), and the namespaced mode exists for platform teams that are
    not cluster-admin: there a cluster admin installs it, a documented
    prerequisite (rayfort.kuberay.prerequisites), and the tenants' Issuers and
    Certificates, in their own namespaces, use it.
    """
    return cert_manager_needed(env) and env.kuberay.install != "namespaced"


def effective_feature_gates(env: Environment) -> dict[str, bool]:
    """Every known gate with the value the operator runs with: default, tenant needs, then overrides."""
    gates = {name: gate.default for name, gate in FEATURE_GATES.items()}
    for tenant in env.tenants:
        gates.update(dict.fromkeys(gates_needed_by(tenant), True))
    gates.update({name: on for name, on in env.kuberay.feature_gates.items() if name in gates})
    return gates


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    found: list[Problem] = []
    settings = env.kuberay
    needed = {gate: tenant.name for tenant in env.tenants for gate in gates_needed_by(tenant)}
    known = ", ".join(sorted(FEATURE_GATES))
    for name, enabled in sorted(settings.feature_gates.items()):
        path = ("kuberay", "feature_gates", name)
        gate = FEATURE_GATES.get(name)
        if gate is None:
            found.append(Problem(path, enabled, f"is not a feature gate of KubeRay 1.7.0; allowed: {known}"))
        elif settings.install == "gke-addon":
            found.append(
                Problem(path, enabled, "cannot be set with install: gke-addon; GKE manages the add-on's gates")
            )
        elif enabled and gate.maturity == "alpha" and name not in needed:
            found.append(
                Problem(
                    path,
                    enabled,
                    "is an alpha gate no tenant needs; allowed on only for a tenant setting that needs it "
                    "(RayClusterMTLS: tls: kuberay)",
                )
            )
        elif not enabled and name in needed:
            found.append(Problem(path, enabled, f"must stay on: tenant {needed[name]} needs it"))
    if settings.install == "gke-addon":
        for gate, tenant in sorted(needed.items()):
            found.append(
                Problem(
                    ("kuberay", "install"),
                    "gke-addon",
                    f"cannot turn on {gate}, which tenant {tenant} needs; use install: helm or namespaced",
                )
            )
    if settings.install == "namespaced" and env.tenants and all(t.ray_runtime != "kuberay" for t in env.tenants):
        found.append(
            Problem(
                ("kuberay", "install"),
                "namespaced",
                "needs at least one tenant with ray_runtime: kuberay; the operator watches exactly those namespaces",
            )
        )
    mirror = env.registry_mirror
    if mirror is not None and mirror.create and mirror.kms_key is None and env.cluster.kms.create is None:
        found.append(
            Problem(
                ("registry_mirror", "kms_key"),
                None,
                "is required when cluster.kms uses existing keys: rayfort then creates no key ring to put "
                "the mirror's key in; give a key id projects/P/locations/L/keyRings/R/cryptoKeys/K",
            )
        )
    return found
