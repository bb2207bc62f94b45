"""Rules of the KubeRay operator that span several fields of the environment."""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.environment import Environment
from rayfort.config.kuberay import FEATURE_GATES, gates_needed_by


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
        for gate_name, tenant in sorted(needed.items()):
            found.append(
                Problem(
                    ("kuberay", "install"),
                    "gke-addon",
                    f"cannot turn on {gate_name}, which tenant {tenant} needs; use install: helm or namespaced",
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
