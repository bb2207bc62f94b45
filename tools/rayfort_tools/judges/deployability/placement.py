"""Order of namespaces and kinds: nothing goes into a namespace, or uses a kind, before it exists.

* namespaces: every namespaced object (applied directly, or rendered by a Helm
  release; the release record itself lives in the release's namespace) goes
  into a namespace the cluster has, or one created by an earlier stack, or by
  its own stack with the object waiting for it.
* kinds: every custom kind is installed (its CRD applied or rendered) by an
  earlier stack, or served by a GKE feature of a cluster created earlier, or a
  documented cluster-admin prerequisite when no stack installs it. A
  ``kubernetes_manifest`` cannot use a CRD its own stack applies: the provider
  reads the CRD's schema to plan the object.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from rayfort.kuberay.prerequisites import is_cluster_admin_prerequisite
from rayfort_tools.judges.deployability.kubernetes import (
    CLUSTER_NAMESPACES,
    NO_NAMESPACE,
    Cluster,
    Placement,
    creates_namespace,
    is_builtin_group,
    provided_by_cluster,
    release_creates_namespace,
)
from rayfort_tools.judges.deployability.outcome import Outcome
from rayfort_tools.judges.deployability.terraform import UNKNOWN, Deployment

NAMESPACES = "namespaces"
KINDS = "kinds"


def check(deployment: Deployment, cluster: Cluster) -> Iterator[Outcome]:
    yield from _namespaces(deployment, cluster)
    yield from _kinds(deployment, cluster)


def _namespace_creators(deployment: Deployment, cluster: Cluster) -> dict[str, list[tuple[str, str]]]:
    creators: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for placement in cluster.placements:
        if (name := creates_namespace(placement)) is not None:
            creators[name].append((placement.stack, placement.address))
    for stack in deployment.stacks.values():
        for address, namespace in release_creates_namespace(stack):
            creators[namespace].append((stack.name, address))
    return creators


def _namespaces(deployment: Deployment, cluster: Cluster) -> Iterator[Outcome]:
    creators = _namespace_creators(deployment, cluster)
    for placement in cluster.placements:
        if placement.namespace is None:
            continue
        yield Outcome(
            NAMESPACES, placement.stack, placement.address, _namespace_problem(deployment, creators, placement)
        )


def _namespace_problem(deployment: Deployment, creators: dict, placement: Placement) -> str | None:
    what = placement.describe()
    if placement.namespace is UNKNOWN:
        return f"{what}: its namespace cannot be computed from the configuration"
    if placement.namespace is NO_NAMESPACE:
        return f"{what}: a namespaced kind without metadata.namespace, which kubernetes_manifest refuses at plan"
    namespace = placement.namespace
    made = creators.get(namespace, [])
    same = [address for stack, address in made if stack == placement.stack]
    if same:
        if any(address == placement.address or address in placement.after for address in same):
            return None
        return f"{what}: does not wait for namespace {namespace}, which {', '.join(same)} creates in the same stack"
    if any(deployment.before(stack, placement.stack) for stack, _ in made) or namespace in CLUSTER_NAMESPACES:
        return None
    if made:
        later = ", ".join(sorted({stack for stack, _ in made}))
        return f"{what}: namespace {namespace} is created only by stack {later}, which is not deployed before it"
    return f"{what}: no stack creates namespace {namespace}"


def _kinds(deployment: Deployment, cluster: Cluster) -> Iterator[Outcome]:
    installers: dict[tuple[str, str], list[Placement]] = defaultdict(list)
    for crd, group, kind in cluster.crds():
        installers[(group, kind)].append(crd)
    for placement in cluster.placements:
        if is_builtin_group(placement.group):
            continue
        problem = _kind_problem(deployment, cluster, installers[(placement.group, placement.kind)], placement)
        yield Outcome(KINDS, placement.stack, placement.address, problem)


def _kind_problem(deployment: Deployment, cluster: Cluster, crds: list[Placement], placement: Placement) -> str | None:
    what = f"{placement.describe()} ({placement.api_version})"
    if crds:
        if any(deployment.before(crd.stack, placement.stack) for crd in crds):
            return None
        same = [crd for crd in crds if crd.stack == placement.stack]
        for crd in same:
            if placement.address.startswith("kubernetes_manifest.") and crd.address != placement.address:
                return (
                    f"{what}: its CRD is applied by {crd.address} in the same stack, but kubernetes_manifest needs "
                    "the CRD to exist when the stack is planned"
                )
            if crd.address == placement.address or crd.address in placement.after:
                return None
        if same:
            return f"{what}: does not wait for its CRD, which {same[0].address} applies in the same stack"
        later = ", ".join(sorted({crd.stack for crd in crds}))
        return f"{what}: its CRD is installed only by stack {later}, which is not deployed before it"
    if provided_by_cluster(deployment, placement.stack, placement.group, placement.kind):
        return None
    crd_name = cluster.crd_name(placement.group, placement.kind)
    if is_cluster_admin_prerequisite("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd_name):
        return None
    return (
        f"{what}: no stack before it installs CRD {crd_name}, no GKE feature of a cluster created earlier serves "
        "it, and it is not a documented cluster-admin prerequisite"
    )
