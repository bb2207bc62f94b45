"""Each restricted check against every way its field can be weaker: missing, null, false, another value.

Upstream's fixtures show each check fires on its canonical example; these walk
each field of a restricted pod through its weaker values, at the pod and at the
container, and name the path and the words of each violation.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rayfort.k8s.pod_security import check_object, check_operator_values, check_pod_spec, pod_templates

SAFE = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
MISSING = object()


def _pod(container: dict | None = None, **spec: Any) -> dict[str, Any]:
    fields = {"name": "app", "image": "r/ray:2.52.1", "securityContext": copy.deepcopy(SAFE)}
    return {"containers": [fields | (container or {})], **spec}


def _with_context(**changes: Any) -> dict[str, Any]:
    context = copy.deepcopy(SAFE)
    for field, value in changes.items():
        if value is MISSING:
            context.pop(field, None)
        else:
            context[field] = value
    return _pod({"securityContext": context})


def _found(spec: dict) -> list[tuple[str, str, str]]:
    return [(v.check, v.path, v.message) for v in check_pod_spec(spec, where="spec")]


def test_a_restricted_pod_passes() -> None:
    assert check_pod_spec(_pod()) == []


@pytest.mark.parametrize("value", [MISSING, None, True, "false", 0])
def test_privilege_escalation_must_be_false(value) -> None:
    assert _found(_with_context(allowPrivilegeEscalation=value)) == [
        (
            "allowPrivilegeEscalation",
            "spec.containers[0].securityContext.allowPrivilegeEscalation",
            'container "app" must set securityContext.allowPrivilegeEscalation=false',
        )
    ]


@pytest.mark.parametrize(
    "capabilities", [MISSING, None, {}, {"drop": []}, {"drop": ["NET_RAW"]}, {"drop": "ALL"}, {"add": ["ALL"]}]
)
def test_every_capability_must_be_dropped(capabilities) -> None:
    found = _found(_with_context(capabilities=capabilities))
    assert (
        "capabilities_restricted",
        "spec.containers[0].securityContext.capabilities.drop",
        'container "app" must set securityContext.capabilities.drop=["ALL"]',
    ) in found


def test_only_net_bind_service_may_be_added() -> None:
    capabilities = {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "SYS_ADMIN", "NET_RAW"]}
    assert _found(_with_context(capabilities=capabilities)) == [
        (
            "capabilities_restricted",
            f"spec.containers[0].securityContext.capabilities.add[{i}]",
            f"container \"app\" may only add NET_BIND_SERVICE, not '{name}'",
        )
        for i, name in ((1, "SYS_ADMIN"), (2, "NET_RAW"))
    ]


@pytest.mark.parametrize("value", [MISSING, None])
def test_run_as_non_root_must_be_set_somewhere(value) -> None:
    assert _found(_with_context(runAsNonRoot=value)) == [
        (
            "runAsNonRoot",
            "spec.containers[0].securityContext.runAsNonRoot",
            'pod or container "app" must set runAsNonRoot=true',
        )
    ]


@pytest.mark.parametrize("value", [False, "true", 1])
def test_run_as_non_root_must_be_true(value) -> None:
    assert _found(_with_context(runAsNonRoot=value)) == [
        (
            "runAsNonRoot",
            "spec.containers[0].securityContext.runAsNonRoot",
            'container "app" must not set runAsNonRoot=false',
        )
    ]
    pod = _pod(securityContext={"runAsNonRoot": value})
    assert ("runAsNonRoot", "spec.securityContext.runAsNonRoot", "pod must not set runAsNonRoot=false") in _found(pod)


def test_run_as_user_zero_is_root_but_false_and_other_users_are_not() -> None:
    assert _found(_with_context(runAsUser=0)) == [
        ("runAsUser", "spec.containers[0].securityContext.runAsUser", 'container "app" must not set runAsUser=0')
    ]
    assert _found(_pod(securityContext={"runAsUser": 0})) == [
        ("runAsUser", "spec.securityContext.runAsUser", "pod must not set runAsUser=0")
    ]
    for fine in (1000, False, None, "0"):
        assert _found(_with_context(runAsUser=fine)) == [], fine


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (MISSING, 'pod or container "app" must set seccompProfile.type'),
        ({"type": "Unconfined"}, "container \"app\" sets seccompProfile.type 'Unconfined'"),
        ({}, 'container "app" sets seccompProfile.type None'),
        ("RuntimeDefault", 'container "app" sets seccompProfile.type None'),
    ],
)
def test_seccomp_must_be_confined(profile, message: str) -> None:
    assert _found(_with_context(seccompProfile=profile)) == [
        (
            "seccompProfile_restricted",
            "spec.containers[0].securityContext.seccompProfile.type",
            f"{message}; only RuntimeDefault or Localhost are allowed",
        )
    ]


def test_seccomp_at_the_pod_covers_containers_and_is_judged_itself() -> None:
    pod = _pod(securityContext={"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}})
    pod["containers"][0]["securityContext"].pop("seccompProfile")
    assert _found(pod) == []
    pod["securityContext"]["seccompProfile"] = {"type": "Unconfined"}
    assert _found(pod) == [
        (
            "seccompProfile_restricted",
            "spec.securityContext.seccompProfile.type",
            "pod sets seccompProfile.type 'Unconfined'; only RuntimeDefault or Localhost are allowed",
        )
    ]


@pytest.mark.parametrize("value", [True, "true"])
def test_privileged(value) -> None:
    found = _found(_with_context(privileged=value))
    assert found == (
        [
            (
                "privileged",
                "spec.containers[0].securityContext.privileged",
                'container "app" must not set securityContext.privileged=true',
            )
        ]
        if value is True
        else []
    )


@pytest.mark.parametrize("field", ["hostNetwork", "hostPID", "hostIPC"])
def test_host_namespaces(field: str) -> None:
    assert _found(_pod(**{field: True})) == [
        ("hostNamespaces", f"spec.{field}", f"{field}=true shares the node's namespace")
    ]
    assert _found(_pod(**{field: False})) == []


def test_host_ports_and_probes_aimed_at_the_node() -> None:
    container = {
        "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 8081}],
        "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}},
        "lifecycle": {"preStop": {"tcpSocket": {"host": "node", "port": 1}}, "postStart": {"exec": {}}},
        "startupProbe": {"tcpSocket": {"port": 80}},
    }
    assert _found(_pod(container)) == [
        ("hostPorts", "spec.containers[0].ports[1].hostPort", 'container "app" must not bind host port 8081'),
        (
            "hostProbesAndHostLifecycle",
            "spec.containers[0].livenessProbe.httpGet.host",
            "container \"app\" must not aim a probe or hook at host '10.0.0.1'",
        ),
        (
            "hostProbesAndHostLifecycle",
            "spec.containers[0].lifecycle.preStop.tcpSocket.host",
            "container \"app\" must not aim a probe or hook at host 'node'",
        ),
    ]


@pytest.mark.parametrize(
    ("options", "checks"),
    [
        ({"type": "spc_t"}, ["seLinuxOptions.type"]),
        ({"type": "container_t"}, []),
        ({"user": "root"}, ["seLinuxOptions.user"]),
        ({"role": "sysadm_r", "level": "s0"}, ["seLinuxOptions.role"]),
    ],
)
def test_selinux(options: dict, checks: list[str]) -> None:
    found = _found(_pod(securityContext={"seLinuxOptions": options}))
    assert [path.removeprefix("spec.securityContext.") for _, path, _ in found] == checks


def test_proc_mount_sysctls_apparmor_and_windows_host_process() -> None:
    assert [c for c, _, _ in _found(_with_context(procMount="Unmasked"))] == ["procMount_restricted"]
    assert _found(_with_context(procMount="Default")) == []
    sysctls = [{"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "kernel.msgmax", "value": "1"}]
    assert _found(_pod(securityContext={"sysctls": sysctls})) == [
        ("sysctls", "spec.securityContext.sysctls[1].name", "sysctl 'kernel.msgmax' is not in the safe set")
    ]
    assert [c for c, _, _ in _found(_with_context(appArmorProfile={"type": "Unconfined"}))] == ["appArmorProfile"]
    assert _found(_with_context(appArmorProfile={"type": "RuntimeDefault"})) == []
    assert [c for c, _, _ in _found(_with_context(windowsOptions={"hostProcess": True}))] == ["windowsHostProcess"]


def test_pod_templates_of_ray_objects_include_the_autoscaler() -> None:
    cluster = {
        "kind": "RayCluster",
        "spec": {
            "enableInTreeAutoscaling": True,
            "autoscalerOptions": {"securityContext": SAFE, "image": "r/ray:2.52.1"},
            "headGroupSpec": {"template": {"spec": _pod()}},
            "workerGroupSpecs": [{"template": {"spec": _pod()}}, {"groupName": "no-template"}],
        },
    }
    templates = dict(pod_templates(cluster))
    assert list(templates) == ["spec.headGroupSpec.template.spec", "spec.workerGroupSpecs[0].template.spec"]
    head = templates["spec.headGroupSpec.template.spec"]
    assert [c["name"] for c in head["containers"]] == ["app", "autoscaler"]
    assert check_object(cluster) == []
    cluster["spec"]["autoscalerOptions"] = {"image": "r/ray:2.52.1"}
    assert {v.path for v in check_object(cluster)} >= {"spec.autoscalerOptions.securityContext.runAsNonRoot"}


def test_operator_values_name_the_keys_to_change() -> None:
    values = {"securityContext": SAFE, "podSecurityContext": {"runAsNonRoot": False}}
    assert [(v.check, v.path) for v in check_operator_values(values)] == [
        ("runAsNonRoot", "podSecurityContext.runAsNonRoot")
    ]
    weak = {"securityContext": {**SAFE, "allowPrivilegeEscalation": True}}
    assert [(v.check, v.path) for v in check_operator_values(weak)] == [
        ("allowPrivilegeEscalation", "securityContext.allowPrivilegeEscalation")
    ]


@pytest.mark.parametrize("kind", ["Role", "Secret", "Service", "ResourceQuota", "NetworkPolicy", "Namespace"])
def test_objects_that_make_no_pods_have_no_violations(kind: str) -> None:
    assert check_object({"kind": kind, "spec": {}}) == [] and list(pod_templates({"kind": kind})) == []


@pytest.mark.parametrize("mode", ["HTTPMode", "SidecarMode", "InteractiveMode"])
def test_a_ray_job_submitted_without_a_pod_has_no_submitter_to_judge(mode: str) -> None:
    job = {"kind": "RayJob", "spec": {"submissionMode": mode, "rayClusterSpec": {"headGroupSpec": {
        "template": {"spec": _pod()}}}}}  # fmt: skip
    assert [path for path, _ in pod_templates(job)] == ["spec.rayClusterSpec.headGroupSpec.template.spec"]
    default = {"kind": "RayJob", "spec": {}}
    assert [path for path, _ in pod_templates(default)] == ["spec.submitterPodTemplate.spec"]


@pytest.mark.parametrize("where", ["x.template", "x.pod", "job.spec"])
def test_an_app_armor_annotation_is_blamed_where_the_template_metadata_is(where: str) -> None:
    metadata = {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}}
    (violation,) = check_pod_spec(_pod(), where=where, metadata=metadata)
    template = where.removesuffix(".spec")
    assert violation.path == f'{template}.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]'
