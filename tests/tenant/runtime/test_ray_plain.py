"""The operatorless runtime: the same pods as the RayCluster, started and wired by rayfort itself."""

from __future__ import annotations

import shlex

from rayfort.k8s.pod_security import pod_templates
from rayfort.tenant.runtime import ray_runtime_objects
from rayfort.tenant.runtime.inputs import secret_manager_secret_ids
from rayfort.tenant.runtime.kuberay import ray_cluster
from rayfort.tenant.runtime.plain import head_deployment, head_service, worker_deployment
from tests.tenant.runtime.test_ray_objects import inputs


def _plain(**overrides):
    return inputs(ray_runtime="plain", **overrides)


def _env(container: dict) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def _command(container: dict) -> list[str]:
    return shlex.split(container["command"][-1])


def test_objects_and_names() -> None:
    names = [(o["kind"], o["metadata"]["name"]) for o in ray_runtime_objects(_plain())]
    assert names == [
        ("ConfigMap", "team-a-redis-ca"),
        ("Issuer", "team-a-ray-ca-bootstrap"),
        ("Certificate", "team-a-ray-root-ca"),
        ("Issuer", "team-a-ray-root"),
        ("Certificate", "team-a-ray-ca"),
        ("Issuer", "team-a-ray-ca"),
        ("Role", "team-a-ray-certificate-requests"),
        ("RoleBinding", "team-a-ray-certificate-requests"),
        ("SecretProviderClass", "team-a-ray-auth"),
        ("Service", "team-a-head-svc"),
        ("Deployment", "team-a-head"),
        ("Deployment", "team-a-worker-cpu"),
        ("Deployment", "team-a-worker-gpu"),
        ("PodMonitoring", "team-a-ray"),
    ]


def test_one_head_replaced_never_doubled() -> None:
    head = head_deployment(_plain())
    assert head["spec"]["replicas"] == 1 and head["spec"]["strategy"] == {"type": "Recreate"}
    labels = {"ray.io/cluster": "team-a", "ray.io/node-type": "head", "ray.io/group": "headgroup"}
    assert head["spec"]["selector"]["matchLabels"] == labels
    # The pods carry the tenant label the network policies select by; the selector, immutable, does not.
    assert head["spec"]["template"]["metadata"]["labels"] == {**labels, "rayfort.dev/tenant": "team-a"}
    worker = worker_deployment(_plain(), _plain().tenant.worker_groups[0])["spec"]["template"]["metadata"]["labels"]
    assert worker["rayfort.dev/tenant"] == "team-a" and worker["ray.io/node-type"] == "worker"


def test_head_service_matches_kuberay() -> None:
    service = head_service(_plain(serve=True))
    assert service["spec"]["selector"]["ray.io/node-type"] == "head"
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {
        "gcs-server": 6379,
        "dashboard": 8265,
        "client": 10001,
        "metrics": 8080,
        "serve": 8000,
    }


def test_head_starts_ray_with_pinned_ports_and_fault_tolerance() -> None:
    ray = head_deployment(_plain())["spec"]["template"]["spec"]["containers"][0]
    args = _command(ray)
    assert args[:4] == ["exec", "ray", "start", "--block"] and "--head" in args
    for flag in (
        "--port=6379",
        "--dashboard-port=8265",
        "--ray-client-server-port=10001",
        "--node-manager-port=6380",
        "--object-manager-port=6381",
        "--runtime-env-agent-port=6382",
        "--dashboard-agent-grpc-port=6383",
        "--dashboard-agent-listen-port=52365",
        "--metrics-export-port=8080",
        "--min-worker-port=10002",
        "--max-worker-port=10100",
        "--num-cpus=1",
        f"--memory={4 * 2**30}",
    ):
        assert flag in args
    # The password is expanded by the shell from the Secret-backed variable, never written here.
    assert "--redis-password=$REDIS_PASSWORD" in args
    env = _env(ray)
    assert env["RAY_REDIS_ADDRESS"].startswith("rediss://")
    assert env["REDIS_PASSWORD"] == {"secretKeyRef": {"name": "team-a-redis", "key": "password"}}
    assert env["RAY_REDIS_CA_CERT"] == "/etc/ray/redis-ca/ca.crt"


def test_workers_join_the_head_service() -> None:
    plain = _plain()
    worker = worker_deployment(plain, plain.tenant.worker_groups[1])
    assert worker["spec"]["replicas"] == 2  # no autoscaler: max_replicas
    ray = worker["spec"]["template"]["spec"]["containers"][0]
    args = _command(ray)
    assert "--address=team-a-head-svc:6379" in args and "--num-gpus=1" in args
    assert _env(ray)["RAY_gcs_rpc_server_reconnect_timeout_s"] == "600"


def test_token_auth_from_secret_manager() -> None:
    plain = _plain()
    assert secret_manager_secret_ids(plain.tenant) == ("team-a-ray-auth-token",)
    for obj in (head_deployment(plain), worker_deployment(plain, plain.tenant.worker_groups[0])):
        spec = obj["spec"]["template"]["spec"]
        env = _env(spec["containers"][0])
        assert env["RAY_AUTH_MODE"] == "token" and env["RAY_AUTH_TOKEN_PATH"] == "/etc/ray/auth/token"
        assert any(
            v.get("csi", {}).get("volumeAttributes") == {"secretProviderClass": "team-a-ray-auth"}
            for v in spec["volumes"]
        )
    off = _plain(token_auth=False)
    assert "RAY_AUTH_MODE" not in _env(head_deployment(off)["spec"]["template"]["spec"]["containers"][0])
    assert "SecretProviderClass" not in {o["kind"] for o in ray_runtime_objects(off)}


def test_same_pods_as_the_ray_cluster() -> None:
    """Security context, probes, identity, ports and TLS match the RayCluster's, container by container."""
    shared = ("securityContext", "resources", "readinessProbe", "livenessProbe", "ports", "image")
    kuberay_pods = dict(pod_templates(ray_cluster(inputs())))
    plain = _plain()
    pairs = [
        (kuberay_pods["spec.headGroupSpec.template.spec"], head_deployment(plain)),
        (
            kuberay_pods["spec.workerGroupSpecs[1].template.spec"],
            worker_deployment(plain, plain.tenant.worker_groups[1]),
        ),
    ]
    for kuberay_spec, deployment in pairs:
        plain_spec = deployment["spec"]["template"]["spec"]
        for key in shared:
            assert plain_spec["containers"][0][key] == kuberay_spec["containers"][0][key], key
        for key in ("nodeSelector", "securityContext", "serviceAccountName", "initContainers"):
            assert plain_spec.get(key) == kuberay_spec.get(key), key
        assert plain_spec["automountServiceAccountToken"] is False
        tls_env = [e for e in plain_spec["containers"][0]["env"] if e["name"].startswith("RAY_TLS")]
        assert tls_env == [e for e in kuberay_spec["containers"][0]["env"] if e["name"].startswith("RAY_TLS")]
