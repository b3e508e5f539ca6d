"""tables.xlsx: index sheet, readable sheet names, percentages, frozen header (a real xlsx read back)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from cscbook.book import workbook


def test_sheet_names_are_readable_short_unique_and_legal() -> None:
    names = [
        "children_in_care_forecast_backtest",
        "front_door_by_source_quarter",
        "rereferral_rates_monthly_by_source_and_ethnicity_group",
        "x/y:z",
        "index",
        "dq_row_accounting",
    ]
    out = workbook.sheet_names(names)
    assert out[0] == "CIC forecast backtest"
    assert out[1] == "Front door by source quarter"
    # 31 characters at most, cut at a word boundary: never "...ethnicity_gr"
    assert out[2] == "Re-referral rates monthly by"
    assert out[3] == "x-y-z"
    assert out[4] == "index (2)"  # "Index" is the index sheet
    assert out[5] == "DQ row accounting"
    assert all(len(s) <= 31 for s in out) and len({s.lower() for s in out}) == len(out)


def test_duplicate_readable_names_are_numbered() -> None:
    assert workbook.sheet_names(["dq_a", "DQ a"]) == ["DQ a", "DQ a (2)"]


def test_titles() -> None:
    assert workbook.table_title("front_door_funnel_quarter") == "Front door: funnel quarter"
    assert workbook.table_title("summary_headline_measures") == "Executive summary: headline measures"
    assert workbook.table_title("odd_table") == "Odd table"


def test_percent_cells_by_kind_and_by_column() -> None:
    headline = pd.DataFrame({
        "kind": ["count", "proportion"],
        "this_quarter": [3112.0, 0.849886],
        "this_numerator": [None, 2610.0],
        "target": [None, 0.9],
    })  # fmt: skip
    m = workbook.percent_cells(headline)
    assert m["this_quarter"].tolist() == [False, True]
    assert m["target"].tolist() == [False, True]
    assert not m["this_numerator"].any()
    by_col = pd.DataFrame({
        "contacts": [873, 597],
        "contact_referral_rate": [0.297, 0.292],
        "contact_referral_ci_low": [0.26, 0.25],
        "eet_pct": [0.5, 0.9],  # 0-100 percentages are left alone even when small
        "odds_ratio": [0.5, 0.8],
        "ci_low": [0.3, 0.6],  # an odds ratio's interval: no rate column, so not a percentage
    })  # fmt: skip
    m = workbook.percent_cells(by_col)
    assert m["contact_referral_rate"].all() and m["contact_referral_ci_low"].all()
    assert not m[["contacts", "eet_pct", "odds_ratio", "ci_low"]].any().any()
    assert not workbook.percent_cells(pd.DataFrame({"rate": [0.5, 1.5]})).any().any()  # not all in 0-1


def test_tables_workbook_index_formats_and_frozen_header(tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    tables.mkdir()
    pd.DataFrame({"month": ["2024-10-01"], "contacts": [12]}).to_csv(
        tables / "front_door_contacts.csv", index=False
    )
    pd.DataFrame({
        "key": ["contacts", "contact_decision_1wd"], "kind": ["count", "proportion"],
        "this_quarter": [3112, 0.849886], "this_numerator": [None, 2610],
    }).to_csv(tables / "summary_headline_measures.csv", index=False)  # fmt: skip
    pd.DataFrame({"source": ["Police", "NA"], "rate": [0.25, None]}).to_csv(
        tables / "children_in_care_forecast_backtest.csv", index=False
    )
    out = workbook.tables_workbook(tables, tmp_path / "tables.xlsx")
    assert out == tmp_path / "tables.xlsx" and not (tmp_path / "tables.xlsx.tmp").exists()
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "Index",
        "CIC forecast backtest",
        "Front door contacts",
        "Summary headline measures",
    ]
    index = wb["Index"]
    assert [c.value for c in index[1]] == ["Sheet", "Title", "CSV file", "Rows", "Columns"]
    rows = [[c.value for c in r] for r in index.iter_rows(min_row=2)]
    assert rows[0] == ["CIC forecast backtest", "Children in care: forecast backtest",
                       "tables/children_in_care_forecast_backtest.csv", 2, 2]  # fmt: skip
    assert index["A3"].hyperlink.location == "'Front door contacts'!A1" or "Front door contacts" in str(
        index["A3"].hyperlink.target or index["A3"].hyperlink.location
    )
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
    summary = wb["Summary headline measures"]
    assert summary["C3"].value == 0.849886 and summary["C3"].number_format == "0.0%"
    assert summary["C2"].value == 3112 and summary["C2"].number_format == "General"
    assert summary["D3"].number_format == "General"  # the numerator is a count
    cic = wb["CIC forecast backtest"]
    assert [c.value for c in cic[3]] == ["NA", None]  # the text "NA" is kept, a blank stays blank
    assert cic["B2"].number_format == "0.0%"
    assert wb["Front door contacts"]["B2"].value == 12
    assert workbook.tables_workbook(tmp_path / "none", tmp_path / "x.xlsx") is None
