"""Trust: a provider trusts the certificate its endpoint actually serves.

A GKE cluster's IP endpoints (``endpoint``, ``private_cluster_config.private_endpoint``)
serve a certificate signed by the cluster's own CA: the provider must pin
``cluster_ca_certificate``. The DNS-based endpoint (``*.gke.goog``,
``control_plane_endpoints_config.dns_endpoint_config.endpoint``) and Connect
Gateway serve a publicly trusted certificate: pinning the cluster CA there makes
every handshake fail (``x509: certificate signed by unknown authority``), at
plan time already for ``kubernetes_manifest``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from rayfort_tools.judges.deployability.outcome import Outcome
from rayfort_tools.judges.deployability.terraform import Deployment, Stack

CHECK = "trust"
_PUBLIC_HOSTS = re.compile(r"\.gke\.goog\b|connectgateway\.googleapis\.com|gkeconnect\.googleapis\.com")
_CLUSTER_TYPES = frozenset({"google_container_cluster"})
_CONNECT_TYPES = frozenset({"google_gke_hub_membership"})


def endpoint_kind(stack: Stack, host: Any) -> str | None:
    """ "public" (a publicly trusted certificate), "cluster" (the cluster's own CA) or None (not a GKE endpoint)."""
    literal = stack.literal(host)
    texts = [literal] if isinstance(literal, str) else [host] if isinstance(host, str) else []
    if any(_PUBLIC_HOSTS.search(text) for text in texts):
        return "public"
    for ref in stack.refs(host):
        for _origin_stack, origin in stack.origins(ref):
            if origin.type in _CONNECT_TYPES:
                return "public"
            if origin.type in _CLUSTER_TYPES:
                if "dns_endpoint_config" in origin.path:
                    return "public"
                if origin.path[-1:] in (("endpoint",), ("private_endpoint",), ("public_endpoint",)):
                    return "cluster"
    return None


def _endpoints(config: Any, path: str) -> Iterator[tuple[str, dict]]:
    """Every block of a provider configuration that names a host (helm's is nested under ``kubernetes``)."""
    if isinstance(config, dict):
        if "host" in config:
            yield path, config
        for key, value in config.items():
            yield from _endpoints(value, f"{path}.{key}")
    elif isinstance(config, list):
        for item in config:
            yield from _endpoints(item, path)


def check(deployment: Deployment) -> Iterator[Outcome]:
    for stack in deployment.stacks.values():
        for provider, config in stack.providers():
            for where, block in _endpoints(config, provider):
                kind = endpoint_kind(stack, block["host"])
                pinned = bool(block.get("cluster_ca_certificate"))
                problem = None
                if kind == "public" and pinned:
                    problem = (
                        "pins cluster_ca_certificate on an endpoint that serves a publicly trusted certificate "
                        "(GKE DNS endpoint or Connect Gateway): the TLS handshake fails"
                    )
                elif kind == "cluster" and not pinned and not block.get("insecure"):
                    problem = (
                        "talks to a cluster IP endpoint, whose certificate the cluster's own CA signs, "
                        "without pinning cluster_ca_certificate: the TLS handshake fails"
                    )
                yield Outcome(CHECK, stack.name, where, problem)
