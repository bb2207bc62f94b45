"""CKV_RAYFORT_14: containers in rayfort's workload manifests are unprivileged and run as non-root.

No built-in check reads ``kubernetes_manifest`` (the kubernetes_* typed
resource checks do not apply to it). This coarse Terraform-level check looks
at every container, init container and ephemeral container of Pods,
Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and of
RayCluster/RayJob/RayService head and worker groups: ``privileged`` must not
be true, ``runAsUser`` must not be 0, and ``runAsNonRoot`` must be true on
the container or inherited from the Pod's securityContext. A manifest that
is not a literal object (e.g. a whole ``${yamldecode(...)}``) cannot be
reviewed and fails, except a pinned chart's CustomResourceDefinitions applied
one per for_each item, which carry no workload. The full Pod Security Standards
judge is elsewhere.

Catalogue control: RF010, RF012 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

from typing import Any

from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import block, containers, is_chart_crds, is_false, is_true, manifest_of, pod_specs, value


def _run_as_root(security_context: dict[str, Any] | None) -> bool:
    run_as_user = value(security_context, "runAsUser", None) if security_context else None
    return run_as_user == 0 or run_as_user == "0"


class ContainerPrivilege(RayfortCheck):
    """Closes: privileged or root containers slipping into Terraform-managed workload manifests."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_14",
            name="Workload manifests (incl. RayCluster groups) run containers unprivileged with runAsNonRoot",
            resources=("kubernetes_manifest",),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        if is_chart_crds(conf):
            return None
        if "manifest" in conf and manifest_of(conf) is None:
            return ["manifest is not a literal object, so its Pods cannot be reviewed"]
        manifest = manifest_of(conf)
        if manifest is None:
            return None
        specs = pod_specs(manifest)
        if specs is None:
            return None
        self.evaluated_keys = ["manifest"]
        if not specs:
            return ["workload manifest has no Pod template spec"]
        found = []
        for where, pod_spec in specs:
            pod_context = block(pod_spec, "securityContext")
            pod_non_root = is_true(value(pod_context, "runAsNonRoot", None)) if pod_context else False
            if _run_as_root(pod_context):
                found.append(f"{where}.securityContext.runAsUser is 0")
            pod_containers = containers(pod_spec)
            if not pod_containers:
                found.append(f"{where} has no containers")
            for name, container in pod_containers:
                context = block(container, "securityContext")
                label = f"{where}/{name}"
                if context is not None and is_true(value(context, "privileged", None)):
                    found.append(f"{label} is privileged")
                if _run_as_root(context):
                    found.append(f"{label}.securityContext.runAsUser is 0")
                own_non_root = value(context, "runAsNonRoot", None) if context else None
                if is_false(own_non_root) or not (is_true(own_non_root) or pod_non_root):
                    found.append(f"{label} does not set runAsNonRoot: true (nor inherit it from the Pod)")
        return found


check = ContainerPrivilege()
