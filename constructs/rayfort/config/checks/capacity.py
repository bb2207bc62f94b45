"""Whether each tenant's Ray cluster at full scale fits its namespace quota and the node pools."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from rayfort.config._types import Problem
from rayfort.config.allocatable import node_allocatable
from rayfort.config.cluster import NodePool
from rayfort.config.environment import Environment
from rayfort.config.placement import candidate_pools
from rayfort.config.quantity import quantity
from rayfort.config.tenant import AUTOSCALER_RESOURCES, Resources, TenantSettings


def quota_problems(i: int, tenant: TenantSettings) -> list[Problem]:
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


def capacity_problems(env: Environment, i: int, tenant: TenantSettings) -> list[Problem]:
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
            asked, held = Decimal(asked), Decimal(held)
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
