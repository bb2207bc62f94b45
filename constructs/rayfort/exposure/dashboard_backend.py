"""The Ray head's dashboard as a load balancer backend: selector, port, health check, timeouts.

The operator owns the head Service and reconciles away edits, so every
load balancer gets its own Service selecting the head pod by KubeRay's labels
(operatorless pods carry the same labels).
"""

from __future__ import annotations

from typing import Any

from rayfort.config.tenant import RAY_FIXED_PORTS

DASHBOARD_PORT = RAY_FIXED_PORTS["dashboard"]
CLIENT_PORT = RAY_FIXED_PORTS["client"]
# Ray 2.52's dashboard answers these paths without a token (http_server_head.py public paths);
# gcs_healthz is the one KubeRay's own head probe uses on the dashboard port.
HEALTH_CHECK_PATH = "/api/gcs_healthz"
# Job log tails hold a websocket open; the load balancer cuts any connection at this age.
BACKEND_TIMEOUT_S = 3600
DRAINING_TIMEOUT_S = 60


def dashboard_service(
    name: str,
    namespace: str,
    selector: dict[str, str],
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A ClusterIP Service exposing only the dashboard port, for the external load balancer's NEG."""
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": "rayfort", "app.kubernetes.io/component": "dashboard"},
    }
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": "dashboard", "protocol": "TCP", "port": DASHBOARD_PORT, "targetPort": DASHBOARD_PORT}],
        },
    }
