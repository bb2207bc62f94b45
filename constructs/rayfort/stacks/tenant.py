"""tenant-<name> stacks: one isolated Ray cluster per team, each with its own state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from rayfort._cdk import Construct, TerraformOutput, TerraformStack
from rayfort.audit.tenant import TenantMonitoring, TenantMonitoringProps
from rayfort.config.cluster import CreatedKeys
from rayfort.config.placement import TenantPlacement
from rayfort.config.tenant import TenantSettings
from rayfort.exposure.edge import DashboardProps
from rayfort.exposure.gateway_dashboard import GatewayDashboard
from rayfort.exposure.iap_access import IapTenantAccess, IapTenantAccessProps
from rayfort.exposure.iap_ingress import IapDashboard
from rayfort.exposure.internal_access import InternalAccess, InternalAccessProps, internal_service_name
from rayfort.iam import Principal, ServiceAgents, storage_service_agent
from rayfort.k8s.manifest import KubernetesObject
from rayfort.kms import EncryptionKey
from rayfort.registry.images import ray_image
from rayfort.stacks.base import Platform, RayfortStack
from rayfort.stacks.exposure import ExposureRefs
from rayfort.stacks.gke import ClusterRefs
from rayfort.stacks.kuberay import OperatorRefs
from rayfort.stacks.network import NetworkRefs
from rayfort.tenant.admission import TenantNodes
from rayfort.tenant.bucket import TenantBucket, TenantBucketProps, bucket_name
from rayfort.tenant.identity import TenantIdentity, TenantIdentityProps
from rayfort.tenant.key import TenantKey, TenantKeyProps, key_ring_name
from rayfort.tenant.namespace import TenantNamespace, tenant_labels
from rayfort.tenant.network_policies import TenantNetworkPolicies, TenantNetworkPolicyProps
from rayfort.tenant.quick_test import quick_test_command
from rayfort.tenant.quota import tenant_quota_objects
from rayfort.tenant.rbac import TenantRbac, TenantRbacProps, group_id_part
from rayfort.tenant.redis import TenantRedis, TenantRedisProps, instance_id
from rayfort.tenant.runtime import ray_runtime_objects
from rayfort.tenant.runtime.inputs import RayRuntimeInputs, auth_token_secret_id, secret_manager_secret_ids
from rayfort.tenant.runtime.kuberay import kuberay_auth_secret_name
from rayfort.tenant.runtime.pods import RAY_PINNED_PORTS, head_selector, head_service_name
from rayfort.tenant.secrets import TenantSecrets, TenantSecretsProps

REDIS_AUTH_SECRET = "redis-auth"


@dataclass(frozen=True)
class TenantRefs:
    """What a tenant stack offers the app and the tools: its settings, namespace and head."""

    settings: TenantSettings
    """The tenant's settings: its name, what it asks to publish and who may reach it."""
    head_selector: Mapping[str, str]
    """Labels that select the head pod in either runtime, for Services in front of it."""
    stack: TerraformStack | None = None
    """The tenant's stack, which stacks placing objects in its namespace deploy after (the namespace is a
    literal when the kuberay stack creates it, so a reference alone would not order them)."""
    namespace_object: KubernetesObject | None = None
    """The tenant's Namespace when this stack creates it; None when the kuberay stack does."""

    @property
    def namespace(self) -> str:
        """The tenant's namespace: a reference when this stack creates it, so objects put there wait for it."""
        return self.settings.name if self.namespace_object is None else self.namespace_object.name


class TenantStack(RayfortStack):
    """A team's namespace, access, quota, network policies, identity, key, bucket, Redis and Ray cluster.

    Offers ``refs`` (TenantRefs). Needs the platform, the tenant's settings, how
    tenant keys are made (``keys``: key ring prefix, KMS project, rotation), and
    the refs of the network, gke and kuberay stacks; it deploys after the kuberay stack. ``placement``
    (``config.placement.tenant_placement``) keeps each Ray pod to the node pools that admit the tenant;
    None: no pool is chosen, as in Autopilot. ``admitted_nodes`` (``kuberay.admission.node_pools.node_placement``)
    is what the admission policy lets the team's own pod templates say about nodes, written on the namespace;
    None: what it lets a tenant no pool names.
    The tenant's alerts notify ``alert_channels`` (Cloud Monitoring channels of the platform's project).
    """

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        platform: Platform,
        tenant: TenantSettings,
        keys: CreatedKeys,
        network: NetworkRefs,
        cluster: ClusterRefs,
        operator: OperatorRefs,
        *,
        placement: TenantPlacement | None = None,
        admitted_nodes: TenantNodes | None = None,
        alert_channels: tuple[str, ...] = (),
        exposure: ExposureRefs | None = None,
        dashboard_host: str | None = None,
    ) -> None:
        super().__init__(scope, stack_id, platform)
        self.use_cluster(cluster.access)
        if operator.stack is not None:
            # The operator and its CRDs must exist before a RayCluster can be planned.
            self.add_dependency(operator.stack)
        if tenant.exposure.iap.enabled:
            if exposure is None or exposure.edge is None or dashboard_host is None:
                raise ValueError(f"tenant {tenant.name} is published through IAP: it needs the shared edge and a host")
            if exposure.stack is not None:
                # The zone, the Gateway and its certificate map exist before the tenant's route and record.
                self.add_dependency(exposure.stack)
        project = platform.project_id
        labels = {key.rsplit("/", 1)[1]: value for key, value in tenant_labels(tenant).items()}

        # With the namespaced operator the kuberay stack creates the namespace, before its Roles go there.
        namespace_object = (
            None
            if tenant.name in operator.namespaces
            else TenantNamespace(
                self, "namespace", tenant, admitted_nodes, dashboard_host if tenant.exposure.iap.enabled else None
            )
        )
        # Everything below is in this stack, so it names the namespace as the stack does (a reference all the same).
        namespace = tenant.name if namespace_object is None else namespace_object.name_in_stack
        kuberay_token = tenant.ray_runtime == "kuberay" and tenant.token_auth
        TenantRbac(
            self,
            "rbac",
            TenantRbacProps(
                namespace=namespace,
                project_id=project,
                connect_role=cluster.connect_role,
                developers=tuple(tenant.groups.developers),
                viewers=tuple(tenant.groups.viewers),
                # Submitting a job needs the token KubeRay generates; reading it is all developers get of Secrets.
                developer_secrets=(kuberay_auth_secret_name(tenant.name),) if kuberay_token else (),
            ),
        )
        for obj in tenant_quota_objects(namespace, tenant):
            KubernetesObject(self, obj["kind"].lower(), obj)

        identity = TenantIdentity(
            self, "identity", TenantIdentityProps(tenant=tenant.name, project_id=project, namespace=namespace)
        )
        # Data sources at the stack's root ("project", "storage-agent"): their addresses are a contract too.
        agents = ServiceAgents.read(self, "project", project)
        key = TenantKey(
            self,
            "key",
            TenantKeyProps(
                tenant=tenant.name,
                location=platform.region,
                project_id=keys.project_id or project,
                key_ring=key_ring_name(keys.key_ring, tenant.name),
                rotation_days=keys.rotation_days,
            ),
        ).key
        bucket = TenantBucket(
            self,
            "bucket",
            TenantBucketProps(
                name=bucket_name(project, tenant.name, "artifacts"),
                location=platform.region,
                kms_key=key,
                storage_agent=storage_service_agent(self, "storage-agent", project),
                labels=labels,
            ),
        )
        bucket.grant_read_write(identity.head)
        if tenant.workers_delete_objects:
            bucket.grant_read_write(identity.workers)
        else:
            bucket.grant_read_create(identity.workers)
        redis = TenantRedis(
            self,
            "redis",
            TenantRedisProps(
                name=instance_id(tenant.name),
                region=platform.region,
                network_id=network.network_id,
                reserved_range=network.private_services_range,
                namespace=namespace,
                secret_name=REDIS_AUTH_SECRET,
                kms_key=key,
                service_agent=agents.redis,
                tier=tenant.redis.tier,
                memory_size_gb=tenant.redis.memory_size_gb,
                labels=labels,
            ),
        )
        TenantNetworkPolicies(
            self,
            "network-policies",
            replace(
                TenantNetworkPolicyProps.for_tenant(
                    tenant,
                    RAY_PINNED_PORTS,
                    operator.namespace,
                    control_plane_cidr=network.control_plane_cidr,
                    google_apis_cidr=network.google_apis_cidr,
                    redis_cidr=network.private_services_cidr,
                ),
                namespace=namespace,
            ),
        )

        self._secrets(platform, tenant, labels, identity.pods, key, agents.secret_manager)
        runtime = RayRuntimeInputs(
            tenant=tenant,
            image=self._ray_image(tenant, operator, identity),
            project_id=project,
            redis_address=redis.address,
            redis_ca_cert=redis.server_ca_cert,
            redis_password_secret=redis.password_secret_name,
            gcs_bucket=bucket.name,
            namespace=namespace,
            placement=placement,
        )
        for obj in ray_runtime_objects(runtime):
            KubernetesObject(self, f"ray-{obj['kind'].lower()}-{obj['metadata']['name']}", obj)
        TenantMonitoring(
            self,
            "monitoring",
            TenantMonitoringProps.for_tenant(
                tenant, project_id=project, environment=platform.environment, notification_channels=alert_channels
            ),
        )
        self._outputs(runtime)
        self._internal_access(platform, tenant, namespace, network, exposure)
        if tenant.exposure.iap.enabled:
            assert exposure is not None and exposure.edge is not None and dashboard_host is not None  # checked above
            self._dashboard(platform, tenant, namespace, exposure, dashboard_host)
        self.refs = TenantRefs(
            settings=tenant, head_selector=head_selector(tenant.name), stack=self, namespace_object=namespace_object
        )

    def _secrets(
        self,
        platform: Platform,
        tenant: TenantSettings,
        labels: dict[str, str],
        pods: tuple[Principal, ...],
        key: EncryptionKey,
        agent: Principal,
    ) -> None:
        """Secret Manager secrets the pods mount, under the tenant key; readable by the pods (token: developers)."""
        secrets = TenantSecrets(
            self,
            "secrets",
            TenantSecretsProps(
                project_id=platform.project_id,
                region=platform.region,
                secret_ids=secret_manager_secret_ids(tenant),
                kms_key=key,
                service_agent=agent,
                labels=labels,
            ),
        )
        for secret_id in secrets.secrets:
            for principal in pods:
                secrets.grant_access(f"{secret_id}-{principal.name}", secret_id, principal.member)
        if tenant.ray_runtime == "plain" and tenant.token_auth:
            # Without KubeRay the token lives only in Secret Manager; developers read it to submit jobs.
            token = auth_token_secret_id(tenant)
            for email in tenant.groups.developers:
                developers = Principal.group(email, group_id_part(email))
                secrets.grant_access(
                    f"{token}-{developers.name}",
                    token,
                    developers.member,
                    expires=tenant.groups.developer_token_expiry,
                )

    def _internal_access(
        self,
        platform: Platform,
        tenant: TenantSettings,
        namespace: str,
        network: NetworkRefs,
        exposure: ExposureRefs | None,
    ) -> None:
        """The internal load balancer in front of the head, for machines in the VPC."""
        internal = tenant.exposure.internal
        if not internal.enabled:
            return
        static: dict[str, str] = {}
        if internal.static_ip:
            if exposure is None:
                raise ValueError(f"tenant {tenant.name}'s static internal address is named with the exposure's prefix")
            static = {
                "static_address_name": f"{exposure.resource_prefix}-{tenant.name}-ray",
                "subnetwork": network.subnet_id,
                "region": platform.region,
            }
        access = InternalAccess(
            self,
            "internal",
            InternalAccessProps(
                service_name=internal_service_name(tenant.name),
                namespace=namespace,
                selector=head_selector(tenant.name),
                source_ranges=tuple(internal.source_ranges),
                global_access=internal.global_access,
                **static,
            ),
        )
        if access.ip_address is not None:
            TerraformOutput(
                self,
                "internal-address",
                value=access.ip_address,
                description="RAY_ADDRESS host inside the VPC (ray://<it>:10001)",
            )

    def _dashboard(
        self, platform: Platform, tenant: TenantSettings, namespace: str, exposure: ExposureRefs, host: str
    ) -> None:
        """The dashboard on the shared edge, and the IAP grant that admits the tenant's developers to its host."""
        edge = exposure.edge
        assert edge is not None  # published tenants are given the edge
        prefix = f"{exposure.resource_prefix}-{tenant.name}"
        props = DashboardProps(prefix, tenant.name, namespace, host, head_selector(tenant.name))
        dashboard = GatewayDashboard if edge.api == "gateway" else IapDashboard
        dashboard(self, "dashboard", props, edge)
        IapTenantAccess(
            self,
            "iap-access",
            IapTenantAccessProps(
                project=platform.project_id, tenant=tenant.name, host=host, groups=tuple(tenant.groups.developers)
            ),
        )
        TerraformOutput(self, "dashboard-url", value=f"https://{host}/", description="IAP-protected Ray dashboard")

    def _ray_image(self, tenant: TenantSettings, operator: OperatorRefs, identity: TenantIdentity) -> str:
        """The tenant's image, else the pinned Ray image, from the mirror when there is one."""
        image = tenant.image or ray_image(tenant.ray_version)
        mirror = operator.mirror
        if mirror is None:
            return image
        # Runtime environments (container images of jobs) come from the mirror too.
        identity.grant_artifact_read(
            "mirror-read", project_id=mirror.project_id, location=mirror.location, repository=mirror.repository
        )
        return image if tenant.image is not None else mirror.mirrored(image)

    def _outputs(self, runtime: RayRuntimeInputs) -> None:
        """The head's address, and the quick test where the internal load balancer makes it reachable."""
        tenant = runtime.tenant
        TerraformOutput(
            self,
            "ray-address",
            value=f"{head_service_name(tenant.name)}.{tenant.name}.svc.cluster.local",
            description="In-cluster DNS name of the Ray head (client 10001, dashboard 8265)",
        )
        if tenant.exposure.internal.enabled:
            # The internal load balancer's address is GKE's to assign; it is read where the command runs.
            address = (
                f"$(kubectl -n {tenant.name} get service {internal_service_name(tenant.name)} "
                "-o jsonpath='{.status.loadBalancer.ingress[0].ip}')"
            )
            TerraformOutput(
                self,
                "quick-test",
                value=quick_test_command(replace(runtime, namespace=tenant.name), address),
                description="Submits a pi estimation through the internal load balancer; run it where kubectl works",
            )
