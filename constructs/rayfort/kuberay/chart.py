"""Where the kuberay-operator chart comes from: the public repository, or the private OCI mirror."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort.versions import KUBERAY_VERSION

CHART_NAME = "kuberay-operator"
PUBLIC_REPOSITORY = "https://ray-project.github.io/kuberay-helm/"
"""The public chart repository, used only when the environment has no mirror."""
REGISTRY_USERNAME = "oauth2accesstoken"
"""Artifact Registry's user name for a short-lived OAuth access token."""


@dataclass(frozen=True)
class ChartSource:
    """A pinned chart and the repository (and credentials) to fetch it from."""

    repository: str = PUBLIC_REPOSITORY
    """https:// chart repository or oci:// registry."""
    version: str = KUBERAY_VERSION
    """Exact chart version."""
    access_token: str | None = None
    """Token for an Artifact Registry OCI source; None for the public repository."""

    def helm_arguments(self) -> dict[str, Any]:
        """Arguments shared by the release and the template data source."""
        arguments: dict[str, Any] = {"chart": CHART_NAME, "repository": self.repository, "version": self.version}
        if self.access_token is not None:
            arguments["repository_username"] = REGISTRY_USERNAME
            arguments["repository_password"] = self.access_token
        return arguments


def release_safeguards(timeout_seconds: int) -> dict[str, Any]:
    """Settings every rayfort Helm release carries: all-or-nothing, waited for, CRDs never left to Helm."""
    return {
        "create_namespace": False,
        "atomic": True,
        "wait": True,
        "cleanup_on_fail": True,
        "skip_crds": True,
        "timeout": timeout_seconds,
        "max_history": 5,
    }
