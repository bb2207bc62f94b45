"""Measure synth at scale: time, memory, stack sizes, billable edge objects and blast radius per tenant count.

Usage: python bench/scale.py [--base dev] [--counts 1,50,200,500] [--diff-counts ...] [--keep DIR]

For each count an environment is generated from a shipped one (``--base``): half of the tenants are
copies of its first tenant behind IAP, half copies of its first tenant without IAP (or of the IAP one
with IAP off), and every list entry outside the tenants that names a shipped tenant (a waiver, a
deployer account) is repeated for each copy of that tenant; the project quotas are raised (a platform team
onboarding hundreds of teams has them raised first). Each synth is a fresh ``python -O
main.py`` in a subprocess, sampled over its whole process tree (python and its node jsii runtime):
wall time, CPU time (user + sys, which a shared machine stretches less than wall time) and peak RSS.

From the synthesized JSON, whatever the stack layout, it prints:
- resources (and data sources) per stack, the largest stack named;
- billable edge objects: load balancers (URL maps, Gateways, GKE Ingresses, LoadBalancer Services),
  forwarding rules (declared, plus those the GKE controllers create for them), certificates
  (Compute SSL, Certificate Manager, GKE ManagedCertificate) and external static IPs;
- the stacks whose JSON changes when one IAP tenant is added, and when one tenant's worker count
  changes (per-stack hashes of cdk.tf.json).
Then the slope of wall and CPU time between the two largest counts from 50 up (the goal: at most
0.05 s per tenant, 500 tenants in at most 30 s and 1 GB; ``--check`` exits 1 when a goal is missed).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from _sampling import sample

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
GOAL_WALL_S = 30.0
GOAL_RSS_MB = 1024.0
GOAL_SLOPE_S = 0.05
QUOTA = 1_000_000
"""What each project quota is raised to: the bench measures synth, not the quota check's refusal."""
SLOPE_FROM = 50
"""The slope is measured from the smallest count of at least this many tenants."""

URL_MAPS = ("google_compute_url_map", "google_compute_region_url_map")
FORWARDING_RULES = ("google_compute_forwarding_rule", "google_compute_global_forwarding_rule")
CERTIFICATES = (
    "google_compute_managed_ssl_certificate",
    "google_compute_ssl_certificate",
    "google_compute_region_ssl_certificate",
    "google_certificate_manager_certificate",
)
ADDRESSES = ("google_compute_address", "google_compute_global_address")
EXTERNAL_GATEWAY_CLASS = re.compile(r"external")


# --- generating the environments ---------------------------------------------------------------


def _behind_iap(tenant: Mapping[str, Any]) -> bool:
    return bool(tenant.get("exposure", {}).get("iap", {}).get("enabled"))


def _without_iap(tenant: Mapping[str, Any]) -> dict[str, Any]:
    plain = copy.deepcopy(dict(tenant))
    exposure = plain.get("exposure", {})
    exposure.pop("iap", None)
    if not exposure:
        plain.pop("exposure", None)
    return plain


def _mentions(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])")


def _mentioned(value: Any, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.search(json.dumps(value)))


def _renamed(value: Any, pattern: re.Pattern[str], name: str) -> Any:
    return json.loads(pattern.sub(name, json.dumps(value)))


def _repeat_mentions(value: Any, copies: Mapping[str, list[str]], dropped: list[str]) -> Any:
    """``value`` with each list entry naming a shipped tenant repeated for that tenant's copies."""
    if isinstance(value, dict):
        return {key: _repeat_mentions(item, copies, dropped) for key, item in value.items()}
    if not isinstance(value, list):
        return value
    patterns = {name: _mentions(name) for name in (*copies, *dropped)}
    result = []
    for item in value:
        named = [name for name, pattern in patterns.items() if _mentioned(item, pattern)]
        if not named:
            result.append(_repeat_mentions(item, copies, dropped))
        elif named[0] in copies:
            result += [_renamed(item, patterns[named[0]], copy_name) for copy_name in copies[named[0]]]
    return result


def tenant_name(index: int) -> str:
    return f"team-{index:03d}"


def generate(
    base: Mapping[str, Any], count: int, *, added_iap: bool = False, workers_of: int | None = None
) -> dict[str, Any]:
    """``base`` with ``count`` tenants, the even ones behind IAP, and with ``added_iap`` one more behind IAP.

    Tenant ``workers_of`` gets one more worker (its first group's max_replicas).
    """
    shipped = base["tenants"]
    iap = next((t for t in shipped if _behind_iap(t)), shipped[0])
    plain = next((t for t in shipped if not _behind_iap(t)), None) or _without_iap(iap)
    tenants, copies = [], {iap["name"]: [], plain["name"]: []}
    for index in range(count + added_iap):
        template = iap if index % 2 == 0 or index == count else plain
        tenant = copy.deepcopy(template)
        tenant["name"] = tenant_name(index)
        tenant["groups"] = {
            role: [f"ray-{tenant['name']}-{role}@example.com"] for role in template.get("groups", {"developers": []})
        }
        if template is plain and plain is not iap and _behind_iap(tenant):
            tenant = _without_iap(tenant)
        if template is iap and not _behind_iap(tenant):
            tenant.setdefault("exposure", {})["iap"] = {"enabled": True}
        tenant.get("exposure", {}).get("iap", {}).pop("host", None)
        if index == workers_of:
            tenant["worker_groups"][0]["max_replicas"] = tenant["worker_groups"][0].get("max_replicas", 1) + 1
        copies[template["name"]].append(tenant["name"])
        tenants.append(tenant)
    dropped = [t["name"] for t in shipped if t["name"] not in copies]
    data = {key: _repeat_mentions(value, copies, dropped) for key, value in base.items() if key != "tenants"}
    data["tenants"] = tenants
    data["quotas"] = {**data.get("quotas", {}), **raised_quotas()}
    return data


def raised_quotas() -> dict[str, int]:
    """Every project quota, raised as a platform team would before onboarding hundreds of teams."""
    from rayfort.config.quotas import ProjectQuotas

    return {name: QUOTA for name in ProjectQuotas.model_fields}


# --- reading the synthesized JSON ----------------------------------------------------------------


def read_stacks(outdir: Path) -> dict[str, bytes]:
    """{stack id: cdk.tf.json bytes} of every stack the manifest lists."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        name: (outdir / entry["synthesizedStackPath"]).read_bytes()
        for name, entry in sorted(manifest["stacks"].items())
    }


def _resources(stack: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind, named in stack.get("resource", {}).items():
        for body in named.values():
            yield kind, body


def _manifests(stack: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The Kubernetes objects a stack applies (any resource with a ``manifest`` object of a kind)."""
    for _, body in _resources(stack):
        manifest = body.get("manifest")
        if isinstance(manifest, dict) and "kind" in manifest:
            yield manifest


@dataclass
class StackSize:
    resources: int
    data: int


def stack_sizes(stacks: Mapping[str, Mapping[str, Any]]) -> dict[str, StackSize]:
    return {
        name: StackSize(
            sum(1 for _ in _resources(stack)),
            sum(len(named) for named in stack.get("data", {}).values()),
        )
        for name, stack in stacks.items()
    }


@dataclass
class EdgeObjects:
    load_balancers: Counter[str] = field(default_factory=Counter)
    forwarding_rules: Counter[str] = field(default_factory=Counter)
    certificates: Counter[str] = field(default_factory=Counter)
    static_ips: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def line(counter: Counter[str]) -> str:
        parts = ", ".join(f"{kind} {count}" for kind, count in sorted(counter.items()))
        return f"{sum(counter.values())}" + (f" ({parts})" if parts else "")


def _ingress_external(manifest: Mapping[str, Any]) -> bool:
    annotations = manifest.get("metadata", {}).get("annotations", {})
    ingress_class = annotations.get("kubernetes.io/ingress.class") or manifest.get("spec", {}).get(
        "ingressClassName", "gce"
    )
    return ingress_class != "gce-internal"


def edge_objects(stacks: Mapping[str, Mapping[str, Any]]) -> EdgeObjects:
    """Billable edge objects, declared in Terraform or created by GKE's controllers for declared Kubernetes objects."""
    edge = EdgeObjects()
    for stack in stacks.values():
        for kind, body in _resources(stack):
            if kind in URL_MAPS:
                edge.load_balancers["url map"] += 1
            elif kind in FORWARDING_RULES:
                edge.forwarding_rules["declared"] += 1
            elif kind in CERTIFICATES:
                edge.certificates[kind.removeprefix("google_")] += 1
            elif kind in ADDRESSES and str(body.get("address_type", "EXTERNAL")).upper() == "EXTERNAL":
                edge.static_ips["external"] += 1
        for manifest in _manifests(stack):
            kind, spec = manifest["kind"], manifest.get("spec", {})
            if kind == "Gateway":
                edge.load_balancers["Gateway"] += 1
                # One forwarding rule per listener port and address.
                ports = {listener.get("port") for listener in spec.get("listeners", [])}
                edge.forwarding_rules["Gateway"] += len(ports) * max(1, len(spec.get("addresses", [])))
            elif kind == "Ingress":
                edge.load_balancers["Ingress" if _ingress_external(manifest) else "internal Ingress"] += 1
                annotations = manifest.get("metadata", {}).get("annotations", {})
                http_too = annotations.get("kubernetes.io/ingress.allow-http", "true") != "false"
                edge.forwarding_rules["Ingress"] += 1 + http_too
            elif kind == "Service" and spec.get("type") == "LoadBalancer":
                edge.load_balancers["LoadBalancer Service"] += 1
                edge.forwarding_rules["LoadBalancer Service"] += 1
            elif kind == "ManagedCertificate":
                edge.certificates["ManagedCertificate"] += 1
    return edge


def digests(stacks: Mapping[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(body).hexdigest() for name, body in stacks.items()}


@dataclass(frozen=True)
class Change:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    def __str__(self) -> str:
        parts = [f"{label} {', '.join(names)}" for label, names in self._parts() if names]
        return "; ".join(parts) or "nothing"

    def _parts(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return (("changed", self.changed), ("added", self.added), ("removed", self.removed))


def compare(before: Mapping[str, str], after: Mapping[str, str]) -> Change:
    return Change(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=tuple(sorted(name for name in before.keys() & after.keys() if before[name] != after[name])),
    )


# --- running ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Synth:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    stacks: dict[str, bytes]


def synthesize(data: Mapping[str, Any], work: Path, label: str) -> Synth:
    environment = work / f"{label}.yaml"
    environment.write_text(yaml.safe_dump(dict(data), sort_keys=False))
    outdir = work / label
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir)}
    run = sample([str(PYTHON), "-O", str(ROOT / "main.py"), str(environment)], ROOT, env)
    if run.returncode != 0:
        raise SystemExit(f"synth of {label} failed (exit {run.returncode}):\n{run.stderr[-4000:]}")
    return Synth(run.wall_s, run.cpu_s, run.peak_rss_mb, read_stacks(outdir))


def _counts(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="dev", help="shipped environment (environments/<name>.yaml) or a file")
    parser.add_argument("--counts", default="1,50,200,500", help="tenant counts, comma-separated")
    parser.add_argument(
        "--diff-counts",
        default=None,
        help="counts at which to also synth one tenant more and one worker more (default: every count)",
    )
    parser.add_argument("--keep", type=Path, help="keep the generated environments and outputs here")
    parser.add_argument("--check", action="store_true", help="exit 1 when a synth goal is missed")
    args = parser.parse_args(argv)
    base_path = (
        Path(args.base) if args.base.endswith((".yaml", ".yml")) else ROOT / "environments" / f"{args.base}.yaml"
    )
    base = yaml.safe_load(base_path.read_text())
    counts = _counts(args.counts)
    diff_counts = set(counts if args.diff_counts is None else _counts(args.diff_counts))
    if not PYTHON.exists():
        raise SystemExit(f"no {PYTHON}: run `make setup`")
    with tempfile.TemporaryDirectory(prefix="rayfort-scale-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        timings: dict[int, Synth] = {}
        print(f"base: {base_path.relative_to(ROOT) if base_path.is_relative_to(ROOT) else base_path}")
        for count in counts:
            run = synthesize(generate(base, count), work, f"tenants-{count}")
            timings[count] = run
            report(count, run)
            if count in diff_counts:
                blast_radius(base, count, run, work)
            sys.stdout.flush()
        return summary(timings, args.check)


def report(count: int, run: Synth) -> None:
    stacks = {name: json.loads(body) for name, body in run.stacks.items()}
    sizes = stack_sizes(stacks)
    largest = max(sizes, key=lambda name: (sizes[name].resources, name))
    edge = edge_objects(stacks)
    total = sum(size.resources for size in sizes.values())
    shared = {name: size for name, size in sizes.items() if not name.startswith("tenant-")}
    tenant_sizes = sorted(size.resources for name, size in sizes.items() if name.startswith("tenant-"))
    print(f"\n{count} tenants: {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s CPU, {run.peak_rss_mb:.0f} MB peak RSS")
    print(f"  stacks: {len(sizes)}, resources: {total}; largest: {largest} ({sizes[largest].resources} resources)")
    print(
        "  shared stacks (resources/data sources): "
        + ", ".join(f"{n} {s.resources}/{s.data}" for n, s in shared.items())
    )
    if tenant_sizes:
        print(f"  tenant stacks: {tenant_sizes[0]}..{tenant_sizes[-1]} resources each")
    print(f"  load balancers: {edge.line(edge.load_balancers)}")
    print(f"  forwarding rules: {edge.line(edge.forwarding_rules)}")
    print(f"  certificates: {edge.line(edge.certificates)}")
    print(f"  external static IPs: {edge.line(edge.static_ips)}")


def blast_radius(base: Mapping[str, Any], count: int, run: Synth, work: Path) -> None:
    before = digests(run.stacks)
    added = synthesize(generate(base, count, added_iap=True), work, f"tenants-{count}-added")
    print(f"  one IAP tenant added ({tenant_name(count)}): {compare(before, digests(added.stacks))}")
    edited = synthesize(generate(base, count, workers_of=0), work, f"tenants-{count}-workers")
    print(f"  one more max worker for {tenant_name(0)}: {compare(before, digests(edited.stacks))}")


def summary(timings: Mapping[int, Synth], check: bool) -> int:
    print()
    measured = sorted(timings)
    large = [count for count in measured if count >= SLOPE_FROM]
    missed = []
    if len(large) >= 2:
        low, high = timings[large[0]], timings[large[-1]]
        span = large[-1] - large[0]
        wall, cpu = (high.wall_s - low.wall_s) / span, (high.cpu_s - low.cpu_s) / span
        print(
            f"slope {large[0]}..{large[-1]} tenants: {wall:.3f} s wall, {cpu:.3f} s CPU per tenant "
            f"(goal <= {GOAL_SLOPE_S})"
        )
        if wall > GOAL_SLOPE_S:
            missed.append(f"slope {wall:.3f} s per tenant")
    largest = timings[measured[-1]]
    print(
        f"largest ({measured[-1]} tenants): {largest.wall_s:.1f} s wall, {largest.cpu_s:.1f} s CPU, "
        f"{largest.peak_rss_mb:.0f} MB (goals: 500 tenants <= {GOAL_WALL_S:.0f} s, <= {GOAL_RSS_MB:.0f} MB)"
    )
    for count, run in timings.items():
        if count <= 500 and run.wall_s > GOAL_WALL_S:
            missed.append(f"{count} tenants took {run.wall_s:.1f} s")
        if count <= 500 and run.peak_rss_mb > GOAL_RSS_MB:
            missed.append(f"{count} tenants peaked at {run.peak_rss_mb:.0f} MB")
    if missed:
        print("missed: " + "; ".join(missed))
    return 1 if check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
