"""Rules of the tenants that span several fields of the environment: TLS, placement, capacity, quota."""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.checks.capacity import (
    capacity_problems,
    quota_problems,
)
from rayfort.config.environment import Environment
from rayfort.config.placement import admits, admitted_pools, admitted_tenants, candidate_pools, sandboxed
from rayfort.config.tenant import TenantSettings, WorkerGroup


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
        found += placement or capacity_problems(env, i, tenant)
        found += quota_problems(i, tenant)
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
    sandbox = sandboxed(tenant, group)
    if sandbox != pool.sandbox:
        why = (
            f"group {group.name} runs in GKE Sandbox (gVisor)"
            + (f" because tenant {tenant.name} has untrusted_code" if tenant.untrusted_code else "")
            + ", which only a sandbox pool runs"
            if sandbox
            else f"it is a sandbox pool, which runs only gVisor pods, and group {group.name} is not sandboxed"
        )
        sandbox_pools = ", ".join(pool.name for pool in env.cluster.node_pools if pool.sandbox) or "none"
        how = (
            f"choose a pool with sandbox: true (sandbox pools: {sandbox_pools})"
            if sandbox
            else "set sandbox: true on the group, or choose a pool without sandbox"
        )
        return [Problem(path, pool.name, f"cannot take these workers: {why}; {how}")]
    if not admits(env, pool, tenant.name):
        if pool.dedicated:
            how = f"it is dedicated to {', '.join(pool.tenants or [])}; choose another pool"
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
    sandbox = sandboxed(tenant, group)
    shaped = [
        (p, pool)
        for p, pool in enumerate(env.cluster.node_pools)
        if (pool.gpu is not None) == bool(gpu) and pool.sandbox == sandbox
    ]
    if gpu and not any(pool.gpu is not None for pool in env.cluster.node_pools) and group is not None:
        return []  # worker GPUs without any GPU pool are refused by the environment's own rule
    kind = ("sandbox (gVisor) " if sandbox else "") + ("GPU" if gpu else "CPU")
    listed = "; ".join(
        f"{pool.name} admits {', '.join(admitted_tenants(env, pool)) or 'none'}"
        + (" (tainted: only groups that name it)" if pool.taints else "")
        for _, pool in shaped
    )
    how = "set node_pool to a pool that admits it, or " if group is not None else ""
    how += f"add {tenant.name} to the tenants of a {kind} pool (cluster.node_pools[].tenants)"
    if sandbox and not shaped:
        how = (
            f"add a node pool with sandbox: true{' and gpu settings' if gpu else ''} (GKE Sandbox runs them in gVisor)"
        )
    return [
        Problem(
            path,
            group.node_pool if group is not None else None,
            f"no {kind} node pool takes {what} of tenant {tenant.name} ({kind} pools: {listed or 'none'}); {how}",
        )
    ]
