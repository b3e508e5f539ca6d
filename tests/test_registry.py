"""The measure registry: declared once, computed once, found everywhere it is read."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import make_params

from cscbook.book.pipeline import compute_measures, record_history, tables_workbook
from cscbook.config.errors import UserError
from cscbook.data.context import Context
from cscbook.data.history import read_history, record_quarter
from cscbook.measures import registry
from cscbook.measures.compute import compute_all, direction, period_value
from cscbook.measures.registry import Measure, NotAvailable
from cscbook.report import summary

END = pd.Timestamp("2024-12-31")


def months(start: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


def toy(key: str, series: pd.DataFrame | NotAvailable, kind: str = "proportion", **kw) -> Measure:
    kw.setdefault("higher_is_better", True)
    return Measure(
        key=key,
        label=kw.pop("label", f"Toy {key}"),
        definition="A toy measure for tests.",
        source="tests",
        needs=(),
        kind=kind,
        compute=lambda tables, params: series,
        chapter="Toys",
        headline=kw.pop("headline", True),
        **kw,
    )  # type: ignore[arg-type]


@pytest.fixture
def register():
    added: list[str] = []

    def add(m: Measure) -> Measure:
        registry.register(m)
        added.append(m.key)
        return m

    yield add
    for key in added:
        registry.unregister(key)


def proportion(num: list[int], den: list[int], start: str = "2024-07-01") -> pd.DataFrame:
    return pd.DataFrame({"month": months(start, len(num)), "numerator": num, "denominator": den})


def values(v: list[float], start: str = "2024-07-01") -> pd.DataFrame:
    return pd.DataFrame({"month": months(start, len(v)), "value": v})


def test_period_value_by_kind() -> None:
    # Jul-Sep: 7+7+7 / 30 = 0.7; Oct-Dec: 8+9+10 / 30 = 0.9
    p = proportion([7, 7, 7, 8, 9, 10], [10] * 6)
    assert period_value(p, "proportion", END.replace(day=1) - pd.DateOffset(months=2), END)[
        "value"
    ] == pytest.approx(0.9)
    c = values([1, 2, 3, 10, 20, 30])
    assert period_value(c, "count", pd.Timestamp("2024-10-01"), END)["value"] == 60
    assert np.isnan(
        period_value(values([20, 30], "2024-11-01"), "count", pd.Timestamp("2024-10-01"), END)["value"]
    )
    s = values([500, 510, 520, 515, 505, 498])
    assert period_value(s, "stock", pd.Timestamp("2024-10-01"), END)["value"] == 498  # December's value
    assert period_value(s, "rate", pd.Timestamp("2024-07-01"), pd.Timestamp("2024-09-30"))["value"] == 520


@pytest.mark.parametrize(
    ("this", "prev", "hib", "kind", "expected"),
    [
        (0.835, 0.832, True, "proportion", "no change"),  # 0.3 points < 0.5
        (0.85, 0.80, True, "proportion", "improving"),
        (0.85, 0.80, False, "proportion", "worsening"),
        (101, 100, False, "count", "no change"),  # 1% of 100
        (102, 100, False, "count", "worsening"),
        (98, 100, None, "stock", "down"),
        (None, 100, True, "count", "not known"),
    ],
)
def test_direction(this, prev, hib, kind, expected) -> None:
    assert direction(this, prev, hib, kind) == expected


def test_quarter_rows_interval_target_and_signal(register) -> None:
    register(toy("toy_p", proportion([7, 7, 7, 8, 9, 10], [10] * 6), target_key="toy_p"))
    stable = [100, 104, 98, 102, 99, 103, 97, 101, 100, 104, 98, 102, 99, 103, 97, 101, 100, 102]
    register(toy("toy_jump", values(stable + [200], "2023-06-01"), kind="count", higher_is_better=False))
    register(toy("toy_stock", values(stable + [200], "2023-06-01"), kind="stock", higher_is_better=False))
    res = compute_all({}, make_params(END, targets={"toy_p": 0.85}))
    row = res.quarter_row("toy_p")
    assert (row["value"], row["numerator"], row["denominator"], row["target"]) == pytest.approx(
        (0.9, 27, 30, 0.85)
    )
    assert row["ci_low"] < 0.9 < row["ci_high"]  # Wilson 95%
    assert row["direction"] == "improving" and res.value("toy_p", "last") == pytest.approx(0.7)
    # mean moving range about 4: limits about 100 +/- 11; December's 200 is far outside
    assert res.quarter_row("toy_jump")["signal"] == "special cause concern"
    # the same series as a stock is not given a signal (consecutive month-ends share most children)
    assert res.quarter_row("toy_stock")["signal"].startswith("not assessed")


def test_not_available_names_what_would_provide_it_and_a_bug_fails_loudly(register) -> None:
    register(toy("toy_na", NotAvailable("needs the column 'x' in Annex A List 3 (referrals)")))
    res = compute_all({}, make_params(END))
    assert "toy_na" in res.unavailable
    row = res.table[res.table["key"] == "toy_na"].iloc[0]
    assert not row["available"] and "column 'x'" in row["note"]
    # every real measure is not available on an empty extract, each saying what would provide it
    for key in ("referrals", "rereferral_12m", "cla_in_care", "care_leavers_eet", "average_caseload"):
        assert "needs" in res.unavailable[key].reason
    register(toy("toy_bad", values([1, 2, 3]).rename(columns={"value": "count"}), kind="count"))
    with pytest.raises(TypeError, match="toy_bad"):
        compute_all({}, make_params(END))


def test_a_toy_measure_reaches_measures_csv_the_summary_and_the_workbook(tmp_path, register) -> None:
    """Adding a measure is one declaration: no other edit puts it in every output."""
    register(toy("toy_new", proportion([7, 7, 7, 8, 9, 10], [10] * 6), label="Toy visits in time"))
    (tmp_path / "p.yaml").write_text("authority: Test authority\n")
    params = make_params(END, project_root=tmp_path, source_file=tmp_path / "p.yaml")
    ctx = Context(params, {}, pd.DataFrame(), pd.DataFrame())
    results = compute_measures(ctx)
    csv = pd.read_csv(params.tables_dir / "measures.csv")
    assert {"2024-10", "Q3 2024-25"} <= set(csv.loc[csv["key"] == "toy_new", "period"])
    chapter = summary.build(ctx, results)
    table = chapter.saved["summary_headline_measures"]
    assert "Toy visits in time" in set(table["label"])
    assert "Toy visits in time: 90.0% this quarter (27 of 30)" in chapter.markdown["sum_key_messages"]
    for name, df in chapter.saved.items():
        df.to_csv(params.tables_dir / f"{name}.csv", index=False)
    book = tables_workbook(params.tables_dir, tmp_path / "tables.xlsx")
    wb = openpyxl.load_workbook(book, read_only=True)
    cells = {str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row}
    assert "toy_new" in cells and "Toy visits in time" in cells


def test_history_gives_snapshots_last_quarter_and_notes_revisions(tmp_path, register, monkeypatch) -> None:
    monkeypatch.delenv("CSCBOOK_HISTORY", raising=False)
    register(toy("toy_snap", proportion([40], [100], "2024-12-01"), snapshot=True))
    register(toy("toy_flow", proportion([80, 80, 80, 90, 90, 90], [100] * 6)))
    hist_file = tmp_path / "history.parquet"
    q2 = pd.DataFrame(
        {
            "period_end": [pd.Timestamp("2024-09-30")] * 2,
            "key": ["toy_snap", "toy_flow"],
            "label": ["s", "f"],
            "kind": ["proportion"] * 2,
            "value": [0.35, 0.79],
            "numerator": [35, 237],
            "denominator": [100, 300],
        }
    )
    record_quarter(hist_file, "Test authority", "2024-25-Q2", q2)
    params = make_params(END, project_root=tmp_path, history=hist_file)
    ctx = Context(params, {}, pd.DataFrame(), pd.DataFrame())
    results = compute_all({}, params)
    table = summary.build(ctx, results).saved["summary_headline_measures"].set_index("key")
    # the snapshot's last quarter is what Q2's book published
    assert table.loc["toy_snap", "last_quarter"] == pytest.approx(0.35)
    assert table.loc["toy_snap", "direction"] == "improving"
    # the flow's last quarter is this extract's (80.0%), and the published 79.0% is footnoted
    assert table.loc["toy_flow", "last_quarter"] == pytest.approx(0.80)
    assert table.loc["toy_flow", "footnote"] == (
        "last quarter was published as 79.0%; 80.0% on this extract after late recording"
    )
    # recording Q3 adds it; re-recording Q3 replaces it; another authority's history is refused
    record_history(params, results)
    record_history(params, results)
    hist = read_history(hist_file, "Test authority")
    assert sorted(set(hist["quarter"])) == ["2024-25-Q2", "2024-25-Q3"]
    assert (hist["quarter"] == "2024-25-Q3").sum() == len(
        hist[hist["quarter"] == "2024-25-Q3"]["key"].unique()
    )
    assert not hist["key"].isin(["child_id"]).any() and "child_id" not in hist.columns
    with pytest.raises(UserError, match="belongs to 'Test authority'"):
        read_history(hist_file, "Another council")
