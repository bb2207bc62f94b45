"""The shared edge stays flat: editing a tenant changes its stack alone, adding one leaves the edge as it was.

Two extra synths of the gateway environment, compared stack by stack with the
session's: one with team-b's worker count changed, one with a third published
tenant added.
"""

from __future__ import annotations

import pytest

from tests.app import synthesize
from tests.conftest import stacks_in
from tests.exposure.conftest import exposure_environment


def _synth(tmp_path_factory: pytest.TempPathFactory, tenants: list) -> dict[str, dict]:
    outdir = tmp_path_factory.mktemp("flat-edge") / "cdktf.out"
    synthesize(exposure_environment("gateway").model_copy(update={"tenants": tenants}), outdir)
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
    # The kuberay stack lists the tenants (the operator's egress policy, the admission policy's per-tenant
    # placement), so it changes too; nothing else does.
    assert _changed(before, added) == ["kuberay"]
