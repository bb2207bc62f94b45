"""Settings of the KubeRay operator installation."""

from __future__ import annotations

from typing import Literal, TYPE_CHECKING

from rayfort.config._types import Model, Problem

if TYPE_CHECKING:
    from rayfort.config.environment import Environment


class KubeRaySettings(Model):
    """How the KubeRay operator is installed; the version is pinned by rayfort."""

    install: Literal["helm", "namespaced", "gke-addon"] = "helm"
    """helm: cluster-wide release; namespaced: Roles in the tenant namespaces only; gke-addon: GKE's Ray operator."""
    manage_crds: bool = True
    """Apply the ray.io CRDs as separate, versioned objects before the release."""
    feature_gates: dict[str, bool] = {}
    """KubeRay feature gates; none of the alpha gates unless a tenant needs them."""


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    return []
