"""Benchmark of the regional run on this machine (not a timed test; prints a table).

1. The example region (``params/region_example.yaml``; generated first with ``cscbook
   synth-region`` when ``data/local/synthetic_region`` is missing): the whole ``cscbook region``
   wall time, and per authority the read-and-check and compute seconds and the worker's peak memory.
2. One authority at each ``--scales`` times Westmere (default 10; add 40 if there is time and
   memory): generating it, then in a fresh process reading and checking its extract
   (``read_all``) and computing every measure (``compute_all``), each stage's wall time and the
   process's peak resident memory (``resource.getrusage``: the high-water mark, so a stage's
   figure includes the stages before it).

3. With ``--national``: a synthetic national region (``cscbook synth-region --authorities 150``,
   about 225 times Westmere in all, under ``data/local/national``; generated first when missing):
   every authority's measures in the process pool, the tables saved, the regional report; each
   stage's wall time, the largest process's peak and the whole process tree's peak resident memory
   (sampled every 0.2 s with psutil).

    PYTHONPATH=src .venv/bin/python benchmarks/region_benchmark.py [--scales 10 40] [--skip-region] [--national]

``--national`` runs whatever ``cscbook`` is first on ``PYTHONPATH``: point it at an older
checkout's ``src`` to time the same region before a change.

Writes only under ``data/local/`` (git-ignored) and ``reports/region/``.
"""

from __future__ import annotations

import argparse
import contextlib
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


def example_region_dir() -> Path:
    """Where ``cscbook region params/region_example.yaml`` writes (without checking its extracts exist)."""
    import yaml

    from cscbook.config.periods import quarter_label

    end = pd.Timestamp(
        str(yaml.safe_load((ROOT / "params" / "region_example.yaml").read_text())["period_end"])
    )
    return ROOT / "reports" / "region" / quarter_label(end)


def example_region(lines: list[tuple]) -> None:
    if not (ROOT / "data" / "local" / "synthetic_region" / "truth.json").exists():
        wall, _ = run([PY, "-m", "cscbook.cli", "synth-region"])
        lines.append(("example region", "generate 8 authorities (0.25-3x)", wall, float("nan")))
    wall, _ = run([PY, "-m", "cscbook.cli", "region", "params/region_example.yaml", "--quiet"])
    lines.append(("example region", "cscbook region (2 processes)", wall, peak_child_mb()))
    t = pd.read_csv(example_region_dir() / "timings.csv")
    for r in t.itertuples():
        lines.append(
            ("example region", f"  {r.authority}: read / compute", r.read_s + r.compute_s, r.peak_mb)
        )
        lines.append(
            (
                "",
                f"    read and check {r.read_s:.1f} s, compute {r.compute_s:.1f} s",
                float("nan"),
                float("nan"),
            )
        )


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


def projection(lines: list[tuple], workers: int = 2) -> None:
    """Project a national run from the measured per-authority costs: seconds = a + b x scale
    (least squares over the example region's authorities and the one-authority runs up to 10x),
    divided by the processes; realistic sizes from ``national_sizes``."""
    import numpy as np

    pts = []
    t = example_region_dir() / "timings.csv"
    if t.exists():
        from cscbook.config.region import load_region

        pops = {
            a.authority: a.population_0_17 / 53000
            for a in load_region(ROOT / "params" / "region_example.yaml").authorities
        }
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
    from cscbook.synth.region import national_sizes

    sizes = national_sizes()
    total = sum(a + b * s for s in sizes)
    lines.append(("national (projected)", f"150 authorities, 225x: {a:.1f} s + {b:.2f} s per x each", total / workers,
                  float("nan")))  # fmt: skip


class TreeMemory:
    """Peak resident memory of this process and all its descendants (summed) and of the largest
    one, sampled every ``every`` seconds in a thread while the ``with`` block runs."""

    def __init__(self, every: float = 0.2) -> None:
        import threading

        self.every, self.total_mb, self.largest_mb = every, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            sizes = []
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a worker that ended between listing and reading
                    sizes.append(proc.memory_info().rss / 2**20)
            self.total_mb = max(self.total_mb, sum(sizes))
            self.largest_mb = max(self.largest_mb, max(sizes, default=0.0))
            self._stop.wait(self.every)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def full_run(scale: float, lines: list[tuple]) -> None:
    """``cscbook run`` (read, compute, every notebook, book, workbook, PDFs) on the authority at
    ``scale``: a parameter file beside its extract (``params/example.yaml`` with the extract's
    paths and population, no local measures), each stage from the run's timings.json."""
    import yaml

    folder = ROOT / "data" / "local" / "bench" / f"x{scale:g}"
    spec = yaml.safe_load((ROOT / "params" / "example.yaml").read_text())
    spec.update(annex_a=[str(folder / "annex_a")], ssda903=[str(folder / "ssda903")],
                population_0_17=int(53000 * scale))  # fmt: skip
    spec.pop("local_measures", None)
    (folder / "params").mkdir(exist_ok=True)
    (folder / "params" / "run.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    cmd = [PY, "-c", "import resource, sys; from cscbook.cli import main; rc = main(sys.argv[1:]); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "
           "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024); sys.exit(rc)",
           "run", str(folder / "params" / "run.yaml"), "--quiet"]  # fmt: skip
    wall, out = run(cmd)
    kids, me = (float(x) for x in out.strip().splitlines()[-1].split())
    label = f"cscbook run {scale:g}x"
    quarter = next((folder / "reports").glob("*/timings.json"))
    timings = json.loads(quarter.read_text())
    for stage, seconds in timings["stages"].items():
        lines.append((label, stage, seconds, float("nan")))
    for nb, seconds in timings["notebooks"].items():
        lines.append((label, f"  notebook {nb}", seconds, float("nan")))
    lines.append((label, "whole run (largest process: the run or a kernel)", wall, max(kids, me)))


def national(lines: list[tuple], n: int = 150) -> None:
    """Generate (when missing) and run the synthetic national region, stage by stage, in this process."""
    folder = ROOT / "data" / "local" / "national"
    label = f"national ({n} authorities)"
    if not (folder / "region.yaml").exists():
        wall, _ = run(
            [PY, "-m", "cscbook.cli", "synth-region", "--authorities", str(n), "--out", str(folder)]
        )
        lines.append((label, "generate (cscbook synth-region)", wall, float("nan")))
    from cscbook.book import region as book_region
    from cscbook.config.region import load_region

    # the regional book (an older checkout, before the book, wrote one page: report.region.write_report)
    report = getattr(book_region, "build_book", None)
    if report is None:
        from cscbook.report.region import write_report as report

    region = load_region(folder / "region.yaml")
    with TreeMemory() as mem:
        t = time.perf_counter()
        res = book_region.run_region(region)
        lines.append(
            (label, "every authority's measures (2 processes)", time.perf_counter() - t, mem.largest_mb)
        )
        t = time.perf_counter()
        book_region.save(region, res)
        report(region, res.table, res.failures)
        lines.append(
            (label, "save tables and build the regional book", time.perf_counter() - t, float("nan"))
        )
    lines.append((label, "  whole process tree at its peak", float("nan"), mem.total_mb))
    tm = res.timings
    lines.append((label, f"  per authority: read {tm['read_s'].sum():.0f} s, compute {tm['compute_s'].sum():.0f} s "
                  f"(summed); {len(res.failures)} failed", float("nan"), float(tm["peak_mb"].max())))  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="*", default=[10.0])
    ap.add_argument("--skip-region", action="store_true")
    ap.add_argument("--national", action="store_true", help="also run the synthetic national region")
    ap.add_argument("--full-run", type=float, nargs="*", default=[], help="scales to put through cscbook run")
    args = ap.parse_args()
    lines: list[tuple] = []
    if not args.skip_region:
        example_region(lines)
    for s in args.scales:
        one_authority(s, lines)
    projection(lines)
    for s in args.full_run:
        full_run(s, lines)
    if args.national:
        national(lines)
    print(f"{'run':<22} {'stage':<52} {'wall s':>8} {'peak MB':>9}")
    for run_name, stage, seconds, mb in lines:
        s = "" if pd.isna(seconds) else f"{seconds:8.1f}"
        m = "" if pd.isna(mb) else f"{mb:9.0f}"
        print(f"{run_name:<22} {stage:<52} {s:>8} {m:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
