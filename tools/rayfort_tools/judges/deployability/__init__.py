"""Judge: the synthesized stacks deploy on the first ``terraform plan`` and ``apply``, in manifest order.

Each check reads the stacks as Terraform would (references, ``depends_on``,
remote state, ``manifest.json`` stack dependencies) and finds a class of
defects generically, by graph and resource kind, never by rayfort's names:
ordering (KMS grants), plan-time reads, trust (CA pinning), namespaces and
kinds, organization singletons, one owner per cloud object, resources in a network's project the deployment only
reads (a Shared VPC host's) and, with the namespaced operator, cluster-scoped
objects. ``rendering`` reports an object source the judge could not read, or a
Helm chart it could not render as pinned: it cannot vouch for what it did not see.
"""

from __future__ import annotations

from pathlib import Path

from rayfort_tools.judges.deployability import (
    foreign_network,
    namespaced,
    ordering,
    organization,
    ownership,
    placement,
    plan_time,
    trust,
)
from rayfort_tools.judges.deployability.helm import HelmUnavailable
from rayfort_tools.judges.deployability.kubernetes import read_cluster
from rayfort_tools.judges.deployability.outcome import Outcome
from rayfort_tools.judges.deployability.terraform import Deployment

RENDERING = "rendering"

__all__ = ["Deployment", "HelmUnavailable", "Outcome", "judge", "judge_outdir"]


def judge(deployment: Deployment, *, namespaced_operator: bool = False) -> list[Outcome]:
    """Every outcome of every check; raises HelmUnavailable when the static helm is missing."""
    cluster = read_cluster(deployment)
    outcomes = [
        *ordering.check(deployment),
        *plan_time.check(deployment, cluster),
        *trust.check(deployment),
        *placement.check(deployment, cluster),
        *organization.check(deployment),
        *ownership.check(deployment),
        *foreign_network.check(deployment),
        *(namespaced.check(cluster) if namespaced_operator else ()),
        *(Outcome(RENDERING, problem.stack, problem.address, problem.message) for problem in cluster.problems),
    ]
    return outcomes


def judge_outdir(outdir: Path, *, namespaced_operator: bool = False) -> list[Outcome]:
    return judge(Deployment.from_outdir(outdir), namespaced_operator=namespaced_operator)
