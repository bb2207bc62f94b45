"""Deploy order and the destroy guard, read from a synthesized app's manifest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rayfort.lifecycle.order import dependents, deploy_order
from rayfort.synthesized import read_manifest
from tests.lifecycle.test_review_record import reviewed


def _manifest(**needs: list[str]) -> dict:
    return {"stacks": {name.replace("_", "-"): {"dependencies": deps} for name, deps in needs.items()}}


def test_every_stack_comes_after_what_it_depends_on(shipped_outdirs: dict[str, Path]) -> None:
    for outdir in shipped_outdirs.values():
        manifest = read_manifest(outdir)
        order = deploy_order(manifest)
        assert sorted(order) == sorted(manifest["stacks"])
        for stack, entry in manifest["stacks"].items():
            assert all(order.index(dep) < order.index(stack) for dep in entry["dependencies"]), stack


def test_the_order_is_layered_like_the_readme_says(shipped_outdirs: dict[str, Path]) -> None:
    order = deploy_order(read_manifest(shipped_outdirs["dev"]))
    assert order == ["network", "audit", "gke", "exposure", "kuberay", "tenant-team-a", "tenant-team-b"]


def test_a_cycle_is_named() -> None:
    with pytest.raises(ValueError, match="cycle: a, b"):
        deploy_order(_manifest(a=["b"], b=["a"]))


def test_dependents_are_the_stacks_that_read_or_follow_a_stack(shipped_outdirs: dict[str, Path]) -> None:
    manifest = read_manifest(shipped_outdirs["dev"])
    assert dependents(manifest, "kuberay") == ["tenant-team-a", "tenant-team-b"]
    assert dependents(manifest, "tenant-team-b") == []
    assert dependents(manifest, "tenant-team-a") == []  # the exposure stack reads no tenant
    assert dependents(manifest, "exposure") == ["tenant-team-a"]  # only the tenant published through IAP


def _lifecycle(outdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rayfort.lifecycle", "--outdir", str(outdir), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_destroy_is_refused_while_a_stack_depends_on_it(shipped_outdirs: dict[str, Path], tmp_path: Path) -> None:
    outdir = reviewed(shipped_outdirs["dev"], tmp_path / "cdktf.out")  # Terraform needs the record to destroy too
    refused = _lifecycle(outdir, "check-destroy", "exposure")
    assert refused.returncode == 2
    assert "tenant-team-a still depend on exposure" in refused.stderr and "FORCE=1" in refused.stderr
    forced = _lifecycle(outdir, "check-destroy", "exposure", "--force")
    assert forced.returncode == 0 and "going on because of FORCE=1" in forced.stderr
    assert _lifecycle(outdir, "check-destroy", "tenant-team-a").returncode == 0
    assert _lifecycle(outdir, "check-destroy", "tenant-team-b").returncode == 0


def test_an_unknown_or_missing_stack_lists_the_stacks(shipped_outdirs: dict[str, Path]) -> None:
    for args in (("check-stack", "tenant-nobody"), ("check-stack",)):
        result = _lifecycle(shipped_outdirs["dev"], *args)
        assert result.returncode == 2
        assert "network audit gke exposure kuberay tenant-team-a tenant-team-b" in result.stderr


def test_the_order_command_prints_one_stack_a_line(shipped_outdirs: dict[str, Path]) -> None:
    result = _lifecycle(shipped_outdirs["dev"], "order")
    assert result.returncode == 0
    assert result.stdout.split() == deploy_order(read_manifest(shipped_outdirs["dev"]))


def test_no_synth_yet_says_what_to_run(tmp_path: Path) -> None:
    result = _lifecycle(tmp_path / "cdktf.out", "order")
    assert result.returncode == 2 and "run `make synth` first" in result.stderr
