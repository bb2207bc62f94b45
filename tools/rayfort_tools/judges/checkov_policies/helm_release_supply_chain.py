"""CKV_RAYFORT_15: helm_release pinned, fetched over TLS, applied atomically, CRDs left to rayfort, no inline secrets.

No built-in check reads ``helm_release``. A floating or range ``version``
lets an upstream release change what runs; an ``http://`` repository can be
tampered with in transit; a non-atomic release can leave a half-applied
chart; a chart installing its own CRDs races with rayfort's CRD management;
and a literal ``set_sensitive`` value (or ``repository_password``) puts a
secret into the synthesized JSON and the repository. This check wants an
exact semantic ``version``, an ``https://`` or ``oci://`` source, ``atomic =
true``, ``wait`` not false, ``skip_crds = true``, and every sensitive value
given as a ``${...}`` interpolation.

Catalogue control: RF026 (rayfort.controls says what it protects and what weaker means).
"""

from __future__ import annotations

import re
from typing import Any

from checkov.common.models.enums import CheckCategories
from rayfort_base_check import RayfortCheck
from rayfort_policy_lib import blocks, is_false, is_interpolation, is_true, non_empty_string, value

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
SECURE_SCHEMES = ("https://", "oci://")


class HelmReleaseSupplyChain(RayfortCheck):
    """Closes: unpinned, tamperable, half-applied or secret-leaking Helm releases."""

    def __init__(self) -> None:
        super().__init__(
            check_id="CKV_RAYFORT_15",
            name="helm_release pins an exact version from https/oci, is atomic, skips CRDs, and keeps secrets out",
            resources=("helm_release",),
            categories=(CheckCategories.SUPPLY_CHAIN,),
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:
        self.evaluated_keys = ["version", "repository", "chart", "atomic", "wait", "skip_crds", "set_sensitive"]
        found = []
        version = value(conf, "version", None)
        if not non_empty_string(version):
            found.append("version is not set")
        elif not EXACT_VERSION.match(version.strip()):
            found.append(f"version {version!r} is not one exact semantic version")
        repository = value(conf, "repository", None)
        chart = value(conf, "chart", None)
        source = repository if non_empty_string(repository) else chart
        if not (isinstance(source, str) and source.strip().lower().startswith(SECURE_SCHEMES)):
            what = "repository" if non_empty_string(repository) else "chart (no repository set)"
            found.append(f"{what} {source!r} is not an https:// or oci:// source")
        if not is_true(value(conf, "atomic", None)):
            found.append("atomic is not true")
        if is_false(value(conf, "wait", None)):
            found.append("wait is false")
        if not is_true(value(conf, "skip_crds", None)):
            found.append("skip_crds is not true (rayfort manages CRDs itself)")
        for entry in blocks(conf, "set_sensitive"):
            if not is_interpolation(value(entry, "value", None)):
                found.append(f"set_sensitive {value(entry, 'name', '?')!r} has a literal value")
        password = value(conf, "repository_password", None)
        if password is not None and not is_interpolation(password):
            found.append("repository_password is a literal")
        return found


check = HelmReleaseSupplyChain()
