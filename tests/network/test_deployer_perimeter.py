"""The perimeter goes in an existing access policy and admits the deployer (issue 12, defects 3 and 5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rayfort.config import ConfigError, load_environment
from rayfort.network.service_perimeter import REQUIRED_RESTRICTED_SERVICES
from rayfort.policy import RayfortRules
from tests.conftest import ENVIRONMENTS, ROOT, environment, resources
from tests.network.conftest import messages, variant

DEV = (ENVIRONMENTS / "dev.yaml").read_text()
DNS_VARIANT = ENVIRONMENTS / "variants" / "dev-dns-endpoint.yaml"
ACCOUNT = "deployer@rayfort-net-000000.iam.gserviceaccount.com"


def _perimeter(tf: dict) -> dict:
    (perimeter,) = resources(tf, "google_access_context_manager_service_perimeter")
    return perimeter


def _run_main(tmp_path: Path, text: str) -> subprocess.CompletedProcess:
    path = tmp_path / "env.yaml"
    path.write_text(text)
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "CDKTF_OUTDIR": str(tmp_path / "cdktf.out")},
        timeout=120,
    )


# --- defect 3: no organization-level access policy -------------------------------------------


@pytest.mark.parametrize("name", ["dev", "prod", "airgapped"])
def test_no_stack_creates_an_access_policy_and_the_perimeter_uses_the_given_one(synthesized, name: str) -> None:
    policy_id = environment(name).network.service_controls.access_policy_id
    for stack, tf in synthesized[name].items():
        assert not resources(tf, "google_access_context_manager_access_policy"), stack
    perimeter = _perimeter(synthesized[name]["network"])
    assert perimeter["parent"] == f"accessPolicies/{policy_id}"
    for level in resources(synthesized[name]["network"], "google_access_context_manager_access_level"):
        assert level["parent"] == f"accessPolicies/{policy_id}"


def test_a_perimeter_without_an_access_policy_is_refused_at_its_line(tmp_path: Path) -> None:
    text = DEV.replace('    access_policy_id: "111111111"\n', "    enforce: false\n")
    path = tmp_path / "env.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_environment(path)
    (problem,) = caught.value.problems
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.strip() == "service_controls:")
    assert problem.startswith(f"line {line}: network.service_controls.access_policy_id: ")
    assert "is required while the perimeter is enabled" in problem
    assert "organization has only one organization-level policy" in problem


def test_the_cli_refuses_a_missing_access_policy_with_exit_2_and_no_output(tmp_path: Path) -> None:
    result = _run_main(tmp_path, DEV.replace('    access_policy_id: "111111111"\n', "    enforce: false\n"))
    assert result.returncode == 2, result.stderr
    assert "network.service_controls.access_policy_id" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "cdktf.out").exists()


def test_a_disabled_perimeter_needs_no_access_policy() -> None:
    data = variant(network={"service_controls": {"enabled": False, "access_policy_id": None}})
    assert not [m for m in messages(data) if "access_policy_id" in m]


# --- defect 5: the deployer through the enforced perimeter -------------------------------------


def test_prods_enforced_perimeter_admits_each_deployer_account_to_the_restricted_services(synthesized) -> None:
    perimeter = _perimeter(synthesized["prod"]["network"])
    assert perimeter["status"] == perimeter["spec"]
    deployer = perimeter["status"]["ingress_policies"][0]
    accounts = environment("prod").deployer.service_accounts
    assert len(accounts) == len(synthesized["prod"])  # one Terraform Cloud workspace account per stack
    assert deployer["ingress_from"]["identities"] == [f"serviceAccount:{a}" for a in accounts]
    # The agents call Google through this VPC (Interconnect): the network, not "any source".
    (source,) = deployer["ingress_from"]["sources"]
    assert source["resource"].startswith("//compute.googleapis.com/${google_compute_network.vpc")
    operations = {op["service_name"]: op["method_selectors"] for op in deployer["ingress_to"]["operations"]}
    assert set(operations) == set(REQUIRED_RESTRICTED_SERVICES)
    assert {"container.googleapis.com", "compute.googleapis.com"} <= set(operations)


def test_a_dry_run_perimeter_already_carries_the_deployer_ingress(synthesized) -> None:
    perimeter = _perimeter(synthesized["dev"]["network"])
    assert "status" not in perimeter
    (deployer,) = perimeter["spec"]["ingress_policies"]
    assert deployer["ingress_from"]["identities"] == [
        f"serviceAccount:{a}" for a in environment("dev").deployer.service_accounts
    ]


def test_a_runner_outside_enters_from_its_access_level_and_named_networks(synth_network) -> None:
    network = "//compute.googleapis.com/projects/rayfort-ci-000000/global/networks/runners"
    data = variant(
        network={
            "service_controls": {
                "enforce": True,
                "access_levels": [{"name": "ci", "ip_subnetworks": ["198.51.100.0/24"]}],
            }
        },
        deployer={"service_accounts": [ACCOUNT], "runs_in": "outside", "perimeter_sources": ["ci", network]},
    )
    tf = synth_network(data)
    (deployer,) = _perimeter(tf)["status"]["ingress_policies"]
    (level,) = tf["resource"]["google_access_context_manager_access_level"]
    assert deployer["ingress_from"]["sources"] == [
        {"resource": network},
        {"access_level": f"${{google_access_context_manager_access_level.{level}.name}}"},
    ]


def test_no_deployer_no_ingress(synth_network) -> None:
    assert "ingress_policies" not in _perimeter(synth_network(variant()))["spec"]


@pytest.mark.parametrize(
    ("sources", "says"),
    [
        ([], "must name an access level for a runner outside the VPC"),
        (["nosuch"], "is not an access level of network.service_controls.access_levels"),
        (["projects/rayfort-ci"], "allowed: projects/<project number>"),
    ],
)
def test_deployer_sources_are_checked(sources: list[str], says: str) -> None:
    data = variant(deployer={"service_accounts": [ACCOUNT], "runs_in": "outside", "perimeter_sources": sources})
    assert any(says in m for m in messages(data) if m.startswith("deployer.perimeter_sources")), messages(data)


def _dns_variant_without_deployer() -> dict:
    data = yaml.safe_load(DNS_VARIANT.read_text())
    data["deployer"]["service_accounts"] = []
    return data


def test_enforcing_without_the_deployer_is_refused(tmp_path: Path) -> None:
    from rayfort.config import Environment

    data = _dns_variant_without_deployer()
    env = Environment.model_validate(data)
    report = RayfortRules(env.waivers, environment=env).judge_environment()
    assert report is not None
    (refusal,) = [e for e in report.evaluations if e.status == "violated"]
    assert refusal.rule == "RF047" and refusal.path == "network/service-controls/perimeter"
    assert "deployer.service_accounts is empty" in refusal.findings[0]
    result = _run_main(tmp_path, yaml.safe_dump(data, sort_keys=False))
    assert result.returncode == 2 and "RF047" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_waiver_lets_an_enforced_perimeter_leave_the_deployer_to_the_organization() -> None:
    from rayfort.config import Environment
    from rayfort.config.waivers import Waiver

    data = _dns_variant_without_deployer()
    waiver = Waiver(
        rule="RF047",
        resource="network/service-controls/perimeter",
        reason="the central security team's own perimeter bridge admits our runners already",
    )
    env = Environment.model_validate(data)
    assert RayfortRules([*env.waivers, waiver], environment=env).judge_environment() is None


def test_prods_deployer_accounts_are_the_ones_the_terraform_cloud_bootstrap_creates(synthesized) -> None:
    from rayfort.terraform_cloud.dynamic_credentials import account_id

    env = environment("prod")
    project = env.state.identity_project
    expected = {
        f"{account_id(f'tfc-{env.name}', stack)}@{project}.iam.gserviceaccount.com" for stack in synthesized["prod"]
    }
    assert set(env.deployer.service_accounts) == expected


# --- hosted runners against an enforced perimeter ---------------------------------------------


def test_terraform_cloud_without_agents_is_refused_where_the_perimeter_admits_only_private_networks() -> None:
    prod = yaml.safe_load((ENVIRONMENTS / "prod.yaml").read_text())
    assert environment("prod").state.agent_pool_id, "prod runs on agents"
    del prod["state"]["agent_pool_id"]
    (refusal,) = [m for m in messages(prod) if m.startswith("state.agent_pool_id")]
    assert "hosted runners call Google from public addresses" in refusal


@pytest.mark.parametrize(
    ("controls", "sources"),
    [
        ({"enforce": False}, []),  # a dry-run spec refuses nothing
        ({"enabled": False}, []),
        ({"enforce": True}, ["runners"]),  # the hosted runners' addresses as an access level
    ],
)
def test_hosted_runners_are_fine_where_the_perimeter_admits_them(controls: dict, sources: list[str]) -> None:
    prod = yaml.safe_load((ENVIRONMENTS / "prod.yaml").read_text())
    del prod["state"]["agent_pool_id"]
    prod["network"]["service_controls"].update(controls)
    prod["network"]["service_controls"]["access_levels"] = [{"name": "runners", "ip_subnetworks": ["198.51.100.0/24"]}]
    prod["deployer"]["perimeter_sources"] = sources
    assert not [m for m in messages(prod) if m.startswith("state.agent_pool_id")], messages(prod)
