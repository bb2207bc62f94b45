"""The restricted-profile judge agrees with upstream's fixtures and sees KubeRay's injections."""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from rayfort.k8s.pod_security import (
    PROFILE_VERSION,
    Violation,
    check_object,
    check_operator_values,
    check_pod_spec,
    pod_templates,
)
from rayfort_tools.judges.reference import ReferenceMissing, require_reference

# Baseline checks that the restricted profile replaces with a stricter one of its own.
RESTRICTED_VARIANT = {
    "capabilities_baseline": "capabilities_restricted",
    "hostpathvolumes": "restrictedvolumes",
    "procmount": "procmount_restricted",
    "seccompprofile_baseline": "seccompprofile_restricted",
}

RESTRICTED_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def fixtures(level: str, verdict: str) -> list[Any]:
    try:
        folder = require_reference("pss-testdata", level, PROFILE_VERSION, verdict)
    except ReferenceMissing as missing:
        return [pytest.param(None, marks=pytest.mark.skip(reason=str(missing)), id="no-reference")]
    return [pytest.param(path, id=path.stem) for path in sorted(folder.glob("*.yaml"))]


def violations_in(path: Path) -> set[Violation]:
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert documents, f"{path} holds no Kubernetes object"
    return {violation for doc in documents for violation in check_object(doc)}


def container(name: str, security_context: dict[str, Any] | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": name, "image": "rayproject/ray:2.52.1"}
    if security_context is not None:
        fields["securityContext"] = security_context
    return fields


def restricted_spec(*names: str) -> dict[str, Any]:
    """A pod spec that passes restricted: container-level settings only, like KubeRay samples."""
    return {"containers": [container(name, dict(RESTRICTED_CONTEXT)) for name in names]}


def ray_cluster_spec(**extra: Any) -> dict[str, Any]:
    return {
        "headGroupSpec": {"rayStartParams": {}, "template": {"spec": restricted_spec("ray-head")}},
        "workerGroupSpecs": [{"groupName": "cpu", "template": {"spec": restricted_spec("ray-worker")}}],
        **extra,
    }


def ray_cluster(**extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "rc"},
        "spec": ray_cluster_spec(**extra),
    }


def checks(violations: list[Violation]) -> set[str]:
    return {violation.check for violation in violations}


# --- upstream fixtures ----------------------------------------------------------------


@pytest.mark.parametrize("path", fixtures("restricted", "fail"))
def test_restricted_fail_fixture_is_rejected_by_the_check_it_exercises(path: Path) -> None:
    expected = re.sub(r"\d+$", "", path.stem)
    expected = RESTRICTED_VARIANT.get(expected, expected)
    found = {violation.check.lower() for violation in violations_in(path)}
    assert expected in found, f"{path.name}: expected {expected}, got {sorted(found)}"


@pytest.mark.parametrize("path", fixtures("restricted", "pass"))
def test_restricted_pass_fixture_is_accepted(path: Path) -> None:
    assert violations_in(path) == set()


@pytest.mark.parametrize("path", fixtures("baseline", "fail"))
def test_baseline_fail_fixture_is_rejected_for_more_than_missing_hardening(path: Path) -> None:
    # Baseline fixtures lack the restricted settings altogether; restricted ⊇ baseline means
    # the baseline breach must show up on top of what an unhardened pod already gets.
    unhardened = violations_in(path.parent.parent / "pass" / "base.yaml")
    assert violations_in(path) - unhardened


def test_fixture_sets_are_not_empty() -> None:
    try:
        root = require_reference("pss-testdata")
    except ReferenceMissing as missing:
        pytest.skip(str(missing))
    for level, verdict in [("restricted", "fail"), ("restricted", "pass"), ("baseline", "fail")]:
        assert list((root / level / PROFILE_VERSION / verdict).glob("*.yaml")), (level, verdict)


# --- pod-level / container-level semantics -------------------------------------------


def test_pod_level_settings_cover_containers_that_leave_them_unset() -> None:
    spec = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container("app", {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}})],
    }
    assert check_pod_spec(spec) == []


def test_pod_level_false_is_not_rescued_by_a_container() -> None:
    spec = restricted_spec("app")
    spec["securityContext"] = {"runAsNonRoot": False}
    assert [(v.check, v.path) for v in check_pod_spec(spec, where="spec")] == [
        ("runAsNonRoot", "spec.securityContext.runAsNonRoot")
    ]


def test_every_container_kind_is_checked() -> None:
    spec = restricted_spec("app")
    spec["initContainers"] = [container("init")]
    spec["ephemeralContainers"] = [container("debug")]
    paths = {v.path for v in check_pod_spec(spec, where="spec") if v.check == "runAsNonRoot"}
    assert paths == {
        "spec.initContainers[0].securityContext.runAsNonRoot",
        "spec.ephemeralContainers[0].securityContext.runAsNonRoot",
    }


def test_user_namespace_relaxes_root_checks_but_not_proc_mount() -> None:
    spec = {
        "hostUsers": False,
        "containers": [
            container(
                "app",
                {
                    **RESTRICTED_CONTEXT,
                    "runAsNonRoot": False,
                    "runAsUser": 0,
                    "procMount": "Unmasked",
                },
            )
        ],
    }
    assert checks(check_pod_spec(spec)) == {"procMount_restricted"}


def test_windows_pods_are_exempt_only_from_linux_checks() -> None:
    spec = {
        "os": {"name": "windows"},
        "securityContext": {"windowsOptions": {"hostProcess": True}},
        "containers": [container("app")],
    }
    assert checks(check_pod_spec(spec)) == {"runAsNonRoot", "windowsHostProcess"}


def test_sourceless_and_image_volumes_are_allowed_but_host_path_is_not() -> None:
    spec = restricted_spec("app")
    spec["volumes"] = [
        {"name": "defaulted-to-empty-dir"},
        {"name": "model", "image": {"reference": "registry.example/model:1"}},
        {"name": "node", "hostPath": {"path": "/var/run"}},
    ]
    assert [(v.check, v.path) for v in check_pod_spec(spec, where="spec")] == [
        ("restrictedVolumes", "spec.volumes[2].hostPath")
    ]


def test_app_armor_annotation_is_blamed_on_the_template_metadata() -> None:
    deployment = {
        "kind": "Deployment",
        "spec": {
            "template": {
                "metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}},
                "spec": restricted_spec("app"),
            }
        },
    }
    assert [v.path for v in check_object(deployment)] == [
        'spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]'
    ]


def test_violation_is_an_immutable_value() -> None:
    violation = Violation("runAsUser", "spec.securityContext.runAsUser", "pod must not run as root")
    with pytest.raises(dataclasses.FrozenInstanceError):
        violation.check = "other"  # type: ignore[misc]
    assert str(violation) == "spec.securityContext.runAsUser: pod must not run as root [runAsUser]"


# --- where pod templates live ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "template_path"),
    [
        ("Deployment", ["spec", "template"]),
        ("ReplicaSet", ["spec", "template"]),
        ("StatefulSet", ["spec", "template"]),
        ("DaemonSet", ["spec", "template"]),
        ("Job", ["spec", "template"]),
        ("ReplicationController", ["spec", "template"]),
        ("CronJob", ["spec", "jobTemplate", "spec", "template"]),
        ("PodTemplate", ["template"]),
    ],
)
def test_workload_templates_are_found(kind: str, template_path: list[str]) -> None:
    obj: dict[str, Any] = {"kind": kind}
    node = obj
    for field in template_path[:-1]:
        node = node.setdefault(field, {})
    node[template_path[-1]] = {"spec": {"containers": [container("app")]}}
    where = ".".join(template_path) + ".spec"
    assert [path for path, _ in pod_templates(obj)] == [where]
    assert f"{where}.containers[0].securityContext.runAsNonRoot" in {v.path for v in check_object(obj)}


def test_bare_pod_and_unrelated_objects() -> None:
    pod = {"kind": "Pod", "spec": restricted_spec("app")}
    assert [path for path, _ in pod_templates(pod)] == ["spec"]
    assert check_object(pod) == []
    assert check_object({"kind": "ConfigMap", "data": {"a": "b"}}) == []


def test_compliant_ray_cluster_passes() -> None:
    assert check_object(ray_cluster()) == []


def test_worker_group_violations_name_the_group() -> None:
    cluster = ray_cluster()
    cluster["spec"]["workerGroupSpecs"][0]["template"]["spec"]["hostNetwork"] = True
    assert [v.path for v in check_object(cluster)] == ["spec.workerGroupSpecs[0].template.spec.hostNetwork"]


# --- KubeRay's injected autoscaler ----------------------------------------------------


def test_autoscaler_without_security_context_fails() -> None:
    cluster = ray_cluster(enableInTreeAutoscaling=True, autoscalerOptions={"imagePullPolicy": "IfNotPresent"})
    violations = check_object(cluster)
    assert checks(violations) == {
        "allowPrivilegeEscalation",
        "capabilities_restricted",
        "runAsNonRoot",
        "seccompProfile_restricted",
    }
    assert all(v.path.startswith("spec.autoscalerOptions.securityContext.") for v in violations)


def test_autoscaler_with_restricted_security_context_passes() -> None:
    cluster = ray_cluster(
        enableInTreeAutoscaling=True,
        autoscalerOptions={"securityContext": copy.deepcopy(RESTRICTED_CONTEXT)},
    )
    assert check_object(cluster) == []


def test_autoscaler_inherits_pod_level_but_not_ray_container_settings() -> None:
    cluster = ray_cluster(enableInTreeAutoscaling=True)
    cluster["spec"]["headGroupSpec"]["template"]["spec"]["securityContext"] = {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert checks(check_object(cluster)) == {"allowPrivilegeEscalation", "capabilities_restricted"}


def test_autoscaler_is_absent_unless_enabled() -> None:
    cluster = ray_cluster(enableInTreeAutoscaling=False, autoscalerOptions={"image": "x"})
    assert check_object(cluster) == []


def test_pod_templates_show_the_head_pod_kuberay_submits() -> None:
    cluster = ray_cluster(enableInTreeAutoscaling=True, autoscalerOptions={"image": "autoscaler:1"})
    original = copy.deepcopy(cluster)
    head_path, head = next(iter(pod_templates(cluster)))
    assert head_path == "spec.headGroupSpec.template.spec"
    assert [(c["name"], c.get("image")) for c in head["containers"]] == [
        ("ray-head", "rayproject/ray:2.52.1"),
        ("autoscaler", "autoscaler:1"),
    ]
    assert cluster == original


# --- RayJob, RayService, RayCronJob ---------------------------------------------------


def test_ray_job_checks_cluster_and_submitter() -> None:
    job = {
        "kind": "RayJob",
        "spec": {
            "entrypoint": "python main.py",
            "rayClusterSpec": ray_cluster_spec(),
            "submitterPodTemplate": {"spec": {"containers": [container("submit")]}},
        },
    }
    assert [path for path, _ in pod_templates(job)] == [
        "spec.rayClusterSpec.headGroupSpec.template.spec",
        "spec.rayClusterSpec.workerGroupSpecs[0].template.spec",
        "spec.submitterPodTemplate.spec",
    ]
    assert {v.path.rpartition(".securityContext")[0] for v in check_object(job)} == {
        "spec.submitterPodTemplate.spec.containers[0]"
    }


def test_ray_job_default_submitter_is_unhardened() -> None:
    job = {"kind": "RayJob", "spec": {"rayClusterSpec": ray_cluster_spec()}}
    assert checks(check_object(job)) >= {"allowPrivilegeEscalation", "runAsNonRoot"}
    http_mode = {"kind": "RayJob", "spec": {"submissionMode": "HTTPMode", **job["spec"]}}
    assert check_object(http_mode) == []


def test_ray_service_and_cron_job_reach_the_cluster_spec() -> None:
    service = {"kind": "RayService", "spec": {"rayClusterConfig": ray_cluster_spec()}}
    cron = {
        "kind": "RayCronJob",
        "spec": {
            "jobTemplate": {
                "rayClusterSpec": ray_cluster_spec(),
                "submitterPodTemplate": {"spec": restricted_spec("submit")},
            }
        },
    }
    assert [path for path, _ in pod_templates(service)][0] == ("spec.rayClusterConfig.headGroupSpec.template.spec")
    assert [path for path, _ in pod_templates(cron)][-1] == ("spec.jobTemplate.submitterPodTemplate.spec")
    service["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]["hostPID"] = True
    assert [v.path for v in check_object(service)] == ["spec.rayClusterConfig.headGroupSpec.template.spec.hostPID"]
    assert check_object(cron) == []


# --- kuberay-operator chart values ----------------------------------------------------


def operator_values() -> dict[str, Any]:
    return {
        "image": {"repository": "quay.io/kuberay/operator", "tag": "v1.7.0"},
        "podSecurityContext": {},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def test_chart_default_operator_values_pass() -> None:
    try:
        path = require_reference("kuberay-v1.7.0", "charts-values", "kuberay-operator", "values.yaml")
    except ReferenceMissing as missing:
        pytest.skip(str(missing))
    assert check_operator_values(yaml.safe_load(path.read_text())) == []


def test_operator_values_without_run_as_non_root_fail() -> None:
    values = operator_values()
    del values["securityContext"]["runAsNonRoot"]
    assert [(v.check, v.path) for v in check_operator_values(values)] == [
        ("runAsNonRoot", "securityContext.runAsNonRoot")
    ]
    values["podSecurityContext"] = {"runAsNonRoot": True}
    assert check_operator_values(values) == []


def test_operator_pod_security_context_is_blamed_on_its_values_key() -> None:
    values = operator_values()
    values["podSecurityContext"] = {
        "runAsUser": 0,
        "sysctls": [{"name": "kernel.msgmax", "value": "1"}],
    }
    values["logging"] = {"baseDir": "/var/log/kuberay", "fileName": "operator.log"}
    values["configuration"] = {"enabled": True}
    assert sorted(v.path for v in check_operator_values(values)) == [
        "podSecurityContext.runAsUser",
        "podSecurityContext.sysctls[0].name",
    ]
