"""CDK for Terraform and CDK Terrain synthesize every shipped environment to the same stacks.

The session's own synth (``synthesized``, under this venv's framework) is
compared with one synth per shipped environment under the other framework, run
in its venv (``make test`` sets up both). Outputs must be equal once the
documented differences (``frameworks.DOCUMENTED_DIFFERENCES``) are normalized.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from rayfort._cdk import FRAMEWORK, FRAMEWORK_ENV, FRAMEWORKS
from rayfort._providers import UNPUBLISHED, ProviderNamespace
from rayfort.synthesized import read_stacks
from tests.conftest import ROOT, SHIPPED
from tests.foundation.frameworks import (
    DOCUMENTED_DIFFERENCES,
    LOCKS,
    OTHER,
    as_framework,
    venv_python,
)

FRAMEWORK_PACKAGES = {
    "cdktf": re.compile(r"^cdktf(-cdktf-provider-(?P<provider>.+))?$"),
    "cdktn": re.compile(r"^cdktn(-provider-(?P<provider>.+))?$"),
}


@pytest.fixture(scope="module")
def other_framework(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict]]:
    """Every shipped environment synthesized under the other framework, in one process: {env: {stack: tf_json}}."""
    python = venv_python(OTHER)
    if not python.exists():
        pytest.fail(f"{OTHER}'s venv {python.parents[1].name} is missing: `make frameworks` sets it up")
    outdir = tmp_path_factory.mktemp(f"synth-{OTHER}")
    completed = subprocess.run(
        [str(python), "-O", "-m", "tests.foundation.synth_shipped", str(outdir)],
        cwd=ROOT,
        env={**os.environ, FRAMEWORK_ENV: OTHER},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, f"synth under {OTHER} failed:\n{completed.stderr[-4000:]}"
    return {name: read_stacks(outdir / name / "cdktf.out") for name in SHIPPED}


@pytest.mark.parametrize("name", SHIPPED)
def test_both_frameworks_synthesize_the_same_stacks(synthesized, other_framework, name: str) -> None:
    ours, theirs = synthesized[name], other_framework[name]
    assert sorted(theirs) == sorted(ours)
    for stack, tf_json in ours.items():
        assert as_framework(tf_json, FRAMEWORK, FRAMEWORK) == tf_json
        assert as_framework(theirs[stack], OTHER, FRAMEWORK) == tf_json, f"{name}/{stack} differs under {OTHER}"


def test_every_documented_difference_is_a_real_one(other_framework) -> None:
    seen: set[tuple[str, ...]] = set()
    for stacks in other_framework.values():
        for tf_json in stacks.values():
            as_framework(tf_json, OTHER, FRAMEWORK, seen)
    assert seen == set(DOCUMENTED_DIFFERENCES)
    assert all(len(set(values.values())) == len(FRAMEWORKS) for values in DOCUMENTED_DIFFERENCES.values())


def _locked(framework: str) -> dict[str, dict[str, str]]:
    lock = json.loads(LOCKS[framework].read_text())
    return {
        section: {
            name: entry["version"]
            for name, entry in lock[section].items()
            if "version" in entry and not FRAMEWORK_PACKAGES[framework].match(name)
        }
        for section in ("default", "develop")
    }


def _providers(framework: str) -> set[str]:
    lock = json.loads(LOCKS[framework].read_text())
    matches = (FRAMEWORK_PACKAGES[framework].match(name) for name in lock["default"])
    return {match["provider"] for match in matches if match and match["provider"]}


def test_the_locks_differ_only_in_the_framework() -> None:
    assert _locked("cdktn") == _locked("cdktf")


CDKTF_ONLY = {"tfe": "CDK Terrain publishes no tfe provider on PyPI (cdktn-provider-tfe does not exist)"}
"""Providers only the cdktf set has, and why; only the Terraform Cloud bootstrap app may use them."""


def test_each_framework_has_the_same_prebuilt_providers() -> None:
    """A provider added to one framework's set (``time``, say) must be added to the other's too."""
    assert set(CDKTF_ONLY) == UNPUBLISHED["cdktn"] and not UNPUBLISHED["cdktf"]
    assert _providers("cdktn") | set(CDKTF_ONLY) == _providers("cdktf") >= {"google", "helm", "kubernetes"}
    assert not _providers("cdktn") & set(CDKTF_ONLY), "the exception is stale: remove it"


def test_only_the_bootstrap_uses_cdktf_only_providers() -> None:
    """The stacks synthesize on both frameworks; the Terraform Cloud bootstrap is a separate app."""
    allowed = {ROOT / "bootstrap", ROOT / "constructs" / "rayfort" / "terraform_cloud"}
    for path in sorted((ROOT / "constructs" / "rayfort").rglob("*.py")) + sorted((ROOT / "stacks").rglob("*.py")):
        if path.name == "_providers.py" or any(path.is_relative_to(folder) for folder in allowed):
            continue
        for provider in CDKTF_ONLY:
            assert (
                f"_providers import {provider}" not in path.read_text() and f" {provider}." not in path.read_text()
            ), f"{path.relative_to(ROOT)} uses {provider}, which {CDKTF_ONLY[provider]}"


def test_a_provider_the_framework_does_not_publish_fails_with_its_reason(monkeypatch) -> None:
    monkeypatch.setitem(UNPUBLISHED, FRAMEWORK, frozenset({"tfe"}))
    with pytest.raises(ModuleNotFoundError, match=f"^{FRAMEWORK} publishes no tfe provider bindings, so Workspace"):
        ProviderNamespace("tfe").Workspace  # noqa: B018 (the attribute access is the test)
