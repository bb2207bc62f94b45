"""The rule records the engine runs: which check a resource meets, and the defaults a rule made by hand gets.

A rule is built from the catalogue (``Rule.of``) or by code composing our
constructs (``Rule(...)``); either way a check is never picked for the wrong
resource type, a rule checks every resource unless it says otherwise, and a
waiver of it goes stale the moment nothing is below the floor (``ratchet``
False) unless the rule says its value can widen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from rayfort.controls import CONTROLS
from rayfort.policy.environment_rules import ENVIRONMENT_RULES, EnvironmentRule
from rayfort.policy.rules import RULES, Rule


def _says(message: str):
    def check(resource: dict) -> Iterator[str]:
        yield f"{message}: {resource['name']}"

    return check


ONE = Rule("RFX1", "one type", "std", {"google_container_node_pool": _says("pool")}, "pool.attr")
TWO = Rule("RFX2", "two types", "std", {"a": _says("a"), "b": _says("b")}, "a.x, b.x")
ANY_TYPE = Rule("RFX3", "any type", "std", {"*": _says("any")}, "*")
NONE = Rule("RFX4", "no check", "std", {}, "")


def test_a_rule_with_one_check_applies_it_without_being_told_the_type() -> None:
    assert list(ONE.check({"name": "p"})) == ["pool: p"]
    assert list(ONE.check({"name": "p"}, "google_container_node_pool")) == ["pool: p"]


def test_a_check_is_never_applied_to_a_resource_type_it_was_not_written_for() -> None:
    with pytest.raises(KeyError, match="RFX1 has no check for google_compute_firewall"):
        list(ONE.check({"name": "f"}, "google_compute_firewall"))
    with pytest.raises(KeyError, match="RFX2 has no check for None; it checks a, b"):
        list(TWO.check({"name": "x"}))
    with pytest.raises(KeyError, match="RFX4 has no check"):
        list(NONE.check({"name": "x"}))
    assert list(TWO.check({"name": "x"}, "b")) == ["b: x"]


def test_a_wildcard_check_meets_every_type() -> None:
    assert list(ANY_TYPE.check({"name": "x"}, "kubernetes_manifest")) == ["any: x"]
    assert list(ANY_TYPE.check({"name": "x"})) == ["any: x"]


def test_a_rule_made_by_hand_checks_every_resource_and_is_no_ratchet() -> None:
    """No ``applies``: nothing is skipped. No ``ratchet``: a waiver with nothing below the floor is stale."""
    assert ONE.applies({}) is True and ONE.applies({"manifest": {"kind": "Anything"}}) is True
    assert ONE.ratchet is False
    made = EnvironmentRule("RFX5", "t", "std", "env.x", lambda env: iter(()))
    assert made.ratchet is False


def test_rules_carry_their_controls_ratchet() -> None:
    ratchet = {control.id: control.ratchet for control in CONTROLS}
    assert {rule.id: rule.ratchet for rule in RULES} == {rule.id: ratchet[rule.id] for rule in RULES}
    assert {rule.id: rule.ratchet for rule in ENVIRONMENT_RULES} == {
        rule.id: ratchet[rule.id] for rule in ENVIRONMENT_RULES
    }
    assert {True, False} <= {rule.ratchet for rule in RULES}


@pytest.mark.parametrize("rule", [ONE, RULES[0], ENVIRONMENT_RULES[0]], ids=lambda r: r.id)
def test_a_rule_cannot_be_altered_once_made(rule) -> None:
    """Code composing our constructs cannot retitle a rule, drop its checks or make it a ratchet in place."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.ratchet = True
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.id = "RF000"
