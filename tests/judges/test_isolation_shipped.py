"""The isolation judge's attacker probes on every shipped environment, and the hole they exist to find.

Each shipped environment passes every assertion, the attacker probes included.
The same environment with ``namespaceSelector: {}`` beside the pod selector of
its head-ingress peers (issue 22's survivor: pods in *any* namespace carrying a
tenant's labels) fails on the probes, and on nothing else: only a pod an
attacker creates outside the tenant shows it, so no snapshot has to.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rayfort_tools.judges.runner import isolation_expectations
from rayfort_tools.judges.tenant_isolation import (
    ATTACKER_NAMESPACE_PREFIX,
    ATTACKER_PROBES,
    IsolationReport,
    NcaUnavailable,
    check_tenant_isolation,
)
from rayfort_tools.judges.workloads import admitted_workloads, cluster_resources, stack_manifests
from tests.conftest import SHIPPED, environment

HEAD_INGRESS = "ray-head-ingress"


def _judge(stacks: dict[str, dict], name: str) -> IsolationReport:
    """What `make judge` runs for the environment (runner.judge_isolation), as the report."""
    manifests = [m for tf_json in stacks.values() for m in stack_manifests(tf_json)]
    manifests += admitted_workloads(manifests)
    try:
        return check_tenant_isolation(
            cluster_resources(manifests), isolation_expectations(environment(name), manifests)
        )
    except NcaUnavailable as missing:
        pytest.skip(str(missing))


def _head_ingress_from_any_namespace(stacks: dict[str, dict]) -> tuple[dict[str, dict], int]:
    """The stacks with ``namespaceSelector: {}`` added to every peer of each tenant's head ingress; how many."""
    opened, policies = copy.deepcopy(stacks), 0
    for tf_json in opened.values():
        for body in tf_json.get("resource", {}).get("kubernetes_manifest", {}).values():
            manifest: Any = body.get("manifest")
            if not (isinstance(manifest, dict) and manifest.get("kind") == "NetworkPolicy"):
                continue
            if manifest["metadata"]["name"] != HEAD_INGRESS:
                continue
            for rule in manifest["spec"]["ingress"]:
                for peer in rule["from"]:
                    assert "podSelector" in peer and "namespaceSelector" not in peer, peer
                    peer["namespaceSelector"] = {}
            policies += 1
    return opened, policies


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_attacker_probes_pass_on_the_shipped_environment_and_find_a_peer_in_any_namespace(
    synthesized: dict[str, dict[str, dict]], name: str
) -> None:
    assert environment(name).tenants, f"{name} has no tenant: the probes would judge nothing"
    report = _judge(synthesized[name], name)
    assert ATTACKER_PROBES in [a.name for a in report.assertions]
    assert report.passed, report.summary()

    tenants = {t.name for t in environment(name).tenants}  # each tenant's namespace is named after it
    opened, policies = _head_ingress_from_any_namespace(synthesized[name])
    assert policies == len(tenants)
    broken = _judge(opened, name)
    assert broken.failed() == (ATTACKER_PROBES,), broken.summary()
    reached = broken[ATTACKER_PROBES].unexpected
    assert {c.destination.split("/")[0] for c in reached} == tenants  # every tenant's head
    assert all(c.source.startswith(ATTACKER_NAMESPACE_PREFIX) for c in reached)
