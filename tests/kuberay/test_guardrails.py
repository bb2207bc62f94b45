"""The operator namespace's policies, disruption budget and quota."""

from __future__ import annotations

import pytest

from rayfort.kuberay.guardrails import OperatorNetwork, namespace_guardrails, operator_network_policies, operator_quota
from rayfort.kuberay.values import OperatorValues
from rayfort_tools.judges.k8s_schema import validate_manifest

NETWORK = OperatorNetwork("kuberay-system", "172.16.0.0/28")


@pytest.mark.parametrize("obj", namespace_guardrails(NETWORK, OperatorValues()), ids=lambda o: o["kind"])
def test_every_object_matches_its_schema(obj: dict) -> None:
    assert validate_manifest(obj) == []


def test_default_deny_covers_every_pod_both_ways() -> None:
    deny = operator_network_policies(NETWORK)[0]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_operator_flows_are_exactly_metrics_api_server_dns_and_dashboards() -> None:
    spec = operator_network_policies(NETWORK)[1]["spec"]
    assert spec["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gmp-system"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "collector"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": 8080}],
        }
    ]
    api, dns, dashboards = spec["egress"]
    assert api == {"to": [{"ipBlock": {"cidr": "172.16.0.0/28"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    assert {port["port"] for port in dns["ports"]} == {53}
    assert dashboards["ports"] == [{"protocol": "TCP", "port": 8265}]
    # Tenant namespaces by their label, not by name: adding a tenant leaves the policy as it was.
    assert dashboards["to"] == [
        {
            "namespaceSelector": {"matchExpressions": [{"key": "rayfort.dev/tenant", "operator": "Exists"}]},
            "podSelector": {"matchLabels": {"ray.io/node-type": "head"}},
        }
    ]


def test_quota_fits_the_operator_with_room_for_one_rollout() -> None:
    hard = operator_quota("kuberay-system", OperatorValues())["spec"]["hard"]
    assert hard["pods"] == "4"
    assert hard["requests.cpu"] == "400m" and hard["limits.memory"] == "2048Mi"
    assert hard["services.loadbalancers"] == "0"


def test_disruption_budget_keeps_one_operator_and_lets_broken_pods_go() -> None:
    pdb = namespace_guardrails(NETWORK, OperatorValues())[2]
    assert pdb["kind"] == "PodDisruptionBudget"
    assert pdb["spec"]["minAvailable"] == 1 and OperatorValues().replicas > 1
    assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == "kuberay-operator"
