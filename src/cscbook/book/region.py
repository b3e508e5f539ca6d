"""One regional run (``cscbook region params/region.yaml``): every authority's measures, then the report.

Each authority is one task, ``authority_measures(params)``: read its extracts
(``data.context.read_all``) and compute every registered measure (``measures.compute_all``),
returning only the aggregate measures table (a few thousand rows: no record-level data leaves
the task), so memory is bounded by the largest authority, not the region. Tasks run in a
``concurrent.futures.ProcessPoolExecutor`` (``workers`` processes, default one per core).
They are plain top-level functions of picklable arguments (a frozen ``Params``), so the same
tasks can be submitted unchanged to a distributed engine when a region outgrows one machine:
``run_region(..., executor=...)`` takes any ``concurrent.futures.Executor``, e.g. Dask's
``distributed.Client(address).get_executor()``; with Ray, ``ray.remote(authority_measures)``
and ``ray.get``. Each worker then needs the extracts' paths to be readable where it runs.

An authority whose extract cannot be read (a ``UserError``) or whose computation fails is
reported by name with its message, and the others go on. Outputs, under
``reports/region/<quarter>/``: ``measures_by_authority.csv`` (every measure by period and
authority), ``failures.csv`` (when any), ``timings.csv`` (read and compute seconds and the
worker's peak memory per authority) and the report (``report.region``).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from cscbook.book.html import finish_book
from cscbook.book.pipeline import REPO_ROOT, jupyter_book_build
from cscbook.config.errors import UserError
from cscbook.config.params import Params
from cscbook.config.region import RegionParams, load_region


@dataclass
class AuthorityResult:
    """One task's answer: the authority's measures table (aggregates) or its failure message."""

    name: str
    table: pd.DataFrame | None = None
    error: str = ""
    fault: bool = False  # the error is a fault in cscbook (its message may quote the data), not the extract's
    read_s: float = float("nan")
    compute_s: float = float("nan")
    peak_mb: float = float("nan")  # the worker process's peak resident memory so far


@dataclass
class RegionResults:
    table: pd.DataFrame  # every authority's measures (column ``authority`` first)
    failures: (
        pd.DataFrame
    )  # authority, message, fault (True: a fault in cscbook, message for the analyst only)
    timings: pd.DataFrame  # authority, read_s, compute_s, peak_mb
    wall_s: float = 0.0
    paths: dict[str, Path] = field(default_factory=dict)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def authority_measures(params: Params) -> AuthorityResult:
    """Read one authority's extracts and compute every measure (a top-level, picklable task)."""
    from cscbook.data.context import read_all
    from cscbook.measures.compute import compute_all

    out = AuthorityResult(params.authority)
    try:
        t0 = time.perf_counter()
        ctx = read_all(params)
        t1 = time.perf_counter()
        table = compute_all(ctx.tables, params).table
        out.read_s, out.compute_s = t1 - t0, time.perf_counter() - t1
        del ctx
        out.table = table.assign(authority=params.authority)[["authority", *table.columns]]
    except UserError as exc:
        out.error = str(exc)
    except Exception as exc:  # a fault in cscbook on this authority's data: report it and go on
        last = traceback.extract_tb(exc.__traceback__)[-1]
        out.fault = True
        out.error = (f"cscbook failed on this extract ({type(exc).__name__}: {exc}, at "
                     f"{Path(last.filename).name}:{last.lineno}). Report it with this message.")  # fmt: skip
    out.peak_mb = _peak_mb()
    return out


def run_region(region: RegionParams, executor: Executor | None = None, progress=None) -> RegionResults:
    """Every authority's measures in parallel (module docstring); ``progress(name, ok)`` after each."""
    t0 = time.perf_counter()
    own = executor is None
    pool = executor or ProcessPoolExecutor(max_workers=region.max_workers)
    results: list[AuthorityResult] = []
    try:
        futures = {pool.submit(authority_measures, p): p.authority for p in region.authorities}
        for fut in as_completed(futures):
            try:
                res = fut.result()
            except BrokenProcessPool as exc:  # a worker died (e.g. out of memory): say which authority
                res = AuthorityResult(futures[fut], error=f"the worker process stopped ({exc}); this is "
                                      "usually memory: run the region with fewer workers.")  # fmt: skip
            results.append(res)
            if progress:
                progress(res.name, not res.error)
    finally:
        if own:
            pool.shutdown()
    order = {p.authority: i for i, p in enumerate(region.authorities)}
    results.sort(key=lambda r: order[r.name])
    tables = [r.table for r in results if r.table is not None]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    failures = pd.DataFrame([(r.name, r.error, r.fault) for r in results if r.error],
                            columns=["authority", "message", "fault"])  # fmt: skip
    timings = pd.DataFrame([(r.name, r.read_s, r.compute_s, r.peak_mb) for r in results],
                           columns=["authority", "read_s", "compute_s", "peak_mb"])  # fmt: skip
    return RegionResults(table, failures, timings, time.perf_counter() - t0)


def save(region: RegionParams, res: RegionResults) -> dict[str, Path]:
    """Write the tables under ``reports/region/<quarter>/``."""
    out = region.reports_dir
    out.mkdir(parents=True, exist_ok=True)
    paths = {"measures": out / "measures_by_authority.csv", "timings": out / "timings.csv"}
    res.table.to_csv(paths["measures"], index=False)
    res.timings.to_csv(paths["timings"], index=False)
    fail = out / "failures.csv"
    if len(res.failures):
        res.failures.to_csv(fail, index=False)
        paths["failures"] = fail
    elif fail.exists():
        fail.unlink()
    return paths


def region_toc(pages: list[str]) -> dict:
    """The regional book's ``_toc.yml``: the first page as root, the measures, then the last (methods)."""
    return {"format": "jb-book", "root": pages[0],
            "parts": [{"caption": "Measures", "chapters": [{"file": p} for p in pages[1:-1]]},
                      {"caption": "Appendix", "chapters": [{"file": pages[-1]}]}]}  # fmt: skip


def region_config(base: dict, region: RegionParams) -> dict:
    """The regional book's ``_config.yml``: the project's (theme, extensions, HTML options) with the
    region and quarter in the title, nothing executed and a footer about the region's tables."""
    cfg = dict(base)
    cfg["title"] = f"{region.region}: regional comparison, {region.quarter}"
    cfg["author"] = "cscbook"
    cfg["only_build_toc_files"] = True
    cfg["execute"] = {"execute_notebooks": "off"}
    cfg["html"] = {**base.get("html", {}), "extra_footer": (
        "Produced with cscbook from each authority's extract. Aggregates only. Every number is in "
        "measures_by_authority.csv and outliers.csv beside this book.")}  # fmt: skip
    return cfg


def build_book(region: RegionParams, table: pd.DataFrame, failures: pd.DataFrame | None = None,
               strict: bool = True) -> tuple[Path, float]:  # fmt: skip
    """Write and build the regional book (module docstring); return its ``index.html`` and the
    seconds the jupyter-book build took."""
    from cscbook.report.region import write_pages

    out = region.reports_dir
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".book-", dir=out))
    try:
        pages = write_pages(region, table, failures, work)
        (work / "_toc.yml").write_text(yaml.safe_dump(region_toc(pages), sort_keys=False), encoding="utf-8")
        base = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
        (work / "_config.yml").write_text(
            yaml.safe_dump(region_config(base, region), sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        if (REPO_ROOT / "_static").is_dir():
            shutil.copytree(REPO_ROOT / "_static", work / "_static")
        html, _, seconds = jupyter_book_build(
            work, out / "book_build.log", strict, "the regional book", out / "book"
        )
        finish_book(html, work / "figures")
        shutil.rmtree(work / "_build" / ".doctrees", ignore_errors=True)
        final, old = out / "book", None
        if final.exists():
            old = out / f".book-old-{os.getpid()}"
            os.replace(final, old)
        os.replace(work, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        if (out / "index.html").is_file():  # the single page (and its figures) of cscbook before the book
            (out / "index.html").unlink()
            shutil.rmtree(out / "figures", ignore_errors=True)
        return final / "_build" / "html" / "index.html", seconds
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(args) -> int:
    """``cscbook region``: run, save, build the book; exit 1 when an authority failed, 2 when all did."""
    from cscbook.book.executors import executor_for
    from cscbook.report.region import comparison_measures

    region = load_region(args.params)
    comparison_measures(region)  # an unknown measure key is reported before anything runs
    quiet = bool(getattr(args, "quiet", False))

    def progress(name: str, ok: bool) -> None:
        if not quiet:
            print(f"  {name}: {'done' if ok else 'FAILED'}", file=sys.stderr, flush=True)

    if not quiet:
        print(f"{region.region}: {len(region.authorities)} authorities, {region.quarter}, "
              f"{region.max_workers} processes", file=sys.stderr)  # fmt: skip
    with executor_for(getattr(args, "scheduler", None), region.max_workers) as executor:
        res = run_region(region, executor=executor, progress=progress)
    for row in res.failures.itertuples():
        print(f"cscbook region: {row.authority} was left out: {row.message}", file=sys.stderr)
    if res.table.empty:
        raise UserError(f"No authority in {region.source_file} could be read, so there is no regional report. "
                        "Fix the extracts named above and run again.")  # fmt: skip
    paths = save(region, res)
    paths["book"], book_s = build_book(region, res.table, res.failures)
    print(f"{region.region}: {len(region.authorities) - len(res.failures)} of {len(region.authorities)} authorities "
          f"in {res.wall_s:.1f} s; book built in {book_s:.1f} s: {paths['book']}")  # fmt: skip
    return 1 if len(res.failures) else 0
