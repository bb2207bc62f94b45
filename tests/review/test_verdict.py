"""The review's verdict, one weakening at a time: what blocks, what a waiver lets pass, and what it says.

Built from synthesized outputs as data (no synth): each test changes one thing
between a baseline and a current output and asserts the verdict's entries and
exit code, so a refusal that stops refusing, a waiver that stops being named, or
a control that vanishes unnoticed fails here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from rayfort_tools.judges.runner import JudgeResult
from rayfort_tools.review.diff import AttributeChange, ResourceChange, diff_outputs, weakened_controls
from rayfort_tools.review.gate import (
    EXIT_BAD_INPUT,
    EXIT_CLEAN,
    EXIT_WEAKENED,
    Verdict,
    judge_changes,
    judge_results,
    new_waivers,
    waiver_reason,
)
from rayfort_tools.review.synth_output import SynthOutput

REASON = "the platform security team accepted this"
POOL_PATH = "gke/pool-default/pool"
POOL = {
    "//": {"metadata": {"path": POOL_PATH}},
    "node_config": {"confidential_nodes": {"enabled": True}, "shielded_instance_config": {"enable_secure_boot": True}},
}
CLUSTER = {"//": {"metadata": {"path": "gke/cluster/cluster"}}, "deletion_protection": True}


def _evaluation(rule: str, path: str, status: str = "on", reason: str | None = None) -> dict[str, Any]:
    return {
        "rule": rule,
        "title": f"title of {rule}",
        "control": "c",
        "attribute": "a",
        "path": path,
        "resource_type": "google_container_node_pool",
        "status": status,
        "findings": ["below the floor"] if status != "on" else [],
        "waiver_reason": reason,
    }


def _output(
    resources: dict[str, dict[str, dict]] | None = None,
    evaluations: list[dict] | None = None,
    waivers: list[dict] | None = None,
) -> SynthOutput:
    """An output with one stack, gke: {resource type: {name: body}}."""
    if resources is None:
        resources = {"google_container_node_pool": {"pool": POOL}, "google_container_cluster": {"cluster": CLUSTER}}
    policy = {"evaluations": evaluations or [], "waivers": waivers or []}
    return SynthOutput(Path("."), {"gke": {"resource": copy.deepcopy(resources)}}, {"gke": []}, policy)


def _judged(baseline: SynthOutput, current: SynthOutput) -> Verdict:
    verdict = Verdict()
    judge_changes(verdict, diff_outputs(baseline, current), baseline, current)
    return verdict


def _weak_pool() -> dict:
    pool = copy.deepcopy(POOL)
    pool["node_config"]["confidential_nodes"]["enabled"] = False
    return pool


# --- exit codes ---------------------------------------------------------------------------------


def test_exit_codes() -> None:
    assert (EXIT_CLEAN, EXIT_WEAKENED, EXIT_BAD_INPUT) == (0, 1, 2)
    assert Verdict().exit_code == EXIT_CLEAN
    assert Verdict(unwaived=["x"]).exit_code == EXIT_WEAKENED
    assert Verdict(failed_checks=["x"]).exit_code == EXIT_WEAKENED
    assert Verdict(waived=["x"], skipped_judges=["y"], waivers=["z"]).exit_code == EXIT_CLEAN


# --- attribute weakenings -----------------------------------------------------------------------


def test_a_weakened_attribute_blocks_and_names_control_attribute_and_meaning() -> None:
    current = _output(
        {"google_container_node_pool": {"pool": _weak_pool()}, "google_container_cluster": {"c": CLUSTER}}
    )
    verdict = _judged(_output(), current)
    assert verdict.exit_code == EXIT_WEAKENED and verdict.waived == []
    (entry,) = verdict.unwaived
    assert entry == (
        f"`{POOL_PATH}`: RF003 Confidential nodes: `node_config.confidential_nodes.enabled` true → false "
        "(node memory is no longer encrypted)"
    )


def test_a_waiver_in_force_lets_the_weakening_pass_and_shows_its_reason() -> None:
    waived = [_evaluation("RF003", POOL_PATH, "waived", REASON)]
    current = _output(
        {"google_container_node_pool": {"pool": _weak_pool()}, "google_container_cluster": {"c": CLUSTER}}, waived
    )
    verdict = _judged(_output(), current)
    assert verdict.exit_code == EXIT_CLEAN and verdict.unwaived == []
    (entry,) = verdict.waived
    assert entry.startswith(f"`{POOL_PATH}`: RF003 Confidential nodes: `node_config.confidential_nodes.enabled`")
    assert entry.endswith(f"— waived: {REASON}")


def test_a_waiver_for_another_control_or_construct_does_not_count() -> None:
    current = _output(
        {"google_container_node_pool": {"pool": _weak_pool()}, "google_container_cluster": {"c": CLUSTER}},
        [_evaluation("RF001", POOL_PATH, "waived", REASON), _evaluation("RF003", "gke/other", "waived", REASON)],
        [{"rule": "RF003", "resource": "gke/other", "reason": REASON}],
    )
    verdict = _judged(_output(), current)
    assert len(verdict.unwaived) == 1 and verdict.exit_code == EXIT_WEAKENED


# --- resources added and removed ----------------------------------------------------------------


def test_a_resource_whose_arrival_weakens_blocks_and_says_added() -> None:
    key = {"google_service_account_key": {"k": {"//": {"metadata": {"path": "gke/key"}}, "service_account_id": "x"}}}
    verdict = _judged(_output(), _output({**_output().stacks["gke"]["resource"], **key}))
    assert verdict.unwaived == [
        "`gke/key` added: RF016 No service account keys: a long-lived service account key is created"
    ]


def test_a_resource_whose_removal_weakens_blocks_and_says_removed() -> None:
    deny = {"//": {"metadata": {"path": "network/deny-all"}}, "deny": [{"protocol": "all"}], "source_ranges": ["*"]}
    baseline = _output({"google_compute_firewall": {"deny": deny}})
    verdict = _judged(baseline, _output({}))
    assert verdict.unwaived == ["`network/deny-all` removed: RF017 No firewall ingress from the internet: "
                                "a firewall deny rule is removed"]  # fmt: skip


def test_a_waived_arrival_passes_with_the_waivers_reason() -> None:
    key = {"google_service_account_key": {"k": {"//": {"metadata": {"path": "gke/key"}}, "service_account_id": "x"}}}
    waivers = [{"rule": "RF016", "resource": "gke/*", "scope": "all", "reason": REASON}]
    verdict = _judged(_output(), _output({**_output().stacks["gke"]["resource"], **key}, waivers=waivers))
    assert verdict.unwaived == []
    assert verdict.waived == [
        "`gke/key` added: RF016 No service account keys: a long-lived service account key is created "
        f"— waived: {REASON} [scope: all]"
    ]


def test_a_plain_change_is_no_weakening() -> None:
    renamed = copy.deepcopy(CLUSTER) | {"description": "renamed"}
    current = _output({"google_container_node_pool": {"pool": POOL}, "google_container_cluster": {"c": renamed}})
    verdict = _judged(_output(), current)
    assert verdict == Verdict()


def test_judge_changes_reads_a_changed_resources_presence_meaning_too() -> None:
    """A change that carries its own meaning (as a plan's replace can) is reported with the action's word."""
    change = ResourceChange("gke", "gke/x", "google_compute_firewall", "replace", [], "a rule opens", "RF017")
    verdict = Verdict()
    judge_changes(verdict, [change], _output(), _output())
    assert verdict.unwaived == ["`gke/x` replace: RF017 No firewall ingress from the internet: a rule opens"]


# --- controls waived or gone --------------------------------------------------------------------


def test_a_control_newly_waived_on_an_unchanged_resource_is_reported_as_waived() -> None:
    baseline = _output(evaluations=[_evaluation("RF003", POOL_PATH)])
    current = _output(evaluations=[_evaluation("RF003", POOL_PATH, "waived", REASON)])
    verdict = _judged(baseline, current)
    assert verdict.unwaived == []
    assert verdict.waived == [f"`{POOL_PATH}`: RF003 title of RF003 is now waived (below the floor) — waived: {REASON}"]


def test_a_waived_weakening_is_reported_once() -> None:
    baseline = _output(evaluations=[_evaluation("RF003", POOL_PATH)])
    current = _output(
        {"google_container_node_pool": {"pool": _weak_pool()}, "google_container_cluster": {"c": CLUSTER}},
        [_evaluation("RF003", POOL_PATH, "waived", REASON)],
    )
    verdict = _judged(baseline, current)
    assert len(verdict.waived) == 1 and "is now waived" not in verdict.waived[0]


def test_a_control_no_longer_evaluated_on_a_resource_still_there_blocks() -> None:
    baseline = _output(evaluations=[_evaluation("RF003", POOL_PATH), _evaluation("RF001", POOL_PATH)])
    current = _output(evaluations=[_evaluation("RF001", POOL_PATH)])
    verdict = _judged(baseline, current)
    assert verdict.unwaived == [
        f"`{POOL_PATH}`: RF003 title of RF003 is no longer evaluated on a resource that is still there"
    ]
    assert verdict.exit_code == EXIT_WEAKENED


def test_a_control_gone_with_its_resource_is_no_weakening_by_itself() -> None:
    baseline = _output(evaluations=[_evaluation("RF003", "gke/pool-old/pool")])
    assert weakened_controls(baseline, _output()) == []


def test_an_environment_control_gone_from_the_record_blocks() -> None:
    on = _evaluation("RF021", "environment")
    assert weakened_controls(_output(evaluations=[on]), _output()) == [(on, None)]
    moved = _evaluation("RF021", "network/perimeter", "waived", REASON)
    found = weakened_controls(_output(evaluations=[on]), _output(evaluations=[moved]))
    assert found == [(None, moved)]


def test_a_control_waived_before_and_still_waived_is_not_new() -> None:
    waived = _evaluation("RF003", POOL_PATH, "waived", REASON)
    assert weakened_controls(_output(evaluations=[waived]), _output(evaluations=[waived])) == []
    violated_before = _evaluation("RF003", POOL_PATH, "violated")
    assert weakened_controls(_output(evaluations=[violated_before]), _output()) == []


# --- waivers a change adds or widens --------------------------------------------------------------


def _waiver(resource: str, scope: str | None = None, rule: str = "RF003") -> dict:
    waiver = {"rule": rule, "resource": resource, "reason": REASON}
    return waiver | ({"scope": scope} if scope else {})


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ([], [_waiver("gke/pool-gpu/pool")], [f"added: RF003 Confidential nodes at `gke/pool-gpu/pool`: {REASON}"]),
        ([_waiver("gke/pool-gpu/pool")], [_waiver("gke/pool-gpu/pool")], []),
        (
            [_waiver("gke/pool-gpu/pool")],
            [_waiver("gke/pool-*", "all")],
            [
                "widened: RF003 Confidential nodes at `gke/pool-*` **scope: all** (also covers constructs added "
                f"later): {REASON}"
            ],
        ),
        (
            [_waiver("gke/pool-gpu/pool", rule="RF001")],
            [_waiver("gke/pool-gpu/pool")],
            [f"added: RF003 Confidential nodes at `gke/pool-gpu/pool`: {REASON}"],
        ),
        ([_waiver("gke/pool-a/pool")], [_waiver("gke/pool-b/pool")], [
            f"added: RF003 Confidential nodes at `gke/pool-b/pool`: {REASON}"]),
        ([_waiver("gke/pool-b/pool")], [_waiver("gke/pool-a/pool")], [
            f"added: RF003 Confidential nodes at `gke/pool-a/pool`: {REASON}"]),
        ([_waiver("gke/p/pool")], [_waiver("gke/p/pool"), _waiver("gke/p/pool", rule="RF001")],
         [f"added: RF001 Shielded nodes with secure boot at `gke/p/pool`: {REASON}"]),
        ([_waiver("gke/a/pool")], [_waiver("gke/a/pool"), _waiver("gke/b/pool")],
         [f"added: RF003 Confidential nodes at `gke/b/pool`: {REASON}"]),
    ],
)  # fmt: skip
def test_waivers_a_change_adds_or_widens(before: list, after: list, expected: list) -> None:
    assert new_waivers({"waivers": before}, {"waivers": after}) == expected


def test_a_new_waiver_that_places_tenants_names_them_or_says_none() -> None:
    """An RF003 waiver lets the named tenants onto a pool: the review says who, or that nobody is named."""
    placing = _waiver("gke/pool-gpu/pool") | {"tenants": ["team-a", "team-b"]}
    assert new_waivers({"waivers": []}, {"waivers": [placing]}) == [
        f"added: RF003 Confidential nodes at `gke/pool-gpu/pool` for tenants team-a, team-b: {REASON}"
    ]
    nobody = _waiver("gke/pool-gpu/pool") | {"tenants": []}
    assert new_waivers({"waivers": []}, {"waivers": [nobody]}) == [
        f"added: RF003 Confidential nodes at `gke/pool-gpu/pool` for tenants none: {REASON}"
    ]
    one = _waiver("gke/pool-gpu/pool") | {"tenants": ["team-a"]}
    assert new_waivers({"waivers": [one]}, {"waivers": [placing]}) == [
        f"widened: RF003 Confidential nodes at `gke/pool-gpu/pool` now also for tenants team-b: {REASON}"
    ]
    assert new_waivers({"waivers": [placing]}, {"waivers": [one]}) == []


def test_the_verdict_lists_new_waivers() -> None:
    verdict = _judged(_output(), _output(waivers=[_waiver("gke/pool-gpu/pool")]))
    assert verdict.waivers == [f"added: RF003 Confidential nodes at `gke/pool-gpu/pool`: {REASON}"]


# --- the waiver's reason --------------------------------------------------------------------------


def test_the_reason_comes_from_the_evaluation_then_from_a_matching_waiver() -> None:
    policy = {
        "evaluations": [
            _evaluation("RF003", "gke/a"),
            _evaluation("RF003", "gke/b", "waived", "reason of the evaluation at b"),
        ],
        "waivers": [_waiver("gke/*", "all"), {"rule": "RF001", "resource": "gke/c", "reason": "only for RF001"}],
    }
    assert waiver_reason(policy, "RF003", "gke/b") == "reason of the evaluation at b"
    assert waiver_reason(policy, "RF003", "gke/a") == f"{REASON} [scope: all]"
    assert waiver_reason(policy, "RF001", "gke/c") == "only for RF001"
    assert waiver_reason(policy, "RF001", "gke/a") is None
    assert waiver_reason(policy, "RF003", "network/x") is None
    assert waiver_reason(policy, None, "gke/a") is None
    assert waiver_reason(policy, "RF001", "gke/b") is None, "RF003's waiver at gke/b is not RF001's"
    assert waiver_reason({"waivers": [_waiver("gke/*", "all", rule="RF001")]}, "RF003", "gke/a") is None
    assert waiver_reason({}, "RF003", "gke/a") is None


# --- judges ---------------------------------------------------------------------------------------


def test_judge_results_sort_failures_and_skips() -> None:
    ran = JudgeResult("checkov", checked=4, passed=2, failed=2, failures=["CKV_1 a", "CKV_2 b"])
    counted = JudgeResult("schema", checked=3, passed=1, failed=2)
    passed = JudgeResult("helm values", checked=2, passed=2)
    empty = JudgeResult("isolation")
    missing = JudgeResult("nca", unavailable="network-config-analyzer is not installed")
    verdict = Verdict()
    judge_results(verdict, [ran, counted, passed, empty, missing])
    assert verdict.failed_checks == ["checkov: CKV_1 a", "checkov: CKV_2 b", "schema: 2 checks failed"]
    assert verdict.skipped_judges == [
        "isolation: nothing to judge in this output (skipped)",
        "nca: network-config-analyzer is not installed",
    ]
    assert empty.unavailable == "nothing to judge in this output (skipped)"
    assert missing.unavailable == "network-config-analyzer is not installed"
    assert verdict.exit_code == EXIT_WEAKENED
    quiet = Verdict()
    judge_results(quiet, None)
    judge_results(quiet, [passed])
    assert quiet == Verdict()


def test_an_attribute_change_describes_old_and_new() -> None:
    change = AttributeChange("profile", "RESTRICTED", "MODERN", False, "weaker", "RF027")
    assert change.describe() == '"RESTRICTED" → "MODERN"'
