"""Google credentials for Terraform Cloud runs without any key: Workload Identity Federation.

Terraform Cloud signs an OIDC token for every run phase; Google's STS exchanges it for a short-lived
token of the workspace's own service account. The pool's provider accepts only tokens of this
organization, this project and these workspaces; each service account trusts exactly one workspace
(by its immutable id). The workspaces learn where to exchange the token from TFC_GCP_* variables, none
of which is a secret. Sources: HashiCorp, "Dynamic Credentials with the GCP Provider" (the TFC_GCP_*
variables and the token's claims); Google, "Workload Identity Federation with deployment pipelines".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google, tfe
from rayfort.terraform_cloud.plan import CloudPlan

# The claims of a Terraform Cloud run token that a condition or a binding may name.
ATTRIBUTE_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.aud": "assertion.aud",
    "attribute.terraform_run_phase": "assertion.terraform_run_phase",
    "attribute.terraform_project_id": "assertion.terraform_project_id",
    "attribute.terraform_project_name": "assertion.terraform_project_name",
    "attribute.terraform_workspace_id": "assertion.terraform_workspace_id",
    "attribute.terraform_workspace_name": "assertion.terraform_workspace_name",
    "attribute.terraform_organization_name": "assertion.terraform_organization_name",
    "attribute.terraform_run_id": "assertion.terraform_run_id",
}
REQUIRED_SERVICES = ("iam.googleapis.com", "iamcredentials.googleapis.com", "sts.googleapis.com")


def account_id(prefix: str, stack: str) -> str:
    """A service account id (6-30 characters) for a stack's workspace; long names end in a stable hash."""
    name = f"{prefix}-{stack}"
    if len(name) <= 30:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[:23].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class DynamicCredentialsProps:
    """Where the pool lives and which workspaces it serves."""

    plan: CloudPlan
    """The environment's workspaces."""
    project_id: str
    """The environment's project, where the runners get their roles."""
    identity_project_id: str
    """Project of the pool and the runners' service accounts (state.identity_project, or project_id)."""
    project_name: str
    """Terraform Cloud project the workspaces belong to: tokens from any other project are refused."""
    workspace_ids: dict[str, str]
    """{stack: Terraform Cloud workspace id}."""


class TerraformCloudDynamicCredentials(Construct):
    """A workload identity pool and OIDC provider for Terraform Cloud, and one impersonated account per workspace."""

    def __init__(self, scope: Construct, construct_id: str, props: DynamicCredentialsProps) -> None:
        super().__init__(scope, construct_id)
        plan, state = props.plan, props.plan.state
        services = [
            google.ProjectService(
                self,
                f"service-{api.split('.')[0]}",
                project=props.identity_project_id,
                service=api,
                disable_on_destroy=False,
            )
            for api in REQUIRED_SERVICES
        ]
        pool_id = f"tfc-{plan.environment}"[:32].rstrip("-")
        self.pool = google.IamWorkloadIdentityPool(
            self,
            "pool",
            project=props.identity_project_id,
            workload_identity_pool_id=pool_id,
            display_name=f"Terraform Cloud {plan.environment}"[:32],
            description=f"Runs of the rayfort {plan.environment} workspaces in {state.organization}",
            depends_on=services,
        )
        names = json.dumps([workspace.name for workspace in plan.workspaces])
        self.provider = google.IamWorkloadIdentityPoolProvider(
            self,
            "provider",
            project=props.identity_project_id,
            workload_identity_pool_id=self.pool.workload_identity_pool_id,
            workload_identity_pool_provider_id="terraform-cloud",
            display_name="Terraform Cloud",
            attribute_mapping=ATTRIBUTE_MAPPING,
            attribute_condition=(
                f"assertion.terraform_organization_name == {json.dumps(state.organization)}"
                f" && assertion.terraform_project_name == {json.dumps(props.project_name)}"
                f" && assertion.terraform_workspace_name in {names}"
            ),
            oidc={"issuer_uri": f"https://{state.hostname}"},
        )
        self.service_accounts = {}
        for workspace in plan.workspaces:
            stack, workspace_id = workspace.stack, props.workspace_ids[workspace.stack]
            account = google.ServiceAccount(
                self,
                f"{stack}-runner",
                project=props.identity_project_id,
                account_id=account_id(f"tfc-{plan.environment}", stack),
                display_name=f"Terraform Cloud runs of {workspace.name}",
            )
            self.service_accounts[stack] = account
            google.ServiceAccountIamMember(
                self,
                f"{stack}-runner-federation",
                service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=(
                    f"principalSet://iam.googleapis.com/{self.pool.name}"
                    f"/attribute.terraform_workspace_id/{workspace_id}"
                ),
            )
            for project, role in workspace.project_roles:
                # The environment's own project keeps the ids it had before roles were granted per project.
                where = "" if project == props.project_id else f"-in-{project}"
                google.ProjectIamMember(
                    self,
                    f"{stack}-runner-{role.removeprefix('roles/').replace('.', '-')}{where}",
                    project=project,
                    role=role,
                    member=account.member,
                )
            variables = {
                "TFC_GCP_PROVIDER_AUTH": "true",
                "TFC_GCP_RUN_SERVICE_ACCOUNT_EMAIL": account.email,
                "TFC_GCP_WORKLOAD_PROVIDER_NAME": self.provider.name,
            }
            for key, value in variables.items():
                tfe.Variable(
                    self,
                    f"{stack}-{key.lower().replace('_', '-')}",
                    workspace_id=workspace_id,
                    key=key,
                    value=value,
                    category="env",
                    sensitive=False,
                    description="Workload Identity Federation: short-lived Google credentials for each run",
                )
