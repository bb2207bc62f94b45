"""The least a tenant can cost a synth on the CDK's jsii bridge: each kind of element alone, summed over a tenant stack.

Usage: python bench/floor.py [--base dev] [--count 600]

A Python CDK app builds every construct and resource in the node runtime that jsii
starts beside it: each one is at least one synchronous round trip (Python
serializes the call, node deserializes and type-checks it against the package's
assembly, runs it and answers), and the synth then resolves and writes it. So a
tenant stack costs at least (its constructs x the cost of an empty construct) +
(its other elements x the cost of a small prebuilt google resource) + (its Kubernetes objects x
the cost of one, which its stack's holder writes), whatever rayfort's own code does. This script measures those
three costs, each in a fresh process creating ``--count`` of them in one stack
and synthesizing it, and the node runtime's memory before and after loading the
google provider's assembly; it then counts what the largest tenant stack of a
synth of ``--base`` holds and prints the floor per tenant (CPU, and wall time with a synth
process per core, as a large environment is synthesized) beside the goal of
bench/scale.py (0.05 s per tenant, 500 tenants in 1 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _sampling import process_tree, rss_bytes

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
GOAL_SLOPE_S = 0.05
CASES = ("construct", "google-resource", "kubernetes-object")


def _network_policy(index: int) -> dict[str, Any]:
    """A NetworkPolicy the size of a tenant's: one of the sixteen each tenant stack applies."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": f"allow-{index}",
            "namespace": "team-a",
            "labels": {"app.kubernetes.io/managed-by": "rayfort"},
        },
        "spec": {
            "podSelector": {"matchLabels": {"rayfort.dev/tenant": "team-a", "ray.io/node-type": "head"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"rayfort.dev/tenant": "team-a"}}}],
                    "ports": [{"protocol": "TCP", "port": port} for port in (6379, 8265, 10001)],
                }
            ],
        },
    }


def _cpu_s() -> float:
    """CPU seconds of this process and the node runtime under it (a shared machine stretches wall time, not these)."""
    ticks = os.sysconf("SC_CLK_TCK")
    node = sum(
        sum(int(f) for f in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13])
        for pid in process_tree(os.getpid())[1:]
    )
    return time.process_time() + node / ticks


def run_case(case: str, count: int) -> dict[str, float]:
    """Create ``count`` elements of one kind in one stack and synthesize it (in this process)."""
    from rayfort._providers import use_lazy_provider_import

    use_lazy_provider_import()
    from rayfort._cdk import App, Construct, TerraformStack
    from rayfort._providers import google
    from rayfort.k8s.manifest import KubernetesObject

    app = App(outdir=tempfile.mkdtemp(prefix="rayfort-floor-"), skip_validation=True)
    stack = TerraformStack(app, "floor")
    if case == "google-resource":
        google.GoogleProvider(stack, "google")  # loads the assembly before the clock starts
    start = _cpu_s()
    for index in range(count):
        if case == "construct":
            Construct(stack, f"c{index}")
        elif case == "google-resource":
            google.ServiceAccount(stack, f"r{index}", account_id=f"sa-{index}", display_name="floor", project="p")
        else:
            KubernetesObject(stack, f"m{index}", _network_policy(index))
    built = _cpu_s()
    app.synth()
    done = _cpu_s()
    return {"build_ms": 1000 * (built - start) / count, "synth_ms": 1000 * (done - built) / count}


def node_memory_mb() -> dict[str, float]:
    """RSS of the jsii node runtime with only the CDK loaded, then with the google provider's assembly too."""
    from rayfort._providers import use_lazy_provider_import

    use_lazy_provider_import()
    from rayfort._cdk import App, TerraformStack
    from rayfort._providers import google

    stack = TerraformStack(App(outdir=tempfile.mkdtemp(prefix="rayfort-floor-"), skip_validation=True), "floor")

    def largest_child_rss() -> float:
        return max(rss_bytes([pid]) for pid in process_tree(os.getpid())[1:]) / 2**20

    before = largest_child_rss()
    google.GoogleProvider(stack, "google")
    return {"cdk_only_mb": before, "with_google_mb": largest_child_rss()}


def _in_subprocess(*args: str) -> dict[str, float]:
    result = subprocess.run([str(PYTHON), "-O", __file__, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"floor {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.splitlines()[-1])


@dataclass(frozen=True)
class Composition:
    stack: str
    constructs: int
    """Constructs of rayfort's own (the levels of the tree between the stack and its elements)."""
    kubernetes_objects: int
    other_elements: int
    """Resources, data sources, outputs, providers and variables other than Kubernetes objects."""


def _elements(tf_json: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for block in ("resource", "data"):
        for kind, named in tf_json.get(block, {}).items():
            for body in named.values():
                yield kind, body
    for kind in ("output", "variable"):
        for body in tf_json.get(kind, {}).values():
            yield kind, body
    for kind, bodies in tf_json.get("provider", {}).items():
        for body in bodies:
            yield f"provider.{kind}", body


def held_by(name: str, tf_json: Mapping[str, Any]) -> Composition:
    """What one synthesized stack holds: its elements, and the constructs above them (from their paths)."""
    paths, manifests, others = set(), 0, 0
    for kind, body in _elements(tf_json):
        path = body.get("//", {}).get("metadata", {}).get("path", "") if isinstance(body, Mapping) else ""
        parts = path.split("/")
        if kind == "kubernetes_manifest":
            # stack/a/<id>/object: its stack's holder writes it; a is a construct, <id> and object are not.
            parts = parts[:-1]
            manifests += 1
        else:
            others += 1
        # stack/a/b/element: a and a/b are constructs; the stack and the element are counted elsewhere.
        paths |= {"/".join(parts[:depth]) for depth in range(2, len(parts))}
    return Composition(name, len(paths), manifests, others)


def largest_tenant(base: str) -> Composition:
    """What the largest tenant stack of a synth of ``base`` holds."""
    with tempfile.TemporaryDirectory(prefix="rayfort-floor-") as outdir:
        env = {**os.environ, "CDKTF_OUTDIR": outdir}
        synth = subprocess.run([str(PYTHON), "-O", "main.py", base], cwd=ROOT, env=env, capture_output=True, text=True)
        if synth.returncode != 0:
            raise SystemExit(f"synth of {base} failed:\n{synth.stderr[-3000:]}")
        stacks = {p.parent.name: json.loads(p.read_text()) for p in Path(outdir, "stacks").glob("tenant-*/cdk.tf.json")}
    held = [held_by(name, tf_json) for name, tf_json in stacks.items()]
    return max(held, key=lambda c: c.constructs + c.kubernetes_objects + c.other_elements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="dev", help="shipped environment whose largest tenant stack is counted")
    parser.add_argument("--count", type=int, default=600, help="elements per measured case")
    parser.add_argument("--case", choices=(*CASES, "memory"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case == "memory":
        print(json.dumps(node_memory_mb()))
        return 0
    if args.case:
        print(json.dumps(run_case(args.case, args.count)))
        return 0
    costs = {case: _in_subprocess("--case", case, "--count", str(args.count)) for case in CASES}
    for case, cost in costs.items():
        total = cost["build_ms"] + cost["synth_ms"]
        print(
            f"{case:18s} {cost['build_ms']:.3f} + {cost['synth_ms']:.3f} ms CPU to create + synthesize = {total:.3f} ms"
        )
    memory = _in_subprocess("--case", "memory")
    cdk_only, with_google = memory["cdk_only_mb"], memory["with_google_mb"]
    print(
        f"node runtime: {cdk_only:.0f} MB with the CDK, {with_google:.0f} MB once the google provider's assembly "
        f"is loaded (+{with_google - cdk_only:.0f} MB, before any resource)"
    )
    held = largest_tenant(args.base)
    per = {case: cost["build_ms"] + cost["synth_ms"] for case, cost in costs.items()}
    floor_ms = (
        held.constructs * per["construct"]
        + held.other_elements * per["google-resource"]
        + held.kubernetes_objects * per["kubernetes-object"]
    )
    print(
        f"{held.stack}: {held.constructs} constructs, {held.other_elements} other elements, "
        f"{held.kubernetes_objects} Kubernetes objects"
    )
    processes = len(os.sched_getaffinity(0))
    print(
        f"floor per tenant: {floor_ms / 1000:.3f} s of CPU in one process; {floor_ms / 1000 / processes:.3f} s of "
        f"wall with the synth's {processes} processes (rayfort.synth_workers; goal <= {GOAL_SLOPE_S} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
