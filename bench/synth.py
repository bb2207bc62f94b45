"""Measure synth: wall time and peak RSS of all processes, lazy provider import against the usual one.

Usage: python bench/synth.py [--repeat N] [--tenants 50]

Each run is a fresh `python -O main.py` in a subprocess (the way `make synth`
and cdktf run the app); RSS is sampled every 20 ms over the whole process tree (python and its
node jsii runtime) and the peak of the sum is reported. The outputs of the two
import modes are compared byte for byte.
"""

from __future__ import annotations

import argparse
import copy
import filecmp
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from _sampling import sample

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    peak_rss_mb: float


def measure(environment: Path, outdir: Path, mode: str) -> Measurement:
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), "RAYFORT_PROVIDER_IMPORT": mode}
    run = sample([sys.executable, "-O", str(ROOT / "main.py"), str(environment)], ROOT, env)
    if run.returncode != 0:
        raise SystemExit(f"synth of {environment} failed:\n{run.stderr}")
    return Measurement(run.wall_s, run.peak_rss_mb)


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
    data["tenants"] = tenants
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def _same(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()) and all(
        filecmp.cmp(a / f, b / f, shallow=False) for f in files
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the median is reported")
    parser.add_argument("--tenants", type=int, default=50, help="tenants in the generated environment")
    args = parser.parse_args()
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
            for mode in ("lazy", "eager"):
                runs = [measure(environment, work / f"{label}-{mode}-{i}", mode) for i in range(args.repeat)]
                results[mode] = Measurement(
                    statistics.median(r.wall_s for r in runs), statistics.median(r.peak_rss_mb for r in runs)
                )
            identical &= _same(work / f"{label}-lazy-0", work / f"{label}-eager-0")
            rows.append((label, results))
        tenants_dev = len(yaml.safe_load(cases["dev"].read_text())["tenants"])
        print(f"{'case':<12} {'import':<6} {'wall s':>7} {'peak RSS MB':>12}")
        for label, results in rows:
            for mode, m in results.items():
                print(f"{label:<12} {mode:<6} {m.wall_s:>7.2f} {m.peak_rss_mb:>12.0f}")
        lazy_dev, lazy_many = rows[0][1]["lazy"].wall_s, rows[1][1]["lazy"].wall_s
        per_tenant = (lazy_many - lazy_dev) / (args.tenants - tenants_dev)
        print(f"each added tenant (lazy): {per_tenant:.3f} s")
        print(f"output byte-identical, lazy vs usual import: {'yes' if identical else 'NO'}")
        return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
