"""How requests that passed IAP authenticate to Ray 2.52's dashboard, run against Ray's own middleware.

Ray reads its token from ``Authorization`` first, then ``X-Ray-Authorization``,
then the ``ray-authentication-token`` cookie, and answers its health paths
without a token. Consequence for clients behind IAP: IAP's OIDC token must not
reach Ray in ``Authorization``, or Ray rejects the request whatever
``X-Ray-Authorization`` says. Hence the recipe rayfort documents: IAP's token in
``Proxy-Authorization``, Ray's in ``Authorization`` (added by Ray's own client)
or ``X-Ray-Authorization``; browsers use IAP's session cookie and Ray's cookie.

Runs with the smoke venv (Ray 2.52.1); skipped when it is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from rayfort.exposure.dashboard_backend import HEALTH_CHECK_PATH

REPO = Path(__file__).resolve().parents[2]
SMOKE_PYTHON = REPO / ".venv-smoke" / "bin" / "python"
PROBE = Path(__file__).resolve().parent / "ray_auth_probe.py"
RAY_TOKEN = "5f0c1d2e3b4a59687766554433221100"
IAP_OIDC = "eyJhbGciOiJSUzI1NiJ9.iap-audience.signature"

CASES = {
    "load balancer health check, no token": {"path": HEALTH_CHECK_PATH},
    "no token": {"path": "/api/jobs/"},
    "ray job submit: Proxy-Authorization for IAP, Authorization for Ray": {
        "path": "/api/jobs/",
        "headers": {"Proxy-Authorization": f"Bearer {IAP_OIDC}", "Authorization": f"Bearer {RAY_TOKEN}"},
    },
    "X-Ray-Authorization alone": {"path": "/api/jobs/", "headers": {"X-Ray-Authorization": f"Bearer {RAY_TOKEN}"}},
    "IAP token left in Authorization, Ray token in X-Ray-Authorization": {
        "path": "/api/jobs/",
        "headers": {"Authorization": f"Bearer {IAP_OIDC}", "X-Ray-Authorization": f"Bearer {RAY_TOKEN}"},
    },
    "browser: Ray's session cookie": {"path": "/api/jobs/", "cookies": {"ray-authentication-token": RAY_TOKEN}},
    "browser: dashboard page before sign-in": {"path": "/"},
}


@pytest.fixture(scope="module")
def statuses() -> dict[str, int]:
    if not SMOKE_PYTHON.exists():
        pytest.skip("the smoke venv with Ray 2.52.1 is missing (see requirements/smoke.txt)")
    completed = subprocess.run(
        [str(SMOKE_PYTHON), str(PROBE)],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": RAY_TOKEN},
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_health_check_path_needs_no_token(statuses) -> None:
    assert statuses["load balancer health check, no token"] == 200
    assert statuses["no token"] == 401


def test_cli_through_iap_authenticates_with_proxy_authorization(statuses) -> None:
    assert statuses["ray job submit: Proxy-Authorization for IAP, Authorization for Ray"] == 200
    assert statuses["X-Ray-Authorization alone"] == 200


def test_an_iap_token_in_authorization_shadows_x_ray_authorization(statuses) -> None:
    assert statuses["IAP token left in Authorization, Ray token in X-Ray-Authorization"] == 403


def test_browser_signs_in_with_the_page_then_the_cookie(statuses) -> None:
    assert statuses["browser: dashboard page before sign-in"] == 200
    assert statuses["browser: Ray's session cookie"] == 200
