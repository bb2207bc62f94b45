"""Settings of the private GKE cluster, its keys and its node pools."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from rayfort.config._types import (
    Cidr,
    DnsLabel,
    Email,
    KubernetesLabelValue,
    Model,
    NodeLabelKey,
    ProjectId,
    Rfc3339Time,
    TaintKey,
    Zone,
    field_error,
)
from rayfort.config.recurrence import Recurrence

MAX_NODES_PER_ZONE = 1000
RESERVED_KEY_PREFIX = "rayfort.dev/"
"""Node label and taint keys rayfort sets itself; a pool's own labels and taints may not use them."""
MAX_DISK_SIZE_GB = 65536
KEY_ID_PATTERN = (
    r"^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/locations/[-a-z0-9]+/keyRings/[-_A-Za-z0-9]+/cryptoKeys/[-_A-Za-z0-9]+$"
)


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
        if self.create is not None and self.existing is not None:
            raise field_error(
                "existing", "set exactly one of kms.create and kms.existing (set create: null to use existing keys)"
            )
        if self.create is None and self.existing is None:
            raise field_error("existing", "set exactly one of kms.create and kms.existing: both are missing")
        return self


class Taint(Model):
    """A Kubernetes node taint."""

    key: TaintKey
    """Taint key: a Kubernetes qualified name, such as example.com/dedicated."""
    value: KubernetesLabelValue = ""
    """Taint value: empty, or a Kubernetes label value."""
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
    # GKE runs at most 1,000 nodes per node pool per zone (GKE quotas and limits).
    min_nodes: int = Field(default=1, ge=0, le=MAX_NODES_PER_ZONE)
    """Autoscaling minimum per zone."""
    max_nodes: int = Field(default=4, ge=1, le=MAX_NODES_PER_ZONE)
    """Autoscaling maximum per zone; at most 1,000."""
    # A persistent disk or Hyperdisk Balanced volume holds at most 64 TiB (Compute Engine disk limits).
    disk_size_gb: int = Field(default=100, ge=20, le=MAX_DISK_SIZE_GB)
    """Boot disk size; 20 GB to 64 TiB."""
    disk_type: Literal["pd-balanced", "pd-ssd", "hyperdisk-balanced"] = "pd-balanced"
    """Boot disk type."""
    confidential_instance_type: Literal["SEV", "SEV_SNP", "TDX"] | None = "SEV"
    """Confidential computing technology, matching the machine family; null turns confidential nodes off (waiver)."""
    gpu: GpuSettings | None = None
    """Accelerators; the pool is then tainted nvidia.com/gpu=present:NoSchedule."""
    sandbox: bool = False
    """GKE Sandbox (gVisor): only gVisor pods run here; absent tenants: every tenant with sandboxed pods."""
    spot: bool = False
    """Use Spot VMs."""
    labels: dict[NodeLabelKey, KubernetesLabelValue] = {}
    """Kubernetes node labels; keys outside the kubernetes.io and k8s.io namespaces."""
    taints: list[Taint] = []
    """Extra node taints; a tainted pool runs only the worker groups that name it in node_pool."""
    tenants: list[DnsLabel] | None = None
    """Tenants whose pods may run here; absent: all without own pools on a plain confidential CPU pool, else none."""
    dedicated: bool = False
    """Reserve the pool for the one tenant in tenants: its nodes are tainted and labelled rayfort.dev/tenant=<name>."""

    @model_validator(mode="after")
    def _bounds(self) -> NodePool:
        if self.min_nodes > self.max_nodes:
            raise field_error("min_nodes", f"must not exceed max_nodes ({self.max_nodes})")
        return self

    @model_validator(mode="after")
    def _placement(self) -> NodePool:
        names = self.tenants or []
        for t, name in enumerate(names):
            if name in names[:t]:
                raise field_error(("tenants", t), f"{name} is repeated; name each tenant once")
        if self.dedicated and len(names) != 1:
            raise field_error(
                "tenants",
                f"a dedicated pool belongs to exactly one tenant, found {len(names)}; "
                "allowed: tenants: [<the tenant>] with dedicated: true",
            )
        for field, keys in (("labels", list(self.labels)), ("taints", [t.key for t in self.taints])):
            for i, key in enumerate(keys):
                if key.startswith(RESERVED_KEY_PREFIX):
                    raise field_error(
                        (field, key) if field == "labels" else (field, i, "key"),
                        f"{key} is in the {RESERVED_KEY_PREFIX} namespace rayfort sets itself; a pool for one "
                        "tenant is made with tenants: [<name>] and dedicated: true",
                    )
        return self


def pool_path(name: str) -> str:
    """The construct path of a pool's node pool resource, which waivers of its settings name."""
    return f"gke/pool-{name}/pool"


class AuthorizedNetwork(Model):
    """A range allowed to reach the control plane's private endpoint."""

    cidr: Cidr = Field(json_schema_extra={"not": {"const": "0.0.0.0/0"}})
    """Source range; never 0.0.0.0/0."""

    @field_validator("cidr")
    @classmethod
    def _not_everyone(cls, cidr: str) -> str:
        if cidr == "0.0.0.0/0":
            raise ValueError("must never be 0.0.0.0/0: the control plane is never open to the internet")
        return cidr

    display_name: str
    """What the range is, for reviewers."""


class MaintenanceWindow(Model):
    """A recurring window in which GKE may upgrade the cluster."""

    start_time: Rfc3339Time = "2026-01-03T02:00:00Z"
    """RFC 3339 start of the first window, with its zone."""
    end_time: Rfc3339Time = "2026-01-03T08:00:00Z"
    """RFC 3339 end of the first window, with its zone."""
    recurrence: Recurrence = "FREQ=WEEKLY;BYDAY=SA,SU"
    """RFC 5545 recurrence rule (RRULE), without the RRULE: prefix, such as FREQ=WEEKLY;BYDAY=SA,SU."""


class ClusterSettings(Model):
    """The GKE cluster all tenants share."""

    name: DnsLabel = "rayfort"
    """Cluster name."""
    mode: Literal["standard", "autopilot"] = "standard"
    """standard manages node pools here; autopilot leaves them to GKE."""
    release_channel: Literal["REGULAR", "STABLE"] = "REGULAR"
    """Release channel; never UNSPECIFIED."""
    control_plane_access: Literal["internal_ip", "dns_endpoint", "connect_gateway"] | None = None
    """How operators and Terraform reach the private control plane; when absent, derived from
    deployer.runs_in: internal_ip in the VPC or on premises, dns_endpoint from outside."""
    master_authorized_networks: list[AuthorizedNetwork] = []
    """Extra ranges allowed to the private endpoint; the node subnet is always allowed."""
    security_group: Email | None = None
    """The gke-security-groups Google group for Google Groups for RBAC."""
    maintenance_window: MaintenanceWindow = MaintenanceWindow()
    """When GKE may upgrade."""
    node_pools: list[NodePool] = [NodePool(name="default")]
    """Node pools (standard mode only)."""
    binary_authorization_registries: list[str] = []
    """Extra image name patterns Binary Authorization admits, as registry/path with an optional trailing * or **."""
    kms: KmsSettings = KmsSettings()
    """Customer-managed encryption keys."""
    vulnerability_scanning: Literal["artifact_registry", "enterprise"] = "artifact_registry"
    """artifact_registry: images scanned in Artifact Registry (Artifact Analysis), GKE's own workload scanning
    off, as GKE Standard offers no other; enterprise: GKE Enterprise's workload scanning (a paid tier)."""


class RegistryMirror(Model):
    """The private Artifact Registry that holds every image and chart in air-gapped mode."""

    project_id: ProjectId | None = None
    """Project of the mirror; the cluster project when absent."""
    location: str | None = Field(default=None, pattern=r"^[a-z]+(-[a-z]+[0-9]+)?$")
    """Region (or multi-region, such as europe) of the mirror; the environment's region when absent."""
    repository: DnsLabel = "rayfort-mirror"
    """Repository id for Docker images."""
    chart_repository: DnsLabel = "rayfort-charts"
    """Repository id for Helm charts (OCI)."""
    create: bool = True
    """Create the repositories here, or reference existing ones."""
    kms_key: str | None = Field(default=None, pattern=KEY_ID_PATTERN)
    """CMEK key of created repositories; a dedicated key is created beside the cluster keys when absent."""


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
    "image_admitted",
]


KUBERAY_OPERATOR_IMAGE = "quay.io/kuberay/operator"
RAY_IMAGE = "docker.io/rayproject/ray"
CERT_MANAGER_IMAGE = "quay.io/jetstack/cert-manager-"
CERT_MANAGER_COMPONENTS = ("controller", "webhook", "cainjector", "startupapicheck", "acmesolver")
"""Every image the cert-manager chart names; acmesolver runs only for ACME issuers, which rayfort does not create."""
# Machine families that run each Confidential Computing technology as a GKE node (Compute Engine's
# supported configurations); a3-highgpu-1g is TDX's one GPU shape.
CONFIDENTIAL_MACHINE_FAMILIES: dict[str, tuple[str, ...]] = {
    "SEV": ("n2d", "c2d", "c3d"),
    "SEV_SNP": ("n2d",),
    "TDX": ("c3", "a3"),
}
# The only GPU node GKE runs confidentially: one H100 80GB on a3-highgpu-1g with Intel TDX,
# and only on Spot (or flex-start) capacity.
CONFIDENTIAL_GPU_MACHINE = "a3-highgpu-1g"
CONFIDENTIAL_GPU_TYPE = "nvidia-h100-80gb"


def image_admitted(image: str, pattern: str) -> bool:
    """Whether an allowlist pattern admits an image: * stays within one path segment, ** matches deeper paths."""
    name = _qualified(image)
    if pattern.endswith("**"):
        return name.startswith(pattern[:-2])
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return name.startswith(prefix) and "/" not in name[len(prefix) :]
    return name == pattern or name.split("@")[0].rsplit(":", 1)[0] == pattern


def _qualified(image: str) -> str:
    """Docker's short names in full: ray -> docker.io/library/ray, rayproject/ray -> docker.io/rayproject/ray."""
    first, _, rest = image.partition("/")
    if not rest:
        return f"docker.io/library/{image}"
    if "." in first or ":" in first or first == "localhost":
        return image
    return f"docker.io/{image}"
