"""The kuberay-operator Helm release: pinned, atomic, values typed and judged, CRDs left to rayfort."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rayfort._cdk import Construct, TerraformResource
from rayfort._providers import helm
from rayfort.kuberay.chart import ChartSource, release_safeguards
from rayfort.kuberay.values import OPERATOR_NAME, OperatorValues


@dataclass(frozen=True)
class KubeRayOperatorProps:
    """Inputs of KubeRayOperator."""

    namespace: str
    """The operator's namespace, created by rayfort with Pod Security labels."""
    values: OperatorValues
    """Typed chart values."""
    source: ChartSource = ChartSource()
    """Public chart repository by default; the OCI mirror when air-gapped."""
    timeout_seconds: int = 600
    """How long Helm waits for the operator to become ready before rolling back."""


class KubeRayOperator(Construct):
    """The operator release; ``skip_crds`` because KubeRayCrds (or a cluster admin) owns the CRDs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: KubeRayOperatorProps,
        *,
        after: Sequence[TerraformResource] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.values = props.values
        self.release = helm.Release(
            self,
            "release",
            name=OPERATOR_NAME,
            namespace=props.namespace,
            values=[props.values.to_yaml()],
            **release_safeguards(props.timeout_seconds),
            depends_on=list(after),
            **props.source.helm_arguments(),
        )
