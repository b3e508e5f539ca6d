"""Benchmark the synthetic authority: wall time and peak memory of `cscbook synth`.

Runs each case in a fresh Python process (so peak RSS is that run's own) and prints a table:
the example (scale 1, CSVs only) must take under 60 s; scale 10 must stay under 8 GB.

    .venv/bin/python benchmarks/synth_benchmark.py [--scales 1 10]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time


def one(scale: float, out: str) -> dict:
    from cscbook.cli import main

    t0 = time.perf_counter()
    rc = main(["synth", "--out", out, "--seed", "20250331", "--scale", str(scale), "--as-at", "2025-03-31"])
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {"scale": scale, "rc": rc, "wall_s": round(wall, 1), "peak_rss_mb": round(peak_kb / 1024, 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", nargs="+", type=float, default=[1.0, 10.0])
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.out)))
        return 0
    limits = {1.0: ("wall_s", 60.0), 10.0: ("peak_rss_mb", 8192.0)}
    ok = True
    print(f"{'scale':>6} {'wall (s)':>9} {'peak RSS (MB)':>14}  check")
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            res = subprocess.run(
                [sys.executable, __file__, "--one", str(scale), "--out", tmp],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            r = json.loads(res.stdout.strip().splitlines()[-1])
        check = ""
        if scale in limits:
            key, limit = limits[scale]
            passed = r[key] < limit and r["rc"] == 0
            ok &= passed
            check = f"{key} < {limit:g}: {'ok' if passed else 'FAILED'}"
        print(f"{scale:>6g} {r['wall_s']:>9.1f} {r['peak_rss_mb']:>14.1f}  {check}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
