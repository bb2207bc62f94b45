"""The Terraform Cloud bootstrap: one small stack an organization administrator applies once per environment.

It creates the Terraform Cloud project and the environment's workspaces, the run triggers and the
remote-state sharing, and the Workload Identity Federation that gives each workspace short-lived
Google credentials. Its own state is local (bootstrap/state/<env>/), and holds no secret: the
administrator authenticates with `terraform login` (or TFE_TOKEN) and `gcloud auth
application-default login`, neither of which writes anything into this repository.
"""

from __future__ import annotations

from rayfort._cdk import App, Construct, LocalBackend, TerraformStack
from rayfort._providers import google, tfe
from rayfort.config import Environment
from rayfort.terraform_cloud.dynamic_credentials import DynamicCredentialsProps, TerraformCloudDynamicCredentials
from rayfort.terraform_cloud.plan import CloudPlan
from rayfort.terraform_cloud.workspaces import TerraformCloudWorkspaces, WorkspacesProps

STACK_ID = "tfc-bootstrap"


class TerraformCloudBootstrap(TerraformStack):
    """Workspaces and keyless Google credentials for every stack of one environment."""

    def __init__(self, scope: Construct, stack_id: str, env: Environment, plan: CloudPlan) -> None:
        super().__init__(scope, stack_id)
        # Relative to bootstrap/cdktf.out/stacks/<stack>/.
        LocalBackend(self, path=f"../../../state/{env.name}/{stack_id}.tfstate")
        google.GoogleProvider(
            self,
            "google",
            project=env.project_id,
            region=env.region,
            default_labels={
                "managed-by": "rayfort",
                "environment": env.name,
                "team": env.labels.team,
                "cost-center": env.labels.cost_center,
                "stack": stack_id,
            },
        )
        tfe.TfeProvider(self, "tfe", hostname=plan.state.hostname, organization=plan.state.organization)
        self.workspaces = TerraformCloudWorkspaces(self, "workspaces", WorkspacesProps(plan=plan))
        self.credentials = TerraformCloudDynamicCredentials(
            self,
            "credentials",
            DynamicCredentialsProps(
                plan=plan,
                project_id=env.project_id,
                identity_project_id=plan.state.identity_project or env.project_id,
                project_name=self.workspaces.project.name,
                workspace_ids={w.stack: self.workspaces.workspace_id(w.stack) for w in plan.workspaces},
            ),
        )


def build_bootstrap_app(env: Environment, plan: CloudPlan, outdir: str) -> App:
    app = App(outdir=outdir, skip_validation=False)
    TerraformCloudBootstrap(app, STACK_ID, env, plan)
    return app
