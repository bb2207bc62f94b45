"""How the shipped environments' stacks talk to each other: through objects, never through retyped names."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SHIPPED, resources


def _manifests(stack: dict, kind: str) -> list[dict]:
    bodies = [m["manifest"] for m in resources(stack, "kubernetes_manifest")]
    return [m for m in bodies if isinstance(m, dict) and m.get("kind") == kind]  # CRDs are one for_each string


@pytest.mark.parametrize("name", SHIPPED)
def test_no_dependency_is_built_from_an_address_string(synthesized, name: str) -> None:
    """depends_on comes from resource objects; an override would be an address typed by hand."""
    for stack_id, stack in synthesized[name].items():
        overrides = stack["//"]["metadata"].get("overrides", {})
        assert not [kind for kind, fields in overrides.items() if "depends_on" in fields], stack_id


@pytest.mark.parametrize("name", SHIPPED)
def test_the_quick_test_names_the_service_the_tenant_stack_creates(synthesized, name: str) -> None:
    stacks = synthesized[name]
    checked = 0
    for stack_id, stack in stacks.items():
        command = stack.get("output", {}).get("quick-test", {}).get("value")
        if stack_id.startswith("tenant-") and command:
            services = {s["metadata"]["name"] for s in _manifests(stack, "Service")}
            [service] = re.findall(r"get service (\S+) ", command)
            assert service in services, stack_id
            checked += 1
    assert checked or name == "dev"  # dev publishes no internal load balancer


@pytest.mark.parametrize("name", SHIPPED)
def test_tenants_admit_the_operator_from_the_namespace_the_kuberay_stack_creates(synthesized, name: str) -> None:
    stacks = synthesized[name]
    [operator_namespace] = [
        n["metadata"]["name"]
        for n in _manifests(stacks["kuberay"], "Namespace")
        if n["metadata"]["labels"].get("app.kubernetes.io/part-of") == "kuberay"
    ]
    for stack_id, stack in stacks.items():
        if not stack_id.startswith("tenant-"):
            continue
        admitted = {
            peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for policy in _manifests(stack, "NetworkPolicy")
            for rule in policy["spec"].get("ingress", [])
            for peer in rule.get("from", [])
            if peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == "kuberay-operator"
        }
        assert admitted <= {operator_namespace}, stack_id
