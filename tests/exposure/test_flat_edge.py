"""The shared edge stays flat: editing a tenant changes its stack alone, adding one leaves every other as it was.

Extra synths compared stack by stack with the session's: the gateway
environment with team-b's worker count changed, and with a third published
tenant added; dev (the operator installed cluster-wide) with a third tenant.
"""

from __future__ import annotations

import pytest

from tests.app import synthesize
from tests.conftest import stacks_in
from tests.exposure.conftest import exposure_environment


def _synth(tmp_path_factory: pytest.TempPathFactory, tenants: list, env: str = "gateway") -> dict[str, dict]:
    outdir = tmp_path_factory.mktemp("flat-edge") / "cdktf.out"
    synthesize(exposure_environment(env).model_copy(update={"tenants": tenants}), outdir)
    return stacks_in(outdir)


@pytest.fixture(scope="module")
def worker_edit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    team_a, team_b = exposure_environment("gateway").tenants
    group = team_b.worker_groups[0]
    team_b = team_b.model_copy(update={"worker_groups": [group.model_copy(update={"max_replicas": 2})]})
    assert group.max_replicas != 2
    return _synth(tmp_path_factory, [team_a, team_b])


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    team_a, team_b = exposure_environment("gateway").tenants
    return _synth(tmp_path_factory, [team_a, team_b, team_a.model_copy(update={"name": "team-c"})])


@pytest.fixture(scope="module")
def added_to_dev(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """dev with a third tenant like team-b, needing no operator feature gate the others don't (that would change it)."""
    team_a, team_b = exposure_environment("dev").tenants
    return _synth(tmp_path_factory, [team_a, team_b, team_b.model_copy(update={"name": "team-c"})], "dev")


def _changed(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    def body(tf_json: dict) -> dict:
        return {key: value for key, value in tf_json.items() if key != "//"}

    return sorted(name for name in before if body(before[name]) != body(after[name]))


def test_a_one_tenant_edit_changes_exactly_its_stack(all_stacks, worker_edit) -> None:
    assert _changed(all_stacks["gateway"], worker_edit) == ["tenant-team-b"]


def test_a_new_published_tenant_leaves_the_shared_edge_and_the_other_tenants_unchanged(all_stacks, added) -> None:
    before = all_stacks["gateway"]
    assert set(added) - set(before) == {"tenant-team-c"}
    assert added["exposure"] == before["exposure"]
    assert "google_iap_web_iam_member" in added["tenant-team-c"]["resource"]
    # The kuberay stack names no tenant: the operator's egress selects tenant namespaces by label, and the
    # admission policy reads each tenant's own rules from its namespace's annotations.
    assert _changed(before, added) == []


def test_a_new_tenant_changes_no_existing_stack_with_the_operator_installed_cluster_wide(
    all_stacks, added_to_dev
) -> None:
    before = all_stacks["dev"]
    assert before["kuberay"]["resource"]["helm_release"], "dev installs the operator itself (kuberay.install: helm)"
    assert set(added_to_dev) - set(before) == {"tenant-team-c"}
    assert _changed(before, added_to_dev) == []
