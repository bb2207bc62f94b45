"""VPC Service Controls: access levels and a regular perimeter in an existing access policy, dry-run first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.config.network import AccessLevel, PerimeterRule

# What a Ray platform on GKE touches; every one is fenced by the perimeter. gcr.io
# names resolve to the VIP too, so Container Registry is fenced with Artifact Registry.
REQUIRED_RESTRICTED_SERVICES = (
    "artifactregistry.googleapis.com",
    "binaryauthorization.googleapis.com",
    "cloudkms.googleapis.com",
    "compute.googleapis.com",
    "connectgateway.googleapis.com",
    "container.googleapis.com",
    "containeranalysis.googleapis.com",
    "containerregistry.googleapis.com",
    "containerfilesystem.googleapis.com",
    "containersecurity.googleapis.com",
    "dns.googleapis.com",
    "gkeconnect.googleapis.com",
    "gkehub.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "redis.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
    "sts.googleapis.com",
)


@dataclass(frozen=True)
class DeployerIngress:
    """How the Terraform runner enters the perimeter: its identities, calling from these sources."""

    identities: tuple[str, ...]
    """Members Terraform runs as, such as serviceAccount:tfc-prod-gke@<project>.iam.gserviceaccount.com."""
    networks: tuple[str, ...] = ()
    """Private sources: projects/<number> or //compute.googleapis.com/projects/<id>/global/networks/<name>."""
    access_levels: tuple[str, ...] = ()
    """Public sources: names of the perimeter's access levels."""


@dataclass(frozen=True)
class ServicePerimeterProps:
    """Inputs of ServicePerimeter; the defaults write a dry-run perimeter only."""

    name: str
    """Perimeter name: letters, digits and underscores."""
    project_numbers: tuple[str, ...]
    """Projects inside the perimeter (cluster, KMS, Shared VPC host), as numbers or number tokens."""
    access_policy_id: str
    """An existing access policy: an organization has only one organization-level policy, and creating any
    policy takes organization-level rights, so the policy is a prerequisite, never created here."""
    enforce: bool = False
    """False: the configuration is written as a dry-run spec only. True: it is also enforced."""
    extra_restricted_services: tuple[str, ...] = ()
    """Services restricted besides the required ones."""
    access_levels: tuple[AccessLevel, ...] = ()
    """Basic access levels the perimeter admits."""
    ingress_policies: tuple[PerimeterRule, ...] = ()
    """Ingress policies."""
    egress_policies: tuple[PerimeterRule, ...] = ()
    """Egress policies."""
    deployer: DeployerIngress | None = None
    """The Terraform runner's ingress; an enforced perimeter without it refuses every later plan."""


class ServicePerimeter(Construct):
    """A regular perimeter around rayfort's projects.

    The configuration is always the explicit dry-run ``spec``; ``enforce`` copies the
    same configuration into ``status``, so enforcing is a reviewed switch, and later
    changes can be tried in the spec first. VPC networks inside may call only
    restricted services, through restricted.googleapis.com.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ServicePerimeterProps) -> None:
        super().__init__(scope, construct_id)
        self.policy_name = f"accessPolicies/{props.access_policy_id}"
        self.access_levels = {
            level.name: google.AccessContextManagerAccessLevel(
                self,
                f"level-{level.name}",
                parent=self.policy_name,
                name=f"{self.policy_name}/accessLevels/{level.name}",
                title=level.name,
                basic={"combining_function": "AND", "conditions": [_condition(level)]},
            )
            for level in props.access_levels
        }
        config = self._configuration(props)
        arguments: dict[str, Any] = {"spec": config, "use_explicit_dry_run_spec": True}
        if props.enforce:
            arguments["status"] = config
        self.perimeter = google.AccessContextManagerServicePerimeter(
            self,
            "perimeter",
            parent=self.policy_name,
            name=f"{self.policy_name}/servicePerimeters/{props.name}",
            title=props.name,
            perimeter_type="PERIMETER_TYPE_REGULAR",
            description="rayfort: the cluster project and its keys; restricted services only",
            **arguments,
        )

    def _configuration(self, props: ServicePerimeterProps) -> dict[str, Any]:
        restricted = sorted(set(REQUIRED_RESTRICTED_SERVICES) | set(props.extra_restricted_services))
        config: dict[str, Any] = {
            "resources": [f"projects/{number}" for number in props.project_numbers],
            "restricted_services": restricted,
            "vpc_accessible_services": {"enable_restriction": True, "allowed_services": ["RESTRICTED-SERVICES"]},
        }
        if self.access_levels:
            config["access_levels"] = [level.name for level in self.access_levels.values()]
        ingress = [self._ingress(rule) for rule in props.ingress_policies]
        if props.deployer is not None:
            ingress.insert(0, self._deployer_ingress(props.deployer, restricted))
        if ingress:
            config["ingress_policies"] = ingress
        if props.egress_policies:
            config["egress_policies"] = [_egress(rule) for rule in props.egress_policies]
        return config

    def _deployer_ingress(self, deployer: DeployerIngress, restricted: list[str]) -> dict[str, Any]:
        """Terraform's identities, from their own sources only, to every restricted service it manages."""
        sources = [{"resource": network} for network in deployer.networks]
        sources += [{"access_level": self.access_levels[level].name} for level in deployer.access_levels]
        return {
            "ingress_from": {"identities": list(deployer.identities), "sources": sources},
            "ingress_to": {
                "resources": ["*"],
                "operations": [
                    {"service_name": service, "method_selectors": [{"method": "*"}]} for service in restricted
                ],
            },
        }

    def _ingress(self, rule: PerimeterRule) -> dict[str, Any]:
        sources: list[dict[str, str]] = [{"resource": resource} for resource in rule.resources]
        if rule.access_level is not None:
            sources.append({"access_level": self.access_levels[rule.access_level].name})
        return {
            "ingress_from": {"identities": list(rule.identities), "sources": sources},
            "ingress_to": {"resources": ["*"], "operations": _operations(rule)},
        }


def _condition(level: AccessLevel) -> dict[str, Any]:
    condition: dict[str, Any] = {}
    if level.ip_subnetworks:
        condition["ip_subnetworks"] = list(level.ip_subnetworks)
    if level.members:
        condition["members"] = list(level.members)
    if level.regions:
        condition["regions"] = list(level.regions)
    return condition


def _operations(rule: PerimeterRule) -> list[dict[str, Any]]:
    return [{"service_name": service, "method_selectors": [{"method": "*"}]} for service in rule.services]


def _egress(rule: PerimeterRule) -> dict[str, Any]:
    return {
        "egress_from": {"identities": list(rule.identities)},
        "egress_to": {"resources": list(rule.resources), "operations": _operations(rule)},
    }


@dataclass(frozen=True)
class PerimeterMembershipProps:
    """Inputs of PerimeterMembership: which projects join which existing perimeter."""

    access_policy_id: str
    """The access policy that holds the perimeter."""
    perimeter: str
    """Short name of the existing regular perimeter (the network team's)."""
    project_numbers: dict[str, str]
    """Projects to add, as {project id: number or number token}; never the host, which is already in it."""
    dry_run: bool = False
    """Also add them to the perimeter's explicit dry-run spec."""


class PerimeterMembership(Construct):
    """rayfort's projects as members of a perimeter someone else owns, one membership per project.

    ``google_access_context_manager_service_perimeter_resource`` adds one resource
    to the perimeter's enforced configuration and nothing else: the perimeter's
    restricted services, VPC accessible services, access levels and ingress and
    egress policies stay its owners'. Its owners' Terraform must ignore
    ``status[0].resources`` (and ``spec[0].resources`` with ``dry_run``) or the
    two fight over the list (provider docs of both membership resources).
    """

    def __init__(self, scope: Construct, construct_id: str, props: PerimeterMembershipProps) -> None:
        super().__init__(scope, construct_id)
        self.perimeter_name = f"accessPolicies/{props.access_policy_id}/servicePerimeters/{props.perimeter}"
        self.members: dict[str, Any] = {}
        for project_id, number in props.project_numbers.items():
            resource = f"projects/{number}"
            self.members[project_id] = google.AccessContextManagerServicePerimeterResource(
                self, f"member-{project_id}", perimeter_name=self.perimeter_name, resource=resource
            )
            if props.dry_run:
                google.AccessContextManagerServicePerimeterDryRunResource(
                    self, f"dry-run-member-{project_id}", perimeter_name=self.perimeter_name, resource=resource
                )
