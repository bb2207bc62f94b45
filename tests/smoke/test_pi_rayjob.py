"""The pi job as a RayJob: valid against KubeRay's CRD, admitted in every kuberay tenant, carrying pi_job.py whole."""

from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path

import pytest

from rayfort.kuberay.admission.policies import admission_objects, ray_admission
from rayfort_tools.judges.k8s_schema import validate_manifest
from tests.conftest import SHIPPED, environment
from tests.kuberay import admission_fixtures as fx
from tests.kuberay.admission_harness import evaluate

SMOKE_DIR = Path(__file__).resolve().parents[2] / "smoke"


def _load():
    spec = importlib.util.spec_from_file_location("rayfort_smoke_pi_rayjob", SMOKE_DIR / "pi_rayjob.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


pi_rayjob = _load()


def test_the_entrypoint_runs_pi_job_unchanged_on_the_tenants_cluster():
    job = pi_rayjob.pi_rayjob("team-a", samples=1000, tasks=2)
    assert job["spec"]["clusterSelector"] == {"ray.io/cluster": "team-a"}
    assert job["spec"]["submissionMode"] == "HTTPMode"
    args = shlex.split(job["spec"]["entrypoint"])
    assert args[:2] == ["python", "-c"]
    assert args[2] == (SMOKE_DIR / "pi_job.py").read_text()
    assert args[3:] == ["--samples", "1000", "--tasks", "2"]


def test_the_rayjob_matches_kuberays_crd():
    assert validate_manifest(pi_rayjob.pi_rayjob("team-a")) == []


@pytest.mark.parametrize("env", SHIPPED)
def test_the_rayjob_is_admitted_in_every_kuberay_tenant(env):
    environment_ = environment(env)
    (policy,) = [
        o
        for o in admission_objects(ray_admission(environment_))
        if o["kind"] == "ValidatingAdmissionPolicy" and o["metadata"]["name"] == "rayfort-ray-workloads"
    ]
    tenants = [t.name for t in environment_.tenants if t.ray_runtime == "kuberay"]
    assert tenants
    for tenant in tenants:
        job = pi_rayjob.pi_rayjob(tenant)
        job["metadata"]["name"] = "pi-x7k2q"  # the API server generates it before validating admission
        assert evaluate(policy, job, namespace=fx.platform_namespace(environment_, tenant)).admitted
