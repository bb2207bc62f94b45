"""Organization policy constraints checked on the synthesized stacks, by the catalogue's controls.

The environment's own settings are checked against the constraints it declares
in force by ``rayfort.config.checks.org_policy``; what no setting can break there
(shielded and private nodes, OS Login, CMEK on every service, no key resources)
is checked here on the synthesized configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rayfort.config.environment import Environment
from rayfort.controls.catalogue import CONTROLS


def configuration_problems(env: Environment, stacks: Mapping[str, dict[str, Any]]) -> list[str]:
    """Resources of the synthesized stacks ({stack id: cdk.tf.json}) that break a constraint in force.

    Each constraint is enforced by controls of the catalogue (``Control.org_policies``);
    their checks decide, and a waiver does not help: the organization would refuse
    the apply. Each message names the constraint, the stack, the resource, the
    attribute and the control; they come by constraint, then control, then stack.
    Each stack is read once, so a mapping that parses a stack when asked for it works too.
    """
    enforcing = [
        (constraint, control, attributes)
        for constraint in env.org_policies.enforced
        for control in CONTROLS
        if (attributes := control.org_policies.get(constraint))
    ]
    found: dict[tuple[str, str], list[str]] = {(constraint, control.id): [] for constraint, control, _ in enforcing}
    for stack in sorted(stacks):
        resources = stacks[stack].get("resource", {})
        for constraint, control, attributes in enforcing:
            problems = found[constraint, control.id]
            for resource_type, check in control.checks.items():
                for name, body in sorted(resources.get(resource_type, {}).items()):
                    if not control.applies(body):
                        continue
                    problems += [
                        f"constraints/{constraint} is in force: {stack}: {resource_type}.{name}: {finding} "
                        f"({control.id}; no waiver lifts an organization policy)"
                        for finding in check(body)
                        if finding.startswith(attributes)
                    ]
    return list(dict.fromkeys(problem for problems in found.values() for problem in problems))
