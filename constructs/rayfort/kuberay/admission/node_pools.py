"""What keeps a team's own pod templates on the node pools that admit its tenant.

``config.placement`` decides which pools admit which tenant; rayfort's own pods carry a required node
affinity to those pools. A team writing its own RayCluster, RayJob or RayService could write any
tolerations and affinity, so every pod template in a tenant namespace is held to four rules:

* no ``spec.nodeName``: binding a pod to a node by name skips the scheduler, taints and affinity alike;
* tolerations only of taints that pools admitting the tenant carry, in a form that tolerates no
  other pool's taint (``key`` alone, or no effect, only where every taint it matches is admitted);
* a ``cloud.google.com/gke-nodepool`` selection (``nodeSelector``, or ``In`` in a required affinity
  term) names only pools that admit the tenant;
* where some pool that does not admit the tenant carries no taint the tenant may not tolerate (an
  untainted pool of someone else's, or a GPU pool: every GPU pool has the same ``nvidia.com/gpu``
  taint), every template must be kept to admitted pools: each required term has an ``In`` on the
  pool label listing only admitted pools, or ``nodeSelector`` names one.

Which pools and tolerations a tenant may use, and whether it is pinned, are computed at synth for each
tenant and written on its Namespace (``rayfort.tenant.admission``), which developers cannot edit; the
policy reads them there. A tenant namespace without them gets what a tenant no pool names would: the
plain shared pools and no toleration. That depends on the cluster's pools alone, so the policy does
not change when a tenant is added.
"""

from __future__ import annotations

from rayfort.config import Environment
from rayfort.config.placement import NODE_POOL_LABEL, NodeTaint, admits, pool_taints
from rayfort.k8s.cel import Expr, lit, lits, or_default, text
from rayfort.tenant.admission import (
    NODE_ANNOTATIONS,
    NODE_POOLS_ANNOTATION,
    PINNED_ANNOTATION,
    TOLERATIONS_ANNOTATION,
    TenantNodes,
    annotated,
    flagged,
    listed,
)

_REQUIRED_TERMS = "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"


def toleration_forms(allowed: set[NodeTaint], every: set[NodeTaint]) -> tuple[str, ...]:
    """The tolerations that match only ``allowed`` taints among ``every`` taint in the cluster."""
    forms: set[str] = set()
    for taint in allowed:
        forms.add(str(taint))
        candidates = {
            f"{taint.key}={taint.value}": lambda t, x=taint: (t.key, t.value) == (x.key, x.value),
            f"{taint.key}:{taint.effect}": lambda t, x=taint: (t.key, t.effect) == (x.key, x.effect),
            taint.key: lambda t, x=taint: t.key == x.key,
        }
        forms |= {form for form, matches in candidates.items() if all(t in allowed for t in every if matches(t))}
    return tuple(sorted(forms))


def tenant_nodes(env: Environment, tenant: str | None) -> TenantNodes:
    pools = env.cluster.node_pools
    admitted = [pool for pool in pools if admits(env, pool, tenant)]
    allowed = {taint for pool in admitted for taint in pool_taints(pool)}
    every = {taint for pool in pools for taint in pool_taints(pool)}
    reachable = [
        pool
        for pool in pools
        if pool not in admitted and all(taint in allowed for taint in pool_taints(pool) if taint.blocks)
    ]
    return TenantNodes(tuple(pool.name for pool in admitted), toleration_forms(allowed, every), bool(reachable))


def node_placement(env: Environment, tenant: str | None) -> TenantNodes | None:
    """A tenant's rules (``None``: a tenant no pool names); None in Autopilot mode, where no pool is rayfort's."""
    if env.cluster.mode == "autopilot":
        return None
    return tenant_nodes(env, tenant)


def toleration_form(t: str) -> str:
    """CEL: a toleration as ``key=value:effect`` (Equal) or ``key:effect`` (Exists), without ``:effect`` if unset."""
    operator = f"{or_default(t, 'operator', lit('Equal'))}"
    value = f"({operator} == 'Exists' ? '' : ({operator} == 'Equal' ? '=' + {or_default(t, 'value', lit(''))} : '=?'))"
    effect = f"({or_default(t, 'effect', lit(''))} == '' ? '' : ':' + {t}.effect)"
    return f"({or_default(t, 'key', lit(''))} + {value} + {effect})"


def _tolerations(p: str) -> str:
    return or_default(f"{p}.spec", "tolerations", "[]")


def _pool_expression(e: str) -> str:
    """CEL: a node selector requirement that selects pools by name."""
    return (
        f"(has({e}.key) && {e}.key == {lit(NODE_POOL_LABEL)} && has({e}.operator) && {e}.operator == 'In' "
        f"&& has({e}.values))"
    )


def _selector(p: str) -> str:
    return f"(has({p}.spec.nodeSelector) && {lit(NODE_POOL_LABEL)} in {p}.spec.nodeSelector)"


def _own_or(own: str, default: str) -> str:
    """CEL: one rule as the namespace's annotations say, or the default's where it has no rules of its own."""
    return f"(variables.ownNodeRules ? {own} : {default})"


def variables(default: TenantNodes) -> list[dict[str, str]]:
    """The namespace's rules (``default`` where it has none), and the pod templates that break each.

    ``variables.pods`` is every template.
    """
    terms = or_default("p.spec", _REQUIRED_TERMS, "[]")
    match_expressions = or_default("term", "matchExpressions", "[]")
    pools = "variables.nodePools"
    pool_label = lit(NODE_POOL_LABEL)
    foreign = (
        f"({_selector('p')} && !(p.spec.nodeSelector[{pool_label}] in {pools})) || {terms}.exists(term, "
        f"{match_expressions}.exists(e, {_pool_expression('e')} && e.values.exists(v, !(v in {pools}))))"
    )
    kept = (
        f"({_selector('p')} && p.spec.nodeSelector[{pool_label}] in {pools}) || "
        f"(size({terms}) > 0 && {terms}.all(term, {match_expressions}.exists(e, "
        f"{_pool_expression('e')} && size(e.values) > 0 && e.values.all(v, v in {pools}))))"
    )
    form = toleration_form("t")
    untolerated = f"{_tolerations('p')}.filter(t, !({form} in variables.tolerable))"
    return [
        # The namespace's own rules only when it carries all three, so a partial set cannot mix with the default's.
        {"name": "ownNodeRules", "expression": annotated(*NODE_ANNOTATIONS)},
        {"name": "nodePools", "expression": _own_or(listed(NODE_POOLS_ANNOTATION), lits(default.pools))},
        {"name": "tolerable", "expression": _own_or(listed(TOLERATIONS_ANNOTATION), lits(default.tolerations))},
        {"name": "pinned", "expression": _own_or(flagged(PINNED_ANNOTATION), "true" if default.pinned else "false")},
        {
            "name": "boundToNodes",
            "expression": "variables.pods.filter(p, has(p.spec.nodeName) && p.spec.nodeName != '').map(p, p.path)",
        },
        {
            "name": "untolerated",
            "expression": f"variables.pods.filter(p, size({untolerated}) > 0)"
            f".map(p, p.path + ' (' + {untolerated}.map(t, {form}).join(', ') + ')')",
        },
        {"name": "foreignPools", "expression": f"variables.pods.filter(p, {foreign}).map(p, p.path)"},
        {
            "name": "unpinned",
            # A template that selects a foreign pool is refused for that already, not twice.
            "expression": f"variables.pinned ? variables.pods.filter(p, !({kept}) && !({foreign})).map(p, p.path) : []",
        },
    ]


def _check(variable: str, message: str, *parts: str) -> dict[str, str]:
    return {"expression": f"size(variables.{variable}) == 0", "message": message, "messageExpression": text(*parts)}


def validations() -> list[dict[str, str]]:
    """One check per rule, each saying what to set."""
    tenant = Expr("variables.tenant")
    pools = Expr("(size(variables.nodePools) > 0 ? variables.nodePools.join(', ') : 'none')")
    tolerable = Expr("(size(variables.tolerable) > 0 ? variables.tolerable.join(', ') : 'none')")
    bound = (
        "remove spec.nodeName: a pod bound to a node by name skips the scheduler, and with it the taints and node "
        "affinity that keep each tenant to the node pools that admit it"
    )
    affinity = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    keep = f"set {affinity} so that every nodeSelectorTerms entry has {{key: {NODE_POOL_LABEL}, operator: In, values: ["
    why = (
        f"]}} (or fewer), or spec.nodeSelector {NODE_POOL_LABEL}: one of them; another tenant's pool would take "
        "these pods (every GPU pool carries the same nvidia.com/gpu taint)"
    )
    return [
        _check("boundToNodes", bound, bound, "; set on: ", Expr("variables.boundToNodes.join(', ')")),
        _check(
            "untolerated",
            "tolerate only taints of node pools that admit the tenant (cluster.node_pools[].tenants)",
            "tolerate only taints of node pools that admit tenant ",
            tenant,
            " (allowed: ",
            tolerable,
            "); not allowed: ",
            Expr("variables.untolerated.join('; ')"),
        ),
        _check(
            "foreignPools",
            "select only node pools that admit the tenant (cluster.node_pools[].tenants)",
            "select only node pools that admit tenant ",
            tenant,
            " (",
            pools,
            "; cluster.node_pools[].tenants decides); selecting others: ",
            Expr("variables.foreignPools.join(', ')"),
        ),
        _check(
            "unpinned",
            f"keep every pod template to the node pools that admit the tenant: {keep}<admitted pools>{why}",
            "keep every pod template to the node pools that admit tenant ",
            tenant,
            ": " + keep,
            pools,
            why + "; missing on: ",
            Expr("variables.unpinned.join(', ')"),
        ),
    ]
