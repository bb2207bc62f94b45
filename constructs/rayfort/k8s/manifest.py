"""Every in-cluster object rayfort emits goes through KubernetesObject.

Builders return plain dicts, so the same object is unit-tested, schema-checked
and Pod-Security-checked without a synth, and the judges read it back from the
Terraform JSON unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rayfort._cdk import Construct, Fn, TerraformResource
from rayfort._providers import kubernetes


class KubernetesObject(Construct):
    """One object applied with server-side apply, owned by the ``rayfort`` field manager."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        manifest: dict[str, Any],
        *,
        depends_on: Sequence[TerraformResource] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.body = manifest
        self.manifest = kubernetes.Manifest(
            self,
            "object",
            manifest=manifest,
            field_manager={"name": "rayfort", "force_conflicts": False},
            **({"depends_on": list(depends_on)} if depends_on else {}),
        )

    @property
    def name(self) -> str:
        """The object's name as a Terraform reference, so other stacks depend on it."""
        return Fn.lookup_nested(self.manifest.manifest, ["metadata", "name"])
