"""The policies and their bindings for one environment, and the construct that applies them.

Both policies bind to every namespace labelled ``rayfort.dev/tenant`` (tenant namespaces carry it;
developers cannot relabel namespaces). They are cluster-scoped: the kuberay stack applies them, except
with ``kuberay.install: namespaced``, where a cluster admin applies ``admission_manifest`` once (``make
admission-policies``), like the CRDs. They name no tenant: what differs per tenant is on its Namespace
(``rayfort.tenant.admission``), written by its own stack, so adding a tenant leaves them as they were.
"""

from __future__ import annotations

from typing import Any

import yaml

from rayfort._cdk import Construct
from rayfort.config import Environment
from rayfort.config.cluster import CERT_MANAGER_IMAGE, KUBERAY_OPERATOR_IMAGE
from rayfort.config.derived import admitted_image_patterns, effective_feature_gates
from rayfort.k8s.manifest import KubernetesObject
from rayfort.kuberay.admission.node_pools import node_placement
from rayfort.kuberay.admission.ray_workloads import RayAdmission, ray_workload_policy
from rayfort.kuberay.admission.services import service_policy
from rayfort.tenant.namespace import TENANT_LABEL

_LABELS = {"app.kubernetes.io/managed-by": "rayfort", "app.kubernetes.io/part-of": "rayfort-admission"}


def _platform_pattern(pattern: str) -> bool:
    """A pattern admitted for the platform's own components (operator, cert-manager), never for a team's pods."""
    return pattern.startswith((KUBERAY_OPERATOR_IMAGE, CERT_MANAGER_IMAGE))


def ray_admission(env: Environment) -> RayAdmission:
    """The environment's allowlist, TLS choices and default node rules, as the Ray policy needs them.

    Teams may run what Binary Authorization admits, less the operator's and cert-manager's images.
    """
    return RayAdmission(
        image_patterns=tuple(p for p in admitted_image_patterns(env) if not _platform_pattern(p)),
        operator_tls=effective_feature_gates(env).get("RayClusterMTLS", False),
        node_placement=node_placement(env, None),
    )


def tenant_binding(policy: str) -> dict[str, Any]:
    """Bind a policy to every tenant namespace, refusing what it denies."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": policy, "labels": dict(_LABELS)},
        "spec": {
            "policyName": policy,
            "validationActions": ["Deny"],
            "matchResources": {
                "namespaceSelector": {"matchExpressions": [{"key": TENANT_LABEL, "operator": "Exists"}]},
            },
        },
    }


def admission_objects(settings: RayAdmission) -> list[dict[str, Any]]:
    """Each policy followed by its binding."""
    objects: list[dict[str, Any]] = []
    for policy in (ray_workload_policy(settings), service_policy()):
        policy["metadata"]["labels"] = dict(_LABELS)
        objects += [policy, tenant_binding(policy["metadata"]["name"])]
    return objects


def admission_manifest(env: Environment) -> str:
    """The objects as one YAML stream, for a cluster admin to apply where the platform team may not."""
    header = (
        f"# rayfort admission policies for environment {env.name}; cluster-scoped, so a cluster admin applies them:\n"
        "#   kubectl apply --server-side -f <this file>\n"
    )
    return header + yaml.safe_dump_all(admission_objects(ray_admission(env)), sort_keys=False, width=1000)


class AdmissionPolicies(Construct):
    """Applies the policies, each binding after its policy; ``policies`` and ``bindings`` are the applied objects."""

    def __init__(self, scope: Construct, construct_id: str, settings: RayAdmission) -> None:
        super().__init__(scope, construct_id)
        self.policies: list[KubernetesObject] = []
        self.bindings: list[KubernetesObject] = []
        for obj in admission_objects(settings):
            name = obj["metadata"]["name"]
            if obj["kind"] == "ValidatingAdmissionPolicy":
                self.policies.append(KubernetesObject(self, f"policy-{name}", obj))
            else:
                binding = KubernetesObject(self, f"binding-{name}", obj, depends_on=[self.policies[-1]])
                self.bindings.append(binding)
