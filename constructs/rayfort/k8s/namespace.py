"""Namespaces that enforce the Pod Security restricted profile."""

from __future__ import annotations

from typing import Any

from rayfort.versions import POD_SECURITY_VERSION

TENANT_LABEL = "rayfort.dev/tenant"
"""On every tenant namespace: the tenant's name. Developers cannot relabel namespaces (cluster-scoped)."""
DASHBOARD_HOST_ANNOTATION = "rayfort.dev/dashboard-host"
"""On a tenant namespace published through IAP: the one host its routes may claim on the shared Gateway."""


def pod_security_labels(level: str = "restricted", version: str = POD_SECURITY_VERSION) -> dict[str, str]:
    """Enforce, audit and warn at one level, with the version pinned so upgrades don't relax it."""
    labels = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


def restricted_namespace(
    name: str, labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Namespace that admits only pods meeting the restricted profile."""
    metadata: dict[str, Any] = {
        "name": name,
        "labels": {**pod_security_labels(), **(labels or {}), "app.kubernetes.io/managed-by": "rayfort"},
    }
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}
