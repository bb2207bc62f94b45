"""The rules engine without a synth: what it records, what it refuses, and the annotation that refuses.

``test_engine.py`` drives the engine through real cdktf apps; these tests hand
it synthesized stacks as data, and stand in for the CDK's ``Aspects`` and
``Annotations`` with recorders, so every branch of the engine (waivers, stale
waivers, the environment rules, the error annotation that makes a plain ``cdktf
synth`` fail) is pinned in milliseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from rayfort.config import Environment
from rayfort.config.waivers import Waiver
from rayfort.policy import engine
from rayfort.policy.engine import GUARD_ID, Evaluation, PolicyReport, RayfortRules
from rayfort.policy.rules import RULES, Rule
from tests.config.test_models import MINIMAL
from tests.policy.test_rules import GOOD_POOL

REASON = "a deliberately weak pool in a test fixture"
WEAK_POOL = {"node_config": {"machine_type": "n2d-standard-2"}}


def _resource(path: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"//": {"metadata": {"path": path, "uniqueId": path.rsplit("/", 1)[-1]}}, **body}


def _stacks(*pools: tuple[str, dict]) -> dict[str, dict]:
    return {"gke": {"resource": {"google_container_node_pool": {p: _resource(p, body) for p, body in pools}}}}


def _waiver(rule: str, resource: str = "gke/weak", **extra: Any) -> Waiver:
    if rule == "RF003":  # a confidential-nodes waiver names the tenants its pool may carry
        extra.setdefault("tenants", [])
    return Waiver(rule=rule, resource=resource, reason=REASON, **extra)


def _env(**overrides: Any) -> Environment:
    return Environment.model_validate({**MINIMAL, **overrides})


def _statuses(report: PolicyReport) -> set[tuple[str, str, str]]:
    return {(e.rule, e.path, e.status) for e in report.evaluations}


# --- resources ------------------------------------------------------------------------------


def test_a_weak_resource_is_violated_and_refused() -> None:
    report = RayfortRules().judge_stacks(_stacks(("gke/weak", WEAK_POOL)))
    assert report.refused
    assert {("RF001", "gke/weak", "violated"), ("RF003", "gke/weak", "violated")} <= _statuses(report)
    rf001 = next(e for e in report.violations if e.rule == "RF001")
    assert rf001.resource_type == "google_container_node_pool" and rf001.control == "CIS GKE 5.5.5, 5.5.6"
    assert rf001.findings == (
        "node_config.shielded_instance_config.enable_secure_boot is not true",
        "node_config.shielded_instance_config.enable_integrity_monitoring is not true",
    )
    assert rf001.title == "Shielded nodes with secure boot" and rf001.waiver_reason is None
    assert "google_container_node_pool.node_config.shielded_instance_config.enable_secure_boot" in rf001.attribute


def test_a_hardened_resource_records_every_rule_on() -> None:
    report = RayfortRules().judge_stacks(_stacks(("gke/good", GOOD_POOL)))
    assert not report.refused and not report.violations and not report.waived
    pool_rules = {r.id for r in RULES if "google_container_node_pool" in r.resource_types}
    assert {(e.rule, e.status) for e in report.evaluations} == {(rule, "on") for rule in pool_rules}
    assert all(e.path == "gke/good" and e.findings == () for e in report.evaluations)


def test_the_metadata_is_not_judged_as_an_attribute() -> None:
    body = _resource("gke/good", GOOD_POOL)
    body["//"]["secret"] = "-----BEGIN RSA PRIVATE KEY-----"
    report = RayfortRules().judge_stacks({"gke": {"resource": {"google_container_node_pool": {"good": body}}}})
    assert not report.refused


def test_a_resource_without_metadata_is_judged_at_an_empty_path() -> None:
    stacks = {"gke": {"resource": {"google_container_node_pool": {"p": WEAK_POOL}}}}
    report = RayfortRules().judge_stacks(stacks)
    assert report.refused and {e.path for e in report.violations} == {""}


def test_rules_for_every_type_record_only_findings() -> None:
    """RF015 looks at every resource; a clean one is not recorded, so the record stays readable."""
    stacks = {"gke": {"resource": {"google_storage_bucket_object": {"o": _resource("gke/o", {"content": "x"})}}}}
    assert RayfortRules().judge_stacks(stacks).evaluations == []
    leaked = {"content": "-----BEGIN PRIVATE KEY-----\nabc"}
    stacks = {"gke": {"resource": {"google_storage_bucket_object": {"o": _resource("gke/o", leaked)}}}}
    (evaluation,) = RayfortRules().judge_stacks(stacks).evaluations
    assert (evaluation.rule, evaluation.status, evaluation.path) == ("RF015", "violated", "gke/o")


def test_a_rule_is_judged_only_on_its_types_and_what_it_applies_to() -> None:
    calls: list[str] = []

    def check(resource: dict) -> Any:
        calls.append(resource["name"])
        yield "weak"
        yield "weak"  # one finding, however often a check says it

    rule = Rule("RF001", "t", "c", {"google_container_node_pool": check}, "a", lambda r: r["name"] != "skipped")
    stacks = {
        "gke": {
            "resource": {
                "google_container_node_pool": {
                    "a": _resource("gke/a", {"name": "a"}),
                    "s": _resource("gke/s", {"name": "skipped"}),
                },
                "google_compute_network": {"n": _resource("gke/n", {"name": "n"})},
            }
        }
    }
    report = RayfortRules(rules=[rule]).judge_stacks(stacks)
    assert calls == ["a"]
    assert [(e.path, e.findings) for e in report.violations] == [("gke/a", ("weak",))]


def test_stacks_are_judged_in_order_of_resource_type() -> None:
    stacks = {
        "gke": {
            "resource": {
                "google_container_node_pool": {"p": _resource("gke/p", WEAK_POOL)},
                "google_compute_firewall": {"f": _resource("gke/f", {"allow": [{}], "source_ranges": ["0.0.0.0/0"]})},
            }
        }
    }
    report = RayfortRules().judge_stacks(stacks)
    types = [e.resource_type for e in report.evaluations]
    assert types == sorted(types)


# --- waivers --------------------------------------------------------------------------------


def test_a_waiver_turns_each_finding_of_its_rule_into_waived() -> None:
    report = RayfortRules([_waiver("RF001")]).judge_stacks(_stacks(("gke/weak", WEAK_POOL)))
    (waived,) = report.waived
    assert (waived.rule, waived.path, waived.waiver_reason) == ("RF001", "gke/weak", REASON)
    assert waived.findings and "RF001" not in {e.rule for e in report.violations}
    assert report.refused  # the other rules still refuse
    assert not report.unused_waivers


def test_waivers_match_their_rule_and_construct_path_only() -> None:
    waivers = [_waiver("RF002", "gke/other"), _waiver("RF001", "gke/weak/*"), _waiver("RF003", "gke/WEAK")]
    report = RayfortRules(waivers).judge_stacks(_stacks(("gke/weak", WEAK_POOL)))
    assert not report.waived
    assert report.unused_waivers == waivers


def test_a_wildcard_waiver_covers_what_it_matches() -> None:
    waiver = _waiver("RF003", "gke/*", scope="all")
    report = RayfortRules([waiver]).judge_stacks(_stacks(("gke/a", WEAK_POOL), ("gke/b", WEAK_POOL)))
    assert {(e.path, e.waiver_reason) for e in report.waived} == {("gke/a", REASON), ("gke/b", REASON)}


def test_the_first_matching_waiver_is_the_one_shown_and_the_second_is_stale() -> None:
    first = _waiver("RF003", "gke/weak")
    second = Waiver(
        rule="RF003", resource="gke/*", scope="all", reason="another reason given for these pools", tenants=[]
    )
    report = RayfortRules([first, second]).judge_stacks(_stacks(("gke/weak", WEAK_POOL)))
    assert [e.waiver_reason for e in report.waived] == [REASON]
    assert report.unused_waivers == [second]


def test_a_stale_waiver_alone_refuses() -> None:
    stale = _waiver("RF019", "tenant-x/bucket/logs")
    report = RayfortRules([stale]).judge_stacks(_stacks(("gke/good", GOOD_POOL)))
    assert report.refused and not report.violations
    assert report.unused_waivers == [stale] and report.waivers == [stale]
    assert report.describe() == "  - waiver RF019 for tenant-x/bucket/logs matches nothing; remove it"


def test_a_waiver_of_a_rule_that_holds_is_stale_unless_the_control_ratchets() -> None:
    """A ratchet control (ranges, allowlists, numbers) may widen above its floor: its waiver stands."""
    firewall = {"allow": [{"protocol": "tcp"}], "source_ranges": ["10.0.0.0/8"], "log_config": {"metadata": "X"}}
    stacks = {"network": {"resource": {"google_compute_firewall": {"f": _resource("network/f", firewall)}}}}
    ratchet = _waiver("RF017", "network/f")
    report = RayfortRules([ratchet]).judge_stacks(stacks)
    assert not report.unused_waivers and not report.refused
    (on,) = [e for e in report.evaluations if e.rule == "RF017"]
    assert (on.status, on.waiver_reason) == ("on", REASON)
    flag = _waiver("RF018", "network/f")
    report = RayfortRules([flag]).judge_stacks(stacks)
    assert report.unused_waivers == [flag] and report.refused
    assert all(e.waiver_reason is None for e in report.evaluations)


# --- the record -----------------------------------------------------------------------------


def _evaluation(rule: str, status: str, path: str = "gke/p", findings: tuple = ()) -> Evaluation:
    return Evaluation(rule, "title", "control", "attr", path, "google_container_node_pool", status, findings)


def test_the_report_sorts_evaluations_by_status() -> None:
    on, waived, violated = (_evaluation("RF001", s) for s in ("on", "waived", "violated"))
    report = PolicyReport([on, waived, violated])
    assert report.violations == [violated] and report.waived == [waived] and report.refused
    assert not PolicyReport([on, waived]).refused
    assert PolicyReport([on], unused_waivers=[_waiver("RF001")]).refused


def test_the_refusal_names_rule_path_finding_and_the_waiver_to_write() -> None:
    report = PolicyReport(
        [_evaluation("RF003", "violated", "gke/p", ("off", "also off")), _evaluation("RF001", "on")],
        unused_waivers=[_waiver("RF019", "tenant-x/b")],
    )
    assert report.describe().splitlines() == [
        "  - RF003 title: gke/p: off",
        "  - RF003 title: gke/p: also off",
        "    (to accept this, add to waivers: {rule: RF003, resource: gke/p, reason: <why, in words>})",
        "  - waiver RF019 for tenant-x/b matches nothing; remove it",
    ]


def test_the_record_is_deterministic_json() -> None:
    a, b = _evaluation("RF002", "on", "gke/b"), _evaluation("RF001", "violated", "gke/a", ("x",))
    waiver = _waiver("RF003")
    one = PolicyReport([a, b], unused_waivers=[waiver], waivers=[waiver]).to_json()
    assert one == PolicyReport([b, a], unused_waivers=[waiver], waivers=[waiver]).to_json()
    document = json.loads(one)
    assert [e["path"] for e in document["evaluations"]] == ["gke/a", "gke/b"]
    assert document["unused_waivers"] == [waiver.model_dump()] == document["waivers"]
    assert one.endswith("}\n") and '\n  "evaluations": [' in one
    same_path = PolicyReport([_evaluation("RF002", "on"), _evaluation("RF001", "on")]).to_json()
    assert [e["rule"] for e in json.loads(same_path)["evaluations"]] == ["RF001", "RF002"]
    by_type = [
        Evaluation("RF001", "t", "c", "a", "p", "t2", "on"),
        Evaluation("RF001", "t", "c", "a", "p", "t1", "on"),
    ]
    assert [e["resource_type"] for e in json.loads(PolicyReport(by_type).to_json())["evaluations"]] == ["t1", "t2"]


def test_the_record_leaves_out_what_a_waiver_does_not_say() -> None:
    """A waiver without tenants is recorded without the key, as it was written: not as ``tenants: null``."""
    waiver = _waiver("RF019", "tenant-x/b")
    document = json.loads(PolicyReport([], unused_waivers=[waiver], waivers=[waiver]).to_json())
    written = {"rule": "RF019", "resource": "tenant-x/b", "scope": "path", "reason": REASON}
    assert document["unused_waivers"] == [written] == document["waivers"]


# --- the environment ------------------------------------------------------------------------


def test_a_secure_environment_records_each_environment_rule_once() -> None:
    rules = RayfortRules(environment=_env())
    assert rules.judge_environment() is None
    report = rules.judge_stacks({})
    environment = [e for e in report.evaluations if e.resource_type == "environment"]
    assert environment and all(e.status == "on" and e.path == "environment" for e in environment)
    assert len({e.rule for e in environment}) == len(environment)


def test_a_weakened_environment_is_refused_before_anything_is_built() -> None:
    rules = RayfortRules(environment=_env(network={"service_controls": {"enabled": False}}))
    early = rules.judge_environment()
    assert early is not None and early.refused
    assert [(e.rule, e.path, e.status) for e in early.violations] == [("RF021", "network/perimeter", "violated")]
    assert "RF021" in early.describe() and "network/perimeter" in early.describe()
    assert rules.judge_environment() is None  # judged once per app
    assert [e.rule for e in rules.report().violations] == ["RF021"]


def test_an_environment_finding_can_be_waived() -> None:
    waiver = _waiver("RF021", "network/perimeter")
    rules = RayfortRules([waiver], environment=_env(network={"service_controls": {"enabled": False}}))
    assert rules.judge_environment() is None
    report = rules.report()
    assert [(e.rule, e.status, e.waiver_reason) for e in report.waived] == [("RF021", "waived", REASON)]
    assert not report.refused and not report.unused_waivers


def test_without_an_environment_nothing_is_judged_early() -> None:
    rules = RayfortRules()
    assert rules.judge_environment() is None
    assert rules.judge_stacks({}).evaluations == []


# --- the aspect: CDK stand-ins record what the engine asks of the framework -------------------


@dataclass(eq=False)
class FakeNode:
    id: str
    children: list[Any] = field(default_factory=list)
    found: dict[str, Any] = field(default_factory=dict)

    def try_find_child(self, part: str) -> Any:
        return self.found.get(part)


@dataclass(eq=False)
class FakeConstruct:
    node: FakeNode


class FakeStack(FakeConstruct):
    def __init__(self, name: str, tf_json: dict | None = None) -> None:
        super().__init__(FakeNode(name))
        self.tf_json = tf_json or {}

    def to_terraform(self) -> dict:
        return self.tf_json


@pytest.fixture
def cdk(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    return fake_cdk(monkeypatch)


def fake_cdk(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Stand-ins for the CDK classes the engine uses; what it asked of them."""
    asked: dict[str, list] = {"aspects": [], "errors": [], "guards": []}

    class Stack(FakeStack):
        @staticmethod
        def of(node: Any) -> Any:
            return node.stack

    class Guard(FakeConstruct):
        def __init__(self, scope: Any, construct_id: str) -> None:
            super().__init__(FakeNode(construct_id))
            self.stack = scope
            asked["guards"].append((scope.node.id, construct_id))

    class Aspects:
        @staticmethod
        def of(scope: Any) -> Any:
            return type("A", (), {"add": lambda self, aspect: asked["aspects"].append((scope, aspect))})()

    class Annotations:
        @staticmethod
        def of(scope: Any) -> Any:
            return type("N", (), {"add_error": lambda self, text: asked["errors"].append((scope, text))})()

    for name, value in {
        "TerraformStack": Stack,
        "Construct": Guard,
        "Aspects": Aspects,
        "Annotations": Annotations,
    }.items():
        monkeypatch.setattr(engine, name, value)
    asked["Stack"] = Stack  # type: ignore[assignment]
    return asked


def _app(*stacks: FakeStack) -> Any:
    return FakeConstruct(FakeNode("app", children=[*stacks, FakeConstruct(FakeNode("not-a-stack"))]))


def test_attach_guards_each_stack_once(cdk) -> None:
    gke, network = cdk["Stack"]("gke"), cdk["Stack"]("network")
    rules = RayfortRules()
    assert rules.attach(_app(gke, network)) is rules
    assert cdk["guards"] == [("gke", GUARD_ID), ("network", GUARD_ID)]
    assert [aspect for _, aspect in cdk["aspects"]] == [rules, rules]
    assert cdk["errors"] == []


def test_visiting_a_weak_stack_annotates_the_resource_with_an_error(cdk) -> None:
    pool = FakeConstruct(FakeNode("pool"))
    stack = cdk["Stack"]("gke", _stacks(("gke/weak", WEAK_POOL))["gke"])
    stack.node.found["weak"] = pool
    rules = RayfortRules([_waiver("RF002")])
    rules.attach(_app(stack))
    guard = cdk["aspects"][0][0]
    rules.visit(guard)
    errors = [text for scope, text in cdk["errors"] if scope is pool]
    assert errors and len(errors) == len(cdk["errors"])
    assert any(t.startswith("RF001 Shielded nodes with secure boot: node_config.") for t in errors)
    assert not any(t.startswith("RF002") for t in errors)


def test_an_error_lands_on_the_deepest_construct_that_exists(cdk) -> None:
    stack = cdk["Stack"]("gke", _stacks(("gke/gone/deeper", WEAK_POOL))["gke"])
    parent = FakeConstruct(FakeNode("gone"))
    stack.node.found["gone"] = parent
    RayfortRules().visit(type("Guard", (), {"stack": stack})())
    assert cdk["errors"] and {scope for scope, _ in cdk["errors"]} == {parent}
    orphan = cdk["Stack"]("gke", _stacks(("gke/missing", WEAK_POOL))["gke"])
    cdk["errors"].clear()
    RayfortRules().visit(type("Guard", (), {"stack": orphan})())
    assert cdk["errors"] and {scope for scope, _ in cdk["errors"]} == {orphan}


def test_a_clean_stack_gets_no_annotation(cdk) -> None:
    stack = cdk["Stack"]("gke", _stacks(("gke/good", GOOD_POOL))["gke"])
    RayfortRules().visit(type("Guard", (), {"stack": stack})())
    assert cdk["errors"] == []


def test_attach_annotates_the_stack_an_environment_refusal_names(cdk) -> None:
    network, gke = cdk["Stack"]("network"), cdk["Stack"]("gke")
    env = _env(network={"service_controls": {"enabled": False}})
    RayfortRules(environment=env).attach(_app(gke, network))
    assert [(scope, text.split(":")[0]) for scope, text in cdk["errors"]] == [
        (network, "RF021 VPC Service Controls perimeter")
    ]


def test_an_environment_refusal_for_a_stack_the_app_lacks_is_not_lost(cdk) -> None:
    env = _env(network={"service_controls": {"enabled": False}})
    rules = RayfortRules(environment=env)
    rules.attach(_app(cdk["Stack"]("gke")))
    assert cdk["errors"] == []
    assert rules.report().refused


class _Synth:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.synthesized = 0

    def synth(self) -> None:
        self.synthesized += 1
        if self.error is not None:
            raise self.error


def test_synth_returns_the_refusal_when_cdktf_aborts_on_our_annotations() -> None:
    rules = RayfortRules()
    rules.judge_stacks(_stacks(("gke/weak", WEAK_POOL)))
    app = _Synth(RuntimeError('Validation failed: Annotations with level "ERROR" found'))
    assert rules.synth(app).refused and app.synthesized == 1


def test_synth_raises_other_failures() -> None:
    refused = RayfortRules()
    refused.judge_stacks(_stacks(("gke/weak", WEAK_POOL)))
    with pytest.raises(RuntimeError, match="disk full"):
        refused.synth(_Synth(RuntimeError("disk full")))
    clean = RayfortRules()
    with pytest.raises(RuntimeError, match="Annotations"):
        clean.synth(_Synth(RuntimeError('Annotations with level "ERROR" found')))
    assert not clean.synth(_Synth(None)).refused


def test_every_rule_is_judged_after_one_that_holds() -> None:
    """A pool that is hardened but for its last rule (the kubelet port) is refused for that rule."""
    pool = {**GOOD_POOL, "node_config": {**GOOD_POOL["node_config"], "kubelet_config": {}}}
    report = RayfortRules().judge_stacks(_stacks(("gke/almost", pool)))
    assert [e.rule for e in report.violations] == ["RF040"]
    assert {e.rule for e in report.evaluations if e.status == "on"} >= {"RF001", "RF002", "RF003", "RF004"}


def test_an_evaluation_is_an_immutable_record() -> None:
    import dataclasses

    evaluation = _evaluation("RF001", "violated")
    with pytest.raises(dataclasses.FrozenInstanceError):
        evaluation.status = "on"  # type: ignore[misc]
    assert hash(evaluation) == hash(_evaluation("RF001", "violated"))


def test_the_record_sorts_the_keys_of_each_evaluation() -> None:
    text = PolicyReport([_evaluation("RF001", "violated", findings=("x",))]).to_json()
    keys = [line.strip().split('"')[1] for line in text.splitlines() if line.startswith('      "')]
    assert keys == sorted(keys) and keys[0] == "attribute"


def test_every_rule_is_judged_after_one_that_does_not_apply() -> None:
    """A privileged Deployment is refused, though the manifest rules before RF012 are about Namespaces."""
    container = {"name": "c", "image": "r:1.0", "securityContext": {"privileged": True}}
    deployment = {"manifest": {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [container]}}}}}
    stacks = {"t": {"resource": {"kubernetes_manifest": {"d": _resource("t/d", deployment)}}}}
    assert "RF012" in {e.rule for e in RayfortRules().judge_stacks(stacks).violations}
