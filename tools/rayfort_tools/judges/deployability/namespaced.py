"""Namespaced mode: with ``kuberay.install: namespaced`` no stack applies a cluster-scoped object, rendered or
direct, except the documented cluster-admin prerequisites (``rayfort.kuberay.prerequisites``)."""

from __future__ import annotations

from collections.abc import Iterator

from rayfort.kuberay.prerequisites import is_cluster_admin_prerequisite
from rayfort_tools.judges.deployability.kubernetes import Cluster
from rayfort_tools.judges.deployability.outcome import Outcome

CHECK = "namespaced-mode"


def check(cluster: Cluster) -> Iterator[Outcome]:
    for placement in cluster.placements:
        if placement.namespace is not None:
            continue
        allowed = is_cluster_admin_prerequisite(placement.api_version, placement.kind, placement.name)
        problem = (
            None
            if allowed
            else f"{placement.describe()} is cluster-scoped and not a documented cluster-admin prerequisite"
        )
        yield Outcome(CHECK, placement.stack, placement.address, problem)
