"""Provenance: which code, parameters, input files and packages produced this book.

The volatile parts (build time, git commit, Python patch version) are written in fixed
phrases that ``tests/nbval_sanitize.cfg`` replaces, so the committed reference notebook stays
comparable: ``Built at YYYY-MM-DD HH:MM:SS``, ``git commit <40 hex>`` with an optional
`` (with uncommitted changes)``, ``Python X.Y.Z``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata as md
import platform
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

from cscbook.report.chapter import Chapter

PACKAGES = (
    "cscbook",
    "pandas",
    "numpy",
    "statsmodels",
    "scipy",
    "matplotlib",
    "seaborn",
    "pandera",
    "holidays",
    "papermill",
    "jupyter-book",
    "myst-nb",
    "nbval",
    "openpyxl",
    "pyarrow",
)


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def input_files(paths: tuple[Path, ...] | list[Path], root: Path) -> pd.DataFrame:
    """Every input file (folders expanded, sorted), its path relative to ``root``, size and SHA-256."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")))
        elif p.is_file():
            files.append(p)

    def rel(f: Path) -> str:
        try:
            return f.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            return f.name

    return pd.DataFrame(
        {
            "file": [rel(f) for f in files],
            "bytes": [f.stat().st_size for f in files],
            "sha256": [sha256(f) for f in files],
        },
        columns=["file", "bytes", "sha256"],
    )


def git_commit(root: Path) -> str:
    """'git commit <hash>' (plus ' (with uncommitted changes)'), or 'code outside a git checkout'."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "code outside a git checkout"
    return f"git commit {head}" + (" (with uncommitted changes)" if dirty else "")


def package_versions(packages: tuple[str, ...] = PACKAGES) -> pd.DataFrame:
    """Installed version of each package (importlib.metadata), 'not installed' when absent."""
    versions = []
    for name in packages:
        try:
            versions.append(md.version(name))
        except md.PackageNotFoundError:
            versions.append("not installed")
    return pd.DataFrame({"package": list(packages), "version": versions})


def parameters_table(params: Any) -> pd.DataFrame:
    """The quarter's parameters as a two-column table; paths relative to the project root."""
    root = Path(params.project_root)

    def rel(p: Path) -> str:
        try:
            return Path(p).relative_to(root).as_posix()
        except ValueError:
            return Path(p).name

    rows = [
        ("parameter file", rel(params.source_file)),
        ("authority", params.authority),
        ("synthetic data", "yes" if params.synthetic else "no"),
        ("period end", f"{params.period_end:%Y-%m-%d}"),
        ("quarter", params.quarter),
        ("Annex A extracts", ", ".join(rel(p) for p in params.annex_a) or "none"),
        ("SSDA903 extracts", ", ".join(rel(p) for p in params.ssda903) or "none"),
        ("population aged 0-17", f"{params.population_0_17:,}"),
        ("disclosure: smallest count shown", str(params.min_cell)),
    ]
    rows += [(f"target: {k}", f"{v:g}") for k, v in sorted(params.targets.items())]
    rows += [(f"intervention: {i.name}", f"{i.date:%Y-%m-%d}") for i in params.interventions]
    return pd.DataFrame(rows, columns=["parameter", "value"])


def environment_line(root: Path, now: dt.datetime | None = None) -> str:
    """One line with the volatile facts: build time, code version and Python version."""
    now = now or dt.datetime.now()
    return (
        f"Built at {now:%Y-%m-%d %H:%M:%S} from {git_commit(root)} with Python {platform.python_version()}."
    )


def build(ctx: Any, results: Any = None) -> Chapter:
    """The provenance appendix: code version and run time, parameters, input files, software."""
    params = ctx.params
    shown = {"pv_parameters": parameters_table(params),
             "pv_files": input_files(list(params.annex_a) + list(params.ssda903), params.project_root),
             "pv_packages": package_versions()}  # fmt: skip
    for key, caption in (("pv_parameters", "Parameters of this run"), ("pv_files", "Input files and their fingerprints"),
                         ("pv_packages", "Software versions")):  # fmt: skip
        shown[key].attrs["caption"] = caption
    return Chapter(markdown={"pv_environment": environment_line(params.project_root)}, shown=shown)
