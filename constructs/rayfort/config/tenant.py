"""Settings of one team's isolated Ray cluster."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from rayfort.config._types import (
    INT32_MAX,
    Cidr,
    DnsLabel,
    Email,
    LabelValue,
    Model,
    Problem,
    Quantity,
    Rfc3339Time,
    field_error,
    quantity,
)
from rayfort.config.placement import admits, admitted_pools, admitted_tenants, candidate_pools
from rayfort.versions import RAY_VERSION

if TYPE_CHECKING:
    from rayfort.config.cluster import NodePool
    from rayfort.config.environment import Environment

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

# GiB of memory per vCPU of the predefined machine shapes, by series; series not listed use "*".
# Source: the Compute Engine machine family pages (n1 is the only older ratio still offered).
_GIB_PER_VCPU = {
    "standard": {"n1": Decimal("3.75"), "*": Decimal(4)},
    "highmem": {"n1": Decimal("6.5"), "*": Decimal(8)},
    "highcpu": {"n1": Decimal("0.9"), "e2": Decimal(1), "n2": Decimal(1), "n2d": Decimal(1), "*": Decimal(2)},
}
_SERIES = frozenset({"e2", "n1", "n2", "n2d", "n4", "c2", "c2d", "c3", "c3d", "c4", "c4a", "c4d", "t2d", "t2a", "g2"})
# Shared-core and accelerator-optimized shapes that break the per-vCPU rule: (vCPUs, GiB).
# Shared-core E2 nodes are counted as one vCPU, as GKE does when it computes their allocatable CPU.
_SPECIAL_MACHINES = {
    "e2-micro": (Decimal(1), Decimal(1)),
    "e2-small": (Decimal(1), Decimal(2)),
    "e2-medium": (Decimal(1), Decimal(4)),
    "a2-highgpu-1g": (Decimal(12), Decimal(85)),
    "a2-highgpu-2g": (Decimal(24), Decimal(170)),
    "a2-highgpu-4g": (Decimal(48), Decimal(340)),
    "a2-highgpu-8g": (Decimal(96), Decimal(680)),
    "a3-highgpu-1g": (Decimal(26), Decimal(234)),
}
# GKE Standard reserves a share of each node for the kubelet and system daemons (tiers: up to the
# amount on the left, this fraction is reserved), plus a 100 MiB eviction threshold for memory.
_CPU_RESERVED = (
    (Decimal(1), Decimal("0.06")),
    (Decimal(2), Decimal("0.01")),
    (Decimal(4), Decimal("0.005")),
    (None, Decimal("0.0025")),
)
_MEMORY_RESERVED_GIB = (
    (Decimal(4), Decimal("0.25")),
    (Decimal(8), Decimal("0.20")),
    (Decimal(16), Decimal("0.10")),
    (Decimal(128), Decimal("0.06")),
    (None, Decimal("0.02")),
)
_EVICTION_GIB = Decimal(100) / 1024


def machine_capacity(machine_type: str) -> tuple[Decimal, Decimal] | None:
    """(vCPUs, GiB) of a predefined machine type; None for a type rayfort has no table entry for."""
    if machine_type in _SPECIAL_MACHINES:
        return _SPECIAL_MACHINES[machine_type]
    match = re.fullmatch(r"([a-z][a-z0-9]*)-(standard|highmem|highcpu)-([0-9]+)", machine_type)
    if not match or match[1] not in _SERIES:
        return None
    ratios = _GIB_PER_VCPU[match[2]]
    vcpus = Decimal(match[3])
    return vcpus, vcpus * ratios.get(match[1], ratios["*"])


def _reserved(amount: Decimal, tiers: tuple[tuple[Decimal | None, Decimal], ...]) -> Decimal:
    reserved, floor = Decimal(0), Decimal(0)
    for ceiling, fraction in tiers:
        top = amount if ceiling is None else min(amount, ceiling)
        if top > floor:
            reserved += (top - floor) * fraction
        if ceiling is None or amount <= ceiling:
            break
        floor = ceiling
    return reserved


def node_allocatable(machine_type: str) -> tuple[Decimal, Decimal] | None:
    """(cores, bytes) pods may request on one GKE Standard node of the type; None when unknown."""
    capacity = machine_capacity(machine_type)
    if capacity is None:
        return None
    vcpus, gib = capacity
    memory_gib = gib - (Decimal("0.25") if gib < 1 else _reserved(gib, _MEMORY_RESERVED_GIB)) - _EVICTION_GIB
    return vcpus - _reserved(vcpus, _CPU_RESERVED), memory_gib * 2**30


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    found: list[Problem] = []
    for i, tenant in enumerate(env.tenants):
        expiry = tenant.groups.developer_token_expiry
        if expiry is not None and not (tenant.ray_runtime == "plain" and tenant.token_auth):
            found.append(
                Problem(
                    ("tenants", i, "groups", "developer_token_expiry"),
                    expiry,
                    "ends developers' IAM access to the Ray token in Secret Manager, which only an operatorless "
                    "tenant (ray_runtime: plain, token_auth: true) has; KubeRay's token is a Kubernetes Secret "
                    "read through RBAC, which has no expiry: remove the setting",
                )
            )
        if tenant.tls == "kuberay" and tenant.ray_runtime == "plain":
            found.append(
                Problem(
                    ("tenants", i, "tls"),
                    tenant.tls,
                    "kuberay TLS is made by the KubeRay operator, which a plain runtime has none of; "
                    "allowed with ray_runtime plain: cert-manager or secret-manager",
                )
            )
        placement = _placement_problems(env, i, tenant)
        found += placement or _capacity_problems(env, i, tenant)
        found += _quota_problems(i, tenant)
    if env.tenants and env.cluster.kms.existing is not None:
        found.append(
            Problem(
                ("cluster", "kms", "existing"),
                "existing keys",
                "tenants need keys rayfort creates (one key ring per tenant for its bucket and Redis); "
                "allowed while tenants exist: kms.create",
            )
        )
    return found


def _quota_problems(i: int, tenant: TenantSettings) -> list[Problem]:
    """The namespace quota must hold the whole cluster at its largest, or the autoscaler stalls below it."""
    pods = _tenant_pods(i, tenant)
    needed = {
        "cpu": (sum(p.count * p.cpu for p in pods), quantity(tenant.quota.cpu), lambda v: f"{_cores(v)} CPUs"),
        "memory": (sum(p.count * p.memory for p in pods), quantity(tenant.quota.memory), lambda v: f"{_gib(v)}Gi"),
        "gpu": (Decimal(sum(p.count * p.gpu for p in pods)), Decimal(tenant.quota.gpu), lambda v: f"{v} GPUs"),
        "pods": (Decimal(sum(p.count for p in pods)), Decimal(tenant.quota.pods), lambda v: f"{v} pods"),
    }
    return [
        Problem(
            ("tenants", i, "quota", name),
            getattr(tenant.quota, name),
            f"the head and every worker group at max_replicas need {show(total)}; "
            f"allowed: a quota of at least {show(total)}",
        )
        for name, (total, limit, show) in needed.items()
        if total > limit
    ]


@dataclass(frozen=True)
class _Pods:
    """Pods of one shape that a tenant may run at once."""

    what: str
    path: tuple[str | int, ...]
    count: int
    cpu: Decimal
    memory: Decimal
    gpu: int
    default: str | None = None
    """The setting left unset, when the size is its default: a refusal says so, and what to set."""


def _tenant_pods(i: int, tenant: TenantSettings) -> list[_Pods]:
    head = tenant.head
    sidecar = tenant.ray_runtime == "kuberay"  # operatorless clusters run no autoscaler
    pods = [
        _Pods(
            "the head (with its autoscaler sidecar)" if sidecar else "the head",
            ("tenants", i, "head"),
            1,
            quantity(head.cpu) + (quantity(AUTOSCALER_RESOURCES.cpu) if sidecar else 0),
            quantity(head.memory) + (quantity(AUTOSCALER_RESOURCES.memory) if sidecar else 0),
            head.gpu,
            None if "head" in tenant.model_fields_set else f"tenants[{i}].head",
        )
    ]
    for g, group in enumerate(tenant.worker_groups):
        res = group.resources
        defaulted = "worker_groups" not in tenant.model_fields_set or "resources" not in group.model_fields_set
        pods.append(
            _Pods(
                f"a worker of group {group.name}",
                ("tenants", i, "worker_groups", g),
                group.max_replicas,
                quantity(res.cpu),
                quantity(res.memory),
                res.gpu,
                f"tenants[{i}].worker_groups[{g}].resources" if defaulted else None,
            )
        )
    return pods


def _pool_nodes(env: Environment, pool: NodePool) -> int:
    return pool.max_nodes * len(pool.zones or env.zones[:1])


def _placement_problems(env: Environment, i: int, tenant: TenantSettings) -> list[Problem]:
    """Each group's pool exists, admits the tenant and has its GPUs (or none); every pod has a pool."""
    groups = [(g, group) for g, group in enumerate(tenant.worker_groups)]
    if env.cluster.mode == "autopilot":
        return [
            Problem(
                ("tenants", i, "worker_groups", g, "node_pool"),
                group.node_pool,
                "is not allowed in autopilot mode: GKE makes the nodes, there are no pools to choose; remove node_pool",
            )
            for g, group in groups
            if group.node_pool is not None
        ]
    pools = env.cluster.node_pools
    index = {pool.name: p for p, pool in enumerate(pools)}
    found = []
    for g, group in groups:
        path = ("tenants", i, "worker_groups", g, "node_pool")
        if group.node_pool is None:
            found += _unplaced(env, path, tenant, group, f"the workers of group {group.name}")
        elif group.node_pool not in index:
            found.append(
                Problem(path, group.node_pool, f"is not a node pool of this cluster; allowed: {', '.join(index)}")
            )
        else:
            found += _chosen_pool(env, path, tenant, group, index[group.node_pool])
    found += _unplaced(env, ("tenants", i, "head"), tenant, None, "the head")
    return found


def _chosen_pool(
    env: Environment, path: tuple[str | int, ...], tenant: TenantSettings, group: WorkerGroup, p: int
) -> list[Problem]:
    pool = env.cluster.node_pools[p]
    gpu = group.resources.gpu
    if not admits(env, pool, tenant.name):
        if pool.dedicated:
            how = f"it is dedicated to {pool.tenants[0]}; choose another pool"
        else:
            waiver = " and to the tenants of its RF003 waiver" if pool.confidential_instance_type is None else ""
            how = f"add {tenant.name} to cluster.node_pools[{p}].tenants{waiver}, or choose another pool"
        admitted = ", ".join(admitted_tenants(env, pool)) or "none"
        return [Problem(path, pool.name, f"does not admit tenant {tenant.name} (it admits: {admitted}); {how}")]
    if gpu and pool.gpu is None:
        return [
            Problem(
                path,
                pool.name,
                f"has no GPUs, and group {group.name} asks for {gpu} per worker; allowed: a pool with gpu settings "
                f"that admits {tenant.name} ({_names(env, tenant, gpu=True)})",
            )
        ]
    if not gpu and pool.gpu is not None:
        return [
            Problem(
                path,
                pool.name,
                f"has GPUs, which only workers that ask for them may take (its nodes carry the nvidia.com/gpu "
                f"taint); set resources.gpu, or choose a pool without GPUs ({_names(env, tenant, gpu=False)})",
            )
        ]
    return []


def _names(env: Environment, tenant: TenantSettings, *, gpu: bool) -> str:
    names = [pool.name for pool in admitted_pools(env, tenant.name) if (pool.gpu is not None) == gpu]
    return ", ".join(names) or f"none admits {tenant.name}"


def _unplaced(
    env: Environment, path: tuple[str | int, ...], tenant: TenantSettings, group: WorkerGroup | None, what: str
) -> list[Problem]:
    if candidate_pools(env, tenant, group):
        return []
    gpu = (group.resources if group is not None else tenant.head).gpu
    shaped = [(p, pool) for p, pool in enumerate(env.cluster.node_pools) if (pool.gpu is not None) == bool(gpu)]
    if gpu and not shaped and group is not None:
        return []  # worker GPUs without any GPU pool are refused by the environment's own rule
    kind = "GPU" if gpu else "CPU"
    listed = "; ".join(
        f"{pool.name} admits {', '.join(admitted_tenants(env, pool)) or 'none'}"
        + (" (tainted: only groups that name it)" if pool.taints else "")
        for _, pool in shaped
    )
    how = "set node_pool to a pool that admits it, or " if group is not None else ""
    return [
        Problem(
            path,
            group.node_pool if group is not None else None,
            f"no {kind} node pool takes {what} of tenant {tenant.name} ({kind} pools: {listed or 'none'}); "
            f"{how}add {tenant.name} to the tenants of a {kind} pool (cluster.node_pools[].tenants)",
        )
    ]


def _capacity_problems(env: Environment, i: int, tenant: TenantSettings) -> list[Problem]:
    """Necessary conditions only (each pod fits a node of its pools; the pods kept to some pools fit them).

    Each pod may run only on its candidate pools (``config.placement``); a pod without any is refused
    by the placement rules, and a pool whose machine type is not in the table is not judged.
    """
    if env.cluster.mode == "autopilot":
        return []
    placed = []
    for pod, group in zip(_tenant_pods(i, tenant), [None, *tenant.worker_groups], strict=True):
        pools = candidate_pools(env, tenant, group)
        nodes = [(pool, node_allocatable(pool.machine_type)) for pool in pools]
        if nodes and all(allocatable is not None for _, allocatable in nodes):
            placed.append((pod, nodes))
    found = [problem for pod, nodes in placed for problem in _fit_problems(pod, nodes)]
    if found:
        return found
    sets = list(dict.fromkeys(frozenset(pool.name for pool, _ in nodes) for _, nodes in placed))
    for names in sets:
        pods = [pod for pod, nodes in placed if {pool.name for pool, _ in nodes} <= names]
        nodes = next(nodes for _, nodes in placed if {pool.name for pool, _ in nodes} == names)
        found += _total_problems(env, pods, nodes)
    return found


def _describe_nodes(nodes: list) -> str:
    return ", ".join(
        f"{pool.name} ({pool.machine_type}: {_cores(cpu)} CPU, {_gib(memory)} GiB"
        + (f", {pool.gpu.count} GPU" if pool.gpu else "")
        + " allocatable)"
        for pool, (cpu, memory) in nodes
    )


def _fit_problems(pod: _Pods, nodes: list) -> list[Problem]:
    fits = any(
        pod.cpu <= cpu and pod.memory <= memory and pod.gpu <= (pool.gpu.count if pool.gpu else 0)
        for pool, (cpu, memory) in nodes
    )
    if fits:
        return []
    default = (
        f" ({pod.default} is not set, so these are its defaults cpu {Resources().cpu}, memory "
        f"{Resources().memory}: set {pod.default}.cpu and .memory, or use a larger machine_type)"
        if pod.default
        else ""
    )
    return [
        Problem(
            pod.path,
            f"{pod.cpu} CPU, {_gib(pod.memory)} GiB, {pod.gpu} GPU",
            f"{pod.what} fits no node of the pools it may run on: {_describe_nodes(nodes)}; "
            "allowed: at most one node's allocatable" + default,
        )
    ]


def _total_problems(env: Environment, pods: list[_Pods], nodes: list) -> list[Problem]:
    found = []
    total = {
        "CPU": (sum(p.cpu * p.count for p in pods), sum(cpu * _pool_nodes(env, pool) for pool, (cpu, _) in nodes)),
        "memory": (
            sum(p.memory * p.count for p in pods),
            sum(memory * _pool_nodes(env, pool) for pool, (_, memory) in nodes),
        ),
        "GPU": (
            sum(p.gpu * p.count for p in pods),
            sum((pool.gpu.count if pool.gpu else 0) * _pool_nodes(env, pool) for pool, _ in nodes),
        ),
    }
    where = ", ".join(pool.name for pool, _ in nodes)
    for resource, (asked, held) in total.items():
        if asked > held:
            shown = (_gib(asked), _gib(held), " GiB") if resource == "memory" else (_cores(asked), _cores(held), "")
            found.append(
                Problem(
                    pods[0].path[:2],
                    f"{shown[0]}{shown[2]} {resource}",
                    f"at full scale (head plus every group at max_replicas), what may run only on node pools "
                    f"{where} asks for more {resource} than they can ever hold ({shown[1]}{shown[2]} at max_nodes "
                    "in every zone); allowed: lower max_replicas or sizes, or raise the pools' max_nodes",
                )
            )
    return found


# Sums of the largest quantities times the most replicas run to 29 digits; quantize needs room for them.
_PRECISION = 60


def _cores(value: Decimal) -> str:
    with localcontext(prec=_PRECISION):
        return f"{Decimal(value).quantize(Decimal('0.01')).normalize():f}"


def _gib(value: Decimal) -> str:
    with localcontext(prec=_PRECISION):
        return f"{(value / 2**30).quantize(Decimal('0.1')):f}"
