"""CKV_RAYFORT_16: load balancer SSL policies require TLS 1.2+ with the MODERN or RESTRICTED profile.

CKV_GCP_4 passes a RESTRICTED profile whatever ``min_tls_version`` says
(left out, it is TLS_1_0) and passes CUSTOM profiles; it only demands TLS
1.2 alongside MODERN. This check wants ``min_tls_version`` TLS_1_2 or
TLS_1_3 and ``profile`` MODERN or RESTRICTED, both explicit.

Catalogue control: RF027 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import value

TLS_VERSIONS = ("TLS_1_2", "TLS_1_3")
PROFILES = ("MODERN", "RESTRICTED")


class SSLPolicyTLS(RayfortCheck):
    """Closes: HTTPS load balancers negotiating TLS 1.0/1.1 or weak cipher profiles."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_16",
            name="SSL policy sets min_tls_version TLS_1_2+ and profile MODERN or RESTRICTED",
            resources=("google_compute_ssl_policy", "google_compute_region_ssl_policy"),
            categories=(CheckCategories.NETWORKING,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["min_tls_version", "profile"]
        found = []
        tls = value(conf, "min_tls_version", None)
        if tls not in TLS_VERSIONS:
            found.append(f"min_tls_version is {tls!r}, want TLS_1_2 or TLS_1_3 (unset means TLS_1_0)")
        profile = value(conf, "profile", None)
        if profile not in PROFILES:
            found.append(f"profile is {profile!r}, want MODERN or RESTRICTED (unset means COMPATIBLE)")
        return found


check = SSLPolicyTLS()
