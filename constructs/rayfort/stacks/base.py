"""What every rayfort stack shares: its own state, and providers configured from references."""

from __future__ import annotations

from rayfort._cdk import CloudBackend, Construct, Fn, GcsBackend, LocalBackend, NamedCloudWorkspace, TerraformStack
from rayfort._providers import google, helm, kubernetes
from rayfort.config import Environment
from rayfort.config.state import CloudState, GcsState, LocalState
from rayfort.gke.cluster import ClusterAccess


class RayfortStack(TerraformStack):
    """A stack with its own state and a Google provider labelled for the environment."""

    def __init__(self, scope: Construct, stack_id: str, env: Environment) -> None:
        super().__init__(scope, stack_id)
        self.env = env
        self.stack_id = stack_id
        _configure_state(self, env, stack_id)
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

    def use_cluster(self, access: ClusterAccess) -> None:
        """Configure the kubernetes and helm providers with a short-lived token for ``access``."""
        client = google.DataGoogleClientConfig(self, "google_client")
        connection = {"host": f"https://{access.host}", "token": client.access_token}
        if access.ca_certificate is not None:
            connection["cluster_ca_certificate"] = Fn.base64decode(access.ca_certificate)
        kubernetes.KubernetesProvider(self, "kubernetes", **connection)
        helm.HelmProvider(self, "helm", kubernetes=connection)


def _configure_state(stack: TerraformStack, env: Environment, stack_id: str) -> None:
    state = env.state
    if isinstance(state, LocalState):
        # Relative to cdktf.out/stacks/<stack>/, so the state lands in <project>/<directory>/.
        LocalBackend(stack, path=f"../../../{state.directory}/{env.name}/{stack_id}.tfstate")
    elif isinstance(state, GcsState):
        GcsBackend(stack, bucket=state.bucket, prefix=f"{state.prefix}/{env.name}/{stack_id}")
    elif isinstance(state, CloudState):
        CloudBackend(
            stack,
            hostname=state.hostname,
            organization=state.organization,
            workspaces=NamedCloudWorkspace(workspace_name(state, env, stack_id)),
        )


def workspace_name(state: CloudState, env: Environment, stack_id: str) -> str:
    """Terraform Cloud workspace of a stack: <prefix>-<env>-<stack>, a contract with TFC admins."""
    return f"{state.workspace_prefix}-{env.name}-{stack_id}"
