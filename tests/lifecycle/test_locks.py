"""Each stack's .terraform.lock.hcl: the pinned releases, their cross-checked checksums, enforced by Terraform."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from rayfort.lifecycle.locks import CATALOG, LOCK_FILE, catalog, lock_file, provider_address, required, unlocked
from rayfort.synthesized import read_manifest

ROOT = Path(__file__).resolve().parents[2]


def test_every_provider_of_every_shipped_stack_is_locked(synthesized: dict[str, dict[str, dict]]) -> None:
    for env, stacks in synthesized.items():
        for name, tf_json in stacks.items():
            assert required(tf_json), (env, name)
            assert unlocked(tf_json) == [], f"{env}/{name}: add the release's checksums to {CATALOG.name}"


def test_each_stack_directory_holds_exactly_its_providers(shipped_outdirs: dict[str, Path]) -> None:
    for outdir in shipped_outdirs.values():
        for name, entry in read_manifest(outdir)["stacks"].items():
            directory = outdir / entry["workingDirectory"]
            tf_json = json.loads((directory / "cdk.tf.json").read_text())
            text = (directory / LOCK_FILE).read_text()
            assert text == lock_file(tf_json)
            locked = re.findall(r'provider "([^"]+)" \{\n  version     = "([^"]+)"', text)
            assert locked == required(tf_json), name


def test_the_catalog_lists_full_checksum_sets() -> None:
    """A release ships one zip per platform: a dozen zh: sums (Terraform's own list, sorted)."""
    assert {(a.rsplit("/", 1)[1], v) for a, v in catalog()} >= {
        ("google", "6.50.0"),
        ("kubernetes", "2.38.0"),
        ("helm", "3.1.1"),
    }
    for release in catalog().values():
        zh = [h for h in release.hashes if h.startswith("zh:")]
        assert 12 <= len(zh) <= 14, release.address
        assert all(re.fullmatch(r"zh:[0-9a-f]{64}", h) for h in zh)
        assert all(re.fullmatch(r"h1:[A-Za-z0-9+/]{43}=", h) for h in release.hashes if h.startswith("h1:"))
        assert list(release.hashes) == sorted(release.hashes)


def test_source_addresses_are_fully_qualified() -> None:
    assert provider_address("google") == "registry.terraform.io/hashicorp/google"
    assert provider_address("hashicorp/tfe") == "registry.terraform.io/hashicorp/tfe"
    assert provider_address("example.com/acme/x") == "example.com/acme/x"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_refuses_a_package_that_does_not_match_the_lock(
    shipped_outdirs: dict[str, Path], tmp_path: Path
) -> None:
    """With the example .terraformrc's filesystem mirror holding a forged google 6.50.0, init refuses it."""
    mirror = tmp_path / "mirror" / "registry.terraform.io" / "hashicorp" / "google"
    mirror.mkdir(parents=True)
    with zipfile.ZipFile(mirror / "terraform-provider-google_6.50.0_linux_amd64.zip", "w") as forged:
        forged.writestr("terraform-provider-google_v6.50.0_x5", "not the release")
    rc = (ROOT / "terraformrc.example").read_text().replace("/opt/terraform/providers", str(tmp_path / "mirror"))
    (tmp_path / "terraformrc").write_text(rc)
    stack = tmp_path / "gke"
    stack.mkdir()
    gke = shipped_outdirs["dev"] / "stacks" / "gke"
    shutil.copy(gke / LOCK_FILE, stack / LOCK_FILE)
    (stack / "main.tf.json").write_text(
        json.dumps({"terraform": {"required_providers": {"google": {"source": "google", "version": "6.50.0"}}}})
    )
    result = subprocess.run(
        ["terraform", "init", "-input=false", "-backend=false", "-no-color"],
        cwd=stack,
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "TF_CLI_CONFIG_FILE": str(tmp_path / "terraformrc"),
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "Reusing previous version of hashicorp/google from the dependency lock file" in output
    assert "doesn't match any of the checksums previously recorded in the dependency lock file" in output
