"""Judge 6: every key passed to the kuberay-operator chart is one the chart reads."""

from __future__ import annotations

import pytest

from rayfort.kuberay.values import OperatorValues
from rayfort_tools.judges.helm_values import FREE_FORM, chart_schema, chart_values_file, check_values, commented_keys


def _paths(values: dict) -> list[str]:
    return [problem.path for problem in check_values(values)]


def test_rayforts_values_are_all_known() -> None:
    assert check_values(OperatorValues().as_chart_values()) == []
    assert check_values(OperatorValues(watch_namespaces=("team-a",)).as_chart_values()) == []


def test_a_misspelt_key_fails_at_its_path() -> None:
    assert _paths({"securityContext": {"runAsNonRoot": True}, "leaderElectionEnable": True}) == ["leaderElectionEnable"]
    assert _paths({"image": {"repository": "r", "tagg": "v1"}}) == ["image.tagg"]
    assert _paths({"metrics": {"serviceMonitor": {"enable": True}}}) == ["metrics.serviceMonitor.enable"]


def test_keys_of_later_chart_versions_are_unknown() -> None:
    assert _paths({"webhooks": {"enabled": True}, "eventForwarder": {"enabled": False}}) == [
        "webhooks",
        "eventForwarder",
    ]


def test_keys_documented_only_in_comments_are_known() -> None:
    found = commented_keys(chart_values_file().read_text())
    assert ("watchNamespace",) in found
    assert ("useKubernetesProxy",) in found
    assert ("resources", "requests") in found
    assert (
        check_values({"watchNamespace": ["a"], "useKubernetesProxy": False, "resources": {"requests": {"cpu": "1"}}})
        == []
    )


def test_prose_and_nested_examples_in_comments_are_not_keys() -> None:
    keys = {path[-1] for path in commented_keys(chart_values_file().read_text())}
    assert not keys & {"Note", "Example", "Examples", "release", "cpu", "memory", "name", "value", "batchScheduler"}


@pytest.mark.parametrize("path", sorted(FREE_FORM))
def test_free_form_paths_exist_in_the_chart(path: str) -> None:
    node = chart_schema()
    for part in path.split("."):
        assert part in node, f"{path} is not in the chart's values"
        node = node[part] if isinstance(node[part], dict) else {}


def test_free_form_maps_take_any_key() -> None:
    assert (
        check_values(
            {
                "nodeSelector": {"cloud.google.com/gke-nodepool": "system"},
                "labels": {"team": "platform"},
                "podSecurityContext": {"fsGroup": 65532},
                "tolerations": [{"key": "dedicated", "operator": "Exists"}],
            }
        )
        == []
    )


def test_list_items_are_checked_against_the_charts_items() -> None:
    assert _paths({"featureGates": [{"name": "RayCronJob", "enabled": False, "default": True}]}) == [
        "featureGates[0].default"
    ]
    assert _paths({"watchNamespace": [{"name": "a"}]}) == ["watchNamespace[0]"]


def test_shape_mismatches_fail() -> None:
    assert _paths({"image": "quay.io/kuberay/operator:v1.7.0"}) == ["image"]
    assert _paths({"replicas": {"count": 2}}) == ["replicas"]
    assert _paths({"featureGates": {"RayCronJob": False}}) == ["featureGates"]
