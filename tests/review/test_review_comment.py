"""The review as a pull-request comment: order, collapsed details, the sticky marker and GitHub's size limit.

One 50-tenant synth (from dev.yaml) serves every test; changes are made by editing copies of its JSON.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from rayfort.config import load_environment
from rayfort_tools.review.__main__ import artifact_name, main
from rayfort_tools.review.comment import COMMENT_LIMIT, Part, fit, marker, size
from rayfort_tools.review.report import Review, build_review
from rayfort_tools.review.synth_output import SynthOutput
from tests.app import synthesize
from tests.conftest import ENVIRONMENTS

TENANTS = 50
DETAILS = ("Resources", "Security controls", "Judges", "Stacks")


@pytest.fixture(scope="module")
def fifty(tmp_path_factory: pytest.TempPathFactory) -> SynthOutput:
    """dev.yaml with 50 tenants shaped alternately like its two, each with its own name, groups and cost center."""
    work = tmp_path_factory.mktemp("fifty")
    data = yaml.safe_load((ENVIRONMENTS / "dev.yaml").read_text())
    templates, data["tenants"] = data["tenants"], []
    # dev's IAP dashboard has no Cloud Armor: each such tenant gets the same waiver; its platform waivers stay
    (waiver,) = [w for w in data["waivers"] if w["rule"] == "RF028"]
    data["waivers"] = [w for w in data["waivers"] if w["rule"] != "RF028"]
    for index in range(TENANTS):
        tenant = copy.deepcopy(templates[index % len(templates)])
        tenant["name"] = f"team-{index:02d}"
        tenant["cost_center"] = f"cc-{2000 + index}"
        tenant["groups"] = {role: [f"ray-team-{index:02d}-{role}@example.com"] for role in tenant["groups"]}
        data["tenants"].append(tenant)
        if tenant.get("exposure", {}).get("iap", {}).get("enabled"):
            data["waivers"].append({**waiver, "resource": waiver["resource"].replace("team-a", f"team-{index:02d}")})
    # Each team's internal load balancer takes a forwarding rule: a platform this size has raised its quota.
    data["quotas"] = {"forwarding_rules": 100}
    path = work / "fifty.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    synthesize(load_environment(path), work / "cdktf.out")
    return SynthOutput.load(work / "cdktf.out")


def _variant(base: SynthOutput, root: Path, edit: Callable[[str, dict], None]) -> SynthOutput:
    """A copy of ``base`` with ``edit(stack, tf_json)`` applied to every stack."""
    shutil.copytree(base.root, root)
    for stack in base.stacks:
        path = root / "stacks" / stack / "cdk.tf.json"
        tf_json = json.loads(path.read_text())
        edit(stack, tf_json)
        path.write_text(json.dumps(tf_json))
    return SynthOutput.load(root)


def _harmless(stack: str, tf_json: dict) -> None:
    """A bigger Redis for one tenant, and a label value that looks like Markdown: changes, no weakening."""
    if stack == "tenant-team-07":
        (redis,) = tf_json["resource"]["google_redis_instance"].values()
        redis["memory_size_gb"] = 2
        redis["labels"]["team"] = "<b>a|b</b>"


def _weakening(stack: str, tf_json: dict) -> None:
    """Every tenant namespace admits privileged pods, the control plane goes public, and a label is renamed
    on every tenant resource: thousands of changed resources, far past GitHub's limit."""
    if stack == "gke":
        (cluster,) = tf_json["resource"]["google_container_cluster"].values()
        cluster["private_cluster_config"]["enable_private_endpoint"] = False
    if not stack.startswith("tenant-"):
        return
    for resources in tf_json["resource"].values():
        for body in resources.values():
            manifest = body.get("manifest", {})
            labels = manifest.get("metadata", {}).get("labels", body.get("labels"))
            if isinstance(labels, dict):
                labels["billing-unit"] = labels.get("cost-center", labels.get("rayfort.dev/cost-center", "none"))
            if manifest.get("kind") == "Namespace":
                manifest["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"


@pytest.fixture(scope="module")
def harmless(fifty: SynthOutput, tmp_path_factory: pytest.TempPathFactory) -> Review:
    current = _variant(fifty, tmp_path_factory.mktemp("harmless") / "cdktf.out", _harmless)
    return build_review(current, environment="fifty", judges=None, baseline=fifty, baseline_name="origin/main")


@pytest.fixture(scope="module")
def weakened(fifty: SynthOutput, tmp_path_factory: pytest.TempPathFactory) -> SynthOutput:
    return _variant(fifty, tmp_path_factory.mktemp("weakened") / "cdktf.out", _weakening)


@pytest.fixture(scope="module")
def weakening(fifty: SynthOutput, weakened: SynthOutput) -> Review:
    return build_review(weakened, environment="fifty", judges=None, baseline=fifty, baseline_name="origin/main")


def _positions(text: str, needles: list[str]) -> list[int]:
    found = [text.find(needle) for needle in needles]
    assert -1 not in found, [n for n, i in zip(needles, found, strict=True) if i == -1]
    return found


def _summary(title: str) -> str:
    return f"<summary><strong>{title}</strong>"


def _assert_well_formed(comment: str) -> None:
    assert comment.count("<details") == comment.count("</details>")
    assert comment.count("```") % 2 == 0, "a code fence was cut open"
    assert size(comment) <= COMMENT_LIMIT


def test_harmless_change_is_one_whole_comment_in_order(harmless: Review) -> None:
    comment = harmless.comment(full_report="`review.md`")
    assert comment == harmless.markdown, "a comment that fits is the full report"
    assert comment.splitlines()[0] == marker("fifty") == "<!-- rayfort-review:fifty -->"
    order = ["## Verdict", "✅", "## Changes against `origin/main`", "### `tenant-team-07`"]
    order += [_summary(title) for title in DETAILS]
    positions = _positions(comment, order)
    assert positions == sorted(positions)
    for title in DETAILS:
        assert f"<details>\n{_summary(title)}" in comment, f"{title} is collapsed"
    assert "<details open>" not in comment
    assert "`memory_size_gb`: 1 → 2" in comment and "weakens" not in comment
    assert '`labels.team`: "team-07" → "&lt;b&gt;a\\|b&lt;/b&gt;"' in comment, "a value cannot break the table"
    assert harmless.exit_code == 0
    _assert_well_formed(comment)


def test_weakening_everywhere_is_cut_to_the_limit_verdict_whole(weakening: Review) -> None:
    assert weakening.exit_code == 1
    assert size(weakening.markdown) > 3 * COMMENT_LIMIT, "the test must really exceed the limit"
    comment = weakening.comment(full_report="`cdktf.out/review/review.md`")
    _assert_well_formed(comment)
    assert comment.splitlines()[0] == marker("fifty")
    verdict = comment[comment.index("## Verdict") : comment.index("> ✂️")]
    namespaces = set(re.findall(r"^- `?(tenant-team-\d\d)/namespace/object`?: .*pod-security", verdict, re.MULTILINE))
    assert len(namespaces) == TENANTS, "every weakening stays in the comment"
    assert re.search(r"^- `?gke/cluster/cluster`?: .*enable_private_endpoint", verdict, re.MULTILINE)
    positions = _positions(comment, ["## Verdict", "❌", "> ✂️", "## Changes against `origin/main`", "### `gke`"])
    assert positions == sorted(positions)
    note = comment[positions[2] : comment.index("\n", positions[2])]
    assert "65,536-character limit" in note and "`cdktf.out/review/review.md`" in note
    assert "Changes shortened" in note
    assert re.search(r"_… \d+ more lines of Changes are in the full report\._", comment)
    for title in DETAILS:
        assert f"<details>\n{_summary(title)}" in comment, f"{title} keeps its collapsed summary even when left out"
    assert "Security controls left out" not in note and "| RF013 Ray token authentication |" in comment, (
        "context and the tail of the changes go before the controls table"
    )


def test_fifty_tenants_fit_whole_with_one_node_per_kind_of_tenant(fifty: SynthOutput) -> None:
    review = build_review(fifty, environment="fifty", judges=None)
    comment = review.comment(full_report="x")
    assert comment == review.markdown and size(comment) < COMMENT_LIMIT // 2
    graph = comment[comment.index("```mermaid") : comment.index("```", comment.index("```mermaid") + 3)]
    assert graph.splitlines()[1] == "flowchart TD", "top-down stays within a pull request's width"
    nodes = re.findall(r'^  s_\w+\["([^"]+)"\]$', graph, re.MULTILINE)
    assert nodes == [
        "network",
        "audit",
        "gke",
        "exposure",
        "kuberay",
        "tenant-team-00 and 24 more like it",
        "tenant-team-01 and 24 more like it",
    ]
    assert "<br" not in graph and "|" not in graph, "no edge labels: the values are in the table"
    members = [line for line in comment.splitlines() if line.startswith("- `tenant-team-01` and 24 more like it: `")]
    assert len(members) == 1, "the graph's node is spelled out"
    assert members[0].count("`tenant-team-") == 26 and "`tenant-team-49`" in members[0]
    tenant = fifty.stacks["tenant-team-00"]["resource"]
    count, manifests = sum(len(r) for r in tenant.values()), len(tenant["kubernetes_manifest"])
    assert (
        f"- `tenant-team-00` and 24 more like it: **{count}** each — {manifests}\u00a0kubernetes_manifest, " in comment
    )
    assert (
        "Deploy order: `network` → `audit` → `gke` → `exposure`, `kuberay` → `tenant-team-00` and 49 more." in comment
    )


def test_fit_cuts_the_lowest_rank_first_and_keeps_structure() -> None:
    rows = [f"| row {i} | {'x' * 80} |" for i in range(200)]
    parts = [
        Part("Verdict", ["## Verdict", "", "❌ weakened"], rank=9),
        Part("Changes", ["## Changes", "", "| a | b |", "| --- | --- |", *rows], rank=5),
        Part("Graph", ["```mermaid", "flowchart TD", *(f"  n{i} --> n{i + 1}" for i in range(300)), "```"], 1,
             opening=["<details>", "<summary>Graph</summary>", ""], closing=["", "</details>"], divisible=False),
    ]  # fmt: skip
    comment = fit("<!-- m -->\n# t\n", parts, full_report="the artifact", limit=8_000)
    _assert_well_formed(comment)
    assert size(comment) <= 8_000
    assert "(Changes shortened, Graph left out)" in comment and "The full report" in comment
    assert "_Graph: left out of this comment; see the full report._" in comment
    kept = [row for row in rows if row in comment]
    assert kept == rows[: len(kept)] and 0 < len(kept) < len(rows)
    assert f"_… {len(rows) - len(kept)} more lines of Changes are in the full report._" in comment
    positions = _positions(comment, ["❌ weakened", "> ✂️", "## Changes"])
    assert positions == sorted(positions)
    assert fit("# t\n", parts[:1], full_report="x", limit=8_000) == "# t\n\n## Verdict\n\n❌ weakened\n"


def test_cli_writes_beside_the_output_and_names_the_artifact(
    fifty: SynthOutput, weakened: SynthOutput, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/platform")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    code = main(["--out", str(weakened.root), "--env", "fifty", "--no-judges", "--baseline", str(fifty.root)])
    assert code == 1 and list(tmp_path.iterdir()) == [], "nothing is written into the working directory"
    report = (weakened.root / "review" / "review.md").read_text()
    comment = (weakened.root / "review" / "comment.md").read_text()
    assert report == capsys.readouterr().out and size(comment) <= COMMENT_LIMIT < size(report)
    assert (
        f"`review.md` in the `{artifact_name('fifty')}` artifact of "
        "[this workflow run](https://github.example/acme/platform/actions/runs/42)"
    ) in comment
