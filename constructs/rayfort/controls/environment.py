"""Environment checks: a control the environment file lowers, found before anything is built.

Each yields (construct path, what is wrong). The path is the construct the
setting becomes, so one waiver covers both this early finding and the same
control's check of the synthesized resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from rayfort.config.cluster import pool_path
from rayfort.controls.checks import (
    FLOW_INTERVALS,
    FLOW_METADATA,
    FLOW_SAMPLING_FLOOR,
    NAT_LOG_FILTERS,
    SSL_PROFILES,
    image_pinned,
)
from rayfort.controls.compare import beyond, internet_wide

if TYPE_CHECKING:
    from rayfort.config import Environment
    from rayfort.config.tenant import TenantSettings

Findings = Iterator[tuple[str, str]]
EnvironmentCheck = Callable[["Environment"], Findings]

CLUSTER_PATH = "gke/cluster/cluster"
ADMISSION_POLICY_PATH = "gke/image-admission/policy"
SSL_POLICY_PATH = "exposure/edge/ssl-policy"
SUBNET_PATH = "network/vpc/nodes"
NAT_PATH = "network/nat/nat"
IAP_SSH_PATH = "network/firewall/allow-iap-ssh"
EGRESS_DENY_PATH = "network/firewall/deny-all-egress"
EGRESS_FQDN_PATH = "network/egress-fqdns/allow-fqdns"
PERIMETER_PATH = "network/perimeter"
PERIMETER_RESOURCE_PATH = "network/service-controls/perimeter"
AUDIT_BUCKET_PATH = "audit/retention/bucket"


def ray_head_path(tenant: TenantSettings) -> str:
    """The object that runs a tenant's Ray head: its RayCluster, or the head Deployment of a plain runtime."""
    if tenant.ray_runtime == "plain":
        return f"tenant-{tenant.name}/ray-deployment-{tenant.name}-head/object"
    return f"tenant-{tenant.name}/ray-raycluster-{tenant.name}/object"


def internal_service_path(tenant: TenantSettings) -> str:
    return f"tenant-{tenant.name}/internal/service/object"


def quota_path(tenant: TenantSettings) -> str:
    return f"tenant-{tenant.name}/resourcequota/object"


def confidential_pools(env: Environment) -> Findings:
    if env.cluster.mode == "autopilot":
        return
    for p, pool in enumerate(env.cluster.node_pools):
        if pool.confidential_instance_type is None:
            yield pool_path(pool.name), f"cluster.node_pools[{p}].confidential_instance_type is null"


def authorized_networks(env: Environment) -> Findings:
    cidrs = [network.cidr for network in env.cluster.master_authorized_networks]
    if internet_wide(cidrs):
        yield CLUSTER_PATH, f"cluster.master_authorized_networks {cidrs} admit the internet at large"


def internal_sources(env: Environment) -> Findings:
    for i, tenant in enumerate(env.tenants):
        internal = tenant.exposure.internal
        if internal.enabled and internet_wide(internal.source_ranges):
            where = " from every region (global_access)" if internal.global_access else ""
            yield (
                internal_service_path(tenant),
                f"tenants[{i}].exposure.internal.source_ranges {internal.source_ranges} admit the internet "
                f"at large{where}",
            )


def rayfort_image_patterns(env: Environment) -> tuple[str, ...]:
    """What Binary Authorization admits without a waiver: the mirror only (nothing without one)."""
    from rayfort.config.derived import admitted_image_patterns

    cluster = env.cluster.model_copy(update={"binary_authorization_registries": []})
    return admitted_image_patterns(env.model_copy(update={"cluster": cluster}))


def extra_image_patterns(env: Environment) -> Findings:
    extra = beyond(list(rayfort_image_patterns(env)), env.cluster.binary_authorization_registries)
    if extra:
        mode = "the mirror (air-gapped: the only registry it can reach)" if env.airgapped else "the mirror"
        yield (
            ADMISSION_POLICY_PATH,
            f"cluster.binary_authorization_registries {extra} admit images beyond {mode}",
        )


def pinned_tenant_images(env: Environment) -> Findings:
    for i, tenant in enumerate(env.tenants):
        if tenant.image is not None and not image_pinned(tenant.image):
            yield ray_head_path(tenant), f"tenants[{i}].image {tenant.image} is not pinned (a digest or a version tag)"


def _dashboards(env: Environment) -> bool:
    return any(tenant.exposure.iap.enabled for tenant in env.tenants)


def tls_profile(env: Environment) -> Findings:
    profile = env.exposure.ssl_profile
    if _dashboards(env) and SSL_PROFILES.rank(profile) < SSL_PROFILES.rank("RESTRICTED"):
        yield SSL_POLICY_PATH, f"exposure.ssl_profile is {profile}, weaker than RESTRICTED"


def dashboard_backend_path(env: Environment, tenant: TenantSettings) -> str:
    """The object that configures a tenant's IAP dashboard backend: BackendConfig (Ingress) or GCPBackendPolicy."""
    if env.exposure.api == "gateway":
        return f"tenant-{tenant.name}/dashboard/backend-policy/object"
    return f"tenant-{tenant.name}/dashboard/backend-config/object"


def armor(env: Environment) -> Findings:
    if env.exposure.cloud_armor.enabled:
        return
    for i, tenant in enumerate(env.tenants):
        if tenant.exposure.iap.enabled:
            yield (
                dashboard_backend_path(env, tenant),
                f"exposure.cloud_armor.enabled is false: tenants[{i}]'s IAP dashboard has no Cloud Armor policy",
            )


def flow_logs(env: Environment) -> Findings:
    if env.network.shared_vpc is not None:
        return
    logs = env.network.flow_logs
    if logs.sampling < FLOW_SAMPLING_FLOOR:
        yield SUBNET_PATH, f"network.flow_logs.sampling {logs.sampling} records fewer than {FLOW_SAMPLING_FLOOR}"
    if FLOW_INTERVALS.rank(logs.interval) < FLOW_INTERVALS.rank("INTERVAL_5_SEC"):
        yield SUBNET_PATH, f"network.flow_logs.interval {logs.interval} is coarser than INTERVAL_5_SEC"
    if FLOW_METADATA.rank(logs.metadata) < FLOW_METADATA.rank("INCLUDE_ALL_METADATA"):
        yield SUBNET_PATH, f"network.flow_logs.metadata {logs.metadata} leaves out metadata"


def nat_logging(env: Environment) -> Findings:
    net = env.network
    if net.egress == "nat" and net.shared_vpc is None and NAT_LOG_FILTERS.rank(net.nat_logging) < 2:
        yield NAT_PATH, f"network.nat_logging is {net.nat_logging}, not ALL: translations go unrecorded"


def iap_tcp_forwarding(env: Environment) -> Findings:
    if env.network.iap_tcp_forwarding:
        yield IAP_SSH_PATH, "network.iap_tcp_forwarding is true: IAP TCP forwarding reaches the nodes' SSH port"


def egress_default_deny(env: Environment) -> Findings:
    net = env.network
    if net.egress == "nat" and net.shared_vpc is None and not net.internet_egress.deny_by_default:
        yield (
            EGRESS_DENY_PATH,
            "network.internet_egress.deny_by_default is false: every pod reaches the whole internet through Cloud NAT",
        )


def egress_fqdns(env: Environment) -> Findings:
    net = env.network
    if net.egress == "nat" and net.shared_vpc is None and net.internet_egress.allowed_fqdns:
        yield (
            EGRESS_FQDN_PATH,
            f"network.internet_egress.allowed_fqdns {net.internet_egress.allowed_fqdns} open internet egress "
            "to these hosts for every pod",
        )


def perimeter(env: Environment) -> Findings:
    if not env.network.service_controls.enabled:
        yield PERIMETER_PATH, "network.service_controls.enabled is false: no VPC Service Controls perimeter"


def deployer_ingress(env: Environment) -> Findings:
    """An enforced perimeter admits the Terraform runner only through an ingress policy naming its identity."""
    controls = env.network.service_controls
    if controls.enabled and controls.enforce and not env.deployer.service_accounts:
        yield (
            PERIMETER_RESOURCE_PATH,
            "network.service_controls.enforce is true but deployer.service_accounts is empty: no ingress policy "
            "admits Terraform, so every later plan of a restricted service (container, compute...) gets 403; "
            "name the service accounts Terraform runs as",
        )


def kuberay_token_auth(env: Environment) -> Findings:
    for i, tenant in enumerate(env.tenants):
        if tenant.ray_runtime == "kuberay" and not tenant.token_auth:
            yield ray_head_path(tenant), f"tenants[{i}].token_auth is false: anyone who reaches the head can run code"


def operatorless_token_auth(env: Environment) -> Findings:
    for i, tenant in enumerate(env.tenants):
        if tenant.ray_runtime == "plain" and not tenant.token_auth:
            yield (
                f"tenant-{tenant.name}/ray",
                f"tenants[{i}].token_auth is false: anyone who reaches the head can run code",
            )


def workers_bucket_grant_path(tenant: TenantSettings) -> str:
    """The grant that lets a tenant's workers delete objects (TenantBucket.grant_read_write to ``ray-workers``)."""
    return f"tenant-{tenant.name}/bucket/ray-workers"


def workers_delete_objects(env: Environment) -> Findings:
    for i, tenant in enumerate(env.tenants):
        if tenant.workers_delete_objects:
            yield (
                workers_bucket_grant_path(tenant),
                f"tenants[{i}].workers_delete_objects is true: code on any worker can delete the team's artifacts",
            )


def tenant_capacity(env: Environment, tenant: TenantSettings) -> dict[str, Decimal] | None:
    """CPU cores, memory bytes and GPUs the pools admitting the tenant can give it at max_nodes; None when unknown."""
    from rayfort.config.allocatable import node_allocatable
    from rayfort.config.placement import admitted_pools

    if env.cluster.mode == "autopilot":
        return None
    total = {"cpu": Decimal(0), "memory": Decimal(0), "gpu": Decimal(0)}
    for pool in admitted_pools(env, tenant.name):
        allocatable = node_allocatable(pool.machine_type)
        if allocatable is None:
            return None
        nodes = pool.max_nodes * len(pool.zones or env.zones[:1])
        total["cpu"] += allocatable[0] * nodes
        total["memory"] += allocatable[1] * nodes
        total["gpu"] += (pool.gpu.count if pool.gpu else 0) * nodes
    return total


def quota_within_capacity(env: Environment) -> Findings:
    """A quota the tenant's pools can never fill limits nothing: the tenant may then take every node it reaches."""
    from rayfort.config.quantity import quantity

    for i, tenant in enumerate(env.tenants):
        capacity = tenant_capacity(env, tenant)
        if capacity is None:
            continue
        quota = tenant.quota
        asked = {
            "cpu": quantity(quota.cpu) if "cpu" in quota.model_fields_set else None,
            "memory": quantity(quota.memory) if "memory" in quota.model_fields_set else None,
            "gpu": Decimal(quota.gpu) if "gpu" in quota.model_fields_set and quota.gpu else None,
        }
        for name, amount in asked.items():
            if amount is not None and amount > capacity[name]:
                held = f"{capacity[name] / 2**30:.1f}Gi" if name == "memory" else f"{capacity[name]:.2f}"
                yield (
                    quota_path(tenant),
                    f"tenants[{i}].quota.{name} {getattr(quota, name)} exceeds what the node pools admitting "
                    f"{tenant.name} can hold ({held} at max_nodes): it limits nothing",
                )


def audit_retention(env: Environment) -> Findings:
    """Audit entries kept less than the default, or in a bucket whose retention can be undone."""
    from rayfort.config.audit import DEFAULT_RETENTION_DAYS

    audit = env.audit
    if audit.retention_days < DEFAULT_RETENTION_DAYS:
        yield AUDIT_BUCKET_PATH, f"audit.retention_days {audit.retention_days} is below {DEFAULT_RETENTION_DAYS}"
    if not audit.locked:
        yield AUDIT_BUCKET_PATH, "audit.locked is false: the retention can be shortened and the bucket deleted"
