"""The project's Binary Authorization policy: only rayfort's registries, everything else denied."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google


@dataclass(frozen=True)
class ImageAdmissionPolicyProps:
    """Inputs of ImageAdmissionPolicy."""

    project_id: str
    """Project whose singleton policy the cluster enforces (PROJECT_SINGLETON_POLICY_ENFORCE)."""
    admitted_patterns: tuple[str, ...]
    """Image name patterns admitted without attestation; all other images are denied."""


class ImageAdmissionPolicy(Construct):
    """Deny every image except the admitted patterns and Google's own GKE system images.

    ``global_policy_evaluation_mode = ENABLE`` lets Google's system policy admit
    the images GKE itself runs (kube-system, managed Prometheus, add-ons), so no
    broad Google registry has to be listed. Denials block the pod and are audit-logged.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ImageAdmissionPolicyProps) -> None:
        super().__init__(scope, construct_id)
        self.policy = google.BinaryAuthorizationPolicy(
            self,
            "policy",
            project=props.project_id,
            description="rayfort: only rayfort's registries; every other image is denied",
            global_policy_evaluation_mode="ENABLE",
            admission_whitelist_patterns=[{"name_pattern": pattern} for pattern in props.admitted_patterns],
            default_admission_rule={
                "evaluation_mode": "ALWAYS_DENY",
                "enforcement_mode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
            },
        )
