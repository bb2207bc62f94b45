"""Synth-time rules: a configuration that breaks one is refused unless a reasoned waiver covers it."""

from rayfort.policy.engine import Evaluation, PolicyReport, RayfortRules
from rayfort.policy.rules import RULES, Rule

__all__ = ["RULES", "Evaluation", "PolicyReport", "RayfortRules", "Rule"]
