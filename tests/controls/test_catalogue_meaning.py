"""What each catalogue setting means, written out by hand: this change lowers that control.

``test_review_diff.py`` derives its weaker values from each setting's own
comparator, so a setting given the wrong comparator (a flag compared as a mere
presence, a level order reversed) would test itself green. This table is written
independently of the catalogue: for each hardened attribute, a weaker value the
review must flag under the named control, and the way back it must not.
"""

from __future__ import annotations

from typing import Any

import pytest

from rayfort.controls import BY_ID, CONTROLS, value_at
from rayfort_tools.review.diff import attribute_changes

POOL, CLUSTER, FIREWALL, MANIFEST = (
    "google_container_node_pool",
    "google_container_cluster",
    "google_compute_firewall",
    "kubernetes_manifest",
)
NO = object()
"""The attribute is absent."""


def _at(path: str, value: Any, base: dict | None = None) -> dict:
    """A body with ``value`` at a dotted ``path`` (keys may contain dots when quoted in [brackets])."""
    body: dict[str, Any] = _copy(base or {})
    keys = _keys(path)
    node = body
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    if value is not NO:
        node[keys[-1]] = value
    return body


def _keys(path: str) -> list[str]:
    keys, rest = [], path
    while rest:
        if rest.startswith("["):
            key, _, rest = rest[1:].partition("]")
            rest = rest.removeprefix(".")
        else:
            key, _, rest = rest.partition(".")
        keys.append(key)
    return keys


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return list(map(_copy, value)) if isinstance(value, list) else value


def _kind(kind: str, **spec: Any) -> dict:
    return {"manifest": {"apiVersion": "v1", "kind": kind, "spec": {"type": "LoadBalancer"} | spec}}


LB = "manifest.metadata.annotations"
PSS = "manifest.metadata.labels.[pod-security.kubernetes.io/{}]"
ALLOW, DENY = {"allow": [{"protocol": "tcp"}]}, {"deny": [{"protocol": "all"}]}
SUBNET, NAT, SSL = "google_compute_subnetwork", "google_compute_router_nat", "google_compute_ssl_policy"
BINAUTHZ = "google_binary_authorization_policy"

# (control, resource type, attribute path, hardened, weaker, context body)
WEAKENINGS: list[tuple[str, str, str, Any, Any, dict]] = [
    ("RF001", POOL, "node_config.shielded_instance_config.enable_secure_boot", True, False, {}),
    ("RF001", POOL, "node_config.shielded_instance_config.enable_secure_boot", True, NO, {}),
    ("RF001", POOL, "node_config.shielded_instance_config.enable_integrity_monitoring", True, False, {}),
    ("RF001", CLUSTER, "node_config.shielded_instance_config.enable_secure_boot", True, "true", {}),
    ("RF001", CLUSTER, "node_config.shielded_instance_config.enable_integrity_monitoring", True, None, {}),
    ("RF001", CLUSTER, "enable_shielded_nodes", True, False, {}),
    ("RF001", CLUSTER, "enable_shielded_nodes", NO, False, {}),
    ("RF002", POOL, "node_config.boot_disk_kms_key", "${k.id}", NO, {}),
    ("RF002", CLUSTER, "node_config.boot_disk_kms_key", "${k.id}", "", {}),
    ("RF003", POOL, "node_config.confidential_nodes.enabled", True, False, {}),
    ("RF003", CLUSTER, "confidential_nodes.enabled", True, NO, {}),
    ("RF004", POOL, "node_config.workload_metadata_config.mode", "GKE_METADATA", "GCE_METADATA", {}),
    ("RF004", POOL, "node_config.workload_metadata_config.mode", "GKE_METADATA", "MODE_UNSPECIFIED", {}),
    ("RF004", POOL, "node_config.service_account", "${sa.email}", NO, {}),
    ("RF004", CLUSTER, "workload_identity_config.workload_pool", "p.svc.id.goog", NO, {}),
    ("RF005", CLUSTER, "private_cluster_config.enable_private_endpoint", True, False, {}),
    ("RF005", CLUSTER, "private_cluster_config.enable_private_nodes", True, NO, {}),
    ("RF010", MANIFEST, PSS.format("enforce"), "restricted", "baseline", _kind("Namespace")),
    ("RF010", MANIFEST, PSS.format("enforce"), "baseline", "privileged", _kind("Namespace")),
    ("RF010", MANIFEST, PSS.format("audit"), "restricted", NO, _kind("Namespace")),
    ("RF010", MANIFEST, PSS.format("warn"), "restricted", "privileged", _kind("Namespace")),
    ("RF011", MANIFEST, LB + ".[networking.gke.io/load-balancer-type]", "Internal", "External", _kind("Service")),
    ("RF011", MANIFEST, LB + ".[networking.gke.io/load-balancer-type]", "Internal", NO, _kind("Service")),
    ("RF013", MANIFEST, "manifest.spec.authOptions.mode", "token", "disabled", _kind("RayCluster")),
    ("RF013", MANIFEST, "manifest.spec.authOptions.mode", "token", NO, _kind("RayCluster")),
    ("RF017", FIREWALL, "source_ranges", ["10.0.0.0/8"], ["10.0.0.0/8", "0.0.0.0/0"], ALLOW),
    ("RF017", FIREWALL, "source_ranges", ["10.0.0.0/24"], ["10.0.0.0/23"], ALLOW),
    ("RF017", FIREWALL, "destination_ranges", ["10.0.0.0/24"], ["0.0.0.0/0"], ALLOW),
    ("RF017", FIREWALL, "source_ranges", ["0.0.0.0/0"], ["10.0.0.0/8"], DENY),
    ("RF018", FIREWALL, "log_config.metadata", "INCLUDE_ALL_METADATA", NO, ALLOW),
    ("RF019", "google_storage_bucket", "public_access_prevention", "enforced", "inherited", {}),
    ("RF019", "google_storage_bucket", "uniform_bucket_level_access", True, False, {}),
    ("RF019", "google_storage_bucket", "encryption.default_kms_key_name", "${k.id}", NO, {}),
    ("RF020", "google_kms_crypto_key", "rotation_period", "7776000s", "31536000s", {}),
    ("RF020", "google_kms_crypto_key", "rotation_period", "7776000s", NO, {}),
    ("RF020", "google_kms_crypto_key", "lifecycle.prevent_destroy", True, False, {}),
    ("RF021", "google_access_context_manager_service_perimeter", "status", {"restricted_services": ["x"]}, NO, {}),
    ("RF023", CLUSTER, "master_authorized_networks_config.gcp_public_cidrs_access_enabled", False, True, {}),
    ("RF023", CLUSTER, "control_plane_endpoints_config.dns_endpoint_config.allow_external_traffic", NO, True, {}),
    ("RF024", MANIFEST, "manifest.spec.loadBalancerSourceRanges", ["10.0.0.0/24"], ["0.0.0.0/0"], _kind("Service")),
    ("RF024", MANIFEST, LB + ".[" + "networking.gke.io/internal-load-balancer-allow-global-access]", "false", "true",
     _kind("Service")),
    ("RF025", BINAUTHZ, "default_admission_rule.evaluation_mode", "ALWAYS_DENY", "REQUIRE_ATTESTATION", {}),
    ("RF025", BINAUTHZ, "default_admission_rule.evaluation_mode", "REQUIRE_ATTESTATION", "ALWAYS_ALLOW", {}),
    ("RF025", BINAUTHZ, "default_admission_rule.enforcement_mode", "ENFORCED_BLOCK_AND_AUDIT_LOG",
     "DRYRUN_AUDIT_LOG_ONLY", {}),
    ("RF025", BINAUTHZ, "global_policy_evaluation_mode", "ENABLE", "DISABLE", {}),
    ("RF025", CLUSTER, "binary_authorization.evaluation_mode", "PROJECT_SINGLETON_POLICY_ENFORCE", "DISABLED", {}),
    ("RF026", "helm_release", "version", "1.7.0", NO, {}),
    ("RF027", SSL, "profile", "RESTRICTED", "MODERN", {}),
    ("RF027", SSL, "profile", "MODERN", "COMPATIBLE", {}),
    ("RF027", SSL, "min_tls_version", "TLS_1_2", "TLS_1_0", {}),
    ("RF027", SSL, "min_tls_version", "TLS_1_3", "TLS_1_2", {}),
    ("RF028", MANIFEST, "manifest.spec.securityPolicy.name", "armor", NO, _kind("BackendConfig")),
    ("RF028", MANIFEST, "manifest.spec.default.securityPolicy", "armor", NO, _kind("GCPBackendPolicy")),
    ("RF029", SUBNET, "log_config", {"flow_sampling": 0.5}, NO, {}),
    ("RF029", SUBNET, "log_config.flow_sampling", 0.5, 0.25, {}),
    ("RF029", SUBNET, "log_config.aggregation_interval", "INTERVAL_5_SEC", "INTERVAL_30_SEC", {}),
    ("RF029", SUBNET, "log_config.aggregation_interval", "INTERVAL_10_MIN", "INTERVAL_15_MIN", {}),
    ("RF029", SUBNET, "log_config.metadata", "INCLUDE_ALL_METADATA", "CUSTOM_METADATA", {}),
    ("RF029", SUBNET, "log_config.metadata", "CUSTOM_METADATA", "EXCLUDE_ALL_METADATA", {}),
    ("RF030", NAT, "log_config.enable", True, False, {}),
    ("RF030", NAT, "log_config.filter", "ALL", "TRANSLATIONS_ONLY", {}),
    ("RF030", NAT, "log_config.filter", "TRANSLATIONS_ONLY", "ERRORS_ONLY", {}),
    ("RF032", MANIFEST, "manifest.spec.hard.[requests.cpu]", "4", "8", _kind("ResourceQuota")),
    ("RF032", MANIFEST, "manifest.spec.hard.[limits.cpu]", "4", "4001m", _kind("ResourceQuota")),
    ("RF032", MANIFEST, "manifest.spec.hard.[requests.memory]", "8Gi", NO, _kind("ResourceQuota")),
    ("RF032", MANIFEST, "manifest.spec.hard.[limits.memory]", "8Gi", "9Gi", _kind("ResourceQuota")),
    ("RF032", MANIFEST, "manifest.spec.hard.[requests.nvidia.com/gpu]", "1", NO, _kind("ResourceQuota")),
    ("RF032", MANIFEST, "manifest.spec.hard.pods", "10", "11", _kind("ResourceQuota")),
    ("RF033", CLUSTER, "database_encryption.state", "ENCRYPTED", "DECRYPTED", {}),
    ("RF033", CLUSTER, "database_encryption.key_name", "${k.id}", NO, {}),
    ("RF033", "google_artifact_registry_repository", "kms_key_name", "${k.id}", NO, {}),
    ("RF033", "google_redis_instance", "customer_managed_key", "${k.id}", NO, {}),
    ("RF034", POOL, "node_config.metadata.enable-oslogin", "true", "false", {}),
    ("RF034", POOL, "node_config.metadata.enable-oslogin", NO, "FALSE", {}),
    ("RF035", CLUSTER, "enable_legacy_abac", False, True, {}),
    ("RF035", CLUSTER, "enable_legacy_abac", NO, True, {}),
    ("RF035", CLUSTER, "master_auth.client_certificate_config.issue_client_certificate", False, True, {}),
    ("RF036", CLUSTER, "deletion_protection", True, False, {}),
    ("RF036", CLUSTER, "deletion_protection", NO, False, {}),
    ("RF036", CLUSTER, "logging_config.enable_components", ["WORKLOADS"], [], {}),
    ("RF037", "google_redis_instance", "auth_enabled", True, False, {}),
    ("RF037", "google_redis_instance", "transit_encryption_mode", "SERVER_AUTHENTICATION", "DISABLED", {}),
    ("RF038", SUBNET, "private_ip_google_access", True, False, {}),
    ("RF040", POOL, "node_config.kubelet_config.insecure_kubelet_readonly_port_enabled", "FALSE", "TRUE", {}),
    ("RF040", CLUSTER, "node_config.kubelet_config.insecure_kubelet_readonly_port_enabled", "FALSE", NO, {}),
    ("RF041", CLUSTER, "release_channel.channel", "STABLE", "RAPID", {}),
    ("RF041", CLUSTER, "release_channel.channel", "REGULAR", "UNSPECIFIED", {}),
    ("RF042", MANIFEST, "manifest.spec.iap.enabled", True, False, _kind("BackendConfig")),
    ("RF042", MANIFEST, "manifest.spec.default.iap.enabled", True, NO, _kind("GCPBackendPolicy")),
    ("RF043", "google_logging_project_bucket_config", "locked", True, False, {}),
    ("RF043", "google_logging_project_bucket_config", "retention_days", 400, 30, {}),
    ("RF043", "google_logging_project_bucket_config", "cmek_settings.kms_key_name", "${google_kms_crypto_key.k.id}",
     NO, {}),
    ("RF043", "google_logging_project_sink", "disabled", False, True, {}),
    ("RF043", "google_logging_project_sink", "filter", 'logName:"cloudaudit.googleapis.com"', NO, {}),
    ("RF045", FIREWALL, "destination_ranges", ["0.0.0.0/0"], ["10.0.0.0/8"], {"direction": "EGRESS"} | DENY),
    ("RF046", "google_compute_network_firewall_policy_rule", "match.dest_ip_ranges", ["10.0.0.0/24"],
     ["10.0.0.0/24", "0.0.0.0/0"], {}),
    ("RF049", POOL, "node_config.sandbox_config.sandbox_type", "gvisor", NO, {}),
    ("RF049", POOL, "node_config.sandbox_config.sandbox_type", "gvisor", None, {}),
]  # fmt: skip


def _flagged(resource_type: str, old: dict, new: dict) -> set[tuple[str | None, str]]:
    return {(a.control, a.path) for a in attribute_changes(resource_type, old, new) if a.weakens}


def _ids(case: tuple) -> str:
    """Stable ids (xdist's workers must collect the same ones): an absent value is "missing", not NO's address."""
    control, resource_type, path, hardened, weaker, _ = case
    hardened, weaker = ("missing" if value is NO else value for value in (hardened, weaker))
    return f"{control}-{resource_type.removeprefix('google_')}-{path}-{hardened}->{weaker}"


@pytest.mark.parametrize("case", WEAKENINGS, ids=_ids)
def test_the_weaker_value_is_reported_under_its_control(case: tuple) -> None:
    control, resource_type, path, hardened, weaker, context = case
    old, new = _at(path, hardened, context), _at(path, weaker, context)
    flagged = _flagged(resource_type, old, new)
    assert any(c == control for c, _ in flagged), flagged
    assert (control, ".".join(_keys(path))) in flagged, flagged


@pytest.mark.parametrize("case", WEAKENINGS, ids=_ids)
def test_the_way_back_is_not_a_weakening_of_that_control(case: tuple) -> None:
    control, resource_type, path, hardened, weaker, context = case
    flagged = _flagged(resource_type, _at(path, weaker, context), _at(path, hardened, context))
    assert (control, ".".join(_keys(path))) not in flagged, flagged


def test_every_setting_without_a_computed_value_has_a_hand_written_weakening() -> None:
    written = {(control, resource_type, ".".join(_keys(path))) for control, resource_type, path, *_ in WEAKENINGS}
    settings = {
        (control.id, setting.resource_type, setting.attribute)
        for control in CONTROLS
        for setting in control.settings
        if setting.extract is None
    }
    assert settings <= written, sorted(settings - written)


def test_a_setting_reads_its_value_through_blocks_written_as_lists() -> None:
    body = {"node_config": [{"shielded_instance_config": [{"enable_secure_boot": True}]}]}
    assert value_at(body, ("node_config", "shielded_instance_config", "enable_secure_boot")) is True
    assert value_at({"a": [{"b": 1}, {"b": 2}]}, ("a", "b")) is None
    assert value_at({"a": {"b": None}}, ("a", "b", "c")) is None and value_at({"a": 1}, ("a",)) == 1
    assert value_at({"a": "text"}, ("a", "b")) is None and value_at(None, ("a",)) is None


def test_presence_weakenings_are_what_the_catalogue_says() -> None:
    """Adding an allow rule or a key, removing a deny rule, a quota or the perimeter: each names its control."""
    from rayfort_tools.review.diff import _presence

    assert _presence(FIREWALL, ALLOW | {"source_ranges": ["10.0.0.0/8"]}, "added")[1] == "RF017"
    assert _presence(FIREWALL, ALLOW | {"source_ranges": ["35.235.240.0/20"]}, "added")[1] == "RF031"
    assert _presence(FIREWALL, DENY | {"source_ranges": ["0.0.0.0/0"]}, "added") is None
    assert _presence(FIREWALL, DENY | {"source_ranges": ["0.0.0.0/0"]}, "removed")[1] == "RF017"
    assert _presence(FIREWALL, ALLOW | {"source_ranges": ["10.0.0.0/8"]}, "removed") is None
    assert _presence("google_service_account_key", {}, "added")[1] == "RF016"
    assert _presence("google_service_account_key", {}, "removed") is None
    assert _presence("google_project_iam_member", {"role": "roles/storage.admin"}, "added")[1] == "RF014"
    assert _presence("google_project_iam_member", {"role": "roles/logging.logWriter"}, "added") is None
    assert _presence(MANIFEST, _kind("ResourceQuota"), "removed")[1] == "RF032"
    assert _presence(MANIFEST, _kind("NetworkPolicy"), "removed")[1] == "RF039"
    assert _presence(MANIFEST, _kind("NetworkPolicy"), "added")[1] == "RF039"
    assert _presence("google_binary_authorization_policy", {}, "removed")[1] == "RF025"
    assert _presence("google_compute_ssl_policy", {}, "removed")[1] == "RF027"
    assert _presence("google_access_context_manager_service_perimeter", {}, "removed")[1] == "RF021"
    sandbox = {"node_config": {"sandbox_config": {"sandbox_type": "gvisor"}}}
    assert _presence(POOL, sandbox, "removed")[1] == "RF049"
    assert (_presence(POOL, {"node_config": {}}, "removed") or ("", ""))[1] != "RF049"


def test_ratchet_controls_are_those_that_widen_above_their_floor() -> None:
    """A waiver of a ratchet control may stand while the control holds (the engine keeps it from going stale)."""
    ratchets = {control.id for control in CONTROLS if control.ratchet}
    assert {"RF017", "RF020", "RF021", "RF023", "RF024", "RF025", "RF028", "RF029", "RF032"} <= ratchets
    # Counts of violations (restricted pods, secrets, unpinned images) are floors, not ratchets.
    assert not {"RF001", "RF003", "RF010", "RF012", "RF013", "RF015", "RF018", "RF026", "RF027", "RF036"} & ratchets


def test_where_lists_each_place_once() -> None:
    for control in CONTROLS:
        assert len(control.where()) == len(set(control.where())), control.id
    assert BY_ID["RF016"].where() == ("google_service_account_key (added)",)
    assert (
        BY_ID["RF001"].where()[0]
        == "google_container_node_pool.node_config.shielded_instance_config.enable_secure_boot"
    )
    assert BY_ID["RF003"].resource_types == ("google_container_node_pool", "google_container_cluster")


def test_computed_values_count_and_collect_what_they_say() -> None:
    """The review shows these numbers (one secret in plain text, one image unpinned) and compares them."""
    secrets = next(s for s in BY_ID["RF015"].settings)
    assert secrets.value({"secret_data": "hunter2"}) == 1 and secrets.value({"secret_data": "${r}"}) == 0
    unpinned = next(s for s in BY_ID["RF026"].settings if s.extract is not None)
    pod = {"manifest": {"kind": "Pod", "spec": {"containers": [{"image": "r:latest"}, {"image": "r:1.0.0"}]}}}
    assert unpinned.value(pod) == 1
    levels = next(s for s in BY_ID["RF021"].settings if s.extract is not None)
    level = {"basic": {"conditions": [{"ip_subnetworks": ["10.0.0.0/8"]}, {"members": ["user:a@example.com"]}]}}
    assert levels.value(level) == ["10.0.0.0/8"]
    wider = {"basic": {"conditions": [{"ip_subnetworks": ["10.0.0.0/8", "0.0.0.0/0"]}]}}
    flagged = attribute_changes("google_access_context_manager_access_level", level, wider)
    assert any(a.control == "RF021" and a.weakens for a in flagged)


def test_catalogue_entries_are_immutable() -> None:
    import dataclasses

    control = BY_ID["RF001"]
    for value in (control, control.settings[0], BY_ID["RF016"].presence[0]):
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.meaning = "anything"  # type: ignore[misc]


def test_value_at_an_empty_list_is_absent() -> None:
    assert value_at({"a": []}, ("a", "b")) is None and value_at({"a": [[1]]}, ("a", "b")) is None


def test_egress_rules_are_claimed_by_the_egress_controls_only() -> None:
    """Removing the default-deny egress rule is RF045's, not RF017's (ingress); adding an FQDN allow is RF046's."""
    from rayfort_tools.review.diff import _presence

    egress_deny = DENY | {"direction": "EGRESS", "destination_ranges": ["0.0.0.0/0"]}
    assert _presence(FIREWALL, egress_deny, "removed")[1] == "RF045"
    assert _presence(FIREWALL, DENY | {"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"]}, "removed")[1] == "RF017"
    rule = "google_compute_network_firewall_policy_rule"
    fqdn = {"direction": "EGRESS", "action": "allow", "match": {"dest_fqdns": ["pypi.org"]}}
    assert _presence(rule, fqdn, "added")[1] == "RF046"
    for action in ("deny", "goto_next", "apply_security_profile_group"):
        assert _presence(rule, {**fqdn, "action": action}, "added") is None, action


def test_unpinned_chart_images_are_counted_one_each() -> None:
    unpinned = next(s for s in BY_ID["RF026"].settings if s.resource_type == "helm_release" and s.extract)
    values = "\n".join(
        ("image: {repository: quay.io/a, tag: latest}", "b: {repository: quay.io/b, tag: v1.7.0}", "c: {repository: x}")
    )
    assert unpinned.value({"values": [values]}) == 1
    assert unpinned.value({"values": [values + "\nd: {repository: quay.io/d, tag: main}"]}) == 2
    assert unpinned.value({"values": ["b: {repository: quay.io/b, tag: v1.7.0}"]}) == 0


def test_only_confidential_nodes_take_waivers_that_name_tenants() -> None:
    """A waived RF003 pool admits only the tenants its waiver names; no other control places tenants."""
    assert [control.id for control in CONTROLS if control.waiver_names_tenants] == ["RF003"]
