"""The tenant platform's Kubernetes objects and names, without a synth."""

from __future__ import annotations

import pytest

from rayfort._cdk import Token
from rayfort.config.tenant import TenantSettings
from rayfort.tenant.admission import TenantNodes
from rayfort.tenant.bucket import bucket_name
from rayfort.tenant.identity import account_id, kubernetes_service_account
from rayfort.tenant.key import key_ring_name
from rayfort.tenant.namespace import tenant_namespace
from rayfort.tenant.quota import tenant_quota_objects
from rayfort.tenant.rbac import TenantRbacProps, tenant_rbac_objects
from rayfort.tenant.redis import instance_id, redis_password_secret
from rayfort.versions import POD_SECURITY_VERSION
from rayfort_tools.judges.k8s_schema import validate_manifest

GSA = "ray-team-a@rayfort-dev-000000.iam.gserviceaccount.com"


def tenant(**overrides) -> TenantSettings:
    base = {"name": "team-a", "cost_center": "cc-1001", "groups": {"developers": ["ray-team-a-dev@example.com"]}}
    return TenantSettings.model_validate({**base, **overrides})


def rbac(**overrides) -> list[dict]:
    props = {
        "namespace": "team-a",
        "project_id": "rayfort-dev-000000",
        "connect_role": "projects/rayfort-dev-000000/roles/rayfortConnect_rayfort_dev",
        "developers": ("dev@example.com",),
    }
    return tenant_rbac_objects(TenantRbacProps(**{**props, **overrides}))


def every_object() -> list[dict]:
    exposed = tenant(exposure={"internal": {"enabled": True, "source_ranges": ["10.0.0.0/24"]}})
    return [
        tenant_namespace(tenant(), None),
        tenant_namespace(tenant(untrusted_code=True), TenantNodes(("a", "b"), ("k=v:NoSchedule",), True), "x.example"),
        *rbac(viewers=("view@example.com",), developer_secrets=("team-a",)),
        *tenant_quota_objects("team-a", tenant()),
        *tenant_quota_objects("team-a", exposed),
        kubernetes_service_account("team-a", "ray-head", GSA),
        redis_password_secret("team-a", "redis-auth", "${google_redis_instance.redis.auth_string}"),
    ]


@pytest.mark.parametrize("obj", every_object(), ids=lambda o: f"{o['kind']}-{o['metadata']['name']}")
def test_every_object_passes_the_schema_judge(obj):
    assert validate_manifest(obj) == []


def test_namespace_enforces_restricted_and_names_team_and_cost_center():
    labels = tenant_namespace(tenant(), None)["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == POD_SECURITY_VERSION
    assert labels["rayfort.dev/team"] == "team-a"
    assert labels["rayfort.dev/cost-center"] == "cc-1001"


def test_namespace_carries_what_admission_holds_the_tenant_to():
    """The Ray policy reads each tenant's own rules from these annotations (rayfort.tenant.admission)."""
    nodes = TenantNodes(("gpu-h100", "team-b"), ("nvidia.com/gpu", "rayfort.dev/tenant=team-b:NoSchedule"), True)
    waived = tenant(token_auth=False, untrusted_code=True)
    assert tenant_namespace(waived, nodes, "team-a.ray.example")["metadata"]["annotations"] == {
        "rayfort.dev/dashboard-host": "team-a.ray.example",
        "rayfort.dev/node-pools": "gpu-h100,team-b",
        "rayfort.dev/pinned-to-node-pools": "true",
        "rayfort.dev/sandboxed": "true",
        "rayfort.dev/tolerations": "nvidia.com/gpu,rayfort.dev/tenant=team-b:NoSchedule",
        "rayfort.dev/unauthenticated-ray-clusters": "team-a",
    }
    # Autopilot (no node rules) writes no node annotations; an operatorless tenant has no RayCluster to waive.
    assert tenant_namespace(tenant(ray_runtime="plain", token_auth=False), None)["metadata"]["annotations"] == {
        "rayfort.dev/sandboxed": "false",
        "rayfort.dev/unauthenticated-ray-clusters": "",
    }


def test_developers_cannot_edit_namespaces_whose_annotations_admission_trusts():
    """Namespaces are cluster-scoped: only a Role naming them could reach the tenant's own, and none does."""
    objects = rbac(viewers=("view@example.com",), developer_secrets=("team-a",))
    assert {o["kind"] for o in objects} == {"Role", "RoleBinding"}
    for role in (o for o in objects if o["kind"] == "Role"):
        assert all("namespaces" not in rule["resources"] for rule in role["rules"]), role["metadata"]["name"]


def test_rbac_is_namespaced_and_bound_to_google_groups():
    objects = rbac(viewers=("view@example.com",))
    assert {o["kind"] for o in objects} == {"Role", "RoleBinding"}
    bindings = {o["metadata"]["name"]: o for o in objects if o["kind"] == "RoleBinding"}
    assert bindings["ray-developer"]["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "dev@example.com"}
    ]
    assert bindings["ray-viewer"]["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "ray-viewer",
    }
    for obj in objects:
        assert "cluster-admin" not in str(obj)
        assert obj["metadata"]["namespace"] == "team-a"


def _rules(objects: list[dict], name: str) -> list[dict]:
    return next(o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == name)["rules"]


def test_developers_manage_ray_resources_and_read_only_the_named_secret():
    rules = _rules(rbac(developer_secrets=("team-a",)), "ray-developer")
    ray = next(r for r in rules if r["resources"] == ["rayclusters", "rayjobs", "rayservices"])
    assert {"create", "delete", "get", "list", "patch", "update", "watch"} == set(ray["verbs"])
    secrets = [r for r in rules if "secrets" in r["resources"]]
    assert secrets == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["team-a"], "verbs": ["get"]}]
    assert not [r for r in _rules(rbac(), "ray-developer") if "secrets" in r["resources"]]
    for rule in rules:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        assert "escalate" not in rule["verbs"] and "bind" not in rule["verbs"]


def test_viewers_only_read():
    rules = _rules(rbac(viewers=("view@example.com",)), "ray-viewer")
    assert all(set(r["verbs"]) <= {"get", "list", "watch"} for r in rules)
    assert not [r for r in rules if "secrets" in r["resources"]]


def test_no_viewer_role_without_viewers():
    assert [o["metadata"]["name"] for o in rbac()] == ["ray-developer", "ray-developer"]


def test_quota_denies_load_balancers_unless_internal_exposure():
    quota = tenant_quota_objects("team-a", tenant(quota={"cpu": "8", "memory": "32Gi", "gpu": 2, "pods": 10}))[0]
    assert quota["spec"]["hard"] == {
        "requests.cpu": "8",
        "limits.cpu": "8",
        "requests.memory": "32Gi",
        "limits.memory": "32Gi",
        "requests.nvidia.com/gpu": "2",
        "pods": "10",
        "services.loadbalancers": "0",
    }
    exposed = tenant(exposure={"internal": {"enabled": True, "source_ranges": ["10.0.0.0/24"]}})
    assert tenant_quota_objects("team-a", exposed)[0]["spec"]["hard"]["services.loadbalancers"] == "1"


def test_limit_range_gives_containers_requests_and_limits():
    limits = tenant_quota_objects("team-a", tenant())[1]["spec"]["limits"][0]
    assert limits["type"] == "Container"
    assert set(limits["default"]) == set(limits["defaultRequest"]) == {"cpu", "memory"}


def test_service_accounts_map_to_the_gsa_and_mount_no_token():
    ksa = kubernetes_service_account("team-a", "ray-worker", GSA)
    assert ksa["automountServiceAccountToken"] is False
    assert ksa["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": GSA}


def test_redis_password_is_a_reference_never_a_literal():
    secret = redis_password_secret("team-a", "redis-auth", "${google_redis_instance.redis.auth_string}")
    assert list(secret["data"]) == ["password"]
    assert Token.is_unresolved(secret["data"]["password"])


@pytest.mark.parametrize("name", ["a", "team-a", "x" * 26, "a" * 63, "team-" + "b" * 58])
def test_generated_names_fit_google_limits(name):
    gsa = account_id(name)
    assert 6 <= len(gsa) <= 30 and gsa[0].isalpha() and gsa[-1].isalnum()
    redis = instance_id(name)
    assert len(redis) <= 40 and redis[0].isalpha() and redis[-1].isalnum()
    assert len(key_ring_name("rayfort-" + "r" * 40, name)) <= 63
    bucket = bucket_name("rayfort-production-000000", name, "artifacts")
    assert len(bucket) + len("-logs") <= 63 and bucket[-1].isalnum()


def test_shortened_names_stay_distinct():
    assert account_id("a" * 40) != account_id("a" * 41)
    assert instance_id("b" * 50) != instance_id("b" * 51)
    assert bucket_name("p" * 30, "c" * 40, "artifacts") != bucket_name("p" * 30, "c" * 41, "artifacts")
    assert key_ring_name("r" * 40, "d" * 40) != key_ring_name("r" * 40, "d" * 41)
