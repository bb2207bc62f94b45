"""Environments for the network tests, built from a minimal base so each test changes one thing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from rayfort._cdk import App
from rayfort.config import Environment, cross_field_problems
from tests.conftest import stacks_in

BASE: dict[str, Any] = {
    "name": "nettest",
    "organization_id": "123456789012",
    "project_id": "rayfort-net-000000",
    "region": "europe-west4",
    "zones": ["europe-west4-a"],
    "labels": {"team": "ml-platform", "cost_center": "cc-0000"},
    "network": {
        "subnet_cidr": "10.10.0.0/20",
        "pods_cidr": "10.20.0.0/16",
        "services_cidr": "10.30.0.0/20",
        "control_plane_cidr": "172.16.0.0/28",
        "service_controls": {"access_policy_id": "444444444"},
    },
    "cluster": {"name": "rayfort-net"},
    # The hardened default: every image from the private mirror, so egress stays denied.
    "registry_mirror": {},
}


# A subnet of a Shared VPC host, as its network team reserved it, in the network team's perimeter.
SHARED_VPC: dict[str, Any] = {
    "host_project_id": "rayfort-host-000000",
    "network": "hub",
    "subnetwork": "ray-nodes",
    "pods_range": {"name": "ray-pods", "cidr": "10.64.0.0/14"},
    "services_range": {"name": "ray-services", "cidr": "10.68.0.0/20"},
    "private_services_range": {"name": "hub-private-services", "cidr": "10.72.0.0/16"},
    "google_apis_vip": "restricted",
}
JOINED = {"name": "netteam_perimeter"}


def shared_vpc_variant(**changes: Any) -> dict[str, Any]:
    """BASE in SHARED_VPC's subnet, joining the network team's perimeter: without rayfort's own ranges."""
    data = variant(network=copy.deepcopy({"shared_vpc": SHARED_VPC, "service_controls": {"join": JOINED}}))
    for own in ("subnet_cidr", "pods_cidr", "services_cidr"):
        del data["network"][own]
    return _merged(data, changes)


def variant(**changes: Any) -> dict[str, Any]:
    """BASE with sections merged key by key (so a perimeter change keeps BASE's access policy)."""
    return _merged(copy.deepcopy(BASE), changes)


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merged(base[key], value)
        else:
            base[key] = value
    return base


def build(data: dict[str, Any]) -> Environment:
    return Environment.model_validate(data)


def messages(data: dict[str, Any]) -> list[str]:
    """Every cross-field problem of an environment, as 'path: message'."""
    return [
        f"{'.'.join(str(part) for part in problem.path)}: {problem.message}"
        for problem in cross_field_problems(build(data))
    ]


@pytest.fixture(scope="session")
def synth_network(tmp_path_factory: pytest.TempPathFactory):
    """Synthesize only the network stack of an environment; returns its cdk.tf.json."""
    from stacks.app import network_stack

    def run(data: dict[str, Any]) -> dict[str, Any]:
        env = build(data)
        assert cross_field_problems(env) == []
        outdir: Path = tmp_path_factory.mktemp("network") / "cdktf.out"
        app = App(outdir=str(outdir), skip_validation=False)
        network_stack(app, env)
        app.synth()
        return stacks_in(outdir)["network"]

    return run
