"""Shared helpers that write small, real Annex A and SSDA903 files for the tests."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from cscbook.data import annexa_spec

ROOT = Path(__file__).resolve().parents[1]

_LATE_WORDS = (
    "end",
    "closure",
    "authorised",
    "completion",
    "icpc_date",
    "ceased",
    "last_seen",
    "visit",
    "review",
)


def list_rows(number: int, n: int = 3, *, first_day: int = 0) -> tuple[list[str], list[list[object]]]:
    """Template headers and ``n`` valid rows of Annex A list ``number`` (template code spellings).

    Dates: birth 1 March 2015; start-type dates 2 January 2024 + i days; end-type dates
    1 March 2024 + i days; so every row has a possible chronology.
    """
    lst = annexa_spec.LISTS[number]
    headers = [c.header for c in lst.columns]
    rows = []
    for i in range(first_day, first_day + n):
        row: list[object] = []
        for c in lst.columns:
            if c.kind == "id":
                row.append(f"C{i:04d}")
            elif c.kind == "date":
                if c.name == "date_of_birth":
                    row.append(dt.datetime(2015, 3, 1))
                elif any(w in c.name for w in _LATE_WORDS):
                    row.append(dt.datetime(2024, 3, 1) + dt.timedelta(days=i))
                else:
                    row.append(dt.datetime(2024, 1, 2) + dt.timedelta(days=i))
            elif c.kind == "code":
                codes = c.codelist.codes
                row.append(c.codelist.template[codes[i % len(codes)]])
            elif c.kind == "int":
                row.append(i % 3)
            else:
                row.append("Team A")
        rows.append(row)
    return headers, rows


def write_xlsx(path: Path, sheets: dict[str, tuple[list[str], list[list[object]]]]) -> Path:
    """A real xlsx workbook with one sheet per entry (header row then data rows)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (headers, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(headers)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def _csv_value(v: object) -> object:
    if isinstance(v, dt.datetime):
        return v.strftime("%d/%m/%Y")
    return v


def write_csv(
    path: Path, headers: list[str], rows: list[list[object]], *, sep: str = ",", encoding: str = "utf-8"
) -> Path:
    """A real CSV file; datetimes written dd/mm/yyyy."""
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerow(headers)
        for r in rows:
            w.writerow([_csv_value(v) for v in r])
    return path


def valid_workbook(path: Path, lists=range(1, 10), n: int = 3) -> Path:
    return write_xlsx(path, {f"List {k}": list_rows(k, n) for k in lists})


EPISODE_HEADERS = [
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
]  # fmt: skip
HEADER_HEADERS = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]


def episode(
    child: str, decom: str, dec: str = "", rec: str = "", rne: str = "S", place: str = "U4"
) -> list[str]:
    return [child, decom, rne, "C2", "N1", place, "PR1", dec, rec, "", "AB1 2CD", "AB1 3CD", "SC123456"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run the real ``cscbook`` command line (as ``python -m cscbook.cli``)."""
    return subprocess.run(
        [sys.executable, "-m", "cscbook.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A clean, valid Annex A workbook with three rows in each of lists 1-9."""
    return valid_workbook(tmp_path / "annex_a.xlsx")


def make_params(period_end: str | dt.date = "2024-12-31", **overrides: object):
    """A real ``Params`` for tests that do not need a parameter file (no files are read)."""
    import pandas as pd

    from cscbook.config.params import Params

    base: dict[str, object] = dict(
        authority="Test authority",
        period_end=pd.Timestamp(period_end),
        annex_a=(),
        ssda903=(),
        population_0_17=10_000,
        project_root=Path("/nonexistent-project"),
        source_file=Path("/nonexistent/p.yaml"),
    )
    base.update(overrides)
    return Params(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> dict:
    """The example book built once per session with the real command line (strict Sphinx) into a
    temporary project; shared by the end-to-end, PDF and accessibility tests."""
    import os
    import shutil

    synth = ROOT / "data" / "synthetic"
    assert (synth / "annex_a").is_dir(), (
        "the synthetic example extract (data/synthetic) is missing: run make synth"
    )
    proj = tmp_path_factory.mktemp("project")
    (proj / "params").mkdir()
    text = (ROOT / "params" / "example.yaml").read_text(encoding="utf-8")
    (proj / "params" / "example.yaml").write_text(
        text.replace("data/synthetic/", f"{synth}/"), encoding="utf-8"
    )
    if (ROOT / "params" / "commentary").is_dir():
        shutil.copytree(ROOT / "params" / "commentary", proj / "params" / "commentary")
    # last quarter's book first, on its own extract taken at its period end (as `make synth-quarters`
    # makes it), so its measures go into the project's history; then the example quarter
    previous = proj / "synthetic" / "2024-12-31"
    made = subprocess.run([sys.executable, "-m", "cscbook.cli", "synth", "--out", str(previous), "--seed", "20250331",
                           "--as-at", "2024-12-31"], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    q3 = (ROOT / "params" / "2024-25-Q3.yaml").read_text(encoding="utf-8")
    q3 = q3.replace("data/local/synthetic/2024-12-31/", f"{previous}/").replace(
        "data/synthetic/", f"{synth}/"
    )
    (proj / "params" / "2024-25-Q3.yaml").write_text(q3, encoding="utf-8")
    env = {**os.environ, "CSCBOOK_STRICT": "1"}
    env.pop("CSCBOOK_HISTORY", None)
    for name, quiet in (("2024-25-Q3.yaml", ["--quiet"]), ("example.yaml", [])):
        res = subprocess.run(
            [sys.executable, "-m", "cscbook.cli", "run", *quiet, str(proj / "params" / name)], capture_output=True,
            text=True, cwd=ROOT, timeout=900, env=env,
        )  # fmt: skip
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    reports = proj / "reports" / "2024-25-Q4"
    return {"proj": proj, "reports": reports, "html": reports / "_build" / "html", "result": res}
