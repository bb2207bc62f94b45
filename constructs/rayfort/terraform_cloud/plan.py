"""What Terraform Cloud needs for an environment, read from its synthesized app, never typed by hand.

- one workspace per stack, named as the stack's cloud backend names it (``<prefix>-<env>-<stack>``);
- run triggers from cdktf's manifest dependencies (reduced to the direct ones): a successful apply
  queues the stacks right after it;
- remote-state sharing from the ``terraform_remote_state`` data sources: a workspace's state is shared
  with exactly the workspaces whose stacks read it (tenants read network and gke, not kuberay);
- agent execution, when the environment names an agent pool, for every stack: those that talk to the
  private control plane (kubernetes and helm providers) need the VPC's routes, and the others call
  Google APIs that an enforced perimeter admits only from private networks (a hosted runner calls from
  the internet, and its 403 would stop the deploy at the first stack);
- the Google roles each workspace's service account needs, from the resource types it manages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rayfort.config import Environment
from rayfort.config.state import CloudState
from rayfort.lifecycle.order import dependencies, deploy_order
from rayfort.stacks.base import workspace_name
from rayfort.synthesized import read_manifest, read_stacks
from rayfort.terraform_cloud.roles import SCOPE_ROLES, roles_for


@dataclass(frozen=True)
class WorkspacePlan:
    """One stack's workspace."""

    stack: str
    name: str
    run_after: tuple[str, ...]
    """Stacks whose successful apply queues a run here (run triggers)."""
    read_by: tuple[str, ...]
    """Stacks whose runs may read this workspace's state (remote state consumers)."""
    on_agents: bool
    """Runs on the environment's agent pool (every workspace does, when it names one)."""
    project_roles: tuple[tuple[str, str], ...]
    """(project, role): each role in each project whose resources the stack manages."""
    organization_roles: tuple[str, ...]
    unknown_types: tuple[str, ...]

    def roles_in(self, project: str) -> tuple[str, ...]:
        return tuple(role for where, role in self.project_roles if where == project)


@dataclass(frozen=True)
class CloudPlan:
    """Every workspace of an environment, in deploy order."""

    environment: str
    state: CloudState
    workspaces: tuple[WorkspacePlan, ...]

    def workspace(self, stack: str) -> WorkspacePlan:
        return next(w for w in self.workspaces if w.stack == stack)


def _remote_state_sources(tf_json: dict, names: dict[str, str]) -> set[str]:
    """Stacks whose state ``tf_json`` reads, from its terraform_remote_state data sources."""
    sources = set()
    for data in tf_json.get("data", {}).get("terraform_remote_state", {}).values():
        workspaces = data.get("config", {}).get("workspaces", {})
        name = workspaces.get("name") if isinstance(workspaces, dict) else None
        if name in names:
            sources.add(names[name])
    return sources


_PROJECT_PATH = re.compile(r"^(?:locations/global/metricsScopes/|projects/)([a-z][-a-z0-9]{4,28}[a-z0-9])(?:/|$)")
_PROJECT_ID = re.compile(r"^(?:.*projects/)?([a-z][-a-z0-9]{4,28}[a-z0-9])$")
_REFERENCE = re.compile(r"^\$\{(google_[a-z0-9_]+)\.([^.}]+)\.(?:id|name)\}$")
_PARENTS = ("key_ring", "key_ring_id", "crypto_key_id", "metrics_scope", "name")
"""Attributes that name a resource's parent, for resources without a ``project`` of their own."""


def _projects(tf_json: dict, resource_type: str, body: dict, default: str, seen: frozenset = frozenset()) -> set[str]:
    """The projects whose IAM decides whether the stack may manage this resource."""
    project = body.get("project")
    if isinstance(project, str) and "${" not in project:
        return {project}
    if resource_type in SCOPE_ROLES:
        scope, monitored = _PROJECT_PATH.match(str(body.get("metrics_scope"))), _PROJECT_ID.match(str(body.get("name")))
        return {m.group(1) for m in (scope, monitored) if m} or {default}
    for attribute in _PARENTS:
        value = body.get(attribute)
        if not isinstance(value, str):
            continue
        if match := _PROJECT_PATH.match(value):
            return {match.group(1)}
        if (ref := _REFERENCE.match(value)) and (ref[1], ref[2]) not in seen:
            parent = tf_json.get("resource", {}).get(ref[1], {}).get(ref[2])
            if parent is not None:
                return _projects(tf_json, ref[1], parent, default, seen | {(ref[1], ref[2])})
    return {default}


def _provider_project(tf_json: dict, default: str) -> str:
    """The project the stack's google provider defaults to (resources without ``project`` go there)."""
    for provider in tf_json.get("provider", {}).get("google", []):
        if "alias" not in provider and isinstance(provider.get("project"), str) and "${" not in provider["project"]:
            return str(provider["project"])
    return default


def _stack_roles(tf_json: dict, default: str) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """((project, role) pairs, organization roles, unknown types) of one stack, each sorted."""
    pairs: set[tuple[str, str]] = set()
    organization: set[str] = set()
    unknown: set[str] = set()
    for resource_type, blocks in tf_json.get("resource", {}).items():
        roles, org_roles, unknown_types = roles_for([resource_type])
        organization |= set(org_roles)
        unknown |= set(unknown_types)
        for body in blocks.values():
            pairs |= {(project, role) for project in _projects(tf_json, resource_type, body, default) for role in roles}
    return sorted(pairs), sorted(organization), sorted(unknown)


def _direct(needs: dict[str, list[str]], stack: str) -> tuple[str, ...]:
    """The dependencies of ``stack`` not already reached through another one (a transitive reduction).

    A trigger from each of them is enough: network's apply queues gke, whose apply queues kuberay, and
    so on; triggers from every ancestor would queue the same run several times.
    """

    def reach(name: str) -> set[str]:
        found: set[str] = set()
        for dep in needs.get(name, []):
            found |= {dep, *reach(dep)}
        return found

    direct = needs.get(stack, [])
    implied = set().union(*(reach(dep) for dep in direct)) if direct else set()
    return tuple(sorted(dep for dep in direct if dep not in implied))


def cloud_plan(env: Environment, outdir: Path) -> CloudPlan:
    """The Terraform Cloud plan for ``env``, whose app is synthesized in ``outdir``."""
    if not isinstance(env.state, CloudState):
        raise ValueError(f"environment {env.name} keeps its state in {env.state.backend}, not Terraform Cloud")
    manifest = read_manifest(outdir)
    stacks = read_stacks(outdir)
    names = {workspace_name(env.state, env.name, stack): stack for stack in stacks}
    reads = {stack: _remote_state_sources(tf_json, names) for stack, tf_json in stacks.items()}
    needs = dependencies(manifest)
    workspaces = []
    for stack in deploy_order(manifest):
        tf_json = stacks[stack]
        project, organization, unknown = _stack_roles(tf_json, _provider_project(tf_json, env.project_id))
        workspaces.append(
            WorkspacePlan(
                stack=stack,
                name=workspace_name(env.state, env.name, stack),
                run_after=_direct(needs, stack),
                read_by=tuple(sorted(reader for reader, sources in reads.items() if stack in sources)),
                on_agents=env.state.agent_pool_id is not None,
                project_roles=tuple(project),
                organization_roles=tuple(organization),
                unknown_types=tuple(unknown),
            )
        )
    return CloudPlan(env.name, env.state, tuple(workspaces))
