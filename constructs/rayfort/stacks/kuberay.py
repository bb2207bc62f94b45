"""The kuberay stack: the operator (cluster-wide, namespaced or GKE's add-on) and cert-manager."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct, TerraformResource, TerraformStack
from rayfort._providers import google
from rayfort.config.kuberay import OPERATOR_NAMESPACE, KubeRaySettings
from rayfort.config.tenant import TenantSettings
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.namespace import restricted_namespace
from rayfort.kuberay.addon import GkeAddonCompatibility
from rayfort.kuberay.admission.policies import AdmissionPolicies
from rayfort.kuberay.admission.ray_workloads import RayAdmission
from rayfort.kuberay.cert_manager import CertManager, CertManagerProps, CertManagerValues
from rayfort.kuberay.chart import ChartSource
from rayfort.kuberay.crds import KubeRayCrds
from rayfort.kuberay.guardrails import OperatorNetwork, namespace_guardrails
from rayfort.kuberay.operator import KubeRayOperator, KubeRayOperatorProps
from rayfort.kuberay.values import OPERATOR_IMAGE, OperatorValues
from rayfort.registry.images import MirrorAddress
from rayfort.registry.mirror import ArtifactMirror, ArtifactMirrorProps
from rayfort.stacks.base import Platform, RayfortStack
from rayfort.stacks.gke import ClusterRefs
from rayfort.stacks.mirror import MirrorRefs
from rayfort.stacks.network import NetworkRefs
from rayfort.tenant.admission import TenantNodes
from rayfort.tenant.namespace import tenant_namespace


@dataclass(frozen=True)
class OperatorRefs:
    """What the kuberay stack offers tenant stacks."""

    stack: TerraformStack | None
    """The stack that installs the operator and its CRDs, which tenant stacks deploy after; None when
    the operator is installed outside this app (by a cluster admin, or as GKE's add-on)."""
    namespace: str
    """The operator's namespace, which tenants' network policies admit to their heads' dashboards."""
    mirror: MirrorAddress | None
    """The private registry tenants' images come from; None when images come from upstream."""
    namespaces: tuple[str, ...] = ()
    """Tenant namespaces this stack creates (the namespaced operator's); their tenant stacks use them as they are."""


@dataclass(frozen=True)
class OperatorTenant:
    """A tenant whose RayClusters the operator runs, with what its namespace carries if this stack creates it."""

    settings: TenantSettings
    nodes: TenantNodes | None = None
    """The node rules admission holds it to (``rayfort.tenant.admission``); None in Autopilot."""
    dashboard_host: str | None = None
    """Its IAP host when it is published: the one host routes in its namespace may claim."""


@dataclass(frozen=True)
class KubeRayStackProps:
    """Inputs of KubeRayStack besides the platform and the cluster."""

    settings: KubeRaySettings
    """How the operator is installed (cluster-wide, namespaced or GKE's add-on) and its CRDs managed."""
    admission: RayAdmission
    """What tenants' Ray clusters may be: the admission policies this stack applies to tenant namespaces
    (with a namespaced operator a cluster admin applies them instead: they are cluster-scoped)."""
    tenants: tuple[OperatorTenant, ...] = ()
    """The tenants whose RayClusters the operator runs. When namespaced, it watches exactly their namespaces,
    and this stack creates them: the release puts the operator's Roles there, so they exist first. Otherwise
    nothing here names a tenant, and adding one leaves this stack as it was."""
    feature_gates: tuple[tuple[str, bool], ...] = ()
    """Every feature gate with the value the operator runs with."""
    cert_manager: bool = False
    """Install cert-manager, which issues tenants' Ray TLS certificates (never with the namespaced operator,
    whose cert-manager is a cluster admin's: see rayfort.kuberay.prerequisites)."""


class KubeRayStack(RayfortStack):
    """Installs the KubeRay operator, and cert-manager when a tenant's TLS needs it, on the gke stack's cluster.

    Offers ``refs`` (OperatorRefs): the operator's namespace and the mirror.
    Needs the platform, its settings (KubeRayStackProps), ClusterRefs, the
    control plane's range from NetworkRefs and, when air-gapped, MirrorRefs: it
    deploys after the mirror stack, once the mirror is filled.
    """

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        platform: Platform,
        props: KubeRayStackProps,
        cluster: ClusterRefs,
        network: NetworkRefs,
        mirror: MirrorRefs | None = None,
    ) -> None:
        super().__init__(scope, stack_id, platform)
        settings = props.settings
        # Charts: the operator's release and CRDs, and cert-manager's; GKE's add-on needs neither of the first two.
        self.use_cluster(cluster.access, charts=props.cert_manager or settings.install != "gke-addon")
        registry = self._mirror(mirror, cluster)
        namespaced = settings.install == "namespaced"
        watched = tuple(tenant.settings.name for tenant in props.tenants)
        self.refs = OperatorRefs(
            stack=self,
            namespace=OPERATOR_NAMESPACE,
            mirror=mirror.address if mirror else None,
            namespaces=watched if namespaced else (),
        )
        token = google.DataGoogleClientConfig(self, "registry-client").access_token if registry else None
        # Tenants' certificates come from cert-manager whoever runs the operator, so GKE's add-on needs it too.
        if props.cert_manager:
            self._cert_manager(network.control_plane_cidr, registry, token)
        if settings.install != "namespaced":
            AdmissionPolicies(self, "admission", props.admission)
        if settings.install == "gke-addon":
            GkeAddonCompatibility(self, "gke-addon")
            return
        namespace = KubernetesObject(
            self, "namespace", restricted_namespace(OPERATOR_NAMESPACE, {"app.kubernetes.io/part-of": "kuberay"})
        )
        source = ChartSource()
        image = OPERATOR_IMAGE
        if registry is not None:
            source = ChartSource(repository=registry.chart_registry, access_token=token)
            image = registry.address.mirrored(image)
        values = OperatorValues(
            image_repository=image,
            watch_namespaces=watched if namespaced else (),
            feature_gates=props.feature_gates,
        )
        operator_network = OperatorNetwork(OPERATOR_NAMESPACE, network.control_plane_cidr)
        guards = [
            KubernetesObject(
                self, f"{obj['kind'].lower()}-{obj['metadata']['name']}", obj, depends_on=[namespace.manifest]
            )
            for obj in namespace_guardrails(operator_network, values)
        ]
        after: list[TerraformResource] = [namespace.manifest, *(guard.manifest for guard in guards)]
        if namespaced:
            after += [self._tenant_namespace(tenant) for tenant in props.tenants]
        if settings.manage_crds:
            crds = KubeRayCrds(self, "crds", source=source, namespace=OPERATOR_NAMESPACE)
            after.append(crds.manifests)
        KubeRayOperator(
            self,
            "operator",
            KubeRayOperatorProps(namespace=OPERATOR_NAMESPACE, values=values, source=source),
            after=after,
        )

    def _tenant_namespace(self, tenant: OperatorTenant) -> TerraformResource:
        """A watched tenant's namespace, as its tenant stack would make it: the release's Roles go there.

        Here rather than in the tenant stack, which deploys after this one: the
        operator lists and watches every watched namespace when it starts, so its
        Roles (rendered by the pinned chart, never copied) must be in place, in
        namespaces that exist, before the release is waited for.
        """
        manifest = tenant_namespace(tenant.settings, tenant.nodes, tenant.dashboard_host)
        return KubernetesObject(self, f"tenant-namespace-{tenant.settings.name}", manifest).manifest

    def _cert_manager(self, control_plane_cidr: str, mirror: ArtifactMirror | None, token: str | None) -> None:
        """cert-manager from the public chart, or from the mirror with mirrored images when air-gapped."""
        if mirror is None:
            CertManager(self, "cert-manager", CertManagerProps(control_plane_cidr=control_plane_cidr))
            return
        images = tuple((c, mirror.address.mirrored(r)) for c, r in CertManagerValues().image_repositories)
        props = CertManagerProps(
            control_plane_cidr=control_plane_cidr,
            values=CertManagerValues(image_repositories=images),
            repository=mirror.chart_registry,
            access_token=token,
        )
        CertManager(self, "cert-manager", props)

    def _mirror(self, refs: MirrorRefs | None, cluster: ClusterRefs) -> ArtifactMirror | None:
        """The private registry, when there is one: filled before this stack is planned; nodes may pull from it."""
        if refs is None:
            return None
        if refs.stack is not None:
            # Charts are read from the mirror at plan time: its repositories exist (and are filled) first.
            self.add_dependency(refs.stack)
        mirror = ArtifactMirror(self, "mirror", ArtifactMirrorProps(address=refs.address, create=False))
        mirror.grant_read(cluster.nodes)
        return mirror
