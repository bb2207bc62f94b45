"""On the shared Gateway a route in tenant A's namespace cannot claim tenant B's host.

The host policy is evaluated by a real CEL engine (the admission harness of
tests/kuberay) against the namespaces and routes the shipped gateway
environment produces, and against routes that try to take another host.
"""

from __future__ import annotations

import copy

import pytest

from rayfort.exposure.gateway import GATEWAY_NAME, GATEWAY_NAMESPACE, LISTENER, http_route
from rayfort.exposure.host_admission import host_policy
from rayfort.k8s.namespace import DASHBOARD_HOST_ANNOTATION
from tests.exposure.conftest import of_kind, tenant_stack
from tests.kuberay.admission_harness import evaluate

POLICY = host_policy(GATEWAY_NAME, GATEWAY_NAMESPACE)
HOSTS = {"team-a": "team-a.ray.example.com", "team-b": "models.ray.example.com"}


def _namespace(name: str, host: str | None) -> dict:
    metadata: dict = {"name": name, "labels": {"rayfort.dev/tenant": name}}
    if host is not None:
        metadata["annotations"] = {DASHBOARD_HOST_ANNOTATION: host}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def _route(namespace: str, *hosts: str, gateway_namespace: str | None = GATEWAY_NAMESPACE) -> dict:
    route = http_route("r", namespace, hosts[0] if hosts else "x", "svc", GATEWAY_NAME, "ns", LISTENER)
    route["spec"]["hostnames"] = list(hosts)
    parent = route["spec"]["parentRefs"][0]
    if gateway_namespace is None:
        del parent["namespace"]
    else:
        parent["namespace"] = gateway_namespace
    return route


def _denials(route: dict, namespace: dict, operation: str = "CREATE") -> list[str] | None:
    """The denials, or None when the policy does not apply to the request."""
    decision = evaluate(POLICY, route, namespace=namespace, operation=operation, old=route)
    assert not decision.errors, decision.errors
    assert not decision.fallbacks, decision.fallbacks
    return decision.denials if decision.applies else None


@pytest.fixture(scope="module")
def shipped(all_stacks) -> dict[str, tuple[dict, dict]]:
    """{tenant: (its Namespace, its HTTPRoute)} as the gateway environment synthesizes them."""
    found = {}
    for tenant in HOSTS:
        stack = tenant_stack(all_stacks, "gateway", tenant)
        (namespace,) = of_kind(stack, "Namespace")
        (route,) = of_kind(stack, "HTTPRoute")
        namespace, route = copy.deepcopy(namespace), copy.deepcopy(route)
        route["metadata"]["namespace"] = namespace["metadata"]["name"]
        route["spec"]["parentRefs"][0]["namespace"] = GATEWAY_NAMESPACE
        found[tenant] = (namespace, route)
    return found


@pytest.mark.parametrize("tenant", sorted(HOSTS))
def test_each_tenants_own_route_is_admitted(shipped, tenant: str) -> None:
    namespace, route = shipped[tenant]
    assert _denials(route, namespace) == []
    assert _denials(route, namespace, "UPDATE") == []


def test_a_route_in_a_cannot_claim_bs_host(shipped) -> None:
    namespace_a, route_a = shipped["team-a"]
    stolen = copy.deepcopy(route_a)
    stolen["spec"]["hostnames"] = [HOSTS["team-b"]]
    assert _denials(stolen, namespace_a) == [
        "a route in namespace team-a may claim only its dashboard host team-a.ray.example.com, "
        "not models.ray.example.com"
    ]
    both = copy.deepcopy(route_a)
    both["spec"]["hostnames"] = [HOSTS["team-a"], HOSTS["team-b"]]
    assert len(_denials(both, namespace_a)) == 1
    assert _denials(stolen, namespace_a, "UPDATE")


def test_a_route_without_hostnames_would_take_every_host_and_is_refused(shipped) -> None:
    namespace_a, route_a = shipped["team-a"]
    bare = copy.deepcopy(route_a)
    del bare["spec"]["hostnames"]
    (denial,) = _denials(bare, namespace_a)
    assert "without hostnames" in denial


def test_a_namespace_without_a_dashboard_host_attaches_nothing() -> None:
    denials = _denials(_route("team-c", "team-c.ray.example.com"), _namespace("team-c", None))
    assert denials and DASHBOARD_HOST_ANNOTATION in denials[0]


def test_the_default_parent_namespace_is_the_routes_own() -> None:
    # In the Gateway's own namespace a parentRef without a namespace is the shared Gateway.
    route = _route(GATEWAY_NAMESPACE, HOSTS["team-b"], gateway_namespace=None)
    assert _denials(route, _namespace(GATEWAY_NAMESPACE, None))
    # Elsewhere it names a Gateway of the route's namespace, which the policy leaves to its owner.
    assert _denials(_route("team-a", HOSTS["team-b"], gateway_namespace=None), _namespace("team-a", None)) is None


def test_routes_to_other_gateways_are_not_judged() -> None:
    other = _route("team-a", HOSTS["team-b"], gateway_namespace="somewhere-else")
    assert _denials(other, _namespace("team-a", HOSTS["team-a"])) is None
