"""The rules. Each names the control it enforces and returns why a resource breaks it, or nothing.

Rules read resources as Terraform will receive them (``to_terraform()``), so a
rule sees the construct library's output, not its intentions. References to
other resources appear as opaque tokens and count as "set".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from rayfort.exposure.load_balancer_rules import is_load_balancer, load_balancer_problems
from rayfort.k8s.pod_security import check_object, pod_templates

Resource = dict[str, Any]
Check = Callable[[Resource], Iterator[str]]

_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_TOKEN = re.compile(r"\$\{")


@dataclass(frozen=True)
class Rule:
    """One control, checked on every resource of the listed Terraform types."""

    id: str
    title: str
    control: str
    resource_types: tuple[str, ...]
    attribute: str
    check: Check
    applies: Callable[[Resource], bool] = lambda resource: True
    """Whether the resource is something the rule is about (a Namespace, a LoadBalancer Service...)."""


def _block(value: Any) -> dict[str, Any]:
    """A nested block as a dict, whether synthesized as an object or a one-item list."""
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and bool(_TOKEN.search(value))


def _node_configs(resource: Resource) -> Iterator[dict[str, Any]]:
    yield _block(resource.get("node_config"))


def _secure_boot(resource: Resource) -> Iterator[str]:
    for config in _node_configs(resource):
        shielded = _block(config.get("shielded_instance_config"))
        if shielded.get("enable_secure_boot") is not True:
            yield "node_config.shielded_instance_config.enable_secure_boot is not true"
        if shielded.get("enable_integrity_monitoring") is not True:
            yield "node_config.shielded_instance_config.enable_integrity_monitoring is not true"


def _boot_disk_cmek(resource: Resource) -> Iterator[str]:
    for config in _node_configs(resource):
        if not config.get("boot_disk_kms_key"):
            yield "node_config.boot_disk_kms_key is not set: boot disks would use Google-managed keys"


def _confidential_nodes(resource: Resource) -> Iterator[str]:
    if _block(resource.get("confidential_nodes")).get("enabled") is True:
        return
    for config in _node_configs(resource):
        if _block(config.get("confidential_nodes")).get("enabled") is not True:
            yield "node_config.confidential_nodes is not enabled: node memory is not encrypted in use"


def _node_identity(resource: Resource) -> Iterator[str]:
    for config in _node_configs(resource):
        account = config.get("service_account")
        if not account or (isinstance(account, str) and account.endswith("-compute@developer.gserviceaccount.com")):
            yield "node_config.service_account is missing or the Compute Engine default account"
        if _block(config.get("workload_metadata_config")).get("mode") != "GKE_METADATA":
            yield "node_config.workload_metadata_config.mode is not GKE_METADATA: pods could read node credentials"


def _private_cluster(resource: Resource) -> Iterator[str]:
    private = _block(resource.get("private_cluster_config"))
    if private.get("enable_private_nodes") is not True:
        yield "private_cluster_config.enable_private_nodes is not true"
    if private.get("enable_private_endpoint") is not True:
        yield "private_cluster_config.enable_private_endpoint is not true"
    for block in _block(resource.get("master_authorized_networks_config")).get("cidr_blocks", []) or []:
        if isinstance(block, dict) and block.get("cidr_block") == "0.0.0.0/0":
            yield "master_authorized_networks_config admits 0.0.0.0/0"


def _manifest(resource: Resource) -> dict[str, Any]:
    manifest = resource.get("manifest")
    return manifest if isinstance(manifest, dict) else {}


def _pod_security_labels(resource: Resource) -> Iterator[str]:
    manifest = _manifest(resource)
    if manifest.get("kind") != "Namespace":
        return
    labels = (manifest.get("metadata") or {}).get("labels") or {}
    for mode in ("enforce", "audit", "warn"):
        if labels.get(f"pod-security.kubernetes.io/{mode}") != "restricted":
            yield f"Namespace lacks label pod-security.kubernetes.io/{mode}=restricted"
        if not labels.get(f"pod-security.kubernetes.io/{mode}-version"):
            yield f"Namespace lacks a pinned pod-security.kubernetes.io/{mode}-version"


def _internal_load_balancer(resource: Resource) -> Iterator[str]:
    yield from load_balancer_problems(_manifest(resource))


def _restricted_pods(resource: Resource) -> Iterator[str]:
    manifest = _manifest(resource)
    if not manifest:
        return
    for violation in check_object(manifest):
        yield f"{violation.path}: {violation.message}"


def _ray_token_auth(resource: Resource) -> Iterator[str]:
    manifest = _manifest(resource)
    if manifest.get("apiVersion", "").startswith("ray.io/") and manifest.get("kind") == "RayCluster":
        if ((manifest.get("spec") or {}).get("authOptions") or {}).get("mode") != "token":
            yield "RayCluster spec.authOptions.mode is not token: anyone who reaches the head can run code"


# Roles that have a resource-level grant; granting them on the project gives every bucket, key or secret.
_RESOURCE_SCOPED_ROLE_PREFIXES = (
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


def _project_level_grant(resource: Resource) -> Iterator[str]:
    role = resource.get("role", "")
    if isinstance(role, str) and role.startswith(_RESOURCE_SCOPED_ROLE_PREFIXES):
        yield f"{role} is granted on the whole project; grant it on the resource instead"


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


def _plain_text_secrets(resource: Resource) -> Iterator[str]:
    for path, text in _walk_strings(resource):
        if _PRIVATE_KEY.search(text):
            yield f"{path} holds a private key in plain text"
    manifest = _manifest(resource)
    if manifest.get("kind") == "Secret":
        for field in ("data", "stringData"):
            for key, value in (manifest.get(field) or {}).items():
                if not _is_reference(value):
                    yield f"Secret {field}.{key} is a literal in the Terraform JSON"
    for field in ("secret_data", "auth_string", "password", "private_key"):
        value = resource.get(field)
        if isinstance(value, str) and value and not _is_reference(value):
            yield f"{field} is a literal in the Terraform JSON"
    for item in resource.get("set_sensitive") or []:
        if isinstance(item, dict) and not _is_reference(item.get("value")):
            yield f"set_sensitive {item.get('name')} is a literal in the Terraform JSON"


def _no_key_resources(resource: Resource) -> Iterator[str]:
    yield "service account keys are long-lived credentials; use Workload Identity"


def _open_firewall(resource: Resource) -> Iterator[str]:
    if resource.get("direction", "INGRESS") == "INGRESS" and resource.get("allow"):
        if "0.0.0.0/0" in (resource.get("source_ranges") or []):
            yield "firewall allows ingress from 0.0.0.0/0"


def _firewall_logging(resource: Resource) -> Iterator[str]:
    if not _block(resource.get("log_config")).get("metadata"):
        yield "firewall rule does not log (log_config.metadata unset)"


def _bucket_hardening(resource: Resource) -> Iterator[str]:
    if resource.get("uniform_bucket_level_access") is not True:
        yield "uniform_bucket_level_access is not true"
    if resource.get("public_access_prevention") != "enforced":
        yield "public_access_prevention is not enforced"
    if not _block(resource.get("encryption")).get("default_kms_key_name"):
        yield "encryption.default_kms_key_name is not set: objects would use Google-managed keys"


def _key_rotation(resource: Resource) -> Iterator[str]:
    period = resource.get("rotation_period", "")
    seconds = int(period.rstrip("s")) if isinstance(period, str) and period.rstrip("s").isdigit() else None
    if seconds is None or seconds > 90 * 86_400:
        yield f"rotation_period {period or 'unset'} exceeds 90 days"
    if _block(resource.get("lifecycle")).get("prevent_destroy") is not True:
        yield "lifecycle.prevent_destroy is not true: destroying a key destroys the data it protects"


def _kind(*kinds: str) -> Callable[[Resource], bool]:
    return lambda resource: _manifest(resource).get("kind") in kinds


def _has_pods(resource: Resource) -> bool:
    return any(True for _ in pod_templates(_manifest(resource)))


def _has_node_config(resource: Resource) -> bool:
    """Node pools always; clusters unless Autopilot manages their nodes (a missing block is a violation)."""
    return "node_config" in resource or resource.get("enable_autopilot") is not True


_POOLS = ("google_container_node_pool", "google_container_cluster")
_MANIFESTS = ("kubernetes_manifest",)

RULES: tuple[Rule, ...] = (
    Rule(
        "RF001",
        "Shielded nodes with secure boot",
        "CIS GKE 5.5.5, 5.5.6",
        _POOLS,
        "node_config.shielded_instance_config",
        _secure_boot,
        _has_node_config,
    ),
    Rule(
        "RF002",
        "Boot disks encrypted with CMEK",
        "CIS GKE 5.9.1",
        _POOLS,
        "node_config.boot_disk_kms_key",
        _boot_disk_cmek,
        _has_node_config,
    ),
    Rule(
        "RF003",
        "Confidential nodes",
        "rayfort",
        _POOLS,
        "node_config.confidential_nodes",
        _confidential_nodes,
        _has_node_config,
    ),
    Rule(
        "RF004",
        "Dedicated node identity, metadata concealed",
        "CIS GKE 5.2.1, 5.4.1",
        _POOLS,
        "node_config.service_account, node_config.workload_metadata_config",
        _node_identity,
        _has_node_config,
    ),
    Rule(
        "RF005",
        "Private nodes and private endpoint",
        "CIS GKE 5.6.5, 5.6.4",
        ("google_container_cluster",),
        "private_cluster_config, master_authorized_networks_config",
        _private_cluster,
    ),
    Rule(
        "RF010",
        "Namespaces enforce Pod Security restricted",
        "CIS GKE 4.2",
        _MANIFESTS,
        "Namespace metadata.labels[pod-security.kubernetes.io/*]",
        _pod_security_labels,
        _kind("Namespace"),
    ),
    Rule(
        "RF011",
        "Load balancers are internal and never expose GCS",
        "rayfort",
        _MANIFESTS,
        "Service metadata.annotations, spec.ports",
        _internal_load_balancer,
        lambda resource: is_load_balancer(_manifest(resource)),
    ),
    Rule(
        "RF012",
        "Containers meet Pod Security restricted",
        "CIS GKE 4.2.1-4.2.4",
        _MANIFESTS,
        "pod templates: securityContext",
        _restricted_pods,
        _has_pods,
    ),
    Rule(
        "RF013",
        "Ray token authentication",
        "rayfort (CVE-2023-48022)",
        _MANIFESTS,
        "RayCluster spec.authOptions.mode",
        _ray_token_auth,
        _kind("RayCluster"),
    ),
    Rule(
        "RF014",
        "Resource-level IAM grants",
        "CIS GCP 1.5, 1.6",
        ("google_project_iam_member", "google_project_iam_binding"),
        "role",
        _project_level_grant,
    ),
    Rule("RF015", "No secret in plain text", "rayfort", ("*",), "every attribute", _plain_text_secrets),
    Rule(
        "RF016",
        "No service account keys",
        "CIS GCP 1.4",
        ("google_service_account_key",),
        "(resource)",
        _no_key_resources,
    ),
    Rule(
        "RF017",
        "No firewall ingress from the internet",
        "CIS GCP 3.6, 3.7",
        ("google_compute_firewall",),
        "source_ranges",
        _open_firewall,
    ),
    Rule("RF018", "Firewall rules log", "CIS GCP 3.x", ("google_compute_firewall",), "log_config", _firewall_logging),
    Rule(
        "RF019",
        "Buckets: uniform access, no public access, CMEK",
        "CIS GCP 5.1, 5.2",
        ("google_storage_bucket",),
        "uniform_bucket_level_access, public_access_prevention, encryption",
        _bucket_hardening,
    ),
    Rule(
        "RF020",
        "Keys rotate within 90 days and are never destroyed",
        "CIS GCP 1.10",
        ("google_kms_crypto_key",),
        "rotation_period, lifecycle.prevent_destroy",
        _key_rotation,
    ),
)
