"""The review diff's own mechanics: which leaves changed, which force a replacement, how a change reads.

A weakening is only as visible as the diff that carries it: a key that appears
only on one side, a block replaced by a reference, a list of blocks, a stack
that arrives. Each test here pins one of those shapes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rayfort_tools.review.diff import AttributeChange, attribute_changes, diff_outputs, weakened_controls
from rayfort_tools.review.synth_output import SynthOutput


def _changes(old: dict, new: dict, resource_type: str = "google_compute_network") -> dict[str, tuple]:
    return {a.path: (a.old, a.new, a.replaces, a.weakens) for a in attribute_changes(resource_type, old, new)}


def test_a_block_that_goes_or_comes_lists_each_of_its_values() -> None:
    block = {"a": 1, "b": {"c": 2}}
    assert _changes({"x": block}, {}) == {"x.a": (1, None, False, None), "x.b.c": (2, None, False, None)}
    assert _changes({}, {"x": block}) == {"x.a": (None, 1, False, None), "x.b.c": (None, 2, False, None)}


def test_keys_on_one_side_only_are_changes() -> None:
    assert _changes({"a": 1}, {"b": 2}) == {"a": (1, None, False, None), "b": (None, 2, False, None)}
    assert _changes({"x": {"a": 1}}, {"x": {"b": 2}}) == {"x.a": (1, None, False, None), "x.b": (None, 2, False, None)}


def test_equal_values_are_not_changes() -> None:
    body = {"a": 1, "b": {"c": [1, 2]}, "d": {}, "e": None}
    assert _changes(body, dict(body)) == {}


def test_a_block_replaced_by_a_value_is_one_change() -> None:
    assert _changes({"x": {"a": 1}}, {"x": "${ref}"}) == {"x": ({"a": 1}, "${ref}", False, None)}
    assert _changes({"x": "${ref}"}, {"x": {"a": 1}}) == {"x": ("${ref}", {"a": 1}, False, None)}
    assert _changes({"x": {}}, {"x": None}) == {"x": ({}, None, False, None)}
    assert _changes({"x": None}, {"x": {}}) == {"x": (None, {}, False, None)}
    assert _changes({"x": {}}, {"x": "v"}) == {"x": ({}, "v", False, None)}


def test_a_one_item_list_of_blocks_reads_like_the_block_and_longer_lists_are_values() -> None:
    assert _changes({"x": [{"a": 1}]}, {"x": {"a": 2}}) == {"x.a": (1, 2, False, None)}
    two = [{"a": 1}, {"a": 2}]
    assert _changes({"x": two}, {"x": [{"a": 1}, {"a": 3}]}) == {"x": (two, [{"a": 1}, {"a": 3}], False, None)}
    assert _changes({"x": [1]}, {"x": [2]}) == {"x": ([1], [2], False, None)}


def test_what_forces_a_replacement() -> None:
    old = {"name": "a", "description": "d", "node_config": {"machine_type": "n2", "labels": {"x": "1"}}}
    new = {"name": "b", "description": "e", "node_config": {"machine_type": "n4", "labels": {"x": "2"}}}
    replaces = {path: r for path, (_, _, r, _) in _changes(old, new, "google_container_node_pool").items()}
    assert replaces == {
        "name": True,
        "description": False,
        "node_config.machine_type": True,
        "node_config.labels.x": False,
    }
    assert _changes({"a": 1}, {"a": 2}, "no_such_type")["a"][2] is False
    assert _changes({"namespace": "a"}, {"namespace": "b"}, "google_container_cluster")["namespace"][2] is False


def test_a_weakening_replaces_the_plain_change_of_its_attribute_and_keeps_the_others() -> None:
    old = {"private_cluster_config": {"enable_private_endpoint": True}, "description": "a", "location": "x"}
    new = {"private_cluster_config": {"enable_private_endpoint": False}, "description": "b", "location": "y"}
    changes = attribute_changes("google_container_cluster", old, new)
    assert [(a.path, a.weakens is not None, a.replaces) for a in changes] == [
        ("description", False, False),
        ("location", False, True),
        ("private_cluster_config.enable_private_endpoint", True, False),
    ]


def test_a_computed_weakening_replaces_nothing() -> None:
    (change,) = [
        a
        for a in attribute_changes(
            "google_secret_manager_secret_version", {"secret_data": "${r}"}, {"secret_data": "x"}
        )
        if a.weakens
    ]
    assert (change.path, change.old, change.new, change.replaces) == ("(every attribute)", 0, 1, False)
    old, new = {"secret_data": "${r}", "labels": {"a": "1"}}, {"secret_data": "x", "labels": {"a": "2"}}
    paths = [a.path for a in attribute_changes("google_secret_manager_secret_version", old, new)]
    assert paths == ["labels.a", "secret_data", "(every attribute)"]


def test_a_setting_is_compared_when_either_side_is_what_it_is_about() -> None:
    before = {"manifest": {"kind": "Service", "spec": {"type": "ClusterIP"}}}
    after = {
        "manifest": {"kind": "Service", "spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["0.0.0.0/0"]}}
    }
    flagged = {a.control for a in attribute_changes("kubernetes_manifest", before, after) if a.weakens}
    assert "RF024" in flagged


# --- how a change reads --------------------------------------------------------------------------


def test_long_values_are_cut_to_120_characters() -> None:
    exact, longer = "x" * 118, "y" * 119  # 120 and 121 characters as JSON
    change = AttributeChange("a", exact, longer, False, None)
    old, new = change.describe().split(" → ")
    assert old == f'"{exact}"' and len(new) == 120 and new.endswith("...") and new.startswith('"yyy')
    assert AttributeChange("a", 1, None, False, None).describe() == "1 → null"
    old, new = AttributeChange("a", longer, exact, False, None).describe().split(" → ")
    assert len(old) == 120 and old.endswith("...") and new == f'"{exact}"'


def test_an_attribute_change_is_an_immutable_value() -> None:
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        AttributeChange("a", 1, 2, False, None).weakens = "no"  # type: ignore[misc]


def test_list_changes_read_as_elements() -> None:
    change = AttributeChange("r", ["10.0.0.0/8"], None, False, None)
    assert change.describe() == '− "10.0.0.0/8"' and change.removed == ["10.0.0.0/8"] and change.added == []
    grown = AttributeChange("r", None, ["0.0.0.0/0"], False, None)
    assert grown.describe() == '+ "0.0.0.0/0"'
    reordered = AttributeChange("r", [{"a": 1, "b": 2}, 3], [3, {"b": 2, "a": 1}], False, None)
    assert reordered.added == [] and reordered.removed == []
    assert reordered.describe() == '[{"a": 1, "b": 2}, 3] → [3, {"a": 1, "b": 2}] (order)'


# --- whole outputs --------------------------------------------------------------------------------


def _output(stacks: dict[str, dict], evaluations: list[dict] | None = None) -> SynthOutput:
    resources = {name: {"resource": body} for name, body in stacks.items()}
    return SynthOutput(Path("."), resources, {name: [] for name in stacks}, {"evaluations": evaluations or []})


KEY = {"google_service_account_key": {"k": {"//": {"metadata": {"path": "t/key"}}, "service_account_id": "x"}}}
NET = {"google_compute_network": {"n": {"//": {"metadata": {"path": "network/vpc"}}, "name": "v"}}}


def test_a_stack_that_arrives_or_leaves_is_no_weakening_by_itself() -> None:
    arrived = diff_outputs(_output({"network": NET}), _output({"network": NET, "tenant-t": KEY}))
    assert [(c.construct_path, c.action, c.weakens) for c in arrived] == [("t/key", "add", None)]
    left = diff_outputs(_output({"network": NET, "tenant-t": KEY}), _output({"network": NET}))
    assert [(c.construct_path, c.action, c.weakens) for c in left] == [("t/key", "remove", None)]
    added_to_a_stack = diff_outputs(_output({"network": NET}), _output({"network": {**NET, **KEY}}))
    assert [(c.action, c.control) for c in added_to_a_stack] == [("add", "RF016")]


def test_resources_are_matched_by_construct_path_across_renamed_addresses() -> None:
    renamed = {"google_compute_network": {"n2": {"//": {"metadata": {"path": "network/vpc"}}, "name": "w"}}}
    (change,) = diff_outputs(_output({"network": NET}), _output({"network": renamed}))
    assert (change.construct_path, change.action) == ("network/vpc", "replace")


def _on(rule: str, path: str) -> dict:
    return {"rule": rule, "path": path, "status": "on", "title": "t", "findings": [], "waiver_reason": None}


def test_a_control_gone_with_a_resource_elsewhere_in_the_alphabet_is_not_reported() -> None:
    """Only the environment's own record stands for no resource."""
    for path in ("audit/logs", "cert-manager/x", "zone/x"):
        assert weakened_controls(_output({"network": NET}, [_on("RF001", path)]), _output({"network": NET})) == []
    gone = _on("RF021", "environment")
    assert weakened_controls(_output({"network": NET}, [gone]), _output({"network": NET})) == [(gone, None)]


@pytest.mark.parametrize("status", ["on", "violated"])
def test_a_newly_waived_control_is_found_whatever_it_was(status: str) -> None:
    was = {**_on("RF003", "network/vpc"), "status": status}
    now = {**was, "status": "waived", "waiver_reason": "reason"}
    assert weakened_controls(_output({"network": NET}, [was]), _output({"network": NET}, [now])) == [(was, now)]
