"""The RayCluster carries every control of the issue: auth, TLS, fault tolerance, autoscaling, pinned ports."""

from __future__ import annotations

import pytest

from rayfort.config.tenant import RAY_FIXED_PORTS, RAY_INTERNAL_PORTS
from rayfort.k8s.pod_security import pod_templates
from rayfort.tenant.namespace import TENANT_LABEL
from rayfort.tenant.runtime import ray_runtime_objects
from rayfort.tenant.runtime.kuberay import kuberay_auth_secret_name, ray_cluster
from rayfort.tenant.runtime.pods import RAY_PINNED_PORTS, SERVICE_ACCOUNT_DIR, autoscaler_api_access
from tests.tenant.runtime.test_ray_objects import IMAGE, inputs

_, API_MOUNT = autoscaler_api_access()


@pytest.fixture
def cluster() -> dict:
    return ray_cluster(inputs())


def _containers(cluster: dict):
    for _, spec in pod_templates(cluster):
        yield from spec.get("initContainers", [])
        yield from spec["containers"]


def test_names_and_version_follow_the_conventions(cluster: dict) -> None:
    assert cluster["apiVersion"] == "ray.io/v1"
    assert cluster["metadata"]["name"] == "team-a" and cluster["metadata"]["namespace"] == "team-a"
    assert cluster["spec"]["rayVersion"] == "2.52.1"
    head = cluster["spec"]["headGroupSpec"]["template"]
    assert head["metadata"]["labels"] == {
        "ray.io/cluster": "team-a",
        "ray.io/node-type": "head",
        "ray.io/group": "headgroup",
        "rayfort.dev/tenant": "team-a",
    }
    assert head["spec"]["containers"][0]["image"] == IMAGE


def test_every_pod_carries_the_tenant_label_the_network_policies_select_by(cluster: dict) -> None:
    templates = [cluster["spec"]["headGroupSpec"]["template"]]
    templates += [group["template"] for group in cluster["spec"]["workerGroupSpecs"]]
    assert [t["metadata"]["labels"][TENANT_LABEL] for t in templates] == ["team-a"] * 3
    worker = cluster["spec"]["workerGroupSpecs"][0]["template"]["metadata"]["labels"]
    assert worker["ray.io/node-type"] == "worker" and worker["ray.io/group"] == "cpu"


def test_token_auth_is_on_and_the_operator_makes_the_token(cluster: dict) -> None:
    assert cluster["spec"]["authOptions"] == {"mode": "token"}
    assert kuberay_auth_secret_name("team-a") == "team-a"
    assert kuberay_auth_secret_name("a" * 9 + "-" + "b" * 49) == "r" + "b" * 49
    assert ray_cluster(inputs(token_auth=False))["spec"]["authOptions"] == {"mode": "disabled"}


def test_gcs_fault_tolerance_uses_tls_redis_and_a_secret(cluster: dict) -> None:
    options = cluster["spec"]["gcsFaultToleranceOptions"]
    assert options["redisAddress"].startswith("rediss://")
    assert options["redisPassword"]["valueFrom"]["secretKeyRef"] == {"name": "team-a-redis", "key": "password"}
    head = cluster["spec"]["headGroupSpec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in head["containers"][0]["env"]}
    assert env["RAY_REDIS_CA_CERT"] == "/etc/ray/redis-ca/ca.crt"
    assert "REDIS_PASSWORD" not in env and "RAY_REDIS_ADDRESS" not in env  # KubeRay refuses both with FT options
    assert {"name": "redis-ca", "configMap": {"name": "team-a-redis-ca", "defaultMode": 0o444}} in head["volumes"]


def test_in_tree_autoscaling_with_a_restricted_sidecar(cluster: dict) -> None:
    spec = cluster["spec"]
    assert spec["enableInTreeAutoscaling"] is True
    options = spec["autoscalerOptions"]
    assert options["resources"]["requests"] == options["resources"]["limits"]
    assert options["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert options["securityContext"]["allowPrivilegeEscalation"] is False
    groups = spec["workerGroupSpecs"]
    assert [(g["groupName"], g["minReplicas"], g["maxReplicas"]) for g in groups] == [("cpu", 0, 4), ("gpu", 0, 2)]


@pytest.mark.parametrize("tls", ["cert-manager", "secret-manager"])
def test_the_autoscaler_speaks_tls_with_the_heads_leaf(tls: str) -> None:
    """KubeRay gives the sidecar nothing of the Ray container: the TLS switches and a read-only leaf mount are ours."""
    spec = ray_cluster(inputs(tls=tls))["spec"]
    options = spec["autoscalerOptions"]
    env = {e["name"]: e["value"] for e in options["env"]}
    assert env == {
        "RAY_USE_TLS": "1",
        "RAY_TLS_SERVER_CERT": "/etc/ray/tls/tls.crt",
        "RAY_TLS_SERVER_KEY": "/etc/ray/tls/tls.key",
        "RAY_TLS_CA_CERT": "/etc/ray/tls/ca.crt",
    }
    assert options["volumeMounts"] == [{"name": "ray-tls", "mountPath": "/etc/ray/tls", "readOnly": True}, API_MOUNT]
    head = spec["headGroupSpec"]["template"]["spec"]
    # The mount names the head's own leaf volume, and the files the env names are the ones the Ray container uses.
    assert "ray-tls" in {volume["name"] for volume in head["volumes"]}
    ray_env = {e["name"]: e.get("value") for e in head["containers"][0]["env"]}
    assert all(ray_env[name] == value for name, value in env.items())


def test_with_kuberay_tls_the_operator_wires_the_autoscaler() -> None:
    """KubeRay refuses TLS env or mounts in autoscalerOptions when tlsOptions is on (validateTLSOptions)."""
    options = ray_cluster(inputs(tls="kuberay"))["spec"]["autoscalerOptions"]
    # Only the API credentials: KubeRay refuses a mount named ray-tls or at its TLS path there.
    assert "env" not in options and options["volumeMounts"] == [API_MOUNT]


def test_every_container_is_locked_down_with_equal_requests_and_limits() -> None:
    for tls in ("cert-manager", "kuberay", "secret-manager"):
        for container in _containers(ray_cluster(inputs(tls=tls))):
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            assert container["resources"]["requests"] == container["resources"]["limits"]


def test_probes_on_head_and_workers_carry_the_token(cluster: dict) -> None:
    for path, spec in pod_templates(cluster):
        ray = spec["containers"][0]
        for probe in ("readinessProbe", "livenessProbe"):
            command = ray[probe]["exec"]["command"][-1]
            assert "localhost:52365/api/local_raylet_healthz" in command
            assert "Authorization: Bearer" in command
            assert ("localhost:8265/api/gcs_healthz" in command) == path.startswith("spec.headGroupSpec")


def test_identity_and_token_mounts(cluster: dict) -> None:
    for path, spec in pod_templates(cluster):
        head = path.startswith("spec.headGroupSpec")
        assert spec["nodeSelector"] == {"iam.gke.io/gke-metadata-server-enabled": "true"}
        assert spec["serviceAccountName"] == ("ray-head" if head else "ray-worker")
        # No pod automounts a token: user code in the Ray containers has no Kubernetes credential.
        assert spec["automountServiceAccountToken"] is False
        # pod_templates shows the head with the sidecar KubeRay adds ("autoscaler"): it alone has the token.
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert (SERVICE_ACCOUNT_DIR in mounts) is (container["name"] == "autoscaler"), container["name"]
        assert any(v["name"] == "autoscaler-api-access" for v in spec["volumes"]) is head


def test_only_the_autoscaler_sidecar_mounts_the_heads_api_token(cluster: dict) -> None:
    """Issue 20.5: KubeRay v1.7 adds autoscalerOptions.volumeMounts to the sidecar only (mergeAutoscalerOverrides)."""
    assert API_MOUNT in cluster["spec"]["autoscalerOptions"]["volumeMounts"]
    head = cluster["spec"]["headGroupSpec"]["template"]["spec"]
    [volume] = [v for v in head["volumes"] if v["name"] == API_MOUNT["name"]]
    sources = volume["projected"]["sources"]
    # What automounting would give the sidecar, at the path Ray's autoscaler reads (token and CA) ...
    assert sources[0] == {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}
    assert sources[1]["configMap"] == {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}
    assert sources[2]["downwardAPI"]["items"] == [
        {"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}
    ]
    # ... readable by the ray user's group only (fsGroup), and never written.
    assert volume["projected"]["defaultMode"] == 0o440 and API_MOUNT["readOnly"] is True


def test_gpu_groups_ask_for_gpus_and_tolerate_the_gpu_taint(cluster: dict) -> None:
    cpu, gpu = cluster["spec"]["workerGroupSpecs"]
    worker = gpu["template"]["spec"]
    assert worker["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert worker["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert "tolerations" not in cpu["template"]["spec"]


def test_every_random_port_is_pinned(cluster: dict) -> None:
    head = cluster["spec"]["headGroupSpec"]["rayStartParams"]
    worker = cluster["spec"]["workerGroupSpecs"][0]["rayStartParams"]
    for params in (head, worker):
        assert params["node-manager-port"] == str(RAY_INTERNAL_PORTS["node_manager"])
        assert params["object-manager-port"] == str(RAY_INTERNAL_PORTS["object_manager"])
        assert params["runtime-env-agent-port"] == str(RAY_INTERNAL_PORTS["runtime_env_agent"])
        assert params["dashboard-agent-grpc-port"] == str(RAY_INTERNAL_PORTS["dashboard_agent_grpc"])
        assert params["dashboard-agent-listen-port"] == "52365"
        assert params["metrics-export-port"] == "8080"
        assert (params["min-worker-port"], params["max-worker-port"]) == ("10002", "10100")
    assert head["port"] == "6379" and head["ray-client-server-port"] == "10001" and head["dashboard-port"] == "8265"
    assert set(RAY_PINNED_PORTS.values()) == set(RAY_FIXED_PORTS.values()) | set(RAY_INTERNAL_PORTS.values())


def test_tls_sources() -> None:
    """The Ray containers' TLS switches; where the files come from is tests/tenant/runtime/test_ray_tls.py."""
    assert ray_cluster(inputs(tls="kuberay"))["spec"]["tlsOptions"] == {"enabled": True}
    for tls in ("cert-manager", "secret-manager"):
        cluster = ray_cluster(inputs(tls=tls))
        assert "tlsOptions" not in cluster["spec"]
        for _, spec in pod_templates(cluster):
            ray = spec["containers"][0]
            env = {e["name"]: e.get("value") for e in ray["env"]}
            assert env["RAY_USE_TLS"] == "1"
            assert env["RAY_TLS_SERVER_CERT"] == "/etc/ray/tls/tls.crt"
            assert env["RAY_TLS_SERVER_KEY"] == "/etc/ray/tls/tls.key"
            assert env["RAY_TLS_CA_CERT"] == "/etc/ray/tls/ca.crt"
            assert spec["initContainers"][0]["name"] == "ray-tls-cert"
            assert {"name": "ray-tls", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}} in spec["volumes"]


def test_pod_monitoring_scrapes_the_metrics_port() -> None:
    monitoring = next(o for o in ray_runtime_objects(inputs()) if o["kind"] == "PodMonitoring")
    assert monitoring["spec"] == {
        "selector": {"matchLabels": {"ray.io/cluster": "team-a"}},
        "endpoints": [{"port": "metrics", "interval": "30s"}],
    }
    for _, spec in pod_templates(ray_cluster(inputs())):
        assert {"name": "metrics", "containerPort": 8080, "protocol": "TCP"} in spec["containers"][0]["ports"]


def test_logs_go_to_stderr_for_cloud_logging(cluster: dict) -> None:
    for _, spec in pod_templates(cluster):
        assert {"name": "RAY_LOG_TO_STDERR", "value": "1"} in spec["containers"][0]["env"]


def test_output_is_deterministic() -> None:
    assert ray_runtime_objects(inputs()) == ray_runtime_objects(inputs())
