"""Rules of the network that span several fields of the environment."""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.environment import Environment
from rayfort.config.network import HOST_OWNED_SETTINGS, MAX_NAME_PREFIX, perimeter_problems


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
