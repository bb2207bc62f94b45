"""The ray.io CRDs as separate objects, rendered from the pinned chart at plan time.

Helm installs a chart's crds/ folder once and never upgrades it, so a chart
upgrade would leave old CRDs behind and the new operator would prune fields it
needs. Here a ``helm_template`` data source reads the same pinned chart, its
``crds`` attribute lists the CRD files, and one ``kubernetes_manifest`` per CRD
(keyed by CRD name) applies each with server-side apply. Bumping the chart
version updates the CRDs in the same plan, before the release.

The CRD YAML never enters this repository: Terraform reads it from the chart.
"""

from __future__ import annotations

from rayfort._cdk import Construct, Token
from rayfort._providers import helm, kubernetes
from rayfort.kuberay.chart import ChartSource
from rayfort.versions import KUBERNETES_VERSION

CRD_KIND = "CustomResourceDefinition"


class KubeRayCrds(Construct):
    """RayCluster, RayJob, RayService and RayCronJob CRDs, applied before the operator."""

    def __init__(self, scope: Construct, construct_id: str, *, source: ChartSource, namespace: str) -> None:
        super().__init__(scope, construct_id)
        self.template = helm.DataHelmTemplate(
            self,
            "chart",
            name="kuberay-operator",
            namespace=namespace,
            kube_version=f"{KUBERNETES_VERSION}.0",
            skip_tests=True,
            **source.helm_arguments(),
        )
        # One object per CRD file, keyed by CRD name so adding a CRD never renames another; the kind
        # filter keeps anything but a CustomResourceDefinition out of this path.
        self.manifests = kubernetes.Manifest(
            self,
            "crd",
            manifest=Token.as_any_map("${each.value}"),
            field_manager={"name": "rayfort", "force_conflicts": False},
        )
        self.manifests.add_override("for_each", crd_documents(f"{self.template.fqn}.crds"))


def crd_documents(crd_files: str) -> str:
    """Terraform expression: {CRD name: CRD object} for every CRD file in the list ``crd_files``."""
    decoded = "yamldecode(crd)"
    return f'${{{{ for crd in {crd_files} : {decoded}.metadata.name => {decoded} if {decoded}.kind == "{CRD_KIND}" }}}}'
