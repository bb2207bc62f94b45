"""`make review` on the shipped environments, with and without a baseline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from rayfort_tools.review.__main__ import main
from rayfort_tools.review.synth_output import SynthOutput
from tests.app import synthesize
from tests.conftest import ROOT, environment


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    found = {}
    for name in ("dev", "prod"):
        outdir = tmp_path_factory.mktemp(f"review-{name}") / "cdktf.out"
        synthesize(environment(name), outdir)
        found[name] = outdir
    return found


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_review_without_baseline_has_every_section(outputs, name: str, tmp_path: Path) -> None:
    report = tmp_path / "review.md"
    assert main(["--out", str(outputs[name]), "--env", name, "--no-judges", "--output", str(report)]) == 0
    text = report.read_text()
    for heading in ("<strong>Stacks</strong>", "<strong>Resources</strong>", "<strong>Security controls</strong>"):
        assert heading in text
    assert "<strong>Judges</strong>" in text and "## Verdict" in text
    assert (
        # Stacks that may deploy side by side share a step: prod's mirror needs only the network, like the audit
        # trail; the shared edge and the operator both need only the cluster, and every tenant needs both.
        "Deploy order: `network` → `audit`"
        + (", `mirror`" if name == "prod" else "")
        + " → `gke` → `exposure`, `kuberay` → `tenant-"
        in text
        and "No control is weakened without a waiver." in text
    )
    assert "RF013 Ray token authentication" in text and "RF021 VPC Service Controls perimeter" in text


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_review_against_an_identical_baseline_is_clean(outputs, name: str, tmp_path: Path) -> None:
    report = tmp_path / "review.md"
    code = main(
        [
            "--out",
            str(outputs[name]),
            "--env",
            name,
            "--no-judges",
            "--baseline",
            str(outputs[name]),
            "--output",
            str(report),
        ]
    )
    assert code == 0 and "No resource changes." in report.read_text()


def test_review_flags_a_weakened_control_in_a_real_synth(outputs, tmp_path: Path) -> None:
    weakened = tmp_path / "cdktf.out"
    shutil.copytree(outputs["dev"], weakened)
    gke = weakened / "stacks" / "gke" / "cdk.tf.json"
    tf_json = json.loads(gke.read_text())
    cluster = next(iter(tf_json["resource"]["google_container_cluster"].values()))
    cluster["deletion_protection"] = False
    gke.write_text(json.dumps(tf_json))
    report = tmp_path / "review.md"
    code = main(["--out", str(weakened), "--no-judges", "--baseline", str(outputs["dev"]), "--output", str(report)])
    assert code == 1 and "the cluster can be destroyed" in report.read_text()


@pytest.mark.slow
def test_review_against_a_git_ref_synthesizes_it(outputs, tmp_path: Path) -> None:
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    report = tmp_path / "review.md"
    code = main(
        ["--out", str(outputs["dev"]), "--env", "dev", "--no-judges", "--baseline", "HEAD", "--output", str(report)]
    )
    assert code in (0, 1)
    assert "## Changes against `HEAD`" in report.read_text()
    assert SynthOutput.load(outputs["dev"]).stacks
