"""tenant-<name> stacks: one isolated Ray cluster per team, each with its own state."""

from __future__ import annotations

from dataclasses import replace

from rayfort._cdk import Construct, Fn, TerraformOutput, TerraformResource
from rayfort._providers import google
from rayfort.config import Environment
from rayfort.config.tenant import TenantSettings
from rayfort.k8s.manifest import KubernetesObject
from rayfort.registry.images import MirrorAddress, ray_image
from rayfort.stacks.base import RayfortStack
from rayfort.stacks.gke import GkeStack
from rayfort.stacks.kuberay import OPERATOR_NAMESPACE, KubeRayStack
from rayfort.stacks.network import NetworkStack
from rayfort.tenant.bucket import TenantBucket, TenantBucketProps, bucket_name
from rayfort.tenant.identity import TenantIdentity, TenantIdentityProps
from rayfort.tenant.key import TenantKey, TenantKeyProps, key_ring_name
from rayfort.tenant.namespace import TenantNamespace, tenant_labels
from rayfort.tenant.network_policies import TenantNetworkPolicies, TenantNetworkPolicyProps
from rayfort.tenant.quick_test import quick_test_command
from rayfort.tenant.quota import tenant_quota_objects
from rayfort.tenant.ray_cluster import kuberay_auth_secret_name
from rayfort.tenant.ray_pods import RAY_PINNED_PORTS, head_selector, head_service_name
from rayfort.tenant.ray_runtime import (
    RayRuntimeInputs,
    auth_token_secret_id,
    ray_runtime_objects,
    secret_manager_secret_ids,
)
from rayfort.tenant.rbac import TenantRbac, TenantRbacProps, group_id_part
from rayfort.tenant.redis import TenantRedis, TenantRedisProps, instance_id
from rayfort.tenant.secrets import TenantSecrets, TenantSecretsProps

REDIS_AUTH_SECRET = "redis-auth"


class TenantStack(RayfortStack):
    """A team's namespace, access, quota, network policies, identity, bucket, Redis and Ray cluster."""

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        env: Environment,
        tenant: TenantSettings,
        network: NetworkStack,
        gke: GkeStack,
        kuberay: KubeRayStack,
    ) -> None:
        super().__init__(scope, stack_id, env)
        self.tenant = tenant
        self.network = network
        self.use_cluster(gke.access)
        # The operator and its CRDs must exist before a RayCluster can be planned.
        self.add_dependency(kuberay)
        project = env.project_id
        labels = {key.rsplit("/", 1)[1]: value for key, value in tenant_labels(tenant).items()}

        self.namespace = TenantNamespace(self, "namespace", tenant)
        namespace = self.namespace.name
        kuberay_token = tenant.ray_runtime == "kuberay" and tenant.token_auth
        TenantRbac(
            self,
            "rbac",
            TenantRbacProps(
                namespace=namespace,
                project_id=project,
                developers=tuple(tenant.groups.developers),
                viewers=tuple(tenant.groups.viewers),
                # Submitting a job needs the token KubeRay generates; reading it is all developers get of Secrets.
                developer_secrets=(kuberay_auth_secret_name(tenant.name),) if kuberay_token else (),
            ),
        )
        for obj in tenant_quota_objects(namespace, tenant):
            KubernetesObject(self, obj["kind"].lower(), obj)

        self.identity = TenantIdentity(
            self, "identity", TenantIdentityProps(tenant=tenant.name, project_id=project, namespace=namespace)
        )
        key_id, storage_grant, redis_grant = self._key(env, tenant)
        self.bucket = TenantBucket(
            self,
            "bucket",
            TenantBucketProps(
                name=bucket_name(project, tenant.name, "artifacts"),
                location=env.region,
                kms_key_id=key_id,
                labels=labels,
                depends_on=(storage_grant,),
            ),
        )
        self.bucket.grant_read_write("ray-pods", self.identity.member)
        access = network.private_service_access
        self.redis = TenantRedis(
            self,
            "redis",
            TenantRedisProps(
                name=instance_id(tenant.name),
                region=env.region,
                network_id=network.vpc.network_id,
                reserved_range=None if access is None else Fn.element(access.connection.reserved_peering_ranges, 0),
                namespace=namespace,
                secret_name=REDIS_AUTH_SECRET,
                kms_key_id=key_id,
                tier=tenant.redis.tier,
                memory_size_gb=tenant.redis.memory_size_gb,
                labels=labels,
                depends_on=(redis_grant,),
            ),
        )
        TenantNetworkPolicies(
            self,
            "network-policies",
            replace(
                TenantNetworkPolicyProps.for_tenant(env, tenant, RAY_PINNED_PORTS, OPERATOR_NAMESPACE),
                namespace=namespace,
            ),
        )

        self._secrets(env, tenant, labels)
        runtime = RayRuntimeInputs(
            tenant=tenant,
            image=self._ray_image(env, tenant),
            project_id=project,
            redis_address=self.redis.address,
            redis_ca_cert=self.redis.server_ca_cert,
            redis_password_secret=self.redis.password_secret_name,
            gcs_bucket=self.bucket.name,
            namespace=namespace,
        )
        for obj in ray_runtime_objects(runtime):
            KubernetesObject(self, f"ray-{obj['kind'].lower()}-{obj['metadata']['name']}", obj)
        self._outputs(runtime)

    def _secrets(self, env: Environment, tenant: TenantSettings, labels: dict[str, str]) -> None:
        """The Secret Manager secrets the pods mount, readable by the pods (and the token by developers)."""
        secrets = TenantSecrets(
            self,
            "secrets",
            TenantSecretsProps(
                project_id=env.project_id,
                region=env.region,
                secret_ids=secret_manager_secret_ids(tenant),
                labels=labels,
            ),
        )
        for secret_id in secrets.secrets:
            secrets.grant_access(f"{secret_id}-ray-pods", secret_id, self.identity.member)
        if tenant.ray_runtime == "plain" and tenant.token_auth:
            # Without KubeRay the token lives only in Secret Manager; developers read it to submit jobs.
            token = auth_token_secret_id(tenant)
            for group in tenant.groups.developers:
                secrets.grant_access(f"{token}-{group_id_part(group)}", token, f"group:{group}")

    def _ray_image(self, env: Environment, tenant: TenantSettings) -> str:
        """The tenant's image, else the pinned Ray image, from the mirror when there is one."""
        image = tenant.image or ray_image(tenant.ray_version)
        if env.registry_mirror is None:
            return image
        mirror = MirrorAddress.of(env, env.registry_mirror)
        # Runtime environments (container images of jobs) come from the mirror too.
        self.identity.grant_artifact_read(
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
            # The load balancer is the exposure stack's; its address is read where the command runs.
            address = (
                f"$(kubectl -n {tenant.name} get service {self.internal_service_name} "
                "-o jsonpath='{.status.loadBalancer.ingress[0].ip}')"
            )
            TerraformOutput(
                self,
                "quick-test",
                value=quick_test_command(replace(runtime, namespace=tenant.name), address),
                description="Submits a pi estimation through the internal load balancer; run it where kubectl works",
            )

    def _key(self, env: Environment, tenant: TenantSettings) -> tuple[str, TerraformResource, TerraformResource]:
        """The tenant's key and its grants to the Cloud Storage and Memorystore service agents."""
        project = google.DataGoogleProject(self, "project", project_id=env.project_id)
        storage_agent = google.DataGoogleStorageProjectServiceAccount(self, "storage-agent", project=env.project_id)
        redis_agent = f"service-{project.number}@cloud-redis.iam.gserviceaccount.com"
        created = env.cluster.kms.create
        if created is None:
            raise ValueError(
                f"tenant {tenant.name}: with cluster.kms.existing rayfort creates no keys, and tenants get a key "
                "of their own rather than share the cluster's; use cluster.kms.create"
            )
        key = TenantKey(
            self,
            "key",
            TenantKeyProps(
                tenant=tenant.name,
                location=env.region,
                project_id=created.project_id or env.project_id,
                key_ring=key_ring_name(created.key_ring, tenant.name),
                rotation_days=created.rotation_days,
            ),
        )
        storage = key.grant_encrypt_decrypt("storage-agent", storage_agent.email_address)
        redis = key.grant_encrypt_decrypt("redis-agent", redis_agent)
        return key.id, storage, redis

    @property
    def namespace_name(self) -> str:
        """The namespace as a reference: objects the exposure stack puts there wait for it."""
        return self.namespace.name

    @property
    def internal_service_name(self) -> str:
        """Name of the internal load balancer Service the exposure stack creates for this tenant."""
        return f"{self.tenant.name}-head-internal"

    @property
    def cluster_name(self) -> str:
        """Name of the RayCluster (or of the operatorless head Deployment's cluster label)."""
        return self.tenant.name

    @property
    def head_selector(self) -> dict[str, str]:
        """Labels that select the head pod in either runtime, for the exposure stack's Services."""
        return head_selector(self.cluster_name)
