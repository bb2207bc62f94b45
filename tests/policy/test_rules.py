"""Each synth-time rule fails on a weakened resource and passes on a hardened one."""

from __future__ import annotations

import copy

import pytest

from rayfort.policy.rules import RULES

BY_ID = {rule.id: rule for rule in RULES}

GOOD_POOL = {
    "node_config": {
        "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        "boot_disk_kms_key": "${google_kms_crypto_key.k.id}",
        "confidential_nodes": {"enabled": True, "confidential_instance_type": "SEV"},
        "service_account": "${google_service_account.nodes.email}",
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        "kubelet_config": {"insecure_kubelet_readonly_port_enabled": "FALSE"},
    }
}
RESTRICTED_CONTAINER = {
    "name": "c",
    "image": "i",
    "securityContext": {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


def _deployment(container: dict) -> dict:
    return {
        "manifest": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": [container]}}},
        }
    }


def _namespace(labels: dict) -> dict:
    return {"manifest": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": labels}}}


PSS = {f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "audit", "warn")} | {
    f"pod-security.kubernetes.io/{m}-version": "v1.33" for m in ("enforce", "audit", "warn")
}


def _service(annotations: dict, ports: list[int]) -> dict:
    return {
        "manifest": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "s", "annotations": annotations},
            "spec": {"type": "LoadBalancer", "ports": [{"port": p} for p in ports]},
        }
    }


def _with(base: dict, path: tuple, value) -> dict:
    """``base`` with the value at ``path`` replaced; MISSING removes the key."""
    body = copy.deepcopy(base)
    node = body
    for key in path[:-1]:
        node = node[key]
    if value is MISSING:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return body


MISSING = object()
CLUSTER = {
    **GOOD_POOL,
    "private_cluster_config": {"enable_private_nodes": True, "enable_private_endpoint": True},
    "master_authorized_networks_config": {"cidr_blocks": [{"cidr_block": "10.0.0.0/24"}]},
    "workload_identity_config": {"workload_pool": "p.svc.id.goog"},
    "database_encryption": {"state": "ENCRYPTED", "key_name": "${k.id}"},
    "deletion_protection": True,
    "logging_config": {"enable_components": ["WORKLOADS"]},
    "release_channel": {"channel": "REGULAR"},
}
RAY = {"manifest": {"apiVersion": "ray.io/v1", "kind": "RayCluster", "spec": {"authOptions": {"mode": "token"}}}}
FIREWALL = {"direction": "INGRESS", "allow": [{"protocol": "tcp"}], "source_ranges": ["35.191.0.0/16"],
            "log_config": {"metadata": "INCLUDE_ALL_METADATA"}}  # fmt: skip
HTTPS_ONLY = [{"ip_protocol": "tcp", "ports": ["443"]}]
FQDN_RULE = {"direction": "EGRESS", "action": "allow", "enable_logging": True, "priority": 1000,
             "match": {"dest_fqdns": ["pypi.org"], "layer4_configs": HTTPS_ONLY}}  # fmt: skip
CHART = {"chart": "kuberay-operator", "version": "1.7.0",
         "values": ["image:\n  repository: quay.io/kuberay/operator\n  tag: v1.7.0\n"]}  # fmt: skip
LB = _service({"networking.gke.io/load-balancer-type": "Internal"}, [10001, 8265])
LB["manifest"]["spec"]["loadBalancerSourceRanges"] = ["10.0.0.0/24"]
SUBNET = {"private_ip_google_access": True,
          "log_config": {"flow_sampling": 0.5, "aggregation_interval": "INTERVAL_5_SEC",
                         "metadata": "INCLUDE_ALL_METADATA"}}  # fmt: skip
NAT = {"log_config": {"enable": True, "filter": "ALL"}}
SSL = {"profile": "RESTRICTED", "min_tls_version": "TLS_1_2"}
BACKEND = {"manifest": {"kind": "BackendConfig", "spec": {"iap": {"enabled": True}, "securityPolicy": {"name": "p"}}}}
ADMISSION = {
    "admission_whitelist_patterns": [{"name_pattern": "eu-docker.pkg.dev/p/mirror/**"}],
    "default_admission_rule": {"evaluation_mode": "ALWAYS_DENY", "enforcement_mode": "ENFORCED_BLOCK_AND_AUDIT_LOG"},
}
HARD = {"requests.cpu": "4", "limits.cpu": "4", "requests.memory": "8Gi", "limits.memory": "8Gi", "pods": "10"}
QUOTA = {"manifest": {"kind": "ResourceQuota", "spec": {"hard": HARD}}}
BUCKET = {"uniform_bucket_level_access": True, "public_access_prevention": "enforced",
          "encryption": {"default_kms_key_name": "${k.id}"}}  # fmt: skip
KEY = {"rotation_period": "7776000s", "lifecycle": {"prevent_destroy": True}}
LOG_BUCKET = {"locked": True, "retention_days": 400, "cmek_settings": {"kms_key_name": "${k.id}"}}
AUDIT_CONFIG = {"audit_log_config": [{"log_type": t} for t in ("ADMIN_READ", "DATA_READ", "DATA_WRITE")]}
REDIS = {"auth_enabled": True, "transit_encryption_mode": "SERVER_AUTHENTICATION", "customer_managed_key": "${k.id}"}
SECURE_BOOT = ("node_config", "shielded_instance_config", "enable_secure_boot")

# rule: (resource type, hardened body, [every way the value can be weaker])
CASES: dict[str, tuple[str, dict | None, list[dict]]] = {
    "RF001": ("google_container_node_pool", GOOD_POOL, [
        _with(GOOD_POOL, SECURE_BOOT, MISSING), _with(GOOD_POOL, SECURE_BOOT, None),
        _with(GOOD_POOL, SECURE_BOOT, False), _with(GOOD_POOL, SECURE_BOOT, "true"),
        _with(GOOD_POOL, ("node_config", "shielded_instance_config"), MISSING)]),
    "RF002": ("google_container_node_pool", GOOD_POOL, [
        _with(GOOD_POOL, ("node_config", "boot_disk_kms_key"), v) for v in (MISSING, None, "")]),
    "RF003": ("google_container_node_pool", GOOD_POOL, [
        _with(GOOD_POOL, ("node_config", "confidential_nodes"), v)
        for v in (MISSING, None, {"enabled": False}, [{"enabled": False}], {})]),
    "RF004": ("google_container_node_pool", GOOD_POOL, [
        _with(GOOD_POOL, ("node_config", "service_account"), "1-compute@developer.gserviceaccount.com"),
        _with(GOOD_POOL, ("node_config", "service_account"), MISSING),
        _with(GOOD_POOL, ("node_config", "workload_metadata_config", "mode"), "GCE_METADATA"),
        _with(GOOD_POOL, ("node_config", "workload_metadata_config"), MISSING)]),
    "RF005": ("google_container_cluster", CLUSTER, [
        _with(CLUSTER, ("private_cluster_config", key), v)
        for key in ("enable_private_nodes", "enable_private_endpoint") for v in (MISSING, None, False)]),
    "RF010": ("kubernetes_manifest", _namespace(PSS), [
        _namespace({**PSS, "pod-security.kubernetes.io/enforce": v}) for v in ("baseline", "privileged", None)]
        + [_namespace({k: v for k, v in PSS.items() if k != "pod-security.kubernetes.io/audit"})]),
    "RF011": ("kubernetes_manifest", LB, [
        _with(LB, ("manifest", "metadata", "annotations"), {}),
        _with(LB, ("manifest", "spec", "ports"), [{"port": 6379}])]),
    "RF012": ("kubernetes_manifest", _deployment(RESTRICTED_CONTAINER), [
        _deployment({**RESTRICTED_CONTAINER, "securityContext": {**RESTRICTED_CONTAINER["securityContext"], **bad}})
        for bad in ({"privileged": True}, {"runAsNonRoot": False}, {"allowPrivilegeEscalation": True})]),
    "RF013": ("kubernetes_manifest", RAY, [
        _with(RAY, ("manifest", "spec", "authOptions", "mode"), v) for v in ("disabled", None, MISSING, "Token")]
        + [_with(RAY, ("manifest", "spec", "authOptions"), MISSING)]),
    "RF014": ("google_project_iam_member", {"role": "roles/container.defaultNodeServiceAccount"}, [
        {"role": "roles/storage.objectAdmin"}, {"role": "roles/secretmanager.secretAccessor"}]),
    "RF015": ("google_secret_manager_secret_version", {"secret_data": "${random_password.p.result}"}, [
        {"secret_data": "hunter2"}, {"manifest": {"kind": "Secret", "data": {"k": "djE="}}},
        {"set_sensitive": [{"name": "p", "value": "x"}]}]),
    "RF016": ("google_service_account_key", None, [{"service_account_id": "x"}]),
    "RF017": ("google_compute_firewall", FIREWALL, [
        _with(FIREWALL, ("source_ranges",), v)
        for v in (["0.0.0.0/0"], ["35.191.0.0/16", "0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"])]),
    "RF018": ("google_compute_firewall", FIREWALL, [
        _with(FIREWALL, ("log_config",), v) for v in (MISSING, None, {}, {"metadata": None})]),
    "RF019": ("google_storage_bucket", BUCKET, [
        _with(BUCKET, ("public_access_prevention",), v) for v in ("inherited", None, MISSING)]
        + [_with(BUCKET, ("uniform_bucket_level_access",), v) for v in (False, None)]
        + [_with(BUCKET, ("encryption",), MISSING)]),
    "RF020": ("google_kms_crypto_key", KEY, [
        _with(KEY, ("rotation_period",), v) for v in ("31536000s", "7776001s", None, MISSING, "90d")]
        + [_with(KEY, ("lifecycle",), v) for v in (MISSING, {"prevent_destroy": False})]),
    "RF023": ("google_container_cluster", CLUSTER, [
        _with(CLUSTER, ("master_authorized_networks_config", "cidr_blocks"), [{"cidr_block": c} for c in cidrs])
        for cidrs in (["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["10.0.0.0/24", "0.0.0.0/0"])]
        + [_with(CLUSTER, ("master_authorized_networks_config", "gcp_public_cidrs_access_enabled"), True)]),
    "RF024": ("kubernetes_manifest", LB, [
        _with(LB, ("manifest", "spec", "loadBalancerSourceRanges"), v)
        for v in (["0.0.0.0/0"], MISSING, [], ["10.0.0.0/24", "0.0.0.0/1", "128.0.0.0/1"])]),
    "RF025": ("google_binary_authorization_policy", ADMISSION, [
        _with(ADMISSION, ("default_admission_rule", "evaluation_mode"), v) for v in ("ALWAYS_ALLOW", None)]
        + [_with(ADMISSION, ("default_admission_rule", "enforcement_mode"), "DRYRUN_AUDIT_LOG_ONLY"),
           _with(ADMISSION, ("admission_whitelist_patterns",), [{"name_pattern": "docker.io/*"}])]),
    "RF026": ("kubernetes_manifest", _deployment(RESTRICTED_CONTAINER | {"image": "r/ray:2.52.1"}), [
        _deployment(RESTRICTED_CONTAINER | {"image": image})
        for image in ("rayproject/ray:latest", "rayproject/ray", "localhost:5000/ray", "rayproject/ray:2.52",
                      "rayproject/ray:2", "rayproject/ray:nightly", "rayproject/ray:2.52.1-nightly",
                      "rayproject/ray:py311", "rayproject/ray@sha256:abc")]),
    "RF046": ("google_compute_network_firewall_policy_rule", FQDN_RULE, [
        _with(FQDN_RULE, ("match", "dest_ip_ranges"), ["0.0.0.0/0"]),
        _with(FQDN_RULE, ("match", "dest_fqdns"), MISSING),
        _with(FQDN_RULE, ("match", "dest_fqdns"), ["*.pypi.org"]),
        _with(FQDN_RULE, ("match", "layer4_configs"), [{"ip_protocol": "all"}]),
        _with(FQDN_RULE, ("match", "layer4_configs"), [{"ip_protocol": "tcp", "ports": ["80", "443"]}]),
        _with(FQDN_RULE, ("enable_logging",), False), _with(FQDN_RULE, ("enable_logging",), MISSING)]),
    "RF027": ("google_compute_ssl_policy", SSL, [
        _with(SSL, ("profile",), v) for v in ("MODERN", "COMPATIBLE", "CUSTOM", None)]
        + [_with(SSL, ("min_tls_version",), v) for v in ("TLS_1_0", "TLS_1_1", MISSING)]),
    "RF028": ("kubernetes_manifest", BACKEND, [
        _with(BACKEND, ("manifest", "spec", "securityPolicy"), v) for v in (MISSING, {}, {"name": ""})]),
    "RF029": ("google_compute_subnetwork", SUBNET, [
        _with(SUBNET, ("log_config", "flow_sampling"), v) for v in (0.0001, None, MISSING, "0.5")]
        + [_with(SUBNET, ("log_config", "aggregation_interval"), "INTERVAL_10_MIN"),
           _with(SUBNET, ("log_config", "metadata"), "EXCLUDE_ALL_METADATA"), _with(SUBNET, ("log_config",), None)]),
    "RF030": ("google_compute_router_nat", NAT, [
        _with(NAT, ("log_config", "filter"), v) for v in ("ERRORS_ONLY", "TRANSLATIONS_ONLY", None)]
        + [_with(NAT, ("log_config", "enable"), v) for v in (False, None)] + [{}]),
    "RF031": ("google_compute_firewall", FIREWALL, [
        _with(FIREWALL, ("source_ranges",), v) for v in (["35.235.240.0/20"], ["10.0.0.0/8", "35.235.0.0/16"])]),
    "RF032": ("kubernetes_manifest", QUOTA, [
        _with(QUOTA, ("manifest", "spec", "hard", key), MISSING) for key in ("requests.cpu", "limits.memory", "pods")]),
    "RF033": ("google_container_cluster", CLUSTER, [
        _with(CLUSTER, ("database_encryption", "state"), v) for v in ("DECRYPTED", None, MISSING)]
        + [_with(CLUSTER, ("database_encryption", "key_name"), MISSING)]),
    "RF034": ("google_container_node_pool", GOOD_POOL, [
        _with(GOOD_POOL, ("node_config", "metadata"), {"enable-oslogin": v}) for v in ("false", "FALSE", False)]),
    "RF035": ("google_container_cluster", CLUSTER, [
        _with(CLUSTER, ("enable_legacy_abac",), True),
        _with(CLUSTER, ("master_auth",), {"client_certificate_config": {"issue_client_certificate": True}})]),
    "RF036": ("google_container_cluster", CLUSTER, [
        _with(CLUSTER, ("deletion_protection",), False), _with(CLUSTER, ("logging_config",), MISSING)]),
    "RF037": ("google_redis_instance", REDIS, [
        _with(REDIS, ("auth_enabled",), v) for v in (False, None, MISSING)]
        + [_with(REDIS, ("transit_encryption_mode",), v) for v in ("DISABLED", None)]),
    "RF038": ("google_compute_subnetwork", SUBNET, [
        _with(SUBNET, ("private_ip_google_access",), v) for v in (False, None, MISSING)]),
    "RF040": ("google_container_node_pool", GOOD_POOL, [
        _with(GOOD_POOL, ("node_config", "kubelet_config"), v)
        for v in (MISSING, {"insecure_kubelet_readonly_port_enabled": "TRUE"})]),
    "RF041": ("google_container_cluster", CLUSTER, [
        _with(CLUSTER, ("release_channel",), v) for v in (MISSING, {"channel": "RAPID"}, {"channel": "UNSPECIFIED"})]),
    "RF043": ("google_logging_project_bucket_config", LOG_BUCKET, [
        _with(LOG_BUCKET, ("locked",), v) for v in (False, None, MISSING)]
        + [_with(LOG_BUCKET, ("retention_days",), v) for v in (399, 30, None, MISSING, "400")]
        + [_with(LOG_BUCKET, ("cmek_settings",), v) for v in (MISSING, {}, {"kms_key_name": ""})]),
    "RF044": ("google_project_iam_audit_config", AUDIT_CONFIG, [
        {"audit_log_config": [{"log_type": "ADMIN_READ"}]}, {},
        {"audit_log_config": [{"log_type": t, "exempted_members": ["user:a@example.com"]}
                              for t in ("ADMIN_READ", "DATA_READ", "DATA_WRITE")]}]),
    "RF042": ("kubernetes_manifest", BACKEND, [
        _with(BACKEND, ("manifest", "spec", "iap"), v) for v in (MISSING, {"enabled": False})]),
}  # fmt: skip


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(BY_ID)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_hardened(rule_id: str) -> None:
    resource_type, good, _ = CASES[rule_id]
    if good is not None:
        assert BY_ID[rule_id].applies(good)
        assert list(BY_ID[rule_id].check(good, resource_type)) == []


@pytest.mark.parametrize(
    ("rule_id", "index"), [(rule_id, i) for rule_id, (_, _, bad) in sorted(CASES.items()) for i in range(len(bad))]
)
def test_rule_fails_every_way_weaker(rule_id: str, index: int) -> None:
    resource_type, _, bad = CASES[rule_id]
    rule = BY_ID[rule_id]
    assert rule.applies(bad[index]) and list(rule.check(bad[index], resource_type)), f"{rule_id} accepted {bad[index]}"


@pytest.mark.parametrize(
    "image", ["quay.io/kuberay/operator:v1.7.0", "r/ray:2.52.1-py311", "r/ray@sha256:" + "a" * 64, "r:1.2.3_b4"]
)
def test_explicit_versions_and_digests_are_pinned(image: str) -> None:
    container = RESTRICTED_CONTAINER | {"image": image}
    assert not list(BY_ID["RF026"].check(_deployment(container), "kubernetes_manifest"))


def test_chart_images_pinned_by_version_pass() -> None:
    assert BY_ID["RF026"].applies(CHART) and not list(BY_ID["RF026"].check(CHART, "helm_release"))


@pytest.mark.parametrize(
    "weaker",
    [
        _with(CHART, ("version",), MISSING),
        _with(CHART, ("values",), ["image:\n  repository: quay.io/kuberay/operator\n  tag: latest\n"]),
        _with(
            CHART, ("values",), ["a:\n  image:\n    repository: quay.io/jetstack/cert-manager-webhook\n    tag: v1\n"]
        ),
    ],
)
def test_chart_images_or_versions_that_float_fail(weaker: dict) -> None:
    assert list(BY_ID["RF026"].check(weaker, "helm_release"))


def test_an_egress_deny_rule_is_not_an_fqdn_allow() -> None:
    deny = _with(FQDN_RULE, ("action",), "deny") | {"match": {"dest_ip_ranges": ["0.0.0.0/0"]}}
    assert not list(BY_ID["RF046"].check(deny, "google_compute_network_firewall_policy_rule"))


def test_gcs_port_given_as_text_is_caught() -> None:
    service = _service({"networking.gke.io/load-balancer-type": "Internal"}, [])
    service["manifest"]["spec"]["ports"] = [{"port": "6379"}]
    assert list(BY_ID["RF011"].check(service, "kubernetes_manifest"))


def test_private_key_anywhere_is_caught() -> None:
    body = {"manifest": {"kind": "ConfigMap", "data": {"tls.key": "-----BEGIN RSA PRIVATE KEY-----\nabc"}}}
    assert any("private key" in f for f in BY_ID["RF015"].check(body, "kubernetes_manifest"))


def test_literal_kubernetes_secret_is_caught_but_a_reference_is_not() -> None:
    literal = {"manifest": {"kind": "Secret", "stringData": {"password": "p"}}}
    reference = {"manifest": {"kind": "Secret", "stringData": {"password": "${google_redis_instance.r.auth_string}"}}}
    assert list(BY_ID["RF015"].check(literal, "kubernetes_manifest"))
    assert not list(BY_ID["RF015"].check(reference, "kubernetes_manifest"))


@pytest.mark.parametrize("rule_id", ["RF001", "RF002", "RF003", "RF004"])
def test_a_pool_without_node_config_is_not_overlooked(rule_id: str) -> None:
    rule = BY_ID[rule_id]
    bare_pool = {"cluster": "c"}
    assert rule.applies(bare_pool) and list(rule.check(bare_pool, "google_container_node_pool"))


def test_autopilot_cluster_leaves_node_rules_to_gke() -> None:
    autopilot = {"enable_autopilot": True}
    assert not any(BY_ID[r].applies(autopilot) for r in ("RF001", "RF002", "RF004"))
