"""Rules of the cluster that span several fields of the environment."""

from __future__ import annotations

import fnmatch
import re
from datetime import timedelta

from rayfort.config._types import Problem, parse_time
from rayfort.config.cluster import (
    CONFIDENTIAL_GPU_MACHINE,
    CONFIDENTIAL_GPU_TYPE,
    CONFIDENTIAL_MACHINE_FAMILIES,
    MaintenanceWindow,
    NodePool,
    image_admitted,
    pool_path,
)
from rayfort.config.derived import admitted_image_patterns, control_plane_access, upstream_images
from rayfort.config.environment import Environment
from rayfort.config.placement import admitted_tenants, pool_taints
from rayfort.config.recurrence import least_per_32_days

# registry/path with an optional trailing * (one path segment) or ** (any depth), never a bare registry.
_IMAGE_PATTERN = re.compile(r"^[a-z0-9][-a-z0-9.]*[a-z0-9](:[0-9]+)?/[-_.a-z0-9]+(/[-_.a-z0-9]+)*(/?\*\*?)?$")


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
    found: list[Problem] = []
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
    if not pools or any(not any(t.blocks for t in pool_taints(pool)) for pool in pools):
        return []
    kinds = "; ".join(f"{pool.name}: " + ", ".join(str(t) for t in pool_taints(pool) if t.blocks) for pool in pools)
    return [
        Problem(
            ("cluster", "node_pools"),
            [pool.name for pool in pools],
            f"has no pool without taints ({kinds}); GKE's system pods (kube-dns), the KubeRay operator and "
            "cert-manager tolerate none and would never be scheduled (GKE refuses a cluster whose only pools are "
            "sandbox pools outright); allowed: at least one pool without gpu, sandbox, dedicated or "
            "NoSchedule/NoExecute taints (such as {name: default})",
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
    if control_plane_access(env) != "dns_endpoint" or (perimeter.enabled and perimeter.enforce):
        return []
    if perimeter.join is not None:
        # A joined perimeter's enforcement is its network team's, and no data source reads it at plan time.
        remedy = "a joined perimeter's enforcement is not rayfort's to guarantee; use internal_ip or connect_gateway"
    else:
        remedy = "enforce it, or use internal_ip or connect_gateway"
    return [
        Problem(
            ("cluster", "control_plane_access"),
            "dns_endpoint",
            "needs an enforced VPC Service Controls perimeter (network.service_controls.enabled and "
            "enforce true): the DNS endpoint accepts requests from the internet, guarded only by IAM and "
            f"the perimeter; {remedy}",
        )
    ]


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
