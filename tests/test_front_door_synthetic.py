"""The front-door chapter on the synthetic authority finds what was planted, and nothing where nothing was.

Planted (src/cscbook/synth/planted.py, data/synthetic/truth.json): assessment timeliness rises
from 64% to 84% between late June and late August 2024; referrals fall from a surge of about
440 a month in early 2024 to about 260 by September 2024; s47 to ICPC within 15 working days
is stationary (a null series).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cscbook.measures import front_door
from cscbook.methods import spc

ROOT = Path(__file__).resolve().parents[1]
SYNTH = ROOT / "data" / "synthetic"
PERIOD_END = pd.Timestamp("2024-12-31")


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SYNTH / "truth.json").read_text())


@pytest.fixture(scope="module")
def charts() -> dict[str, pd.DataFrame]:
    from cscbook.data import asat, ingest

    tables = asat.restrict_tables(ingest.read_annex_a([SYNTH / "annex_a"]).tables, PERIOD_END)
    series = front_door.monthly_series(tables, PERIOD_END)
    assert len(series["contacts"]) >= 36
    return front_door.charts(series)


def test_assessment_timeliness_rise_is_special_cause_improvement(charts):
    c = charts["assessment_45wd"]
    after = c.loc["2024-09-01":"2024-12-01"]
    assert (after["special_cause"] & (after["direction"] > 0)).all()
    assert spc.describe_signal(c, higher_is_better=True) == "special cause improvement"


def test_fall_in_referrals_during_2024_is_special_cause(charts, truth):
    # Making Data Count practice for a known change: limits from a baseline before it (the
    # 12 months before the targeted-help change), then read the months after against them.
    values = charts["referrals"]["value"]
    change = pd.Timestamp(truth["referrals_monthly"]["change_date"])  # 2024-02-01
    baseline = (values.index >= change - pd.DateOffset(months=12)) & (values.index < change)
    c = spc.xmr(values, baseline=list(baseline), lower_bound=0)
    after = c.loc[change:]
    low = after["special_cause"] & (after["direction"] < 0)
    # a run of 7 or more months below the pre-change centre line by the period end
    assert low.loc["2024-06-01":].all()
    assert after.loc["2024-06-01":, "run"].all()
    # and at least one month below the lower limit
    assert (after["outside_limits"] & (after["direction"] < 0)).any()
    # nothing low-side special before the change ramps in
    assert not (c.loc[change:"2024-05-01", "special_cause"]).any()


def test_null_series_show_no_special_cause(charts, truth):
    null = [item["name"] for item in truth["null_series"] if item["name"] in front_door.MEASURES]
    assert "s47_icpc_15wd" in null
    # Over 69 stationary months the run and trend rules raise a false alarm somewhere about half
    # the time (simulated), so the test is what a reader acts on: no month outside the limits,
    # and no special cause in the last 12 months (the quarter's reading is common cause).
    for key in null:
        assert key in charts, f"{key} is planted but not measured"
        c = charts[key]
        outside = c[c["outside_limits"]]
        assert outside.empty, f"{key}: outside the limits in {list(outside.index.strftime('%Y-%m'))}"
        recent = c.loc[PERIOD_END - pd.DateOffset(months=11) - pd.offsets.MonthBegin(1) :]
        assert not recent["special_cause"].any(), f"{key}: special cause in the last 12 months"
        start = pd.Timestamp("2024-10-01")
        assert spc.period_signal(c, start, PERIOD_END, higher_is_better=True) == "common cause variation"
