"""Objects that fence the operator's namespace: network policies, a disruption budget, a quota.

Plain builders returning dicts, so each is schema-checked and unit-tested without a synth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rayfort.k8s.network_policy import MANAGED_PROMETHEUS, api_server_egress, dns_egress, pods_in
from rayfort.kuberay.values import METRICS_PORT, OperatorValues, operator_pod_labels
from rayfort.tenant.namespace import TENANT_LABEL

DASHBOARD_PORT = 8265
"""The head's dashboard: RayJob submission and RayService status go through it."""
_MANAGED = {"app.kubernetes.io/managed-by": "rayfort", "app.kubernetes.io/part-of": "kuberay"}


@dataclass(frozen=True)
class OperatorNetwork:
    """Where the operator's traffic may go."""

    namespace: str
    """The operator's namespace."""
    control_plane_cidr: str
    """The control plane's private /28; in-cluster API calls reach it on 443 after service translation."""


def _metadata(name: str, namespace: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(_MANAGED)}


def operator_network_policies(net: OperatorNetwork) -> list[dict[str, Any]]:
    """Default deny for the namespace, then exactly the operator's flows."""
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata("default-deny", net.namespace),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    # The heads the operator polls are in tenant namespaces, selected by the tenant label rather than by name
    # (only the platform labels namespaces), so adding a tenant leaves this policy as it was.
    dashboards = {
        "to": [
            {
                "namespaceSelector": {"matchExpressions": [{"key": TENANT_LABEL, "operator": "Exists"}]},
                "podSelector": {"matchLabels": {"ray.io/node-type": "head"}},
            }
        ],
        "ports": [{"protocol": "TCP", "port": DASHBOARD_PORT}],
    }
    egress = [api_server_egress(net.control_plane_cidr), dns_egress(), dashboards]
    operator = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata("kuberay-operator", net.namespace),
        "spec": {
            "podSelector": {"matchLabels": operator_pod_labels()},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [pods_in(*MANAGED_PROMETHEUS)], "ports": [{"protocol": "TCP", "port": METRICS_PORT}]}],
            "egress": egress,
        },
    }
    return [deny, operator]


def operator_disruption_budget(namespace: str) -> dict[str, Any]:
    """At most one operator pod evicted at a time; a crash-looping pod never blocks a drain."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _metadata("kuberay-operator", namespace),
        "spec": {
            "minAvailable": 1,
            "selector": {"matchLabels": operator_pod_labels()},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


def operator_quota(namespace: str, values: OperatorValues) -> dict[str, Any]:
    """Room for twice the operator's replicas and nothing else, so the namespace can't host other work."""
    pods = 2 * values.replicas
    res = values.resources
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": _metadata("kuberay-operator", namespace),
        "spec": {
            "hard": {
                "pods": str(pods),
                "requests.cpu": _times(res.cpu_request, pods),
                "requests.memory": _times(res.memory_request, pods),
                "limits.cpu": _times(res.cpu_limit, pods),
                "limits.memory": _times(res.memory_limit, pods),
                "services": "2",
                "persistentvolumeclaims": "0",
                "services.loadbalancers": "0",
                "services.nodeports": "0",
            }
        },
    }


def _times(quantity: str, factor: int) -> str:
    """A Kubernetes quantity with an integer number and a suffix, multiplied."""
    number = quantity.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return f"{int(number) * factor}{quantity[len(number) :]}"


def namespace_guardrails(net: OperatorNetwork, values: OperatorValues) -> Sequence[dict[str, Any]]:
    """Every object of the operator's namespace besides the namespace and the release."""
    return [
        *operator_network_policies(net),
        operator_disruption_budget(net.namespace),
        operator_quota(net.namespace, values),
    ]
