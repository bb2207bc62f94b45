"""The gate: every weakening of issue 13's list is refused at synth, or reported as waived with its reason.

Most weakenings are refused before anything is built, so those tests are
cheap; the review is exercised on two synthesized variants (prod and
air-gapped with every example waived) and through `make review` itself.
"""

from __future__ import annotations

import copy
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rayfort.config import Environment, cross_field_problems
from rayfort.policy import RayfortRules
from rayfort.synth import SynthRefused
from rayfort_tools.review.report import build_review
from rayfort_tools.review.synth_output import SynthOutput
from tests.app import synthesize
from tests.conftest import REVIEW_VERDICT, ROOT
from tests.environments import shipped

REASON = "accepted for this test by the platform security team"


def _refusal(data: dict[str, Any]) -> str | None:
    """Why the environment is refused before anything is built: at load, or by a control; None when it is not."""
    try:
        env = Environment.model_validate(data)
    except ValueError as error:
        return f"load: {error}"
    problems = cross_field_problems(env)
    if problems:
        return f"load: {problems}"
    early = RayfortRules(env.waivers, environment=env).judge_environment()
    return None if early is None else early.describe()


def _never_built(env, outdir):
    raise AssertionError("a refused environment must not be built")


# --- each example of the issue, unwaived: refused at synth, naming the control and the waiver -------


def _tenant(data: dict, name: str) -> dict:
    return next(t for t in data["tenants"] if t["name"] == name)


EXAMPLES: dict[str, tuple[str, str, str, Any]] = {
    # name: (environment, control, construct path, change)
    "authorized networks 0.0.0.0/1 + 128.0.0.0/1": (
        "prod",
        "RF023",
        "gke/cluster/cluster",
        lambda d: d["cluster"].update(
            master_authorized_networks=[
                {"cidr": "0.0.0.0/1", "display_name": "a"},
                {"cidr": "128.0.0.0/1", "display_name": "b"},
            ]
        ),
    ),
    "docker.io/evil/* in an air-gapped allowlist, with a tenant image from it": (
        "airgapped",
        "RF025",
        "gke/image-admission/policy",
        lambda d: (
            d["cluster"].update(binary_authorization_registries=["docker.io/evil/*"]),
            _tenant(d, "research").update(image="docker.io/evil/miner:1.0"),
        ),
    ),
    "internal load balancer from 0.0.0.0/0 with global access": (
        "prod",
        "RF024",
        "tenant-fraud-scoring/internal/service/object",
        lambda d: _tenant(d, "fraud-scoring")["exposure"]["internal"].update(
            source_ranges=["0.0.0.0/0"], global_access=True
        ),
    ),
    "Cloud Armor removed": (
        "prod",
        "RF028",
        "tenant-risk-models/dashboard/backend-policy/object",
        lambda d: d["exposure"]["cloud_armor"].update(enabled=False),
    ),
    "SSL profile RESTRICTED to MODERN": (
        "prod",
        "RF027",
        "exposure/edge/ssl-policy",
        lambda d: d["exposure"].update(ssl_profile="MODERN"),
    ),
    "flow-log sampling 0.0001": (
        "prod",
        "RF029",
        "network/vpc/nodes",
        lambda d: d["network"].update(flow_logs={"sampling": 0.0001}),
    ),
    "NAT logging errors only": (
        "prod",
        "RF030",
        "network/nat/nat",
        lambda d: d["network"].update(nat_logging="ERRORS_ONLY"),
    ),
    "iap_tcp_forwarding opens port 22": (
        "prod",
        "RF031",
        "network/firewall/allow-iap-ssh",
        lambda d: d["network"].update(iap_tcp_forwarding=True),
    ),
    "a quota of 100000 CPUs": (
        "prod",
        "RF032",
        "tenant-risk-models/resourcequota/object",
        lambda d: _tenant(d, "risk-models")["quota"].update(cpu="100000"),
    ),
    "NAT egress opened to the whole internet": (
        "prod",
        "RF045",
        "network/firewall/deny-all-egress",
        lambda d: d["network"].setdefault("internet_egress", {}).update(deny_by_default=False),
    ),
    "an internet host added to the egress allowlist": (
        "prod",
        "RF046",
        "network/egress-fqdns/allow-fqdns",
        lambda d: d["network"].setdefault("internet_egress", {}).update(allowed_fqdns=["pypi.org"]),
    ),
    "prod admits an upstream registry beside its mirror": (
        "prod",
        "RF025",
        "gke/image-admission/policy",
        lambda d: d["cluster"].update(binary_authorization_registries=["docker.io/rayproject/ray"]),
    ),
    "tenant image on the floating tag 2.52": (
        "airgapped",
        "RF026",
        "tenant-research/ray-raycluster-research/object",
        lambda d: _tenant(d, "research").update(
            image="europe-west3-docker.pkg.dev/rayfort-airgap-000000/rayfort-mirror/rayproject/ray:2.52"
        ),
    ),
    "tenant image rayproject/ray:latest": (
        "prod",
        "RF026",
        "tenant-risk-models/ray-raycluster-risk-models/object",
        lambda d: _tenant(d, "risk-models").update(image="rayproject/ray:latest"),
    ),
}


def _variant(name: str) -> dict[str, Any]:
    environment, _, _, change = EXAMPLES[name]
    data = shipped(environment)
    change(data)
    return data


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_example_is_refused_at_synth_naming_the_control_and_the_waiver(name: str, tmp_path: Path) -> None:
    _, control, path, _ = EXAMPLES[name]
    env = Environment.model_validate(_variant(name))
    with pytest.raises(SynthRefused) as refused:
        synthesize(env, tmp_path / "cdktf.out", build=_never_built)
    message = str(refused.value)
    assert f"{control} " in message and f"{{rule: {control}, resource: {path}, reason:" in message
    assert not (tmp_path / "cdktf.out").exists()


def test_the_refusal_exits_2_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "prod-modern.yaml"
    path.write_text(yaml.safe_dump(_variant("SSL profile RESTRICTED to MODERN")))
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-O", "main.py", str(path)],
        cwd=ROOT,
        env={**os.environ, "CDKTF_OUTDIR": str(tmp_path / "out")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "RF027" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("waiver", "expected"),
    [
        ({"rule": "RF027", "resource": "exposure/edge/ssl-policy", "reason": " " * 24}, "at least 5 different words"),
        ({"rule": "RF028", "resource": "*", "reason": REASON}, "scope: all"),
        ({"rule": "RF099", "resource": "gke/cluster/cluster", "reason": REASON}, "not a control"),
    ],
)
def test_waivers_that_mean_nothing_are_refused_at_load(waiver: dict, expected: str) -> None:
    data = _variant("SSL profile RESTRICTED to MODERN")
    data["waivers"] = [waiver]
    with pytest.raises(ValueError, match=expected):
        Environment.model_validate(data)


# --- the same examples, waived: the review reports each as a waived weakening with its reason -------


def _waived(environment: str) -> dict[str, Any]:
    data = shipped(environment)
    waivers = []
    for name, (env_name, control, path, change) in EXAMPLES.items():
        if env_name == environment:
            change(data)
            waivers.append({"rule": control, "resource": path, "reason": f"{REASON} ({name})"})
    data["waivers"] = waivers
    return data


@pytest.fixture(scope="module")
def waived_reviews(shipped_outdirs, tmp_path_factory) -> dict[str, Any]:
    reviews = {}
    for environment in ("prod", "airgapped"):
        outdir = tmp_path_factory.mktemp(f"waived-{environment}") / "cdktf.out"
        synthesize(Environment.model_validate(_waived(environment)), outdir)
        baseline = SynthOutput.load(shipped_outdirs[environment])
        reviews[environment] = build_review(
            SynthOutput.load(outdir), environment=environment, judges=None, baseline=baseline, baseline_name="main"
        )
    return reviews


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_waived_example_is_reported_as_a_waived_weakening_with_its_reason(waived_reviews, name: str) -> None:
    environment, control, path, _ = EXAMPLES[name]
    review = waived_reviews[environment]
    reported = [entry for entry in review.waived_weakenings if f"`{path}`" in entry and control in entry]
    assert reported, f"{name}: not reported; waived: {review.waived_weakenings}"
    assert all(f"waived: {REASON} ({name})" in entry for entry in reported)
    assert review.unwaived_weakenings == []
    assert f"added: {control}" in review.markdown


# --- property: any weakening of a security field is refused or reported, never silent --------------

NONE_INTERNET = st.sampled_from(
    [
        ["0.0.0.0/0"],
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["10.0.0.0/8", "0.0.0.0/0"],
        ["1.0.0.0/7", "0.0.0.0/1", "128.0.0.0/1"],
    ]
)


def _weakenings(environment: str) -> st.SearchStrategy:
    """(description, change) pairs that move one security field of the environment toward weaker."""
    tenant = "risk-models" if environment == "prod" else "research"
    internal = "fraud-scoring" if environment == "prod" else "research"
    ops = [
        st.just(("perimeter off", lambda d: d["network"].setdefault("service_controls", {}).update(enabled=False))),
        st.floats(0.0001, 0.49).map(lambda v: ("sampling", lambda d: d["network"].update(flow_logs={"sampling": v}))),
        st.sampled_from(["INTERVAL_30_SEC", "INTERVAL_1_MIN", "INTERVAL_15_MIN"]).map(
            lambda v: ("interval", lambda d: d["network"].update(flow_logs={"interval": v}))
        ),
        st.just(("metadata", lambda d: d["network"].update(flow_logs={"metadata": "EXCLUDE_ALL_METADATA"}))),
        st.just(("iap ssh", lambda d: d["network"].update(iap_tcp_forwarding=True))),
        NONE_INTERNET.map(
            lambda v: (
                "authorized networks",
                lambda d: d["cluster"].update(master_authorized_networks=[{"cidr": c, "display_name": "x"} for c in v]),
            )
        ),
        NONE_INTERNET.map(
            lambda v: (
                "internal sources",
                lambda d: _tenant(d, internal)["exposure"]["internal"].update(source_ranges=v, global_access=True),
            )
        ),
        st.sampled_from(["docker.io/evil/*", "docker.io/**", "quay.io/x/y", "ghcr.io/a/**"]).map(
            lambda v: ("allowlist", lambda d: d["cluster"].update(binary_authorization_registries=[v]))
        ),
        st.sampled_from(
            [
                "rayproject/ray:latest",
                "rayproject/ray",
                "docker.io/rayproject/ray:latest",
                "rayproject/ray:2.52",
                "rayproject/ray:2.52.1",
                "rayproject/ray:nightly",
            ]
        ).map(lambda v: ("image", lambda d: _tenant(d, tenant).update(image=v))),
        st.just(
            ("egress open", lambda d: d["network"].setdefault("internet_egress", {}).update(deny_by_default=False))
        ),
        st.sampled_from([["pypi.org"], ["github.com", "files.pythonhosted.org"]]).map(
            lambda v: ("fqdns", lambda d: d["network"].setdefault("internet_egress", {}).update(allowed_fqdns=v))
        ),
        st.just(("mirror removed", lambda d: d.update(registry_mirror=None))),
        st.just(("token auth off", lambda d: _tenant(d, tenant).update(token_auth=False))),
        st.integers(10_000, 10_000_000).map(
            lambda v: ("quota", lambda d: _tenant(d, tenant).setdefault("quota", {}).update(cpu=str(v)))
        ),
        st.just(("confidential off", lambda d: d["cluster"].setdefault("node_pools", [{"name": "default"}]))),
    ]
    if environment == "prod":
        ops += [
            st.just(("ssl", lambda d: d["exposure"].update(ssl_profile="MODERN"))),
            st.just(("armor off", lambda d: d["exposure"]["cloud_armor"].update(enabled=False))),
            st.just(("nat logs", lambda d: d["network"].update(nat_logging="ERRORS_ONLY"))),
        ]
    return st.one_of(*ops)


def _confidential_off(data: dict) -> None:
    for pool in data["cluster"].get("node_pools") or []:
        pool["confidential_instance_type"] = None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    environment=st.sampled_from(["prod", "airgapped"]),
    data=st.data(),
)
def test_weakening_one_or_two_fields_is_never_silent(environment: str, data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 2))
    changes = [data.draw(_weakenings(environment)) for _ in range(count)]
    env_data = shipped(environment)
    for name, change in changes:
        change(env_data)
        if name == "confidential off":
            _confidential_off(env_data)
    assert _refusal(copy.deepcopy(env_data)) is not None, [name for name, _ in changes]


HARMLESS = st.one_of(
    st.from_regex(r"^[a-z][-a-z0-9]{0,20}$", fullmatch=True).map(
        lambda v: lambda d: d["labels"].update(team=v)
    ),
    st.from_regex(r"^cc-[0-9]{4}$", fullmatch=True).map(lambda v: lambda d: d["tenants"][0].update(cost_center=v)),
    st.text("abcdefgh -", min_size=1, max_size=20).map(
        lambda v: lambda d: d["cluster"]["master_authorized_networks"][0].update(display_name=v)
    ),
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(environment=st.sampled_from(["prod", "airgapped"]), change=HARMLESS)
def test_harmless_changes_are_not_refused(environment: str, change) -> None:
    env_data = shipped(environment)
    change(env_data)
    assert _refusal(env_data) is None


def test_harmless_changes_pass_the_review_with_exit_0(shipped_outdirs, tmp_path: Path) -> None:
    data = shipped("prod")
    data["labels"]["team"] = "risk-platform"
    data["tenants"][0]["cost_center"] = "cc-9999"
    data["cluster"]["master_authorized_networks"][0]["display_name"] = "tfc-agents-renamed"
    outdir = tmp_path / "cdktf.out"
    synthesize(Environment.model_validate(data), outdir)
    review = build_review(
        SynthOutput.load(outdir),
        environment="prod",
        judges=None,
        baseline=SynthOutput.load(shipped_outdirs["prod"]),
        baseline_name="main",
    )
    assert review.exit_code == 0, review.unwaived_weakenings
    assert "risk-platform" in review.markdown


# --- `make review`: the exit codes as CI sees them ---------------------------------------------------


def _make_review(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    args = [f"{key}={value}" for key, value in {"ENV": "dev", "JUDGES": "0", **variables}.items()]
    return subprocess.run(
        ["make", "--no-print-directory", "review", f"REVIEW_OUTPUT={tmp_path / 'review.md'}", *args],
        cwd=ROOT,
        env={**os.environ, "CDKTF_OUTDIR": str(tmp_path / "cdktf.out")},
        capture_output=True,
        text=True,
        timeout=600,
    )


@REVIEW_VERDICT
@pytest.mark.slow
def test_make_review_exit_codes(shipped_outdirs, tmp_path: Path) -> None:
    clean = _make_review(tmp_path / "clean", BASELINE=str(shipped_outdirs["dev"]))
    assert clean.returncode == 0, clean.stderr[-2000:]
    assert "✅" in (tmp_path / "clean" / "review.md").read_text()
    weakened = _make_review(tmp_path / "weak", BASELINE=str(shipped_outdirs["prod"]))
    assert weakened.returncode == 1, weakened.stderr[-2000:]
    report = (tmp_path / "weak" / "review.md").read_text()
    assert "❌" in report and "RF023" in report and "RF020" in report
    bad = _make_review(tmp_path / "bad", ENV="no-such-environment")
    assert bad.returncode == 2
    assert not (ROOT / ".review-verdict.mk").exists()
