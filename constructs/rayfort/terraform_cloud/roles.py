"""The Google roles a workspace's service account needs, derived from the resource types its stack manages.

One least-privilege predefined role per resource family; in-cluster stacks (kubernetes, helm) need
roles/container.admin to reach the Kubernetes API with RBAC rights over cluster-scoped objects. Types
managed at the organization (VPC Service Controls, organization policies) need roles an organization
administrator grants: the bootstrap names them and does not grant them.
"""

from __future__ import annotations

PROJECT_ROLES: tuple[tuple[str, str], ...] = (
    ("google_access_context_manager_", ""),
    ("google_org_policy_", ""),
    ("google_binary_authorization_", "roles/binaryauthorization.policyEditor"),
    ("google_certificate_manager_", "roles/certificatemanager.editor"),
    ("google_compute_firewall", "roles/compute.securityAdmin"),
    ("google_compute_security_policy", "roles/compute.securityAdmin"),
    ("google_compute_ssl_policy", "roles/compute.securityAdmin"),
    ("google_compute_", "roles/compute.networkAdmin"),
    ("google_container_", "roles/container.clusterAdmin"),
    ("google_dns_", "roles/dns.admin"),
    ("google_iap_", "roles/iap.admin"),
    ("google_kms_", "roles/cloudkms.admin"),
    ("google_logging_", "roles/logging.configWriter"),
    ("google_monitoring_", "roles/monitoring.editor"),
    ("google_project_iam_", "roles/resourcemanager.projectIamAdmin"),
    ("google_project_service", "roles/serviceusage.serviceUsageAdmin"),
    ("google_redis_", "roles/redis.admin"),
    ("google_secret_manager_", "roles/secretmanager.admin"),
    ("google_service_account", "roles/iam.serviceAccountAdmin"),
    ("google_service_networking_", "roles/servicenetworking.networksAdmin"),
    ("google_storage_", "roles/storage.admin"),
    ("google_artifact_registry_", "roles/artifactregistry.admin"),
    ("kubernetes_", "roles/container.admin"),
    ("helm_", "roles/container.admin"),
    ("time_", ""),
    ("terraform_data", ""),  # the deploy record: Terraform's own, no Google role
)
"""(resource type prefix, role); the first matching prefix wins; an empty role: granted at the organization."""

SCOPE_ROLES: dict[str, str] = {"google_monitoring_monitored_project": "roles/monitoring.admin"}
"""Types that link two projects, and the role they need in both: adding a project to a metrics scope takes
``monitoring.metricsScopes.link`` on the scoping and the monitored project, which monitoring.editor lacks."""

ORGANIZATION_ROLES: dict[str, str] = {
    "google_access_context_manager_": "roles/accesscontextmanager.policyAdmin",
    "google_org_policy_": "roles/orgpolicy.policyAdmin",
}
"""Roles an organization administrator grants the workspace's service account, by resource type prefix."""


def roles_for(resource_types: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(project roles, organization roles, resource types no role is known for), each sorted."""
    project, organization, unknown = set(), set(), set()
    for resource_type in resource_types:
        if resource_type in SCOPE_ROLES:
            project.add(SCOPE_ROLES[resource_type])
            continue
        for prefix, role in PROJECT_ROLES:
            if resource_type.startswith(prefix):
                if role:
                    project.add(role)
                elif prefix in ORGANIZATION_ROLES:
                    organization.add(ORGANIZATION_ROLES[prefix])
                break
        else:
            unknown.add(resource_type)
    return sorted(project), sorted(organization), sorted(unknown)
