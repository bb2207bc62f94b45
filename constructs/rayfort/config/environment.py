"""The root model of an environment file, and the rules that span several fields."""

from __future__ import annotations

from pydantic import Field

from rayfort.config._types import DnsLabel, Model, OrganizationId, ProjectId, Region, Zone
from rayfort.config.audit import AuditSettings
from rayfort.config.cluster import ClusterSettings, RegistryMirror
from rayfort.config.deployer import Deployer
from rayfort.config.exposure import ExposureSettings
from rayfort.config.kuberay import OPERATOR_NAMESPACE, KubeRaySettings
from rayfort.config.network import NetworkSettings
from rayfort.config.org_policy import OrgPolicies
from rayfort.config.quotas import ProjectQuotas
from rayfort.config.state import LocalState, StateBackend
from rayfort.config.tenant import TenantSettings
from rayfort.config.waivers import Waiver

# Namespaces a tenant may not take: they belong to Kubernetes, GKE or rayfort itself.
RESERVED_NAMESPACES = frozenset(
    {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "gke-managed-system",
        "gmp-system",
        "gmp-public",
        OPERATOR_NAMESPACE,
        "cert-manager",
    }
)
MIN_TOKEN_AUTH_RAY = (2, 52)


class ResourceLabels(Model):
    """Labels put on every Google Cloud resource, for ownership and cost."""

    team: str = Field(pattern=r"^[-_a-z0-9]{1,63}$")
    """Owning team."""
    cost_center: str = Field(pattern=r"^[-_a-z0-9]{1,63}$")
    """Cost center billed."""


class Environment(Model):
    """One deployment of rayfort: a project, a cluster and its tenants."""

    name: DnsLabel
    """Environment name, used in resource and workspace names."""
    organization_id: OrganizationId
    """Numeric Google Cloud organization id."""
    project_id: ProjectId
    """Project that holds the cluster."""
    region: Region
    """Region of the cluster and its network."""
    zones: list[Zone] = Field(min_length=1)
    """Zones for node pools, all in the region."""
    labels: ResourceLabels
    """Labels on every resource."""
    state: StateBackend = LocalState()
    """Where each stack's Terraform state lives."""
    network: NetworkSettings = NetworkSettings()
    """The private VPC."""
    org_policies: OrgPolicies = OrgPolicies()
    """Organization policy constraints in force."""
    cluster: ClusterSettings = ClusterSettings()
    """The GKE cluster."""
    registry_mirror: RegistryMirror | None = None
    """Private registry of images and charts; required when network.egress is none."""
    kuberay: KubeRaySettings = KubeRaySettings()
    """The KubeRay operator."""
    tenants: list[TenantSettings] = []
    """Teams, each with an isolated Ray cluster."""
    retired_tenants: list[DnsLabel] = []
    """Offboarded teams whose stacks were destroyed; only a tenant named here may leave tenants."""
    exposure: ExposureSettings = ExposureSettings()
    """Publishing dashboards and clients."""
    quotas: ProjectQuotas = ProjectQuotas()
    """The project's quotas on what grows with tenants; synth refuses an environment above them."""
    deployer: Deployer = Deployer()
    """Who runs Terraform and from where; the control plane access and the perimeter's ingress follow."""
    audit: AuditSettings = AuditSettings()
    """Locked retention of audit logs, and where alerts go."""
    waivers: list[Waiver] = []
    """Explicit, reasoned exceptions to synth-time rules."""

    @property
    def airgapped(self) -> bool:
        """No internet egress at all: every image and chart comes from the private mirror."""
        return self.network.egress == "none"
