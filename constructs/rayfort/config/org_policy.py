"""The organization policy constraints an environment declares to be in force."""

from __future__ import annotations

from typing import Literal, TYPE_CHECKING

from rayfort.config._types import Model, Problem, ProjectId

if TYPE_CHECKING:
    from rayfort.config.environment import Environment

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


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    return []
