"""The example CI workflow cannot run here; it must at least call our make targets as documented."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "rayfort.yml"


def _targets() -> set[str]:
    return set(re.findall(r"^([a-z][-a-z]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def _runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_workflow_runs_make_test_then_reviews_every_environment() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]
    assert any(run.strip() == "make test" for run in _runs(jobs["test"]))
    review = jobs["review"]
    assert review["needs"] == "test"
    assert set(review["strategy"]["matrix"]["environment"]) == {"dev", "prod", "airgapped"}
    runs = " ".join(_runs(review))
    assert "make synth ENV=" in runs and "make review ENV=" in runs and "BASELINE=" in runs
    assert "--body-file review.md" in runs
    checkout = next(step for step in review["steps"] if step.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0, "a git-ref baseline needs the history"


def test_every_make_target_the_workflow_uses_exists() -> None:
    workflow = WORKFLOW.read_text()
    used = set(re.findall(r"\bmake ([a-z][-a-z]*)", workflow))
    assert used and used <= _targets()


def test_workflow_runs_on_pull_requests() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))
    assert "pull_request" in triggers
