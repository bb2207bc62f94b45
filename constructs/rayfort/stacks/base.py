"""What every rayfort stack shares: where it deploys, its own state, and providers configured from references."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import (
    CloudBackend,
    Construct,
    Fn,
    GcsBackend,
    LocalBackend,
    NamedCloudWorkspace,
    TerraformProvider,
    TerraformStack,
)
from rayfort._providers import google, google_beta, helm, kubernetes
from rayfort.audit.deploy_record import DeployRecord
from rayfort.config import Environment
from rayfort.config.environment import ResourceLabels
from rayfort.config.state import CloudState, GcsState, LocalState, StateBackend
from rayfort.gke.cluster import ClusterAccess


@dataclass(frozen=True)
class Platform:
    """Where the stacks of one environment deploy, how their resources are labelled and where state lives."""

    project_id: str
    """The project of the cluster and of everything not placed elsewhere."""
    region: str
    """The region of the cluster and its network."""
    environment: str
    """The environment's name, in labels, state paths and workspace names."""
    labels: ResourceLabels
    """Owning team and cost center, on every resource."""
    state: StateBackend = LocalState()
    """Local files by default; GCS or Terraform Cloud for teams."""

    @classmethod
    def of(cls, env: Environment) -> Platform:
        return cls(
            project_id=env.project_id, region=env.region, environment=env.name, labels=env.labels, state=env.state
        )


class RayfortStack(TerraformStack):
    """A stack with its own state and a Google provider labelled for the environment."""

    def __init__(self, scope: Construct, stack_id: str, platform: Platform) -> None:
        super().__init__(scope, stack_id)
        _configure_state(self, platform, stack_id)
        self._platform, self._stack_id = platform, stack_id
        self._google_beta: TerraformProvider | None = None
        provider = google.GoogleProvider(self, "google", project=platform.project_id, region=platform.region)
        # Set as an override: the provider's typed map argument has its keys snake-cased by the framework
        # (hashicorp/terraform-cdk#2681), which would turn `cost-center` into `cost_center`.
        provider.add_override("default_labels", provider_labels(platform, stack_id))
        DeployRecord(self, "deploy-record", stack_id)

    def use_google_beta(self) -> TerraformProvider:
        """The google-beta provider, configured like the google one, for the few resources only it has.

        Terraform gives a resource the provider its type names (``google_...``: google), so each
        google-beta resource must name this one as its ``provider``.
        """
        if self._google_beta is None:
            platform = self._platform
            self._google_beta = google_beta.GoogleBetaProvider(
                self, "google-beta", project=platform.project_id, region=platform.region
            )
            self._google_beta.add_override("default_labels", provider_labels(platform, self._stack_id))
        return self._google_beta

    def use_cluster(self, access: ClusterAccess, *, charts: bool = False) -> None:
        """Configure the kubernetes provider with a short-lived token for ``access``, and the helm one for ``charts``.

        Only a stack that installs charts gets the helm provider: anywhere else it would be one more
        provider to install and hold the cluster's token, for nothing.
        """
        client = google.DataGoogleClientConfig(self, "google_client")
        connection = {"host": f"https://{access.host}", "token": client.access_token}
        if access.ca_certificate is not None:
            connection["cluster_ca_certificate"] = Fn.base64decode(access.ca_certificate)
        kubernetes.KubernetesProvider(self, "kubernetes", **connection)
        if charts:
            helm.HelmProvider(self, "helm", kubernetes=connection)


def provider_labels(platform: Platform, stack_id: str) -> dict[str, str]:
    """The labels the Google provider puts on every resource of ``stack_id``, keys exactly as written."""
    return {
        "managed-by": "rayfort",
        "environment": platform.environment,
        "team": platform.labels.team,
        "cost-center": platform.labels.cost_center,
        "stack": stack_id,
    }


def _configure_state(stack: TerraformStack, platform: Platform, stack_id: str) -> None:
    state = platform.state
    if isinstance(state, LocalState):
        # Relative to cdktf.out/stacks/<stack>/, so the state lands in <project>/<directory>/.
        LocalBackend(stack, path=f"../../../{state.directory}/{platform.environment}/{stack_id}.tfstate")
    elif isinstance(state, GcsState):
        GcsBackend(stack, bucket=state.bucket, prefix=f"{state.prefix}/{platform.environment}/{stack_id}")
    elif isinstance(state, CloudState):
        CloudBackend(
            stack,
            hostname=state.hostname,
            organization=state.organization,
            workspaces=NamedCloudWorkspace(workspace_name(state, platform.environment, stack_id)),
        )


def workspace_name(state: CloudState, environment: str, stack_id: str) -> str:
    """Terraform Cloud workspace of a stack: <prefix>-<env>-<stack>, a contract with TFC admins."""
    return f"{state.workspace_prefix}-{environment}-{stack_id}"
