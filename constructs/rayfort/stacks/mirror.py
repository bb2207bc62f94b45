"""The mirror stack: the private registry an air-gapped cluster pulls every image and chart from.

It is a stack of its own, deployed right after the network, because the stacks
after it read from it: the kuberay stack reads its charts at plan time and runs
images from it. Terraform cannot create a repository and read a chart from it
in one plan, and nothing is in it until someone fills it (``make mirror-commands``
prints the commands), so the deploy order is mirror, fill it, then the rest;
``make deploy-all`` stops after this stack until the mirror is filled.
"""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct, TerraformOutput, TerraformStack
from rayfort.registry.images import MirrorAddress
from rayfort.registry.mirror import ArtifactMirror, ArtifactMirrorProps
from rayfort.stacks.base import Platform, RayfortStack

MIRROR_STACK = "mirror"
"""The stack id of the mirror; the lifecycle pauses after it (``rayfort.lifecycle.order.PAUSES``)."""


@dataclass(frozen=True)
class MirrorRefs:
    """What the mirror stack offers the stacks that pull from the mirror."""

    stack: TerraformStack | None
    """The stack that creates the repositories, which every stack pulling from them deploys after; None
    when the repositories are managed outside this app (``registry_mirror.create: false``)."""
    address: MirrorAddress
    """Project, location and repository ids: where images and charts are pulled from."""

    @property
    def scanning_project(self) -> str | None:
        """The project whose container scanning API this app's mirror stack enables (it owns that API there)."""
        return self.address.project_id if self.stack is not None else None

    @classmethod
    def existing(cls, address: MirrorAddress) -> MirrorRefs:
        """A mirror someone else created and fills."""
        return cls(stack=None, address=address)


class MirrorStack(RayfortStack):
    """CMEK-encrypted, scanned, immutable Docker and Helm (OCI) repositories, and their key.

    Offers ``refs`` (MirrorRefs). Needs only the platform and ArtifactMirrorProps
    (with ``create`` true: a mirror managed elsewhere needs no stack). Readers are
    granted where their identities are known, by the stacks that pull from it.
    """

    def __init__(self, scope: Construct, stack_id: str, platform: Platform, props: ArtifactMirrorProps) -> None:
        super().__init__(scope, stack_id, platform)
        if not props.create:
            raise ValueError("MirrorStack creates the mirror; use MirrorRefs.existing for a mirror managed elsewhere")
        # Construct id "mirror", as in the kuberay stack before: the resources keep their addresses.
        mirror = ArtifactMirror(self, "mirror", props)
        self.refs = MirrorRefs(stack=self, address=props.address)
        # Where `make mirror-commands` copies to, for people filling the mirror by other means.
        TerraformOutput(self, "image-prefix", value=mirror.image_prefix, description="Prefix of every mirrored image")
        TerraformOutput(
            self, "chart-registry", value=mirror.chart_registry, description="OCI registry of the mirrored charts"
        )
