"""Measure synth: wall time, CPU and peak RSS of all processes, per framework, lazy import against the usual one.

Usage: python bench/synth.py [--repeat N] [--tenants 50] [--frameworks cdktf,cdktn]

Each run is a fresh `python -O main.py` in a subprocess (the way `make synth`
and the CLI run the app), with the interpreter of the framework's venv (.venv for
CDK for Terraform, .venv-cdktn for CDK Terrain: `make frameworks`); RSS is
sampled every 20 ms over the whole process tree (python and its node jsii
runtime) and the peak of the sum is reported, with the tree's CPU time (which,
unlike wall time, does not grow when the machine is shared). Each framework runs
with lazy provider imports (what ships); the default framework also with the
usual import, and those two outputs are compared byte for byte. That the
frameworks' outputs are the same up to their documented differences is a test
(tests/foundation/test_frameworks.py), not a benchmark.
"""

from __future__ import annotations

import argparse
import copy
import filecmp
import os
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from _sampling import sample

ROOT = Path(__file__).resolve().parents[1]
VENVS = {"cdktf": ROOT / ".venv", "cdktn": ROOT / ".venv-cdktn"}
RUNS = (("cdktf", "lazy"), ("cdktf", "eager"), ("cdktn", "lazy"))
"""(framework, provider import) measured: each framework as it ships, the default also with the usual import."""


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float


def measure(environment: Path, outdir: Path, framework: str, mode: str) -> Measurement:
    env = {
        **os.environ,
        "CDKTF_OUTDIR": str(outdir),
        "RAYFORT_PROVIDER_IMPORT": mode,
        "RAYFORT_FRAMEWORK": framework,
    }
    python = VENVS[framework] / "bin" / "python"
    run = sample([str(python), "-O", str(ROOT / "main.py"), str(environment)], ROOT, env)
    if run.returncode != 0:
        raise SystemExit(f"synth of {environment} on {framework} failed:\n{run.stderr}")
    return Measurement(run.wall_s, run.cpu_s, run.peak_rss_mb)


def many_tenants(base: Path, count: int, target: Path) -> Path:
    """The dev environment with ``count`` tenants shaped like its first one."""
    data = yaml.safe_load(base.read_text())
    template = data["tenants"][0]
    tenants = []
    for index in range(count):
        tenant = copy.deepcopy(template)
        tenant["name"] = f"team-{index:02d}"
        tenant["groups"] = {"developers": [f"ray-team-{index:02d}@example.com"]}
        tenant.pop("exposure", None)
        tenants.append(tenant)
    # Waivers of the replaced tenants' resources would match nothing, which synth refuses.
    replaced = [re.compile(rf"(?:^|[-/]){re.escape(tenant['name'])}(?:[-/]|$)") for tenant in data["tenants"]]
    data["waivers"] = [w for w in data.get("waivers", []) if not any(r.search(w["resource"]) for r in replaced)]
    data["tenants"] = tenants
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def _same(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()) and all(
        filecmp.cmp(a / f, b / f, shallow=False) for f in files
    )


def _median(runs: list[Measurement]) -> Measurement:
    return Measurement(
        statistics.median(r.wall_s for r in runs),
        statistics.median(r.cpu_s for r in runs),
        statistics.median(r.peak_rss_mb for r in runs),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the median is reported")
    parser.add_argument("--tenants", type=int, default=50, help="tenants in the generated environment")
    parser.add_argument("--frameworks", default="cdktf,cdktn", help="comma-separated: cdktf, cdktn")
    args = parser.parse_args()
    frameworks = args.frameworks.split(",")
    missing = [name for name in frameworks if not (VENVS[name] / "bin" / "python").exists()]
    if missing:
        raise SystemExit(f"no venv for {', '.join(missing)}: run `make frameworks`")
    runs = [(framework, mode) for framework, mode in RUNS if framework in frameworks]
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        cases = {
            "dev": ROOT / "environments" / "dev.yaml",
            f"{args.tenants} tenants": many_tenants(
                ROOT / "environments" / "dev.yaml", args.tenants, work / "many.yaml"
            ),
        }
        rows, identical = [], True
        for label, environment in cases.items():
            results = {}
            for framework, mode in runs:
                key = f"{label}-{framework}-{mode}"
                measured = [measure(environment, work / f"{key}-{i}", framework, mode) for i in range(args.repeat)]
                results[framework, mode] = _median(measured)
            if "cdktf" in frameworks:
                identical &= _same(work / f"{label}-cdktf-lazy-0", work / f"{label}-cdktf-eager-0")
            rows.append((label, results))
        tenants_dev = len(yaml.safe_load(cases["dev"].read_text())["tenants"])
        print(f"{'case':<12} {'framework':<9} {'import':<6} {'wall s':>7} {'CPU s':>7} {'peak RSS MB':>12}")
        for label, results in rows:
            for (framework, mode), m in results.items():
                print(f"{label:<12} {framework:<9} {mode:<6} {m.wall_s:>7.2f} {m.cpu_s:>7.2f} {m.peak_rss_mb:>12.0f}")
        for framework in frameworks:
            dev, many = (rows[i][1][framework, "lazy"] for i in (0, 1))
            added = args.tenants - tenants_dev
            wall, cpu = (many.wall_s - dev.wall_s) / added, (many.cpu_s - dev.cpu_s) / added
            print(f"each added tenant ({framework}, lazy): {wall:.3f} s wall, {cpu:.3f} s CPU")
        if "cdktf" in frameworks:
            print(f"output byte-identical, lazy vs usual import: {'yes' if identical else 'NO'}")
        return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
