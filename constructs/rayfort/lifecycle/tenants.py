"""A tenant's stack may not silently disappear: removing or renaming a tenant is refused until it is offboarded.

Dropping a tenant from the environment drops its stack from the app, and Terraform then never plans
its destruction: the namespace, bucket, KMS keys and Redis instance stay, orphaned in a state nobody
runs again. So a synth compares the tenants with what says they are deployed, and refuses to lose one
that the environment does not name in ``retired_tenants``. Evidence, each optional (a fresh clone has
none, and synthesizes as usual):

- the previous synth of the same environment in the output directory (its rayfort-synth.json);
- the committed ``deploy/<env>/tenant-<name>/`` of VCS-driven Terraform Cloud runs;
- with local state, ``<state dir>/<env>/tenant-<name>.tfstate`` still holding resources.
"""

from __future__ import annotations

import json
from pathlib import Path

from rayfort.config import Environment
from rayfort.config.state import LocalState
from rayfort.lifecycle.record import read_record

TENANT_STACK_PREFIX = "tenant-"
OFFBOARDING = 'README "Offboarding a tenant"'


def _state_file(env: Environment, project_dir: Path, tenant: str) -> Path | None:
    if not isinstance(env.state, LocalState):
        return None
    return project_dir / env.state.directory / env.name / f"{TENANT_STACK_PREFIX}{tenant}.tfstate"


def _resources_in_state(path: Path) -> int:
    """Resources recorded in a local state file; 0 when it is absent, empty or unreadable as state."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    resources = document.get("resources") if isinstance(document, dict) else None
    return len(resources) if isinstance(resources, list) else 0


def deployed_tenants(env: Environment, outdir: Path, project_dir: Path) -> dict[str, list[str]]:
    """{tenant: why it counts as deployed} for every tenant any evidence names."""
    evidence: dict[str, list[str]] = {}
    record = read_record(outdir)
    if record is not None and record.environment == env.name:
        for name in record.tenants:
            evidence.setdefault(name, []).append(f"the previous synth in {outdir}")
    committed = project_dir / "deploy" / env.name
    if committed.is_dir():
        for stack in sorted(committed.glob(f"{TENANT_STACK_PREFIX}*/cdk.tf.json")):
            name = stack.parent.name.removeprefix(TENANT_STACK_PREFIX)
            evidence.setdefault(name, []).append(f"deploy/{env.name}/{stack.parent.name}/ is committed")
    if isinstance(env.state, LocalState):
        state_dir = project_dir / env.state.directory / env.name
        for path in sorted(state_dir.glob(f"{TENANT_STACK_PREFIX}*.tfstate")):
            count = _resources_in_state(path)
            if count:
                name = path.name.removeprefix(TENANT_STACK_PREFIX).removesuffix(".tfstate")
                evidence.setdefault(name, []).append(f"{count} resources in {path.relative_to(project_dir)}")
    return evidence


def lifecycle_problems(env: Environment, outdir: Path, project_dir: Path) -> list[str]:
    """Why this synth would lose a deployed tenant, or retire one that still holds resources; empty if neither."""
    current = [tenant.name for tenant in env.tenants]
    deployed = deployed_tenants(env, outdir, project_dir)
    removed = {name: why for name, why in deployed.items() if name not in current and name not in env.retired_tenants}
    added = [name for name in current if name not in deployed]
    problems = []
    for name, why in sorted(removed.items()):
        stack = f"{TENANT_STACK_PREFIX}{name}"
        rename = ""
        if added:
            rename = (
                f" If {name} was renamed to {' or '.join(added)}: a tenant cannot be renamed in place (its stack id, "
                "namespace, bucket, keys and Redis instance derive from the name); onboard the new name beside it, "
                f"move the data, then offboard {name}."
            )
        problems.append(
            f"  - tenants: {name} is gone from the environment, but its stack {stack} is deployed "
            f"({'; '.join(why)}). Dropping it would orphan its namespace, bucket, KMS keys and Redis instance in "
            f"Terraform state. To offboard it ({OFFBOARDING}): keep it in tenants, destroy its stack "
            f"(make destroy STACK={stack}), then move it to retired_tenants.{rename}"
        )
    for name in env.retired_tenants:
        state = _state_file(env, project_dir, name)
        count = _resources_in_state(state) if state is not None else 0
        if state is not None and count:
            problems.append(
                f"  - retired_tenants: {name} still has {count} resources in {state.relative_to(project_dir)}; "
                f"put it back in tenants, destroy its stack (make destroy STACK={TENANT_STACK_PREFIX}{name}), "
                f"then retire it ({OFFBOARDING})"
            )
    return problems
