#!/usr/bin/env python3
"""Print, as JSON, the autoscaler sidecar KubeRay would run beside a shipped tenant's TLS head.

Run with the app's venv (it imports rayfort and rayfort_tools); smoke/local_ray.py reads the
output (``--autoscaler-env -``) and starts a process with exactly that environment:

    .venv/bin/python smoke/autoscaler_env.py | .venv-smoke/bin/python smoke/local_ray.py --autoscaler-env -

The container is the one rayfort's RayCluster makes KubeRay build (``autoscaler_container`` in
rayfort_tools.judges.workloads follows KubeRay v1.7.0's BuildAutoscalerContainer and
mergeAutoscalerOverrides). ``settings`` names what rayfort adds through ``autoscalerOptions``,
so the smoke can also run the sidecar as it was without them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def autoscaler_spec(environment: str = "dev") -> dict:
    """The autoscaler container of the environment's first RayCluster tenant, and what rayfort adds to it."""
    from rayfort.config import load_environment
    from rayfort.tenant.runtime.inputs import RayRuntimeInputs
    from rayfort.tenant.runtime.kuberay import ray_cluster
    from rayfort_tools.judges.workloads import autoscaler_container

    env = load_environment(ROOT / "environments" / f"{environment}.yaml")
    tenant = next(t for t in env.tenants if t.ray_runtime == "kuberay")
    cluster = ray_cluster(
        RayRuntimeInputs(
            tenant=tenant,
            image="rayproject/ray",
            project_id=env.project_id,
            redis_address="10.0.0.3:6378",
            redis_ca_cert="(the Memorystore CA)",
            redis_password_secret="redis-auth",
            gcs_bucket="(the tenant bucket)",
        )
    )
    options = cluster["spec"]["autoscalerOptions"]
    container = autoscaler_container(cluster)
    return {
        "tenant": tenant.name,
        "tls": tenant.tls,
        "env": container["env"],
        "volumeMounts": container.get("volumeMounts", []),
        "settings": {
            "env": [entry["name"] for entry in options.get("env", [])],
            "volumeMounts": [mount["name"] for mount in options.get("volumeMounts", [])],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environment", default="dev", help="shipped environment to take the tenant from")
    args = parser.parse_args(argv)
    json.dump(autoscaler_spec(args.environment), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
