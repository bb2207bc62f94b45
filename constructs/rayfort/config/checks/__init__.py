"""Rules that span several fields of an environment: what a single field's type cannot express.

Each module holds one domain's rules; all of them read the whole Environment, so
they sit above it (the models below never see an Environment).
"""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.checks import (
    audit,
    cluster,
    deployer,
    environment,
    exposure,
    kuberay,
    network,
    org_policy,
    quotas,
    tenant,
)
from rayfort.config.environment import Environment


def cross_field_problems(env: Environment) -> list[Problem]:
    """Every rule that a single field's type cannot express."""
    problems = environment.problems(env)
    for domain in (network, deployer, org_policy, cluster, kuberay, tenant, exposure, audit, quotas):
        problems += domain.problems(env)
    return problems
