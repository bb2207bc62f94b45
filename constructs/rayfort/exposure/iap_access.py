"""IapTenantAccess: a tenant's groups may pass IAP for that tenant's host, and no other.

``roles/iap.httpsResourceAccessor`` on the project's IAP web resource would
admit a group to every IAP-protected dashboard in the project. The grant
carries an IAM condition on ``request.host`` so each team reaches only its own
dashboard, whichever backend the load balancer routes to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google

ACCESSOR_ROLE = "roles/iap.httpsResourceAccessor"


def host_condition(host: str) -> str:
    """The CEL expression admitting requests for exactly ``host``."""
    return f"request.host == {json.dumps(host)}"


@dataclass(frozen=True)
class IapTenantAccessProps:
    """Inputs of IapTenantAccess."""

    project: str
    """Project of the IAP web resource."""
    tenant: str
    """Tenant name, used in the condition title."""
    host: str
    """The tenant's dashboard host; the only host the grant admits."""
    groups: tuple[str, ...]
    """Google group emails admitted."""
    role: str = ACCESSOR_ROLE
    """IAP-secured Web App User."""


class IapTenantAccess(Construct):
    """One conditional IAP accessor grant per group of a tenant."""

    def __init__(self, scope: Construct, construct_id: str, props: IapTenantAccessProps) -> None:
        super().__init__(scope, construct_id)
        if not props.groups:
            raise ValueError(f"tenant {props.tenant} has no group to admit through IAP")
        condition = {
            "title": f"only-{props.tenant}-dashboard",
            "description": f"IAP admits this group to {props.host} only",
            "expression": host_condition(props.host),
        }
        self.members = [
            google.IapWebIamMember(
                self,
                group,
                project=props.project,
                role=props.role,
                member=f"group:{group}",
                condition=condition,
            )
            for group in props.groups
        ]
