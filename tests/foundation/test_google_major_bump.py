"""The google provider's major bump (6.50, today's, to the 8.x line of cdktn 0.24) changes nothing we deploy.

Between google 6.50.0 and 8.7.0 these defaults changed, or attributes went
away, in the resource types rayfort uses. Each has an explicit decision: set in
our configuration now (so the bump changes nothing), or left to a default whose
meaning did not change, or not applicable to how we use the type. A type we
start using must be reviewed the same way before it joins ``REVIEWED``.

Sources:
- the 7.0.0 and 8.0.0 upgrade guides (hashicorp/terraform-provider-google,
  website/docs/guides/version_7_upgrade.html.markdown and version_8_upgrade.html.markdown);
- the 7.6.0 release notes, BREAKING CHANGES, container (#24569): an unset
  ``cpu_cfs_quota`` in a ``kubelet_config`` was sent as false, and from 7.6.0 is
  the API default, true;
- every attribute's documentation in the prebuilt bindings of both versions
  (cdktn-provider-google 18.0.0 = google 6.50.0, 21.1.0 = google 8.7.0),
  compared attribute by attribute for the types below: defaults that moved,
  attributes removed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import SHIPPED
from tests.foundation.provider_stubs import used_classes

EXPLICIT: dict[tuple[str, str], Any] = {
    # Tenants' CPU limits are enforced on the nodes they run on (GKE's default, and what 7.6+ sends).
    ("google_container_node_pool", "node_config.kubelet_config.cpu_cfs_quota"): True,
    # The bootstrap pool, deleted once the cluster exists: false as 6.50 sent it, so existing clusters are not
    # replaced (the cluster resource updates no node_config field in place but image_type).
    ("google_container_cluster", "node_config.kubelet_config.cpu_cfs_quota"): False,
    # 7.0.0: the default became false; enabled APIs stay enabled when a stack is destroyed.
    ("google_project_service", "disable_on_destroy"): False,
}
"""(type, attribute path) -> the value every resource of the type sets, wherever the attribute's block is present."""

NEW_DELETION_POLICY = (
    "google_access_context_manager_access_level google_access_context_manager_access_policy "
    "google_access_context_manager_service_perimeter google_artifact_registry_repository "
    "google_binary_authorization_policy google_certificate_manager_certificate "
    "google_certificate_manager_certificate_map google_certificate_manager_certificate_map_entry "
    "google_compute_address google_compute_firewall google_compute_global_address google_compute_network "
    "google_compute_route google_compute_router google_compute_router_nat google_compute_security_policy "
    "google_compute_ssl_policy google_compute_subnetwork google_container_cluster google_container_node_pool "
    "google_dns_managed_zone google_dns_policy google_dns_record_set google_kms_crypto_key google_org_policy_policy "
    "google_project_service google_redis_instance google_secret_manager_secret google_service_account "
    "google_storage_bucket"
).split()

DEFAULTS_RELIED_ON: dict[tuple[str, str], str] = {
    **{
        (resource_type, "deletion_policy"): "new after 6.50 with the default DELETE: destroy deletes, as in 6.50; "
        "6.50's schema has no such attribute to set"
        for resource_type in NEW_DELETION_POLICY
    },
    ("google_service_networking_connection", "deletion_policy"): "unset deletes the connection in 6.50 and is "
    "documented as DELETE in 8.7",
}
"""(type, attribute) left unset on purpose, and why the bump does not change its meaning."""

NOT_APPLICABLE: dict[tuple[str, str], str] = {
    ("google_artifact_registry_repository", "remote_repository_config"): "7.0.0 removed the defaults of its "
    "public_repository fields; our repositories are standard ones, with no remote_repository_config",
    ("google_compute_subnetwork", "enable_flow_logs"): "removed in 7.0.0; flow logs are configured by log_config",
    ("google_container_node_pool", "node_config.host_maintenance_policy"): "removed after 6.50; not used",
    ("google_container_cluster", "node_config.host_maintenance_policy"): "removed after 6.50; not used",
    ("google_container_node_pool", "name_prefix"): "8.0.0 changed its generated suffix; pools are named by name",
}
"""(type, attribute or block) whose change does not apply: it must stay absent from our output."""

BOOTSTRAP_ONLY: dict[str, str] = {
    resource_type: "neither the 7.0.0 nor the 8.0.0 upgrade guide names it; only the Terraform Cloud bootstrap "
    "uses it, and that app stays on cdktf (no tfe provider for CDK Terrain), so the bump does not reach it"
    for resource_type in ("google_iam_workload_identity_pool", "google_iam_workload_identity_pool_provider")
}
"""Types reviewed against the upgrade guides only (no binding-by-binding comparison), and why that suffices."""

GUIDES_ONLY: dict[str, str] = {
    resource_type: "neither the 7.0.0 nor the 8.0.0 upgrade guide names it (read for the opt-in FQDN egress "
    "allowlist); not yet compared binding by binding, as the 8.7 bindings are not installed here: do so before "
    "the bump"
    for resource_type in (
        "google_compute_network_firewall_policy",
        "google_compute_network_firewall_policy_association",
        "google_compute_network_firewall_policy_rule",
    )
}
"""Types reviewed against the upgrade guides only, still owed a binding-by-binding comparison."""
AUDIT_GUIDES_ONLY: dict[str, str] = {
    resource_type: "neither the 7.0.0 nor the 8.0.0 upgrade guide names it (audit stack, tenant monitoring); "
    "reviewed against the guides only, the binding-by-binding comparison is still to do"
    for resource_type in (
        "data.google_logging_project_cmek_settings",
        "google_logging_metric",
        "google_logging_project_bucket_config",
        "google_logging_project_sink",
        "google_monitoring_alert_policy",
        "google_monitoring_dashboard",
        "google_monitoring_monitored_project",
    )
}
"""The audit and monitoring types, reviewed against the upgrade guides only so far."""
SHARED_VPC_GUIDES_ONLY: dict[str, str] = {
    resource_type: "Shared VPC mode (a perimeter membership, the host's private service access range read); not "
    "yet compared binding by binding, as the 8.x bindings are not installed here: newer bindings document a "
    "deletion_policy on the membership types (compare with NEW_DELETION_POLICY) before the bump"
    for resource_type in (
        "data.google_compute_global_address",
        "google_access_context_manager_service_perimeter_dry_run_resource",
        "google_access_context_manager_service_perimeter_resource",
    )
}
"""The Shared VPC types, still owed the upgrade guides' and the bindings' comparison."""

EDGE_GUIDES_ONLY: dict[str, str] = {
    "google_certificate_manager_dns_authorization": "the shared edge's wildcard certificate option (exposure "
    "stack); not yet compared against the upgrade guides or binding by binding, as the 8.x bindings are not "
    "installed here: check its `type` default (FIXED_RECORD or PER_PROJECT_RECORD) and any deletion_policy before "
    "the bump",
}
"""The shared edge's types still owed the upgrade guides' and the bindings' comparison."""

SET_IN_FULL: dict[str, str] = {
    "google_project_iam_custom_role": "the gke stack's connect role sets every argument the type has (project, "
    "role_id, title, description, permissions, stage), so no default can move under it; not yet compared binding "
    "by binding against 8.x: do so before the bump",
}
"""Types whose every argument rayfort sets, so only a removed or renamed argument could change them."""

REVIEWED = frozenset(
    {resource_type for resource_type, _ in [*EXPLICIT, *DEFAULTS_RELIED_ON, *NOT_APPLICABLE]}
    | set(SET_IN_FULL)
    | set(BOOTSTRAP_ONLY)
    | set(GUIDES_ONLY)
    | set(AUDIT_GUIDES_ONLY)
    | set(SHARED_VPC_GUIDES_ONLY)
    | set(EDGE_GUIDES_ONLY)
    | {
        "data.google_client_config",
        "data.google_compute_network",
        "data.google_compute_subnetwork",
        "data.google_dns_managed_zone",
        "data.google_project",
        "data.google_secret_manager_secret_version",
        "data.google_storage_project_service_account",
        "google_artifact_registry_repository_iam_member",
        "google_compute_subnetwork_iam_member",
        # Checked against the 7.0.0 and 8.0.0 upgrade guides only (neither names it; no 8.x binding here).
        "google_compute_network_peering_routes_config",
        "google_iap_web_iam_member",
        "google_kms_crypto_key_iam_member",
        "google_kms_key_ring",
        "google_project_iam_audit_config",
        "google_project_iam_member",
        "google_secret_manager_secret_iam_member",
        "google_service_account_iam_member",
        "google_storage_bucket_iam_member",
    }
)
"""Every google type whose changes from 6.50 to 8.7 were reviewed (those not named above have none that apply)."""

UNUSED_WITH_CHANGED_DEFAULTS = {
    "google_compute_backend_service": "8.0.0: load_balancing_scheme defaults to EXTERNAL_MANAGED, was EXTERNAL",
    "google_compute_global_forwarding_rule": "8.0.0: load_balancing_scheme defaults to EXTERNAL_MANAGED, was EXTERNAL",
}
"""Types we do not use whose defaults changed: using one means setting the attribute explicitly (and adding it)."""


def _terraform_type(class_name: str) -> str:
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    return f"data.{snake.removeprefix('data_')}" if class_name.startswith("DataGoogle") else f"google_{snake}"


def _used_types() -> set[str]:
    return {_terraform_type(name) for name in used_classes()["google"] if name != "GoogleProvider"}


def _values(body: Any, path: list[str]) -> list[Any]:
    """The values at ``path`` below ``body``, through nested blocks (objects, or lists of them); absent ones skipped."""
    if not path:
        return [body]
    if isinstance(body, list):
        return [value for item in body for value in _values(item, path)]
    if not isinstance(body, dict) or path[0] not in body:
        return []
    return _values(body[path[0]], path[1:])


def _bodies(synthesized, resource_type: str) -> list[dict]:
    return [
        body
        for name in SHIPPED
        for tf_json in synthesized[name].values()
        for body in tf_json.get("resource", {}).get(resource_type, {}).values()
    ]


def test_every_google_type_the_library_uses_was_reviewed() -> None:
    unreviewed = _used_types() - REVIEWED
    assert not unreviewed, f"review {sorted(unreviewed)} for default changes from 6.50 to 8.x (see this module)"
    assert not _used_types() & set(UNUSED_WITH_CHANGED_DEFAULTS)


@pytest.mark.parametrize(("resource_type", "path"), sorted(EXPLICIT))
def test_changed_defaults_are_set_explicitly(synthesized, resource_type: str, path: str) -> None:
    *block, attribute = path.split(".")
    blocks = [found for body in _bodies(synthesized, resource_type) for found in _values(body, block)]
    assert blocks, f"no {resource_type} with {'.'.join(block) or 'a body'} in the shipped environments"
    assert [found.get(attribute) for found in blocks] == [EXPLICIT[resource_type, path]] * len(blocks)


@pytest.mark.parametrize(("resource_type", "path"), sorted([*DEFAULTS_RELIED_ON, *NOT_APPLICABLE]))
def test_defaults_relied_on_and_inapplicable_changes_stay_unset(synthesized, resource_type: str, path: str) -> None:
    assert all(_values(body, path.split(".")) == [] for body in _bodies(synthesized, resource_type))
