"""Benchmark of the regional run on this machine (not a timed test; prints a table).

1. The example region (``params/region_example.yaml``; generated first with ``cscbook
   synth-region`` when ``data/local/synthetic_region`` is missing): the whole ``cscbook region``
   wall time, and per authority the read-and-check and compute seconds and the worker's peak memory.
2. One authority at each ``--scales`` times Westmere (default 10; add 40 if there is time and
   memory): generating it, then in a fresh process reading and checking its extract
   (``read_all``) and computing every measure (``compute_all``), each stage's wall time and the
   process's peak resident memory (``resource.getrusage``: the high-water mark, so a stage's
   figure includes the stages before it).

    PYTHONPATH=src .venv/bin/python benchmarks/region_benchmark.py [--scales 10 40] [--skip-region]

Writes only under ``data/local/`` (git-ignored) and ``reports/region/``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

STAGES = r"""
import dataclasses, json, resource, sys, time
from pathlib import Path
from cscbook.config.params import load_params
from cscbook.data.context import read_all
from cscbook.measures.compute import compute_all
folder, scale = Path(sys.argv[1]), float(sys.argv[2])
def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
p = load_params("params/example.yaml")
p = dataclasses.replace(p, annex_a=(folder / "annex_a",), ssda903=(folder / "ssda903",),
                        population_0_17=int(53000 * scale), local_measures=type(p.local_measures)())
out = {}
t = time.perf_counter(); ctx = read_all(p); out["read and check"] = (time.perf_counter() - t, peak())
rows = int(ctx.accounting["rows_read"].sum()) if "rows_read" in ctx.accounting else 0
t = time.perf_counter(); res = compute_all(ctx.tables, p); out["compute every measure"] = (time.perf_counter() - t, peak())
print(json.dumps({"stages": out, "rows": rows, "measure_rows": len(res.table)}))
"""


def run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=ENV, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, done.stdout


def peak_child_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def example_region(lines: list[tuple]) -> None:
    if not (ROOT / "data" / "local" / "synthetic_region" / "truth.json").exists():
        wall, _ = run([PY, "-m", "cscbook.cli", "synth-region"])
        lines.append(("example region", "generate 8 authorities (0.25-3x)", wall, float("nan")))
    wall, _ = run([PY, "-m", "cscbook.cli", "region", "params/region_example.yaml", "--quiet"])
    lines.append(("example region", "cscbook region (2 processes)", wall, peak_child_mb()))
    t = pd.read_csv(ROOT / "reports" / "region" / "2024-25-Q3" / "timings.csv")
    for r in t.itertuples():
        lines.append(("example region", f"  {r.authority}: read / compute", r.read_s + r.compute_s, r.peak_mb))
        lines.append(("", f"    read and check {r.read_s:.1f} s, compute {r.compute_s:.1f} s", float("nan"), float("nan")))


def one_authority(scale: float, lines: list[tuple]) -> None:
    folder = ROOT / "data" / "local" / "bench" / f"x{scale:g}"
    label = f"one authority {scale:g}x"
    if not (folder / "truth.json").exists():
        code = ("import argparse, resource; from cscbook.synth.cli import main; "
                f"main(argparse.Namespace(out={str(folder)!r}, seed=20250331, scale={scale}, as_at='2025-03-31', "
                "xlsx=False)); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")  # fmt: skip
        wall, out = run([PY, "-c", code])
        lines.append((label, "generate (cscbook synth)", wall, float(out.strip().splitlines()[-1])))
    wall, out = run([PY, "-c", STAGES, str(folder), str(scale)])
    info = json.loads(out.strip().splitlines()[-1])
    for stage, (seconds, mb) in info["stages"].items():
        lines.append((label, stage, seconds, mb))
    lines.append((label, f"  whole process (incl. imports; {info['rows']:,} rows read)", wall, float("nan")))


def national_sizes(n: int = 150, total: float = 225.0, largest: float = 6.5, seed: int = 1) -> list[float]:
    """Sizes (times Westmere) of a synthetic national region: lognormal (spread like English
    authorities' 0-17 populations, about 2,000 to 340,000), capped at ``largest``, summing to ``total``."""
    import numpy as np

    s = np.random.default_rng(seed).lognormal(0.0, 0.7, n)
    for _ in range(20):
        s = np.minimum(s * total / s.sum(), largest)
    return list(s)


def projection(lines: list[tuple], workers: int = 2) -> None:
    """Project a national run from the measured per-authority costs: seconds = a + b x scale
    (least squares over the example region's authorities and the one-authority runs up to 10x),
    divided by the processes; realistic sizes from ``national_sizes``."""
    import numpy as np

    pts = []
    t = ROOT / "reports" / "region" / "2024-25-Q3" / "timings.csv"
    if t.exists():
        from cscbook.config.region import load_region

        pops = {a.authority: a.population_0_17 / 53000 for a in load_region(ROOT / "params" / "region_example.yaml").authorities}
        for r in pd.read_csv(t).itertuples():
            if r.authority in pops and not pd.isna(r.read_s):
                pts.append((pops[r.authority], r.read_s + r.compute_s))
    single: dict[float, float] = {}
    for run_name, stage, seconds, _ in lines:
        if run_name.startswith("one authority") and stage in ("read and check", "compute every measure"):
            scale = float(run_name.split()[2].rstrip("x"))
            single[scale] = single.get(scale, 0.0) + seconds
    pts += [(k, v) for k, v in single.items() if k <= 10]  # 40x is memory-bound and noisy: not used
    if len(pts) < 3:
        return
    x, y = np.array(pts).T
    b, a = np.polyfit(x, y, 1)
    sizes = national_sizes()
    total = sum(a + b * s for s in sizes)
    lines.append(("national (projected)", f"150 authorities, 225x: {a:.1f} s + {b:.2f} s per x each", total / workers,
                  float("nan")))  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="*", default=[10.0])
    ap.add_argument("--skip-region", action="store_true")
    args = ap.parse_args()
    lines: list[tuple] = []
    if not args.skip_region:
        example_region(lines)
    for s in args.scales:
        one_authority(s, lines)
    projection(lines)
    print(f"{'run':<22} {'stage':<52} {'wall s':>8} {'peak MB':>9}")
    for run_name, stage, seconds, mb in lines:
        s = "" if pd.isna(seconds) else f"{seconds:8.1f}"
        m = "" if pd.isna(mb) else f"{mb:9.0f}"
        print(f"{run_name:<22} {stage:<52} {s:>8} {m:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
