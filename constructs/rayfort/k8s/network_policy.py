"""The cluster's own endpoints that every rayfort namespace's policies must name, and rules to reach them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

API_SERVER_PORT = 443
"""The private control plane endpoint's port."""
DNS_PORT = 53
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace, so it cannot be forged by whoever labels namespaces."""
KUBE_DNS = ("kube-system", {"k8s-app": "kube-dns"})
MANAGED_PROMETHEUS = ("gmp-system", {"app.kubernetes.io/name": "collector"})
"""Google managed Prometheus collectors, which scrape metrics ports."""


def pods_in(namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A policy peer: the pods with ``labels`` in exactly one namespace."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}},
        "podSelector": {"matchLabels": dict(labels)},
    }


def dns_egress() -> dict[str, Any]:
    """Egress to kube-dns on UDP and TCP 53."""
    return {
        "to": [pods_in(*KUBE_DNS)],
        "ports": [{"protocol": "UDP", "port": DNS_PORT}, {"protocol": "TCP", "port": DNS_PORT}],
    }


def api_server_egress(control_plane_cidr: str) -> dict[str, Any]:
    """Egress to the API server, which pods reach at the private control plane's address."""
    return {"to": [{"ipBlock": {"cidr": control_plane_cidr}}], "ports": [{"protocol": "TCP", "port": API_SERVER_PORT}]}
