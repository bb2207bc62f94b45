"""The review report: sections, a correct diff on crafted changes, plan summaries and exit codes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rayfort_tools.review.__main__ import main
from rayfort_tools.review.diff import diff_outputs
from rayfort_tools.review.plan import load_plan
from rayfort_tools.review.report import build_review
from rayfort_tools.review.synth_output import SynthOutput

FIXTURES = Path(__file__).parent / "fixtures"

CLUSTER = {
    "//": {"metadata": {"path": "gke/cluster/cluster", "uniqueId": "cluster_A4C38409"}},
    "name": "rayfort-dev",
    "network": "${data.terraform_remote_state.cross-stack-reference-input-network.outputs.cross-stack-output-net}",
    "private_cluster_config": {"enable_private_nodes": True, "enable_private_endpoint": True},
    "deletion_protection": True,
}
POOL = {
    "//": {"metadata": {"path": "gke/pool-default/pool", "uniqueId": "pool"}},
    "name": "default",
    "node_config": {"machine_type": "n2d-standard-2", "confidential_nodes": {"enabled": True}},
}
NETWORK = {"//": {"metadata": {"path": "network/vpc/vpc", "uniqueId": "vpc"}}, "name": "rayfort-vpc"}
POLICY_ON = {
    "rule": "RF003",
    "title": "Confidential nodes",
    "control": "rayfort",
    "attribute": "x",
    "path": "gke/pool-default/pool",
    "resource_type": "google_container_node_pool",
    "status": "on",
    "findings": [],
    "waiver_reason": None,
}


def _write_output(root: Path, cluster: dict, pool: dict, policy: list[dict] | None = None) -> SynthOutput:
    stacks = {
        "network": {
            "resource": {"google_compute_network": {"vpc": NETWORK}},
            "output": {"cross-stack-output-net": {"value": "${google_compute_network.vpc.id}"}},
        },
        "gke": {
            "resource": {
                "google_container_cluster": {"cluster_A4C38409": cluster},
                "google_container_node_pool": {"pool": pool},
            }
        },
    }
    manifest = {"version": "0.21.0", "stacks": {}}
    for name, body in stacks.items():
        (root / "stacks" / name).mkdir(parents=True, exist_ok=True)
        (root / "stacks" / name / "cdk.tf.json").write_text(json.dumps(body))
        manifest["stacks"][name] = {
            "synthesizedStackPath": f"stacks/{name}/cdk.tf.json",
            "dependencies": ["network"] if name == "gke" else [],
        }
    (root / "manifest.json").write_text(json.dumps(manifest))
    (root / "rayfort-policy.json").write_text(json.dumps({"evaluations": policy or [POLICY_ON], "unused_waivers": []}))
    return SynthOutput.load(root)


@pytest.fixture
def baseline(tmp_path: Path) -> SynthOutput:
    return _write_output(tmp_path / "base", CLUSTER, POOL)


def test_sections_and_deploy_order(baseline: SynthOutput) -> None:
    review = build_review(baseline, environment="dev", judges=None)
    for heading in ("<strong>Stacks</strong>", "```mermaid", "<strong>Resources</strong>", "## Verdict"):
        assert heading in review.markdown
    assert "<strong>Security controls</strong>" in review.markdown and "<strong>Judges</strong>" in review.markdown
    assert "Deploy order: `network` → `gke`" in review.markdown
    assert "s_network --> s_gke" in review.markdown
    assert "- `network` → `gke`: `google_compute_network.vpc.id`" in review.markdown
    assert "- `gke`: **2** — 1\u00a0google_container_cluster, 1\u00a0google_container_node_pool" in review.markdown
    assert review.exit_code == 0


def test_no_change_is_clean(baseline: SynthOutput, tmp_path: Path) -> None:
    same = _write_output(tmp_path / "same", CLUSTER, POOL)
    assert diff_outputs(baseline, same) == []
    assert build_review(same, environment="dev", judges=None, baseline=baseline, baseline_name="b").exit_code == 0


def test_machine_type_change_forces_replacement(baseline: SynthOutput, tmp_path: Path) -> None:
    pool = copy.deepcopy(POOL)
    pool["node_config"]["machine_type"] = "n2d-standard-4"
    changes = diff_outputs(baseline, _write_output(tmp_path / "new", CLUSTER, pool))
    assert [(c.construct_path, c.action) for c in changes] == [("gke/pool-default/pool", "replace")]
    (attribute,) = changes[0].attributes
    assert (attribute.path, attribute.old, attribute.new, attribute.replaces) == (
        "node_config.machine_type",
        "n2d-standard-2",
        "n2d-standard-4",
        True,
    )


def test_added_and_removed_resources(baseline: SynthOutput, tmp_path: Path) -> None:
    current = _write_output(tmp_path / "new", CLUSTER, POOL)
    gke = json.loads((current.root / "stacks/gke/cdk.tf.json").read_text())
    gke["resource"]["google_service_account"] = {
        "sa": {"//": {"metadata": {"path": "gke/node-identity/account"}}, "account_id": "nodes"}
    }
    del gke["resource"]["google_container_node_pool"]
    (current.root / "stacks/gke/cdk.tf.json").write_text(json.dumps(gke))
    actions = {(c.construct_path, c.action) for c in diff_outputs(baseline, SynthOutput.load(current.root))}
    assert actions == {("gke/node-identity/account", "add"), ("gke/pool-default/pool", "remove")}


def test_public_endpoint_is_a_weakening_without_waiver(baseline: SynthOutput, tmp_path: Path) -> None:
    cluster = copy.deepcopy(CLUSTER)
    cluster["private_cluster_config"]["enable_private_endpoint"] = False
    current = _write_output(tmp_path / "new", cluster, POOL)
    review = build_review(current, environment="dev", judges=None, baseline=baseline, baseline_name="main")
    assert review.exit_code == 1
    assert "weakens" in review.markdown and "public endpoint" in review.markdown
    assert "❌" in review.markdown


def test_waived_weakening_passes_but_is_shown(baseline: SynthOutput, tmp_path: Path) -> None:
    pool = copy.deepcopy(POOL)
    pool["node_config"]["confidential_nodes"]["enabled"] = False
    waived = {**POLICY_ON, "status": "waived", "findings": ["off"], "waiver_reason": "GPU type has no CVM variant"}
    current = _write_output(tmp_path / "new", CLUSTER, pool, [waived])
    review = build_review(current, environment="dev", judges=None, baseline=baseline, baseline_name="main")
    assert review.exit_code == 0
    assert any("GPU type has no CVM variant" in entry for entry in review.waived_weakenings)


def test_plan_summary_counts_replacements_and_weakenings() -> None:
    plan = load_plan(FIXTURES / "plan-replace-and-weaken.json")
    assert dict(plan.counts) == {"replace": 1, "update": 1, "create": 1, "delete": 1}
    pool = next(c for c in plan.changes if c.action == "replace")
    assert pool.replace_paths == ["node_config.0.machine_type"]
    assert {a.path for a in pool.weakenings} == {"node_config.confidential_nodes.enabled"}
    firewall = next(c for c in plan.changes if c.action == "update")
    assert [a.path for a in firewall.weakenings] == ["source_ranges"]


def test_plan_mode_exit_codes(baseline: SynthOutput) -> None:
    weakening = build_review(
        baseline, environment="dev", judges=None, plan=load_plan(FIXTURES / "plan-replace-and-weaken.json")
    )
    assert weakening.exit_code == 1 and "1 to replace" in weakening.markdown
    clean = build_review(baseline, environment="dev", judges=None, plan=load_plan(FIXTURES / "plan-clean.json"))
    assert clean.exit_code == 0 and "1 to update" in clean.markdown


def test_not_a_plan_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "plan.json"
    bogus.write_text("{}")
    with pytest.raises(ValueError, match="not Terraform plan JSON"):
        load_plan(bogus)


def test_cli_help_and_bad_usage(tmp_path: Path, capsys) -> None:
    result = subprocess.run([sys.executable, "-m", "rayfort_tools.review", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--baseline" in result.stdout and "--plan" in result.stdout
    assert main(["--out", str(tmp_path / "nothing")]) == 2
    assert "run `make synth` first" in capsys.readouterr().err


def test_cli_writes_the_report_and_gates(baseline: SynthOutput, tmp_path: Path) -> None:
    cluster = copy.deepcopy(CLUSTER)
    cluster["deletion_protection"] = False
    current = _write_output(tmp_path / "new", cluster, POOL)
    report = tmp_path / "review.md"
    code = main(["--out", str(current.root), "--baseline", str(baseline.root), "--no-judges", "--output", str(report)])
    assert code == 1 and "the cluster can be destroyed" in report.read_text()
