"""Values derived from a whole environment, which the checks, the stacks and the app share."""

from __future__ import annotations

from rayfort.config.cluster import CERT_MANAGER_COMPONENTS, CERT_MANAGER_IMAGE, KUBERAY_OPERATOR_IMAGE, RAY_IMAGE
from rayfort.config.deployer import ControlPlaneAccess
from rayfort.config.environment import Environment
from rayfort.config.kuberay import CERT_MANAGER_TLS, FEATURE_GATES, gates_needed_by
from rayfort.config.org_policy import KEY_PROJECT
from rayfort.config.tenant import TenantSettings
from rayfort.versions import CERT_MANAGER_VERSION, KUBERAY_VERSION, RAY_PYTHON_TAG


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
    """Image name patterns Binary Authorization admits: the mirror, and the registries the environment names.

    Nothing upstream is admitted by default: an environment without a mirror names
    the repositories it pulls from in ``cluster.binary_authorization_registries``,
    which takes a waiver of RF025. Google's own GKE system images are admitted by
    Google's global policy, not listed here.
    """
    patterns: list[str] = []
    mirror = env.registry_mirror
    if mirror is not None:
        location = mirror.location or env.region
        patterns.append(f"{location}-docker.pkg.dev/{mirror.project_id or env.project_id}/{mirror.repository}/**")
    patterns += env.cluster.binary_authorization_registries
    return tuple(dict.fromkeys(patterns))


def upstream_images(env: Environment) -> tuple[str, ...]:
    """The upstream images rayfort runs itself (operator, Ray, cert-manager), by pinned version; none with a mirror."""
    if env.registry_mirror is not None:
        return ()
    images = []
    if env.kuberay.install != "gke-addon":
        images.append(f"{KUBERAY_OPERATOR_IMAGE}:v{KUBERAY_VERSION}")
    images += [f"{RAY_IMAGE}:{t.ray_version}-{RAY_PYTHON_TAG}" for t in env.tenants if t.image is None]
    if cert_manager_needed(env):
        # acmesolver runs only for ACME issuers, which rayfort never creates.
        images += [
            f"{CERT_MANAGER_IMAGE}{c}:{CERT_MANAGER_VERSION}" for c in CERT_MANAGER_COMPONENTS if c != "acmesolver"
        ]
    return tuple(dict.fromkeys(images))


def key_projects(env: Environment) -> list[tuple[tuple[str | int, ...], str]]:
    """The projects that supply the environment's CMEK keys, with the setting that names each."""
    kms = env.cluster.kms
    found: list[tuple[tuple[str | int, ...], str]] = []
    if kms.create is not None:
        if kms.create.project_id is None:
            found.append((("project_id",), env.project_id))
        else:
            found.append((("cluster", "kms", "create", "project_id"), kms.create.project_id))
    else:
        assert kms.existing is not None
        for field in ("boot_disk_key", "secrets_key"):
            match = KEY_PROJECT.match(getattr(kms.existing, field))
            if match:
                found.append((("cluster", "kms", "existing", field), match.group(1)))
    # The mirror's own key, when given, is a CMEK key like the cluster's.
    mirror_key = env.registry_mirror.kms_key if env.registry_mirror is not None else None
    match = KEY_PROJECT.match(mirror_key or "")
    if match:
        found.append((("registry_mirror", "kms_key"), match.group(1)))
    return found


def audit_key_project(env: Environment) -> str:
    """Where the log bucket's key lives: the given key's project, the cluster's KMS project, or the audit project."""
    audit = env.audit
    if audit.kms_key is not None:
        return audit.kms_key.split("/")[1]
    created = env.cluster.kms.create
    if created is not None and created.project_id:
        return created.project_id
    return audit.bucket_project(env)


def control_plane_access(env: Environment) -> ControlPlaneAccess:
    """The endpoint Terraform and operators use: the one set explicitly, else the one where Terraform runs reaches."""
    if env.cluster.control_plane_access is not None:
        return env.cluster.control_plane_access
    return "dns_endpoint" if env.deployer.runs_in == "outside" else "internal_ip"


def private_endpoint_global_access(env: Environment) -> bool:
    """The internal IP endpoint answers callers from other regions only with global access; off unless needed."""
    region = env.deployer.region
    return control_plane_access(env) == "internal_ip" and region is not None and region != env.region


def export_routes_to_control_plane(env: Environment) -> bool:
    """On-premises runners reach the internal IP endpoint only if the control plane's VPC learns their routes."""
    return control_plane_access(env) == "internal_ip" and env.deployer.runs_in == "on_premises"


def dashboard_host(env: Environment, tenant: TenantSettings) -> str:
    """The host of a tenant's IAP dashboard in ``env``."""
    return env.exposure.tenant_dashboard_host(tenant)
