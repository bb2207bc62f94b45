"""Namespaces that enforce the Pod Security restricted profile."""

from __future__ import annotations

from typing import Any

from rayfort.versions import POD_SECURITY_VERSION


def pod_security_labels(level: str = "restricted", version: str = POD_SECURITY_VERSION) -> dict[str, str]:
    """Enforce, audit and warn at one level, with the version pinned so upgrades don't relax it."""
    labels = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


def restricted_namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Namespace that admits only pods meeting the restricted profile."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {**pod_security_labels(), **(labels or {}), "app.kubernetes.io/managed-by": "rayfort"},
        },
    }
