"""The judge runner fails on broken objects, and its table says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rayfort_tools.judges.runner import (
    JudgeResult,
    Synthesized,
    judge_helm_values,
    judge_pod_security,
    judge_rules,
    judge_schemas,
    render_table,
)

ROOT_POD = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "d", "namespace": "n"},
    "spec": {
        "selector": {"matchLabels": {"a": "b"}},
        "template": {
            "metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "i", "securityContext": {"runAsUser": 0}}]},
        },
    },
}


def _stack(manifest: dict) -> dict:
    return {"resource": {"kubernetes_manifest": {"m": {"manifest": manifest}}}}


def _env(tmp_path: Path, manifest: dict) -> Synthesized:
    return Synthesized("test", tmp_path, {"tenant-x": _stack(manifest)})


def test_schema_judge_fails_on_an_unknown_field(tmp_path: Path) -> None:
    broken = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}, "spec": {"finalizerz": []}}
    result = judge_schemas([_env(tmp_path, broken)])
    assert (result.checked, result.failed) == (1, 1)


def test_schema_judge_fails_on_a_native_kubernetes_resource(tmp_path: Path) -> None:
    env = Synthesized("test", tmp_path, {"s": {"resource": {"kubernetes_namespace_v1": {"n": {"metadata": {}}}}}})
    assert judge_schemas([env]).failed == 1


def test_pod_security_judge_fails_on_a_root_container(tmp_path: Path) -> None:
    result = judge_pod_security([_env(tmp_path, ROOT_POD)])
    assert result.failed == 1 and "runAsNonRoot" in result.failures[0]


def test_pod_security_judge_checks_operator_values(tmp_path: Path) -> None:
    release = {"chart": "kuberay-operator", "values": ["securityContext:\n  privileged: true\n"]}
    env = Synthesized("test", tmp_path, {"kuberay": {"resource": {"helm_release": {"op": release}}}})
    assert judge_pod_security([env]).failed == 1


def test_rules_judge_fails_on_a_violation_or_a_missing_record(tmp_path: Path) -> None:
    missing = judge_rules([Synthesized("a", tmp_path / "none", {})])
    assert missing.failed == 1
    (tmp_path / "rayfort-policy.json").write_text(
        json.dumps(
            {
                "evaluations": [
                    {"rule": "RF003", "path": "gke/pool", "status": "violated", "findings": ["x"]},
                    {"rule": "RF001", "path": "gke/pool", "status": "on", "findings": []},
                ],
                "unused_waivers": [],
            }
        )
    )
    result = judge_rules([Synthesized("b", tmp_path, {})])
    assert (result.checked, result.passed, result.failed) == (2, 1, 1)


def test_table_lists_every_judge_with_its_counts() -> None:
    table = render_table([JudgeResult("checkov", 3, 2, 1), JudgeResult("nca", unavailable="not installed")])
    lines = table.splitlines()
    assert lines[0].split() == ["judge", "checked", "passed", "failed"]
    assert lines[2].split() == ["checkov", "3", "2", "1"]
    assert "unavailable: not installed" in lines[3]


def test_helm_values_judge_fails_on_a_key_the_chart_does_not_have(tmp_path: Path) -> None:
    release = {"chart": "kuberay-operator", "values": ["replicas: 2\nreplicaz: 3\n"]}
    env = Synthesized("test", tmp_path, {"kuberay": {"resource": {"helm_release": {"op": release}}}})
    result = judge_helm_values([env])
    if result.reference_missing:
        pytest.skip(result.unavailable)
    assert (result.checked, result.failed) == (1, 1) and "replicaz" in result.failures[0]


def _pod_monitoring(**spec_extra) -> dict:
    return {
        "apiVersion": "monitoring.googleapis.com/v1",
        "kind": "PodMonitoring",
        "metadata": {"name": "ray", "namespace": "team-a"},
        "spec": {
            "selector": {"matchLabels": {"ray.io/cluster": "team-a"}},
            "endpoints": [{"port": "metrics", "interval": "30s"}],
            **spec_extra,
        },
    }


def test_schema_judge_holds_kinds_without_schema_to_their_fields(tmp_path: Path) -> None:
    assert judge_schemas([_env(tmp_path, _pod_monitoring())]).failed == 0
    assert judge_schemas([_env(tmp_path, _pod_monitoring(scrapeEverything=True))]).failed == 1
    unknown_kind = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert judge_schemas([_env(tmp_path, unknown_kind)]).failed == 1


def test_isolation_judge_passes_dev_and_fails_when_a_tenant_opens_up(synthesized) -> None:
    import copy

    from rayfort_tools.judges.runner import judge_isolation
    from tests.conftest import environment

    env = environment("dev")
    result = judge_isolation([Synthesized("dev", Path("."), synthesized["dev"], env)])
    if result.unavailable:
        pytest.skip(result.unavailable)
    # One verdict per assertion: the isolation judge's row counts them all.
    assert (result.checked, result.failed) == (13, 0), result.failures
    broken = copy.deepcopy(synthesized["dev"])
    broken["tenant-team-b"]["resource"]["kubernetes_manifest"]["open_to_all"] = {
        "manifest": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "open-to-all", "namespace": "team-b"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]},
        }
    }
    opened = judge_isolation([Synthesized("dev", Path("."), broken, env)])
    failed = " ".join(opened.failures)
    assert opened.failed and "nothing-else" in failed


def test_schema_judge_holds_gateway_kinds_to_their_fields(tmp_path: Path) -> None:
    from tests.exposure.test_gateway import SAMPLES

    route = SAMPLES["HTTPRoute"]
    assert judge_schemas([_env(tmp_path, route)]).failed == 0
    misspelt = {**route, "spec": {**route["spec"], "hostname": "typo"}}
    assert judge_schemas([_env(tmp_path, misspelt)]).failed == 1


def test_checkov_accepts_only_what_a_waiver_of_the_control_it_judges_accepts(tmp_path: Path, monkeypatch) -> None:
    """A waived RF003 pool passes RF003's own checks; any other check, or another pool, still fails."""
    from rayfort_tools.judges import checkov, runner

    stack = tmp_path / "stacks" / "gke" / "cdk.tf.json"
    stack.parent.mkdir(parents=True)
    pools = {
        name: {"//": {"metadata": {"path": f"gke/pool-{name}/pool", "uniqueId": name}}, "name": name}
        for name in ("gpu", "cpu")
    }
    stack.write_text(json.dumps({"resource": {"google_container_node_pool": pools}}))
    (tmp_path / "rayfort-policy.json").write_text(
        json.dumps({"evaluations": [{"rule": "RF003", "path": "gke/pool-gpu/pool", "status": "waived"}]})
    )

    def finding(check: str, pool: str) -> checkov.CheckovFinding:
        return checkov.CheckovFinding(check, "x", checkov.FAILED, f"google_container_node_pool.{pool}", str(stack))

    found = (finding("CKV2_RAYFORT_1", "gpu"), finding("CKV2_RAYFORT_1", "cpu"), finding("CKV_RAYFORT_6", "gpu"))
    monkeypatch.setattr(checkov, "run_checkov", lambda paths: checkov.CheckovResult(found))
    result = runner.judge_checkov([Synthesized("waived", tmp_path, {})])
    assert (result.checked, result.passed, result.failed) == (3, 1, 2)
    assert [f.split(" ")[:2] for f in result.failures] == [
        ["CKV2_RAYFORT_1", "google_container_node_pool.cpu"],
        ["CKV_RAYFORT_6", "google_container_node_pool.gpu"],
    ]


def test_schema_judge_checks_the_certificate_request_a_pod_sends(tmp_path: Path) -> None:
    """The Ray pods' init containers send a CertificateRequest built from their environment: it is judged too."""
    from rayfort.tenant.runtime.tls import REQUEST_ENV, leaf_request
    from tests.tenant.runtime.test_ray_objects import inputs

    def pod_sending(request: dict) -> dict:
        pod = json.loads(json.dumps(ROOT_POD))
        container = {"name": "ray-tls-cert", "image": "i", "env": [{"name": REQUEST_ENV, "value": json.dumps(request)}]}
        pod["spec"]["template"]["spec"]["initContainers"] = [container]
        del pod["spec"]["template"]["spec"]["containers"][0]["securityContext"]
        return pod

    request = leaf_request(inputs())
    assert judge_schemas([_env(tmp_path, pod_sending(request))]).failed == 0
    request["spec"]["usages"] = ["server"]
    result = judge_schemas([_env(tmp_path, pod_sending(request))])
    assert (result.checked, result.failed) == (2, 1)
    assert f"ray-tls-cert {REQUEST_ENV}: $.spec.usages[0]" in result.failures[0]
