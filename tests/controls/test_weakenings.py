"""Resource checks at their edges: the shapes Terraform JSON takes, the values just above and below a floor.

``test_rules.py`` gives each rule a hardened resource and every way it can be
weaker; these pin what the mutation run found unpinned there: blocks written as
one-item lists, cluster-level settings, values above the floor that must pass
(TLS 1.3, 30-day rotation), values that only look like the floor, Cloud Armor's
admitted ranges and rate, and the words each finding says.
"""

from __future__ import annotations

import pytest

from rayfort.controls import checks as c

PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIE"


def _messages(check, resource: dict) -> list[str]:
    return list(check(resource))


# --- blocks as Terraform writes them ---------------------------------------------------------


def test_a_block_is_read_from_an_object_or_a_one_item_list() -> None:
    assert c.block({"a": 1}) == {"a": 1}
    assert c.block([{"a": 1}]) == {"a": 1}
    assert c.block([{"a": 1}, {"b": 2}]) == {"a": 1}
    for nothing in ([], None, "x", ["x"], [None, {"a": 1}], 0):
        assert c.block(nothing) == {}, nothing


def test_checks_read_blocks_written_as_lists() -> None:
    pool = {
        "node_config": [
            {
                "shielded_instance_config": [{"enable_secure_boot": True, "enable_integrity_monitoring": True}],
                "confidential_nodes": [{"enabled": True}],
                "metadata": [{"enable-oslogin": "true"}],
                "kubelet_config": [{"insecure_kubelet_readonly_port_enabled": "FALSE"}],
                "service_account": "${google_service_account.nodes.email}",
                "workload_metadata_config": [{"mode": "GKE_METADATA"}],
                "boot_disk_kms_key": "${k.id}",
            }
        ]
    }
    for check in (c.secure_boot, c.confidential_nodes, c.os_login, c.kubelet_read_only_port, c.node_identity):
        assert _messages(check, pool) == [], check.__name__
    assert c.attribute({"a": [{"b": [{"c": "x"}]}]}, ("a", "b", "c")) == "x"
    assert c.attribute({"a": {"b": {"c": "x"}}}, ("a", "b", "c")) == "x"
    assert c.attribute({"a": {"c": "y", "b": {"d": "x"}}}, ("a", "b", "c")) is None
    assert c.attribute({"c": "top"}, ("c",)) == "top"


# --- nodes and the cluster ---------------------------------------------------------------------


def test_shielded_nodes_switched_off_on_the_cluster_is_caught() -> None:
    shielded = {"node_config": {"shielded_instance_config": {"enable_secure_boot": True,
                                                             "enable_integrity_monitoring": True}}}  # fmt: skip
    assert _messages(c.secure_boot, {**shielded, "enable_shielded_nodes": True}) == []
    assert _messages(c.secure_boot, {**shielded, "enable_shielded_nodes": False}) == ["enable_shielded_nodes is false"]


def test_confidential_nodes_on_the_whole_cluster_count_for_its_nodes() -> None:
    assert _messages(c.confidential_nodes, {"confidential_nodes": {"enabled": True}}) == []
    assert _messages(c.confidential_nodes, {"confidential_nodes": {"enabled": False}}) == [
        "node_config.confidential_nodes.enabled is not true: node memory is not encrypted in use"
    ]


def test_a_cluster_without_workload_identity_is_caught_and_one_with_it_passes() -> None:
    assert _messages(c.workload_identity, {"workload_identity_config": {"workload_pool": "p.svc.id.goog"}}) == []
    assert _messages(c.workload_identity, {}) == [
        "workload_identity_config.workload_pool is not set: pods fall back to the node's identity"
    ]


@pytest.mark.parametrize(("value", "weak"), [("true", False), ("TRUE", False), (True, False), ("false", True),
                                             ("yes", True), ("1", True), ("", True)])  # fmt: skip
def test_os_login_is_on_only_when_true(value, weak: bool) -> None:
    found = _messages(c.os_login, {"node_config": {"metadata": {"enable-oslogin": value}}})
    assert found == ([f"node_config.metadata.enable-oslogin is {str(value).lower()}: SSH keys in metadata bypass IAM"]
                     if weak else [])  # fmt: skip


@pytest.mark.parametrize(("value", "weak"), [("FALSE", False), ("false", False), (False, False), ("TRUE", True),
                                             ("", True), ("0", True), (None, True)])  # fmt: skip
def test_the_kubelet_read_only_port_is_closed_only_when_false(value, weak: bool) -> None:
    config = {} if value is None else {"insecure_kubelet_readonly_port_enabled": value}
    found = _messages(c.kubelet_read_only_port, {"node_config": {"kubelet_config": config}})
    shown = "UNSET" if value is None else str(value).upper()
    expected = [f"node_config.kubelet_config.insecure_kubelet_readonly_port_enabled is {shown}, not FALSE"]
    assert found == (expected if weak else [])


@pytest.mark.parametrize(("channel", "shown"), [(None, "unset"), ("", "unset"), ("RAPID", "RAPID")])
def test_release_channel_findings_say_what_is_set(channel, shown: str) -> None:
    resource = {} if channel is None else {"release_channel": {"channel": channel}}
    assert _messages(c.release_channel, resource) == [
        f"release_channel.channel is {shown}: no steady security patch cadence"
    ]
    assert _messages(c.release_channel, {"release_channel": {"channel": "STABLE"}}) == []


def test_an_autopilot_cluster_needs_its_node_disk_key() -> None:
    cmek = {"database_encryption": {"state": "ENCRYPTED", "key_name": "${k.id}"}}
    key = {"cluster_autoscaling": {"auto_provisioning_defaults": {"boot_disk_kms_key": "${k.id}"}}}
    assert _messages(c.cluster_secrets_cmek, {**cmek, "enable_autopilot": True, **key}) == []
    assert _messages(c.cluster_secrets_cmek, {**cmek, "enable_autopilot": True}) == [
        "cluster_autoscaling.auto_provisioning_defaults.boot_disk_kms_key is not set"
    ]
    assert _messages(c.cluster_secrets_cmek, cmek) == []
    wrong_level = {**cmek, "enable_autopilot": True, "cluster_autoscaling": {"boot_disk_kms_key": "${k.id}"}}
    assert _messages(c.cluster_secrets_cmek, wrong_level) != []


@pytest.mark.parametrize(("state", "shown"), [(None, "unset"), ("", "unset"), ("DECRYPTED", "DECRYPTED")])
def test_database_encryption_findings_say_the_state(state, shown: str) -> None:
    resource = {"database_encryption": {"key_name": "${k.id}"} | ({} if state is None else {"state": state})}
    assert _messages(c.cluster_secrets_cmek, resource) == [
        f"database_encryption.state is {shown}, not ENCRYPTED: secrets are not encrypted with our key"
    ]


# --- Kubernetes objects ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "load_balancer"),
    [
        ({"kind": "Service", "spec": {"type": "LoadBalancer"}}, True),
        ({"kind": "Service", "spec": {"type": "ClusterIP"}}, False),
        ({"kind": "Service", "spec": {"type": "NodePort"}}, False),
        ({"kind": "Service", "spec": {"type": "ExternalName"}}, False),
        ({"kind": "Service"}, False),
        ({"kind": "Deployment", "spec": {"type": "LoadBalancer"}}, False),
        ({"kind": "ServiceMonitor", "spec": {"type": "LoadBalancer"}}, False),
        ({"kind": "Secret", "spec": {"type": "LoadBalancer"}}, False),
    ],
)
def test_only_services_of_type_load_balancer_are_load_balancers(body: dict, load_balancer: bool) -> None:
    assert c.is_load_balancer_service({"manifest": body}) is load_balancer


@pytest.mark.parametrize(("annotation", "where"), [("true", " from every region (global access)"),
                                                   ("True", " from every region (global access)"),
                                                   ("false", ""), (None, "")])  # fmt: skip
def test_open_load_balancer_sources_say_when_global_access_widens_them(annotation, where: str) -> None:
    annotations = {} if annotation is None else {c.GLOBAL_ACCESS: annotation}
    body = {"metadata": {"annotations": annotations}, "spec": {"type": "LoadBalancer"}}
    assert _messages(c.load_balancer_sources, {"manifest": body}) == [
        f"spec.loadBalancerSourceRanges is empty: every address that reaches the VPC is admitted{where}"
    ]
    body["spec"]["loadBalancerSourceRanges"] = ["0.0.0.0/0"]
    assert _messages(c.load_balancer_sources, {"manifest": body}) == [
        f"spec.loadBalancerSourceRanges ['0.0.0.0/0'] admit the internet at large{where}"
    ]
    body["spec"]["loadBalancerSourceRanges"] = ["10.0.0.0/8"]
    assert _messages(c.load_balancer_sources, {"manifest": body}) == []


def test_load_balancer_sources_without_metadata() -> None:
    assert (
        _messages(c.load_balancer_sources, {"manifest": {"spec": {"loadBalancerSourceRanges": ["10.0.0.0/8"]}}}) == []
    )


@pytest.mark.parametrize(("mode", "shown"), [(None, "unset"), ("", "unset"), ("disabled", "disabled")])
def test_ray_token_auth_findings_say_the_mode(mode, shown: str) -> None:
    spec = {} if mode is None else {"authOptions": {"mode": mode}}
    body = {"manifest": {"apiVersion": "ray.io/v1", "kind": "RayService", "spec": spec}}
    assert _messages(c.ray_token_auth, body) == [
        f"spec.authOptions.mode is {shown}, not token: anyone who reaches the head can run code"
    ]


@pytest.mark.parametrize(
    ("kind", "spec", "iap", "policy"),
    [
        ("BackendConfig", {"iap": {"enabled": True}, "securityPolicy": {"name": "armor"}}, True, "armor"),
        ("BackendConfig", {"iap": {"enabled": False}}, False, None),
        ("GCPBackendPolicy", {"default": {"iap": {"enabled": True}, "securityPolicy": "armor"}}, True, "armor"),
        ("GCPBackendPolicy", {"default": {"iap": {"enabled": True}}}, True, None),
        ("GCPBackendPolicy", {"default": {}}, False, None),
        ("GCPBackendPolicy", {}, False, None),
        ("GCPBackendPolicy", {"iap": {"enabled": True}, "securityPolicy": {"name": "armor"}}, False, None),
        ("BackendConfig", {"default": {"iap": {"enabled": True}, "securityPolicy": "armor"}}, False, None),
    ],
)
def test_iap_and_cloud_armor_are_read_where_each_kind_keeps_them(kind: str, spec: dict, iap: bool, policy) -> None:
    resource = {"manifest": {"kind": kind, "spec": spec}}
    assert bool(_messages(c.dashboard_iap, resource)) is not iap
    assert bool(_messages(c.cloud_armor, resource)) is (iap and policy is None)


def test_images_skip_containers_without_one_and_read_every_kind() -> None:
    spec = {
        "initContainers": [{"name": "init", "image": "busybox:1.36.1"}],
        "containers": [{"name": "ray", "image": "rayproject/ray:2.52.1"}, {"name": "autoscaler"}, "junk"],
    }
    resource = {"manifest": {"kind": "Pod", "spec": spec}}
    assert c.images(resource) == ["busybox:1.36.1", "rayproject/ray:2.52.1"]
    assert _messages(c.pinned_images, resource) == []


@pytest.mark.parametrize(
    ("image", "pinned"),
    [("r/ray:2.52.1", True), ("r/ray@sha256:" + "a" * 64, True), ("${var.image}", True), ("r/ray:latest", False),
     ("r/ray", False), ("localhost:5000/ray", False), ("r/ray:", False), (None, False), (5, False), (":1.0", False)],
)  # fmt: skip
def test_pinned_images(image, pinned: bool) -> None:
    assert c.image_pinned(image) is pinned


# --- secrets ---------------------------------------------------------------------------------


def test_a_private_key_anywhere_is_found_with_its_path() -> None:
    resource = {"manifest": {"kind": "ConfigMap", "data": {".env": PRIVATE_KEY, "list": ["ok", {"k": PRIVATE_KEY}]}}}
    assert _messages(c.plain_text_secrets, resource) == [
        "manifest.data..env holds a private key in plain text",
        "manifest.data.list[1].k holds a private key in plain text",
    ]
    assert _messages(c.plain_text_secrets, {"//": {"note": PRIVATE_KEY}}) == []
    assert _messages(c.plain_text_secrets, {"keys": [PRIVATE_KEY]}) == ["keys[0] holds a private key in plain text"]


def test_sensitive_helm_values_must_be_references() -> None:
    resource = {"set_sensitive": [{"name": "a", "value": "${data.secret.s}"}, {"name": "b", "value": "hunter2"}, "x"]}
    assert _messages(c.plain_text_secrets, resource) == ["set_sensitive b is a literal in the Terraform JSON"]


# --- network ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "open_"),
    [
        ({"allow": [{"protocol": "tcp"}], "source_ranges": ["0.0.0.0/0"]}, True),
        ({"direction": "INGRESS", "allow": [{"protocol": "tcp"}], "source_ranges": ["0.0.0.0/0"]}, True),
        ({"direction": "EGRESS", "allow": [{"protocol": "tcp"}], "source_ranges": ["0.0.0.0/0"]}, False),
        ({"direction": "EGRESS", "allow": [{"protocol": "tcp"}], "destination_ranges": ["0.0.0.0/0"]}, False),
        ({"deny": [{"protocol": "all"}], "source_ranges": ["0.0.0.0/0"]}, False),
        ({"allow": [], "source_ranges": ["0.0.0.0/0"]}, False),
    ],
)
def test_only_ingress_allow_rules_can_open_the_nodes(rule: dict, open_: bool) -> None:
    assert bool(_messages(c.open_firewall, rule)) is open_
    iap = {**rule, "source_ranges": [c.IAP_TCP_FORWARDING_RANGE]}
    assert bool(_messages(c.iap_tcp_forwarding, iap)) is open_


@pytest.mark.parametrize("sampling", [0.5, 0.75, 1, 1.0])
def test_flow_logs_at_or_above_the_floor_pass(sampling) -> None:
    logs = {"flow_sampling": sampling, "aggregation_interval": "INTERVAL_5_SEC", "metadata": "INCLUDE_ALL_METADATA"}
    assert _messages(c.flow_logs, {"log_config": logs}) == []
    assert _messages(c.flow_logs, {"log_config": [logs]}) == []


def test_flow_log_findings_name_the_values() -> None:
    logs = {"flow_sampling": True, "aggregation_interval": "INTERVAL_1_MIN", "metadata": "CUSTOM_METADATA"}
    assert _messages(c.flow_logs, {"log_config": logs}) == [
        "log_config.flow_sampling True records fewer than 0.5 of flows",
        "log_config.aggregation_interval INTERVAL_1_MIN is coarser than INTERVAL_5_SEC",
        "log_config.metadata CUSTOM_METADATA leaves out metadata",
    ]
    assert _messages(c.flow_logs, {}) == ["log_config is missing: no flow logs"]


def test_nat_logging_findings() -> None:
    assert _messages(c.nat_logging, {"log_config": {"enable": True, "filter": "ALL"}}) == []
    assert _messages(c.nat_logging, {"log_config": {"enable": True, "filter": "ERRORS_ONLY"}}) == [
        "log_config.filter is ERRORS_ONLY, not ALL: translations go unrecorded"
    ]
    assert _messages(c.nat_logging, {"log_config": {"enable": "true", "filter": "ALL"}}) == [
        "log_config.enable is not true: Cloud NAT does not log"
    ]


# --- exposure --------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "weak"), [("TLS_1_2", False), ("TLS_1_3", False), ("TLS_1_1", True),
                                               (None, True), ("SSL_3_0", True)])  # fmt: skip
def test_tls_1_2_and_newer_pass(version, weak: bool) -> None:
    policy = {"profile": "RESTRICTED", "min_tls_version": version}
    assert _messages(c.tls_policy, policy) == ([f"min_tls_version is {version}, older than TLS_1_2"] if weak else [])


def test_a_weaker_tls_profile_is_named() -> None:
    assert _messages(c.tls_policy, {"profile": "MODERN", "min_tls_version": "TLS_1_2"}) == [
        "profile is MODERN, weaker than RESTRICTED"
    ]


ARMOR = {
    "rule": [
        {"action": "allow", "match": {"config": {"src_ip_ranges": ["203.0.113.0/24"]}}},
        {"action": "throttle", "match": [{"config": [{"src_ip_ranges": ["198.51.100.0/24"]}]}],
         "rate_limit_options": {"rate_limit_threshold": {"count": 100, "interval_sec": 10}}},
        {"action": "rate_based_ban", "match": {"config": {"src_ip_ranges": ["192.0.2.0/24"]}},
         "rate_limit_options": [{"rate_limit_threshold": [{"count": 30, "interval_sec": 60}]}]},
        {"action": "deny(403)", "match": {"config": {"src_ip_ranges": ["*"]}},
         "rate_limit_options": {"rate_limit_threshold": {"count": 1000, "interval_sec": 1}}},
        {"action": "allow", "match": {"expr": {"expression": "true"}}},
        "not a rule",
    ]
}  # fmt: skip


def test_cloud_armor_admits_the_ranges_of_its_allow_and_throttle_rules() -> None:
    assert c.armor_admitted_ranges(ARMOR) == ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"]
    assert c.armor_admitted_ranges({}) == [] and c.armor_admitted_ranges({"rule": None}) == []


def test_cloud_armor_rate_is_the_most_a_client_gets_per_minute() -> None:
    """Requests per minute per client before throttling: the largest of the rules' limits."""
    assert c.armor_rate_limit(ARMOR) == 60000
    assert c.armor_rate_limit({"rule": ARMOR["rule"][1:3]}) == 600
    assert c.armor_rate_limit({"rule": [ARMOR["rule"][2]]}) == 30
    incomplete = {"rate_limit_options": {"rate_limit_threshold": {"count": 100}}}
    assert c.armor_rate_limit({"rule": [incomplete, "x"]}) is None
    assert c.armor_rate_limit({"rule": [{"action": "allow"}]}) is None and c.armor_rate_limit({}) is None


# --- images and keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "weak"), [("ALWAYS_DENY", False), ("REQUIRE_ATTESTATION", False), ("ALWAYS_ALLOW", True), (None, True)]
)
def test_admission_requires_attestation_or_denies(mode, weak: bool) -> None:
    rule = {"evaluation_mode": mode, "enforcement_mode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}
    found = _messages(c.admission_policy, {"default_admission_rule": rule})
    assert found == ([f"default_admission_rule.evaluation_mode is {mode}: unlisted images run"] if weak else [])


@pytest.mark.parametrize(("period", "weak"), [("2592000s", False), ("7776000s", False), ("86400s", False),
                                              ("7776001s", True), (None, True), ("", True), ("90d", True)])  # fmt: skip
def test_keys_rotating_within_90_days_pass(period, weak: bool) -> None:
    key = {"rotation_period": period, "lifecycle": {"prevent_destroy": True}}
    assert _messages(c.key_rotation, key) == ([f"rotation_period {period or 'unset'} exceeds 90 days"] if weak else [])


# --- chart images ------------------------------------------------------------------------------


def test_chart_images_are_read_from_every_level_of_the_values_and_only_where_a_repository_is_named() -> None:
    values = """
image: {repository: quay.io/kuberay/operator, tag: v1.7.0}
sidecars:
  - image: {repository: docker.io/library/busybox, digest: "sha256:abc"}
  - [{repository: ghcr.io/x/y, tag: "1"}]
notAnImage: {tag: "2"}
alsoNot: {repository: quay.io/x/z}
"""
    assert c.chart_images({"values": [values]}) == [
        "quay.io/kuberay/operator:v1.7.0",
        "docker.io/library/busybox@sha256:abc",
        "ghcr.io/x/y:1",
    ]


def test_chart_values_that_are_references_or_not_text_hold_no_image() -> None:
    assert c.chart_images({"values": ["${file(values.yaml)}", None, 7]}) == []
    assert c.chart_images({}) == []


# --- internet egress ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "deny"),
    [
        ({"direction": "EGRESS", "deny": [{"protocol": "all"}]}, True),
        ({"direction": "INGRESS", "deny": [{"protocol": "all"}]}, False),
        ({"direction": "EGRESS", "allow": [{"protocol": "tcp"}]}, False),
        ({"direction": "EGRESS", "deny": []}, False),
        ({"deny": [{"protocol": "all"}]}, False),  # a firewall rule is INGRESS unless it says otherwise
    ],
)
def test_the_default_deny_egress_rule_is_an_egress_rule_that_denies(rule: dict, deny: bool) -> None:
    assert c.is_egress_deny(rule) is deny


FQDN_RULE = {
    "direction": "EGRESS",
    "action": "allow",
    "enable_logging": True,
    "match": {"dest_fqdns": ["pypi.org"], "layer4_configs": [{"ip_protocol": "tcp", "ports": ["443"]}]},
}


def _fqdn_rule(**layer4: object) -> dict:
    config = {**FQDN_RULE["match"]["layer4_configs"][0], **layer4}
    return {**FQDN_RULE, "match": {**FQDN_RULE["match"], "layer4_configs": [config]}}


@pytest.mark.parametrize(
    "layer4", [{"ip_protocol": "udp"}, {"ip_protocol": "all"}, {"ports": ["1-65535"]}, {"ports": ["443", "80"]},
               {"ports": ["80"]}, {"ports": []}],
)  # fmt: skip
def test_an_fqdn_rule_opening_more_than_tcp_443_fails(layer4: dict) -> None:
    assert _messages(c.fqdn_egress_rule, FQDN_RULE) == []
    (message,) = _messages(c.fqdn_egress_rule, _fqdn_rule(**layer4))
    assert message.startswith("match.layer4_configs ") and message.endswith(" open more than TCP 443")


@pytest.mark.parametrize(
    "other",
    [{"direction": "INGRESS"}, {"action": "deny"}, {"action": "goto_next"}, {"direction": None}, {"action": None}],
)
def test_rules_that_allow_no_egress_are_not_fqdn_rules(other: dict) -> None:
    wide = {**FQDN_RULE, "match": {"dest_ip_ranges": ["0.0.0.0/0"], "layer4_configs": [{"ip_protocol": "all"}]}}
    assert _messages(c.fqdn_egress_rule, wide)
    assert _messages(c.fqdn_egress_rule, {**wide, **other}) == []


# --- secrets under our key ---------------------------------------------------------------------

KEY = "${google_kms_crypto_key.secrets.id}"


def _replica(key: str | None = KEY) -> dict:
    return {"location": "europe-west1", "customer_managed_encryption": {"kms_key_name": key} if key else {}}


def test_every_replica_of_a_secret_is_under_our_key() -> None:
    both = {"replication": {"user_managed": {"replicas": [_replica(), _replica()]}}}
    assert _messages(c.secret_cmek, both) == [] and c.secret_replica_keys(both) == [KEY, KEY]
    one_without = {"replication": {"user_managed": {"replicas": [_replica(), _replica(None)]}}}
    assert _messages(c.secret_cmek, one_without) == [
        f"{c.SECRET_REPLICA_KEY} is not set: secret payloads use Google-managed keys"
    ]
    assert c.secret_replica_keys(one_without) is None
    single = {"replication": {"user_managed": {"replicas": _replica(None)}}}  # one replica, written as an object
    assert len(_messages(c.secret_cmek, single)) == 1
    assert _messages(c.secret_cmek, {"replication": {"user_managed": {"replicas": _replica()}}}) == []


def test_a_secret_without_replicas_or_automatic_without_our_key_fails() -> None:
    for nowhere in ({}, {"replication": {"user_managed": {"replicas": []}}}):
        assert _messages(c.secret_cmek, nowhere) == [f"{c.SECRET_REPLICA_KEY} is not set: secret payloads use "
                                                     "Google-managed keys"]  # fmt: skip
        assert c.secret_replica_keys(nowhere) is None
    auto = {"replication": {"auto": {"customer_managed_encryption": {"kms_key_name": KEY}}}}
    assert _messages(c.secret_cmek, auto) == [] and c.secret_replica_keys(auto) == [KEY]
    assert _messages(c.secret_cmek, {"replication": {"auto": {}}}) == [
        f"{c.SECRET_AUTO_KEY} is not set: secret payloads use Google-managed keys"
    ]


# --- audit retention ---------------------------------------------------------------------------

BUCKET = {"locked": True, "retention_days": c.AUDIT_RETENTION_DAYS, "cmek_settings": {"kms_key_name": KEY}}
SINK = {"destination": "logging.googleapis.com/projects/p/locations/europe-west1/buckets/audit"}


@pytest.mark.parametrize(("days", "kept"), [(400, True), (3650, True), (399, False), ("400", False), (None, False)])
def test_audit_retention_at_or_above_the_floor_passes(days: object, kept: bool) -> None:
    found = _messages(c.audit_retention, {**BUCKET, "retention_days": days})
    assert found == ([] if kept else [f"retention_days is {days}, below {c.AUDIT_RETENTION_DAYS}"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({}, None),
        ({"disabled": False}, None),
        ({"disabled": True}, "disabled is true: audit entries are no longer kept"),
        (
            {"destination": "storage.googleapis.com/audit"},
            "destination storage.googleapis.com/audit is not a log bucket",
        ),
        ({"destination": None}, "destination None is not a log bucket"),
    ],
)
def test_the_audit_sink_is_enabled_and_writes_to_a_log_bucket(change: dict, message: str | None) -> None:
    assert _messages(c.audit_sink, {**SINK, **change}) == ([message] if message else [])


def test_a_private_key_is_found_under_any_key_and_numbers_are_no_text() -> None:
    """Secret keys may start with '.' (.dockerconfigjson, .key): sorted before cdktf's "//", they are still read."""
    secret = {"manifest": {"kind": "ConfigMap", "data": {".key": PRIVATE_KEY}}}
    assert _messages(c.plain_text_secrets, secret) == ["manifest.data..key holds a private key in plain text"]
    assert _messages(c.plain_text_secrets, {"count": 3, "enabled": True, "ratio": 0.5}) == []
