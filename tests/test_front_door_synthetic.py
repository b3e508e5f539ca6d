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

from cscbook import front_door, spc

ROOT = Path(__file__).resolve().parents[1]
SYNTH = ROOT / "data" / "synthetic"
PERIOD_END = pd.Timestamp("2024-12-31")

pytestmark = pytest.mark.skipif(
    not (SYNTH / "truth.json").exists() or not (SYNTH / "annex_a").exists(),
    reason="the synthetic example extract (data/synthetic/annex_a, truth.json) has not been generated yet",
)


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SYNTH / "truth.json").read_text())


@pytest.fixture(scope="module")
def charts() -> dict[str, pd.DataFrame]:
    from cscbook import asat, ingest

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
    c = charts["referrals"]
    change = pd.Timestamp(truth["referrals_monthly"]["change_date"])  # 2024-02-01
    in_2024 = c.loc["2024-01-01":"2024-12-01"]
    falling = in_2024["trend"] & (spc.trend_direction(c["value"].to_numpy())[c.index >= "2024-01-01"] < 0)
    # the fall after the change is a special-cause falling trend (six or more months in a row)
    assert falling.sum() >= 6
    assert falling[falling].index.max() > change
    # and the latest quarter sits below the long-run average
    assert (c.loc["2024-10-01":"2024-12-01", "value"] < c.loc["2024-10-01":"2024-12-01", "centre"]).all()


def test_null_series_show_no_special_cause(charts, truth):
    null = [item["name"] for item in truth["null_series"] if item["name"] in front_door.MEASURES]
    assert "s47_icpc_15wd" in null
    for key in null:
        assert key in charts, f"{key} is planted but not measured"
        flagged = charts[key][charts[key]["special_cause"]]
        assert flagged.empty, f"{key}: special cause in {list(flagged.index.strftime('%Y-%m'))}"
