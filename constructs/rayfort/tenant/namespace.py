"""The tenant namespace: Pod Security restricted, labelled for its team and cost center, annotated for admission."""

from __future__ import annotations

from typing import Any

from rayfort._cdk import Construct
from rayfort.config.tenant import TenantSettings
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.namespace import DASHBOARD_HOST_ANNOTATION, TENANT_LABEL, restricted_namespace
from rayfort.tenant.admission import TenantNodes, admission_annotations

TEAM_LABEL = "rayfort.dev/team"
COST_CENTER_LABEL = "rayfort.dev/cost-center"


def tenant_labels(tenant: TenantSettings) -> dict[str, str]:
    """Labels that attribute an object to its team and cost center (the team is the tenant)."""
    return {TENANT_LABEL: tenant.name, TEAM_LABEL: tenant.name, COST_CENTER_LABEL: tenant.cost_center}


def tenant_namespace(
    tenant: TenantSettings, nodes: TenantNodes | None, dashboard_host: str | None = None
) -> dict[str, Any]:
    """The Namespace named after the tenant; restricted enforced, audited and warned, version pinned.

    Annotated with what the admission policies hold the tenant to (``rayfort.tenant.admission``; ``nodes``:
    its node rules). ``dashboard_host``: the tenant's IAP host, the only one its routes may claim on the
    shared Gateway. The policies trust both because developers cannot edit namespaces.
    """
    annotations = admission_annotations(tenant, nodes)
    if dashboard_host is not None:
        annotations[DASHBOARD_HOST_ANNOTATION] = dashboard_host
    return restricted_namespace(tenant.name, tenant_labels(tenant), dict(sorted(annotations.items())))


class TenantNamespace(KubernetesObject):
    """The namespace every other object of the tenant is created in; ``name`` is its reference."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        tenant: TenantSettings,
        nodes: TenantNodes | None,
        dashboard_host: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id, tenant_namespace(tenant, nodes, dashboard_host))
