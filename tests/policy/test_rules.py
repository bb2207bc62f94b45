"""Each synth-time rule fails on a weakened resource and passes on a hardened one."""

from __future__ import annotations

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


CASES = {
    "RF001": (GOOD_POOL, {"node_config": {**GOOD_POOL["node_config"], "shielded_instance_config": {}}}),
    "RF002": (GOOD_POOL, {"node_config": {**GOOD_POOL["node_config"], "boot_disk_kms_key": None}}),
    "RF003": (GOOD_POOL, {"node_config": {**GOOD_POOL["node_config"], "confidential_nodes": [{"enabled": False}]}}),
    "RF004": (
        GOOD_POOL,
        {"node_config": {**GOOD_POOL["node_config"], "service_account": "1-compute@developer.gserviceaccount.com"}},
    ),
    "RF005": (
        {"private_cluster_config": {"enable_private_nodes": True, "enable_private_endpoint": True}},
        {"private_cluster_config": {"enable_private_nodes": True}},
    ),
    "RF010": (_namespace(PSS), _namespace({**PSS, "pod-security.kubernetes.io/enforce": "baseline"})),
    "RF011": (
        _service({"networking.gke.io/load-balancer-type": "Internal"}, [10001, 8265]),
        _service({"networking.gke.io/load-balancer-type": "Internal"}, [6379]),
    ),
    "RF012": (
        _deployment(RESTRICTED_CONTAINER),
        _deployment(
            {**RESTRICTED_CONTAINER, "securityContext": {**RESTRICTED_CONTAINER["securityContext"], "privileged": True}}
        ),
    ),
    "RF013": (
        {"manifest": {"apiVersion": "ray.io/v1", "kind": "RayCluster", "spec": {"authOptions": {"mode": "token"}}}},
        {"manifest": {"apiVersion": "ray.io/v1", "kind": "RayCluster", "spec": {}}},
    ),
    "RF014": ({"role": "roles/container.defaultNodeServiceAccount"}, {"role": "roles/storage.objectAdmin"}),
    "RF015": ({"secret_data": "${random_password.p.result}"}, {"secret_data": "hunter2"}),
    "RF016": (None, {"service_account_id": "x"}),
    "RF017": (
        {"direction": "INGRESS", "allow": [{"protocol": "tcp"}], "source_ranges": ["35.191.0.0/16"]},
        {"direction": "INGRESS", "allow": [{"protocol": "tcp"}], "source_ranges": ["0.0.0.0/0"]},
    ),
    "RF018": ({"log_config": {"metadata": "INCLUDE_ALL_METADATA"}}, {}),
    "RF019": (
        {
            "uniform_bucket_level_access": True,
            "public_access_prevention": "enforced",
            "encryption": {"default_kms_key_name": "${k.id}"},
        },
        {
            "uniform_bucket_level_access": True,
            "public_access_prevention": "inherited",
            "encryption": {"default_kms_key_name": "${k.id}"},
        },
    ),
    "RF020": (
        {"rotation_period": "7776000s", "lifecycle": {"prevent_destroy": True}},
        {"rotation_period": "31536000s", "lifecycle": {"prevent_destroy": True}},
    ),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(BY_ID)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_hardened_and_fails_weakened(rule_id: str) -> None:
    good, bad = CASES[rule_id]
    rule = BY_ID[rule_id]
    if good is not None:
        assert list(rule.check(good)) == []
    assert list(rule.check(bad)), f"{rule_id} accepted a weakened resource"


def test_gcs_port_given_as_text_is_caught() -> None:
    service = _service({"networking.gke.io/load-balancer-type": "Internal"}, [])
    service["manifest"]["spec"]["ports"] = [{"port": "6379"}]
    assert list(BY_ID["RF011"].check(service))


def test_private_key_anywhere_is_caught() -> None:
    body = {"manifest": {"kind": "ConfigMap", "data": {"tls.key": "-----BEGIN RSA PRIVATE KEY-----\nabc"}}}
    assert any("private key" in f for f in BY_ID["RF015"].check(body))


def test_literal_kubernetes_secret_is_caught_but_a_reference_is_not() -> None:
    literal = {"manifest": {"kind": "Secret", "stringData": {"password": "p"}}}
    reference = {"manifest": {"kind": "Secret", "stringData": {"password": "${google_redis_instance.r.auth_string}"}}}
    assert list(BY_ID["RF015"].check(literal))
    assert not list(BY_ID["RF015"].check(reference))


@pytest.mark.parametrize("rule_id", ["RF001", "RF002", "RF003", "RF004"])
def test_a_pool_without_node_config_is_not_overlooked(rule_id: str) -> None:
    rule = BY_ID[rule_id]
    bare_pool = {"cluster": "c"}
    assert rule.applies(bare_pool) and list(rule.check(bare_pool))


def test_autopilot_cluster_leaves_node_rules_to_gke() -> None:
    autopilot = {"enable_autopilot": True}
    assert not any(BY_ID[r].applies(autopilot) for r in ("RF001", "RF002", "RF004"))
