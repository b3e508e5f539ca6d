"""``cscbook validate`` through the real command line: clear messages, exit codes, no tracebacks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from conftest import EPISODE_HEADERS, list_rows, run_cli, valid_workbook, write_csv, write_xlsx


def _user_error(*args: str) -> str:
    proc = run_cli("validate", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return " ".join(proc.stderr.split())  # unwrap the 100-column wrapping


def _bad_file(tmp_path: Path, case: str) -> tuple[Path, list[str]]:
    """A malformed input and the fragments its message must contain."""
    if case == "truncated":
        good = valid_workbook(tmp_path / "full.xlsx")
        data = good.read_bytes()
        path = tmp_path / "truncated.xlsx"
        path.write_bytes(data[: len(data) // 2])
        return path, ["truncated.xlsx", "truncated", "save it again"]
    if case == "corrupt":
        path = tmp_path / "corrupt.xlsx"
        path.write_bytes(b"this is not a zip file at all" * 10)
        return path, ["corrupt.xlsx", "could not be opened"]
    if case == "docx":
        path = tmp_path / "report.docx"
        path.write_bytes(b"PK\x03\x04 pretend word document")
        return path, ["report.docx", "not an Annex A extract", ".docx"]
    if case == "pdf":
        path = tmp_path / "report.pdf"
        path.write_bytes(b"%PDF-1.4 pretend")
        return path, ["report.pdf", "not an Annex A extract"]
    if case == "missing_file":
        return tmp_path / "nowhere.xlsx", ["nowhere.xlsx", "does not exist"]
    if case == "missing_column":
        h, rows = list_rows(3, 2)
        h = ["Referral Dat" if x == "Date of Referral" else x for x in h]
        return write_xlsx(tmp_path / "a.xlsx", {"List 3": (h, rows)}), [
            "sheet 'List 3'",
            "no column 'Date of Referral'",
            "closest header found is 'Referral Dat'",
        ]
    if case == "duplicated_headers":
        h, rows = list_rows(1, 2)
        h = [*h, "Gender"]
        rows = [[*r, "M"] for r in rows]
        return write_xlsx(tmp_path / "a.xlsx", {"List 1": (h, rows)}), [
            "sheet 'List 1'",
            "duplicated headers",
            "'Gender'",
        ]
    if case == "text_dates":
        h, rows = list_rows(4, 3)
        for r in rows:
            r[h.index("Continuous Assessment Start Date")] = "see notes"
        return write_xlsx(tmp_path / "a.xlsx", {"List 4": (h, rows)}), [
            "sheet 'List 4'",
            "'Continuous Assessment Start Date'",
            "row 2",
            "see notes",
        ]
    if case == "no_list_sheets":
        return write_xlsx(tmp_path / "a.xlsx", {"Sheet1": (["a"], [[1]])}), [
            "no Annex A list sheets",
            "Sheet1",
        ]
    if case == "empty_csv":
        path = tmp_path / "List 1.csv"
        path.write_bytes(b"")
        return path, ["List 1.csv", "is empty"]
    if case == "ragged_csv":
        path = tmp_path / "List 1.csv"
        h, _ = list_rows(1, 0)
        path.write_text(",".join(h) + "\nA1,M\nA2,F,WBRI,01/01/2015,5,01/01/2024,6,,x,y,z,w\n")
        return path, ["List 1.csv", "could not be read as a CSV file"]
    raise AssertionError(case)


CASES = ["truncated", "corrupt", "docx", "pdf", "missing_file", "missing_column", "duplicated_headers",
         "text_dates", "no_list_sheets", "empty_csv", "ragged_csv"]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_unusable_input_gives_one_clear_message(tmp_path, case):
    path, fragments = _bad_file(tmp_path, case)
    message = _user_error(str(path))
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_messy_but_valid_extract_gives_summary(tmp_path):
    folder = tmp_path / "extract"
    folder.mkdir()
    h1, r1 = list_rows(1, 4)
    r1[0][h1.index("Gender")] = "Martian"  # unmapped code: warning, kept
    r1[1][h1.index("Child Unique ID")] = ""  # no child id: error, excluded
    r1[2][h1.index("Date of Contact")] = 45296  # Excel serial for 5 Jan 2024
    write_csv(folder / "List 1 - contacts.csv", h1, r1, sep=";")
    h3, r3 = list_rows(3, 2)
    r3[0][h3.index("Allocated Team")] = "\u00a3 \u2018East\u2019"
    write_csv(folder / "list_3_referrals.csv", h3, r3, encoding="cp1252")
    h2, _ = list_rows(2, 0)
    write_xlsx(folder / "early help.xlsx", {"List 2": (h2, [])})  # an empty list
    log = tmp_path / "log.csv"
    proc = run_cli("validate", str(folder), "--log", str(log))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "List 1 contacts: 4 rows read, 3 kept, 1 excluded (1 missing required value)" in out
    assert "unmapped code in 'Gender' (warning)" in out  # the template header, as the analyst knows it
    assert "List 3 referrals: 2 rows read, 2 kept, 0 excluded" in out
    assert "List 2 early_help: 0 rows read" in out
    assert "semicolon" in out and "cp1252" in out
    assert "Not found:" in out and "List 4 (assessments)" in out
    assert "The data are usable." in out
    logged = pd.read_csv(log, dtype=str)
    assert sorted(logged["reason"]) == ["missing required value", "unmapped code"]
    assert set(logged["row"]) == {"2", "3"}


def test_annex_a_and_ssda903_together(tmp_path):
    wb = valid_workbook(tmp_path / "annex.xlsx", lists=[1, 3])
    ssda = tmp_path / "ssda903" / "2024-25"
    ssda.mkdir(parents=True)
    write_csv(ssda / "episodes.csv", EPISODE_HEADERS,
              [["A", "01/05/2024", "S", "C2", "N1", "U4", "PR1", "", "", "", "", "", ""]])  # fmt: skip
    write_csv(ssda / "header.csv", ["CHILD", "SEX", "DOB", "ETHNIC"], [["A", "2", "01/01/2010", "WBRI"]])
    proc = run_cli("validate", str(wb), str(tmp_path / "ssda903"))
    assert proc.returncode == 0, proc.stderr
    assert "SSDA903 episodes: 1 rows read, 1 kept" in proc.stdout
    assert "List 3 referrals: 3 rows read, 3 kept" in proc.stdout


def test_every_row_excluded_is_unusable(tmp_path):
    h, rows = list_rows(3, 2)
    for r in rows:
        r[h.index("Child Unique ID")] = None
        r[h.index("Date of Birth")] = dt.datetime(2015, 1, 1)
    message = _user_error(str(write_xlsx(tmp_path / "a.xlsx", {"List 3": (h, rows)})))
    assert "Every row of List 3 referrals was excluded" in message and "child_id" in message
