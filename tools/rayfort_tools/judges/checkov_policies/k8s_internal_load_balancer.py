"""CKV_RAYFORT_13: LoadBalancer Services are internal-only and never expose Redis/GCS port 6379.

No built-in check reads ``kubernetes_manifest``. On GKE a ``type:
LoadBalancer`` Service without ``networking.gke.io/load-balancer-type:
"Internal"`` gets a public external passthrough load balancer; port 6379 is
the Ray head's GCS port, which must never be reachable through a load
balancer at all.

Catalogue control: RF011, RF024 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import annotations, blocks, manifest_kind, manifest_of, value

ANNOTATION = "networking.gke.io/load-balancer-type"
FORBIDDEN_PORT = 6379


def _is_port(raw: Any, port: int) -> bool:
    return raw == port or (isinstance(raw, str) and raw.strip() == str(port))


class InternalLoadBalancerService(RayfortCheck):
    """Closes: Ray Services published on a public load balancer, or GCS port 6379 behind any load balancer."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_13",
            name="LoadBalancer Services are annotated Internal and do not expose port 6379",
            resources=("kubernetes_manifest",),
            categories=(CheckCategories.NETWORKING,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        manifest = manifest_of(conf)
        if manifest is None:
            return None
        api_version, kind = manifest_kind(manifest)
        if kind != "Service" or api_version != "v1":
            return None
        specs = blocks(manifest, "spec")
        if not specs or value(specs[0], "type", None) != "LoadBalancer":
            return None
        self.evaluated_keys = ["manifest/[0]/metadata/[0]/annotations", "manifest/[0]/spec/[0]/ports"]
        found = []
        load_balancer_type = annotations(manifest).get(ANNOTATION)
        if load_balancer_type != "Internal":
            found.append(f"annotation {ANNOTATION} is {load_balancer_type!r}, want 'Internal'")
        for port in blocks(specs[0], "ports"):
            for key in ("port", "targetPort"):
                if _is_port(value(port, key, None), FORBIDDEN_PORT):
                    found.append(f"ports[{value(port, 'name', '?')}].{key} exposes {FORBIDDEN_PORT}")
        return found


check = InternalLoadBalancerService()
