"""A battery of bad and unusual inputs through the real command line (``cscbook validate`` / ``run``).

Each case builds real files in ``tmp_path`` (openpyxl workbooks, CSV bytes, YAML parameter
files), runs the command in a subprocess and checks the exit code, fragments of the message,
that there is no traceback and that every list's accounting adds up (read = kept +
excluded). The expected counts were worked out from the rows each case writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import list_rows, run_cli, valid_workbook, write_csv, write_xlsx
from openpyxl.styles import Font


@dataclass
class Case:
    args: list[str]
    code: int
    fragments: list[str]
    absent: list[str] = field(default_factory=list)
    log: list[tuple] = field(default_factory=list)  # (reason, column[, row]) entries the log must hold
    max_seconds: float | None = None


CASES: dict[str, Callable[[Path], Case]] = {}


def case(fn: Callable[[Path], Case]) -> Callable[[Path], Case]:
    CASES[fn.__name__] = fn
    return fn


# --------------------------------------------------------------------------- builders


def rows3(n: int = 3, count: int = 3) -> tuple[list[str], list[list[object]]]:
    return list_rows(n, count)


def col(headers: list[str], name: str) -> int:
    return headers.index(name)


def csv_text(headers: list[str], rows: list[list[object]], sep: str = ",", fmt: str = "%d/%m/%Y") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(headers)
    for r in rows:
        w.writerow([v.strftime(fmt) if isinstance(v, dt.datetime) else v for v in r])
    return buf.getvalue()


def folder(tmp: Path, name: str = "extract") -> Path:
    d = tmp / name
    d.mkdir(exist_ok=True)
    return d


def list3_csv(tmp: Path, data: bytes | str, name: str = "List 3.csv") -> Path:
    path = folder(tmp) / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def v(*paths: Path | str) -> list[str]:
    return ["validate", *(str(p) for p in paths)]


def ok3(table: str = "List 3 referrals", n: int = 3) -> str:
    return f"{table}: {n} rows read, {n} kept, 0 excluded"


def good_params(tmp: Path, extra: str = "", annex: str = "data/annex_a") -> str:
    return f"authority: Testshire\nperiod_end: 2024-12-31\nannex_a: [{annex}]\npopulation_0_17: 1000\n{extra}"


def project(tmp: Path, text: str | bytes) -> Path:
    (tmp / "params").mkdir(exist_ok=True)
    data = tmp / "data" / "annex_a"
    data.mkdir(parents=True, exist_ok=True)
    if not any(data.iterdir()):
        valid_workbook(data / "annex.xlsx", lists=[3])
    path = tmp / "params" / "q.yaml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def r(path: Path) -> list[str]:
    return ["run", str(path), "--quiet"]


# --------------------------------------------------------------------------- encodings and bytes


@case
def binary_named_csv(tmp):
    return Case(v(list3_csv(tmp, bytes(range(256)) * 20)), 2, ["List 3.csv", "not a text CSV file", "binary"])


@case
def binary_without_nul_bytes(tmp):
    return Case(v(list3_csv(tmp, bytes(range(1, 32)) * 200)), 2, ["not a text CSV file"])


@case
def gzip_named_csv(tmp):
    h, rows = rows3()
    return Case(v(list3_csv(tmp, gzip.compress(csv_text(h, rows).encode()))), 2, ["not a text CSV file"])


@case
def xlsx_renamed_csv(tmp):
    wb = valid_workbook(tmp / "a.xlsx", lists=[3])
    return Case(v(list3_csv(tmp, wb.read_bytes())), 2, ["looks like an Excel"])


@case
def pdf_renamed_csv(tmp):
    return Case(v(list3_csv(tmp, b"%PDF-1.4\n%binary")), 2, ["not a text CSV file"])


@case
def empty_csv(tmp):
    return Case(v(list3_csv(tmp, b"")), 2, ["List 3.csv is empty"])


@case
def whitespace_only_csv(tmp):
    return Case(v(list3_csv(tmp, b"\n \r\n\t\n")), 2, ["is empty"])


@case
def utf8_bom_only_csv(tmp):
    return Case(v(list3_csv(tmp, b"\xef\xbb\xbf")), 2, ["is empty"])


@case
def header_only_csv(tmp):
    h, _ = rows3()
    return Case(v(list3_csv(tmp, csv_text(h, []))), 0, ["List 3 referrals: 0 rows read, 0 kept, 0 excluded"])


@case
def utf8_bom_csv(tmp):
    h, rows = rows3()
    return Case(v(list3_csv(tmp, b"\xef\xbb\xbf" + csv_text(h, rows).encode())), 0, [ok3()])


@case
def utf16_bom_tab_unicode_text(tmp):
    h, rows = rows3()
    data = csv_text(h, rows, sep="\t").replace("\n", "\r\n").encode("utf-16")
    return Case(v(list3_csv(tmp, data)), 0, [ok3(), "UTF-16 with a byte-order mark", "tab-delimited"])


@case
def utf16_bom_comma(tmp):
    h, rows = rows3()
    return Case(
        v(list3_csv(tmp, csv_text(h, rows).encode("utf-16"))),
        0,
        [ok3(), "UTF-16"],
        absent=["columns not in the template"],
    )


@case
def utf16le_without_bom(tmp):
    h, rows = rows3()
    return Case(
        v(list3_csv(tmp, csv_text(h, rows, sep="\t").encode("utf-16-le"))),
        0,
        [ok3(), "UTF-16 little-endian without a byte-order mark"],
    )


@case
def utf16be_without_bom(tmp):
    h, rows = rows3()
    return Case(v(list3_csv(tmp, csv_text(h, rows).encode("utf-16-be"))), 0, [ok3(), "UTF-16 big-endian"])


@case
def utf16be_with_bom(tmp):
    h, rows = rows3()
    return Case(
        v(list3_csv(tmp, b"\xfe\xff" + csv_text(h, rows).encode("utf-16-be"))), 0, [ok3(), "UTF-16 with"]
    )


@case
def cp1252_csv(tmp):
    h, rows = rows3()
    rows[0][col(h, "Allocated Team")] = "\u00a3 \u2018East\u2019"
    return Case(v(list3_csv(tmp, csv_text(h, rows).encode("cp1252"))), 0, [ok3(), "cp1252"])


@case
def cr_only_line_endings(tmp):
    h, rows = rows3()
    return Case(v(list3_csv(tmp, csv_text(h, rows).replace("\n", "\r"))), 0, [ok3(), "CR only"])


@case
def mixed_line_endings(tmp):
    h, rows = rows3()
    lines = csv_text(h, rows).split("\n")
    text = lines[0] + "\r\n" + lines[1] + "\r" + lines[2] + "\n" + lines[3] + "\r\n"
    return Case(v(list3_csv(tmp, text)), 0, [ok3(), "line endings are mixed"])


@case
def crlf_line_endings(tmp):
    h, rows = rows3()
    return Case(
        v(list3_csv(tmp, csv_text(h, rows).replace("\n", "\r\n"))), 0, [ok3()], absent=["line endings"]
    )


@case
def semicolon_delimited(tmp):
    h, rows = rows3()
    return Case(v(list3_csv(tmp, csv_text(h, rows, sep=";"))), 0, [ok3(), "semicolon-delimited"])


@case
def tab_delimited(tmp):
    h, rows = rows3()
    return Case(v(list3_csv(tmp, csv_text(h, rows, sep="\t"))), 0, [ok3(), "tab-delimited"])


@case
def pipe_delimited(tmp):
    h, rows = rows3()
    return Case(v(list3_csv(tmp, csv_text(h, rows, sep="|"))), 0, [ok3(), "pipe-delimited"])


@case
def ragged_csv(tmp):
    h, rows = rows3()
    text = csv_text(h, rows) + ",".join(["x"] * (len(h) + 3)) + "\n"
    return Case(v(list3_csv(tmp, text)), 2, ["could not be read as a CSV file", "same number of fields"])


@case
def csv_title_row(tmp):
    h, rows = rows3()
    text = "Annex A List 3: Referrals,,\n" + csv_text(h, rows)
    return Case(v(list3_csv(tmp, text)), 0, [ok3(), "header is on line 2", "(a title) were skipped"])


@case
def csv_two_title_rows_semicolon(tmp):
    h, rows = rows3()
    text = "Westmere Council\nAnnex A extract 31/12/2024\n" + csv_text(h, rows, sep=";")
    return Case(v(list3_csv(tmp, text)), 0, [ok3(), "header is on line 3", "semicolon-delimited"])


@case
def csv_quoted_commas_and_newlines(tmp):
    h, rows = rows3()
    rows[0][col(h, "Allocated Team")] = 'Team, "North"\nand East'
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3()])


@case
def csv_trailing_blank_lines(tmp):
    h, rows = rows3()
    return Case(v(list3_csv(tmp, csv_text(h, rows) + "\n\n,,,\n\n")), 0, [ok3()])


@case
def csv_name_without_list_number(tmp):
    h, rows = rows3()
    return Case(
        v(list3_csv(tmp, csv_text(h, rows), name="referrals.csv")),
        2,
        ["neither an Annex A list", "'List 3.csv'"],
    )


@case
def csv_old_copy_in_folder(tmp):
    h, rows = rows3()
    list3_csv(tmp, csv_text(h, rows))
    h2, rows2 = list_rows(3, 5, first_day=100)
    list3_csv(tmp, csv_text(h2, rows2), name="List 3 (old).csv")
    return Case(v(folder(tmp)), 0, [ok3(), "looks like an old copy of List 3"])


# --------------------------------------------------------------------------- workbooks


@case
def truncated_xlsx(tmp):
    data = valid_workbook(tmp / "full.xlsx").read_bytes()
    path = tmp / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return Case(v(path), 2, ["truncated.xlsx", "truncated"])


@case
def not_a_zip_xlsx(tmp):
    path = tmp / "corrupt.xlsx"
    path.write_bytes(b"this is not a zip file at all" * 10)
    return Case(v(path), 2, ["corrupt.xlsx", "could not be opened"])


@case
def ole_container_xlsx_password_protected(tmp):
    path = tmp / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    return Case(v(path), 2, ["locked.xlsx", "password-protected"])


@case
def old_xls(tmp):
    path = tmp / "annex.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    return Case(v(path), 2, ["old-format Excel (.xls)"])


@case
def docx_file(tmp):
    path = tmp / "report.docx"
    path.write_bytes(b"PK\x03\x04 pretend")
    return Case(v(path), 2, ["report.docx", "not an Annex A extract"])


@case
def xlsm_workbook(tmp):
    path = tmp / "annex.xlsm"
    path.write_bytes(valid_workbook(tmp / "a.xlsx", lists=[3]).read_bytes())
    return Case(v(path), 0, [ok3()])


@case
def no_list_sheets(tmp):
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"Sheet1": (["a"], [[1]])})), 2, ["no Annex A list sheets", "Sheet1"]
    )


@case
def empty_sheet(tmp):
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": ([], [])})), 2, ["List 3 (Referrals)", "no header row"]
    )


@case
def header_only_sheet(tmp):
    h, _ = rows3()
    return Case(v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, [])})), 0, ["List 3 referrals: 0 rows read"])


@case
def sheet_name_variants(tmp):
    sheets = {"List_1": list_rows(1), "list3": list_rows(3), "List 4 - Assessments": list_rows(4)}
    return Case(
        v(write_xlsx(tmp / "a.xlsx", sheets)), 0, [ok3("List 1 contacts"), ok3(), ok3("List 4 assessments")]
    )


@case
def lists_10_and_11_and_notes_sheets(tmp):
    sheets = {
        "List 3": rows3(),
        "List 10": (["a"], [[1]]),
        "List 11": (["a"], [[1]]),
        "Notes": (["x"], [[1]]),
    }
    return Case(
        v(write_xlsx(tmp / "a.xlsx", sheets)),
        0,
        [ok3(), "(List 10) is not used by the book", "sheet 'Notes' is not an Annex A list"],
    )


def _hidden(tmp: Path, title: str, hide: bool) -> Path:
    path = tmp / "a.xlsx"
    h, rows = rows3()
    h2, rows2 = list_rows(3, 100, first_day=100)
    write_xlsx(path, {"List 3": (h, rows), title: (h2, rows2)})
    if hide:
        wb = openpyxl.load_workbook(path)
        wb[title].sheet_state = "hidden"
        wb.save(path)
    return path


@case
def hidden_old_sheet(tmp):
    return Case(
        v(_hidden(tmp, "List 3 (old)", True)), 0, [ok3(), "sheet 'List 3 (old)' is hidden and was skipped"]
    )


@case
def hidden_sheet_plain_name(tmp):
    return Case(v(_hidden(tmp, "List_3", True)), 0, [ok3(), "sheet 'List_3' is hidden"])


@case
def visible_old_copy_sheet(tmp):
    return Case(v(_hidden(tmp, "List 3 (old)", False)), 0, [ok3(), "looks like an old copy of List 3"])


@case
def copy_of_sheet(tmp):
    return Case(
        v(_hidden(tmp, "Copy of List 3", False)), 0, [ok3(), "'Copy of List 3' looks like an old copy"]
    )


@case
def excel_duplicate_sheet_name(tmp):
    return Case(v(_hidden(tmp, "List 3 (2)", False)), 0, [ok3(), "'List 3 (2)' looks like an old copy"])


@case
def merged_team_cells(tmp):
    h, rows = list_rows(3, 10)
    team = col(h, "Allocated Team")
    for i, row in enumerate(rows):
        row[team] = "Team North" if i == 0 else None
    path = write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})
    wb = openpyxl.load_workbook(path)
    letter = openpyxl.utils.get_column_letter(team + 1)
    wb["List 3"].merge_cells(f"{letter}2:{letter}11")
    wb.save(path)
    return Case(
        v(path),
        0,
        [
            ok3(n=10),
            f"merged cells {letter}2:{letter}11",
            "'Allocated Team'",
            "filled down with 'Team North' (9 row(s) below the first)",
        ],
    )


@case
def merged_title_above_header(tmp):
    h, rows = rows3()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 3"
    ws.append(["Annex A List 3: referrals"])
    ws.merge_cells("A1:F1")
    ws.append(h)
    for row in rows:
        ws.append(row)
    wb.save(tmp / "a.xlsx")
    return Case(v(tmp / "a.xlsx"), 0, [ok3(), "header is on row 2"], absent=["merged cells"])


@case
def formula_cells_without_values(tmp):
    h, rows = rows3()
    for row in rows:
        row[col(h, "Number of Referrals in Last 12 Months")] = "=1+1"
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        0,
        [ok3(), "3 formula cell(s) have no saved value", "'Number of Referrals in Last 12 Months'"],
    )


@case
def used_range_to_last_excel_row(tmp):
    h, rows = list_rows(3, 300)
    path = write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})
    wb = openpyxl.load_workbook(path)
    ws = wb["List 3"]
    ws.cell(1048576, len(h)).font = Font(bold=True)
    wb.save(path)
    return Case(v(path), 0, [ok3(n=300)], max_seconds=15)


@case
def xlsx_title_rows(tmp):
    h, rows = rows3()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 3"
    ws.append(["Westmere Council"])
    ws.append(["Extract date", dt.datetime(2025, 1, 5)])
    ws.append(h)
    for row in rows:
        ws.append(row)
    wb.save(tmp / "a.xlsx")
    return Case(v(tmp / "a.xlsx"), 0, [ok3(), "header is on row 3"])


@case
def blank_rows_inside_data(tmp):
    h, rows = rows3()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 3"
    ws.append(h)
    ws.append(rows[0])
    ws.append(rows[1])
    for _ in range(6):
        ws.append([None])
    rows[2][col(h, "Child Unique ID")] = None
    ws.append(rows[2])  # sheet row 10
    wb.save(tmp / "a.xlsx")
    return Case(
        v(tmp / "a.xlsx"),
        0,
        ["List 3 referrals: 3 rows read, 2 kept, 1 excluded"],
        log=[("missing required value", "child_id", 10)],
    )


@case
def duplicated_headers(tmp):
    h, rows = list_rows(1, 2)
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 1": ([*h, "Gender"], [[*x, "M"] for x in rows])})),
        2,
        ["duplicated headers", "'Gender'"],
    )


@case
def missing_required_column(tmp):
    h, rows = rows3()
    h = ["Referral Dat" if x == "Date of Referral" else x for x in h]
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        2,
        ["no column 'Date of Referral'", "closest header found is 'Referral Dat'"],
    )


@case
def header_spelling_variants(tmp):
    h, rows = rows3()
    h = [f"  {x.upper()} " if i % 2 else x.replace("?", "").lower() for i, x in enumerate(h)]
    return Case(v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})), 0, [ok3()], absent=["were ignored"])


@case
def extra_unknown_columns(tmp):
    h, rows = rows3()
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": ([*h, "Notes"], [[*x, "n"] for x in rows])})),
        0,
        [ok3(), "columns not in the template were ignored: Notes"],
    )


@case
def two_workbooks_same_rows(tmp):
    a = valid_workbook(tmp / "a.xlsx", lists=[3])
    b = valid_workbook(tmp / "b.xlsx", lists=[3])
    return Case(v(a, b), 0, ["List 3 referrals: 6 rows read, 3 kept, 3 excluded (3 duplicate)"])


@case
def two_visible_sheets_for_one_list(tmp):
    h, rows = rows3()
    h2, rows2 = list_rows(3, 2, first_day=10)
    path = write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows), "List_3": (h2, rows2)})
    return Case(
        v(path),
        0,
        [
            "List 3 referrals: 5 rows read, 5 kept",
            "List 3 was read from 2 sources",
            "sheet 'List 3'; file",
            "sheet 'List_3'",
        ],
    )


@case
def data_offset_by_a_blank_column(tmp):
    h, rows = rows3()
    return Case(v(write_xlsx(tmp / "a.xlsx", {"List 3": (["", *h], [[None, *x] for x in rows])})), 0, [ok3()])


@case
def boolean_cells_for_yes_no(tmp):
    h, rows = rows3()
    for row, value in zip(rows, [True, False, True], strict=True):
        row[col(h, "Referral NFA?")] = value
    return Case(v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})), 0, [ok3()], absent=["unmapped"])


@case
def date_cells_with_times(tmp):
    h, rows = rows3()
    for row in rows:
        row[col(h, "Date of Referral")] += dt.timedelta(hours=14, minutes=35)
    return Case(v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})), 0, [ok3()], absent=["unparseable"])


@case
def excel_sep_hint_line(tmp):
    h, rows = rows3()
    return Case(
        v(list3_csv(tmp, "sep=;\n" + csv_text(h, rows, sep=";"))),
        0,
        [ok3(), "semicolon-delimited", "header is on line 2"],
    )


@case
def duplicate_rows_in_one_list(tmp):
    h, rows = rows3()
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, [*rows, rows[0]])})),
        0,
        ["4 rows read, 3 kept, 1 excluded (1 duplicate)"],
    )


# --------------------------------------------------------------------------- dates


def _date_rows(count: int, fmt: str) -> tuple[list[str], list[list[object]]]:
    h, rows = list_rows(3, count)
    return h, [[x.strftime(fmt) if isinstance(x, dt.datetime) else x for x in row] for row in rows]


@case
def us_dates_unambiguous(tmp):
    h, rows = _date_rows(40, "%m/%d/%Y")
    return Case(
        v(list3_csv(tmp, csv_text(h, rows))),
        0,
        [
            ok3(n=40),
            "column 'Date of Referral' is in US order (month/day/year)",
            "column 'Date of Birth' is in US order",
            "the sheet's other dates are",
        ],
        absent=["unparseable", "chronology"],
    )


@case
def us_dates_in_xlsx_text(tmp):
    h, rows = _date_rows(40, "%m/%d/%Y")
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        0,
        [ok3(n=40), "sheet 'List 3': column 'Date of Referral' is in US order"],
    )


@case
def mixed_day_month_order(tmp):
    h, rows = list_rows(3, 40)
    for row in rows[:5]:
        row[col(h, "Date of Referral")] = "01/20/2024"
    return Case(
        v(list3_csv(tmp, csv_text(h, rows))),
        2,
        [
            "column 'Date of Referral' mixes day/month and month/day dates",
            "row 13 holds '13/01/2024'",
            "row 2 holds '01/20/2024'",
            "no date of this column is read",
        ],
    )


@case
def one_us_typo_among_uk_dates(tmp):
    h, rows = list_rows(3, 200)
    rows[0][col(h, "Date of Referral")] = "01/20/2024"
    return Case(
        v(list3_csv(tmp, csv_text(h, rows))),
        0,
        ["200 rows read, 199 kept, 1 excluded (1 unparseable date)"],
        absent=["US order"],
        log=[("unparseable date", "referral_date", 2)],
    )


@case
def sheet_columns_disagree_on_order(tmp):
    h, rows = list_rows(4, 40)
    for row in rows:
        row[col(h, "Date of Birth")] = "03/01/2015"  # swappable: decided by nothing in its own column
        row[col(h, "Continuous Assessment Start Date")] = row[
            col(h, "Continuous Assessment Start Date")
        ].strftime("%m/%d/%Y")  # US: 01/13/2024 ...
        auth = col(h, "Continuous Assessment Date of Authorisation")
        row[auth] = row[auth].strftime("%d/%m/%Y")  # UK: 13/03/2024 ...: the sheet's columns disagree
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 4": (h, rows)})),
        2,
        [
            "column 'Date of Birth' has dates whose order cannot be told",
            "other date columns of this sheet disagree",
        ],
    )


@case
def us_csv_opened_and_saved_in_uk_excel(tmp):
    h, rows = list_rows(3, 40)  # referral dates 2 January to 10 February 2024
    ref = col(h, "Date of Referral")
    for row in rows:
        d = row[ref]
        # UK Excel turned 01/02/2024 (US: 2 January) into 1 February and left 01/13/2024 as text.
        row[ref] = dt.datetime(d.year, d.day, d.month) if d.day <= 12 else d.strftime("%m/%d/%Y")
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        2,
        [
            "column 'Date of Referral' holds 21 spreadsheet dates, every one with a day of 12 or less",
            "19 text dates that only make sense as month/day",
            "without opening and saving it in Excel",
        ],
    )


@case
def no_date_decides_the_order(tmp):
    h, rows = rows3()  # 1 March 2015 and 2-4 January 2024: every day is 12 or less
    return Case(
        v(list3_csv(tmp, csv_text(h, rows))),
        0,
        [
            ok3(),
            "no date in column(s) 'Date of Birth', ",  # every date column of List 3 is named
            "'Date of Referral'",
            "tells day/month from month/day",
            "read as day/month",
        ],
    )


@case
def two_digit_years_day_first(tmp):
    h, rows = _date_rows(3, "%d/%m/%y")
    return Case(
        v(list3_csv(tmp, csv_text(h, rows))),
        0,
        [ok3(), "3 date(s) with a two-digit year", "00-29 are read as 2000-2029"],
    )


@case
def two_digit_years_us(tmp):
    h, rows = _date_rows(40, "%m/%d/%y")
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3(n=40), "US order", "two-digit year"])


@case
def iso_dates(tmp):
    h, rows = _date_rows(3, "%Y-%m-%d")
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3()], absent=["US order", "unparseable"])


@case
def iso_dates_with_slashes(tmp):
    h, rows = _date_rows(3, "%Y/%m/%d")
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3()], absent=["unparseable"])


@case
def dotted_dates(tmp):
    h, rows = _date_rows(3, "%d.%m.%Y")
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3()], absent=["unparseable"])


@case
def dates_with_midnight_time(tmp):
    h, rows = _date_rows(3, "%d/%m/%Y 00:00")
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3()], absent=["unparseable"])


@case
def month_name_dates(tmp):
    h, rows = _date_rows(3, "%d %b %Y")
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3()], absent=["unparseable"])


@case
def us_month_name_dates(tmp):
    h, rows = _date_rows(3, "%B %d, %Y")
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3()], absent=["unparseable"])


@case
def excel_serial_dates(tmp):
    h, rows = rows3()
    for row in rows:
        row[col(h, "Date of Referral")] = 45296  # 5 January 2024
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3()], absent=["unparseable"])


@case
def impossible_calendar_date(tmp):
    h, rows = rows3()
    rows[0][col(h, "Date of Referral")] = "30/02/2024"
    return Case(
        v(list3_csv(tmp, csv_text(h, rows))), 0, ["3 rows read, 2 kept, 1 excluded (1 unparseable date)"]
    )


@case
def date_beyond_2100(tmp):
    h, rows = rows3()
    rows[0][col(h, "Date of Referral")] = "01/01/2200"
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, ["1 excluded (1 unparseable date)"])


@case
def date_of_birth_in_1900(tmp):
    h, rows = rows3()
    rows[0][col(h, "Date of Birth")] = dt.datetime(1900, 1, 1)
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        0,
        [ok3(), "1 x implausible date in 'Date of Birth' (warning)"],
        log=[("implausible date", "date_of_birth", 2)],
    )


@case
def referral_dated_2031(tmp):
    h, rows = rows3()
    rows[1][col(h, "Date of Referral")] = dt.datetime(2031, 5, 1)
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        0,
        ["3 rows read, 2 kept, 1 excluded (1 implausible date)"],
        log=[("implausible date", "referral_date", 3)],
    )


@case
def event_before_1990(tmp):
    h, rows = list_rows(8, 3)
    rows[0][col(h, "Date of Last Dental Check")] = dt.datetime(1985, 6, 1)
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 8": (h, rows)})),
        0,
        [ok3("List 8 cla"), "implausible date in 'Date of Last Dental Check' (warning)"],
    )


@case
def birth_after_care_start(tmp):
    h, rows = list_rows(8, 3)
    rows[0][col(h, "Date of Birth")] = dt.datetime(2018, 1, 1)
    rows[0][col(h, "Date Started to be Looked After")] = dt.datetime(2010, 5, 1)
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 8": (h, rows)})),
        0,
        [ok3("List 8 cla"), "impossible chronology in 'Date Started to be Looked After' (warning)"],
        log=[("impossible chronology", "cla_start_date", 2)],
    )


@case
def birth_after_cp_plan_start(tmp):
    h, rows = list_rows(7, 3)
    rows[2][col(h, "Date of Birth")] = dt.datetime(2024, 6, 1)
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 7": (h, rows)})),
        0,
        [ok3("List 7 cp_plans")],
        log=[("impossible chronology", "cp_start_date", 4)],
    )


@case
def birth_after_care_leaver_contact(tmp):
    h, rows = list_rows(9, 3)
    rows[0][col(h, "Date of Birth")] = dt.datetime(2024, 12, 1)
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 9": (h, rows)})),
        0,
        [ok3("List 9 care_leavers")],
        log=[("impossible chronology", "latest_contact_date", 2)],
    )


@case
def closure_before_start(tmp):
    h, rows = list_rows(6, 3)
    rows[0][col(h, "CIN Closure Date")] = dt.datetime(2023, 1, 1)
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 6": (h, rows)})),
        0,
        ["List 6 cin: 3 rows read, 2 kept, 1 excluded (1 impossible chronology)"],
    )


@case
def text_in_required_date_column(tmp):
    h, rows = list_rows(4, 3)
    for row in rows:
        row[col(h, "Continuous Assessment Start Date")] = "see notes"
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 4": (h, rows)})),
        2,
        ["'Continuous Assessment Start Date' has no readable date", "row 2 holds 'see notes'"],
    )


# --------------------------------------------------------------------------- values


@case
def fractional_ages(tmp):
    h, rows = rows3()
    rows[0][col(h, "Age of Child (Years)")] = "6.138"
    rows[1][col(h, "Age of Child (Years)")] = "11.9"
    return Case(
        v(list3_csv(tmp, csv_text(h, rows))),
        0,
        [ok3(), "2 age(s) in 'Age of Child (Years)' have a fraction (e.g. 6.138)", "completed years (6)"],
        absent=["unparseable number"],
    )


@case
def negative_age(tmp):
    h, rows = rows3()
    rows[0][col(h, "Age of Child (Years)")] = -3
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        0,
        [ok3(), "1 x implausible value in 'Age of Child (Years)' (warning)"],
    )


@case
def age_250(tmp):
    h, rows = rows3()
    rows[2][col(h, "Age of Child (Years)")] = 250
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        0,
        [ok3()],
        log=[("implausible value", "age_years", 4)],
    )


@case
def age_as_words(tmp):
    h, rows = rows3()
    rows[0][col(h, "Age of Child (Years)")] = "six"
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        0,
        [ok3(), "unparseable number in 'Age of Child (Years)' (warning)"],
    )


@case
def excel_error_value_in_number(tmp):
    h, rows = rows3()
    rows[0][col(h, "Number of Referrals in Last 12 Months")] = "#DIV/0!"
    return Case(
        v(list3_csv(tmp, csv_text(h, rows))),
        0,
        [ok3(), "unparseable number in 'Number of Referrals in Last 12 Months'"],
    )


@case
def fractional_count(tmp):
    h, rows = list_rows(7, 3)
    rows[0][col(h, "Number of Previous Child Protection Plans")] = 1.5
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 7": (h, rows)})),
        0,
        [ok3("List 7 cp_plans"), "unparseable number in 'Number of Previous Child Protection Plans'"],
    )


@case
def child_ids_with_point_zero(tmp):
    h, rows = rows3()
    rows[0][col(h, "Child Unique ID")] = "7287.0"
    rows[1][col(h, "Child Unique ID")] = "7288.00"
    return Case(
        v(list3_csv(tmp, csv_text(h, rows))),
        0,
        [ok3(), "2 identifier(s) in 'Child Unique ID' ended in '.0'", "e.g. '7287.0'"],
    )


@case
def numeric_child_ids_in_xlsx(tmp):
    h, rows = rows3()
    for i, row in enumerate(rows):
        row[col(h, "Child Unique ID")] = 7287.0 + i
    return Case(v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})), 0, [ok3()], absent=["ended in '.0'"])


@case
def missing_child_id(tmp):
    h, rows = rows3()
    rows[0][col(h, "Child Unique ID")] = None
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        0,
        ["3 rows read, 2 kept, 1 excluded (1 missing required value)"],
    )


@case
def every_row_excluded(tmp):
    h, rows = rows3()
    for row in rows:
        row[col(h, "Child Unique ID")] = None
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        2,
        ["Every row of List 3 referrals was excluded"],
    )


@case
def unmapped_code(tmp):
    h, rows = rows3()
    rows[0][col(h, "Gender")] = "Martian"
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})),
        0,
        [ok3(), "1 x unmapped code in 'Gender' (warning)"],
    )


@case
def code_spelling_variants(tmp):
    h, rows = rows3()
    for row, sex, nfa in zip(rows, ["b) Female", "Female", "F"], ["a) Yes", "Y", "no"], strict=True):
        row[col(h, "Gender")] = sex
        row[col(h, "Referral NFA?")] = nfa
    return Case(v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})), 0, [ok3()], absent=["unmapped"])


@case
def blank_spellings(tmp):
    h, rows = rows3()
    for row, blank in zip(rows, ["#N/A", "NULL", "-"], strict=True):
        row[col(h, "Referral Source")] = blank
        row[col(h, "Age of Child (Years)")] = blank
    return Case(
        v(write_xlsx(tmp / "a.xlsx", {"List 3": (h, rows)})), 0, [ok3()], absent=["unmapped", "unparseable"]
    )


@case
def cells_padded_with_spaces(tmp):
    h, rows = rows3()
    rows = [[f"  {x:%d/%m/%Y}  " if isinstance(x, dt.datetime) else f" {x} " for x in row] for row in rows]
    return Case(v(list3_csv(tmp, csv_text(h, rows))), 0, [ok3()], absent=["unmapped", "unparseable"])


# --------------------------------------------------------------------------- paths and options


@case
def missing_path(tmp):
    return Case(v(tmp / "nowhere.xlsx"), 2, ["nowhere.xlsx does not exist"])


@case
def symlink_loop_path(tmp):
    os.symlink(tmp / "b", tmp / "a")
    os.symlink(tmp / "a", tmp / "b")
    return Case(v(tmp / "a"), 2, ["symbolic link that loops back on itself"])


@case
def dangling_symlink(tmp):
    os.symlink(tmp / "gone.xlsx", tmp / "link.xlsx")
    return Case(v(tmp / "link.xlsx"), 2, ["symbolic link to", "gone.xlsx, which does not exist"])


@case
def symlink_loop_inside_folder(tmp):
    d = folder(tmp)
    h, rows = rows3()
    (d / "List 3.csv").write_text(csv_text(h, rows))
    os.symlink(d / "y", d / "x")
    os.symlink(d / "x", d / "y")
    return Case(v(d), 0, [ok3()])


@case
def empty_folder(tmp):
    return Case(v(folder(tmp)), 2, ["No Annex A or SSDA903 files were found"])


@case
def folder_of_unrelated_files(tmp):
    d = folder(tmp)
    (d / "notes.txt").write_text("hello")
    (d / "budget.csv").write_text("cost,centre\n1,2\n")
    return Case(v(d), 2, ["No Annex A or SSDA903 files were found"])


@case
def excel_lock_file_ignored(tmp):
    d = folder(tmp)
    valid_workbook(d / "annex.xlsx", lists=[3])
    (d / "~$annex.xlsx").write_bytes(b"\x00owner")
    return Case(v(d), 0, [ok3()])


@case
def unwritable_log_path(tmp):
    wb = valid_workbook(tmp / "a.xlsx", lists=[3])
    (tmp / "afile").write_text("x")
    return Case([*v(wb), "--log", str(tmp / "afile" / "log.csv")], 2, ["could not be written"])


# --------------------------------------------------------------------------- parameter files (cscbook run)


@case
def params_cp1252(tmp):
    text = good_params(tmp, "targets: {assessment_45wd: 0.85}  # \u00a3 budget \u2018note\u2019\n")
    return Case(r(project(tmp, text.encode("cp1252"))), 2, ["is not UTF-8 text", "Save it as UTF-8"])


@case
def params_duplicate_key(tmp):
    text = good_params(tmp) + "population_0_17: 2000\n"
    return Case(r(project(tmp, text)), 2, ["key 'population_0_17' is given twice (lines 4 and 5)"])


@case
def params_duplicate_nested_key(tmp):
    text = good_params(tmp, "targets:\n  assessment_45wd: 0.85\n  assessment_45wd: 0.9\n")
    return Case(r(project(tmp, text)), 2, ["key 'assessment_45wd' is given twice"])


@case
def params_symlink_loop(tmp):
    project(tmp, good_params(tmp))
    os.symlink(tmp / "params" / "b.yaml", tmp / "params" / "a.yaml")
    os.symlink(tmp / "params" / "a.yaml", tmp / "params" / "b.yaml")
    return Case(r(tmp / "params" / "a.yaml"), 2, ["parameter file", "loops back on itself"])


@case
def params_data_path_symlink_loop(tmp):
    (tmp / "data").mkdir()
    os.symlink(tmp / "data" / "y", tmp / "data" / "x")
    os.symlink(tmp / "data" / "x", tmp / "data" / "y")
    return Case(
        r(project(tmp, good_params(tmp, annex="data/x"))), 2, ["key 'annex_a'", "loops back on itself"]
    )


@case
def params_missing_file(tmp):
    return Case(r(tmp / "params" / "nope.yaml"), 2, ["nope.yaml does not exist"])


@case
def params_is_a_folder(tmp):
    project(tmp, good_params(tmp))
    return Case(r(tmp / "params"), 2, ["is a folder"])


@case
def params_invalid_yaml(tmp):
    return Case(r(project(tmp, good_params(tmp) + "targets: [unclosed\n")), 2, ["is not valid YAML"])


@case
def params_empty_file(tmp):
    return Case(r(project(tmp, "")), 2, ["must be a mapping"])


@case
def params_a_list(tmp):
    return Case(r(project(tmp, "- authority\n- period_end\n")), 2, ["must be a mapping"])


@case
def params_unknown_key(tmp):
    return Case(
        r(project(tmp, good_params(tmp, "colour: blue\n"))), 2, ["key 'colour' is not a known parameter"]
    )


@case
def params_impossible_date(tmp):
    text = good_params(tmp).replace("2024-12-31", "2024-02-30")
    return Case(r(project(tmp, text)), 2, ["key 'period_end'", "February 2024 has 29 days"])


@case
def params_not_quarter_end(tmp):
    text = good_params(tmp).replace("2024-12-31", "2024-11-30")
    return Case(r(project(tmp, text)), 2, ["not a quarter end"])


@case
def params_missing_authority(tmp):
    text = good_params(tmp).replace("authority: Testshire\n", "")
    return Case(r(project(tmp, text)), 2, ["key 'authority' is missing"])


@case
def params_extract_path_missing(tmp):
    return Case(
        r(project(tmp, good_params(tmp, annex="data/elsewhere"))),
        2,
        ["names data/elsewhere, which does not exist"],
    )


@case
def params_target_not_a_proportion(tmp):
    return Case(
        r(project(tmp, good_params(tmp, "targets: {assessment_45wd: 85}\n"))), 2, ["not a proportion"]
    )


@case
def run_with_binary_extract(tmp):
    data = tmp / "data" / "annex_a"
    data.mkdir(parents=True)
    (data / "List 3.csv").write_bytes(bytes(range(256)) * 4)
    return Case(r(project(tmp, good_params(tmp))), 2, ["not a text CSV file"])


@case
def run_with_mixed_date_order(tmp):
    data = tmp / "data" / "annex_a"
    data.mkdir(parents=True)
    h, rows = list_rows(3, 40)
    for row in rows[:5]:
        row[col(h, "Date of Referral")] = "01/20/2024"
    write_csv(data / "List 3.csv", h, rows)
    return Case(r(project(tmp, good_params(tmp))), 2, ["mixes day/month and month/day"])


# --------------------------------------------------------------------------- the test

_ACCOUNT = re.compile(r"([\w ]+): ([\d,]+) rows read, ([\d,]+) kept, ([\d,]+) excluded")


def test_battery_is_large_enough():
    assert len(CASES) >= 80


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(tmp_path: Path, name: str) -> None:
    c = CASES[name](tmp_path)
    args = list(c.args)
    log_path = tmp_path / "issues.csv"
    if args[0] == "validate" and c.code == 0:
        args += ["--log", str(log_path)]
    start = time.perf_counter()
    proc = run_cli(*args)
    elapsed = time.perf_counter() - start
    out = " ".join((proc.stdout + "\n" + proc.stderr).split())
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == c.code, out
    for fragment in c.fragments:
        assert fragment in out, (fragment, out)
    for fragment in c.absent:
        assert fragment not in out, (fragment, out)
    if c.code == 2:
        assert proc.stdout.strip() == "" or args[0] == "run", proc.stdout
        assert proc.stderr.startswith(f"cscbook {args[0]}: "), proc.stderr
    else:
        assert "The data are usable." in out
    for _, read, kept, excluded in _ACCOUNT.findall(out):
        assert int(read.replace(",", "")) == int(kept.replace(",", "")) + int(excluded.replace(",", "")), out
    if c.log:
        log = pd.read_csv(log_path, dtype=str, keep_default_na=False)
        for entry in c.log:
            hit = (log["reason"] == entry[0]) & (log["column"] == entry[1])
            if len(entry) > 2:
                hit &= log["row"] == str(entry[2])
            assert hit.any(), (entry, log[["row", "column", "reason"]].to_string())
    if c.max_seconds is not None:
        assert elapsed < c.max_seconds, elapsed
