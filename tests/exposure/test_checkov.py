"""checkov, built-in and rayfort checks, passes every exposure stack and the tenant stacks that publish on it.

A crafted public or GCS-exposing LoadBalancer Service, written the way the
stack writes its Services, is refused by CKV_RAYFORT_13.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from rayfort_tools.judges import checkov as judge
from tests.exposure.conftest import ALL

pytestmark = pytest.mark.slow

EXPECTED_VERDICTS = {
    "CKV_GCP_4": "google_compute_ssl_policy",
    "CKV_RAYFORT_16": "google_compute_ssl_policy",
    "CKV_GCP_73": "google_compute_security_policy",
    "CKV_GCP_16": "google_dns_managed_zone",
    "CKV_RAYFORT_12": "kubernetes_manifest",
    "CKV_RAYFORT_13": "kubernetes_manifest",
}


def _stack_files(outdir: Path) -> list[Path]:
    """The exposure stack and every tenant stack (each tenant's route, policies and load balancers)."""
    stacks = outdir / "stacks"
    return [stacks / "exposure" / "cdk.tf.json", *sorted(stacks.glob("tenant-*/cdk.tf.json"))]


def _crafted(tmp_path: Path, exposure_outdirs: dict[str, Path]) -> Path:
    """Dev's team-a stack with its internal Service made public and given the GCS port."""
    tf = json.loads((exposure_outdirs["dev"] / "stacks" / "tenant-team-a" / "cdk.tf.json").read_text())
    for body in list(tf["resource"]["kubernetes_manifest"].values()):
        manifest = body["manifest"]
        if manifest["kind"] == "Service" and manifest["spec"]["type"] == "LoadBalancer":
            public = copy.deepcopy(body)
            del public["manifest"]["metadata"]["annotations"]["networking.gke.io/load-balancer-type"]
            gcs = copy.deepcopy(body)
            gcs["manifest"]["spec"]["ports"].append(
                {"name": "gcs", "port": 6379, "targetPort": 6379, "protocol": "TCP"}
            )
            tf["resource"]["kubernetes_manifest"] = {"crafted_public": public, "crafted_gcs": gcs}
            break
    path = tmp_path / "crafted" / "cdk.tf.json"
    path.parent.mkdir()
    path.write_text(json.dumps(tf))
    return path


@pytest.fixture(scope="module")
def verdicts(exposure_outdirs, tmp_path_factory) -> tuple[judge.CheckovResult, Path]:
    if judge.checkov_executable() is None:
        pytest.skip("checkov's virtualenv is missing")
    crafted = _crafted(tmp_path_factory.mktemp("checkov"), exposure_outdirs)
    paths = [path for name in ALL for path in _stack_files(exposure_outdirs[name])]
    return judge.run_checkov([*paths, crafted]), crafted


@pytest.mark.parametrize("name", ALL)
def test_every_exposure_stack_passes(verdicts, exposure_outdirs, name: str) -> None:
    result, _ = verdicts
    findings = [f for path in _stack_files(exposure_outdirs[name]) for f in result.for_file(path)]
    assert findings
    failed = [finding.describe() for finding in findings if finding.result == judge.FAILED]
    assert failed == []
    assert not result.parsing_errors


def test_the_checks_that_matter_here_actually_ran(verdicts, exposure_outdirs) -> None:
    result, _ = verdicts
    ran = {(f.check_id, f.resource.split(".")[0]) for f in result.findings if f.result == judge.PASSED}
    for check_id, resource_type in EXPECTED_VERDICTS.items():
        assert (check_id, resource_type) in ran, check_id


def test_a_public_or_gcs_load_balancer_is_refused(verdicts) -> None:
    result, crafted = verdicts
    failed = {
        f.resource.split(".")[-1]
        for f in result.for_file(crafted)
        if f.check_id == "CKV_RAYFORT_13" and f.result == judge.FAILED
    }
    assert failed == {"crafted_public", "crafted_gcs"}
