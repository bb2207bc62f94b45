"""rayfort's custom checkov policies, judged against their fixtures, and the checkov judge itself.

Layout: ``fixtures/checkov/<policy>/{fail,pass}/main.tf.json``, one cdktf-shaped
stack each. In a ``fail`` fixture every resource must FAIL the policy, in a
``pass`` fixture every resource must PASS it, except:

* ``ctx_*`` resources are context (e.g. the cluster a node pool points at) and
  are not judged here;
* ``na_*`` resources are ones the policy does not apply to: it must report
  nothing for them.

checkov runs once for the whole session over the fixtures root (about 20 s).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from rayfort_tools.judges import checkov as judge

REPO_ROOT = Path(__file__).resolve().parents[2]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "checkov"
POLICIES = judge.POLICIES_DIR

# fixture directory -> the policy it exercises
POLICY_FIXTURES = {
    "gke_private_control_plane": "CKV_RAYFORT_1",
    "gke_master_authorized_networks": "CKV_RAYFORT_2",
    "gke_release_channel": "CKV_RAYFORT_3",
    "gke_node_service_account": "CKV_RAYFORT_4",
    "gke_secrets_encryption": "CKV_RAYFORT_5",
    "gke_boot_disk_cmek": "CKV_RAYFORT_6",
    "gke_confidential_nodes": "CKV_RAYFORT_7",
    "gke_workload_identity": "CKV_RAYFORT_8",
    "gke_kubelet_readonly_port": "CKV_RAYFORT_9",
    "gke_shielded_nodes": "CKV_RAYFORT_10",
    "vpcsc_service_perimeter": "CKV_RAYFORT_11",
    "k8s_backendconfig_iap": "CKV_RAYFORT_12",
    "k8s_internal_load_balancer": "CKV_RAYFORT_13",
    "k8s_container_privilege": "CKV_RAYFORT_14",
    "bucket_access_logging": "CKV_RAYFORT_17",
    "helm_release_supply_chain": "CKV_RAYFORT_15",
    "ssl_policy_tls": "CKV_RAYFORT_16",
    "gke_node_pool_confidential": "CKV2_RAYFORT_1",
    "gke_node_pool_kubelet_readonly_port": "CKV2_RAYFORT_2",
    "audit_log_bucket_locked": "CKV_RAYFORT_18",
    "audit_sink_locked_destination": "CKV2_RAYFORT_3",
}

# KMS rotation and deletion protection are left to strict built-ins (no custom policy).
BUILTIN_KMS = {
    ("fail", "rotation_too_long"): {"CKV_GCP_43": "FAILED", "CKV_GCP_82": "PASSED"},
    ("fail", "no_rotation"): {"CKV_GCP_43": "FAILED", "CKV_GCP_82": "PASSED"},
    ("fail", "no_lifecycle"): {"CKV_GCP_43": "PASSED", "CKV_GCP_82": "FAILED"},
    ("fail", "destroyable"): {"CKV_GCP_43": "PASSED", "CKV_GCP_82": "FAILED"},
    ("pass", "ninety_days"): {"CKV_GCP_43": "PASSED", "CKV_GCP_82": "PASSED"},
    ("pass", "thirty_days"): {"CKV_GCP_43": "PASSED", "CKV_GCP_82": "PASSED"},
    ("pass", "list_shaped_lifecycle"): {"CKV_GCP_43": "PASSED", "CKV_GCP_82": "PASSED"},
}

POLICY_ID = re.compile(r"\bCKV2?_RAYFORT_\d+\b")


def _resources(fixture: Path) -> dict[str, str]:
    """address -> role ('judged', 'ctx' or 'na') for every resource in a fixture."""
    doc = json.loads(fixture.read_text())
    roles = {}
    for rtype, items in doc["resource"].items():
        for name in items:
            role = "ctx" if name.startswith("ctx_") else "na" if name.startswith("na_") else "judged"
            roles[f"{rtype}.{name}"] = role
    return roles


def _declared_policy_ids() -> dict[str, Path]:
    """Every policy id defined under policies/ (Python checks and YAML graph checks)."""
    found: dict[str, Path] = {}
    for path in sorted(POLICIES.glob("*.py")):
        for match in re.finditer(r'check_id="(CKV2?_RAYFORT_\d+)"', path.read_text()):
            found[match.group(1)] = path
    for path in sorted(POLICIES.glob("*.y*ml")):
        match = re.search(r"^\s*id:\s*(CKV2?_RAYFORT_\d+)\s*$", path.read_text(), re.MULTILINE)
        if match:
            found[match.group(1)] = path
    return found


# --- tests that need no checkov ---------------------------------------------------------------


def test_every_policy_has_fail_and_pass_fixtures():
    declared = _declared_policy_ids()
    assert set(declared) == set(POLICY_FIXTURES.values()), "policies/ and POLICY_FIXTURES disagree"
    for slug in POLICY_FIXTURES:
        for verdict in ("fail", "pass"):
            fixture = FIXTURES / slug / verdict / "main.tf.json"
            assert fixture.is_file(), f"missing {fixture.relative_to(REPO_ROOT)}"
            judged = [a for a, role in _resources(fixture).items() if role == "judged"]
            assert judged, f"{fixture.relative_to(REPO_ROOT)} judges no resource"


def test_every_policy_says_what_it_closes():
    for policy_id, path in _declared_policy_ids().items():
        text = path.read_text()
        if path.suffix == ".py":
            tree = ast.parse(text)
            module_doc = ast.get_docstring(tree) or ""
            assert module_doc.startswith(f"{policy_id}:"), f"{path.name}: docstring must open with '{policy_id}:'"
            classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
            assert classes and all((ast.get_docstring(node) or "").startswith("Closes:") for node in classes), (
                f"{path.name}: each check class needs a one-line 'Closes: ...' docstring"
            )
        else:
            assert re.search(rf"^# {policy_id} closes: \S", text, re.MULTILINE), (
                f"{path.name}: needs '# {policy_id} closes: ...'"
            )


def test_checkov_config_skips_only_with_a_reason():
    """Each skipped built-in needs a '# <ID>: reason' line in the comment block right above it."""
    in_skips = False
    comments: list[str] = []
    for line in judge.CONFIG_FILE.read_text().splitlines():
        stripped = line.strip()
        if re.match(r"^skip-check:", line):
            inline = stripped[len("skip-check:") :].strip()
            assert inline in ("", "[]"), "list skipped checks one per line, each with its reason comment"
            in_skips = inline == ""
            comments = []
        elif stripped.startswith("#"):
            comments.append(stripped)
            continue
        elif in_skips and stripped.startswith("- "):
            check_id = stripped[2:].strip().strip("'\"")
            assert any(re.match(rf"^#\s*{re.escape(check_id)}:\s*\S", comment) for comment in comments), (
                f"skip of {check_id} in checkov.yaml has no '# {check_id}: reason' comment above it"
            )
        elif in_skips and stripped and not line.startswith((" ", "-")):
            in_skips = False
        comments = []


def test_checkov_is_pinned():
    pins = (REPO_ROOT / "requirements" / "checkov.txt").read_text().split()
    assert "checkov==3.3.30" in pins


def _record(check_id, resource, file, line, result="failed_checks", details=()):
    return {
        "check_id": check_id,
        "check_name": f"name of {check_id}",
        "check_result": {"result": result.split("_")[0].upper(), "evaluated_keys": ["k"]},
        "file_path": "/main.tf.json",
        "file_abs_path": str(file),
        "file_line_range": [line, line + 3],
        "resource": resource,
        "details": list(details),
    }


def test_parse_output_reads_concatenated_reports_once(tmp_path):
    stack = tmp_path / "main.tf.json"
    stack.write_text(
        json.dumps(
            {
                "resource": {
                    "google_service_account": {"nodes": {"account_id": "a"}},
                    "google_compute_subnetwork": {"nodes": {"name": "n"}, "other": {"name": "o"}},
                }
            },
            indent=2,
        )
    )
    lines = {(t, n): line for t, n, line in judge.resource_lines(stack.read_text())}
    subnet_line = lines[("google_compute_subnetwork", "nodes")]
    first = {
        "check_type": "terraform_json",
        "results": {
            "failed_checks": [_record("CKV_X_1", "resource.nodes", stack, subnet_line, details=["why"])],
            "passed_checks": [
                _record(
                    "CKV_X_2", "resource.other", stack, lines[("google_compute_subnetwork", "other")], "passed_checks"
                )
            ],
            "skipped_checks": [],
            "parsing_errors": [],
        },
        "summary": {"checkov_version": "3.3.30"},
    }
    second = json.loads(json.dumps(first))  # checkov repeats earlier roots in later reports
    second["results"]["passed_checks"].append(
        _record(
            "CKV2_X_3",
            "google_service_account.nodes",
            stack,
            lines[("google_service_account", "nodes")],
            "passed_checks",
        )
    )
    empty = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "checkov_version": "3.3.30"}
    stdout = json.dumps(first, indent=4) + "\n" + json.dumps([second]) + "\n" + json.dumps(empty)

    result = judge.parse_checkov_output(stdout)

    assert (result.passed, result.failed, result.skipped) == (2, 1, 0)
    assert result.checkov_version == "3.3.30"
    failure = result.failures[0]
    assert (failure.check_id, failure.resource, failure.details) == (
        "CKV_X_1",
        "google_compute_subnetwork.nodes",
        ("why",),
    )
    assert failure.file == str(stack)
    assert {f.resource for f in result.findings} == {
        "google_compute_subnetwork.nodes",
        "google_compute_subnetwork.other",
        "google_service_account.nodes",
    }
    assert result.per_check["CKV_X_1"] == judge.CheckCounts(passed=0, failed=1, skipped=0)
    assert not result.ok


def test_parse_output_rejects_non_json():
    with pytest.raises(ValueError):
        judge.parse_checkov_output("")
    with pytest.raises(ValueError):
        judge.parse_checkov_output("Traceback (most recent call last): boom")


def test_resource_lines_handles_compact_json_and_escapes():
    text = json.dumps(
        {"//": {"x": "{ not a block"}, "resource": {"a_b": {"one": {"v": 'q"{'}, "two": {}}, "c_d": {"one": {}}}}
    )
    assert judge.resource_lines(text) == [("a_b", "one", 1), ("a_b", "two", 1), ("c_d", "one", 1)]


def test_checkov_executable_follows_env(tmp_path, monkeypatch):
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    exe = venv_bin / "checkov"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv(judge.ENV_VAR, str(tmp_path / "venv"))
    assert judge.checkov_executable() == exe
    monkeypatch.setenv(judge.ENV_VAR, str(exe))
    assert judge.checkov_executable() == exe
    monkeypatch.setenv(judge.ENV_VAR, str(tmp_path / "nowhere"))
    assert judge.checkov_executable() is None
    with pytest.raises(judge.CheckovUnavailable):
        judge.run_checkov([tmp_path])


# --- tests that run checkov ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def checkov_run() -> judge.CheckovResult:
    if judge.checkov_executable() is None:
        pytest.skip(
            "checkov venv missing: python3 -m venv .venv-checkov && "
            ".venv-checkov/bin/pip install -r requirements/checkov.txt (or set RAYFORT_CHECKOV)"
        )
    return judge.run_checkov([FIXTURES])


def _verdicts(run: judge.CheckovResult, fixture: Path, check_id: str) -> dict[str, judge.CheckovFinding]:
    found: dict[str, judge.CheckovFinding] = {}
    for finding in run.for_file(fixture):
        if finding.check_id == check_id:
            assert finding.resource not in found, f"two {check_id} verdicts for {finding.resource}"
            found[finding.resource] = finding
    return found


@pytest.mark.parametrize("verdict", ["fail", "pass"])
@pytest.mark.parametrize("slug", sorted(POLICY_FIXTURES))
def test_policy_fixture(checkov_run, slug, verdict):
    check_id = POLICY_FIXTURES[slug]
    fixture = FIXTURES / slug / verdict / "main.tf.json"
    want = "FAILED" if verdict == "fail" else "PASSED"
    got = _verdicts(checkov_run, fixture, check_id)
    problems = []
    for address, role in _resources(fixture).items():
        finding = got.get(address)
        if role == "judged" and (finding is None or finding.result != want):
            problems.append(f"{address}: want {want}, got {finding.result if finding else 'no verdict'}")
        if role == "na" and finding is not None:
            problems.append(f"{address}: want no verdict, got {finding.result}")
    assert not problems, f"{check_id} on {slug}/{verdict}:\n" + "\n".join(problems)
    if verdict == "fail":
        unexplained = [
            a for a, f in got.items() if f.result == "FAILED" and not f.details and not check_id.startswith("CKV2_")
        ]
        assert not unexplained, f"failures without details: {unexplained}"


@pytest.mark.parametrize("verdict,name", sorted(BUILTIN_KMS))
def test_builtin_kms_checks_cover_rotation_and_deletion(checkov_run, verdict, name):
    fixture = FIXTURES / "builtin_kms" / verdict / "main.tf.json"
    for check_id, want in BUILTIN_KMS[(verdict, name)].items():
        finding = _verdicts(checkov_run, fixture, check_id).get(f"google_kms_crypto_key.{name}")
        assert finding is not None and finding.result == want, f"{check_id} on {name}: want {want}"


def test_hardened_reference_passes_every_check(checkov_run):
    fixture = FIXTURES / "hardened_reference" / "pass" / "main.tf.json"
    findings = checkov_run.for_file(fixture)
    failed = [f.describe(REPO_ROOT) for f in findings if f.result != "PASSED"]
    assert not failed, "hardened reference fails:\n" + "\n".join(failed)
    passed_ids = {f.check_id for f in findings}
    assert set(POLICY_FIXTURES.values()) <= passed_ids, "the reference must exercise every rayfort policy"
    judged = {f.resource for f in findings}
    assert {address for address in _resources(fixture)} - judged <= {
        "google_compute_router.router",
        "google_compute_router_nat.nat",
        "google_service_account.nodes",
    }


def test_run_reports_types_and_no_parse_errors(checkov_run):
    assert checkov_run.checkov_version == "3.3.30"
    assert not checkov_run.parsing_errors
    unresolved = sorted({f.resource for f in checkov_run.findings if f.resource.startswith("resource.")})
    assert not unresolved, f"addresses without a resource type: {unresolved}"
    assert not list(POLICIES.rglob("__pycache__")), "checkov left bytecode in policies/"
