"""Where the pods we emit could be scheduled, worked out the way the Kubernetes scheduler filters nodes.

The node pools are read from the synthesized gke stack (their names, labels, taints and the labels
GKE adds), not from rayfort's placement code; every pod template of a tenant stack is matched against
them with the scheduler's own predicates: ``nodeName``, taints and tolerations
(``TaintToleration``, k8s.io/api/core/v1 ``Toleration.ToleratesTaint``), ``nodeSelector`` and required
node affinity (``NodeAffinity``, k8s.io/component-helpers/scheduling/corev1/nodeaffinity). The
environment says which pools admit which tenant; a template that could land on any other pool, or on
none, fails.

GKE Sandbox: GKE labels and taints a sandbox pool's nodes ``sandbox.gke.io/runtime=gvisor`` itself (the
pool's ``node_config`` names neither), and its ``gvisor`` RuntimeClass adds that selector and a
toleration to every pod naming it (the RuntimeClass admission plugin), so both are modelled here. A
template that could land on a sandbox pool without ``runtimeClassName: gvisor`` would run there outside
gVisor, and fails; one naming gVisor reaches sandbox pools only, through the RuntimeClass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rayfort.k8s.pod_security import pod_templates

NODE_POOL_LABEL = "cloud.google.com/gke-nodepool"
_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}
_METADATA_SERVER_LABEL = "iam.gke.io/gke-metadata-server-enabled"
GVISOR = "gvisor"
_SANDBOX_KEY = "sandbox.gke.io/runtime"
_SANDBOX_TAINT = (_SANDBOX_KEY, GVISOR, "NoSchedule")


@dataclass(frozen=True)
class PoolNodes:
    """What the scheduler sees of one pool's nodes."""

    name: str
    labels: Mapping[str, str]
    taints: tuple[tuple[str, str, str], ...]
    """(key, value, effect) in Kubernetes' spelling."""
    sandbox: bool = False
    """GKE Sandbox: pods naming the gvisor RuntimeClass run in gVisor here, and only here."""


def pools_of(gke_stack: Mapping[str, Any]) -> list[PoolNodes]:
    """The node pools of a synthesized gke stack, with the labels GKE puts on their nodes."""
    found = []
    for body in gke_stack.get("resource", {}).get("google_container_node_pool", {}).values():
        config = body.get("node_config") or {}
        labels = {**(config.get("labels") or {}), NODE_POOL_LABEL: body["name"]}
        if (config.get("workload_metadata_config") or {}).get("mode") == "GKE_METADATA":
            labels[_METADATA_SERVER_LABEL] = "true"
        if config.get("spot"):
            labels["cloud.google.com/gke-spot"] = "true"
        taints = tuple(
            (t["key"], t.get("value", ""), _EFFECTS[t.get("effect", "NO_SCHEDULE")]) for t in config.get("taint") or []
        )
        sandbox = (config.get("sandbox_config") or {}).get("sandbox_type") == GVISOR
        if sandbox:
            labels[_SANDBOX_KEY] = GVISOR
            taints += (_SANDBOX_TAINT,)
        found.append(PoolNodes(body["name"], labels, taints, sandbox))
    return sorted(found, key=lambda pool: pool.name)


def _tolerates(toleration: Mapping[str, Any], taint: tuple[str, str, str]) -> bool:
    key, value, effect = taint
    if toleration.get("effect") and toleration["effect"] != effect:
        return False
    if toleration.get("key") and toleration["key"] != key:
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and bool(toleration.get("key")) and (toleration.get("value") or "") == value


def _requirement(requirement: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, operator, values = requirement["key"], requirement["operator"], requirement.get("values") or []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator in ("Gt", "Lt") and key in labels and len(values) == 1:
        try:
            have, bound = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > bound if operator == "Gt" else have < bound
    return False


def _term(term: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A node selector term: every expression holds; an empty term matches nothing (matchFields is ignored)."""
    expressions = term.get("matchExpressions") or []
    return bool(expressions) and all(_requirement(e, labels) for e in expressions)


def schedulable_pools(spec: Mapping[str, Any], pools: list[PoolNodes]) -> set[str]:
    """The pools on whose nodes the scheduler could place a pod of this spec (a nodeName reaches them all)."""
    if spec.get("nodeName"):
        return {pool.name for pool in pools}
    tolerations = list(spec.get("tolerations") or [])
    selector = dict(spec.get("nodeSelector") or {})
    if spec.get("runtimeClassName") == GVISOR:
        # GKE's gvisor RuntimeClass scheduling, merged in at admission.
        selector[_SANDBOX_KEY] = GVISOR
        tolerations.append({"key": _SANDBOX_KEY, "operator": "Equal", "value": GVISOR, "effect": "NoSchedule"})
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    reachable = set()
    for pool in pools:
        untolerated = [taint for taint in pool.taints if not any(_tolerates(t, taint) for t in tolerations)]
        if any(effect != "PreferNoSchedule" for _, _, effect in untolerated):
            continue
        if any(pool.labels.get(key) != value for key, value in selector.items()):
            continue
        if required is not None and not any(_term(t, pool.labels) for t in required.get("nodeSelectorTerms") or []):
            continue
        reachable.add(pool.name)
    return reachable


def runtime_mismatch(spec: Mapping[str, Any], reachable: set[str], pools: list[PoolNodes]) -> str | None:
    """Why the pod would run outside gVisor on a sandbox pool (a gVisor pod reaches no other: its RuntimeClass)."""
    sandbox = reachable & {pool.name for pool in pools if pool.sandbox}
    if spec.get("runtimeClassName") != GVISOR and sandbox:
        return f"could run outside gVisor on sandbox pools {', '.join(sorted(sandbox))}"
    return None


def tenant_templates(stacks: Mapping[str, Mapping[str, Any]]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(tenant, stack, where, pod spec) of every pod template in a tenant stack."""
    for stack, tf_json in sorted(stacks.items()):
        if not stack.startswith("tenant-"):
            continue
        for address, body in sorted(tf_json.get("resource", {}).get("kubernetes_manifest", {}).items()):
            manifest = body.get("manifest")
            if not isinstance(manifest, dict):
                continue
            for path, spec in pod_templates(manifest):
                yield stack.removeprefix("tenant-"), stack, f"kubernetes_manifest.{address}:{path}", spec
