"""One Terraform Cloud workspace per stack, chained by run triggers, sharing state only with its readers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import tfe
from rayfort.terraform_cloud.plan import CloudPlan


@dataclass(frozen=True)
class WorkspacesProps:
    """The plan to create; every workspace is hardened the same way."""

    plan: CloudPlan
    """Workspaces, run triggers and state sharing, derived from the synthesized app."""
    terraform_version: str = "1.11.4"
    """Terraform version of the runs (pinned, so a run never moves to a new release unreviewed)."""


class TerraformCloudWorkspaces(Construct):
    """A project, its workspaces in deploy order, run triggers and remote-state consumers.

    Secure defaults: no auto-apply (every apply is confirmed after its plan is reviewed), no global
    remote state (only the stacks that read a workspace may), health assessments on (drift shows up),
    and runs on the VPC's agent pool for stacks that talk to the private control plane.
    """

    def __init__(self, scope: Construct, construct_id: str, props: WorkspacesProps) -> None:
        super().__init__(scope, construct_id)
        plan, state = props.plan, props.plan.state
        self.project = tfe.Project(
            self,
            "project",
            organization=state.organization,
            name=state.project or f"{state.workspace_prefix}-{plan.environment}",
            description=f"rayfort environment {plan.environment}, managed by its bootstrap",
        )
        self.workspaces: dict[str, Any] = {}
        for workspace in plan.workspaces:
            directory = f"deploy/{plan.environment}/{workspace.stack}"
            vcs: dict[str, Any] = (
                {
                    "vcs_repo": {
                        "identifier": state.vcs.repository,
                        "branch": state.vcs.branch,
                        "oauth_token_id": state.vcs.oauth_token_id,
                    },
                    "working_directory": directory,
                    "trigger_prefixes": [directory],
                    "file_triggers_enabled": True,
                }
                if state.vcs is not None
                else {}
            )
            self.workspaces[workspace.stack] = tfe.Workspace(
                self,
                workspace.stack,
                name=workspace.name,
                organization=state.organization,
                project_id=self.project.id,
                description=f"rayfort stack {workspace.stack} of environment {plan.environment}",
                terraform_version=props.terraform_version,
                queue_all_runs=False,
                tag_names=["rayfort", f"env-{plan.environment}"],
                **vcs,
            )
        for workspace in plan.workspaces:
            agent = workspace.on_agents
            tfe.WorkspaceSettings(
                self,
                f"{workspace.stack}-settings",
                workspace_id=self.workspaces[workspace.stack].id,
                execution_mode="agent" if agent else "remote",
                agent_pool_id=state.agent_pool_id if agent else None,
                auto_apply=False,
                assessments_enabled=True,
                global_remote_state=False,
                remote_state_consumer_ids=[self.workspaces[reader].id for reader in workspace.read_by],
            )
            for upstream in workspace.run_after:
                tfe.RunTrigger(
                    self,
                    f"{workspace.stack}-after-{upstream}",
                    workspace_id=self.workspaces[workspace.stack].id,
                    sourceable_id=self.workspaces[upstream].id,
                )

    def workspace_id(self, stack: str) -> str:
        return self.workspaces[stack].id
