"""Any subset of the inputs builds a complete book (DESIGN.md): Annex A alone, SSDA903 alone, a few
lists, a tiny authority, an extract covering less than a year. Each runs the real ``cscbook run``
with Sphinx warnings as errors and checks every page for tracebacks, raw reprs and missing glue."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cscbook.book.pipeline import toc_files

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
SYNTH = ROOT / "data" / "synthetic"
PERIOD_END = "2024-12-31"


def write_params(proj: Path, annex_a: list[Path], ssda903: list[Path], population: int = 53_000) -> Path:
    (proj / "params").mkdir(parents=True, exist_ok=True)
    params = {
        "authority": "Subset test authority",
        "synthetic": True,
        "period_end": PERIOD_END,
        "population_0_17": population,
        "targets": {"rereferral_12m": 0.22, "assessment_45wd": 0.85},
    }
    if annex_a:
        params["annex_a"] = [str(p) for p in annex_a]
    if ssda903:
        params["ssda903"] = [str(p) for p in ssda903]
    path = proj / "params" / "q.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def lists(proj: Path, numbers: list[int], keep=None) -> Path:
    """A folder with some of the example's Annex A lists (rows filtered by ``keep`` when given)."""
    out = proj / "annex_a"
    out.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        src = SYNTH / "annex_a" / f"List {n}.csv"
        if keep is None:
            shutil.copy(src, out / src.name)
        else:
            df = pd.read_csv(src, dtype=str, keep_default_na=False)
            keep(df).to_csv(out / src.name, index=False)
    return out


def recent_only(df: pd.DataFrame) -> pd.DataFrame:
    """Rows whose first date column falls in the 8 months to the period end (an extract < 1 year)."""
    dates = [c for c in df.columns if "date" in c.lower() and "birth" not in c.lower()]
    if not dates:
        return df
    d = pd.to_datetime(df[dates[0]], dayfirst=True, errors="coerce")
    return df[d.isna() | (d >= pd.Timestamp("2024-05-01"))]


def tiny(proj: Path) -> tuple[list[Path], list[Path], int]:
    out = proj / "tiny"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "cscbook.cli",
            "synth",
            "--out",
            str(out),
            "--seed",
            "11",
            "--scale",
            "0.02",
            "--as-at",
            "2025-03-31",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return [out / "annex_a"], [out / "ssda903"], 1_060


def build(proj: Path, params: Path) -> Path:
    env = {**os.environ, "CSCBOOK_STRICT": "1", "CSCBOOK_HISTORY": "none"}
    res = subprocess.run(
        [sys.executable, "-m", "cscbook.cli", "run", "--quiet", str(params)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "Traceback" not in res.stderr
    return proj / "reports" / "2024-25-Q3" / "_build" / "html"


def check_pages(html: Path) -> dict[str, str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = {}
    for f in toc_files(toc):
        if not ((ROOT / f"{f}.ipynb").is_file() or (ROOT / f"{f}.md").is_file()):
            continue
        path = html / f"{f}.html"
        assert path.is_file(), f"{f} was not built"
        text = path.read_text(encoding="utf-8")
        for bad in ("Traceback", "IPython.core.display", "object at 0x", "KeyError", "IndexError"):
            assert bad not in text, f"{f}: {bad!r} in the page"
        pages[f] = text
    return pages


CASES = {
    "annex_a_only": lambda proj: ([lists(proj, list(range(1, 10)))], [], 53_000),
    "ssda903_only": lambda proj: ([], [SYNTH / "ssda903"], 53_000),
    "some_lists": lambda proj: ([lists(proj, [1, 3])], [], 53_000),
    "less_than_a_year": lambda proj: ([lists(proj, list(range(1, 10)), keep=recent_only)], [], 53_000),
    "tiny_authority": tiny,
}


@pytest.mark.parametrize("case", list(CASES))
def test_any_subset_builds_a_complete_book(tmp_path: Path, case: str) -> None:
    annex_a, ssda903, population = CASES[case](tmp_path)
    html = build(tmp_path, write_params(tmp_path, annex_a, ssda903, population))
    pages = check_pages(html)
    if case == "ssda903_only":
        assert "not available in this extract" in pages["notebooks/01_front_door"]
        assert "List 1" in pages["notebooks/01_front_door"] or "List 3" in pages["notebooks/01_front_door"]
    if case in ("annex_a_only", "some_lists"):
        assert "Summary" in pages["notebooks/00_summary"] or "summary" in pages["notebooks/00_summary"]
