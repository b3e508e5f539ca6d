"""``cscbook run params/<quarter>.yaml``: check, execute the chapters, build the book.

Stages (each timed; the times are printed and saved to ``reports/<quarter>/timings.json``):

1. validate the parameters (``cscbook.config.params.load_params``);
2. read and check the extracts once, save the canonical tables (``cscbook.data.context``);
3. execute each notebook that exists with papermill (the chapters first, then the executive
   summary and the appendices) into a working folder that becomes ``reports/<quarter>/notebooks/``
   (and ``kernels.log``) only when the whole run succeeds (``run_folder``);
4. build the Jupyter Book in a temporary folder, finish its pages for every reader
   (``cscbook.book.html``: accessible tables, buttons, landmarks, alt text) and swap it into
   ``reports/<quarter>/_build/html``;
5. collect the quarter's table CSVs into ``reports/<quarter>/tables.xlsx`` (``cscbook.book.workbook``);
6. typeset the committee paper and the whole book as A4 PDFs (``cscbook.book.pdf``) and copy them
   and the workbook into the book's ``downloads/``.

A failed run leaves the whole last good quarter folder as it was (``last_good_outputs``): book,
tables, figures, workbook, PDFs, notebooks and kernel log; the failed run's notebooks and log
are kept in ``reports/<quarter>/failed-run/``, named in the error message.

The last line printed is the path of the built ``index.html``.

Hidden settings for tests and CI (environment variables): ``CSCBOOK_STRICT=1`` turns Sphinx
warnings into errors (``--warningiserror``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import yaml

from cscbook.book.html import finish_book
from cscbook.book.workbook import tables_workbook
from cscbook.config.errors import UserError
from cscbook.config.params import Params, load_params

REPO_ROOT = Path(__file__).resolve().parents[3]
INJECTED_TAG = "injected-parameters"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PROBLEM = re.compile(r"WARNING|ERROR|SphinxWarning|treated as error")


class NotebookFailed(UserError):
    """A notebook raised an error or timed out; the message names the notebook and the cell."""


# --------------------------------------------------------------------------- helpers


def source_root(params: Params) -> Path:
    """Where the book's sources (_config.yml, _toc.yml, pages, notebooks/) live.

    The parameters' project root when it holds a book, else the cscbook repository itself
    (so a parameter file kept elsewhere, e.g. in a test's temporary folder, still works).
    """
    root = Path(params.project_root)
    if (root / "_toc.yml").is_file() and (root / "notebooks").is_dir():
        return root
    return REPO_ROOT


def toc_files(toc: dict) -> list[str]:
    """Every ``file`` entry of a Jupyter Book ``_toc.yml`` (root first), in reading order."""
    out = [toc["root"]] if toc.get("root") else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                out.append(str(node["file"]))
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk({k: v for k, v in toc.items() if k != "root"})
    return out


def filter_toc(toc: dict, exists: Callable[[str], bool]) -> dict:
    """A copy of the table of contents without entries whose file does not exist.

    Parts and entries left with no chapters lose their list; a part with none is dropped.
    """

    def keep(entries: list) -> list:
        kept = []
        for entry in entries or []:
            if "file" in entry and not exists(str(entry["file"])):
                continue
            entry = dict(entry)
            for key in ("chapters", "sections"):
                if key in entry:
                    sub = keep(entry[key])
                    if sub:
                        entry[key] = sub
                    else:
                        del entry[key]
            if "file" in entry or entry.get("chapters") or entry.get("sections"):
                kept.append(entry)
        return kept

    out = dict(toc)
    for key in ("parts", "chapters"):
        if key in out:
            out[key] = keep(out[key])
            if not out[key]:
                del out[key]
    return out


def notebook_order(names: list[str]) -> list[str]:
    """Chapters (01-89) first, then the summary (00), then the appendices (90+), each sorted."""

    def key(name: str) -> tuple[int, str]:
        m = re.match(r"(\d+)", Path(name).name)
        n = int(m.group(1)) if m else 50
        return (1 if n == 0 else 2 if n >= 90 else 0, Path(name).name)

    return sorted(names, key=key)


def hide_injected_parameters(path: Path) -> None:
    """Tag papermill's injected-parameters cell (absolute paths) ``remove-cell`` so readers never see it."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if (INJECTED_TAG in tags or "parameters" in tags) and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
            changed = True
    if changed:
        nbformat.write(nb, path)


def top_findings(tables_dir: Path, n: int = 3) -> list[str]:
    """The first ``n`` key messages of the executive summary (``summary_key_messages.csv``, most
    important first), or none when the summary did not write them."""
    path = Path(tables_dir) / "summary_key_messages.csv"
    if not path.is_file():
        return []
    messages = pd.read_csv(path, keep_default_na=False)["message"].astype(str).str.strip()
    return [m for m in messages if m][:n]


def render_index(template: str, params: Params, built: dt.datetime, findings: list[str] | None = None) -> str:
    """The landing page for a quarter from the ``index.md`` template.

    ``$authority``, ``$quarter_title``, ``$quarter``, ``$period_end``, ``$built`` and
    ``$findings`` (a numbered list of ``findings``, or a pointer to the executive summary when
    there are none) are filled in; lines between ``<!-- if synthetic -->`` and
    ``<!-- endif -->`` are kept only for synthetic data (and the marker lines always removed).
    """
    block = re.compile(r"<!-- if synthetic -->\n(.*?)<!-- endif -->\n?", re.S)
    text = block.sub(lambda m: m.group(1) if params.synthetic else "", template)
    return string.Template(text).safe_substitute(
        authority=params.authority,
        quarter_title=params.quarter_title,
        quarter=params.quarter,
        period_end=f"{params.period_end:%-d %B %Y}",
        built=f"{built:%-d %B %Y at %H:%M}",
        findings="\n".join(f"{i}. {f}" for i, f in enumerate(findings or [], start=1))
        or "The key findings of this quarter are in the executive summary.",
    )


def book_config(base: dict, params: Params) -> dict:
    """The quarter's ``_config.yml``: the shared one with the authority and quarter in the title."""
    cfg = dict(base)
    cfg["title"] = f"{params.authority}: {params.quarter_title}"
    cfg["author"] = f"{params.authority} performance and intelligence"
    return cfg


@contextmanager
def kernel_stderr_to(path: Path) -> Iterator[None]:
    """Send what kernels write to the process's stderr (file descriptor 2) to ``path``.

    Kernels inherit descriptor 2 and print start-up notices there; Python's own ``sys.stderr``
    (papermill's progress bar, our messages) keeps going to the terminal.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as fh:
        os.dup2(fh.fileno(), 2)
    original = sys.stderr
    sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1)
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = original
        os.dup2(saved, 2)
        os.close(saved)


# --------------------------------------------------------------------------- stages


class Timer:
    """Wall time of each stage (seconds), printed unless quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.stages: dict[str, float] = {}
        self.notebooks: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if not self.quiet:
            print(f"{name} ...", flush=True)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = round(time.perf_counter() - t0, 2)
        if not self.quiet:
            print(f"  {name}: {self.stages[name]:.1f} s", flush=True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stages": self.stages,
            "notebooks": self.notebooks,
            "total": round(sum(self.stages.values()), 2),
        }


def notebook_phases(names: list[str]) -> list[list[str]]:
    """Execution phases: the chapters, then the summary and appendices (each phase may run in parallel)."""
    ordered = notebook_order(names)
    chapters = [n for n in ordered if not _is_back(n)]
    rest = [n for n in ordered if n not in chapters]
    return [p for p in (chapters, rest) if p]


def _is_back(name: str) -> bool:
    m = re.match(r"(\d+)", Path(name).name)
    return bool(m) and (int(m.group(1)) == 0 or int(m.group(1)) >= 90)


def execute_one(params: Params, src: Path, dst: Path, progress_bar: bool) -> float:
    """Execute one notebook with papermill (cwd its folder); return seconds; NotebookFailed on error."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            str(src),
            str(dst),
            parameters={"params_file": str(params.source_file)},
            cwd=str(src.parent),
            progress_bar=progress_bar,
            execution_timeout=params.notebook_timeout,
            log_output=False,
            report_mode=False,
        )
    except PapermillExecutionError as exc:
        first = (exc.source or "").strip().splitlines()
        where = f" (`{first[0][:80]}`)" if first else ""
        raise NotebookFailed(
            f"notebook {src.name} failed in cell {exc.cell_index}{where} with {exc.ename}: {exc.evalue}. "
            f"The executed notebook, with the error shown under that cell, is saved at {dst}. "
            f"The last good book (if any) is unchanged in {params.reports_dir / '_build' / 'html'}."
        ) from None
    except Exception as exc:  # timeouts and kernel deaths
        timeout = "Timeout" in type(exc).__name__ or "timed out" in str(exc).lower()
        what = (
            f"took longer than notebook_timeout ({params.notebook_timeout} s)"
            if timeout
            else f"could not be executed ({type(exc).__name__}: {str(exc)[:300]})"
        )
        raise NotebookFailed(
            f"notebook {src.name} {what}. The partly executed notebook is saved at {dst}. "
            f"The last good book (if any) is unchanged in {params.reports_dir / '_build' / 'html'}."
        ) from None
    hide_injected_parameters(dst)
    return round(time.perf_counter() - t0, 2)


def execute_notebooks(
    params: Params, root: Path, out_dir: Path, timer: Timer, quiet: bool, jobs: int | None = None
) -> list[Path]:
    """Execute every notebook of the table of contents that exists; return the executed paths.

    Chapters first, then the summary and appendices; within each phase up to ``jobs``
    notebooks run at once (default: ``CSCBOOK_JOBS`` or 2). With one job the papermill
    progress bar is shown (unless quiet); otherwise one line per notebook as it finishes.
    """
    from concurrent.futures import ThreadPoolExecutor

    if jobs is None:
        jobs = int(os.environ.get("CSCBOOK_JOBS", "0") or 0) or min(2, os.cpu_count() or 1)
    # Kernels running side by side share the cores: one numerical-library thread per core each, so
    # that they do not oversubscribe the machine (a forecast took 50 s instead of 10 s otherwise).
    threads = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    names = [f for f in toc_files(toc) if f.startswith("notebooks/") and (root / f"{f}.ipynb").is_file()]
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.ipynb"):
        old.unlink()
    done: list[Path] = []
    for phase in notebook_phases(names):
        srcs = [root / f"{n}.ipynb" for n in phase]

        def one(src: Path) -> tuple[Path, float | NotebookFailed]:
            dst = out_dir / src.name
            try:
                secs = execute_one(params, src, dst, progress_bar=(jobs == 1 and not quiet))
            except NotebookFailed as exc:
                return dst, exc
            if not quiet:
                print(f"  {src.name:<28} {secs:6.1f} s", flush=True)
            return dst, secs

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = list(pool.map(one, srcs))
        for dst, outcome in results:
            if isinstance(outcome, NotebookFailed):
                raise outcome
            timer.notebooks[dst.name] = outcome
            done.append(dst)
    return done


def jupyter_book_build(
    work: Path, log_file: Path, strict: bool, what: str, last_good: Path
) -> tuple[Path, str, float]:
    """``jupyter-book build`` of the book sources in ``work`` (warnings are errors when ``strict``);
    the log (colour codes removed) is written to ``log_file``. Returns the HTML folder, the log and
    the build's seconds; a UserError quoting the first problems when the build fails (``what`` names
    the book, ``last_good`` where the last good one still is)."""
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(work), "--path-output", str(work)]
    if strict:
        cmd.append("--warningiserror")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
    seconds = time.perf_counter() - t0
    log = _ANSI.sub("", proc.stdout + proc.stderr)
    log_file.write_text(log, encoding="utf-8")
    html = work / "_build" / "html"
    if proc.returncode != 0 or not (html / "index.html").is_file():
        problems = [ln.strip() for ln in log.splitlines() if _PROBLEM.search(ln)][:5]
        detail = " | ".join(problems) or " ".join(log.strip().splitlines()[-5:])
        raise UserError(
            f"{what} could not be built (jupyter-book exited with {proc.returncode}): {detail}. "
            f"The full log is in {log_file}. The last good book (if any) is unchanged in {last_good}."
        )
    return html, log, seconds


def build_book(params: Params, root: Path, executed: list[Path], strict: bool, quiet: bool) -> Path:
    """Build the HTML book in a temporary folder, then swap it into reports/<quarter>/_build/html."""
    reports = params.reports_dir
    reports.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".book-", dir=reports))
    try:
        (work / "notebooks").mkdir()
        for nb in executed:
            shutil.copy2(nb, work / "notebooks" / nb.name)
        figures = params.figures_dir
        if figures.is_dir():
            shutil.copytree(figures, work / "figures" / params.quarter)
        if (root / "_static").is_dir():  # the book's stylesheet (Jupyter Book picks up _static/*.css)
            shutil.copytree(root / "_static", work / "_static")
        toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
        built = dt.datetime.now()
        for page in toc_files(toc):
            src = root / f"{page}.md"
            if src.is_file() and not page.startswith("notebooks/"):
                text = src.read_text(encoding="utf-8")
                if page == toc.get("root"):
                    text = render_index(text, params, built, top_findings(params.tables_dir))
                (work / f"{page}.md").parent.mkdir(parents=True, exist_ok=True)
                (work / f"{page}.md").write_text(text, encoding="utf-8")

        def exists(page: str) -> bool:
            return (work / f"{page}.md").is_file() or (work / f"{page}.ipynb").is_file()

        (work / "_toc.yml").write_text(
            yaml.safe_dump(filter_toc(toc, exists), sort_keys=False), encoding="utf-8"
        )
        base = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
        (work / "_config.yml").write_text(
            yaml.safe_dump(book_config(base, params), sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        html, log, _ = jupyter_book_build(work, reports / "book_build.log", strict, "the book",
                                          reports / "_build" / "html")  # fmt: skip
        finish_book(html, params.figures_dir)  # accessible tables, buttons, landmarks, alt text
        warnings = [ln for ln in log.splitlines() if "WARNING" in ln]
        if warnings and not quiet:
            print(f"  {len(warnings)} Sphinx warning(s); see {reports / 'book_build.log'}", flush=True)
        final = reports / "_build" / "html"
        final.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if final.exists():
            old = final.with_name(f".html-old-{os.getpid()}")
            os.replace(final, old)
        os.replace(html, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return final / "index.html"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compute_measures(ctx: Any) -> Any:
    """Compute every registered measure once for the run; save ``tables/measures.csv`` for readers and
    the results for the notebooks (``cscbook.measures.store``)."""
    from cscbook.measures.compute import compute_all
    from cscbook.measures.store import save_results
    from cscbook.report.outputs import save_table

    results = compute_all(ctx.tables, ctx.params)
    save_results(results, ctx)
    save_table(results.table, ctx.params, "measures")
    return results


def record_history(params: Params, results: Any) -> None:
    """After a successful run, add the quarter's published measures (aggregates only) to the history."""
    from cscbook.data.history import record_quarter

    if params.history_file is None:
        return
    t = results.table
    rows = t[(t["period_type"] == "quarter") & (t["period_end"] == t["period_end"].max()) & t["available"]]
    record_quarter(params.history_file, params.authority, params.quarter,
                   rows[["period_end", "key", "label", "kind", "value", "numerator", "denominator"]])  # fmt: skip


@contextmanager
def last_good_outputs(*paths: Path) -> Iterator[None]:
    """Set each output (folder or file) aside while a run writes a new one; if the run fails,
    put the last good one back (the partial new one is discarded), so the book, tables,
    figures, workbook and PDFs always match each other. On success the old copies are removed."""
    saved: list[tuple[Path, Path | None]] = []
    for path in paths:
        backup = path.with_name(f".{path.name}-previous")
        _remove(backup)
        if path.exists():
            os.replace(path, backup)
            saved.append((path, backup))
        else:
            saved.append((path, None))
    try:
        yield
    except BaseException:
        for path, backup in saved:
            _remove(path)
            if backup is not None:
                os.replace(backup, path)
        raise
    for _, backup in saved:
        if backup is not None:
            _remove(backup)


def _remove(path: Path) -> None:
    """Delete a file or a folder if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


FAILED_RUN = "failed-run"


@contextmanager
def run_folder(reports: Path) -> Iterator[Path]:
    """A folder for this run's executed notebooks (``notebooks/``) and ``kernels.log``.

    The run writes into ``reports/.run-<pid>/``. On success its notebooks and log replace
    ``reports/notebooks`` and ``reports/kernels.log``. On failure the last good ones are left
    as they were: the folder becomes ``reports/failed-run/`` (replacing an older failed run)
    and the error message names it instead of the temporary folder.
    """
    reports.mkdir(parents=True, exist_ok=True)
    work = reports / f".run-{os.getpid()}"
    _remove(work)
    (work / "notebooks").mkdir(parents=True)
    try:
        yield work
    except BaseException as exc:
        failed = reports / FAILED_RUN
        _remove(failed)
        os.replace(work, failed)
        if isinstance(exc, UserError):
            text = str(exc).replace(str(work), str(failed))
            text += (
                f" This failed run's notebooks and kernel log are in {failed}; the last good run's "
                f"are unchanged in {reports / 'notebooks'} and {reports / 'kernels.log'}."
            )
            raise type(exc)(text) from None
        raise
    for name in ("notebooks", "kernels.log"):
        _remove(reports / name)
        if (work / name).exists():
            os.replace(work / name, reports / name)
    _remove(work)
    _remove(reports / FAILED_RUN)


def guarded_outputs(params: Params) -> list[Path]:
    """What a failed run must leave as it was: tables, figures, the HTML book, the workbook, the PDFs."""
    from cscbook.book.pdf import pdf_paths

    reports = params.reports_dir
    return [params.tables_dir, params.figures_dir, reports / "_build" / "html", reports / "tables.xlsx",
            *pdf_paths(params)]  # fmt: skip


def make_pdfs(params: Params, html: Path, quiet: bool) -> None:
    """The committee paper and the whole book as PDFs beside the book (``cscbook.book.pdf``)."""
    from cscbook.book.pdf import write_pdfs

    for path in write_pdfs(params, html):
        if not quiet:
            print(f"  {path}", flush=True)
    publish_downloads(params, html)


def publish_downloads(params: Params, html: Path) -> list[Path]:
    """Copy the workbook and the PDFs into the book's ``downloads/`` folder (the landing page links them)."""
    from cscbook.book.pdf import pdf_paths

    out = Path(html) / "downloads"
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in [params.reports_dir / "tables.xlsx", *pdf_paths(params)]:
        if path.is_file():
            shutil.copy2(path, out / path.name)
            copied.append(out / path.name)
    return copied


def run(params_file: str | Path, quiet: bool = False, strict: bool | None = None) -> Path:
    """Run one quarter end to end; return the built index.html."""
    from cscbook.data.context import read_all, save_context

    if strict is None:
        strict = os.environ.get("CSCBOOK_STRICT", "") not in ("", "0")
    timer = Timer(quiet)
    with timer.stage("validate parameters"):
        params = load_params(params_file)
        root = source_root(params)
    with timer.stage("read and check data"):
        ctx = read_all(params, side_by_side=True)
        save_context(ctx)
        params.reports_dir.mkdir(parents=True, exist_ok=True)
    with last_good_outputs(*guarded_outputs(params)), run_folder(params.reports_dir) as work:
        with timer.stage("compute measures"):
            results = compute_measures(ctx)
        with timer.stage("execute notebooks"), kernel_stderr_to(work / "kernels.log"):
            executed = execute_notebooks(params, root, work / "notebooks", timer, quiet)
        with timer.stage("build book"):
            index = build_book(params, root, executed, strict, quiet)
        with timer.stage("tables workbook"):
            tables_workbook(params.tables_dir, params.reports_dir / "tables.xlsx")
        with timer.stage("PDFs"):
            make_pdfs(params, index.parent, quiet)
    record_history(params, results)
    timings = timer.as_dict()
    (params.reports_dir / "timings.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(f"total: {timings['total']:.1f} s (timings in {params.reports_dir / 'timings.json'})")
    print(index)
    return index


def main(args: Any) -> int:
    """Entry point for ``cscbook run`` (argparse namespace with ``params`` and ``quiet``)."""
    run(args.params, quiet=bool(getattr(args, "quiet", False)))
    return 0
