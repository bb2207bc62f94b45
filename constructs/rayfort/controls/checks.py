"""Resource checks: why one synthesized resource falls below its control's floor, or nothing.

Checks read resources as Terraform receives them (``cdk.tf.json``), so they see
the construct library's output, not its intentions. References to other
resources are opaque tokens and count as "set". Every message starts with the
attribute it is about, which is how the org-policy guardrails select findings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from rayfort.controls.compare import (
    Levels,
    beyond,
    covers,
    internet_wide,
    is_reference,
    seconds,
)
from rayfort.exposure.load_balancer_rules import load_balancer_problems
from rayfort.k8s.pod_security import check_object, pod_templates

Resource = dict[str, Any]
Check = Callable[[Resource], Iterator[str]]

_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
DEFAULT_COMPUTE_ACCOUNT = "-compute@developer.gserviceaccount.com"
IAP_TCP_FORWARDING_RANGE = "35.235.240.0/20"
GLOBAL_ACCESS = "networking.gke.io/internal-load-balancer-allow-global-access"
MAX_ROTATION_SECONDS = 90 * 86_400

SSL_PROFILES = Levels(("COMPATIBLE", "MODERN", "RESTRICTED"))
TLS_VERSIONS = Levels(("TLS_1_0", "TLS_1_1", "TLS_1_2", "TLS_1_3"))
FLOW_INTERVALS = Levels(
    ("INTERVAL_15_MIN", "INTERVAL_10_MIN", "INTERVAL_5_MIN", "INTERVAL_1_MIN", "INTERVAL_30_SEC", "INTERVAL_5_SEC")
)
FLOW_METADATA = Levels(("EXCLUDE_ALL_METADATA", "CUSTOM_METADATA", "INCLUDE_ALL_METADATA"))
NAT_LOG_FILTERS = Levels(("ERRORS_ONLY", "TRANSLATIONS_ONLY", "ALL"))
POD_SECURITY_LEVELS = Levels(("privileged", "baseline", "restricted"))
RAY_AUTH_MODES = Levels(("disabled", "token"))
ADMISSION_MODES = Levels(("ALWAYS_ALLOW", "REQUIRE_ATTESTATION", "ALWAYS_DENY"))
ENFORCEMENT_MODES = Levels(("DRYRUN_AUDIT_LOG_ONLY", "ENFORCED_BLOCK_AND_AUDIT_LOG"))
BINAUTHZ_CLUSTER_MODES = Levels(("DISABLED", "PROJECT_SINGLETON_POLICY_ENFORCE"))
DATABASE_ENCRYPTION = Levels(("DECRYPTED", "ENCRYPTED"))
BUCKET_PUBLIC_ACCESS = Levels(("inherited", "enforced"))
REDIS_TRANSIT = Levels(("DISABLED", "SERVER_AUTHENTICATION"))
# The floor of each flow-log setting: rayfort's hardened default.
FLOW_SAMPLING_FLOOR = 0.5


def block(value: Any) -> dict[str, Any]:
    """A nested block as a dict, whether synthesized as an object or a one-item list."""
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}


def manifest(resource: Resource) -> dict[str, Any]:
    found = resource.get("manifest")
    return found if isinstance(found, dict) else {}


def kind(*kinds: str) -> Callable[[Resource], bool]:
    return lambda resource: manifest(resource).get("kind") in kinds


def has_pods(resource: Resource) -> bool:
    return any(True for _ in pod_templates(manifest(resource)))


def has_node_config(resource: Resource) -> bool:
    """Node pools always; clusters unless Autopilot manages their nodes (a missing block is a violation)."""
    return "node_config" in resource or resource.get("enable_autopilot") is not True


def is_load_balancer_service(resource: Resource) -> bool:
    body = manifest(resource)
    return body.get("kind") == "Service" and (body.get("spec") or {}).get("type") == "LoadBalancer"


# --- nodes ------------------------------------------------------------------------------------


def secure_boot(resource: Resource) -> Iterator[str]:
    config = block(resource.get("node_config"))
    shielded = block(config.get("shielded_instance_config"))
    if shielded.get("enable_secure_boot") is not True:
        yield "node_config.shielded_instance_config.enable_secure_boot is not true"
    if shielded.get("enable_integrity_monitoring") is not True:
        yield "node_config.shielded_instance_config.enable_integrity_monitoring is not true"
    if resource.get("enable_shielded_nodes") is False:
        yield "enable_shielded_nodes is false"


def boot_disk_cmek(resource: Resource) -> Iterator[str]:
    if not block(resource.get("node_config")).get("boot_disk_kms_key"):
        yield "node_config.boot_disk_kms_key is not set: boot disks would use Google-managed keys"


def confidential_nodes(resource: Resource) -> Iterator[str]:
    if block(resource.get("confidential_nodes")).get("enabled") is True:
        return
    if block(block(resource.get("node_config")).get("confidential_nodes")).get("enabled") is not True:
        yield "node_config.confidential_nodes.enabled is not true: node memory is not encrypted in use"


def node_identity(resource: Resource) -> Iterator[str]:
    config = block(resource.get("node_config"))
    account = config.get("service_account")
    if not account or (isinstance(account, str) and account.endswith(DEFAULT_COMPUTE_ACCOUNT)):
        yield "node_config.service_account is missing or the Compute Engine default account"
    if block(config.get("workload_metadata_config")).get("mode") != "GKE_METADATA":
        yield "node_config.workload_metadata_config.mode is not GKE_METADATA: pods could read node credentials"


def os_login(resource: Resource) -> Iterator[str]:
    metadata = block(block(resource.get("node_config")).get("metadata"))
    value = str(metadata.get("enable-oslogin", "true")).lower()
    if value != "true":
        yield f"node_config.metadata.enable-oslogin is {value}: SSH keys in metadata bypass IAM"


def kubelet_read_only_port(resource: Resource) -> Iterator[str]:
    kubelet = block(block(resource.get("node_config")).get("kubelet_config"))
    value = str(kubelet.get("insecure_kubelet_readonly_port_enabled", "unset")).upper()
    if value != "FALSE":
        yield f"node_config.kubelet_config.insecure_kubelet_readonly_port_enabled is {value}, not FALSE"


# --- the cluster ------------------------------------------------------------------------------


def private_cluster(resource: Resource) -> Iterator[str]:
    private = block(resource.get("private_cluster_config"))
    if private.get("enable_private_nodes") is not True:
        yield "private_cluster_config.enable_private_nodes is not true"
    if private.get("enable_private_endpoint") is not True:
        yield "private_cluster_config.enable_private_endpoint is not true"


def authorized_networks(resource: Resource) -> Iterator[str]:
    config = block(resource.get("master_authorized_networks_config"))
    cidrs = [b.get("cidr_block") for b in config.get("cidr_blocks") or [] if isinstance(b, dict)]
    if internet_wide(cidrs):
        yield f"master_authorized_networks_config.cidr_blocks {cidrs} admit the internet at large"
    if config.get("gcp_public_cidrs_access_enabled") is True:
        yield "master_authorized_networks_config.gcp_public_cidrs_access_enabled is true: any Google VM reaches it"


def iam_only_access(resource: Resource) -> Iterator[str]:
    if resource.get("enable_legacy_abac") is True:
        yield "enable_legacy_abac is true: legacy ABAC grants broad access"
    issue = block(block(resource.get("master_auth")).get("client_certificate_config")).get("issue_client_certificate")
    if issue is True:
        yield "master_auth.client_certificate_config.issue_client_certificate is true: long-lived client certificates"


RELEASE_CHANNELS = Levels(("UNSPECIFIED", "RAPID", "REGULAR", "STABLE"))


def release_channel(resource: Resource) -> Iterator[str]:
    channel = block(resource.get("release_channel")).get("channel")
    if channel not in ("REGULAR", "STABLE"):
        yield f"release_channel.channel is {channel or 'unset'}: no steady security patch cadence"


def cluster_protected(resource: Resource) -> Iterator[str]:
    if resource.get("deletion_protection") is False:
        yield "deletion_protection is false: the cluster can be destroyed by one apply"
    if not block(resource.get("logging_config")).get("enable_components"):
        yield "logging_config.enable_components is empty: the cluster's logs are off"


def workload_identity(resource: Resource) -> Iterator[str]:
    if not block(resource.get("workload_identity_config")).get("workload_pool"):
        yield "workload_identity_config.workload_pool is not set: pods fall back to the node's identity"


# --- Kubernetes objects -----------------------------------------------------------------------


def pod_security_labels(resource: Resource) -> Iterator[str]:
    labels = (manifest(resource).get("metadata") or {}).get("labels") or {}
    for mode in ("enforce", "audit", "warn"):
        if labels.get(f"pod-security.kubernetes.io/{mode}") != "restricted":
            yield f"metadata.labels.pod-security.kubernetes.io/{mode} is not restricted"
        if not labels.get(f"pod-security.kubernetes.io/{mode}-version"):
            yield f"metadata.labels.pod-security.kubernetes.io/{mode}-version is not pinned"


def internal_load_balancer(resource: Resource) -> Iterator[str]:
    yield from load_balancer_problems(manifest(resource))


def load_balancer_sources(resource: Resource) -> Iterator[str]:
    body = manifest(resource)
    ranges = (body.get("spec") or {}).get("loadBalancerSourceRanges")
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    where = " from every region (global access)" if str(annotations.get(GLOBAL_ACCESS)).lower() == "true" else ""
    if not ranges:
        yield f"spec.loadBalancerSourceRanges is empty: every address that reaches the VPC is admitted{where}"
    elif internet_wide(ranges):
        yield f"spec.loadBalancerSourceRanges {ranges} admit the internet at large{where}"


def restricted_pods(resource: Resource) -> Iterator[str]:
    for violation in check_object(manifest(resource)):
        yield f"{violation.path}: {violation.message}"


def ray_token_auth(resource: Resource) -> Iterator[str]:
    body = manifest(resource)
    if str(body.get("apiVersion", "")).startswith("ray.io/"):
        mode = ((body.get("spec") or {}).get("authOptions") or {}).get("mode")
        if mode != "token":
            yield f"spec.authOptions.mode is {mode or 'unset'}, not token: anyone who reaches the head can run code"


# An explicit release: major.minor.patch, optionally v-prefixed and suffixed (2.52.1-py311, v1.7.0).
# A partial version (2.52, 2) or a channel (latest, nightly, stable) is a floating tag.
_VERSION_TAG = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+([-_.+][0-9A-Za-z][-_.+0-9A-Za-z]*)?$")
_FLOATING_WORDS = re.compile(r"latest|nightly|stable|edge|dev|snapshot", re.IGNORECASE)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_pinned(image: Any) -> bool:
    """An image named by digest, or by an explicit release version (never latest or a floating tag)."""
    if not isinstance(image, str) or is_reference(image):
        return isinstance(image, str)
    if _DIGEST.search(image):
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and bool(_VERSION_TAG.match(tag)) and not _FLOATING_WORDS.search(tag)


def images(resource: Resource) -> list[str]:
    found = []
    for _, spec in pod_templates(manifest(resource)):
        for kind_ in ("initContainers", "containers"):
            # KubeRay injects its autoscaler without an image: it runs the head's.
            found += [c["image"] for c in spec.get(kind_) or [] if isinstance(c, dict) and c.get("image") is not None]
    return found


def pinned_images(resource: Resource) -> Iterator[str]:
    for image in dict.fromkeys(images(resource)):
        if not image_pinned(image):
            yield f"image {image} is not pinned (a digest or an explicit release version such as 2.52.1-py311)"


def chart_images(resource: Resource) -> list[str]:
    """Images a Helm release's values name as {repository, tag}; digests count as the tag."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("repository"), str) and ("tag" in node or "digest" in node):
                digest = node.get("digest")
                found.append(f"{node['repository']}@{digest}" if digest else f"{node['repository']}:{node.get('tag')}")
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for values in resource.get("values") or []:
        if isinstance(values, str) and not is_reference(values):
            walk(yaml.safe_load(values))
    return found


def pinned_chart(resource: Resource) -> Iterator[str]:
    if not resource.get("version"):
        yield "version is not set: the chart floats to its newest release"
    for image in dict.fromkeys(chart_images(resource)):
        if not image_pinned(image):
            yield f"values image {image} is not pinned (a digest or an explicit release version)"


def quota_bounds(resource: Resource) -> Iterator[str]:
    hard = (manifest(resource).get("spec") or {}).get("hard") or {}
    for key in ("requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "pods"):
        if key not in hard:
            yield f"spec.hard.{key} is not bounded"


# --- IAM and secrets --------------------------------------------------------------------------

# Roles that have a resource-level grant; granting them on the project gives every bucket, key or secret.
RESOURCE_SCOPED_ROLE_PREFIXES = (
    "roles/storage.",
    "roles/cloudkms.",
    "roles/secretmanager.",
    "roles/artifactregistry.",
    "roles/iam.serviceAccount",
    "roles/iam.workloadIdentityUser",
    "roles/pubsub.",
    "roles/bigquery.dataViewer",
    "roles/bigquery.dataEditor",
    "roles/redis.",
)


def project_level_grant(resource: Resource) -> Iterator[str]:
    role = resource.get("role", "")
    if isinstance(role, str) and role.startswith(RESOURCE_SCOPED_ROLE_PREFIXES):
        yield f"role {role} is granted on the whole project; grant it on the resource instead"


def _walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, child in value.items():
            if key != "//":
                yield from _walk_strings(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk_strings(child, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def plain_text_secrets(resource: Resource) -> Iterator[str]:
    # Every string of every resource is searched, in one pass over its JSON (JSON writes the header's
    # characters as they are); the paths are built only for a resource that holds a key.
    if _PRIVATE_KEY.search(json.dumps(resource, ensure_ascii=False)):
        for path, text in _walk_strings(resource):
            if _PRIVATE_KEY.search(text):
                yield f"{path} holds a private key in plain text"
    body = manifest(resource)
    if body.get("kind") == "Secret":
        for field in ("data", "stringData"):
            for key, value in (body.get(field) or {}).items():
                if not is_reference(value):
                    yield f"manifest.{field}.{key} is a literal Secret value in the Terraform JSON"
    for field in ("secret_data", "auth_string", "password", "private_key", "repository_password"):
        value = resource.get(field)
        if isinstance(value, str) and value and not is_reference(value):
            yield f"{field} is a literal in the Terraform JSON"
    for item in resource.get("set_sensitive") or []:
        if isinstance(item, dict) and not is_reference(item.get("value")):
            yield f"set_sensitive {item.get('name')} is a literal in the Terraform JSON"


def no_key_resources(resource: Resource) -> Iterator[str]:
    yield "(resource) service account keys are long-lived credentials; use Workload Identity"


# --- network ----------------------------------------------------------------------------------


def _allows_ingress(resource: Resource) -> bool:
    return resource.get("direction", "INGRESS") == "INGRESS" and bool(resource.get("allow"))


def open_firewall(resource: Resource) -> Iterator[str]:
    sources = resource.get("source_ranges") or []
    if _allows_ingress(resource) and internet_wide(sources):
        yield f"source_ranges {sources} admit the internet at large to an allow rule"


def iap_tcp_forwarding(resource: Resource) -> Iterator[str]:
    sources = resource.get("source_ranges") or []
    if _allows_ingress(resource) and any(covers(source, IAP_TCP_FORWARDING_RANGE) for source in sources):
        yield f"source_ranges admit IAP TCP forwarding ({IAP_TCP_FORWARDING_RANGE}): a path to the nodes' ports"


def is_egress_deny(resource: Resource) -> bool:
    return resource.get("direction") == "EGRESS" and bool(resource.get("deny"))


def fqdn_egress_rule(resource: Resource) -> Iterator[str]:
    """An egress allow of a network firewall policy names host names on 443, never address ranges or every port."""
    if resource.get("direction") != "EGRESS" or resource.get("action") != "allow":
        return
    match = block(resource.get("match"))
    if match.get("dest_ip_ranges") or not match.get("dest_fqdns"):
        yield "match.dest_fqdns is not the only destination: the rule opens address ranges, not named hosts"
    wildcards = [name for name in match.get("dest_fqdns") or [] if isinstance(name, str) and "*" in name]
    if wildcards:
        yield f"match.dest_fqdns {wildcards} hold wildcards"
    for config in match.get("layer4_configs") or []:
        if isinstance(config, dict) and (config.get("ip_protocol") != "tcp" or config.get("ports") != ["443"]):
            yield f"match.layer4_configs {config} open more than TCP 443"
    if resource.get("enable_logging") is not True:
        yield "enable_logging is not true: connections to the named hosts go unrecorded"


def firewall_logging(resource: Resource) -> Iterator[str]:
    if not block(resource.get("log_config")).get("metadata"):
        yield "log_config.metadata is unset: the firewall rule does not log"


def flow_logs(resource: Resource) -> Iterator[str]:
    logs = block(resource.get("log_config"))
    if not logs:
        yield "log_config is missing: no flow logs"
        return
    sampling = logs.get("flow_sampling")
    if not isinstance(sampling, (int, float)) or isinstance(sampling, bool) or sampling < FLOW_SAMPLING_FLOOR:
        yield f"log_config.flow_sampling {sampling} records fewer than {FLOW_SAMPLING_FLOOR} of flows"
    if FLOW_INTERVALS.rank(logs.get("aggregation_interval")) < FLOW_INTERVALS.rank("INTERVAL_5_SEC"):
        yield f"log_config.aggregation_interval {logs.get('aggregation_interval')} is coarser than INTERVAL_5_SEC"
    if FLOW_METADATA.rank(logs.get("metadata")) < FLOW_METADATA.rank("INCLUDE_ALL_METADATA"):
        yield f"log_config.metadata {logs.get('metadata')} leaves out metadata"


def private_google_access(resource: Resource) -> Iterator[str]:
    if resource.get("private_ip_google_access") is not True:
        yield "private_ip_google_access is not true: nodes lose the private path to Google APIs"


def nat_logging(resource: Resource) -> Iterator[str]:
    logs = block(resource.get("log_config"))
    if logs.get("enable") is not True:
        yield "log_config.enable is not true: Cloud NAT does not log"
    elif NAT_LOG_FILTERS.rank(logs.get("filter")) < NAT_LOG_FILTERS.rank("ALL"):
        yield f"log_config.filter is {logs.get('filter')}, not ALL: translations go unrecorded"


# --- exposure ---------------------------------------------------------------------------------


def tls_policy(resource: Resource) -> Iterator[str]:
    if SSL_PROFILES.rank(resource.get("profile")) < SSL_PROFILES.rank("RESTRICTED"):
        yield f"profile is {resource.get('profile')}, weaker than RESTRICTED"
    if TLS_VERSIONS.rank(resource.get("min_tls_version")) < TLS_VERSIONS.rank("TLS_1_2"):
        yield f"min_tls_version is {resource.get('min_tls_version')}, older than TLS_1_2"


def _iap_backend(body: dict[str, Any]) -> tuple[bool, Any]:
    """(IAP on, security policy) of a BackendConfig or GCPBackendPolicy."""
    spec = body.get("spec") or {}
    if body.get("kind") == "GCPBackendPolicy":
        default = spec.get("default") or {}
        return bool((default.get("iap") or {}).get("enabled")), default.get("securityPolicy")
    return bool((spec.get("iap") or {}).get("enabled")), (spec.get("securityPolicy") or {}).get("name")


def dashboard_iap(resource: Resource) -> Iterator[str]:
    iap, _ = _iap_backend(manifest(resource))
    if not iap:
        yield "spec.iap.enabled is not true: the backend is reachable without an identity check"


def cloud_armor(resource: Resource) -> Iterator[str]:
    iap, policy = _iap_backend(manifest(resource))
    if iap and not policy:
        yield "spec.securityPolicy is not set: the IAP dashboard has no Cloud Armor policy in front of it"


def armor_admitted_ranges(resource: Resource) -> list[str]:
    """Source ranges a Cloud Armor policy lets through (allow or throttle rules)."""
    ranges: list[str] = []
    for rule in resource.get("rule") or []:
        if isinstance(rule, dict) and str(rule.get("action", "")).startswith(("allow", "throttle", "rate_based_ban")):
            ranges += block(block(rule.get("match")).get("config")).get("src_ip_ranges") or []
    return ranges


def armor_rate_limit(resource: Resource) -> float | None:
    """Requests per minute per client a Cloud Armor policy lets through before throttling; None without a limit."""
    limits = [
        block(block(rule.get("rate_limit_options")).get("rate_limit_threshold"))
        for rule in resource.get("rule") or []
        if isinstance(rule, dict) and rule.get("rate_limit_options")
    ]
    rates = [60 * t["count"] / t["interval_sec"] for t in limits if t.get("count") and t.get("interval_sec")]
    return max(rates) if rates else None


# --- images -----------------------------------------------------------------------------------


def admission_policy(resource: Resource) -> Iterator[str]:
    rule = block(resource.get("default_admission_rule"))
    if ADMISSION_MODES.rank(rule.get("evaluation_mode")) < ADMISSION_MODES.rank("REQUIRE_ATTESTATION"):
        yield f"default_admission_rule.evaluation_mode is {rule.get('evaluation_mode')}: unlisted images run"
    if ENFORCEMENT_MODES.rank(rule.get("enforcement_mode")) < ENFORCEMENT_MODES.rank("ENFORCED_BLOCK_AND_AUDIT_LOG"):
        yield f"default_admission_rule.enforcement_mode is {rule.get('enforcement_mode')}: denials are not enforced"
    patterns = [
        p.get("name_pattern") for p in resource.get("admission_whitelist_patterns") or [] if isinstance(p, dict)
    ]
    registry_wide = [p for p in patterns if isinstance(p, str) and "/" not in p.rstrip("*").rstrip("/")]
    if registry_wide:
        yield f"admission_whitelist_patterns {registry_wide} admit a whole registry"


def admitted_beyond(allowed: list[str], patterns: list[str]) -> list[str]:
    """Patterns that admit an image no pattern of ``allowed`` admits."""
    return beyond(allowed, patterns)


# --- storage and keys -------------------------------------------------------------------------


def bucket_hardening(resource: Resource) -> Iterator[str]:
    if resource.get("uniform_bucket_level_access") is not True:
        yield "uniform_bucket_level_access is not true"
    if resource.get("public_access_prevention") != "enforced":
        yield "public_access_prevention is not enforced"
    if not block(resource.get("encryption")).get("default_kms_key_name"):
        yield "encryption.default_kms_key_name is not set: objects would use Google-managed keys"


def key_rotation(resource: Resource) -> Iterator[str]:
    period = resource.get("rotation_period")
    rotation = seconds(period)
    if rotation is None or rotation > MAX_ROTATION_SECONDS:
        yield f"rotation_period {period or 'unset'} exceeds 90 days"
    if block(resource.get("lifecycle")).get("prevent_destroy") is not True:
        yield "lifecycle.prevent_destroy is not true: destroying a key destroys the data it protects"


def key_named(*path: str) -> Check:
    """A check that the resource names its customer-managed key at ``path``."""

    def check(resource: Resource) -> Iterator[str]:
        if not attribute(resource, path):
            yield f"{'.'.join(path)} is not set: data at rest uses Google-managed keys"

    return check


SECRET_REPLICA_KEY = "replication.user_managed.replicas.customer_managed_encryption.kms_key_name"
SECRET_AUTO_KEY = "replication.auto.customer_managed_encryption.kms_key_name"


def _replica_keys(resource: Resource) -> list[tuple[str, Any]]:
    """(attribute, key) of every place a secret's payloads are stored: each user-managed replica, or auto."""
    replication = block(resource.get("replication"))
    if "auto" in replication:
        return [
            (SECRET_AUTO_KEY, block(block(replication["auto"]).get("customer_managed_encryption")).get("kms_key_name"))
        ]
    replicas = block(replication.get("user_managed")).get("replicas")
    replicas = replicas if isinstance(replicas, list) else [replicas]
    return [
        (SECRET_REPLICA_KEY, block(block(replica).get("customer_managed_encryption")).get("kms_key_name"))
        for replica in replicas
    ] or [(SECRET_REPLICA_KEY, None)]


def secret_replica_keys(resource: Resource) -> list[Any] | None:
    """The key of every replica of a secret; None when one replica has none."""
    keys = [key for _, key in _replica_keys(resource)]
    return keys if all(keys) else None


def secret_cmek(resource: Resource) -> Iterator[str]:
    for path, key in _replica_keys(resource):
        if not key:
            yield f"{path} is not set: secret payloads use Google-managed keys"


AUTOPILOT_BOOT_DISK_KEY = ("cluster_autoscaling", "auto_provisioning_defaults", "boot_disk_kms_key")


def attribute(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for key in path[:-1]:
        value = block(value.get(key))
    return value.get(path[-1])


def cluster_secrets_cmek(resource: Resource) -> Iterator[str]:
    yield from key_named("database_encryption", "key_name")(resource)
    state = block(resource.get("database_encryption")).get("state")
    if state != "ENCRYPTED":
        yield f"database_encryption.state is {state or 'unset'}, not ENCRYPTED: secrets are not encrypted with our key"
    if resource.get("enable_autopilot") is True and not attribute(resource, AUTOPILOT_BOOT_DISK_KEY):
        yield f"{'.'.join(AUTOPILOT_BOOT_DISK_KEY)} is not set"


def redis_protection(resource: Resource) -> Iterator[str]:
    if resource.get("auth_enabled") is not True:
        yield "auth_enabled is not true: Redis accepts unauthenticated clients"
    if resource.get("transit_encryption_mode") != "SERVER_AUTHENTICATION":
        yield "transit_encryption_mode is not SERVER_AUTHENTICATION: Redis traffic is not encrypted"


# --- audit retention --------------------------------------------------------------------------

AUDIT_RETENTION_DAYS = 400
"""The floor of audit retention: rayfort's default (config.audit.DEFAULT_RETENTION_DAYS)."""


def audit_retention(resource: Resource) -> Iterator[str]:
    """A log bucket that keeps audit entries: locked, at least the default retention, encrypted with our key."""
    if resource.get("locked") is not True:
        yield "locked is not true: the retention can be shortened and the bucket deleted"
    days = resource.get("retention_days")
    if not is_reference(days) and (not isinstance(days, (int, float)) or days < AUDIT_RETENTION_DAYS):
        yield f"retention_days is {days}, below {AUDIT_RETENTION_DAYS}"
    if not block(resource.get("cmek_settings")).get("kms_key_name"):
        yield "cmek_settings.kms_key_name is not set: entries use Google-managed keys"


def audit_sink(resource: Resource) -> Iterator[str]:
    """A sink that feeds the locked bucket: enabled, writing to a log bucket."""
    if resource.get("disabled") is True:
        yield "disabled is true: audit entries are no longer kept"
    destination = resource.get("destination")
    if not isinstance(destination, str) or not destination.startswith("logging.googleapis.com/"):
        yield f"destination {destination} is not a log bucket"


def data_access_logs(resource: Resource) -> Iterator[str]:
    """Data Access audit logs for a service: reads and writes, with no one exempted."""
    configs = resource.get("audit_log_config") or []
    configs = configs if isinstance(configs, list) else [configs]
    types = {c.get("log_type") for c in configs if isinstance(c, dict)}
    missing = sorted({"ADMIN_READ", "DATA_READ", "DATA_WRITE"} - types)
    if missing:
        yield f"audit_log_config lacks {', '.join(missing)}"
    if any(c.get("exempted_members") for c in configs if isinstance(c, dict)):
        yield "audit_log_config.exempted_members is set: some principals' data access goes unrecorded"
