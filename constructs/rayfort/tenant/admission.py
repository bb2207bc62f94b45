"""What the admission policies hold one tenant to, carried on its Namespace as annotations.

The policies are cluster-wide and the same for every tenant namespace; what differs per tenant (the
node pools and tolerations it may use, whether its templates must pin those pools, whether it runs
only in gVisor, which of its platform clusters have token auth waived) is written on the tenant's
Namespace by the platform, and the policies read it from ``namespaceObject``. That keeps the policies
free of the tenant list: adding a tenant changes its own stack alone. It is sound because developers
cannot edit Namespace objects (their Roles, ``rayfort.tenant.rbac``, grant nothing on namespaces,
and nothing cluster-scoped), as for the dashboard host the shared Gateway's policy reads.

A namespace without these annotations gets the strictest rules: the node pools of a tenant no pool
names, gVisor for every pod template (only ``rayfort.dev/sandboxed: "false"`` lifts it), no waiver. So
between the kuberay stack's apply and a tenant stack's, an unannotated namespace fails closed. This
module is the one place that spells the annotations, both as written (``admission_annotations``) and
as the policies' CEL reads them. Lists are comma-separated (no pool, taint or cluster name contains a
comma), flags ``true`` or ``false``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rayfort.config.tenant import TenantSettings
from rayfort.k8s.cel import NAMESPACE_ANNOTATIONS, lit

NODE_POOLS_ANNOTATION = "rayfort.dev/node-pools"
"""The node pools that admit the tenant."""
TOLERATIONS_ANNOTATION = "rayfort.dev/tolerations"
"""The tolerations its pod templates may write, as ``key=value:effect``, ``key:effect``, ``key=value`` or ``key``."""
PINNED_ANNOTATION = "rayfort.dev/pinned-to-node-pools"
"""Whether every pod template must select its pools by name: some other pool's taints would not stop it."""
SANDBOXED_ANNOTATION = "rayfort.dev/sandboxed"
"""Whether every pod template must run in GKE Sandbox (gVisor): the tenant runs untrusted code."""
UNAUTHENTICATED_CLUSTERS_ANNOTATION = "rayfort.dev/unauthenticated-ray-clusters"
"""RayClusters of the namespace whose token auth the environment turned off (with a waiver)."""
NODE_ANNOTATIONS = (NODE_POOLS_ANNOTATION, TOLERATIONS_ANNOTATION, PINNED_ANNOTATION)
"""Read together: a namespace missing any of them gets the node rules of a tenant no pool names."""
_SEPARATOR = ","
_TRUE, _FALSE = "true", "false"


@dataclass(frozen=True)
class TenantNodes:
    """What one tenant's pod templates may say about nodes."""

    pools: tuple[str, ...]
    """Node pools that admit the tenant."""
    tolerations: tuple[str, ...]
    """Tolerations it may write, in the forms of ``TOLERATIONS_ANNOTATION``."""
    pinned: bool
    """Whether its templates must keep to ``pools`` by affinity: some other pool's taints would not stop them."""


def admission_annotations(tenant: TenantSettings, nodes: TenantNodes | None) -> dict[str, str]:
    """The Namespace annotations the policies read, every one written so the namespace shows its rules.

    ``nodes``: the tenant's node rules (``rayfort.kuberay.admission.node_pools.node_placement``); None
    writes none, and where the policy judges pools it holds the tenant to those of a tenant no pool names.
    gVisor when it runs untrusted code; its platform cluster, named after it, when its token auth is off.
    """
    annotations: dict[str, str] = {}
    if nodes is not None:
        annotations |= {
            NODE_POOLS_ANNOTATION: _SEPARATOR.join(nodes.pools),
            TOLERATIONS_ANNOTATION: _SEPARATOR.join(nodes.tolerations),
            PINNED_ANNOTATION: _flag(nodes.pinned),
        }
    waived = tenant.ray_runtime == "kuberay" and not tenant.token_auth
    return annotations | {
        SANDBOXED_ANNOTATION: _flag(tenant.untrusted_code),
        UNAUTHENTICATED_CLUSTERS_ANNOTATION: tenant.name if waived else "",
    }


def _flag(value: bool) -> str:
    return _TRUE if value else _FALSE


def annotated(*keys: str) -> str:
    """CEL: the request's namespace carries every one of the annotations."""
    present = (f"{lit(key)} in {NAMESPACE_ANNOTATIONS}" for key in keys)
    return "(" + " && ".join([f"has({NAMESPACE_ANNOTATIONS})", *present]) + ")"


def _value(key: str) -> str:
    return f"{NAMESPACE_ANNOTATIONS}[{lit(key)}]"


def listed(key: str) -> str:
    """CEL list of strings: the annotation's items; none when it is absent or empty."""
    return f"({annotated(key)} && {_value(key)} != '' ? {_value(key)}.split({lit(_SEPARATOR)}) : [])"


def flagged(key: str) -> str:
    """CEL: the annotation says ``true``; absent or anything else is false."""
    return f"({annotated(key)} && {_value(key)} == {lit(_TRUE)})"


def required_unless_false(key: str) -> str:
    """CEL: a requirement the annotation lifts only by saying ``false``; absent or anything else keeps it."""
    return f"!({annotated(key)} && {_value(key)} == {lit(_FALSE)})"
