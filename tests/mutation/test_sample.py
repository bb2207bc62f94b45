"""A fixed sample of security mutants that every `make test` run must kill.

Each mutant is one weakening of a detector written as a source edit (the issue's
survivors among them): put in place in a forked copy of this test process
(``tests.mutation.inprocess``) and judged by the named fast test, which must
fail. A detector that stops refusing one of these fails here, in every run,
without waiting for `make mutation`. When the original text changes, the
sample says so: update the snippet, keep the weakening.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.mutation import inprocess
from tests.mutation.forked import run_forked


@dataclass(frozen=True)
class Sample:
    module: str
    original: str
    """Text that occurs exactly once in the module."""
    mutant: str
    weakens: str
    """What a detector with this mutant lets through."""
    killer: str
    """``module:function`` of the fast test that must fail."""
    args: tuple[Any, ...] = ()
    again: tuple[str, ...] = ()
    """Modules that copied what the mutated module builds at import: executed again after it."""


RULES = "tests.policy.test_rules:test_rule_fails_every_way_weaker"
MEANING = "tests.mutation.test_sample:catalogue_meaning"
VERDICT = "tests.review.test_verdict"
JUDGING = "tests.policy.test_judging"

SAMPLE: tuple[Sample, ...] = (
    # compare
    Sample("rayfort.controls.compare", "    for item in items:\n", "    for item in items[:1]:\n",
           "RF017 misses 0.0.0.0/0 beside another range", RULES, ("RF017", 1)),
    Sample("rayfort.controls.compare", "self.order.index(value) if value in self.order else -1",
           "self.order.index(value) if value in self.order else len(self.order)",
           "an unknown or missing level ranks above every known one",
           "tests.controls.test_compare:test_levels", (("COMPATIBLE", "MODERN", "RESTRICTED"), "RESTRICTED", "MODERN")),
    Sample("rayfort.controls.compare", 'return float("-inf") if self.stronger == "higher" else float("inf")',
           "return 0.0", "a missing rotation period ranks as the shortest", "tests.controls.test_compare:test_numbers"),
    # checks
    Sample("rayfort.controls.checks", 'if shielded.get("enable_secure_boot") is not True:',
           'if shielded.get("enable_secure_boot") is False:', "RF001 passes a pool whose secure boot is missing",
           RULES, ("RF001", 0)),
    Sample("rayfort.controls.checks", 'if mode != "token":', "if mode is None:",
           "RF013 accepts authOptions.mode: disabled", RULES, ("RF013", 0)),
    Sample("rayfort.controls.checks", 'for field in ("secret_data", "auth_string", "password", "private_key", '
           '"repository_password"):', "for field in ():", "RF015 stops looking at secret fields", RULES, ("RF015", 0)),
    Sample("rayfort.controls.checks", 'if state != "ENCRYPTED":', 'if state == "DECRYPTED":',
           "RF033 passes a cluster whose database encryption state is missing", RULES, ("RF033", 1)),
    Sample("rayfort.controls.checks", "rotation > MAX_ROTATION_SECONDS:", "rotation > 4 * MAX_ROTATION_SECONDS:",
           "RF020 accepts a key rotated yearly", RULES, ("RF020", 1)),
    Sample("rayfort.controls.checks", "or sampling < FLOW_SAMPLING_FLOOR:", "or sampling < 0.0001:",
           "RF029 accepts flow-log sampling of 0.0001", RULES, ("RF029", 0)),
    Sample("rayfort.controls.checks", "    if internet_wide(cidrs):\n        yield f\"master",
           "    if \"0.0.0.0/0\" in cidrs:\n        yield f\"master",
           "RF023 misses 0.0.0.0/1 + 128.0.0.0/1", RULES, ("RF023", 1)),
    Sample("rayfort.controls.checks", 'SSL_PROFILES = Levels(("COMPATIBLE", "MODERN", "RESTRICTED"))',
           'SSL_PROFILES = Levels(("COMPATIBLE", "RESTRICTED", "MODERN"))', "RF027 ranks MODERN above RESTRICTED",
           RULES, ("RF027", 0)),
    # catalogue
    Sample("rayfort.controls.catalogue", "_ON = Flag(True)\n", "_ON = Flag(True, missing=True)\n",
           "the review ranks a removed secure-boot flag as still on", MEANING, (1,),
           again=("rayfort.controls", "rayfort_tools.review.diff")),
    # environment
    Sample("rayfort.controls.environment", "if pool.confidential_instance_type is None:",
           'if pool.confidential_instance_type == "NONE":', "RF003 passes a pool with confidential nodes off",
           "tests.controls.test_environment_checks:test_confidential_pools"),
    Sample("rayfort.controls.environment", "if logs.sampling < FLOW_SAMPLING_FLOOR:", "if logs.sampling <= 0:",
           "RF029 lets the environment lower flow-log sampling",
           "tests.controls.test_environment_checks:test_flow_logs_at_the_floor_pass_and_below_it_fail"),
    # organization policies
    Sample("rayfort.controls.org_policies", "for stack in sorted(stacks):",
           "for stack in sorted(stacks)[:1]:",
           "a constraint in force is checked in the first stack only: a tenant stack's unshielded pool passes",
           "tests.controls.test_org_policies:test_every_stack_and_every_resource_is_read_in_order"),
    # rule records
    Sample("rayfort.policy.rules", "if resource_type is None and len(self.checks) == 1:",
           "if len(self.checks) == 1:", "a rule's check runs on a resource type it was not written for",
           "tests.policy.test_rule_records:test_a_check_is_never_applied_to_a_resource_type_it_was_not_written_for"),
    Sample("rayfort.policy.environment_rules", "    ratchet: bool = False\n", "    ratchet: bool = True\n",
           "an environment rule made by hand lets its stale waivers stand",
           "tests.policy.test_rule_records:test_a_rule_made_by_hand_checks_every_resource_and_is_no_ratchet",
           again=("tests.policy.test_rule_records",)),
    # engine
    Sample("rayfort.policy.engine", "return bool(self.violations or self.unused_waivers)",
           "return bool(self.violations)", "a stale waiver stops refusing the synth",
           f"{JUDGING}:test_a_stale_waiver_alone_refuses"),
    Sample("rayfort.policy.engine", "for path, refusal in self._judge_stack(stack.to_terraform()):",
           "for path, refusal in self._judge_stack({}):",
           "the refusal stops adding its error annotation: a plain cdktf synth publishes violating output",
           "tests.mutation.test_sample:annotation"),
    Sample("rayfort.policy.engine", "fnmatch.fnmatchcase(path, waiver.resource)", "True",
           "a waiver covers every construct of its rule",
           f"{JUDGING}:test_waivers_match_their_rule_and_construct_path_only"),
    # review diff and gate
    Sample("rayfort_tools.review.diff", "for key, evaluation in sorted(before.items()):",
           "for key, evaluation in []:", "weakened_controls skips controls that are gone",
           f"{VERDICT}:test_a_control_no_longer_evaluated_on_a_resource_still_there_blocks"),
    Sample("rayfort_tools.review.diff", "if was == now or not setting.compare.weaker(was, now):",
           "if was == now or now is None or not setting.compare.weaker(was, now):",
           "the review stops reporting removed (null) flags", MEANING, (1,)),
    Sample("rayfort_tools.review.gate", "EXIT_WEAKENED if self.unwaived or self.failed_checks else",
           "EXIT_WEAKENED if self.unwaived else", "a failed judge check stops blocking",
           f"{VERDICT}:test_exit_codes"),
    Sample("rayfort_tools.review.gate", "if result.unavailable or result.checked == 0:", "if result.unavailable:",
           "a judge that judged nothing passes as clean", f"{VERDICT}:test_judge_results_sort_failures_and_skips"),
    Sample("rayfort_tools.review.gate", "            verdict.unwaived.append(", "            verdict.waived.append(",
           "a control gone from a resource stops blocking",
           f"{VERDICT}:test_a_control_no_longer_evaluated_on_a_resource_still_there_blocks"),
    # config types
    Sample("rayfort.config._types", "_EMAIL.fullmatch(value)", "_EMAIL.match(value)",
           "an email with trailing junk passes", "tests.mutation.test_sample:email"),
    Sample("rayfort.config._types", "if len(value) > 63 or not _DNS_LABEL", "if len(value) > 64 or not _DNS_LABEL",
           "a 64-character name passes as a DNS label", "tests.config.test_types:test_dns_labels", ("a" * 64, False)),
    Sample("rayfort.config.quantity", "    match = _QUANTITY.fullmatch(value)\n    amount",
           "    match = _QUANTITY.match(value)\n    amount", "a quantity with a trailing newline passes",
           "tests.config.test_quantity:test_trailing_junk_is_refused_and_has_no_amount", ("\n",)),
    # tenant isolation
    Sample("rayfort_tools.judges.tenant_isolation", "placements[fresh] |= own | foreign",
           "placements[fresh] |= set()",
           "the isolation judge places no probe in a fresh namespace: namespaceSelector: {} in a peer passes",
           "tests.mutation.test_sample:isolation_probes"),
    Sample("rayfort_tools.judges.tenant_isolation", 'elif operator == "Exists":', 'elif operator == "Absent":',
           "probes ignore Exists selectors: a policy selecting by a label's presence is never probed",
           "tests.judges.test_tenant_isolation:test_probe_labels_satisfy_each_selector_and_every_value_of_in"),
    # Pod Security
    Sample("rayfort.k8s.pod_security", 'get("allowPrivilegeEscalation") is not False:',
           'get("allowPrivilegeEscalation") is True:', "a container that does not forbid privilege escalation passes",
           "tests.k8s.test_pod_security_weakenings:test_privilege_escalation_must_be_false", (None,)),
    Sample("rayfort.k8s.pod_security", 'if "ALL" not in _sequence(capabilities.get("drop")):', "if False:",
           "a container keeping its capabilities passes",
           "tests.k8s.test_pod_security_weakenings:test_every_capability_must_be_dropped", ({"drop": ["NET_RAW"]},)),
    Sample("rayfort.k8s.pod_security", "        elif pod_setting is None:\n", "        elif False:\n",
           "a pod that never says runAsNonRoot passes",
           "tests.k8s.test_pod_security_weakenings:test_run_as_non_root_must_be_set_somewhere", (None,)),
)  # fmt: skip


# --- killers that need a little setup ---------------------------------------------------------------


def catalogue_meaning(index: int) -> None:
    meaning = importlib.import_module("tests.controls.test_catalogue_meaning")
    meaning.test_the_weaker_value_is_reported_under_its_control(meaning.WEAKENINGS[index])


def annotation() -> None:
    judging = importlib.import_module(JUDGING)
    with pytest.MonkeyPatch.context() as patch:
        judging.test_visiting_a_weak_stack_annotates_the_resource_with_an_error(judging.fake_cdk(patch))


def isolation_probes() -> None:
    """The issue's cross-tenant hole, seen only by a probe an attacker creates in a fresh namespace (runs NCA)."""
    isolation = importlib.import_module("tests.judges.test_tenant_isolation")
    isolation._report.cache_clear()  # judged afresh, with the mutant, not from this session's cache
    isolation.test_a_peer_in_any_namespace_lets_copies_of_the_workers_reach_the_head()


def email() -> None:
    types_ = importlib.import_module("tests.config.test_types")
    types_.test_a_valid_value_passes_and_trailing_junk_is_refused(
        types_._email, "ray-team-a@example.com", "must be an email address"
    )


# --- the run --------------------------------------------------------------------------------------------


def _killer(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _mutate(sample: Sample) -> int:
    """In the forked child: put the mutant in place, run its killer; 1 when the killer fails (killed)."""
    module = importlib.import_module(sample.module)
    filename = module.__file__ or ""
    source = Path(filename).read_text(encoding="utf-8")
    mutated = source.replace(sample.original, sample.mutant)
    plan = inprocess.plan(filename, source, mutated)
    if plan.module_level:
        inprocess.execute_again(module, mutated)
        for name in sample.again:
            inprocess.execute_again(importlib.import_module(name))
    elif not inprocess.swap(plan, inprocess.module_functions(module)):
        return inprocess.HARNESS_ERROR
    try:
        _killer(sample.killer)(*sample.args)
    except (Exception, pytest.fail.Exception):  # noqa: BLE001 - any failure of the killer kills the mutant
        return 1
    return 0


@pytest.mark.parametrize("sample", SAMPLE, ids=lambda s: f"{s.module.rsplit('.', 1)[-1]}: {s.weakens}")
def test_the_sample_mutant_is_killed(sample: Sample) -> None:
    module = importlib.import_module(sample.module)
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    assert source.count(sample.original) == 1, f"{sample.module} changed: update the snippet of '{sample.weakens}'"
    _killer(sample.killer)(*sample.args)  # the killer passes on the unmutated detector
    ((_, outcome),) = run_forked([(sample, lambda: _mutate(sample), 60)], 1)
    assert outcome.status not in (inprocess.HARNESS_ERROR, inprocess.CDK_TOUCHED), outcome
    assert outcome.status != 0, f"survived: {sample.weakens} ({sample.killer} passes with the mutant)"


def test_the_sample_covers_every_detector_module() -> None:
    from tests.mutation.targets import TARGETS

    assert {t.module for t in TARGETS} <= {s.module for s in SAMPLE}
    assert 20 <= len(SAMPLE) <= 36
