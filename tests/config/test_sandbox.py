"""GKE Sandbox in the environment: which pods run in gVisor, where, and what is refused (issue 20.7).

The base is the judged variant ``dev-sandbox``: a shared default pool and a sandbox pool; team-a has
``untrusted_code``, team-b one worker group with ``sandbox: true``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rayfort.config import Environment, load_environment
from rayfort.config.placement import (
    SANDBOX_TAINT,
    PodPlacement,
    admitted_tenants,
    configured_taints,
    pool_labels,
    pool_taints,
    sandboxed,
    tenant_placement,
)
from tests.conftest import ENVIRONMENTS
from tests.environments import loaded, refused, shipped

VARIANT = ENVIRONMENTS / "variants" / "dev-sandbox.yaml"


@pytest.fixture(scope="module")
def variant() -> Environment:
    return load_environment(VARIANT)


def _pool(env: Environment, name: str):
    return next(pool for pool in env.cluster.node_pools if pool.name == name)


def test_the_defaults_run_nothing_in_gvisor() -> None:
    env = load_environment(ENVIRONMENTS / "dev.yaml")
    for tenant in env.tenants:
        assert not tenant.untrusted_code and not any(g.sandbox for g in tenant.worker_groups)
        placement = tenant_placement(env, tenant)
        assert not placement.head.sandboxed and not any(p.sandboxed for _, p in placement.workers)
    assert not any(pool.sandbox for pool in env.cluster.node_pools)


def test_untrusted_code_puts_every_pod_of_the_tenant_in_gvisor_on_the_sandbox_pool(variant) -> None:
    team_a, team_b = variant.tenants
    a = tenant_placement(variant, team_a)
    for placement in (a.head, *(p for _, p in a.workers)):
        assert placement == PodPlacement(("sandbox",), (SANDBOX_TAINT,), None, True)
        assert placement.runtime_class == "gvisor"
        assert placement.node_selector() == {"sandbox.gke.io/runtime": "gvisor"}
    b = tenant_placement(variant, team_b)
    assert (b.head.pools, b.head.sandboxed, b.head.runtime_class, b.head.node_selector()) == (
        ("default",),
        False,
        None,
        {},
    )
    assert b.of("cpu").pools == ("default",) and not b.of("cpu").sandboxed
    assert b.of("notebooks") == PodPlacement(("sandbox",), (SANDBOX_TAINT,), None, True)
    assert sandboxed(team_a, None) and not sandboxed(team_b, None) and sandboxed(team_b, team_b.worker_groups[1])


def test_the_sandbox_pool_admits_tenants_with_gvisor_pods_and_the_shared_pool_not_the_untrusted_one(variant) -> None:
    assert admitted_tenants(variant, _pool(variant, "sandbox")) == ["team-a", "team-b"]
    assert admitted_tenants(variant, _pool(variant, "default")) == ["team-b"]


def test_gke_sets_the_sandbox_taint_so_node_config_does_not(variant) -> None:
    sandbox = _pool(variant, "sandbox")
    assert pool_taints(sandbox) == (SANDBOX_TAINT,)
    assert configured_taints(sandbox) == () and pool_labels(sandbox) == {}


def test_untrusted_code_in_autopilot_runs_in_gvisor_without_pools(tmp_path: Path) -> None:
    data = shipped("variants/dev-sandbox")
    data["cluster"]["mode"] = "autopilot"
    del data["cluster"]["node_pools"]
    env = loaded(tmp_path, data)
    placement = tenant_placement(env, env.tenants[0])
    assert placement.head == PodPlacement((), (SANDBOX_TAINT,), None, True)


def test_untrusted_code_without_a_sandbox_pool_is_refused(tmp_path: Path) -> None:
    data = shipped("variants/dev-sandbox")
    data["cluster"]["node_pools"] = [{"name": "default"}]
    message = refused(tmp_path, data)
    assert "tenants[0].head" in message
    assert "no sandbox (gVisor) CPU node pool takes the head of tenant team-a" in message
    assert "add a node pool with sandbox: true" in message
    assert "the workers of group notebooks of tenant team-b" in message


def test_a_sandboxed_group_naming_a_plain_pool_is_refused(tmp_path: Path) -> None:
    data = shipped("variants/dev-sandbox")
    data["tenants"][1]["worker_groups"][1]["node_pool"] = "default"
    message = refused(tmp_path, data)
    assert "tenants[1].worker_groups[1].node_pool" in message
    assert "group notebooks runs in GKE Sandbox (gVisor), which only a sandbox pool runs" in message
    assert "sandbox pools: sandbox" in message


def test_a_plain_group_naming_the_sandbox_pool_is_refused(tmp_path: Path) -> None:
    data = shipped("variants/dev-sandbox")
    data["tenants"][1]["worker_groups"][0]["node_pool"] = "sandbox"
    message = refused(tmp_path, data)
    assert "tenants[1].worker_groups[0].node_pool" in message
    assert "it is a sandbox pool, which runs only gVisor pods, and group cpu is not sandboxed" in message
    assert "set sandbox: true on the group" in message


def test_an_untrusted_tenant_cannot_keep_a_group_out_of_gvisor_through_a_pool(tmp_path: Path) -> None:
    """untrusted_code overrides the groups: naming a plain pool for one of them is refused like any mismatch."""
    data = shipped("variants/dev-sandbox")
    data["tenants"][0]["worker_groups"][0]["node_pool"] = "default"
    message = refused(tmp_path, data)
    assert "because tenant team-a has untrusted_code" in message
