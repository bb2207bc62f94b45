"""Values derived from a whole environment, which the checks, the stacks and the app share."""

from __future__ import annotations

from rayfort.config.cluster import CERT_MANAGER_IMAGE, KUBERAY_OPERATOR_IMAGE, RAY_IMAGE
from rayfort.config.environment import Environment
from rayfort.config.kuberay import CERT_MANAGER_TLS, FEATURE_GATES, gates_needed_by
from rayfort.config.org_policy import KEY_PROJECT
from rayfort.config.tenant import TenantSettings


def cert_manager_needed(env: Environment) -> bool:
    """Whether some tenant's Ray TLS needs cert-manager in the cluster (its images are admitted and mirrored then)."""
    return any(tenant.tls in CERT_MANAGER_TLS for tenant in env.tenants)


def cert_manager_installed(env: Environment) -> bool:
    """Whether the kuberay stack installs cert-manager: when needed, except with the namespaced operator.

    cert-manager is cluster-wide by nature (its CRDs, ClusterRoles, webhook
    configurations), and the namespaced mode exists for platform teams that are
    not cluster-admin: there a cluster admin installs it, a documented
    prerequisite (rayfort.kuberay.prerequisites), and the tenants' Issuers and
    Certificates, in their own namespaces, use it.
    """
    return cert_manager_needed(env) and env.kuberay.install != "namespaced"


def effective_feature_gates(env: Environment) -> dict[str, bool]:
    """Every known gate with the value the operator runs with: default, tenant needs, then overrides."""
    gates = {name: gate.default for name, gate in FEATURE_GATES.items()}
    for tenant in env.tenants:
        gates.update(dict.fromkeys(gates_needed_by(tenant), True))
    gates.update({name: on for name, on in env.kuberay.feature_gates.items() if name in gates})
    return gates


def admitted_image_patterns(env: Environment) -> tuple[str, ...]:
    """Image name patterns Binary Authorization admits: the mirror only when air-gapped, else the upstream images.

    Google's own GKE system images are admitted by Google's global policy, not listed here.
    """
    patterns: list[str] = []
    mirror = env.registry_mirror
    if mirror is not None:
        location = mirror.location or env.region
        patterns.append(f"{location}-docker.pkg.dev/{mirror.project_id or env.project_id}/{mirror.repository}/**")
    if not env.airgapped:
        if env.kuberay.install != "gke-addon":
            patterns.append(KUBERAY_OPERATOR_IMAGE + "*")
        patterns.append(RAY_IMAGE + "*")
        if cert_manager_needed(env):
            patterns.append(CERT_MANAGER_IMAGE + "*")
    patterns += env.cluster.binary_authorization_registries
    return tuple(dict.fromkeys(patterns))


def key_projects(env: Environment) -> list[tuple[tuple[str | int, ...], str]]:
    """The projects that supply the environment's CMEK keys, with the setting that names each."""
    kms = env.cluster.kms
    if kms.create is not None:
        if kms.create.project_id is None:
            return [(("project_id",), env.project_id)]
        return [(("cluster", "kms", "create", "project_id"), kms.create.project_id)]
    assert kms.existing is not None
    found: list[tuple[tuple[str | int, ...], str]] = []
    for field in ("boot_disk_key", "secrets_key"):
        match = KEY_PROJECT.match(getattr(kms.existing, field))
        if match:
            found.append((("cluster", "kms", "existing", field), match.group(1)))
    return found


def dashboard_host(env: Environment, tenant: TenantSettings) -> str:
    """The host of a tenant's IAP dashboard in ``env``."""
    return env.exposure.tenant_dashboard_host(tenant)
