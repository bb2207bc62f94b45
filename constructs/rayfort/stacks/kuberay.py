"""The kuberay stack: the operator (cluster-wide, namespaced or GKE's add-on), cert-manager and the mirror."""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.config import Environment
from rayfort.config.kuberay import cert_manager_needed, effective_feature_gates
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.namespace import restricted_namespace
from rayfort.kuberay.addon import GkeAddonCompatibility
from rayfort.kuberay.admission.policies import AdmissionPolicies, ray_admission
from rayfort.kuberay.cert_manager import CertManager, CertManagerProps, CertManagerValues
from rayfort.kuberay.chart import ChartSource
from rayfort.kuberay.crds import KubeRayCrds
from rayfort.kuberay.guardrails import OperatorNetwork, namespace_guardrails
from rayfort.kuberay.operator import KubeRayOperator, KubeRayOperatorProps
from rayfort.kuberay.values import OPERATOR_IMAGE, OperatorValues
from rayfort.registry.images import MirrorAddress, ray_image
from rayfort.registry.mirror import ArtifactMirror, ArtifactMirrorProps, CreatedMirrorKey
from rayfort.stacks.base import RayfortStack
from rayfort.stacks.gke import GkeStack
from rayfort.versions import KUBERAY_VERSION

OPERATOR_NAMESPACE = "kuberay-system"


class KubeRayStack(RayfortStack):
    """Installs the KubeRay operator, and cert-manager when a tenant's TLS needs it, on the gke stack's cluster."""

    def __init__(self, scope: Construct, stack_id: str, env: Environment, gke: GkeStack) -> None:
        super().__init__(scope, stack_id, env)
        self.use_cluster(gke.access)
        settings = env.kuberay
        self.mirror = self._mirror(env, gke)
        self.namespace: KubernetesObject | None = None
        self.operator: KubeRayOperator | None = None
        self.crds: KubeRayCrds | None = None
        token = google.DataGoogleClientConfig(self, "registry-client").access_token if self.mirror else None
        # Tenants' certificates come from cert-manager whoever runs the operator, so GKE's add-on needs it too.
        self.cert_manager = self._cert_manager(env, token) if cert_manager_needed(env) else None
        # Cluster-scoped: with a namespaced operator a cluster admin applies them (make admission-policies).
        self.admission = (
            AdmissionPolicies(self, "admission", ray_admission(env)) if settings.install != "namespaced" else None
        )
        if settings.install == "gke-addon":
            self.addon = GkeAddonCompatibility(self, "gke-addon")
            return
        self.namespace = KubernetesObject(
            self, "namespace", restricted_namespace(OPERATOR_NAMESPACE, {"app.kubernetes.io/part-of": "kuberay"})
        )
        source = ChartSource()
        image = OPERATOR_IMAGE
        if self.mirror is not None:
            source = ChartSource(repository=self.mirror.chart_registry, access_token=token)
            image = self.mirror.address.mirrored(image)
        watched = tuple(t.name for t in env.tenants if t.ray_runtime == "kuberay")
        values = OperatorValues(
            image_repository=image,
            watch_namespaces=watched if settings.install == "namespaced" else (),
            feature_gates=tuple(sorted(effective_feature_gates(env).items())),
        )
        network = OperatorNetwork(OPERATOR_NAMESPACE, env.network.control_plane_cidr, watched)
        guards = [
            KubernetesObject(self, f"{obj['kind'].lower()}-{obj['metadata']['name']}", obj)
            for obj in namespace_guardrails(network, values)
        ]
        namespace_address = f"kubernetes_manifest.{self.namespace.manifest.friendly_unique_id}"
        for guard in guards:
            guard.manifest.add_override("depends_on", [namespace_address])
        after = [self.namespace.manifest, *(guard.manifest for guard in guards)]
        if settings.manage_crds:
            self.crds = KubeRayCrds(self, "crds", source=source, namespace=OPERATOR_NAMESPACE)
            after.append(self.crds.manifests)
        self.operator = KubeRayOperator(
            self,
            "operator",
            KubeRayOperatorProps(namespace=OPERATOR_NAMESPACE, values=values, source=source),
            after=after,
        )

    def _cert_manager(self, env: Environment, token: str | None) -> CertManager:
        """cert-manager from the public chart, or from the mirror with mirrored images when air-gapped."""
        cidr = env.network.control_plane_cidr
        if self.mirror is None:
            return CertManager(self, "cert-manager", CertManagerProps(control_plane_cidr=cidr))
        images = tuple((c, self.mirror.address.mirrored(r)) for c, r in CertManagerValues().image_repositories)
        props = CertManagerProps(
            control_plane_cidr=cidr,
            values=CertManagerValues(image_repositories=images),
            repository=self.mirror.chart_registry,
            access_token=token,
        )
        return CertManager(self, "cert-manager", props)

    def _mirror(self, env: Environment, gke: GkeStack) -> ArtifactMirror | None:
        """The private registry, when the environment names one; nodes may pull from it."""
        settings = env.registry_mirror
        if settings is None:
            return None
        kms = env.cluster.kms.create
        created = CreatedMirrorKey(kms.project_id or env.project_id, f"{env.cluster.name}-registry") if kms else None
        mirror = ArtifactMirror(
            self,
            "mirror",
            ArtifactMirrorProps(
                address=MirrorAddress.of(env, settings),
                create=settings.create,
                kms_key_id=settings.kms_key,
                created_key=created,
            ),
        )
        mirror.grant_read("nodes", gke.node_identity.member)
        return mirror

    @property
    def operator_namespace(self) -> str:
        """Namespace of the operator pods; a reference when this stack creates it."""
        return self.namespace.name if self.namespace is not None else OPERATOR_NAMESPACE

    @property
    def crds_managed(self) -> bool:
        """Whether this stack applies the ray.io CRDs; otherwise GKE's add-on or a cluster admin does."""
        return self.crds is not None

    @property
    def kuberay_version(self) -> str:
        """KubeRay version tenants' RayClusters are written for (the add-on is checked against it)."""
        return KUBERAY_VERSION

    def ray_image(self, ray_version: str) -> str:
        """The Ray image tenants run: the mirror's copy when there is a mirror, else upstream."""
        upstream = ray_image(ray_version)
        return self.mirror.address.mirrored(upstream) if self.mirror is not None else upstream
