"""Organization policy constraints set on the cluster project by the code that checks them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.config.org_policy import CMEK_SERVICES

BOOLEAN_CONSTRAINTS = frozenset(
    {
        "compute.requireShieldedVm",
        "compute.requireOsLogin",
        "iam.disableServiceAccountKeyCreation",
    }
)


@dataclass(frozen=True)
class ProjectOrgPoliciesProps:
    """Inputs of ProjectOrgPolicies."""

    project_id: str
    """Project the policies are set on."""
    constraints: tuple[str, ...]
    """Constraint names without the constraints/ prefix."""
    allowed_locations: tuple[str, ...] = ()
    """Values of gcp.resourceLocations."""
    allowed_kms_projects: tuple[str, ...] = ()
    """Projects gcp.restrictCmekCryptoKeyProjects allows."""


def policy_rule(constraint: str, props: ProjectOrgPoliciesProps) -> dict[str, Any]:
    """The single rule that enforces ``constraint`` the way rayfort checks it."""
    if constraint in BOOLEAN_CONSTRAINTS:
        return {"enforce": "TRUE"}
    if constraint == "gcp.resourceLocations":
        return {"values": {"allowed_values": list(props.allowed_locations)}}
    if constraint == "gcp.restrictCmekCryptoKeyProjects":
        return {"values": {"allowed_values": [f"under:projects/{project}" for project in props.allowed_kms_projects]}}
    if constraint == "gcp.restrictNonCmekServices":
        return {"values": {"denied_values": list(CMEK_SERVICES)}}
    if constraint == "compute.restrictNonConfidentialComputing":
        return {"values": {"denied_values": ["compute.googleapis.com"]}}
    if constraint == "compute.vmExternalIpAccess":
        return {"deny_all": "TRUE"}
    raise ValueError(f"rayfort does not set constraints/{constraint} on a project")


class ProjectOrgPolicies(Construct):
    """One google_org_policy_policy per enforced constraint, on the cluster project.

    ``iam.disableWorkloadIdentityClusterCreation`` is never set: rayfort refuses an
    environment that declares it, because every tenant identity relies on Workload
    Identity.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ProjectOrgPoliciesProps) -> None:
        super().__init__(scope, construct_id)
        self.policies = {
            constraint: google.OrgPolicyPolicy(
                self,
                constraint.replace(".", "-"),
                parent=f"projects/{props.project_id}",
                name=f"projects/{props.project_id}/policies/{constraint}",
                spec={"rules": [policy_rule(constraint, props)]},
            )
            for constraint in props.constraints
        }
