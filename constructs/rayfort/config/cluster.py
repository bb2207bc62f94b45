"""Settings of the private GKE cluster, its keys and its node pools."""

from __future__ import annotations

from typing import Literal, TYPE_CHECKING

from pydantic import Field, model_validator

from rayfort.config._types import Cidr, DnsLabel, Email, Model, Problem, ProjectId, Zone

if TYPE_CHECKING:
    from rayfort.config.environment import Environment

KEY_ID_PATTERN = r"^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/locations/[-a-z0-9]+/keyRings/[-_A-Za-z0-9]+/cryptoKeys/[-_A-Za-z0-9]+$"


class CreatedKeys(Model):
    """rayfort creates a key ring with one key for boot disks and one for secrets."""

    key_ring: str = Field(default="rayfort", pattern=r"^[-_A-Za-z0-9]{1,63}$")
    """Name of the key ring."""
    project_id: ProjectId | None = None
    """A separate KMS project; the cluster project when absent."""
    rotation_days: int = Field(default=90, ge=1, le=90)
    """Rotation period in days; at most 90."""


class ExistingKeys(Model):
    """Keys managed elsewhere, referenced by id."""

    boot_disk_key: str = Field(pattern=KEY_ID_PATTERN)
    """Key for node boot disks: projects/P/locations/L/keyRings/R/cryptoKeys/K."""
    secrets_key: str = Field(pattern=KEY_ID_PATTERN)
    """Key for application-layer secrets encryption."""


class KmsSettings(Model):
    """Customer-managed encryption keys; created by default."""

    create: CreatedKeys | None = CreatedKeys()
    """Create the keys (default)."""
    existing: ExistingKeys | None = None
    """Use existing keys instead; set create to null."""

    @model_validator(mode="after")
    def _one_source(self) -> KmsSettings:
        if (self.create is None) == (self.existing is None):
            raise ValueError("set exactly one of kms.create and kms.existing (set create: null to use existing keys)")
        return self


class Taint(Model):
    """A Kubernetes node taint."""

    key: str
    """Taint key."""
    value: str = ""
    """Taint value."""
    effect: Literal["NO_SCHEDULE", "PREFER_NO_SCHEDULE", "NO_EXECUTE"] = "NO_SCHEDULE"
    """Taint effect."""


class GpuSettings(Model):
    """Accelerators attached to every node of a pool."""

    type: str = Field(default="nvidia-l4", pattern=r"^nvidia-[-a-z0-9]+$")
    """Accelerator type, such as nvidia-l4."""
    count: int = Field(default=1, ge=1, le=16)
    """Accelerators per node."""
    driver_version: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"] = "DEFAULT"
    """GKE-managed driver installation."""


class NodePool(Model):
    """A node pool; every hardening setting is always on and not configurable here."""

    name: DnsLabel
    """Pool name, unique in the cluster."""
    machine_type: str = "n2d-standard-2"
    """Machine type; N2D supports confidential nodes with SEV."""
    zones: list[Zone] = []
    """Node zones; the environment's first zone when empty."""
    min_nodes: int = Field(default=1, ge=0)
    """Autoscaling minimum per zone."""
    max_nodes: int = Field(default=4, ge=1)
    """Autoscaling maximum per zone."""
    disk_size_gb: int = Field(default=100, ge=20)
    """Boot disk size."""
    disk_type: Literal["pd-balanced", "pd-ssd", "hyperdisk-balanced"] = "pd-balanced"
    """Boot disk type."""
    confidential_instance_type: Literal["SEV", "SEV_SNP", "TDX"] | None = "SEV"
    """Confidential computing technology; null turns confidential nodes off and needs a waiver."""
    gpu: GpuSettings | None = None
    """Accelerators; the pool is then tainted nvidia.com/gpu=present:NoSchedule."""
    sandbox: bool = False
    """Run pods in GKE Sandbox (gVisor), for untrusted tenant code."""
    spot: bool = False
    """Use Spot VMs."""
    labels: dict[str, str] = {}
    """Kubernetes node labels."""
    taints: list[Taint] = []
    """Extra node taints."""

    @model_validator(mode="after")
    def _bounds(self) -> NodePool:
        if self.min_nodes > self.max_nodes:
            raise ValueError(f"min_nodes ({self.min_nodes}) must not exceed max_nodes ({self.max_nodes})")
        return self


class AuthorizedNetwork(Model):
    """A range allowed to reach the control plane's private endpoint."""

    cidr: Cidr
    """Source range; never 0.0.0.0/0."""
    display_name: str
    """What the range is, for reviewers."""


class MaintenanceWindow(Model):
    """A recurring window in which GKE may upgrade the cluster."""

    start_time: str = "2026-01-03T02:00:00Z"
    """RFC 3339 start of the first window."""
    end_time: str = "2026-01-03T08:00:00Z"
    """RFC 3339 end of the first window."""
    recurrence: str = "FREQ=WEEKLY;BYDAY=SA,SU"
    """RFC 5545 recurrence rule."""


class ClusterSettings(Model):
    """The GKE cluster all tenants share."""

    name: DnsLabel = "rayfort"
    """Cluster name."""
    mode: Literal["standard", "autopilot"] = "standard"
    """standard manages node pools here; autopilot leaves them to GKE."""
    release_channel: Literal["REGULAR", "STABLE"] = "REGULAR"
    """Release channel; never UNSPECIFIED."""
    control_plane_access: Literal["internal_ip", "dns_endpoint", "connect_gateway"] = "internal_ip"
    """How operators and Terraform reach the private control plane."""
    master_authorized_networks: list[AuthorizedNetwork] = []
    """Extra ranges allowed to the private endpoint; the node subnet is always allowed."""
    security_group: Email | None = None
    """The gke-security-groups Google group for Google Groups for RBAC."""
    maintenance_window: MaintenanceWindow = MaintenanceWindow()
    """When GKE may upgrade."""
    node_pools: list[NodePool] = [NodePool(name="default")]
    """Node pools (standard mode only)."""
    binary_authorization_registries: list[str] = []
    """Extra image path patterns Binary Authorization admits, besides rayfort's."""
    kms: KmsSettings = KmsSettings()
    """Customer-managed encryption keys."""

    @model_validator(mode="after")
    def _no_open_control_plane(self) -> ClusterSettings:
        for network in self.master_authorized_networks:
            if network.cidr == "0.0.0.0/0":
                raise ValueError("master_authorized_networks must never contain 0.0.0.0/0")
        return self


class RegistryMirror(Model):
    """The private Artifact Registry that holds every image and chart in air-gapped mode."""

    project_id: ProjectId | None = None
    """Project of the mirror; the cluster project when absent."""
    location: str | None = None
    """Region of the mirror; the environment's region when absent."""
    repository: DnsLabel = "rayfort-mirror"
    """Repository id for Docker images."""
    chart_repository: DnsLabel = "rayfort-charts"
    """Repository id for Helm charts (OCI)."""
    create: bool = True
    """Create the repositories here, or reference existing ones."""


__all__ = [
    "AuthorizedNetwork",
    "Cidr",
    "ClusterSettings",
    "CreatedKeys",
    "ExistingKeys",
    "GpuSettings",
    "KmsSettings",
    "MaintenanceWindow",
    "NodePool",
    "RegistryMirror",
    "Taint",
    "problems",
]


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    return []
