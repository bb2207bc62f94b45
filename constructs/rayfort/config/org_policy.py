"""The organization policy constraints an environment declares to be in force."""

from __future__ import annotations

import re
from typing import Literal

from rayfort.config._types import Model, ProjectId, zone_region

Constraint = Literal[
    "gcp.resourceLocations",
    "compute.requireShieldedVm",
    "compute.requireOsLogin",
    "compute.restrictNonConfidentialComputing",
    "compute.vmExternalIpAccess",
    "iam.disableWorkloadIdentityClusterCreation",
    "gcp.restrictNonCmekServices",
    "gcp.restrictCmekCryptoKeyProjects",
    "iam.disableServiceAccountKeyCreation",
]


class OrgPolicies(Model):
    """Constraints in force on the project; synth refuses a configuration that breaks one."""

    enforced: list[Constraint] = []
    """Constraint names in force, without the constraints/ prefix."""
    allowed_locations: list[str] = []
    """For gcp.resourceLocations: regions, zones or value groups such as in:europe-locations."""
    allowed_kms_projects: list[ProjectId] = []
    """For gcp.restrictCmekCryptoKeyProjects: projects allowed to supply CMEK keys."""
    manage: bool = False
    """Also set the enforced constraints on the project with google_org_policy_policy."""


# Value groups of gcp.resourceLocations rayfort can resolve, by the regions they contain.
CONTINENT_GROUPS = {
    "in:europe-locations": ("europe-",),
    "in:us-locations": ("us-",),
    "in:northamerica-locations": ("northamerica-", "us-"),
    "in:southamerica-locations": ("southamerica-",),
    "in:asia-locations": ("asia-",),
    "in:australia-locations": ("australia-",),
}
# The regions in European Union member states.
_EU_REGIONS = frozenset(
    {
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west3",
        "europe-west4",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
    }
)
_REGION_GROUP = re.compile(r"^in:([a-z]+-[a-z]+[0-9]+)-locations$")
KEY_PROJECT = re.compile(r"^projects/([^/]+)/locations/([^/]+)/")
# Services whose resources rayfort encrypts with its keys: what gcp.restrictNonCmekServices denies.
CMEK_SERVICES = (
    "artifactregistry.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "redis.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
)


def location_allowed(location: str, allowed: list[str]) -> bool:
    """Whether a region or zone is inside the allowed list of gcp.resourceLocations.

    A plain value admits exactly that location (a region does not admit its zones);
    value groups admit their regions and every zone of them.
    """
    region = zone_region(location) or location
    for entry in allowed:
        if entry in (location, f"in:{region}-locations"):
            return True
        if entry == "in:eu-locations" and region in _EU_REGIONS:
            return True
        if region.startswith(CONTINENT_GROUPS.get(entry, ())):
            return True
    return False


def unresolvable_groups(allowed: list[str]) -> list[str]:
    return [
        entry
        for entry in allowed
        if entry.startswith("in:")
        and entry not in CONTINENT_GROUPS
        and entry != "in:eu-locations"
        and not _REGION_GROUP.match(entry)
    ]
