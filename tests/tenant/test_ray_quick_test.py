"""The π quick test is a valid shell snippet that submits a working job through the internal address."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

from rayfort.tenant.quick_test import quick_test_command
from tests.tenant.runtime.test_ray_objects import inputs

ADDRESS = "10.10.0.40"


def _submit_line(command: str) -> list[str]:
    return shlex.split(next(line for line in command.splitlines() if line.startswith("ray job submit")))


def test_submits_pi_through_the_dashboard_port() -> None:
    args = _submit_line(quick_test_command(inputs(), ADDRESS))
    assert args[args.index("--address") + 1] == f"http://{ADDRESS}:8265"
    runtime_env = json.loads(args[args.index("--runtime-env-json") + 1])
    assert set(runtime_env["env_vars"]) == {"PI_TASKS", "PI_SAMPLES"}
    assert args[-3:] == ["--", "python", "pi.py"]


def test_kuberay_token_comes_from_the_operator_secret() -> None:
    command = quick_test_command(inputs(), ADDRESS)
    assert "export RAY_AUTH_MODE=token" in command
    assert "kubectl -n team-a get secret team-a -o jsonpath='{.data.auth_token}' | base64 -d" in command


def test_plain_token_comes_from_secret_manager() -> None:
    command = quick_test_command(inputs(ray_runtime="plain"), ADDRESS)
    assert (
        "gcloud secrets versions access latest --secret=team-a-ray-auth-token --project=rayfort-dev-000000" in command
    )


def test_without_token_auth_no_token_is_fetched() -> None:
    command = quick_test_command(inputs(token_auth=False), ADDRESS)
    assert "RAY_AUTH" not in command


def test_is_valid_shell() -> None:
    for tenant in (inputs(), inputs(ray_runtime="plain")):
        subprocess.run(["bash", "-n"], input=quick_test_command(tenant, ADDRESS), text=True, check=True)


def test_pi_script_estimates_pi(tmp_path: Path) -> None:
    """Run the script the snippet writes, with a stand-in for ray that runs tasks in process."""
    command = quick_test_command(inputs(), ADDRESS)
    script = re.search(r"<<'PY'\n(.*?)PY\n", command, re.S)[1]
    (tmp_path / "pi.py").write_text(script)
    (tmp_path / "ray.py").write_text(
        textwrap.dedent("""
        class _Remote:
            def __init__(self, fn):
                self.remote = fn
        def remote(fn):
            return _Remote(fn)
        def get(values):
            return values
    """)
    )
    env = {"PI_TASKS": "2", "PI_SAMPLES": "20000", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "pi.py"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    estimate = float(out.stdout.split()[-1])
    assert abs(estimate - 3.14159) < 0.1
