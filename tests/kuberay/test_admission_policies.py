"""Every admission policy expression, evaluated by a real CEL engine against compliant and violating objects.

Engine: ``cel-expr-python`` (Google's CEL C++ runtime), with the strings and optional extensions
Kubernetes enables. Kubernetes CEL library functions the harness had to implement: none. The policies
use only standard CEL macros and operators, ``matches`` (RE2 in both engines) and the strings
extension's ``join``, ``lowerAscii`` and ``split``; ``admission_harness.check_uses_no_kubernetes_library``
refuses any policy that calls ``quantity``, ``url``, ``ip``, ``cidr``, the ``lists`` functions,
``find``/``findAll`` or ``authorizer``, so this list cannot silently go stale.

Each case is one violation of the compliant object, with the exact message the API server returns. The
object is submitted in team-a's namespace as its stack writes it, annotations included: what differs per
tenant is read from there.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rayfort.config.cluster import image_admitted
from rayfort.kuberay.admission.images import admitted
from rayfort.kuberay.admission.policies import admission_objects, ray_admission
from rayfort.kuberay.admission.ray_workloads import RayAdmission, ray_workload_policy
from rayfort.kuberay.admission.services import service_policy
from tests.conftest import environment
from tests.kuberay import admission_fixtures as fx
from tests.kuberay.admission_harness import (
    CompileError,
    check_uses_no_kubernetes_library,
    compile_expression,
    evaluate,
    policy_expressions,
)

DEV_ENV = environment("dev")
DEV = ray_admission(DEV_ENV)
TEAM_A = fx.platform_namespace(DEV_ENV)
RAY = ray_workload_policy(DEV)
SERVICES = service_policy()
RESTRICTED_TEXT = (
    "allowPrivilegeEscalation: false, capabilities.drop: [ALL], runAsNonRoot: true, seccompProfile.type: "
    "RuntimeDefault; not privileged, not runAsUser 0, no added capability but NET_BIND_SERVICE"
)
ALLOWLIST = "docker.io/rayproject/ray"
HEAD = "spec.headGroupSpec.template"
WORKER = "spec.workerGroupSpecs[groupName=cpu].template"
TLS_TEXT = (
    "Ray's gRPC must use TLS: set env RAY_USE_TLS=1 with RAY_TLS_SERVER_CERT, RAY_TLS_SERVER_KEY and "
    "RAY_TLS_CA_CERT (certificates signed by the tenant CA, as on the platform's cluster) on the Ray container "
    "(containers[0]) of "
)
EXPOSURE_TEXT = (
    "keep headGroupSpec.serviceType ClusterIP and enableIngress off, and make any headService or serveService a "
    "ClusterIP or an internal load balancer with loadBalancerSourceRanges (the platform exposes clusters: "
    "tenants[].exposure); refused: "
)
K8S_JOB_TEXT = (
    "the default submitter pod (K8sJobMode) has no securityContext, so Pod Security refuses it; set "
    "spec.submissionMode: HTTPMode (the operator submits the job with the cluster's token), or give "
    "spec.submitterPodTemplate a restricted securityContext, requests and limits and the rayfort.dev/tenant label"
)


def _denials(policy: dict, obj: dict, **kwargs: Any) -> list[str]:
    decision = evaluate(policy, obj, namespace=kwargs.pop("namespace", TEAM_A), **kwargs)
    assert decision.applies, "the match conditions should select this request"
    assert not decision.errors, decision.errors
    assert not decision.fallbacks, f"messageExpression failed: {decision.fallbacks}"
    return decision.denials


def _head(obj: dict) -> dict:
    return obj["spec"]["headGroupSpec"]["template"]["spec"]


def _worker(obj: dict) -> dict:
    return obj["spec"]["workerGroupSpecs"][0]["template"]["spec"]


Mutation = Callable[[dict], None]


def _set(path: str, value: Any) -> Mutation:
    """Set (or, with value None, delete) a dotted path below the object; digits index lists."""

    def mutate(obj: dict) -> None:
        *parents, last = path.split(".")
        node: Any = obj
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is None:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


RAY_CLUSTER_VIOLATIONS: dict[str, tuple[Mutation, str]] = {
    "no-token-auth": (
        _set("spec.authOptions", None),
        "set spec.authOptions.mode: token; a Ray cluster in a tenant namespace must require Ray token "
        "authentication (KubeRay generates the token)",
    ),
    "token-auth-disabled": (
        _set("spec.authOptions.mode", "disabled"),
        "set spec.authOptions.mode: token; a Ray cluster in a tenant namespace must require Ray token "
        "authentication (KubeRay generates the token)",
    ),
    "no-tls-on-workers": (_set("spec.workerGroupSpecs.0.template.spec.containers.0.env", None), TLS_TEXT + WORKER),
    "tls-switched-off": (
        _set("spec.headGroupSpec.template.spec.containers.0.env.0.value", "0"),
        TLS_TEXT + HEAD,
    ),
    "tls-without-ca": (
        lambda o: _head(o)["containers"][0]["env"].pop(),
        TLS_TEXT + HEAD,
    ),
    "operator-tls-without-the-gate": (
        lambda o: (_head(o)["containers"][0].pop("env"), o["spec"].update(tlsOptions={"enabled": True})),
        TLS_TEXT + HEAD,
    ),
    "image-from-elsewhere": (
        _set("spec.workerGroupSpecs.0.template.spec.containers.0.image", "ghcr.io/someone/ray:latest"),
        f"use images matching {ALLOWLIST} (this environment's allowlist); not on it: {WORKER} (ray-worker "
        "ghcr.io/someone/ray:latest)",
    ),
    "init-container-image-from-elsewhere": (
        _set("spec.headGroupSpec.template.spec.initContainers.0.image", "busybox"),
        f"use images matching {ALLOWLIST} (this environment's allowlist); not on it: {HEAD} (ray-tls-cert busybox)",
    ),
    "autoscaler-image-from-elsewhere": (
        _set("spec.autoscalerOptions.image", "quay.io/evil/autoscaler:1"),
        f"use images matching {ALLOWLIST} (this environment's allowlist); not on it: "
        "spec.autoscalerOptions.image (quay.io/evil/autoscaler:1)",
    ),
    "autoscaler-without-security-context": (
        _set("spec.autoscalerOptions.securityContext", None),
        f"the autoscaler sidecar inherits nothing from the Ray container: set spec.autoscalerOptions.securityContext "
        f"({RESTRICTED_TEXT}) and spec.autoscalerOptions.resources (requests and limits for cpu and memory)",
    ),
    "autoscaler-escalates": (
        _set("spec.autoscalerOptions.securityContext.allowPrivilegeEscalation", True),
        f"the autoscaler sidecar inherits nothing from the Ray container: set spec.autoscalerOptions.securityContext "
        f"({RESTRICTED_TEXT}) and spec.autoscalerOptions.resources (requests and limits for cpu and memory)",
    ),
    "autoscaler-without-limits": (
        _set("spec.autoscalerOptions.resources.limits", None),
        f"the autoscaler sidecar inherits nothing from the Ray container: set spec.autoscalerOptions.securityContext "
        f"({RESTRICTED_TEXT}) and spec.autoscalerOptions.resources (requests and limits for cpu and memory)",
    ),
    "container-keeps-capabilities": (
        _set("spec.headGroupSpec.template.spec.containers.0.securityContext.capabilities", {"add": ["NET_ADMIN"]}),
        f"set a restricted securityContext ({RESTRICTED_TEXT}) on every container; not restricted: {HEAD} (ray-head)",
    ),
    "container-privileged": (
        _set("spec.workerGroupSpecs.0.template.spec.containers.0.securityContext.privileged", True),
        f"set a restricted securityContext ({RESTRICTED_TEXT}) on every container; not restricted: "
        f"{WORKER} (ray-worker)",
    ),
    "container-runs-as-root": (
        _set("spec.workerGroupSpecs.0.template.spec.containers.0.securityContext.runAsUser", 0),
        f"set a restricted securityContext ({RESTRICTED_TEXT}) on every container; not restricted: "
        f"{WORKER} (ray-worker)",
    ),
    "init-container-without-seccomp-anywhere": (
        lambda o: (
            _head(o)["securityContext"].pop("seccompProfile"),
            _head(o)["initContainers"][0]["securityContext"].pop("seccompProfile"),
        ),
        f"set a restricted securityContext ({RESTRICTED_TEXT}) on every container; not restricted: "
        f"{HEAD} (ray-tls-cert)",
    ),
    "container-without-limits": (
        _set("spec.headGroupSpec.template.spec.containers.0.resources.limits", None),
        "set resources.requests and resources.limits for cpu and memory on every container; missing on: "
        f"{HEAD} (ray-head)",
    ),
    "init-container-without-memory-request": (
        _set("spec.workerGroupSpecs.0.template.spec.initContainers.0.resources.requests.memory", None),
        "set resources.requests and resources.limits for cpu and memory on every container; missing on: "
        f"{WORKER} (ray-tls-cert)",
    ),
    "no-tenant-label": (
        _set("spec.workerGroupSpecs.0.template.metadata", None),
        "label every pod template with rayfort.dev/tenant: team-a (the tenant's network policies select Ray pods "
        f"by it); missing or different on {WORKER}",
    ),
    "another-tenants-label": (
        lambda o: o["spec"]["headGroupSpec"]["template"]["metadata"]["labels"].update({"rayfort.dev/tenant": "team-b"}),
        "label every pod template with rayfort.dev/tenant: team-a (the tenant's network policies select Ray pods "
        f"by it); missing or different on {HEAD}",
    ),
    "head-service-load-balancer": (
        _set("spec.headGroupSpec.serviceType", "LoadBalancer"),
        EXPOSURE_TEXT + "spec.headGroupSpec.serviceType LoadBalancer",
    ),
    "head-ingress": (
        _set("spec.headGroupSpec.enableIngress", True),
        EXPOSURE_TEXT + "spec.headGroupSpec.enableIngress",
    ),
    "head-service-node-port": (
        _set("spec.headGroupSpec.headService", {"spec": {"type": "NodePort"}}),
        EXPOSURE_TEXT + "spec.headGroupSpec.headService: type NodePort",
    ),
}


def test_every_expression_compiles_with_no_kubernetes_library_function():
    for policy in (RAY, SERVICES):
        for expression in policy_expressions(policy):
            check_uses_no_kubernetes_library(expression)
            compile_expression(expression)


def test_the_harness_refuses_what_it_does_not_implement():
    with pytest.raises(CompileError, match="quantity"):
        check_uses_no_kubernetes_library("quantity(object.spec.x).isLessThan(quantity('1'))")
    with pytest.raises(CompileError):
        compile_expression("object.spec.x ? 1 : 'one'")


@pytest.mark.parametrize(
    "build", [fx.ray_cluster, fx.ray_job_on_platform_cluster, fx.ray_job_with_cluster, fx.ray_service]
)
def test_compliant_ray_objects_are_admitted(build):
    assert _denials(RAY, build()) == []


@pytest.mark.parametrize("case", sorted(RAY_CLUSTER_VIOLATIONS))
def test_each_ray_cluster_violation_is_refused_with_its_message(case):
    mutation, message = RAY_CLUSTER_VIOLATIONS[case]
    obj = fx.ray_cluster()
    mutation(obj)
    assert _denials(RAY, obj) == [message]


def test_a_rayjobs_own_cluster_is_judged_at_its_own_path():
    job = fx.ray_job_with_cluster()
    del job["spec"]["rayClusterSpec"]["authOptions"]
    job["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["image"] = "ray:2.52.1"
    assert _denials(RAY, job) == [
        "set spec.rayClusterSpec.authOptions.mode: token; a Ray cluster in a tenant namespace must require Ray token "
        "authentication (KubeRay generates the token)",
        f"use images matching {ALLOWLIST} (this environment's allowlist); not on it: "
        "spec.rayClusterSpec.workerGroupSpecs[groupName=cpu].template (ray-worker ray:2.52.1)",
    ]


def test_a_rayservice_cluster_and_serve_service_are_judged():
    service = fx.ray_service()
    service["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]["containers"][0]["env"] = []
    service["spec"]["serveService"] = {"spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/8"]}}
    assert _denials(RAY, service) == [
        TLS_TEXT + "spec.rayClusterConfig.headGroupSpec.template",
        EXPOSURE_TEXT + "spec.serveService: a LoadBalancer without networking.gke.io/load-balancer-type: Internal",
    ]


def test_an_internal_serve_load_balancer_with_ranges_is_admitted():
    service = fx.ray_service()
    service["spec"]["serveService"] = {
        "metadata": {"annotations": {"networking.gke.io/load-balancer-type": "Internal"}},
        "spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.200.0.0/24"], "ports": [{"port": 8000}]},
    }
    assert _denials(RAY, service) == []


@pytest.mark.parametrize(
    ("mode", "template", "message"),
    [
        ("K8sJobMode", False, K8S_JOB_TEXT),
        (
            "SidecarMode",
            False,
            "SidecarMode adds a submitter container without a securityContext to the head pod, which Pod Security "
            "refuses; set spec.submissionMode: HTTPMode (the operator submits the job with the cluster's token)",
        ),
        ("K8sJobMode", True, None),
        ("InteractiveMode", False, None),
    ],
)
def test_rayjob_submission_must_pass_pod_security(mode, template, message):
    job = fx.ray_job_on_platform_cluster()
    job["spec"]["submissionMode"] = mode
    if template:
        job["spec"]["submitterPodTemplate"] = fx.submitter_template()
    assert _denials(RAY, job) == ([message] if message else [])


def test_a_submitter_template_is_held_to_images_resources_context_and_label():
    job = fx.ray_job_on_platform_cluster()
    job["spec"]["submissionMode"] = "K8sJobMode"
    job["spec"]["submitterPodTemplate"] = template = fx.submitter_template()
    container = template["spec"]["containers"][0]
    container["image"] = "python:3.11"
    del container["resources"]
    del container["securityContext"]
    del template["metadata"]
    where = "spec.submitterPodTemplate (ray-job-submitter"
    assert _denials(RAY, job) == [
        f"use images matching {ALLOWLIST} (this environment's allowlist); not on it: {where} python:3.11)",
        f"set a restricted securityContext ({RESTRICTED_TEXT}) on every container; not restricted: {where})",
        f"set resources.requests and resources.limits for cpu and memory on every container; missing on: {where})",
        "label every pod template with rayfort.dev/tenant: team-a (the tenant's network policies select Ray pods "
        "by it); missing or different on spec.submitterPodTemplate",
    ]


def test_a_job_on_the_platform_cluster_brings_no_cluster_to_judge():
    job = fx.ray_job_on_platform_cluster()
    job["spec"]["runtimeEnvYAML"] = "pip: [numpy]\n"
    assert _denials(RAY, job) == []


def test_metadata_only_updates_pass_so_old_objects_can_be_deleted():
    old = fx.ray_cluster()
    old["spec"]["authOptions"]["mode"] = "disabled"
    new = copy.deepcopy(old)
    new["metadata"]["finalizers"] = []
    assert not evaluate(RAY, new, namespace=TEAM_A, old=old, operation="UPDATE").applies
    new["spec"]["workerGroupSpecs"][0]["replicas"] = 2
    assert _denials(RAY, new, old=old, operation="UPDATE") == [RAY_CLUSTER_VIOLATIONS["no-token-auth"][1]]


def test_operator_tls_counts_only_where_the_operator_runs_with_mtls():
    obj = fx.ray_cluster()
    for group in (_head(obj), _worker(obj)):
        group["containers"][0].pop("env")
    obj["spec"]["tlsOptions"] = {"enabled": True}
    with_gate = ray_workload_policy(RayAdmission(image_patterns=DEV.image_patterns, operator_tls=True))
    assert _denials(with_gate, obj) == []
    del obj["spec"]["tlsOptions"]
    assert _denials(with_gate, obj) == [
        TLS_TEXT + f"{HEAD}, {WORKER}; or set spec.tlsOptions.enabled: true",
    ]


def _tenant(name: str, **settings: Any) -> dict:
    """A dev tenant's namespace as its stack writes it, with some of its settings changed."""
    tenant = next(t for t in DEV_ENV.tenants if t.name == name)
    return fx.platform_namespace(DEV_ENV, tenant.model_copy(update=settings))


def test_a_waived_platform_cluster_is_the_only_cluster_exempt_from_token_auth():
    """The waiver is on team-a's namespace and names its platform cluster: no other cluster, nor namespace."""
    waived = _tenant("team-a", token_auth=False)
    assert waived["metadata"]["annotations"]["rayfort.dev/unauthenticated-ray-clusters"] == "team-a"
    platform = fx.ray_cluster()
    platform["metadata"]["name"] = "team-a"
    platform["spec"]["authOptions"]["mode"] = "disabled"
    refused = [RAY_CLUSTER_VIOLATIONS["no-token-auth"][1]]
    assert _denials(RAY, platform, namespace=waived) == []
    assert _denials(RAY, platform) == refused, "team-a's namespace as shipped waives nothing"
    team_cluster = copy.deepcopy(platform)
    team_cluster["metadata"]["name"] = "scratch"
    assert _denials(RAY, team_cluster, namespace=waived) == refused
    elsewhere = copy.deepcopy(platform)
    elsewhere["metadata"]["namespace"] = "team-b"
    for template in (
        elsewhere["spec"]["headGroupSpec"]["template"],
        elsewhere["spec"]["workerGroupSpecs"][0]["template"],
    ):
        template["metadata"]["labels"]["rayfort.dev/tenant"] = "team-b"
    assert _denials(RAY, elsewhere, namespace=fx.platform_namespace(DEV_ENV, "team-b")) == refused
    # Another tenant's waiver names its own cluster: team-a's cluster in team-b's namespace is not it.
    assert _denials(RAY, elsewhere, namespace=_tenant("team-b", token_auth=False)) == refused
    unwaived = fx.namespace(annotations={"rayfort.dev/sandboxed": "false"})
    assert _denials(RAY, platform, namespace=unwaived) == refused, "no annotation, no waiver"
    job = fx.ray_job_with_cluster()
    job["metadata"]["name"] = "team-a"
    job["spec"]["rayClusterSpec"]["authOptions"]["mode"] = "disabled"
    assert _denials(RAY, job, namespace=waived) == [
        "set spec.rayClusterSpec.authOptions.mode: token; a Ray cluster in a tenant namespace must require Ray token "
        "authentication (KubeRay generates the token)"
    ], "the waiver is for the RayCluster alone"


def test_an_untrusted_tenant_runs_every_pod_template_in_gvisor():
    sandboxed = _tenant("team-a", untrusted_code=True)
    assert sandboxed["metadata"]["annotations"]["rayfort.dev/sandboxed"] == "true"
    outside = (
        "set spec.runtimeClassName: gvisor on every pod template: the tenant runs untrusted code, which runs only in "
        "GKE Sandbox (gVisor); missing on: "
    )
    obj = fx.ray_cluster()
    assert _denials(RAY, obj, namespace=sandboxed) == [f"{outside}{HEAD}, {WORKER}"]
    _head(obj)["runtimeClassName"] = "gvisor"
    assert _denials(RAY, obj, namespace=sandboxed) == [f"{outside}{WORKER}"]
    _worker(obj)["runtimeClassName"] = "gvisor"
    assert _denials(RAY, obj, namespace=sandboxed) == []
    assert _denials(RAY, fx.ray_cluster()) == [], "a tenant that runs no untrusted code needs no gVisor"
    # Only the platform's "false" lifts it: a namespace without the annotation fails closed.
    assert f"{outside}{HEAD}, {WORKER}" in _denials(RAY, fx.ray_cluster(), namespace=fx.namespace())
    unsaid = _tenant("team-a")
    del unsaid["metadata"]["annotations"]["rayfort.dev/sandboxed"]
    assert _denials(RAY, fx.ray_cluster(), namespace=unsaid) == [f"{outside}{HEAD}, {WORKER}"]


def test_air_gapped_admits_the_mirror_only():
    airgapped = ray_admission(environment("airgapped"))
    policy = ray_workload_policy(airgapped)
    mirror = "europe-west3-docker.pkg.dev/rayfort-airgap-000000/rayfort-mirror/"
    assert airgapped.image_patterns == (mirror + "**",)
    mirrored = fx.ray_cluster()
    for spec in (_head(mirrored), _worker(mirrored)):
        for container in spec["initContainers"] + spec["containers"]:
            container["image"] = mirror + "rayproject/ray:2.52.1-py311"
    assert _denials(policy, mirrored) == []
    upstream = fx.ray_cluster()
    (denial,) = _denials(policy, upstream)
    assert denial.startswith(f"use images matching {mirror}** (this environment's allowlist); not on it: {HEAD}")


@pytest.mark.parametrize(
    ("image", "pattern"),
    [
        (image, pattern)
        for pattern in (
            "docker.io/rayproject/ray*",
            "europe-docker.pkg.dev/p/ray/**",
            "europe-docker.pkg.dev/p/ray/*",
            "quay.io/kuberay/operator",
            "localhost:5000/ray",
        )
        for image in (
            "rayproject/ray:2.52.1-py311",
            "docker.io/rayproject/ray:2.52.1",
            "docker.io/rayproject/ray-ml:2.52.1",
            "docker.io/rayproject/ray/evil:1",
            "ray:2.52.1",
            "docker.io/library/ray:2.52.1",
            "europe-docker.pkg.dev/p/ray/ray:1",
            "europe-docker.pkg.dev/p/ray/deep/ray:1",
            "europe-docker.pkg.dev/p/rayx/ray:1",
            "europe-docker.pkg.dev/p/ray",
            "quay.io/kuberay/operator:v1.7.0",
            "quay.io/kuberay/operator@sha256:abc",
            "quay.io/kuberay/operator-evil:v1",
            "quay.io/kuberay/operator/x:v1",
            "localhost:5000/ray:1",
            "localhost:5000/ray/x:1",
            "evil.io/docker.io/rayproject/ray:1",
        )
    ],
)
def test_the_allowlist_matches_as_binary_authorization_does(image, pattern):
    expression = compile_expression(admitted("object.image", (pattern,)))
    assert expression.eval(data={"object": {"image": image}}).plain_value() == image_admitted(image, pattern)


COMPLIANT_SERVICES = {"cluster-ip": fx.service(), "internal-load-balancer": fx.internal_load_balancer()}
SERVICE_VIOLATIONS = {
    "node-port": (
        fx.service(type="NodePort"),
        "Service scoring: type NodePort opens a port on every node and is refused in tenant namespaces; use type "
        "ClusterIP; machines in the VPC reach a tenant through an internal load balancer "
        "(networking.gke.io/load-balancer-type: Internal with loadBalancerSourceRanges), people through the "
        "platform's IAP",
    ),
    "external-ips": (
        fx.service(externalIPs=["203.0.113.7"]),
        "Service scoring: remove spec.externalIPs: it lets a Service claim any address routed to the nodes, and is "
        "refused in tenant namespaces",
    ),
    "public-load-balancer": (
        fx.service(type="LoadBalancer", loadBalancerSourceRanges=["10.200.0.0/24"]),
        "Service scoring: set the annotation networking.gke.io/load-balancer-type: Internal; without it GKE gives a "
        "LoadBalancer Service a public load balancer, which tenant namespaces may not have",
    ),
    "load-balancer-without-ranges": (
        fx.internal_load_balancer(loadBalancerSourceRanges=[]),
        "Service scoring: set spec.loadBalancerSourceRanges to the client ranges that may connect, none of them /0; "
        "without them an internal load balancer admits the whole VPC",
    ),
    "load-balancer-open-to-all": (
        fx.internal_load_balancer(loadBalancerSourceRanges=["10.200.0.0/24", "0.0.0.0/0"]),
        "Service scoring: set spec.loadBalancerSourceRanges to the client ranges that may connect, none of them /0; "
        "without them an internal load balancer admits the whole VPC",
    ),
    "load-balancer-forwards-gcs": (
        fx.internal_load_balancer(ports=[{"name": "client", "port": 10001}, {"name": "gcs", "port": 6379}]),
        "Service scoring: remove port 6379 (GCS): only the cluster's own Ray nodes may reach it; a load balancer may "
        "forward the client (10001), dashboard (8265) and Serve (8000) ports",
    ),
}


@pytest.mark.parametrize("case", sorted(COMPLIANT_SERVICES))
def test_compliant_services_are_admitted(case):
    assert _denials(SERVICES, COMPLIANT_SERVICES[case]) == []


@pytest.mark.parametrize("case", sorted(SERVICE_VIOLATIONS))
def test_each_service_violation_is_refused_with_its_message(case):
    service, message = SERVICE_VIOLATIONS[case]
    assert _denials(SERVICES, service) == [message]


def test_a_load_balancer_cleanup_finalizer_update_passes():
    old = fx.service(type="NodePort")
    new = copy.deepcopy(old)
    new["metadata"]["finalizers"] = ["service.kubernetes.io/load-balancer-cleanup"]
    assert not evaluate(SERVICES, new, namespace=TEAM_A, old=old, operation="UPDATE").applies
    new["metadata"]["annotations"] = {"networking.gke.io/load-balancer-type": "Internal"}
    assert evaluate(SERVICES, new, namespace=TEAM_A, old=old, operation="UPDATE").applies


def test_bindings_deny_in_every_tenant_namespace_and_nowhere_else():
    objects = admission_objects(DEV)
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ValidatingAdmissionPolicy"}
    bindings = [o for o in objects if o["kind"] == "ValidatingAdmissionPolicyBinding"]
    assert sorted(b["spec"]["policyName"] for b in bindings) == sorted(policies)
    for binding in bindings:
        assert binding["spec"]["validationActions"] == ["Deny"]
        assert binding["spec"]["matchResources"]["namespaceSelector"] == {
            "matchExpressions": [{"key": "rayfort.dev/tenant", "operator": "Exists"}]
        }
    for policy in policies.values():
        assert policy["spec"]["failurePolicy"] == "Fail"
    rules = policies["rayfort-ray-workloads"]["spec"]["matchConstraints"]
    assert rules["matchPolicy"] == "Equivalent"  # ray.io/v1alpha1 requests are judged as v1
    assert rules["resourceRules"][0]["resources"] == ["rayclusters", "rayjobs", "rayservices"]
    assert rules["resourceRules"][0]["operations"] == ["CREATE", "UPDATE"]


def test_the_readme_quotes_the_refusals_exactly():
    """Every message the README lists under "What they will be refused" is one these cases produce."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("**What they will be refused**", 1)[1]
    quoted = section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    produced = {message for _, message in RAY_CLUSTER_VIOLATIONS.values()}
    produced |= {message for _, message in SERVICE_VIOLATIONS.values()} | {K8S_JOB_TEXT}
    assert len(quoted) >= 12
    assert [line for line in quoted if line not in produced] == []


def test_map_literals_are_homogeneous_as_the_api_server_requires():
    """Kubernetes compiles with cel.HomogeneousAggregateLiterals, which cel-expr-python does not enforce."""
    for policy in (RAY, SERVICES):
        for expression in policy_expressions(policy):
            for match in re.finditer(r"[{,]\s*'[A-Za-z]+'\s*:\s*", expression):
                assert expression[match.end() :].startswith("dyn("), expression[match.start() : match.end() + 40]
