"""The kuberay stack: the operator's namespace and installation."""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort.config import Environment
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.namespace import restricted_namespace
from rayfort.stack import RayfortStack
from stacks.gke import GkeStack

OPERATOR_NAMESPACE = "kuberay-system"


class KubeRayStack(RayfortStack):
    """Installs the KubeRay operator on the gke stack's cluster."""

    def __init__(self, scope: Construct, stack_id: str, env: Environment, gke: GkeStack) -> None:
        super().__init__(scope, stack_id, env)
        self.use_cluster(gke.access)
        self.namespace = KubernetesObject(
            self, "namespace", restricted_namespace(OPERATOR_NAMESPACE, {"app.kubernetes.io/part-of": "kuberay"})
        )

    @property
    def operator_namespace(self) -> str:
        return self.namespace.name
