"""One environment becomes one App: network, audit, mirror (air-gapped), gke, kuberay, tenant-<name>, exposure.

The library's stacks take typed settings and the typed refs of the stacks they
depend on; this module is the one place that derives both from an Environment.
"""

from __future__ import annotations

from collections.abc import Collection

from rayfort._cdk import App, Construct
from rayfort.config import Environment
from rayfort.config.cluster import CreatedKeys
from rayfort.config.derived import (
    admitted_image_patterns,
    audit_key_project,
    cert_manager_installed,
    control_plane_access,
    dashboard_host,
    effective_feature_gates,
    export_routes_to_control_plane,
    key_projects,
    private_endpoint_global_access,
)
from rayfort.config.kuberay import OPERATOR_NAMESPACE
from rayfort.config.placement import tenant_placement
from rayfort.config.tenant import TenantSettings
from rayfort.gke.cluster import ControlPlaneReach
from rayfort.kms import MAX_ROTATION_DAYS
from rayfort.kuberay.admission.node_pools import node_placement
from rayfort.kuberay.admission.policies import ray_admission
from rayfort.registry.images import MirrorAddress
from rayfort.registry.mirror import ArtifactMirrorProps, CreatedMirrorKey
from rayfort.stacks import (
    AuditStack,
    AuditStackProps,
    ClusterRefs,
    ExposureRefs,
    ExposureStack,
    ExposureStackProps,
    GkeStack,
    GkeStackProps,
    KubeRayStack,
    KubeRayStackProps,
    MirrorRefs,
    MirrorStack,
    NetworkRefs,
    NetworkStack,
    NetworkStackProps,
    OperatorRefs,
    OperatorTenant,
    Platform,
    TenantStack,
)


def build_app(env: Environment, outdir: str = "cdktf.out", tenants: Collection[str] | None = None) -> App:
    """Build every stack of ``env``; stacks share values only through their typed refs.

    ``tenants``: the tenants whose stacks are built (None: all). The shared stacks are always built whole, from
    the environment, so a synth can split the tenants over processes (``rayfort.synth_workers``).
    """
    # cdktf's per-stack validations start a `terraform version` process per stack; rayfort's synth makes the
    # same checks once, on the output (rayfort.synth.framework_problems).
    app = App(outdir=outdir, skip_validation=True)
    networking = network_stack(app, env)
    network = networking.refs
    audit_trail = audit_stack(app, env)
    # The perimeter and the organization policy guardrails are in force before the evidence's key and bucket exist.
    audit_trail.add_dependency(networking)
    audit = audit_trail.refs
    mirror = mirror_stack(app, env, networking)
    gke = gke_stack(app, env, network, mirror)
    # The audit trail and Data Access logs exist before the first cluster is created.
    gke.add_dependency(audit.stack)
    cluster = gke.refs
    operator = kuberay_stack(app, env, cluster, network, mirror).refs
    # The shared edge comes before the tenants: each tenant's route, record and IAP grant join it.
    exposure = exposure_stack(app, env, cluster).refs
    for tenant in env.tenants:
        if tenants is None or tenant.name in tenants:
            tenant_stack(app, env, tenant, network, cluster, operator, exposure)
    return app


def network_stack(scope: Construct, env: Environment) -> NetworkStack:
    return NetworkStack(
        scope,
        "network",
        Platform.of(env),
        NetworkStackProps(
            settings=env.network,
            name=env.cluster.name,
            deployer=env.deployer,
            org_policies=env.org_policies,
            perimeter_projects=(
                *(project for _, project in key_projects(env)),
                audit_key_project(env),
                env.audit.bucket_project(env),
            ),
        ),
    )


def audit_stack(scope: Construct, env: Environment) -> AuditStack:
    created = env.cluster.kms.create
    return AuditStack(
        scope,
        "audit",
        Platform.of(env),
        AuditStackProps(
            settings=env.audit,
            name=env.cluster.name,
            key_project_id=audit_key_project(env),
            key_ring_prefix=created.key_ring if created is not None else env.cluster.name,
            rotation_days=created.rotation_days if created is not None else MAX_ROTATION_DAYS,
            cluster_key_project_id=created.project_id if created is not None else None,
            operator_namespace=None if env.kuberay.install == "gke-addon" else OPERATOR_NAMESPACE,
        ),
    )


def mirror_stack(scope: Construct, env: Environment, network: NetworkStack) -> MirrorRefs | None:
    """The air-gapped mirror: a stack of its own when rayfort creates it, deployed right after the network."""
    props = _mirror(env)
    if props is None:
        return None
    if not props.create:
        return MirrorRefs.existing(props.address)
    stack = MirrorStack(scope, "mirror", Platform.of(env), props)
    # The perimeter and the organization policy guardrails are in force before the repositories and their key exist.
    stack.add_dependency(network)
    return stack.refs


def gke_stack(scope: Construct, env: Environment, network: NetworkRefs, mirror: MirrorRefs | None = None) -> GkeStack:
    stack = GkeStack(
        scope,
        "gke",
        Platform.of(env),
        GkeStackProps(
            settings=env.cluster,
            zones=tuple(env.zones),
            admitted_images=admitted_image_patterns(env),
            ray_operator_addon=env.kuberay.install == "gke-addon",
            gateway_api=env.exposure.api == "gateway",
            control_plane=ControlPlaneReach(
                access=control_plane_access(env),
                global_access=private_endpoint_global_access(env),
                export_routes=export_routes_to_control_plane(env),
            ),
            runner_ranges=tuple(env.deployer.source_ranges),
            scanning_enabled_by=mirror.scanning_project if mirror is not None else None,
        ),
        network,
    )
    if mirror is not None and mirror.stack is not None:
        # Filling the mirror is the one step outside Terraform: it comes right after the network, so that
        # once it is filled everything else (the cluster's long create included) deploys in one go.
        stack.add_dependency(mirror.stack)
    return stack


def kuberay_stack(
    scope: Construct, env: Environment, cluster: ClusterRefs, network: NetworkRefs, mirror: MirrorRefs | None = None
) -> KubeRayStack:
    tenants = tuple(
        OperatorTenant(t, node_placement(env, t.name), dashboard_host(env, t) if t.exposure.iap.enabled else None)
        for t in env.tenants
        if t.ray_runtime == "kuberay"
    )
    return KubeRayStack(
        scope,
        "kuberay",
        Platform.of(env),
        KubeRayStackProps(
            settings=env.kuberay,
            admission=ray_admission(env),
            tenants=tenants,
            feature_gates=tuple(sorted(effective_feature_gates(env).items())),
            cert_manager=cert_manager_installed(env),
        ),
        cluster,
        network,
        mirror,
    )


def tenant_stack(
    scope: Construct,
    env: Environment,
    tenant: TenantSettings,
    network: NetworkRefs,
    cluster: ClusterRefs,
    operator: OperatorRefs,
    exposure: ExposureRefs | None = None,
) -> TenantStack:
    return TenantStack(
        scope,
        f"tenant-{tenant.name}",
        Platform.of(env),
        tenant,
        _tenant_keys(env),
        network,
        cluster,
        operator,
        placement=tenant_placement(env, tenant),
        admitted_nodes=node_placement(env, tenant.name),
        alert_channels=tuple(env.audit.notification_channels),
        exposure=exposure,
        dashboard_host=dashboard_host(env, tenant) if tenant.exposure.iap.enabled else None,
    )


def exposure_stack(scope: Construct, env: Environment, cluster: ClusterRefs) -> ExposureStack:
    return ExposureStack(
        scope,
        "exposure",
        Platform.of(env),
        ExposureStackProps(
            settings=env.exposure,
            resource_prefix=env.cluster.name,
            published=any(t.exposure.iap.enabled for t in env.tenants),
        ),
        cluster,
    )


def _tenant_keys(env: Environment) -> CreatedKeys:
    """How tenant keys are made: beside the cluster's, with their rotation (the environment validates this)."""
    keys = env.cluster.kms.create
    if keys is None:
        raise ValueError(
            "with cluster.kms.existing rayfort creates no keys, and tenants get a key of their own "
            "rather than share the cluster's; use cluster.kms.create"
        )
    return keys


def _mirror(env: Environment) -> ArtifactMirrorProps | None:
    """The private registry, with a key of its own beside the cluster's when rayfort creates keys."""
    settings = env.registry_mirror
    if settings is None:
        return None
    kms = env.cluster.kms.create
    created = (
        CreatedMirrorKey(kms.project_id or env.project_id, f"{env.cluster.name}-registry", kms.rotation_days)
        if kms is not None
        else None
    )
    return ArtifactMirrorProps(
        address=MirrorAddress.of(env, settings),
        create=settings.create,
        kms_key_id=settings.kms_key,
        created_key=created,
    )
