"""Rules of the environment as a whole: zones, ranges, tenant names, modes and GPU pools."""

from __future__ import annotations

import ipaddress
from itertools import combinations

from rayfort.config._types import Problem, zone_region
from rayfort.config.environment import MIN_TOKEN_AUTH_RAY, RESERVED_NAMESPACES, Environment


def problems(env: Environment) -> list[Problem]:
    """Rules of the environment as a whole."""
    found: list[Problem] = []
    found += _zones_in_region(env)
    found += _overlapping_ranges(env)
    found += _tenant_names(env)
    found += _mode_dependencies(env)
    found += _tenant_capacity(env)
    return found


def _zones_in_region(env: Environment) -> list[Problem]:
    problems = [
        Problem(("zones", i), zone, f"zone is not in region {env.region}; allowed: zones named {env.region}-<letter>")
        for i, zone in enumerate(env.zones)
        if zone_region(zone) != env.region
    ]
    for p, pool in enumerate(env.cluster.node_pools):
        problems += [
            Problem(("cluster", "node_pools", p, "zones", i), zone, f"zone is not in region {env.region}")
            for i, zone in enumerate(pool.zones)
            if zone_region(zone) != env.region
        ]
    return problems


def _overlapping_ranges(env: Environment) -> list[Problem]:
    net = env.network
    named = net.named_ranges()
    problems = []
    for (path_a, a), (path_b, b) in combinations(named, 2):
        if ipaddress.IPv4Network(a).overlaps(ipaddress.IPv4Network(b)):
            other = ".".join(str(part) for part in path_a)
            problems.append(Problem(path_b, b, f"overlaps {other} ({a}); every range must be disjoint"))
    if ipaddress.IPv4Network(net.control_plane_cidr).prefixlen != 28:
        problems.append(
            Problem(("network", "control_plane_cidr"), net.control_plane_cidr, "must be a /28, as GKE requires")
        )
    return problems


def _tenant_names(env: Environment) -> list[Problem]:
    problems, seen = [], set()
    for i, tenant in enumerate(env.tenants):
        if tenant.name in seen:
            problems.append(
                Problem(("tenants", i, "name"), tenant.name, "duplicate tenant; tenant names must be unique")
            )
        seen.add(tenant.name)
        if tenant.name in env.retired_tenants:
            problems.append(
                Problem(
                    ("tenants", i, "name"), tenant.name, "is also in retired_tenants; remove it from one of the two"
                )
            )
        if tenant.name in RESERVED_NAMESPACES:
            problems.append(
                Problem(
                    ("tenants", i, "name"),
                    tenant.name,
                    f"is a reserved namespace; not allowed: {', '.join(sorted(RESERVED_NAMESPACES))}",
                )
            )
        version = tuple(int(part) for part in tenant.ray_version.split(".")[:2])
        if tenant.token_auth and version < MIN_TOKEN_AUTH_RAY:
            problems.append(
                Problem(
                    ("tenants", i, "ray_version"),
                    tenant.ray_version,
                    "token authentication needs Ray 2.52 or newer; allowed: 2.52.0 and later",
                )
            )
    return problems


def _mode_dependencies(env: Environment) -> list[Problem]:
    problems = []
    if env.airgapped and env.registry_mirror is None:
        problems.append(
            Problem(
                ("registry_mirror",),
                None,
                "is required when network.egress is none: an air-gapped cluster pulls every image and chart from it",
            )
        )
    if env.kuberay.install == "namespaced" and not env.tenants:
        problems.append(
            Problem(
                ("kuberay", "install"),
                "namespaced",
                "needs at least one tenant: the operator watches exactly the tenant namespaces",
            )
        )
    for i, tenant in enumerate(env.tenants):
        if tenant.exposure.iap.enabled and env.airgapped:
            problems.append(
                Problem(
                    ("tenants", i, "exposure", "iap", "enabled"),
                    True,
                    "IAP needs an external load balancer, which an air-gapped environment has none of; "
                    "use exposure.internal",
                )
            )
        if tenant.exposure.internal.enabled and not tenant.exposure.internal.source_ranges:
            problems.append(
                Problem(
                    ("tenants", i, "exposure", "internal", "source_ranges"),
                    [],
                    "must list at least one range when internal access is enabled",
                )
            )
    return problems


def _tenant_capacity(env: Environment) -> list[Problem]:
    if env.cluster.mode == "autopilot":
        return []
    has_gpu_pool = any(pool.gpu is not None for pool in env.cluster.node_pools)
    problems = []
    for i, tenant in enumerate(env.tenants):
        for g, group in enumerate(tenant.worker_groups):
            if group.resources.gpu and not has_gpu_pool:
                problems.append(
                    Problem(
                        ("tenants", i, "worker_groups", g, "resources", "gpu"),
                        group.resources.gpu,
                        "asks for GPUs but no node pool has any; add a pool with gpu settings",
                    )
                )
    return problems
