"""rayfort smoke job: estimate pi by Monte-Carlo sampling on Ray tasks.

Runs as a Ray job (the driver is started by the cluster's job supervisor, so it
inherits the head node's environment: token auth and gRPC TLS settings).

Output contract (read by smoke/submit.py), one ``KEY=value`` per line:

    RAYFORT_SMOKE_AUTH_MODE=<value of RAY_AUTH_MODE seen by the driver>
    RAYFORT_SMOKE_TLS=<on|off, from RAY_USE_TLS seen by the driver>
    PI_SAMPLES=<total samples>
    PI_ESTIMATE=<float>

Sampling error: the estimate 4*hits/n has standard deviation
sqrt(pi*(4-pi)/n) ~= 1.64/sqrt(n). With the default n = 4,000,000 that is
~0.00082, so a 0.01 tolerance sits about 12 standard deviations out: a correct
cluster fails this check with probability far below 1e-30.
"""

import argparse
import os
import random
import sys
import time

import ray

DEFAULT_SAMPLES = 4_000_000
DEFAULT_TASKS = 4


@ray.remote(num_cpus=1)
def count_hits(samples: int, seed: int) -> int:
    """Count random points of the unit square that fall inside the quarter circle."""
    rng = random.Random(seed)
    draw = rng.random
    hits = 0
    for _ in range(samples):
        x = draw()
        y = draw()
        if x * x + y * y <= 1.0:
            hits += 1
    return hits


def split(total: int, parts: int) -> list:
    """Split ``total`` into ``parts`` near-equal positive chunks."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS)
    args = parser.parse_args(argv)
    if args.samples < 1 or args.tasks < 1 or args.tasks > args.samples:
        parser.error("need 1 <= tasks <= samples")

    # Report the security posture the driver actually runs with, so the
    # submitter can check that the cluster enforces what we expect.
    use_tls = os.environ.get("RAY_USE_TLS", "0").strip().lower() in ("1", "true")
    print(f"RAYFORT_SMOKE_AUTH_MODE={os.environ.get('RAY_AUTH_MODE', 'disabled')}")
    print(f"RAYFORT_SMOKE_TLS={'on' if use_tls else 'off'}")

    started = time.monotonic()
    ray.init()  # inside a Ray job this attaches to the job's cluster
    seeds = [random.SystemRandom().getrandbits(63) for _ in range(args.tasks)]
    chunks = split(args.samples, args.tasks)
    refs = [count_hits.remote(n, s) for n, s in zip(chunks, seeds, strict=True)]
    hits = sum(ray.get(refs))
    estimate = 4.0 * hits / args.samples

    print(f"PI_SAMPLES={args.samples}")
    print(f"PI_TASKS={args.tasks}")
    print(f"PI_SECONDS={time.monotonic() - started:.2f}")
    print(f"PI_ESTIMATE={estimate:.10f}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
