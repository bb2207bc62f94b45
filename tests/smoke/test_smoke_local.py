"""The Ray smoke test: its result check, and a real run against a local Ray head.

The real run also starts the autoscaler sidecar's first steps in a process with exactly the
sidecar's environment (as smoke/autoscaler_env.py derives it from our RayCluster and KubeRay's
way of building it): with rayfort's TLS settings it reaches the TLS head, without them it does not.

The local run needs the smoke venv (Ray 2.52.1):
    python3 -m venv .venv-smoke && .venv-smoke/bin/pip install -r requirements/smoke.txt
and is skipped when it is missing. The result-check tests need nothing but the
standard library: smoke/submit.py imports Ray only when it runs.
"""

from __future__ import annotations

import importlib.util
import json
import math
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LOCAL_RAY

REPO = Path(__file__).resolve().parents[2]
SMOKE_DIR = REPO / "smoke"
SMOKE_PYTHON = REPO / ".venv-smoke" / "bin" / "python"
LOCAL_RUN_TIMEOUT_S = 240

pytestmark = LOCAL_RAY


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"rayfort_smoke_{name}", SMOKE_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


submit = _load("submit")
local_ray = _load("local_ray")
autoscaler_env = _load("autoscaler_env")


# ------------------------------------------------------------- result checking


@pytest.mark.parametrize(
    "estimate",
    [math.pi, math.pi + 0.0099, math.pi - 0.0099, 3.14, 3.1416],
)
def test_estimate_close_to_pi_is_accepted(estimate: float) -> None:
    ok, reason = submit.check_estimate(estimate, 0.01)
    assert ok, reason


@pytest.mark.parametrize(
    "estimate",
    [3.0, 4.0, 0.0, -math.pi, math.pi + 0.0101, math.pi - 0.0101, 3.13, 3.152],
)
def test_wrong_estimate_is_rejected(estimate: float) -> None:
    ok, reason = submit.check_estimate(estimate, 0.01)
    assert not ok
    assert "NOT within" in reason


@pytest.mark.parametrize("estimate", [None, float("nan"), float("inf")])
def test_missing_or_non_finite_estimate_is_rejected(estimate) -> None:
    ok, _ = submit.check_estimate(estimate, 0.01)
    assert not ok


def test_estimate_is_read_from_the_last_marker_line() -> None:
    logs = (
        "Running entrypoint for job x: python pi_job.py\n"
        "PI_ESTIMATE=2.5\n"
        "some noise PI_ESTIMATE=3.1415 not at line start\n"
        "PI_ESTIMATE=3.1412000000\n"
        "trailing log line\n"
    )
    assert submit.parse_estimate(logs) == pytest.approx(3.1412)


@pytest.mark.parametrize("logs", ["", "no marker here\n", "PI_ESTIMATE=\n", "PI_ESTIMATE=abc\n", "PI_ESTIMATE=nan\n"])
def test_logs_without_a_usable_estimate_give_none(logs: str) -> None:
    assert submit.parse_estimate(logs) is None


def test_wrong_estimate_in_job_logs_fails_the_smoke() -> None:
    ok, _ = submit.check_estimate(submit.parse_estimate("PI_ESTIMATE=3.2000\n"))
    assert not ok


def test_posture_lines_are_parsed() -> None:
    logs = "RAYFORT_SMOKE_AUTH_MODE=token\nRAYFORT_SMOKE_TLS=on\nPI_ESTIMATE=3.14\n"
    assert submit.parse_posture(logs) == {
        "RAYFORT_SMOKE_AUTH_MODE": "token",
        "RAYFORT_SMOKE_TLS": "on",
    }


# ------------------------------------------------------------- token handling


def test_token_file_wins_and_is_trimmed_like_ray(tmp_path: Path) -> None:
    token_file = tmp_path / "auth_token"
    token_file.write_text("  file-token \nsecond line ignored\n")
    env = {"RAY_AUTH_TOKEN": "env-token"}
    token, source = submit.resolve_token(str(token_file), env)
    assert token == "file-token"
    assert "file" in source


def test_env_token_then_token_path(tmp_path: Path) -> None:
    path = tmp_path / "t"
    path.write_text("path-token\n")
    assert (
        submit.resolve_token(None, {"RAY_AUTH_TOKEN": "env-token", "RAY_AUTH_TOKEN_PATH": str(path)})[0] == "env-token"
    )
    assert submit.resolve_token(None, {"RAY_AUTH_TOKEN_PATH": str(path)})[0] == "path-token"
    assert submit.resolve_token(None, {})[0] is None


def test_missing_token_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(submit.UsageError):
        submit.resolve_token(str(tmp_path / "missing"), {})


def test_token_goes_in_the_chosen_header_as_bearer() -> None:
    assert submit.build_headers("abc", "authorization", []) == {"authorization": "Bearer abc"}
    headers = submit.build_headers("abc", "x-ray-authorization", [("Authorization", "Bearer iap")])
    assert headers == {"Authorization": "Bearer iap", "x-ray-authorization": "Bearer abc"}


def test_token_header_clash_is_refused() -> None:
    with pytest.raises(submit.UsageError):
        submit.build_headers("abc", "authorization", [("Authorization", "Bearer iap")])


def test_no_token_sends_no_credential() -> None:
    assert submit.build_headers(None, "authorization", []) == {}


# ------------------------------------------------------- the autoscaler's environment


def test_the_autoscaler_spec_is_kuberays_sidecar_with_rayforts_tls_settings() -> None:
    spec = autoscaler_env.autoscaler_spec("dev")
    names = [entry["name"] for entry in spec["env"]]
    # KubeRay's own variables and the token come first; autoscalerOptions.env is appended after them.
    assert names[:7] == [
        "RAY_CLUSTER_NAME",
        "RAY_CLUSTER_NAMESPACE",
        "RAY_HEAD_POD_NAME",
        "KUBERAY_CRD_VER",
        "KUBERAY_GEN_AUTOSCALER_START_CMD",
        "RAY_AUTH_MODE",
        "RAY_AUTH_TOKEN",
    ]
    assert spec["settings"] == {
        "env": ["RAY_USE_TLS", "RAY_TLS_SERVER_CERT", "RAY_TLS_SERVER_KEY", "RAY_TLS_CA_CERT"],
        "volumeMounts": ["ray-tls", "autoscaler-api-access"],
    }
    # The Kubernetes credentials sit in the sidecar only: the head's pod does not automount them for Ray's code.
    assert spec["volumeMounts"] == [
        {"name": "ray-tls", "mountPath": "/etc/ray/tls", "readOnly": True},
        {
            "name": "autoscaler-api-access",
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            "readOnly": True,
        },
    ]


def test_the_process_env_maps_the_mount_and_drops_only_rayforts_settings(tmp_path: Path) -> None:
    spec = autoscaler_env.autoscaler_spec("dev")
    volumes = {"ray-tls": tmp_path, "autoscaler-api-access": tmp_path / "api"}
    env = local_ray.autoscaler_process_env(spec, "tok", volumes)
    assert env["RAY_TLS_CA_CERT"] == f"{tmp_path}/ca.crt" and env["RAY_USE_TLS"] == "1"
    assert env["RAY_AUTH_TOKEN"] == "tok" and env["RAY_CLUSTER_NAME"] == "smoke"
    without = local_ray.autoscaler_process_env(spec, "tok", volumes, with_settings=False)
    assert set(env) - set(without) == set(spec["settings"]["env"])


def test_a_path_no_mount_holds_is_refused(tmp_path: Path) -> None:
    spec = autoscaler_env.autoscaler_spec("dev")
    unmounted = {**spec, "volumeMounts": []}
    with pytest.raises(local_ray.SmokeError, match="none of its mounts"):
        local_ray.autoscaler_process_env(unmounted, "tok", {"ray-tls": tmp_path})


# ---------------------------------------------------------------- the real run


@pytest.mark.skipif(
    not SMOKE_PYTHON.exists(),
    reason="smoke venv .venv-smoke missing; create it with `python3 -m venv "
    ".venv-smoke && .venv-smoke/bin/pip install -r requirements/smoke.txt`",
)
def test_local_ray_smoke_with_token_auth_and_tls() -> None:
    """Ray head with token auth + gRPC TLS: pi job passes with the token, and is
    refused (HTTP 401 / 403) without it or with a wrong one; the autoscaler reaches
    the GCS with its TLS settings and not without them."""
    proc = subprocess.Popen(
        [str(SMOKE_PYTHON), str(SMOKE_DIR / "local_ray.py"), "--autoscaler-env", "-"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = proc.communicate(json.dumps(autoscaler_env.autoscaler_spec()), timeout=LOCAL_RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        # local_ray.py bounds itself (170 s plus cleanup); if it still hangs, SIGTERM lets it
        # stop its Ray processes and delete its temp dir before we give up.
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        pytest.fail(f"local smoke did not finish in {LOCAL_RUN_TIMEOUT_S}s:\n{output[-6000:]}")
    sys.stdout.write(output)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, output)
    assert result.returncode == 0, result.stdout[-6000:]
    assert "SMOKE PASS" in result.stdout
    assert "HTTP 401" in result.stdout and "HTTP 403" in result.stdout
    assert "autoscaler with rayfort's TLS settings: reached the GCS" in result.stdout
    assert "autoscaler without them: refused" in result.stdout
