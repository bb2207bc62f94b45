"""Rules of the network that span several fields of the environment."""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.derived import control_plane_access
from rayfort.config.environment import Environment
from rayfort.config.network import (
    HOST_OWNED_SETTINGS,
    MAX_NAME_PREFIX,
    OWN_PERIMETER_SETTINGS,
    OWN_VPC_RANGES,
    perimeter_problems,
)


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    net = env.network
    found: list[Problem] = []
    if len(env.cluster.name) > MAX_NAME_PREFIX:
        found.append(
            Problem(
                ("cluster", "name"),
                env.cluster.name,
                f"is too long to prefix the network's resource names (at most 63 characters with suffixes "
                f"such as -allow-egress-google-apis); allowed: at most {MAX_NAME_PREFIX} characters",
            )
        )
    if net.shared_vpc is not None:
        if net.shared_vpc.host_project_id == env.project_id:
            found.append(
                Problem(
                    ("network", "shared_vpc", "host_project_id"),
                    net.shared_vpc.host_project_id,
                    "is the cluster project itself; allowed: a separate Shared VPC host project",
                )
            )
        found += [
            Problem(
                ("network", setting),
                getattr(net, setting),
                "is decided by the Shared VPC host project's network team, not here; remove it or drop shared_vpc",
            )
            for setting in HOST_OWNED_SETTINGS
            if setting in net.model_fields_set
        ]
        found += _shared_vpc_problems(env)
    found += _joined_perimeter_problems(env)
    found += perimeter_problems(net.service_controls)
    if net.service_controls.enabled and net.service_controls.access_policy_id is None:
        found.append(
            Problem(
                ("network", "service_controls", "access_policy_id"),
                None,
                "is required while the perimeter is enabled: rayfort does not create an access policy (an "
                "organization has only one organization-level policy, and creating any policy needs "
                "organization-level rights); allowed: the number of an existing access policy "
                "(gcloud access-context-manager policies list --organization <id>), organization-level or "
                "scoped to a folder that holds rayfort's projects",
            )
        )
    found += _internet_egress_problems(env)
    return found


def _shared_vpc_problems(env: Environment) -> list[Problem]:
    """What rayfort's own VPC would decide, and what would change the host project, refused one by one."""
    net = env.network
    assert net.shared_vpc is not None
    found = [
        Problem(
            ("network", setting),
            getattr(net, setting),
            f"is a range of rayfort's own VPC; with shared_vpc the host's is used ({where}); remove it",
        )
        for setting, where in OWN_VPC_RANGES.items()
        if setting in net.model_fields_set
    ]
    controls = net.service_controls
    if controls.enabled and controls.join is None:
        found.append(
            Problem(
                ("network", "service_controls", "join"),
                None,
                "is required with shared_vpc: the host project already sits in its network team's regular perimeter, "
                "a project can be in only one, and a perimeter of rayfort's would govern every workload of the host's "
                "VPC; allowed: {name: <that perimeter's name>} (rayfort's projects join it)",
            )
        )
    if controls.enabled and net.shared_vpc.google_apis_vip != "restricted":
        found.append(
            Problem(
                ("network", "shared_vpc", "google_apis_vip"),
                net.shared_vpc.google_apis_vip,
                "reaches Google APIs outside the perimeter's restricted VIP; allowed: restricted (the host's DNS must "
                "answer *.googleapis.com with restricted.googleapis.com)",
            )
        )
    if control_plane_access(env) == "internal_ip" and env.deployer.runs_in == "on_premises":
        found.append(
            Problem(
                ("deployer", "runs_in"),
                "on_premises",
                "reaches the internal IP endpoint only if GKE's peering in the host's VPC exports the on-premises "
                "routes, a change to the host project rayfort does not make; allowed: cluster.control_plane_access "
                "connect_gateway, or runs_in vpc (a runner inside the host's VPC)",
            )
        )
    return found


def _joined_perimeter_problems(env: Environment) -> list[Problem]:
    """A joined perimeter is configured by its owners: rayfort's own perimeter settings have no place there."""
    controls = env.network.service_controls
    if controls.join is None:
        return []
    path = ("network", "service_controls")
    if not controls.enabled:
        return [Problem((*path, "join"), controls.join.model_dump(), "has no effect while enabled is false; remove it")]
    found = [
        Problem(
            (*path, setting),
            getattr(controls, setting),
            "configures a perimeter rayfort owns; a joined perimeter is configured by its network team (who admit "
            "the deployer and decide enforcement), so remove it or drop service_controls.join",
        )
        for setting in OWN_PERIMETER_SETTINGS
        if setting in controls.model_fields_set
    ]
    if env.deployer.perimeter_sources:
        found.append(
            Problem(
                ("deployer", "perimeter_sources"),
                env.deployer.perimeter_sources,
                "shapes the ingress policy of a perimeter rayfort owns; a joined perimeter's network team admits the "
                'deployer (README, "Shared VPC"), so remove it or drop network.service_controls.join',
            )
        )
    return found


def _internet_egress_problems(env: Environment) -> list[Problem]:
    """Internet egress exists only through Cloud NAT; denied, nothing upstream can be pulled without a mirror."""
    net = env.network
    path = ("network", "internet_egress")
    if net.egress == "none":
        if "internet_egress" in net.model_fields_set:
            return [
                Problem(
                    path,
                    net.internet_egress.model_dump(),
                    "has no effect when network.egress is none: an air-gapped network has no internet egress; "
                    "remove it",
                )
            ]
        return []
    egress = net.internet_egress
    if net.shared_vpc is None and egress.deny_by_default and not egress.allowed_fqdns and env.registry_mirror is None:
        return [
            Problem(
                (*path, "allowed_fqdns"),
                [],
                "denies the internet, so nodes cannot pull rayfort's upstream images (quay.io, docker.io) without a "
                "registry_mirror; add registry_mirror (the hardened choice), or list the registries' hosts here "
                "(with a waiver of rule RF046)",
            )
        ]
    return []
