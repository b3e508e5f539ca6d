"""Judged control charts on the synthetic authority: no special cause where nothing was planted,
the planted change found, and stocks never given a signal (data/synthetic/truth.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cscbook.measures import front_door
from cscbook.methods import spc
from cscbook.report import fd_trends

ROOT = Path(__file__).resolve().parents[1]
SYNTH = ROOT / "data" / "synthetic"
PERIOD_END = pd.Timestamp("2024-12-31")
QUARTER_ENDS = [pd.Timestamp(d) for d in ("2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31")]


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SYNTH / "truth.json").read_text())


@pytest.fixture(scope="module")
def series() -> dict[str, pd.DataFrame]:
    from cscbook.data import asat, ingest

    tables = asat.restrict_tables(ingest.read_annex_a([SYNTH / "annex_a"]).tables, PERIOD_END)
    return front_door.monthly_series(tables, PERIOD_END)


def _charts(series: dict[str, pd.DataFrame], quarter_end: pd.Timestamp) -> dict[str, spc.ChartResult]:
    cut = {k: v[v["month"] <= quarter_end] for k, v in series.items()}
    return fd_trends.measure_charts(cut, quarter_end)


def test_null_series_show_no_special_cause_in_any_quarter_of_2024(series, truth):
    # the stationary (planted null) series: no month of any 2024 quarter flagged, each quarter judged as the
    # book would have judged it at the time (nothing after the quarter used)
    null = [item["name"] for item in truth["null_series"] if item["name"] in front_door.MEASURES]
    assert sorted(null) == ["contact_decision_1wd", "s47_icpc_15wd"]
    for quarter_end in QUARTER_ENDS:
        charts = _charts(series, quarter_end)
        for key in null:
            c = charts[key]
            assert c.assessed, f"{key} {quarter_end:%Y-%m}: {c.note}"
            assert c.flagged().empty, f"{key} {quarter_end:%Y-%m}: {c.flagged()[['month', 'rules']]}"
            assert c.reading(True) == spc.COMMON_TEXT
            assert 0.03 < c.false_alarm_rate < 0.15


def test_planted_rise_in_assessment_timeliness_is_found(series, truth):
    # planted: 64% to 84% between June and August 2024; the chart finds an improvement from the July-September
    # quarter on, and nothing in the quarters before the change
    assert truth["assessment_45wd"]["change_start"] == "2024-06-01"
    for quarter_end in QUARTER_ENDS:
        reading = _charts(series, quarter_end)["assessment_45wd"].reading(True)
        expected = spc.IMPROVEMENT_TEXT if quarter_end >= pd.Timestamp("2024-09-30") else spc.COMMON_TEXT
        assert reading == expected, f"{quarter_end:%Y-%m}: {reading}"


def test_stocks_carry_no_signal(series):
    c = _charts(series, PERIOD_END)["cp_plans_open"]
    assert c.chart_type == "stock" and c.reading(None) == spc.STOCK_TEXT
    assert not c.frame["special_cause"].any() and c.false_alarm_rate == 0.0
    # the old XmR reading of the same stock flagged most months
    old = spc.xmr(series["cp_plans_open"].set_index("month")["value"])
    assert old["special_cause"].mean() > 0.5


def test_seasonal_adjustment_and_dispersion_are_stated(series):
    charts = _charts(series, PERIOD_END)
    contacts = charts["contacts"]
    # contacts follow the school-term pattern: adjusted before the rules, and the result says so
    assert contacts.seasonal == "adjusted" and contacts.seasonal_p < 0.001
    assert "removed before the rules were applied" in contacts.seasonal_note
    for key in ("assessment_45wd", "s47_icpc_15wd", "second_cp_plan"):
        c = charts[key]
        assert c.chart_type in ("p", "laney_p") and c.dispersion == c.dispersion  # measured (not NaN)
        assert 0 <= c.dispersion_p <= 1
