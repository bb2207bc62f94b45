"""Settings of the network perimeter: VPC, egress, firewall, VPC Service Controls."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field

from rayfort.config._types import Cidr, Model, Problem, ProjectId

RESTRICTED_GOOGLE_APIS_CIDR = "199.36.153.4/30"
PRIVATE_GOOGLE_APIS_CIDR = "199.36.153.8/30"


class FlowLogs(Model):
    """VPC flow logs of the node subnet; always on."""

    interval: Literal[
        "INTERVAL_5_SEC", "INTERVAL_30_SEC", "INTERVAL_1_MIN", "INTERVAL_5_MIN", "INTERVAL_10_MIN", "INTERVAL_15_MIN"
    ] = "INTERVAL_5_SEC"
    """Aggregation interval; the shortest by default, for forensics."""
    sampling: float = Field(default=0.5, gt=0.0, le=1.0)
    """Fraction of flows recorded, above 0 and at most 1."""
    metadata: Literal["INCLUDE_ALL_METADATA", "EXCLUDE_ALL_METADATA"] = "INCLUDE_ALL_METADATA"
    """Whether records carry VM and network metadata."""


NAME_PATTERN = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"


class HostRange(Model):
    """A range the Shared VPC host project reserved: its name there, and its CIDR.

    The CIDR is a literal so that the tenants' network policies can name it and be analysed; the network
    stack reads the host's range at plan time and fails the plan when it differs.
    """

    name: str = Field(pattern=NAME_PATTERN)
    """Its name in the host project (a secondary range of the subnet, or a global address)."""
    cidr: Cidr
    """Its range, exactly as the host declares it."""


class SharedVpc(Model):
    """Consume a subnet of a Shared VPC host project instead of creating a VPC.

    Everything in the host belongs to its network team: rayfort reads it and changes nothing there (the
    grants, firewall rules and DNS it needs are prerequisites, listed in the README).
    """

    host_project_id: ProjectId
    """The host project that owns the VPC."""
    network: str = Field(pattern=NAME_PATTERN)
    """Name of the host project's VPC network."""
    subnetwork: str = Field(pattern=NAME_PATTERN)
    """Name of the host project's subnet the cluster uses, in the environment's region."""
    pods_range: HostRange
    """The subnet's secondary range for pods (name and CIDR); required."""
    services_range: HostRange
    """The subnet's secondary range for services (name and CIDR); required."""
    private_services_range: HostRange
    """The host's private service access range (its global address and CIDR) Memorystore is placed in;
    required: the tenants' Redis egress names it."""
    google_apis_vip: Literal["restricted", "private"]
    """The VIP the host's DNS answers *.googleapis.com with (restricted.googleapis.com inside a perimeter);
    required: the tenants' Google APIs egress names it."""

    @property
    def google_apis_cidr(self) -> str:
        return RESTRICTED_GOOGLE_APIS_CIDR if self.google_apis_vip == "restricted" else PRIVATE_GOOGLE_APIS_CIDR


class AccessLevel(Model):
    """A basic access level of the VPC-SC access policy."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,49}$")
    """Short name, unique in the policy."""
    ip_subnetworks: list[Cidr] = []
    """Source ranges that satisfy this level."""
    members: list[str] = []
    """Identities (user:, serviceAccount:) that satisfy this level."""
    regions: list[str] = []
    """ISO 3166 region codes that satisfy this level."""


class PerimeterRule(Model):
    """One ingress or egress policy of the perimeter, kept deliberately narrow."""

    identities: list[str] = Field(min_length=1)
    """Identities the rule admits (user:, group:, serviceAccount:)."""
    services: list[str] = Field(min_length=1)
    """Services the rule opens, such as storage.googleapis.com."""
    resources: list[str] = Field(min_length=1)
    """Projects on the other side, as projects/<number>."""
    access_level: str | None = None
    """For ingress: an access level name the source must satisfy."""


class JoinedPerimeter(Model):
    """An existing regular perimeter, the network team's, that rayfort's projects join instead of one of its own.

    A project can be in only one regular perimeter, and a Shared VPC host already sits in its network
    team's; the service project must share it for its VPC's calls to reach its data.
    """

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,49}$")
    """Short name of the perimeter in ``access_policy_id`` (accessPolicies/<id>/servicePerimeters/<name>)."""
    membership: Literal["rayfort", "prerequisite"] = "rayfort"
    """rayfort: the network stack adds rayfort's projects (never the host) to the perimeter, one
    membership each, which needs the Access Context Manager editor role on the policy; prerequisite: the
    network team adds them before the first deploy (README, "Shared VPC")."""
    dry_run: bool = False
    """Also add the projects to the perimeter's explicit dry-run spec; only for a perimeter that has one."""


class ServiceControls(Model):
    """The VPC Service Controls perimeter around the cluster project."""

    enabled: bool = True
    """On by default; turning it off needs a waiver."""
    # rayfort never creates the access policy. An organization has at most one organization-level policy
    # (creating a second answers 409), and creating any policy, scoped ones included, takes an
    # organization-level Access Context Manager administrator; a project-scoped policy could not hold the
    # KMS or Shared VPC host projects either. Source: Access Context Manager, "Scoped policies".
    access_policy_id: str | None = Field(default=None, pattern=r"^[0-9]+$")
    """The existing access policy (organization-level, or scoped to a folder holding rayfort's projects) the
    perimeter goes in; required while the perimeter is enabled: rayfort never creates a policy."""
    enforce: bool = False
    """False writes a dry-run spec only; true moves the spec to enforced status."""
    extra_restricted_services: list[str] = []
    """Services restricted in addition to rayfort's required list."""
    access_levels: list[AccessLevel] = []
    """Access levels the perimeter admits."""
    ingress_policies: list[PerimeterRule] = []
    """Ingress policies, each naming identities, services and source resources."""
    egress_policies: list[PerimeterRule] = []
    """Egress policies, each naming identities, services and destination resources."""
    join: JoinedPerimeter | None = None
    """Join this existing perimeter instead of creating one; required with shared_vpc, whose host is in it."""


# A host name as Cloud NGFW FQDN objects take it: lowercase labels, no wildcard, no trailing dot.
FQDN_PATTERN = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
# A network firewall policy rule matches at most 100 destination FQDNs (compute_network_firewall_policy_rule).
MAX_FQDNS = 100


class InternetEgress(Model):
    """What nodes and pods may reach on the internet in NAT mode: nothing, unless named here and waived."""

    deny_by_default: bool = True
    """Deny all egress but Google APIs, the VPC, the control plane and Memorystore; false needs a waiver (RF045)."""
    allowed_fqdns: list[Annotated[str, Field(pattern=FQDN_PATTERN, max_length=253)]] = Field(
        default=[], max_length=MAX_FQDNS
    )
    """Internet hosts reached on TCP 443 through Cloud NAT (Cloud NGFW), such as pypi.org; needs a waiver (RF046)."""


class NetworkSettings(Model):
    """The private VPC every other stack sits in."""

    egress: Literal["nat", "none"] = "nat"
    """nat: Cloud NAT with logging; none: air-gapped, Google APIs only through the private VIP."""
    subnet_cidr: Cidr = "10.10.0.0/20"
    """Primary range of the node subnet."""
    pods_cidr: Cidr = "10.20.0.0/16"
    """Secondary range for pods."""
    services_cidr: Cidr = "10.30.0.0/20"
    """Secondary range for services."""
    control_plane_cidr: Cidr = "172.16.0.0/28"
    """The /28 reserved for the control plane."""
    private_services_cidr: Cidr = "10.40.0.0/20"
    """Range reserved for private service access (Memorystore for Redis)."""
    peered_cidrs: list[Cidr] = []
    """Ranges of peered VPCs or on-premises networks that must not overlap ours."""
    flow_logs: FlowLogs = FlowLogs()
    """Flow log settings of the node subnet."""
    nat_logging: Literal["ERRORS_ONLY", "ALL"] = "ALL"
    """What Cloud NAT logs; every translation by default."""
    iap_tcp_forwarding: bool = False
    """Allow IAP TCP forwarding (35.235.240.0/20) to the nodes."""
    internet_egress: InternetEgress = InternetEgress()
    """Internet egress in NAT mode: denied by default, opened per host name."""
    shared_vpc: SharedVpc | None = None
    """Use a Shared VPC host project's subnet instead of creating a VPC."""
    service_controls: ServiceControls = ServiceControls()
    """The VPC Service Controls perimeter."""

    @property
    def google_apis_cidr(self) -> str:
        """The VIP nodes reach Google APIs through: restricted inside a VPC-SC perimeter, private otherwise;
        with a Shared VPC, the one the host's DNS answers."""
        if self.shared_vpc is not None:
            return self.shared_vpc.google_apis_cidr
        return RESTRICTED_GOOGLE_APIS_CIDR if self.service_controls.enabled else PRIVATE_GOOGLE_APIS_CIDR

    @property
    def private_services(self) -> str:
        """The range Memorystore instances are placed in: ours, or the host's."""
        if self.shared_vpc is not None:
            return self.shared_vpc.private_services_range.cidr
        return self.private_services_cidr

    def named_ranges(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every range of the network with the setting that declares it; they must all be disjoint."""
        shared = self.shared_vpc
        control_plane = (("network", "control_plane_cidr"), self.control_plane_cidr)
        named: list[tuple[tuple[str | int, ...], str]]
        if shared is None:
            named = [
                (("network", "subnet_cidr"), self.subnet_cidr),
                (("network", "pods_cidr"), self.pods_cidr),
                (("network", "services_cidr"), self.services_cidr),
                control_plane,
                (("network", "private_services_cidr"), self.private_services_cidr),
            ]
        else:
            # The host's subnet's primary range is read at plan time, so it cannot be checked here.
            named = [
                *(
                    (("network", "shared_vpc", field, "cidr"), getattr(shared, field).cidr)
                    for field in ("pods_range", "services_range", "private_services_range")
                ),
                control_plane,
            ]
        return [
            *named,
            *((("network", "peered_cidrs", i), cidr) for i, cidr in enumerate(self.peered_cidrs)),
        ]

    @property
    def google_apis_host(self) -> str:
        """The DNS name of that VIP, fully qualified."""
        return "restricted.googleapis.com." if self.service_controls.enabled else "private.googleapis.com."


# Longest suffix the network stack appends to the cluster name ("-allow-egress-google-apis").
MAX_NAME_PREFIX = 63 - len("-allow-egress-google-apis")
# Settings of things a Shared VPC host owns: its subnet's logs, its NAT and its firewall.
HOST_OWNED_SETTINGS = ("flow_logs", "nat_logging", "iap_tcp_forwarding", "internet_egress")
# Ranges of rayfort's own VPC, and where a Shared VPC environment declares the host's instead.
OWN_VPC_RANGES = {
    "subnet_cidr": "the host's subnet, read from shared_vpc.subnetwork",
    "pods_cidr": "shared_vpc.pods_range",
    "services_cidr": "shared_vpc.services_range",
    "private_services_cidr": "shared_vpc.private_services_range",
}
# Settings of a perimeter rayfort owns; a joined perimeter is configured by its owners.
OWN_PERIMETER_SETTINGS = (
    "enforce",
    "extra_restricted_services",
    "access_levels",
    "ingress_policies",
    "egress_policies",
)
IDENTITY_PREFIXES = ("user:", "group:", "serviceAccount:", "principal:", "principalSet:")
PERIMETER_RESOURCE_PATTERN = r"^projects/[0-9]+$"
# Addresses an access level never sees as a request's origin (RFC 1918, shared and link-local space).
_INTERNAL_RANGES = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
)


def perimeter_problems(controls: ServiceControls) -> list[Problem]:
    base = ("network", "service_controls")
    found: list[Problem] = []
    levels = {level.name for level in controls.access_levels}
    for i, level in enumerate(controls.access_levels):
        if not (level.ip_subnetworks or level.members or level.regions):
            found.append(
                Problem(
                    (*base, "access_levels", i),
                    level.name,
                    "has no condition; allowed: at least one of ip_subnetworks, members, regions",
                )
            )
        for j, cidr in enumerate(level.ip_subnetworks):
            if any(ipaddress.IPv4Network(cidr).overlaps(private) for private in _INTERNAL_RANGES):
                found.append(
                    Problem(
                        (*base, "access_levels", i, "ip_subnetworks", j),
                        cidr,
                        "is a private range, which access levels cannot match; allowed: public ranges",
                    )
                )
    names = [level.name for level in controls.access_levels]
    for i, name in enumerate(names):
        if name in names[:i]:
            found.append(
                Problem(
                    (*base, "access_levels", i, "name"), name, "is declared twice; access level names must be unique"
                )
            )
    for kind in ("ingress_policies", "egress_policies"):
        for i, rule in enumerate(getattr(controls, kind)):
            path = (*base, kind, i)
            for j, identity in enumerate(rule.identities):
                if not identity.startswith(IDENTITY_PREFIXES):
                    found.append(
                        Problem(
                            (*path, "identities", j),
                            identity,
                            f"allowed: an identity starting with one of {', '.join(IDENTITY_PREFIXES)}",
                        )
                    )
            for j, service in enumerate(rule.services):
                if not service.endswith(".googleapis.com"):
                    found.append(
                        Problem(
                            (*path, "services", j), service, "allowed: a service name such as storage.googleapis.com"
                        )
                    )
            for j, resource in enumerate(rule.resources):
                if not re.match(PERIMETER_RESOURCE_PATTERN, resource):
                    found.append(
                        Problem((*path, "resources", j), resource, "allowed: a project as projects/<project number>")
                    )
            if rule.access_level is not None:
                if kind == "egress_policies":
                    found.append(
                        Problem(
                            (*path, "access_level"),
                            rule.access_level,
                            "is only meaningful for ingress policies; remove it",
                        )
                    )
                elif rule.access_level not in levels:
                    found.append(
                        Problem(
                            (*path, "access_level"),
                            rule.access_level,
                            f"is not declared; allowed: {', '.join(sorted(levels)) or 'none declared'}",
                        )
                    )
    return found
