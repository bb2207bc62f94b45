"""Settings of the private GKE cluster, its keys and its node pools."""

from __future__ import annotations

import fnmatch
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from rayfort.config._types import (
    Cidr,
    DnsLabel,
    Email,
    KubernetesLabelValue,
    Model,
    NodeLabelKey,
    Problem,
    ProjectId,
    Rfc3339Time,
    TaintKey,
    Zone,
    field_error,
    parse_time,
)
from rayfort.config.deployer import control_plane_access
from rayfort.config.kuberay import cert_manager_needed
from rayfort.config.placement import RESERVED_KEY_PREFIX, admitted_tenants, pool_taints
from rayfort.config.recurrence import Recurrence, least_per_32_days

if TYPE_CHECKING:
    from rayfort.config.environment import Environment

MAX_NODES_PER_ZONE = 1000
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
    """GKE Sandbox (gVisor); refused for now: the pinned GA google provider has no sandbox_config."""
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
    "admitted_image_patterns",
    "image_admitted",
    "problems",
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
# registry/path with an optional trailing * (one path segment) or ** (any depth), never a bare registry.
_IMAGE_PATTERN = re.compile(r"^[a-z0-9][-a-z0-9.]*[a-z0-9](:[0-9]+)?/[-_.a-z0-9]+(/[-_.a-z0-9]+)*(/?\*\*?)?$")


def admitted_image_patterns(env: Environment) -> tuple[str, ...]:
    """Image name patterns Binary Authorization admits: the mirror, and the registries the environment names.

    Nothing upstream is admitted by default: an environment without a mirror names
    the repositories it pulls from in ``cluster.binary_authorization_registries``,
    which takes a waiver of RF025. Google's own GKE system images are admitted by
    Google's global policy, not listed here.
    """
    patterns: list[str] = []
    mirror = env.registry_mirror
    if mirror is not None:
        location = mirror.location or env.region
        patterns.append(f"{location}-docker.pkg.dev/{mirror.project_id or env.project_id}/{mirror.repository}/**")
    patterns += env.cluster.binary_authorization_registries
    return tuple(dict.fromkeys(patterns))


def upstream_images(env: Environment) -> tuple[str, ...]:
    """The upstream images rayfort runs itself (operator, Ray, cert-manager), by pinned version; none with a mirror."""
    from rayfort.versions import CERT_MANAGER_VERSION, KUBERAY_VERSION, RAY_PYTHON_TAG

    if env.registry_mirror is not None:
        return ()
    images = []
    if env.kuberay.install != "gke-addon":
        images.append(f"{KUBERAY_OPERATOR_IMAGE}:v{KUBERAY_VERSION}")
    images += [f"{RAY_IMAGE}:{t.ray_version}-{RAY_PYTHON_TAG}" for t in env.tenants if t.image is None]
    if cert_manager_needed(env):
        # acmesolver runs only for ACME issuers, which rayfort never creates.
        images += [
            f"{CERT_MANAGER_IMAGE}{c}:{CERT_MANAGER_VERSION}" for c in CERT_MANAGER_COMPONENTS if c != "acmesolver"
        ]
    return tuple(dict.fromkeys(images))


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    found = _autopilot_pools(env)
    if env.cluster.mode == "standard":
        found += _pool_names(env)
        for p, pool in enumerate(env.cluster.node_pools):
            found += _pool_problems(("cluster", "node_pools", p), pool)
        found += _pool_tenants(env)
        found += _waived_pool_tenants(env)
        found += _system_pool(env)
    found += _waiver_tenants(env)
    found += _dns_endpoint_perimeter(env)
    found += _key_locations(env)
    found += _maintenance_window(env.cluster.maintenance_window)
    found += _image_patterns(env)
    found += _tenant_images(env)
    found += _platform_images(env)
    found += _google_groups(env)
    return found


def _autopilot_pools(env: Environment) -> list[Problem]:
    if env.cluster.mode == "autopilot" and "node_pools" in env.cluster.model_fields_set:
        return [
            Problem(
                ("cluster", "node_pools"),
                [pool.name for pool in env.cluster.node_pools],
                "is not allowed in autopilot mode: GKE manages the nodes (machine types, confidential nodes, "
                "GPUs come from workload requests); remove node_pools or use mode: standard",
            )
        ]
    return []


def _pool_names(env: Environment) -> list[Problem]:
    names = [pool.name for pool in env.cluster.node_pools]
    return [
        Problem(("cluster", "node_pools", p, "name"), name, "duplicate pool; node pool names must be unique")
        for p, name in enumerate(names)
        if name in names[:p]
    ]


def _pool_problems(path: tuple[str | int, ...], pool: NodePool) -> list[Problem]:
    found = []
    if pool.sandbox:
        found.append(
            Problem(
                (*path, "sandbox"),
                True,
                "GKE Sandbox (gVisor) needs node_config.sandbox_config, which only the google-beta provider has; "
                "rayfort pins the GA google provider, so the only allowed value is false",
            )
        )
    tech = pool.confidential_instance_type
    if tech is None:
        return found
    family = pool.machine_type.split("-")[0]
    if pool.gpu is not None:
        if (tech, pool.machine_type, pool.gpu.type, pool.gpu.count) != (
            "TDX",
            CONFIDENTIAL_GPU_MACHINE,
            CONFIDENTIAL_GPU_TYPE,
            1,
        ):
            found.append(
                Problem(
                    (*path, "confidential_instance_type"),
                    tech,
                    f"confidential GPU nodes exist only as machine_type {CONFIDENTIAL_GPU_MACHINE} with one "
                    f"{CONFIDENTIAL_GPU_TYPE} and confidential_instance_type TDX; use that shape, or set "
                    "confidential_instance_type: null with a waiver (rule RF003, naming the tenants the pool "
                    "admits) to run this GPU pool on ordinary VMs",
                )
            )
        elif not pool.spot:
            found.append(
                Problem(
                    (*path, "spot"),
                    False,
                    "GKE runs confidential GPU nodes only on Spot (or flex-start) capacity; set spot: true",
                )
            )
    elif family not in CONFIDENTIAL_MACHINE_FAMILIES[tech] or pool.machine_type == CONFIDENTIAL_GPU_MACHINE:
        allowed = ", ".join(f"{f}-*" for f in CONFIDENTIAL_MACHINE_FAMILIES[tech] if f != "a3")
        found.append(
            Problem(
                (*path, "machine_type"),
                pool.machine_type,
                f"cannot run confidential nodes with {tech}; allowed machine families: {allowed}",
            )
        )
    return found


def _known_tenants(env: Environment) -> str:
    return ", ".join(t.name for t in env.tenants) or "none (the environment has no tenants)"


def _pool_tenants(env: Environment) -> list[Problem]:
    names = {t.name for t in env.tenants}
    return [
        Problem(
            ("cluster", "node_pools", p, "tenants", t),
            name,
            f"is not a tenant of this environment; allowed: {_known_tenants(env)}",
        )
        for p, pool in enumerate(env.cluster.node_pools)
        for t, name in enumerate(pool.tenants or [])
        if name not in names
    ]


def _system_pool(env: Environment) -> list[Problem]:
    """Some pool must take pods that tolerate no taint: GKE's system pods, the KubeRay operator, cert-manager.

    kube-dns and the other GKE system pods tolerate none of our taints (GKE's node-taints guide,
    cloud.google.com/kubernetes-engine/docs/how-to/node-taints), so a cluster whose every pool is a GPU,
    dedicated or otherwise tainted pool never becomes ready.
    """
    pools = env.cluster.node_pools
    if not pools or any(not pool.sandbox and not any(t.blocks for t in pool_taints(pool)) for pool in pools):
        return []
    kinds = "; ".join(
        f"{pool.name}: " + (", ".join(str(t) for t in pool_taints(pool) if t.blocks) or "sandbox") for pool in pools
    )
    return [
        Problem(
            ("cluster", "node_pools"),
            [pool.name for pool in pools],
            f"has no pool without taints ({kinds}); GKE's system pods (kube-dns), the KubeRay operator and "
            "cert-manager tolerate none and would never be scheduled; allowed: at least one pool without gpu, "
            "dedicated or NoSchedule/NoExecute taints (such as {name: default})",
        )
    ]


def _waiver_tenants(env: Environment) -> list[Problem]:
    names = {t.name for t in env.tenants}
    return [
        Problem(
            ("waivers", w, "tenants", t), name, f"is not a tenant of this environment; allowed: {_known_tenants(env)}"
        )
        for w, waiver in enumerate(env.waivers)
        for t, name in enumerate(waiver.tenants or [])
        if name not in names
    ]


def _waived_pool_tenants(env: Environment) -> list[Problem]:
    """A pool whose confidential nodes are waived admits only the tenants its waiver accepted that for.

    The waiver is the one the rules apply to the pool (the first RF003 waiver whose resource matches
    it), so adding a tenant to the pool means widening that waiver, which the review shows.
    """
    from rayfort.controls.environment import pool_path

    found = []
    for p, pool in enumerate(env.cluster.node_pools):
        if pool.confidential_instance_type is not None:
            continue
        path = pool_path(pool.name)
        matching = [
            (w, waiver)
            for w, waiver in enumerate(env.waivers)
            if waiver.rule == "RF003" and fnmatch.fnmatchcase(path, waiver.resource)
        ]
        if not matching:
            continue  # the rules refuse the pool itself, naming the waiver that would accept it
        w, waiver = matching[0]
        unnamed = [name for name in admitted_tenants(env, pool) if name not in (waiver.tenants or [])]
        if unnamed:
            found.append(
                Problem(
                    ("waivers", w, "tenants"),
                    waiver.tenants,
                    f"does not name {', '.join(unnamed)}, whom cluster.node_pools[{p}] ({pool.name}) admits on "
                    "nodes without confidential computing; the RF003 waiver of a pool must name every tenant "
                    f"the pool admits: add them here (the review shows the widened waiver), or remove them "
                    f"from cluster.node_pools[{p}].tenants",
                )
            )
    return found


def _dns_endpoint_perimeter(env: Environment) -> list[Problem]:
    """The DNS endpoint answers from anywhere; IAM and an enforced perimeter are what keep strangers out."""
    perimeter = env.network.service_controls
    if control_plane_access(env) == "dns_endpoint" and not (perimeter.enabled and perimeter.enforce):
        return [
            Problem(
                ("cluster", "control_plane_access"),
                "dns_endpoint",
                "needs an enforced VPC Service Controls perimeter (network.service_controls.enabled and "
                "enforce true): the DNS endpoint accepts requests from the internet, guarded only by IAM and "
                "the perimeter; enforce it, or use internal_ip or connect_gateway",
            )
        ]
    return []


def _key_locations(env: Environment) -> list[Problem]:
    """GKE and Compute Engine use only keys in the cluster's own region for secrets and boot disks."""
    existing = env.cluster.kms.existing
    if existing is None:
        return []
    return [
        Problem(
            ("cluster", "kms", "existing", field),
            key,
            f"is in {key.split('/')[3]}; the key must be in the cluster's region, {env.region}",
        )
        for field, key in (("boot_disk_key", existing.boot_disk_key), ("secrets_key", existing.secrets_key))
        if key.split("/")[3] != env.region
    ]


def _maintenance_window(window: MaintenanceWindow) -> list[Problem]:
    """GKE refuses a recurring window that offers under 48 hours of maintenance in any 32 days."""
    path = ("cluster", "maintenance_window")
    start, end = parse_time(window.start_time), parse_time(window.end_time)
    if end <= start:
        return [Problem((*path, "end_time"), window.end_time, "must be after start_time")]
    per_32_days = least_per_32_days(window.recurrence)
    if per_32_days is not None and (end - start) * per_32_days < timedelta(hours=48):
        return [
            Problem(
                (*path, "recurrence"),
                window.recurrence,
                "gives GKE under 48 hours of maintenance in 32 days, which GKE refuses; "
                "lengthen the window or add days",
            )
        ]
    return []


def _image_patterns(env: Environment) -> list[Problem]:
    found = []
    for i, pattern in enumerate(env.cluster.binary_authorization_registries):
        if not _IMAGE_PATTERN.match(pattern):
            found.append(
                Problem(
                    ("cluster", "binary_authorization_registries", i),
                    pattern,
                    "must be registry/path with an optional trailing * or **, such as "
                    "europe-docker.pkg.dev/my-project/ray/**; a wildcard right after the registry would admit "
                    "every image in it",
                )
            )
    return found


def _tenant_images(env: Environment) -> list[Problem]:
    patterns = admitted_image_patterns(env)
    return [
        Problem(
            ("tenants", i, "image"),
            tenant.image,
            "is not admitted by Binary Authorization, so its pods would be denied; allowed: images matching "
            f"{', '.join(patterns)}, or add a pattern to cluster.binary_authorization_registries",
        )
        for i, tenant in enumerate(env.tenants)
        if tenant.image is not None and not any(image_admitted(tenant.image, p) for p in patterns)
    ]


def _platform_images(env: Environment) -> list[Problem]:
    """Without a mirror, the upstream images rayfort runs must be admitted, or their pods are denied."""
    patterns = admitted_image_patterns(env)
    denied = [image for image in upstream_images(env) if not any(image_admitted(image, p) for p in patterns)]
    if not denied:
        return []
    return [
        Problem(
            ("registry_mirror",),
            None,
            f"must be set, or rayfort's upstream images ({', '.join(denied)}) are denied by Binary Authorization; "
            "add registry_mirror and fill it (make mirror-commands), the hardened choice, or name their "
            "repositories in cluster.binary_authorization_registries with a waiver of rule RF025",
        )
    ]


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


def _google_groups(env: Environment) -> list[Problem]:
    if env.tenants and env.cluster.security_group is None:
        return [
            Problem(
                ("cluster", "security_group"),
                None,
                "is required when tenants exist: their RBAC bindings name Google groups, which GKE resolves only "
                "with Google Groups for RBAC; set it to gke-security-groups@<your domain>",
            )
        ]
    return []
