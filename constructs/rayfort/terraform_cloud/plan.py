"""What Terraform Cloud needs for an environment, read from its synthesized app, never typed by hand.

- one workspace per stack, named as the stack's cloud backend names it (``<prefix>-<env>-<stack>``);
- run triggers from cdktf's manifest dependencies (reduced to the direct ones): a successful apply
  queues the stacks right after it;
- remote-state sharing from the ``terraform_remote_state`` data sources: a workspace's state is shared
  with exactly the workspaces whose stacks read it (tenants read network and gke, not kuberay);
- agent execution for stacks that talk to the private control plane (kubernetes and helm providers);
- the Google roles each workspace's service account needs, from the resource types it manages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rayfort.config import Environment
from rayfort.config.state import CloudState
from rayfort.lifecycle.order import dependencies, deploy_order
from rayfort.stacks.base import workspace_name
from rayfort.synthesized import read_manifest, read_stacks

IN_CLUSTER_PROVIDERS = frozenset({"kubernetes", "helm"})


@dataclass(frozen=True)
class WorkspacePlan:
    """One stack's workspace."""

    stack: str
    name: str
    run_after: tuple[str, ...]
    """Stacks whose successful apply queues a run here (run triggers)."""
    read_by: tuple[str, ...]
    """Stacks whose runs may read this workspace's state (remote state consumers)."""
    in_cluster: bool
    """Talks to the private control plane: runs on agents inside the VPC when an agent pool is set."""
    project_roles: tuple[str, ...]
    organization_roles: tuple[str, ...]
    unknown_types: tuple[str, ...]


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
    from rayfort.terraform_cloud.roles import roles_for

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
        project, organization, unknown = roles_for(sorted(tf_json.get("resource", {})))
        workspaces.append(
            WorkspacePlan(
                stack=stack,
                name=workspace_name(env.state, env.name, stack),
                run_after=_direct(needs, stack),
                read_by=tuple(sorted(reader for reader, sources in reads.items() if stack in sources)),
                in_cluster=bool(IN_CLUSTER_PROVIDERS & set(tf_json.get("terraform", {}).get("required_providers", {}))),
                project_roles=tuple(project),
                organization_roles=tuple(organization),
                unknown_types=tuple(unknown),
            )
        )
    return CloudPlan(env.name, env.state, tuple(workspaces))
