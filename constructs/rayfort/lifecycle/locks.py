"""Each stack's .terraform.lock.hcl, written from the checksums rayfort pins (providers.lock.hcl).

A lock file beside each stack lets ``terraform init`` verify every provider package against the
release's published checksums, from the registry or from a mirror, on any runner. The file is
written in Terraform's own format and order, so an init on a platform whose ``h1:`` is already
listed changes nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG = Path(__file__).with_name("providers.lock.hcl")
LOCK_FILE = ".terraform.lock.hcl"
HEADER = '# This file is maintained automatically by "terraform init".\n# Manual edits may be lost in future updates.\n'
DEFAULT_REGISTRY = "registry.terraform.io"


@dataclass(frozen=True)
class LockedRelease:
    """One provider release and its checksums."""

    address: str
    version: str
    hashes: tuple[str, ...]


@functools.cache
def catalog() -> dict[tuple[str, str], LockedRelease]:
    """{(provider address, version): release} of every release in providers.lock.hcl."""
    text = CATALOG.read_text(encoding="utf-8")
    found = {}
    for block in re.finditer(r'provider "([^"]+)" \{(.*?)\n\}', text, re.S):
        version = re.search(r'version\s*=\s*"([^"]+)"', block[2])
        if version is None:
            raise ValueError(f"{CATALOG}: provider {block[1]} has no version")
        hashes = tuple(sorted(re.findall(r'"((?:h1|zh):[^"]+)"', block[2])))
        found[(block[1], version[1])] = LockedRelease(block[1], version[1], hashes)
    return found


def provider_address(source: str) -> str:
    """The fully qualified address Terraform uses for a ``required_providers`` source."""
    parts = source.split("/")
    if len(parts) == 1:
        return f"{DEFAULT_REGISTRY}/hashicorp/{source}"
    if len(parts) == 2:
        return f"{DEFAULT_REGISTRY}/{source}"
    return source


def required(tf_json: dict[str, Any]) -> list[tuple[str, str]]:
    """(address, version) of every provider a synthesized stack requires, sorted by address."""
    providers = tf_json.get("terraform", {}).get("required_providers", {})
    return sorted((provider_address(p["source"]), p["version"]) for p in providers.values())


def unlocked(tf_json: dict[str, Any]) -> list[tuple[str, str]]:
    """Required (address, version) pairs that providers.lock.hcl holds no checksums for."""
    return [pair for pair in required(tf_json) if pair not in catalog()]


def lock_file(tf_json: dict[str, Any]) -> str | None:
    """The stack's lock file text, or None when rayfort pins checksums for none of its providers."""
    releases = [catalog()[pair] for pair in required(tf_json) if pair in catalog()]
    if not releases:
        return None
    blocks = []
    for release in releases:
        hashes = "".join(f'    "{h}",\n' for h in release.hashes)
        blocks.append(
            f'provider "{release.address}" {{\n'
            f'  version     = "{release.version}"\n'
            f'  constraints = "{release.version}"\n'
            f"  hashes = [\n{hashes}  ]\n}}\n"
        )
    return HEADER + "".join(f"\n{block}" for block in blocks)


def write_lock_files(outdir: Path, manifest: dict[str, Any], stacks: Mapping[str, dict[str, Any]]) -> None:
    """Write each stack's lock file into its working directory under ``outdir``."""
    for name, entry in manifest["stacks"].items():
        text = lock_file(stacks[name])
        if text is not None:
            (outdir / entry["workingDirectory"] / LOCK_FILE).write_text(text, encoding="utf-8")
