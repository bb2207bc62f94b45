"""gke-addon mode: GKE hosts the operator; rayfort checks at plan time that it can run our tenants.

GKE picks the add-on's KubeRay version from the cluster version and does not
publish it as an API field, so the check reads what the add-on installed: the
RayCluster CRD. Every field rayfort's tenant RayClusters set must be in its v1
schema, or the API server would prune it and a control (token authentication)
would silently be off. The plan fails instead, naming the missing fields.
"""

from __future__ import annotations

from rayfort._cdk import Construct
from rayfort._providers import kubernetes

RAYCLUSTER_CRD = "rayclusters.ray.io"
REQUIRED_RAYCLUSTER_FIELDS = (
    "authOptions",
    "enableInTreeAutoscaling",
    "headGroupSpec",
    "rayVersion",
    "workerGroupSpecs",
)
"""RayCluster spec fields tenant stacks set; authOptions (token auth) is the newest, present in KubeRay 1.7.0."""


def missing_fields_condition(fields: tuple[str, ...] = REQUIRED_RAYCLUSTER_FIELDS) -> str:
    """A Terraform condition over ``self.object`` (the CRD) that holds when the v1 spec has every field."""
    spec = (
        'one([for v in self.object.spec.versions : v if v.name == "v1"])'
        ".schema.openAPIV3Schema.properties.spec.properties"
    )
    wanted = ", ".join(f'"{name}"' for name in fields)
    return f"${{length(setsubtract([{wanted}], keys({spec}))) == 0}}"


class GkeAddonCompatibility(Construct):
    """Reads the add-on's RayCluster CRD and fails the plan if it lacks a field rayfort uses."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.crd = kubernetes.DataKubernetesResource(
            self,
            "raycluster-crd",
            api_version="apiextensions.k8s.io/v1",
            kind="CustomResourceDefinition",
            metadata={"name": RAYCLUSTER_CRD},
        )
        self.crd.add_override(
            "lifecycle",
            {
                "postcondition": [
                    {
                        "condition": missing_fields_condition(),
                        "error_message": (
                            "The GKE Ray operator add-on's RayCluster CRD lacks fields rayfort's tenants set ("
                            + ", ".join(REQUIRED_RAYCLUSTER_FIELDS)
                            + "): upgrade the cluster to a GKE version whose add-on ships a newer KubeRay, "
                            "or use kuberay.install: helm."
                        ),
                    }
                ]
            },
        )
