"""What a Service puts behind a load balancer, readable by the rule engine and the tests alike.

Pure functions over a Service manifest dict: the exposure stack refuses to
synthesize a Service they object to, and the synth-time rules can call them on
any Service in any stack.
"""

from __future__ import annotations

from typing import Any

from rayfort.config.tenant import RAY_FIXED_PORTS

LOAD_BALANCER_TYPE = "networking.gke.io/load-balancer-type"
GCS_PORT = RAY_FIXED_PORTS["gcs"]


def _is_service(manifest: dict[str, Any]) -> bool:
    return manifest.get("apiVersion") == "v1" and manifest.get("kind") == "Service"


def is_load_balancer(manifest: dict[str, Any]) -> bool:
    """A v1 Service of type LoadBalancer."""
    return _is_service(manifest) and (manifest.get("spec") or {}).get("type") == "LoadBalancer"


def is_internal_load_balancer(manifest: dict[str, Any]) -> bool:
    """A LoadBalancer Service that GKE gives an internal passthrough load balancer, not a public one."""
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    return is_load_balancer(manifest) and annotations.get(LOAD_BALANCER_TYPE) == "Internal"


def exposed_ports(manifest: dict[str, Any]) -> set[int | str]:
    """Every port and targetPort a Service forwards; named target ports stay names."""
    if not _is_service(manifest):
        return set()
    found: set[int | str] = set()
    for port in (manifest.get("spec") or {}).get("ports") or []:
        for key in ("port", "targetPort"):
            value = port.get(key)
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if value is not None:
                found.add(value)
    return found


def load_balancer_problems(manifest: dict[str, Any]) -> list[str]:
    """Why a Service must not be applied: a public load balancer, or GCS behind any load balancer."""
    if not is_load_balancer(manifest):
        return []
    name = (manifest.get("metadata") or {}).get("name", "?")
    problems = []
    if not is_internal_load_balancer(manifest):
        problems.append(
            f"Service {name} is a LoadBalancer without {LOAD_BALANCER_TYPE}: Internal; "
            "only internal load balancers are allowed"
        )
    if GCS_PORT in exposed_ports(manifest):
        problems.append(f"Service {name} exposes GCS port {GCS_PORT}; allowed: client 10001 and dashboard 8265")
    return problems
