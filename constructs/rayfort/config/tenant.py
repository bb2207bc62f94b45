"""Settings of one team's isolated Ray cluster."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from rayfort.config._types import (
    INT32_MAX,
    Cidr,
    DnsLabel,
    Email,
    LabelValue,
    Model,
    Rfc3339Time,
    field_error,
)
from rayfort.config.quantity import Quantity
from rayfort.versions import RAY_VERSION

# Ports Ray listens on that the network policies name; the worker range must not overlap them.
RAY_FIXED_PORTS = {
    "gcs": 6379,
    "dashboard": 8265,
    "client": 10001,
    "dashboard_agent": 52365,
    "metrics": 8080,
    "serve": 8000,
}
# Ports Ray would otherwise pick at random; rayfort pins them so network policies can name them too.
RAY_INTERNAL_PORTS = {
    "node_manager": 6380,
    "object_manager": 6381,
    "runtime_env_agent": 6382,
    "dashboard_agent_grpc": 6383,
}


class TenantGroups(Model):
    """Google groups whose members work in the tenant's namespace."""

    developers: list[Email] = Field(min_length=1)
    """May manage RayClusters and RayJobs in the namespace."""
    viewers: list[Email] = []
    """May read the namespace."""
    developer_token_expiry: Rfc3339Time | None = None
    """Developers' access to an operatorless tenant's Ray token (Secret Manager) ends then; no end by default."""


class Resources(Model):
    """Requests and limits of a Ray container (equal, for guaranteed QoS).

    The defaults fit the default node pool (n2d-standard-2: 1.93 CPU, 6.1 GiB allocatable), a head
    together with its autoscaler sidecar included, so a tenant that sets no sizes synthesizes.
    """

    cpu: Quantity = "1"
    """CPU request and limit."""
    memory: Quantity = "4Gi"
    """Memory request and limit."""
    gpu: int = Field(default=0, ge=0, le=16)
    """nvidia.com/gpu request and limit."""


class WorkerGroup(Model):
    """A Ray worker group."""

    name: DnsLabel
    """Group name, unique within the tenant."""
    # KubeRay's RayCluster CRD declares both as int32.
    min_replicas: int = Field(default=0, ge=0, le=INT32_MAX)
    """Autoscaling minimum."""
    max_replicas: int = Field(default=4, ge=1, le=INT32_MAX)
    """Autoscaling maximum."""
    resources: Resources = Resources()
    """Per-worker resources."""
    node_pool: DnsLabel | None = None
    """Pool of the workers, admitting the tenant; absent: its dedicated pools, else admitted untainted ones."""
    sandbox: bool = False
    """Run the workers in GKE Sandbox (gVisor) on a sandbox pool; always so when the tenant has untrusted_code."""

    @model_validator(mode="after")
    def _bounds(self) -> WorkerGroup:
        if self.min_replicas > self.max_replicas:
            raise field_error("min_replicas", f"must not exceed max_replicas ({self.max_replicas})")
        return self


class WorkerPorts(Model):
    """The pinned worker port range, so network policies can name it."""

    min: int = Field(default=10002, ge=1024, le=65535)
    """min-worker-port."""
    max: int = Field(default=10100, ge=1024, le=65535)
    """max-worker-port."""

    @model_validator(mode="after")
    def _range(self) -> WorkerPorts:
        if self.min > self.max:
            raise field_error("min", f"must not exceed max ({self.max})")
        pinned = {**RAY_FIXED_PORTS, **RAY_INTERNAL_PORTS}
        clashes = sorted(f"{name} {port}" for name, port in pinned.items() if self.min <= port <= self.max)
        if clashes:
            raise field_error(
                "min",
                f"worker port range {self.min}-{self.max} overlaps fixed Ray ports: {', '.join(clashes)}; "
                "allowed: a range that contains none of them, such as the default 10002-10100",
            )
        return self


class TenantQuota(Model):
    """Namespace quota, so one tenant cannot starve the others."""

    cpu: Quantity = "16"
    """Total CPU requests and limits."""
    memory: Quantity = "64Gi"
    """Total memory requests and limits."""
    gpu: int = Field(default=0, ge=0, le=INT32_MAX)
    """Total nvidia.com/gpu."""
    pods: int = Field(default=50, ge=1, le=INT32_MAX)
    """Pods."""


class RedisSettings(Model):
    """Memorystore for Redis backing GCS fault tolerance."""

    tier: Literal["BASIC", "STANDARD_HA"] = "STANDARD_HA"
    """Replicated by default."""
    memory_size_gb: int = Field(default=1, ge=1, le=300)
    """Instance size."""


class InternalAccess(Model):
    """Machines in the VPC reach the client and dashboard ports through an internal load balancer."""

    enabled: bool = False
    """Opt-in."""
    source_ranges: list[Cidr] = []
    """loadBalancerSourceRanges; required when enabled."""
    global_access: bool = False
    """Allow clients from other regions of the VPC."""
    static_ip: bool = False
    """Reserve an internal address in the node subnet."""


class IapAccess(Model):
    """People reach the dashboard through Identity-Aware Proxy."""

    enabled: bool = False
    """Opt-in."""
    host: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    """Host name; <tenant>.<exposure.domain> when absent."""


class TenantExposure(Model):
    """How the tenant's cluster is reached from outside its namespace."""

    internal: InternalAccess = InternalAccess()
    """Internal load balancer for machines in the VPC."""
    iap: IapAccess = IapAccess()
    """IAP-protected dashboard for people."""


class TenantSettings(Model):
    """One team: a namespace, its identities, its storage and one Ray cluster."""

    name: DnsLabel
    """Tenant name; also the namespace and the stack id tenant-<name>."""
    cost_center: LabelValue
    """Cost center label on every resource of the tenant."""
    groups: TenantGroups
    """Google groups of the team."""
    ray_runtime: Literal["kuberay", "plain"] = "kuberay"
    """kuberay: a RayCluster; plain: Deployments, for namespaces where nobody may install CRDs."""
    ray_version: str = Field(default=RAY_VERSION, pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    """Ray version of the images; 2.52 or newer for token auth."""
    image: str | None = None
    """Ray image; rayproject/ray:<version>-py311, or its mirror in air-gapped mode, when absent."""
    token_auth: bool = True
    """Ray token authentication; off needs a waiver."""
    tls: Literal["cert-manager", "kuberay", "secret-manager"] = "cert-manager"
    """Where the certificates for Ray's gRPC TLS come from."""
    untrusted_code: bool = False
    """Its Ray pods run code nobody vetted (jobs from outside the team): the head and every worker group run in
    GKE Sandbox (gVisor), on sandbox pools only, and admission refuses its pod templates without it."""
    workers_delete_objects: bool = False
    """Workers may also delete and overwrite objects in the tenant bucket; off: read and create only (RF048)."""
    head: Resources = Resources()
    """Head resources."""
    worker_groups: list[WorkerGroup] = [WorkerGroup(name="cpu")]
    """Worker groups."""
    worker_ports: WorkerPorts = WorkerPorts()
    """Pinned worker port range."""
    serve: bool = False
    """Open the Serve port 8000 between head and workers."""
    quota: TenantQuota = TenantQuota()
    """Namespace quota."""
    redis: RedisSettings = RedisSettings()
    """GCS fault tolerance backend."""
    exposure: TenantExposure = TenantExposure()
    """How the cluster is reached."""

    @model_validator(mode="after")
    def _unique_groups(self) -> TenantSettings:
        names = [group.name for group in self.worker_groups]
        for g, name in enumerate(names):
            if name in names[:g]:
                raise field_error(("worker_groups", g, "name"), "is repeated; worker group names must be unique")
        return self


# The in-tree autoscaler sidecar KubeRay adds to every head pod; it counts towards the head's node.
AUTOSCALER_RESOURCES = Resources(cpu="500m", memory="512Mi")
