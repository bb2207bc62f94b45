"""The organization policy constraints an environment declares to be in force."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from rayfort.config._types import Model, Problem, ProjectId, zone_region

if TYPE_CHECKING:
    from rayfort.config.environment import Environment

Constraint = Literal[
    "gcp.resourceLocations",
    "compute.requireShieldedVm",
    "compute.requireOsLogin",
    "compute.restrictNonConfidentialComputing",
    "compute.vmExternalIpAccess",
    "iam.disableWorkloadIdentityClusterCreation",
    "gcp.restrictNonCmekServices",
    "gcp.restrictCmekCryptoKeyProjects",
    "iam.disableServiceAccountKeyCreation",
]


class OrgPolicies(Model):
    """Constraints in force on the project; synth refuses a configuration that breaks one."""

    enforced: list[Constraint] = []
    """Constraint names in force, without the constraints/ prefix."""
    allowed_locations: list[str] = []
    """For gcp.resourceLocations: regions, zones or value groups such as in:europe-locations."""
    allowed_kms_projects: list[ProjectId] = []
    """For gcp.restrictCmekCryptoKeyProjects: projects allowed to supply CMEK keys."""
    manage: bool = False
    """Also set the enforced constraints on the project with google_org_policy_policy."""


# Value groups of gcp.resourceLocations rayfort can resolve, by the regions they contain.
_CONTINENT_GROUPS = {
    "in:europe-locations": ("europe-",),
    "in:us-locations": ("us-",),
    "in:northamerica-locations": ("northamerica-", "us-"),
    "in:southamerica-locations": ("southamerica-",),
    "in:asia-locations": ("asia-",),
    "in:australia-locations": ("australia-",),
}
# The regions in European Union member states.
_EU_REGIONS = frozenset(
    {
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west3",
        "europe-west4",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
    }
)
_REGION_GROUP = re.compile(r"^in:([a-z]+-[a-z]+[0-9]+)-locations$")
_KEY_PROJECT = re.compile(r"^projects/([^/]+)/locations/([^/]+)/")
# Services whose resources rayfort encrypts with its keys: what gcp.restrictNonCmekServices denies.
CMEK_SERVICES = (
    "artifactregistry.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "redis.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
)


def _constraint_path(env: Environment, constraint: str) -> tuple[str | int, ...]:
    return ("org_policies", "enforced", env.org_policies.enforced.index(constraint))


def location_allowed(location: str, allowed: list[str]) -> bool:
    """Whether a region or zone is inside the allowed list of gcp.resourceLocations.

    A plain value admits exactly that location (a region does not admit its zones);
    value groups admit their regions and every zone of them.
    """
    region = zone_region(location) or location
    for entry in allowed:
        if entry in (location, f"in:{region}-locations"):
            return True
        if entry == "in:eu-locations" and region in _EU_REGIONS:
            return True
        if region.startswith(_CONTINENT_GROUPS.get(entry, ())):
            return True
    return False


def _unresolvable_groups(allowed: list[str]) -> list[str]:
    return [
        entry
        for entry in allowed
        if entry.startswith("in:")
        and entry not in _CONTINENT_GROUPS
        and entry != "in:eu-locations"
        and not _REGION_GROUP.match(entry)
    ]


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
            match = _KEY_PROJECT.match(getattr(existing, field))
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
            f"{', '.join(sorted(_CONTINENT_GROUPS))}",
        )
        for entry in _unresolvable_groups(policies.allowed_locations)
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


def key_projects(env: Environment) -> list[tuple[tuple[str | int, ...], str]]:
    """The projects that supply the environment's CMEK keys, with the setting that names each."""
    kms = env.cluster.kms
    found: list[tuple[tuple[str | int, ...], str]] = []
    if kms.create is not None:
        if kms.create.project_id is None:
            found.append((("project_id",), env.project_id))
        else:
            found.append((("cluster", "kms", "create", "project_id"), kms.create.project_id))
    else:
        assert kms.existing is not None
        for field in ("boot_disk_key", "secrets_key"):
            match = _KEY_PROJECT.match(getattr(kms.existing, field))
            if match:
                found.append((("cluster", "kms", "existing", field), match.group(1)))
    # The mirror's own key, when given, is a CMEK key like the cluster's.
    mirror_key = env.registry_mirror.kms_key if env.registry_mirror is not None else None
    match = _KEY_PROJECT.match(mirror_key or "")
    if match:
        found.append((("registry_mirror", "kms_key"), match.group(1)))
    return found


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
    configuration by ``configuration_problems``, with the catalogue's controls.
    """
    found: list[Problem] = []
    for constraint in env.org_policies.enforced:
        rule = _ENVIRONMENT_RULES.get(constraint)
        if rule is not None:
            found += rule(env)
    return found


def configuration_problems(env: Environment, stacks: dict[str, dict[str, Any]]) -> list[str]:
    """Resources of the synthesized stacks ({stack id: cdk.tf.json}) that break a constraint in force.

    Each constraint is enforced by controls of the catalogue (``Control.org_policies``);
    their checks decide, and a waiver does not help: the organization would refuse
    the apply. Each message names the constraint, the stack, the resource, the
    attribute and the control.
    """
    from rayfort.controls import CONTROLS

    found = []
    for constraint in env.org_policies.enforced:
        for control in CONTROLS:
            attributes = control.org_policies.get(constraint)
            if not attributes:
                continue
            for stack, tf_json in sorted(stacks.items()):
                for resource_type, check in control.checks.items():
                    for name, body in sorted(tf_json.get("resource", {}).get(resource_type, {}).items()):
                        if not control.applies(body):
                            continue
                        found += [
                            f"constraints/{constraint} is in force: {stack}: {resource_type}.{name}: {finding} "
                            f"({control.id}; no waiver lifts an organization policy)"
                            for finding in check(body)
                            if finding.startswith(attributes)
                        ]
    return list(dict.fromkeys(found))
