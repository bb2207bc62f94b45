"""A ready-to-paste check that a tenant's cluster runs jobs: estimate π with ``ray job submit``.

It goes through the same door users do (the internal address, the dashboard port, the token),
so a success proves the load balancer, the network policies and token auth together. Job
submission is HTTP to the dashboard; Ray's TLS covers gRPC inside the cluster, so the client
needs no certificates.
"""

from __future__ import annotations

import json

from rayfort.config.tenant import RAY_FIXED_PORTS
from rayfort.tenant.runtime.inputs import RayRuntimeInputs, auth_token_secret_id
from rayfort.tenant.runtime.kuberay import kuberay_auth_secret_name

PI_SAMPLES = 2_000_000
PI_TASKS = 8
_PI_SCRIPT = """import os
import random

import ray


@ray.remote
def inside(samples: int) -> int:
    return sum(random.random() ** 2 + random.random() ** 2 <= 1.0 for _ in range(samples))


tasks = int(os.environ["PI_TASKS"])
samples = int(os.environ["PI_SAMPLES"])
hits = sum(ray.get([inside.remote(samples) for _ in range(tasks)]))
print(f"pi is about {4 * hits / (tasks * samples):.5f}")
"""


def token_command(inputs: RayRuntimeInputs) -> str:
    """Where the token comes from: KubeRay's generated Secret, or Secret Manager for a plain runtime."""
    if inputs.tenant.ray_runtime == "kuberay":
        return (
            f"kubectl -n {inputs.target_namespace} get secret {kuberay_auth_secret_name(inputs.name)} "
            "-o jsonpath='{.data.auth_token}' | base64 -d"
        )
    return (
        f"gcloud secrets versions access latest --secret={auth_token_secret_id(inputs.tenant)} "
        f"--project={inputs.project_id}"
    )


def quick_test_command(inputs: RayRuntimeInputs, address: str) -> str:
    """Shell lines that submit the π job to the cluster behind ``address`` (the internal address)."""
    runtime_env = json.dumps({"env_vars": {"PI_TASKS": str(PI_TASKS), "PI_SAMPLES": str(PI_SAMPLES)}}, sort_keys=True)
    lines = ["mkdir -p rayfort-pi && cd rayfort-pi", f"cat > pi.py <<'PY'\n{_PI_SCRIPT}PY"]
    if inputs.tenant.token_auth:
        lines += ["export RAY_AUTH_MODE=token", f'export RAY_AUTH_TOKEN="$({token_command(inputs)})"']
    lines.append(
        f"ray job submit --address http://{address}:{RAY_FIXED_PORTS['dashboard']} --working-dir . "
        f"--runtime-env-json '{runtime_env}' -- python pi.py"
    )
    return "\n".join(lines) + "\n"
