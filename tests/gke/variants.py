"""Test environments of the gke stack: the dev file plus overrides, validated like a file would be."""

from __future__ import annotations

from typing import Any

from rayfort.config import Environment, cross_field_problems
from tests.environments import shipped, shipped_with

DEV = shipped("dev")

# A pool GKE can run confidentially with a GPU: one H100 on a3-highgpu-1g, Intel TDX, Spot.
CONFIDENTIAL_GPU_POOL = {
    "name": "gpu-h100",
    "machine_type": "a3-highgpu-1g",
    "confidential_instance_type": "TDX",
    "spot": True,
    "min_nodes": 0,
    "max_nodes": 2,
    "gpu": {"type": "nvidia-h100-80gb", "count": 1, "driver_version": "LATEST"},
}


def dev_with(**cluster: Any) -> dict[str, Any]:
    """The dev environment's data with these cluster settings."""
    return shipped_with("dev", cluster=cluster)


def build(data: dict[str, Any]) -> Environment:
    """An Environment that passed every cross-field rule, as load_environment would return it."""
    env = Environment.model_validate(data)
    problems = cross_field_problems(env)
    assert not problems, problems
    return env


def autopilot() -> Environment:
    return build(dev_with(mode="autopilot"))


def gpu() -> Environment:
    return build(dev_with(node_pools=[{"name": "cpu"}, CONFIDENTIAL_GPU_POOL]))
