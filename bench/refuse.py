"""Measure refusing hostile environment files: wall time and peak RSS of `python -O main.py <file>`.

Usage: python bench/refuse.py [--repeat N]

The goal (issue 14): a 50 MB file (and an endless stream) is refused in under 2 s and 200 MB; the
script exits 1 when it is not. The other cases are the worst inside the bounds (1 MiB, 100,000 values),
reported for comparison. Each run is a fresh subprocess, as `make synth` runs it, sampled over its
whole process tree (a refusal never starts the CDK's node runtime). CPU seconds are reported beside
wall time, since a shared machine stretches wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from _sampling import sample

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 2.0
LIMIT_MB = 200.0
GOAL_CASES = ("50 MB file", "/dev/zero (endless)")
DEV = (ROOT / "environments" / "dev.yaml").read_text()


def cases(work: Path) -> dict[str, Path]:
    """Files (and a stream) that must be refused, from 50 MB down to the worst case inside the bounds."""
    files = {
        "50 MB file": "- item\n" * (50 * 10**6 // 7),
        "alias bomb (10^9 values)": "".join(
            f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10) if i else ', '.join(['lol'] * 10)}]\n" for i in range(9)
        ),
        "1 MiB, 100k list items": "a: [" + "0," * 350_000 + "0]\n",
        "1 MiB, 40k unknown keys": "".join(f"key{i}: 1\n" for i in range(40_000)),
        "dev with one bad value": DEV.replace("max_replicas: 3", "max_replicas: 123456789012345678901234567890"),
    }
    paths = {}
    for name, text in files.items():
        path = work / f"{len(paths)}.yaml"
        path.write_text(text[: 60 * 10**6] if name.startswith("50 MB") else text[: 1 << 20])
        paths[name] = path
    paths["/dev/zero (endless)"] = Path("/dev/zero")
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the median is reported")
    args = parser.parse_args()
    failed = False
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'case':<26} {'size':>9} {'wall s':>7} {'CPU s':>6} {'peak RSS MB':>12}  exit")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        env = {**os.environ, "CDKTF_OUTDIR": str(work / "cdktf.out")}
        for name, path in cases(work).items():
            runs = [
                sample([sys.executable, "-O", str(ROOT / "main.py"), str(path)], ROOT, env) for _ in range(args.repeat)
            ]
            wall = statistics.median(run.wall_s for run in runs)
            cpu = statistics.median(run.cpu_s for run in runs)
            peak = statistics.median(run.peak_rss_mb for run in runs)
            size = f"{path.stat().st_size / 2**20:.1f} MiB" if path.is_file() else "endless"
            ok = all(run.returncode == 2 for run in runs)
            if name in GOAL_CASES:
                ok &= wall < LIMIT_S and peak < LIMIT_MB
            failed |= not ok
            verdict = "" if ok else "  FAILS"
            print(f"{name:<26} {size:>9} {wall:>7.2f} {cpu:>6.2f} {peak:>12.0f}  {runs[0].returncode}{verdict}")
            if runs[0].returncode != 2:
                print(runs[0].stderr)
    print(f"goal: every case refused (exit 2); {', '.join(GOAL_CASES)} in under {LIMIT_S:.0f} s and {LIMIT_MB:.0f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
