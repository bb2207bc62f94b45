"""What a RayCluster, RayJob or RayService in a tenant namespace must carry to be admitted.

The checks are those of the platform's own RayCluster (``rayfort.tenant.runtime.kuberay``): token auth,
gRPC TLS, images from the environment's allowlist, restricted containers (the autoscaler sidecar's
too), requests and limits, the tenant label the network policies select by, no exposure beyond a
ClusterIP head Service, a RayJob submission Pod Security admits, and pods kept to the node pools
that admit the tenant (``node_pools``). A RayJob with
``clusterSelector`` brings no cluster: it runs on an existing one, which was admitted when created.

The environment's values (allowlist, whether the operator's ``tlsOptions`` may stand in for TLS, the
node rules of a namespace without its own) are written into the expressions at synth, so the policy
a reviewer reads is the whole rule; no parameter object can drift from it. What differs per tenant
(its node pools, gVisor, platform clusters whose token auth is waived) is read from the annotations
the platform writes on its Namespace (``rayfort.tenant.admission``), which developers cannot edit: the
policy names no tenant, and adding one leaves it as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort.config.placement import SANDBOX_RUNTIME_CLASS
from rayfort.k8s.cel import Expr, is_false, is_true, lit, lits, or_default, present, text
from rayfort.kuberay.admission import node_pools
from rayfort.kuberay.admission.images import admitted
from rayfort.kuberay.admission.services import service_problems
from rayfort.tenant.admission import (
    SANDBOXED_ANNOTATION,
    UNAUTHENTICATED_CLUSTERS_ANNOTATION,
    TenantNodes,
    listed,
    required_unless_false,
)
from rayfort.tenant.namespace import TENANT_LABEL
from rayfort.tenant.runtime.tls import tls_env

RAY_POLICY = "rayfort-ray-workloads"
RAY_KINDS = ("rayclusters", "rayjobs", "rayservices")
TLS_SWITCH = "RAY_USE_TLS"
TLS_FILES = tuple(e["name"] for e in tls_env() if e["name"] != TLS_SWITCH)
"""Where Ray finds its certificate, key and CA; the platform's init container writes them."""
RESTRICTED = (
    "allowPrivilegeEscalation: false, capabilities.drop: [ALL], runAsNonRoot: true, "
    "seccompProfile.type: RuntimeDefault; not privileged, not runAsUser 0, no added capability "
    "but NET_BIND_SERVICE"
)
"""Pod Security's restricted profile for one container, as a team has to write it."""

C = "variables.cluster"
CLUSTER_PATH = Expr("variables.clusterPath")


@dataclass(frozen=True)
class RayAdmission:
    """What the environment decides about teams' Ray clusters."""

    image_patterns: tuple[str, ...]
    """Binary Authorization's allowlist (``config.cluster.admitted_image_patterns``)."""
    operator_tls: bool = False
    """Whether ``tlsOptions.enabled: true`` counts as TLS: only when the operator runs with RayClusterMTLS."""
    node_placement: TenantNodes | None = None
    """The node rules of a tenant namespace without its own annotations (a tenant no pool names);
    None: no pool is judged (Autopilot)."""


def restricted(container: str, pod_context: str) -> str:
    """CEL: a container's securityContext meets Pod Security restricted, the pod's context filling in where allowed.

    ``container`` and ``pod_context`` must exist (the pod's context may be ``{}``).
    """
    ctx = f"{container}.securityContext"
    run_as_non_root = (
        f"({present(container, 'securityContext.runAsNonRoot')} ? {ctx}.runAsNonRoot == true : "
        f"{is_true(pod_context, 'runAsNonRoot')})"
    )
    run_as_user = or_default(container, "securityContext.runAsUser", or_default(pod_context, "runAsUser", "-1"))
    seccomp = or_default(
        container, "securityContext.seccompProfile.type", or_default(pod_context, "seccompProfile.type", "''")
    )
    checks = [
        is_false(container, "securityContext.allowPrivilegeEscalation"),
        f"({present(container, 'securityContext.capabilities.drop')} && 'ALL' in {ctx}.capabilities.drop)",
        f"{or_default(container, 'securityContext.capabilities.add', '[]')}.all(a, a == 'NET_BIND_SERVICE')",
        f"!{is_true(container, 'securityContext.privileged')}",
        run_as_non_root,
        f"{run_as_user} != 0",
        f"{seccomp} in ['RuntimeDefault', 'Localhost']",
    ]
    return "(" + " && ".join(checks) + ")"


def bounded(container: str) -> str:
    """CEL: requests and limits for both cpu and memory."""
    requests, limits = f"{container}.resources.requests", f"{container}.resources.limits"
    return (
        f"({present(container, 'resources.requests')} && {present(container, 'resources.limits')} && "
        f"['cpu', 'memory'].all(r, r in {requests} && r in {limits}))"
    )


def tls_on(container: str) -> str:
    """CEL: Ray's TLS switch on and its three files named, in the container's env."""
    env = or_default(container, "env", "[]")
    switch = f"{env}.exists(e, e.name == {lit(TLS_SWITCH)} && has(e.value) && e.value.lowerAscii() in ['1', 'true'])"
    files = f"{lits(TLS_FILES)}.all(n, {env}.exists(e, e.name == n && has(e.value) && e.value != ''))"
    return f"({switch} && {files})"


def _pod(path: str, template: str, *, ray: bool) -> str:
    """CEL map describing one pod template: where it is, its labels, spec and containers (init first)."""
    containers = (
        f"{or_default(template, 'spec.initContainers', '[]')} + {or_default(template, 'spec.containers', '[]')}"
    )
    containers_set = f"{present(template, 'spec.containers')} && size({template}.spec.containers) > 0"
    ray_container = f"({containers_set} ? {template}.spec.containers[0] : {{}})"
    entries = {
        "path": path,
        "ray": "true" if ray else "false",
        "labels": or_default(template, "metadata.labels", "{}"),
        "spec": or_default(template, "spec", "{}"),
        "securityContext": or_default(template, "spec.securityContext", "{}"),
        "containers": containers,
        "rayContainer": ray_container,
    }
    # The API server type-checks with HomogeneousAggregateLiterals: values of one map literal must share a
    # type, so each is made dyn.
    return "{" + ", ".join(f"{lit(key)}: dyn({value})" for key, value in entries.items()) + "}"


def _offenders(ok: str, describe: str) -> str:
    """CEL list of strings, one per pod template with containers failing ``ok`` (over ``p`` and ``c``)."""
    return (
        f"variables.pods.filter(p, p.containers.exists(c, !{ok}))"
        f".map(p, p.path + ' (' + p.containers.filter(c, !{ok}).map(c, {describe}).join(', ') + ')')"
    )


def _variables(settings: RayAdmission) -> list[dict[str, str]]:
    head = f"{C}.headGroupSpec"
    cluster = (
        "!has(object.spec) ? null : (object.kind == 'RayCluster' ? object.spec : "
        "(object.kind == 'RayService' ? (has(object.spec.rayClusterConfig) ? object.spec.rayClusterConfig : null) : "
        "(has(object.spec.rayClusterSpec) ? object.spec.rayClusterSpec : null)))"
    )
    cluster_path = (
        "object.kind == 'RayCluster' ? 'spec' : "
        "(object.kind == 'RayService' ? 'spec.rayClusterConfig' : 'spec.rayClusterSpec')"
    )
    labels = "namespaceObject.metadata.labels"
    tenant = f"has({labels}) && {lit(TENANT_LABEL)} in {labels} ? {labels}[{lit(TENANT_LABEL)}] : ''"
    head_pod = _pod(f"{CLUSTER_PATH} + '.headGroupSpec.template'", f"{head}.template", ray=True)
    worker_pod = _pod(
        f"{CLUSTER_PATH} + '.workerGroupSpecs[groupName=' + g.groupName + '].template'", "g.template", ray=True
    )
    submitter = _pod("'spec.submitterPodTemplate'", "object.spec.submitterPodTemplate", ray=False)
    pods = (
        f"({C} == null ? [] : [{head_pod}] + {or_default(C, 'workerGroupSpecs', '[]')}.map(g, {worker_pod})) + "
        f"(object.kind == 'RayJob' && has(object.spec) && has(object.spec.submitterPodTemplate) ? [{submitter}] : [])"
    )
    autoscaling = f"{C} != null && {is_true(C, 'enableInTreeAutoscaling')}"
    options = f"{C}.autoscalerOptions"
    autoscaler_ok = (
        f"{present(C, 'autoscalerOptions')} && "
        f"{restricted(options, or_default(head, 'template.spec.securityContext', '{}'))} && {bounded(options)}"
    )
    no_tls_needed = f"{C} == null" + (f" || {is_true(C, 'tlsOptions.enabled')}" if settings.operator_tls else "")
    untls = f"{no_tls_needed} ? [] : variables.pods.filter(p, p.ray && !{tls_on('p.rayContainer')}).map(p, p.path)"
    ok_image = f"(!has(c.image) || {admitted('c.image', settings.image_patterns)})"
    autoscaler_image = f"{C} != null && {present(C, 'autoscalerOptions.image')}"
    unlisted = (
        _offenders(ok_image, "c.name + ' ' + c.image")
        + f" + ({autoscaler_image} && !{admitted(f'{options}.image', settings.image_patterns)} ? "
        f"[{CLUSTER_PATH} + '.autoscalerOptions.image (' + {options}.image + ')'] : [])"
    )
    ok_context = restricted("c", "p.securityContext")
    head_service = f"{head}.headService"
    exposure = (
        f"({C} != null && {or_default(head, 'serviceType', lit('ClusterIP'))} != 'ClusterIP' ? "
        f"[{CLUSTER_PATH} + '.headGroupSpec.serviceType ' + {head}.serviceType] : []) + "
        f"({C} != null && {is_true(head, 'enableIngress')} ? [{CLUSTER_PATH} + '.headGroupSpec.enableIngress'] : []) + "
        f"({C} != null && {present(head, 'headService')} ? "
        f"{service_problems(head_service)}.map(x, {CLUSTER_PATH} + '.headGroupSpec.headService: ' + x) : []) + "
        f"(object.kind == 'RayService' && has(object.spec) && has(object.spec.serveService) ? "
        f"{service_problems('object.spec.serveService')}.map(x, 'spec.serveService: ' + x) : [])"
    )
    return (
        [
            {"name": "cluster", "expression": cluster},
            {"name": "clusterPath", "expression": cluster_path},
            {"name": "tenant", "expression": tenant},
            {"name": "pods", "expression": pods},
            {"name": "autoscalerUnrestricted", "expression": f"{autoscaling} && !({autoscaler_ok})"},
            {"name": "withoutTls", "expression": untls},
            {"name": "unlistedImages", "expression": unlisted},
            {"name": "unrestrictedContainers", "expression": _offenders(ok_context, "c.name")},
            {"name": "unboundedContainers", "expression": _offenders(bounded("c"), "c.name")},
            {
                "name": "unlabelledPods",
                "expression": f"variables.pods.filter(p, !({lit(TENANT_LABEL)} in p.labels && "
                f"p.labels[{lit(TENANT_LABEL)}] == variables.tenant)).map(p, p.path)",
            },
            {"name": "exposure", "expression": exposure},
            {"name": "submissionMode", "expression": or_default("object", "spec.submissionMode", lit("K8sJobMode"))},
        ]
        + (node_pools.variables(settings.node_placement) if settings.node_placement is not None else [])
        + [
            {
                "name": "outsideSandbox",
                "expression": f"{required_unless_false(SANDBOXED_ANNOTATION)} ? variables.pods.filter(p, "
                f"{or_default('p.spec', 'runtimeClassName', lit(''))} != {lit(SANDBOX_RUNTIME_CLASS)})"
                ".map(p, p.path) : []",
            }
        ]
    )


def _validation(expression: str, message: str, *parts: str) -> dict[str, str]:
    """A check, its static message, and the same message with the offending fields named."""
    return {"expression": expression, "message": message, "messageExpression": text(*parts)}


def _token_auth() -> dict[str, str]:
    # A waiver names platform clusters on their own namespace: it exempts no other namespace's.
    exempt = f"(object.kind == 'RayCluster' && object.metadata.name in {listed(UNAUTHENTICATED_CLUSTERS_ANNOTATION)})"
    why = "; a Ray cluster in a tenant namespace must require Ray token authentication (KubeRay generates the token)"
    return _validation(
        f"{C} == null || {or_default(C, 'authOptions.mode', lit(''))} == 'token' || {exempt}",
        "set authOptions.mode: token" + why,
        "set ",
        CLUSTER_PATH,
        ".authOptions.mode: token" + why,
    )


def _tls(settings: RayAdmission) -> dict[str, str]:
    files = ", ".join(TLS_FILES[:-1]) + " and " + TLS_FILES[-1]
    what = (
        f"Ray's gRPC must use TLS: set env {TLS_SWITCH}=1 with {files} (certificates signed by the tenant CA, "
        "as on the platform's cluster) on the Ray container (containers[0]) of "
    )
    alternative = ("; or set ", CLUSTER_PATH, ".tlsOptions.enabled: true") if settings.operator_tls else ()
    return _validation(
        "size(variables.withoutTls) == 0",
        what + "the head and every worker group",
        what,
        Expr("variables.withoutTls.join(', ')"),
        *alternative,
    )


def _sandbox() -> dict[str, str]:
    what = (
        f"set spec.runtimeClassName: {SANDBOX_RUNTIME_CLASS} on every pod template: the tenant runs untrusted code, "
        "which runs only in GKE Sandbox (gVisor)"
    )
    return _validation(
        "size(variables.outsideSandbox) == 0",
        what,
        what + "; missing on: ",
        Expr("variables.outsideSandbox.join(', ')"),
    )


def _images(settings: RayAdmission) -> dict[str, str]:
    allowed = f"use images matching {', '.join(settings.image_patterns)} (this environment's allowlist)"
    return _validation(
        "size(variables.unlistedImages) == 0",
        allowed,
        allowed + "; not on it: ",
        Expr("variables.unlistedImages.join('; ')"),
    )


def _autoscaler() -> dict[str, str]:
    lead = "the autoscaler sidecar inherits nothing from the Ray container: set "
    return _validation(
        "!variables.autoscalerUnrestricted",
        f"{lead}autoscalerOptions.securityContext ({RESTRICTED}) and autoscalerOptions.resources (requests and "
        "limits for cpu and memory)",
        lead,
        CLUSTER_PATH,
        f".autoscalerOptions.securityContext ({RESTRICTED}) and ",
        CLUSTER_PATH,
        ".autoscalerOptions.resources (requests and limits for cpu and memory)",
    )


def _containers(variable: str, what: str, offenders: str) -> dict[str, str]:
    return _validation(
        f"size(variables.{variable}) == 0", what, what + offenders, Expr(f"variables.{variable}.join('; ')")
    )


def _tenant_label() -> dict[str, str]:
    lead = f"label every pod template with {TENANT_LABEL}: "
    why = " (the tenant's network policies select Ray pods by it)"
    return _validation(
        "size(variables.unlabelledPods) == 0",
        lead + "<the namespace's tenant>" + why,
        lead,
        Expr("variables.tenant"),
        why + "; missing or different on ",
        Expr("variables.unlabelledPods.join(', ')"),
    )


def _exposure() -> dict[str, str]:
    how = (
        "keep headGroupSpec.serviceType ClusterIP and enableIngress off, and make any headService or serveService "
        "a ClusterIP or an internal load balancer with loadBalancerSourceRanges (the platform exposes clusters: "
        "tenants[].exposure)"
    )
    return _validation("size(variables.exposure) == 0", how, how + "; refused: ", Expr("variables.exposure.join('; ')"))


def _submission() -> dict[str, str]:
    http = "set spec.submissionMode: HTTPMode (the operator submits the job with the cluster's token)"
    sidecar = (
        "SidecarMode adds a submitter container without a securityContext to the head pod, which Pod Security "
        f"refuses; {http}"
    )
    k8s_job = (
        "the default submitter pod (K8sJobMode) has no securityContext, so Pod Security refuses it; "
        f"{http}, or give spec.submitterPodTemplate a restricted securityContext, requests and limits and the "
        f"{TENANT_LABEL} label"
    )
    return {
        "expression": "object.kind != 'RayJob' || variables.submissionMode in ['HTTPMode', 'InteractiveMode'] || "
        "(variables.submissionMode == 'K8sJobMode' && has(object.spec.submitterPodTemplate))",
        "message": k8s_job,
        "messageExpression": f"variables.submissionMode == 'SidecarMode' ? {lit(sidecar)} : {lit(k8s_job)}",
    }


def ray_workload_policy(settings: RayAdmission) -> dict[str, Any]:
    """The ValidatingAdmissionPolicy for RayClusters, RayJobs and RayServices in tenant namespaces."""
    validations = [
        _token_auth(),
        _tls(settings),
        _images(settings),
        _autoscaler(),
        _containers(
            "unrestrictedContainers",
            f"set a restricted securityContext ({RESTRICTED}) on every container",
            "; not restricted: ",
        ),
        _containers(
            "unboundedContainers",
            "set resources.requests and resources.limits for cpu and memory on every container",
            "; missing on: ",
        ),
        _tenant_label(),
        _exposure(),
        _submission(),
    ]
    if settings.node_placement is not None:
        validations += node_pools.validations()
    validations.append(_sandbox())
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": RAY_POLICY},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                # Equivalent: a request in ray.io/v1alpha1 is converted to v1 and judged the same.
                "matchPolicy": "Equivalent",
                "resourceRules": [
                    {
                        "apiGroups": ["ray.io"],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": list(RAY_KINDS),
                        "scope": "Namespaced",
                    }
                ],
            },
            "matchConditions": [
                {
                    # Metadata-only updates (finalizers, labels) must go through, so an object admitted before
                    # this policy, or under an older version of it, can still be deleted.
                    "name": "created-or-spec-changed",
                    "expression": "request.operation == 'CREATE' || !has(object.spec) || !has(oldObject.spec) || "
                    "object.spec != oldObject.spec",
                }
            ],
            "variables": _variables(settings),
            "validations": validations,
        },
    }
