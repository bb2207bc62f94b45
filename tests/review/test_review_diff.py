"""The review diff against every way a catalogue setting can weaken: gone (null or missing), off, lower, wider.

Generated from the catalogue, so a new setting is tested without a new test;
weakenings read from a computed value (extract) are covered by the examples below.
"""

from __future__ import annotations

from typing import Any

import pytest

from rayfort.controls import CONTROLS
from rayfort.controls.compare import AddressSet, Allowlist, Flag, Levels, Number, Present
from rayfort_tools.review.diff import attribute_changes

MISSING = object()


def _body(path: tuple[str, ...], value: Any, base: dict | None = None) -> dict:
    body: dict[str, Any] = dict(base or {})
    node = body
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is not MISSING:
        node[path[-1]] = value
    return body


def _pairs(compare) -> list[tuple[Any, Any]]:
    """(hardened, weaker) values for a comparator: every way weaker, missing and null included."""
    if isinstance(compare, Flag):
        other = "something-else" if isinstance(compare.secure, str) else (not compare.secure)
        pairs = [(compare.secure, other)]
        if compare.missing != compare.secure:
            pairs += [(compare.secure, None), (compare.secure, MISSING)]
        return pairs
    if isinstance(compare, Levels):
        top = compare.order[-1]
        return [(top, level) for level in compare.order[:-1]] + [(top, None), (top, MISSING), (top, "UNKNOWN")]
    if isinstance(compare, Present):
        return [("${k.id}", None), ("${k.id}", MISSING), ("${k.id}", "")]
    if isinstance(compare, Number):
        if compare.unit == "s":
            return [("2592000s", "7776000s"), ("2592000s", None), ("2592000s", MISSING)]
        if compare.stronger == "higher":
            return [(0.5, 0.0001), (0.5, None), (0.5, MISSING)]
        return [("16", "100000"), ("16", None), ("16", MISSING)]
    if isinstance(compare, AddressSet):
        if compare.denies:
            return [(["0.0.0.0/0"], ["10.0.0.0/8"]), (["0.0.0.0/0"], None)]
        return [
            (["10.0.0.0/24"], ["10.0.0.0/23"]),
            (["10.0.0.0/24"], ["10.0.0.0/24", "0.0.0.0/0"]),
            (["10.0.0.0/24"], ["0.0.0.0/1", "128.0.0.0/1"]),
            ([], ["10.0.0.0/24"]),
        ]
    if isinstance(compare, Allowlist):
        return [(["eu-docker.pkg.dev/p/m/**"], ["eu-docker.pkg.dev/p/m/**", "docker.io/evil/*"])]
    raise AssertionError(f"no weaker values for {compare}")


def _context(setting) -> dict:
    """A body the setting applies to: the manifest kind or firewall action its ``applies`` asks for."""
    for candidate in (
        {},
        {"allow": [{"protocol": "tcp"}]},
        {"deny": [{"protocol": "all"}]},
        {"direction": "EGRESS", "deny": [{"protocol": "all"}]},
        *(
            {"manifest": {"apiVersion": "v1", "kind": kind, "spec": {"type": "LoadBalancer"}}}
            for kind in ("Service", "Namespace", "RayCluster", "BackendConfig", "GCPBackendPolicy", "ResourceQuota")
        ),
    ):
        if setting.applies(candidate):
            return candidate
    raise AssertionError(f"no body satisfies {setting}")


CASES = [
    pytest.param(control.id, setting, old, new, id=f"{control.id}-{setting.resource_type}-{setting.attribute}-{i}")
    for control in CONTROLS
    for setting in control.settings
    if setting.extract is None and setting.resource_type != "*"
    for i, (old, new) in enumerate(_pairs(setting.compare))
]


def _merge(base: dict, overlay: dict) -> dict:
    merged = {**base}
    for key, value in overlay.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


@pytest.mark.parametrize(("control_id", "setting", "old", "new"), CASES)
def test_every_setting_weakened_is_reported(control_id: str, setting, old, new) -> None:
    context = _context(setting)
    before = _merge(context, _body(setting.path, old))
    after = _merge(context, _body(setting.path, new))
    flagged = [a for a in attribute_changes(setting.resource_type, before, after) if a.weakens]
    assert any(a.control == control_id and a.path == setting.attribute for a in flagged), (old, new, flagged)


@pytest.mark.parametrize(("control_id", "setting", "old", "new"), CASES)
def test_the_way_back_is_not_a_weakening(control_id: str, setting, old, new) -> None:
    context = _context(setting)
    before = _merge(context, _body(setting.path, new))
    after = _merge(context, _body(setting.path, old))
    flagged = [a for a in attribute_changes(setting.resource_type, before, after) if a.control == control_id]
    assert not any(a.path == setting.attribute for a in flagged)


def test_narrowing_a_range_is_not_a_weakening() -> None:
    old = {"allow": [{"protocol": "tcp"}], "source_ranges": ["10.0.0.0/24"]}
    new = {"allow": [{"protocol": "tcp"}], "source_ranges": ["10.0.0.0/25"]}
    changes = attribute_changes("google_compute_firewall", old, new)
    assert [a.weakens for a in changes] == [None]


def test_a_list_change_shows_the_elements_not_truncated_json() -> None:
    old = {"allow": [{"protocol": "tcp"}], "source_ranges": [f"10.{i}.0.0/24" for i in range(20)]}
    new = {"allow": [{"protocol": "tcp"}], "source_ranges": [*old["source_ranges"][1:], "0.0.0.0/0"]}
    (change,) = attribute_changes("google_compute_firewall", old, new)
    assert change.added == ["0.0.0.0/0"] and change.removed == ["10.0.0.0/24"]
    assert change.describe() == '+ "0.0.0.0/0"; − "10.0.0.0/24"' and "..." not in change.describe()


def test_a_removed_block_reports_each_flag_as_gone() -> None:
    old = {"shielded_instance_config": {"enable_secure_boot": True}}
    changes = {(a.path, a.new) for a in attribute_changes("google_container_node_pool", {"node_config": old}, {})}
    assert ("node_config.shielded_instance_config.enable_secure_boot", None) in changes


@pytest.mark.parametrize(
    ("resource_type", "old", "new", "control"),
    [
        (
            "google_compute_security_policy",
            {"rule": [{"action": "throttle", "match": {"config": {"src_ip_ranges": ["203.0.113.0/24"]}}}]},
            {"rule": [{"action": "throttle", "match": {"config": {"src_ip_ranges": ["0.0.0.0/0"]}}}]},
            "RF028",
        ),
        (
            "kubernetes_manifest",
            {"manifest": {"kind": "Deployment",
                          "spec": {"template": {"spec": {"containers": [{"image": "r:1.0.0"}]}}}}},
            {"manifest": {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"image": "r"}]}}}}},
            "RF026",
        ),
        (
            "google_binary_authorization_policy",
            {"admission_whitelist_patterns": [{"name_pattern": "eu-docker.pkg.dev/p/m/**"}]},
            {"admission_whitelist_patterns": [{"name_pattern": "eu-docker.pkg.dev/p/m/**"}, {"name_pattern": "x/y"}]},
            "RF025",
        ),
        (
            "google_container_cluster",
            {"master_authorized_networks_config": {"cidr_blocks": [{"cidr_block": "10.0.0.0/24"}]}},
            {"master_authorized_networks_config": {"cidr_blocks": [{"cidr_block": "10.0.0.0/24"},
                                                                   {"cidr_block": "0.0.0.0/1"}]}},
            "RF023",
        ),
        ("google_secret_manager_secret_version", {"secret_data": "${r.p}"}, {"secret_data": "hunter2"}, "RF015"),
    ],
)  # fmt: skip
def test_computed_settings_are_reported(resource_type: str, old: dict, new: dict, control: str) -> None:
    assert any(a.control == control for a in attribute_changes(resource_type, old, new) if a.weakens)


def test_a_control_gone_from_a_resource_that_remains_is_reported(tmp_path) -> None:
    from rayfort_tools.review.diff import weakened_controls
    from tests.review.test_review import CLUSTER, POLICY_ON, POOL, _write_output

    baseline = _write_output(tmp_path / "base", CLUSTER, POOL)
    gone = _write_output(tmp_path / "gone", CLUSTER, POOL, [{**POLICY_ON, "rule": "RF001"}])
    assert weakened_controls(baseline, gone) == [(POLICY_ON, None)]
    waived = {**POLICY_ON, "status": "waived", "findings": ["off"], "waiver_reason": "no confidential GPU shape here"}
    now = _write_output(tmp_path / "waived", CLUSTER, POOL, [waived])
    assert weakened_controls(baseline, now) == [(POLICY_ON, waived)]


def test_failed_judge_checks_block_and_judges_that_did_not_run_are_skipped() -> None:
    from rayfort_tools.judges.runner import JudgeResult, render_table
    from rayfort_tools.review.gate import Verdict, judge_results

    failed = JudgeResult("checkov", 3, 2, 1, ["CKV_RAYFORT_7 google_container_node_pool.gpu: not confidential"])
    results = [failed, JudgeResult("tenant isolation (nca)"), JudgeResult("helm values", unavailable="no chart")]
    verdict = Verdict()
    judge_results(verdict, results)
    assert verdict.exit_code == 1
    assert verdict.failed_checks == ["checkov: CKV_RAYFORT_7 google_container_node_pool.gpu: not confidential"]
    assert [s.split(":")[0] for s in verdict.skipped_judges] == ["tenant isolation (nca)", "helm values"]
    table = render_table(results)
    assert "skipped" in table and not any(line.split()[-3:] == ["0", "0", "0"] for line in table.splitlines())
