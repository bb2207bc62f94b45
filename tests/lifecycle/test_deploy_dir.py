"""deploy/<env>/: what VCS-driven workspaces run, and the check that it matches a fresh synth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from rayfort._cdk import FRAMEWORK
from rayfort.lifecycle import deploy_dir
from rayfort.review_record import RECORD_FILE
from tests.foundation.frameworks import as_framework
from tests.lifecycle.test_review_record import reviewed

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_prod_tree_matches_a_fresh_synth(shipped_outdirs: dict[str, Path]) -> None:
    if FRAMEWORK != "cdktf":
        _assert_committed_tree_is_cdktfs_form_of(shipped_outdirs["prod"])
        return
    found = deploy_dir.differences(shipped_outdirs["prod"], ROOT / "deploy")
    assert found == [], "deploy/prod is stale: run `make synth-commit ENV=prod` and commit deploy/prod\n" + "\n".join(
        found
    )


def _assert_committed_tree_is_cdktfs_form_of(outdir: Path) -> None:
    """Under CDK Terrain: deploy/prod (committed from cdktf) is this synth once its documented differences are
    read as cdktf's. Its review records hash cdktf's bytes, so only the cdktf run checks them."""
    environment, files = deploy_dir.expected(outdir)
    target = ROOT / "deploy" / environment
    committed = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert committed - {name for name in committed if name.endswith(RECORD_FILE)} == set(files)
    for name, content in files.items():
        ours = (target / name).read_bytes()
        if name.endswith(".tf.json"):
            assert json.loads(ours) == as_framework(json.loads(content), FRAMEWORK, "cdktf"), f"deploy/prod/{name}"
        else:
            assert ours == content, f"deploy/prod/{name}"


def test_each_stack_directory_holds_its_json_lock_file_and_review_record_only() -> None:
    for stack in (ROOT / "deploy" / "prod").iterdir():
        assert sorted(p.name for p in stack.iterdir()) == [
            ".terraform.lock.hcl",
            "cdk.tf.json",
            RECORD_FILE,
        ], stack.name


def test_the_check_names_what_is_stale_missing_or_left_over(shipped_outdirs: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "deploy"
    target = deploy_dir.publish(reviewed(shipped_outdirs["dev"], tmp_path / "cdktf.out"), root)
    assert target == root / "dev" and deploy_dir.differences(shipped_outdirs["dev"], root) == []
    (target / "gke" / "cdk.tf.json").write_text("{}")
    (target / "network" / ".terraform.lock.hcl").unlink()
    (target / "tenant-old").mkdir()
    (target / "tenant-old" / "cdk.tf.json").write_text("{}")
    assert deploy_dir.differences(shipped_outdirs["dev"], root) == [
        "missing: deploy/dev/network/.terraform.lock.hcl",
        "stale: deploy/dev/gke/cdk.tf.json",
        "not in the synth: deploy/dev/tenant-old/cdk.tf.json",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "rayfort.lifecycle", "check-deploy", "--outdir", str(shipped_outdirs["dev"])],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "stale: deploy/dev/gke/cdk.tf.json" in result.stderr
    assert "make synth-commit" in result.stderr
    deploy_dir.publish(tmp_path / "cdktf.out", root)
    assert deploy_dir.differences(shipped_outdirs["dev"], root) == []
    assert not list(root.glob(".dev-*"))
    shutil.rmtree(root)


def test_ci_runs_the_check() -> None:
    workflow = (ROOT / ".github" / "workflows" / "rayfort.yml").read_text()
    assert "make deploy-check ENV=prod" in workflow
