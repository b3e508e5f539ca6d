"""Executive summary: quarter values, direction, SPC signal, key messages, module collection."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from cscbook.measures.headline import HeadlineMeasure
from cscbook.report import summary

END = pd.Timestamp("2024-12-31")


def months(start: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


def proportion(num: list[int], den: list[int], start: str = "2024-07-01", **kw) -> HeadlineMeasure:
    df = pd.DataFrame({"month": months(start, len(num)), "numerator": num, "denominator": den})
    kw.setdefault("higher_is_better", True)
    return HeadlineMeasure(key=kw.pop("key", "assessment_45wd"), label="Assessments in 45 working days",
                           kind="proportion", monthly=df, **kw)


def counts(values: list[float], start: str = "2024-07-01", kind: str = "count", **kw) -> HeadlineMeasure:
    df = pd.DataFrame({"month": months(start, len(values)), "value": values})
    return HeadlineMeasure(key=kw.pop("key", "contacts"), label=kw.pop("label", "Contacts"), kind=kind,
                           monthly=df, **kw)


def test_quarter_values_by_kind() -> None:
    # Jul-Sep: 7+7+7 / 30 = 0.7; Oct-Dec: 8+9+10 / 30 = 0.9
    p = proportion([7, 7, 7, 8, 9, 10], [10, 10, 10, 10, 10, 10])
    assert summary.quarter_value(p, END) == pytest.approx(0.9)
    assert summary.quarter_value(p, pd.Timestamp("2024-09-30")) == pytest.approx(0.7)
    assert summary.quarter_value(p, pd.Timestamp("2023-12-31")) is None  # no data a year ago
    c = counts([1, 2, 3, 10, 20, 30])
    assert summary.quarter_value(c, END) == 60  # 10 + 20 + 30
    assert summary.quarter_value(counts([20, 30], start="2024-11-01"), END) is None  # only 2 of 3 months
    s = counts([500, 510, 520, 515, 505, 498], kind="stock")
    assert summary.quarter_value(s, END) == 498  # value at December
    assert summary.quarter_value(s, pd.Timestamp("2024-09-30")) == 520


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
    assert summary.direction(this, prev, hib, kind) == expected


def test_spc_signal_uses_the_control_chart() -> None:
    stable = [100, 104, 98, 102, 99, 103, 97, 101, 100, 104, 98, 102, 99, 103, 97, 101, 100, 102]
    # mean moving range about 4: limits about 100 +/- 11; a last month of 200 is far outside.
    jump = counts(stable + [200], start="2023-06-01", higher_is_better=False)
    assert summary.spc_signal(jump, END) == "special cause concern"
    same = counts(stable + [100], start="2023-06-01", higher_is_better=False)
    assert summary.spc_signal(same, END) == "common cause variation"
    short = counts([100, 101, 99, 200], start="2024-09-01")
    assert summary.spc_signal(short, END) == "not assessed"  # fewer than 12 months


def test_headline_table_and_messages() -> None:
    fd = proportion([7, 7, 7, 8, 9, 10], [10, 10, 10, 10, 10, 10], england=0.857)
    c = counts([100, 100, 100, 100, 100, 100], label="Contacts", higher_is_better=None)
    table = summary.headline_table([fd, c], END, targets={"assessment_45wd": 0.85})
    row = table.set_index("key").loc["assessment_45wd"]
    assert (row.this_quarter, row.last_quarter, row.target) == pytest.approx((0.9, 0.7, 0.85))
    assert row.direction == "improving"
    msgs = summary.key_messages(table)
    assert len(msgs) == 2
    fd_msg = next(m for m in msgs if m.startswith("Assessments"))
    # Oct-Dec numerators 8 + 9 + 10 = 27 of 10 + 10 + 10 = 30
    assert "Assessments in 45 working days: 90.0% this quarter (27 of 30), up from 70.0% last quarter (an improvement)" in fd_msg
    assert "meets the local target of 85.0%" in fd_msg
    assert "above England (85.7%)" in fd_msg
    c_msg = next(m for m in msgs if m.startswith("Contacts"))
    assert "Contacts: 300 this quarter, about the same as last quarter (300)" in c_msg
    shown = summary.display_table(table)
    assert list(shown["This quarter"]) == ["90.0%", "300"]


def test_key_messages_put_worsening_and_missed_targets_first() -> None:
    good = proportion([7, 7, 7, 9, 9, 9], [10] * 6, key="a", england=None)
    bad = proportion([9, 9, 9, 7, 7, 7], [10] * 6, key="b", england=None)
    table = summary.headline_table([good, bad], END, targets={"a": 0.85, "b": 0.85})
    msgs = summary.key_messages(table)
    assert "a deterioration" in msgs[0] and "misses the local target" in msgs[0]
    assert summary.key_messages(table.iloc[0:0])[0].startswith("No headline measures")
    many = summary.headline_table([good] * 12, END)
    assert len(summary.key_messages(many)) == 8


def test_collect_measures_skips_missing_and_failing_modules(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "cscbook_test_ok.py").write_text(textwrap.dedent("""
        import pandas as pd
        from cscbook.measures.headline import HeadlineMeasure
        def headline_measures(ctx):
            df = pd.DataFrame({"month": pd.date_range("2024-10-01", periods=3, freq="MS"), "value": [1, 2, 3]})
            return [HeadlineMeasure("k", "K", "count", df)]
    """))
    (tmp_path / "cscbook_test_bad.py").write_text("def headline_measures(ctx):\n    raise KeyError('referrals')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    got = summary.collect_measures(None, ("cscbook_test_ok", "cscbook_test_missing_xyz", "cscbook_test_bad"))
    assert [m.key for m in got.measures] == ["k"]
    assert got.measures[0].chapter == "Cscbook test ok"
    assert "not available yet" in got.notes[0]
    assert "KeyError" in got.notes[1]
    sys.modules.pop("cscbook_test_ok", None)
    sys.modules.pop("cscbook_test_bad", None)


def test_fmt_value() -> None:
    assert summary.fmt_value(0.8567, "proportion") == "85.7%"
    assert summary.fmt_value(1234.0, "count") == "1,234"
    assert summary.fmt_value(97.6, "stock", "per 10,000") == "97.6 per 10,000"  # one decimal under 100
    assert summary.fmt_value(123.4, "stock") == "123"
    assert summary.fmt_value(None, "count") == "n/a"


def test_message_says_even_so_when_quarter_and_control_chart_disagree() -> None:
    # Lower is better; the quarter fell (an improvement) but the chart reads special-cause concern.
    row = pd.Series({
        "label": "Re-referrals within 12 months", "kind": "proportion", "unit": "",
        "this_quarter": 0.307, "last_quarter": 0.343, "direction": "improving",
        "signal": "special cause concern", "target": None, "england": None,
    })
    msg = summary.message(row)
    assert "down from 34.3% last quarter (an improvement)" in msg
    assert "Even so, the monthly control chart still shows special-cause concern" in msg
    row_ok = row.copy()
    row_ok["signal"] = "special cause improvement"
    assert "Even so" not in summary.message(row_ok)


def test_target_of_a_measure_with_no_better_direction_is_stated_not_judged() -> None:
    row = pd.Series({
        "label": "Children in care per 10,000 children", "kind": "stock", "unit": "per 10,000",
        "this_quarter": 98.5, "last_quarter": 97.5, "direction": "up", "signal": "common cause variation",
        "target": 90.0, "england": None, "higher_is_better": None,
    })
    msg = summary.message(row)
    assert "above the local planning figure of 90" in msg
    assert "misses" not in msg and "meets" not in msg


def test_comparisons_in_words_agree_with_the_numbers_shown() -> None:
    # 0.8566 and 0.857 both print as 85.7%: the sentence must not say "below England".
    row = pd.Series({
        "label": "Assessments", "kind": "proportion", "unit": "", "this_quarter": 0.8566,
        "last_quarter": 0.85, "direction": "improving", "signal": "common cause variation",
        "target": 0.857, "england": 0.857, "higher_is_better": True,
    })
    msg = summary.message(row)
    assert "the same as England (85.7%)" in msg
    assert "meets the local target of 85.7%" in msg


def test_missed_targets_come_before_neutral_demand_signals() -> None:
    # three measures: demand with a special-cause shift (neither direction better), a proportion
    # that misses its target with no signal, and one with special-cause improvement
    rows = pd.DataFrame([
        {"key": "contacts", "label": "Contacts", "kind": "count", "unit": "", "this_quarter": 3000.0,
         "last_quarter": 2900.0, "year_ago": None, "target": None, "england": None, "higher_is_better": None,
         "direction": "up", "signal": "special cause variation"},
        {"key": "icpc", "label": "ICPCs in 15 days", "kind": "proportion", "unit": "", "this_quarter": 0.79,
         "last_quarter": 0.79, "year_ago": None, "target": 0.8, "england": None, "higher_is_better": True,
         "direction": "no change", "signal": "common cause variation"},
        {"key": "a45", "label": "Assessments", "kind": "proportion", "unit": "", "this_quarter": 0.83,
         "last_quarter": 0.7, "year_ago": None, "target": None, "england": None, "higher_is_better": True,
         "direction": "improving", "signal": "special cause improvement"},
    ])
    msgs = summary.key_messages(rows)
    assert [m.split(":")[0] for m in msgs] == ["Assessments", "ICPCs in 15 days", "Contacts"]
