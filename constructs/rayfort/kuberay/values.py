"""The kuberay-operator chart's values as a typed structure, rendered to YAML deterministically.

Only keys this module writes reach the chart, and the helm-values judge checks
every one of them against the chart's own values.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from rayfort.versions import KUBERAY_VERSION

OPERATOR_NAME = "kuberay-operator"
"""Release name, fullnameOverride and service account name; the chart derives object names from it."""
METRICS_PORT = 8080
"""The operator container's only port: metrics, and the kubelet's health probes."""
OPERATOR_IMAGE = "quay.io/kuberay/operator"
"""Upstream repository of the operator image."""


@dataclass(frozen=True)
class ComputeResources:
    """Requests and limits of the operator container."""

    cpu_request: str = "100m"
    """Enough for a few hundred Ray pods."""
    memory_request: str = "512Mi"
    """Upstream's observed need for about 500 Ray pods."""
    cpu_limit: str = "500m"
    """Bounded, so a reconcile storm cannot starve the node."""
    memory_limit: str = "512Mi"
    """Equal to the request: the pod is never the first evicted for memory."""

    def as_chart_values(self) -> dict[str, Any]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


@dataclass(frozen=True)
class OperatorValues:
    """What rayfort sets in the chart; every default is the secure one."""

    image_repository: str = OPERATOR_IMAGE
    """Operator image repository; the mirror's copy in air-gapped environments."""
    image_tag: str = f"v{KUBERAY_VERSION}"
    """Operator image tag, pinned with the chart."""
    replicas: int = 2
    """Two pods with leader election, so a node drain never stops reconciling."""
    watch_namespaces: tuple[str, ...] = ()
    """Namespaced install: exactly these namespaces get Roles and are watched; empty means cluster-wide."""
    feature_gates: tuple[tuple[str, bool], ...] = ()
    """(gate, enabled) for every gate, sorted by name."""
    resources: ComputeResources = field(default_factory=ComputeResources)
    """Requests and limits of the operator container."""

    @property
    def namespaced(self) -> bool:
        return bool(self.watch_namespaces)

    def as_chart_values(self) -> dict[str, Any]:
        """The values in the chart's own key names."""
        values: dict[str, Any] = {
            "fullnameOverride": OPERATOR_NAME,
            "nameOverride": OPERATOR_NAME,
            "image": {"repository": self.image_repository, "tag": self.image_tag, "pullPolicy": "IfNotPresent"},
            "replicas": self.replicas,
            "leaderElectionEnabled": True,
            "serviceAccount": {"create": True, "name": OPERATOR_NAME},
            "rbacEnable": True,
            "singleNamespaceInstall": self.namespaced,
            "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "resources": self.resources.as_chart_values(),
            "featureGates": [{"name": name, "enabled": enabled} for name, enabled in self.feature_gates],
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": False}},
            "logging": {"stdoutEncoder": "json"},
            "batchScheduler": {"enabled": False, "name": ""},
            "configuration": {"enabled": False},
        }
        if self.namespaced:
            values["watchNamespace"] = list(self.watch_namespaces)
            values["crNamespacedRbacEnable"] = True
        return values

    def to_yaml(self) -> str:
        """The values as YAML with sorted keys, so the same settings always give the same bytes."""
        return yaml.safe_dump(self.as_chart_values(), sort_keys=True, default_flow_style=False)


def operator_pod_labels() -> dict[str, str]:
    """Labels the chart puts on the operator pods (app.kubernetes.io/instance is the release name)."""
    return {"app.kubernetes.io/name": OPERATOR_NAME, "app.kubernetes.io/instance": OPERATOR_NAME}
