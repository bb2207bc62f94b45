"""CKV_RAYFORT_12: every GKE BackendConfig puts Identity-Aware Proxy in front of its backends.

No built-in check reads ``kubernetes_manifest``. A BackendConfig
(cloud.google.com) without ``spec.iap.enabled = true`` lets an Ingress reach
the Ray dashboard or Serve endpoints with no identity check.

Catalogue control: RF042 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import blocks, is_true, manifest_kind, manifest_of, path_value


class BackendConfigIAP(RayfortCheck):
    """Closes: BackendConfigs exposing backends through a load balancer without IAP."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_12",
            name="GKE BackendConfig manifests enable IAP (spec.iap.enabled = true)",
            resources=("kubernetes_manifest",),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        manifest = manifest_of(conf)
        if manifest is None:
            return None
        api_version, kind = manifest_kind(manifest)
        if kind != "BackendConfig" or not (
            isinstance(api_version, str) and api_version.startswith("cloud.google.com/")
        ):
            return None
        self.evaluated_keys = ["manifest/[0]/spec/[0]/iap/[0]/enabled"]
        specs = blocks(manifest, "spec")
        if not specs or not is_true(path_value(specs[0], "iap.enabled", None)):
            return ["BackendConfig spec.iap.enabled is not true"]
        return []


check = BackendConfigIAP()
