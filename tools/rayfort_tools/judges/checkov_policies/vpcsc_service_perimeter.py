"""CKV_RAYFORT_11: VPC Service Controls perimeter that actually fences rayfort's data services.

No built-in check looks at service perimeters. A perimeter that is a bridge,
has no configuration, leaves GKE/GCS/KMS/Artifact Registry unrestricted, or
lets VPC networks inside call any Google API (not only restricted ones) does
not stop data exfiltration. This check wants PERIMETER_TYPE_REGULAR (the
default), an enforced ``status`` or an explicit dry-run ``spec`` (with
``use_explicit_dry_run_spec = true``), and in every configuration present:
``restricted_services`` covering the required services, and
``vpc_accessible_services { enable_restriction = true, allowed_services =
["RESTRICTED-SERVICES"] }``. The plural ``..._service_perimeters`` resource is
judged perimeter by perimeter.

Catalogue control: RF021 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import block, blocks, is_true, string_list, value

REQUIRED_RESTRICTED = (
    "container.googleapis.com",
    "storage.googleapis.com",
    "cloudkms.googleapis.com",
    "artifactregistry.googleapis.com",
)
RESTRICTED_ONLY = ["RESTRICTED-SERVICES"]


def _config_problems(where: str, config: dict[str, Any]) -> list[str]:
    found = []
    restricted = set(string_list(config, "restricted_services"))
    missing = [service for service in REQUIRED_RESTRICTED if service not in restricted]
    if missing:
        found.append(f"{where}.restricted_services lacks {', '.join(missing)}")
    vpc = block(config, "vpc_accessible_services")
    if vpc is None:
        found.append(f"{where}.vpc_accessible_services is missing")
    else:
        if not is_true(value(vpc, "enable_restriction", None)):
            found.append(f"{where}.vpc_accessible_services.enable_restriction is not true")
        allowed = string_list(vpc, "allowed_services")
        if allowed != RESTRICTED_ONLY:
            found.append(
                f"{where}.vpc_accessible_services.allowed_services is {allowed!r}, want ['RESTRICTED-SERVICES']"
            )
    return found


def perimeter_problems(perimeter: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    perimeter_type = value(perimeter, "perimeter_type", "PERIMETER_TYPE_REGULAR")
    if perimeter_type != "PERIMETER_TYPE_REGULAR":
        found.append(f"{prefix}perimeter_type is {perimeter_type!r}, want PERIMETER_TYPE_REGULAR")
    status = block(perimeter, "status")
    spec = block(perimeter, "spec")
    dry_run = is_true(value(perimeter, "use_explicit_dry_run_spec", None))
    if spec is not None and not dry_run:
        found.append(f"{prefix}spec is set without use_explicit_dry_run_spec = true")
    if status is None and not (dry_run and spec is not None):
        found.append(f"{prefix}neither an enforced status nor an explicit dry-run spec is configured")
    if status is not None:
        found.extend(_config_problems(f"{prefix}status", status))
    if spec is not None:
        found.extend(_config_problems(f"{prefix}spec", spec))
    return found


class VPCSCServicePerimeter(RayfortCheck):
    """Closes: VPC-SC perimeters that leave rayfort's data services or API egress unfenced."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_11",
            name=(
                "VPC-SC perimeter is regular, configured, restricts GKE/GCS/KMS/AR and allows only restricted services"
            ),
            resources=(
                "google_access_context_manager_service_perimeter",
                "google_access_context_manager_service_perimeters",
            ),
            categories=(CheckCategories.NETWORKING,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["perimeter_type", "status", "spec", "use_explicit_dry_run_spec"]
        if self.entity_type == "google_access_context_manager_service_perimeters":
            perimeters = blocks(conf, "service_perimeters")
            if not perimeters:
                return ["service_perimeters is empty"]
            found = []
            for index, perimeter in enumerate(perimeters):
                found.extend(perimeter_problems(perimeter, f"service_perimeters[{index}]."))
            return found
        return perimeter_problems(conf)


check = VPCSCServicePerimeter()
