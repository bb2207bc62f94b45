#!/usr/bin/env python3
"""The pi smoke job as a RayJob on a tenant's platform cluster: the default self-service path.

    python3 smoke/pi_rayjob.py team-a | kubectl create -f -
    kubectl -n team-a get rayjob -l rayfort.dev/smoke=pi -w     # jobStatus SUCCEEDED

``clusterSelector`` runs the job on the tenant's existing RayCluster (named after the tenant), and
``HTTPMode`` has the KubeRay operator submit it to the head's dashboard with the cluster's token: no
submitter pod, so nothing for Pod Security to refuse and no new network path. The job's code travels
in the entrypoint (``python -c``), so no working_dir upload or package index is needed: it runs air-
gapped too. Its output (``PI_ESTIMATE=``, the auth and TLS posture) is in the job's logs:
``ray job logs`` through the tenant's dashboard, or the head's Cloud Logging entries.

Standard library only; prints JSON, which kubectl reads as it reads YAML.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

JOB_FILE = Path(__file__).resolve().parent / "pi_job.py"
DEFAULT_SAMPLES = 4_000_000
DEFAULT_TASKS = 4


def pi_rayjob(
    tenant: str, *, cluster: str | None = None, samples: int = DEFAULT_SAMPLES, tasks: int = DEFAULT_TASKS
) -> dict[str, Any]:
    """A RayJob running pi_job.py in the tenant's namespace, on ``cluster`` (by default the platform's)."""
    entrypoint = shlex.join(["python", "-c", JOB_FILE.read_text(), "--samples", str(samples), "--tasks", str(tasks)])
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayJob",
        "metadata": {
            "generateName": "pi-",
            "namespace": tenant,
            "labels": {"rayfort.dev/tenant": tenant, "rayfort.dev/smoke": "pi"},
        },
        "spec": {
            "clusterSelector": {"ray.io/cluster": cluster or tenant},
            "submissionMode": "HTTPMode",
            "entrypoint": entrypoint,
            "activeDeadlineSeconds": 600,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tenant", help="the tenant (namespace) whose platform cluster runs the job")
    parser.add_argument("--cluster", help="another admitted RayCluster of the tenant")
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS)
    args = parser.parse_args(argv)
    job = pi_rayjob(args.tenant, cluster=args.cluster, samples=args.samples, tasks=args.tasks)
    json.dump(job, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
