"""Foreign networks: a VPC the deployment only reads (a Shared VPC host's) is changed by none of its resources.

A network or subnet read through a data source in another project than its
stack's google provider's belongs to someone else: a Shared VPC host, whose
network team owns its IAM, firewall, routes, peerings, private service access
and DNS. A resource of those kinds in that project, or pointed at that network,
needs rights there the deployer should not hold, fights the network team's own
configuration, and fails the apply where they refuse it. Resources that only
attach to the network (a cluster, an instance, an address) are not judged here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rayfort_tools.judges.deployability.outcome import Outcome
from rayfort_tools.judges.deployability.terraform import Deployment, Stack

CHECK = "foreign-network"
NETWORK_READS = ("google_compute_network", "google_compute_subnetwork")
CHANGES_A_NETWORK_OWNERS_PROJECT = re.compile(
    r"_iam_(member|binding|policy)$"
    r"|^google_compute_(firewall|firewall_policy\w*|network_firewall_policy\w*|route|router\w*|network_peering\w*"
    r"|global_address|shared_vpc_\w+)$"
    r"|^google_dns_\w+$|^google_service_networking_connection$"
)


def _provider_project(stack: Stack) -> str | None:
    for address, config in stack.providers():
        if address.startswith("provider.google[") and "alias" not in config:
            project = stack.literal(config.get("project"))
            return project if isinstance(project, str) else None
    return None


def foreign_networks(deployment: Deployment) -> tuple[set[str], set[tuple[str, str]]]:
    """(projects, (stack, data source address)) of the networks and subnets read in another project."""
    projects: set[str] = set()
    reads: set[tuple[str, str]] = set()
    for stack in deployment.stacks.values():
        own = _provider_project(stack)
        for address, body in stack.data_sources(*NETWORK_READS):
            project = stack.literal(body.get("project"), address)
            if isinstance(project, str) and project != own:
                projects.add(project)
                reads.add((stack.name, address))
    return projects, reads


def check(deployment: Deployment) -> Iterator[Outcome]:
    projects, reads = foreign_networks(deployment)
    if not projects:
        return
    for stack in deployment.stacks.values():
        for address, body in stack.resources():
            if not CHANGES_A_NETWORK_OWNERS_PROJECT.search(address.split(".")[0]):
                continue
            yield Outcome(CHECK, stack.name, address, _problem(stack, address, body, projects, reads))


def _problem(stack: Stack, address: str, body: dict, projects: set[str], reads: set[tuple[str, str]]) -> str | None:
    project = stack.literal(body.get("project"), address)
    if isinstance(project, str) and project in projects:
        return f"changes project {project}, whose network this deployment only reads (a Shared VPC host's)"
    for ref in stack.refs(body):
        for origin, origin_ref in stack.origins(ref):
            if (origin.name, origin_ref.address) in reads:
                return (
                    f"acts on {origin.name}/{origin_ref.address}, a network this deployment only reads "
                    "(a Shared VPC host's)"
                )
    return None
