"""Run by the smoke venv's Python (Ray 2.52.1): how Ray's dashboard middleware treats each request shape.

Builds Ray's own token middleware with the public paths read from Ray's own
dashboard source, serves a stub handler behind it, and prints the status of
each named request as JSON. Needs RAY_AUTH_MODE=token and RAY_AUTH_TOKEN set.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import sys
import textwrap

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from ray._private.authentication.http_token_authentication import get_token_auth_middleware
from ray.dashboard.http_server_head import HttpServerDashboardHead


def _public_paths() -> tuple[set[str], tuple[str, ...]]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(HttpServerDashboardHead.run)))
    found: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("public_exact_paths", "public_path_prefixes"):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return set(found["public_exact_paths"]), tuple(found["public_path_prefixes"])


async def _statuses(cases: dict[str, dict]) -> dict[str, int]:
    exact, prefixes = _public_paths()

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(middlewares=[get_token_auth_middleware(aiohttp, exact, prefixes)])
    app.router.add_route("*", "/{tail:.*}", ok)
    async with TestClient(TestServer(app)) as client:
        result = {}
        for name, case in cases.items():
            response = await client.get(case["path"], headers=case.get("headers", {}), cookies=case.get("cookies"))
            result[name] = response.status
        return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_statuses(json.load(sys.stdin)))))
