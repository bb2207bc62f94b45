"""Organization policy constraints on the synthesized stacks, without a synth: what each one refuses.

A constraint in force refuses the findings of the controls that enforce it, and
only those: the attributes the constraint governs, on resources the control is
about, in every stack. No waiver lifts it (the organization refuses the apply).
"""

from __future__ import annotations

import copy
from typing import Any

from rayfort.config import Environment
from rayfort.controls.org_policies import configuration_problems
from tests.config.test_models import MINIMAL
from tests.policy.test_rules import GOOD_POOL

POOL = "google_container_node_pool"
CLUSTER = "google_container_cluster"


def _env(*enforced: str) -> Environment:
    return Environment.model_validate({**MINIMAL, "org_policies": {"enforced": list(enforced)}})


def _pool(**shielded: Any) -> dict[str, Any]:
    pool = copy.deepcopy(GOOD_POOL)
    pool["node_config"]["shielded_instance_config"].update(shielded)
    return pool


def _stacks(**resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{stack: cdk.tf.json} with the given {resource type: {name: body}} per stack."""
    return {stack: {"resource": by_type} for stack, by_type in resources.items()}


UNSHIELDED = _stacks(gke={POOL: {"ray": _pool(enable_secure_boot=False), "system": _pool()}})
SHIELDED = "constraints/compute.requireShieldedVm is in force"


def test_nothing_in_force_refuses_nothing() -> None:
    assert configuration_problems(_env(), UNSHIELDED) == []


def test_a_constraint_in_force_names_the_stack_resource_attribute_and_control() -> None:
    assert configuration_problems(_env("compute.requireShieldedVm"), UNSHIELDED) == [
        f"{SHIELDED}: gke: {POOL}.ray: node_config.shielded_instance_config.enable_secure_boot is not true "
        "(RF001; no waiver lifts an organization policy)"
    ]
    # Another constraint in force, which the weakened pool does not break, refuses nothing.
    assert configuration_problems(_env("compute.requireOsLogin"), UNSHIELDED) == []


def test_every_stack_and_every_resource_is_read_in_order() -> None:
    stacks = _stacks(
        **{"tenant-b": {POOL: {"z": _pool(enable_integrity_monitoring=False), "a": _pool(enable_secure_boot=False)}}},
        gke={POOL: {"ray": _pool(enable_secure_boot=False)}},
    )
    found = configuration_problems(_env("compute.requireShieldedVm"), stacks)
    assert [problem.split(": ")[1:3] for problem in found] == [
        ["gke", f"{POOL}.ray"],
        ["tenant-b", f"{POOL}.a"],
        ["tenant-b", f"{POOL}.z"],
    ]


def test_only_the_attributes_the_constraint_governs_are_refused() -> None:
    """compute.vmExternalIpAccess forbids public node IPs; a public control plane endpoint is not its business."""
    cluster = {"private_cluster_config": {"enable_private_nodes": False, "enable_private_endpoint": False}}
    (problem,) = configuration_problems(_env("compute.vmExternalIpAccess"), _stacks(gke={CLUSTER: {"c": cluster}}))
    assert problem.startswith(f"constraints/compute.vmExternalIpAccess is in force: gke: {CLUSTER}.c: ")
    assert "private_cluster_config.enable_private_nodes is not true (RF005;" in problem
    private = {"private_cluster_config": {"enable_private_nodes": True, "enable_private_endpoint": False}}
    assert configuration_problems(_env("compute.vmExternalIpAccess"), _stacks(gke={CLUSTER: {"c": private}})) == []


def test_a_resource_the_control_is_not_about_is_not_read() -> None:
    """An Autopilot cluster has no node_config of its own: RF001 does not apply to it."""
    autopilot = {"enable_autopilot": True}
    assert configuration_problems(_env("compute.requireShieldedVm"), _stacks(gke={CLUSTER: {"c": autopilot}})) == []
    standard = {"enable_autopilot": False}
    both = _stacks(gke={CLUSTER: {"a": autopilot, "b": standard}})  # the one skipped ends nothing
    assert {p.split(": ")[2] for p in configuration_problems(_env("compute.requireShieldedVm"), both)} == {
        f"{CLUSTER}.b"
    }


def test_each_problem_is_named_once_and_every_constraint_in_force_is_read() -> None:
    once = configuration_problems(_env("compute.requireShieldedVm"), UNSHIELDED)
    assert len(once) == 1
    assert configuration_problems(_env("compute.requireShieldedVm", "compute.requireShieldedVm"), UNSHIELDED) == once
    assert configuration_problems(_env("compute.requireOsLogin", "compute.requireShieldedVm"), UNSHIELDED) == once
    stacks = _stacks(gke={CLUSTER: {"c": {"private_cluster_config": {"enable_private_nodes": False}}}})
    both = configuration_problems(_env("compute.vmExternalIpAccess", "compute.requireOsLogin"), stacks)
    assert [p.split(" is in force")[0] for p in both if "(RF005;" in p] == [
        "constraints/compute.vmExternalIpAccess",
        "constraints/compute.requireOsLogin",
    ]
