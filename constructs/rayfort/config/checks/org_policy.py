"""Settings of the environment that break an organization policy constraint it declares in force."""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.derived import key_projects
from rayfort.config.environment import Environment
from rayfort.config.org_policy import CONTINENT_GROUPS, KEY_PROJECT, Constraint, location_allowed, unresolvable_groups


def _constraint_path(env: Environment, constraint: Constraint) -> tuple[str | int, ...]:
    return ("org_policies", "enforced", env.org_policies.enforced.index(constraint))


def _locations(env: Environment) -> list[tuple[tuple[str | int, ...], str]]:
    """Every location the environment puts a resource in, with the setting that chose it."""
    used: list[tuple[tuple[str | int, ...], str]] = [(("region",), env.region)]
    used += [(("zones", i), zone) for i, zone in enumerate(env.zones)]
    if env.cluster.mode == "standard":
        for p, pool in enumerate(env.cluster.node_pools):
            used += [(("cluster", "node_pools", p, "zones", i), zone) for i, zone in enumerate(pool.zones)]
    existing = env.cluster.kms.existing
    if existing is not None:
        for field in ("boot_disk_key", "secrets_key"):
            match = KEY_PROJECT.match(getattr(existing, field))
            if match:
                used.append((("cluster", "kms", "existing", field), match.group(2)))
    if env.registry_mirror is not None and env.registry_mirror.location is not None:
        used.append((("registry_mirror", "location"), env.registry_mirror.location))
    return used


def _resource_locations(env: Environment) -> list[Problem]:
    policies = env.org_policies
    if not policies.allowed_locations:
        return [
            Problem(
                ("org_policies", "allowed_locations"),
                [],
                "constraints/gcp.resourceLocations is in force: list the allowed locations it sets "
                "(regions, zones or value groups such as in:europe-locations)",
            )
        ]
    found = [
        Problem(
            ("org_policies", "allowed_locations"),
            entry,
            "constraints/gcp.resourceLocations: rayfort cannot resolve this value group; "
            "allowed: regions, zones, in:<region>-locations, in:eu-locations or a continent group such as "
            f"{', '.join(sorted(CONTINENT_GROUPS))}",
        )
        for entry in unresolvable_groups(policies.allowed_locations)
    ]
    found += [
        Problem(
            path,
            location,
            f"is outside constraints/gcp.resourceLocations; allowed: {', '.join(policies.allowed_locations)}",
        )
        for path, location in _locations(env)
        if not location_allowed(location, policies.allowed_locations)
    ]
    return found


def _confidential_computing(env: Environment) -> list[Problem]:
    if env.cluster.mode == "autopilot":
        return []
    return [
        Problem(
            ("cluster", "node_pools", p, "confidential_instance_type"),
            None,
            "constraints/compute.restrictNonConfidentialComputing is in force: every node must be a "
            "Confidential VM; allowed: SEV, SEV_SNP or TDX",
        )
        for p, pool in enumerate(env.cluster.node_pools)
        if pool.confidential_instance_type is None
    ]


def _cmek_key_projects(env: Environment) -> list[Problem]:
    allowed = env.org_policies.allowed_kms_projects
    if not allowed:
        return [
            Problem(
                ("org_policies", "allowed_kms_projects"),
                [],
                "constraints/gcp.restrictCmekCryptoKeyProjects is in force: list the projects it allows to supply keys",
            )
        ]
    return [
        Problem(
            path,
            project,
            "supplies a CMEK key from a project constraints/gcp.restrictCmekCryptoKeyProjects does not allow; "
            f"allowed: {', '.join(allowed)}",
        )
        for path, project in key_projects(env)
        if project not in allowed
    ]


def _workload_identity(env: Environment) -> list[Problem]:
    return [
        Problem(
            _constraint_path(env, "iam.disableWorkloadIdentityClusterCreation"),
            "iam.disableWorkloadIdentityClusterCreation",
            "constraints/iam.disableWorkloadIdentityClusterCreation cannot be met: rayfort gives every "
            "tenant its own Google identity through Workload "
            "Identity and never uses node or key-file credentials; ask for an exception to this "
            "constraint on the project, or deploy to a project where it is not in force",
        )
    ]


_ENVIRONMENT_RULES = {
    "gcp.resourceLocations": _resource_locations,
    "compute.restrictNonConfidentialComputing": _confidential_computing,
    "gcp.restrictCmekCryptoKeyProjects": _cmek_key_projects,
    "iam.disableWorkloadIdentityClusterCreation": _workload_identity,
}


def problems(env: Environment) -> list[Problem]:
    """Settings of the environment that break a constraint it declares to be in force.

    The constraints no setting can break here (shielded and private nodes, OS Login,
    CMEK on every service, no key resources) are checked on the synthesized
    configuration by ``rayfort.controls.org_policies``, with the catalogue's controls.
    """
    found: list[Problem] = []
    for constraint in env.org_policies.enforced:
        rule = _ENVIRONMENT_RULES.get(constraint)
        if rule is not None:
            found += rule(env)
    return found
