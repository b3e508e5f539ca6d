"""Children in care: stock, flows, stability and care leavers on hand-made episodes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.measures.care_leavers import care_leaver_outcomes
from cscbook.measures.cic_breakdowns import age_band, snapshot, suppress_breakdown
from cscbook.measures.cic_episodes import (
    episodes_from_list8,
    periods_of_care,
    placement_location,
    prepare_episodes,
)
from cscbook.measures.cic_flows import add_rates, in_care_on, monthly_flows, stock_identity_breaks
from cscbook.measures.cic_leaving import km_by_entry_year, reasons_ceased, time_in_care
from cscbook.measures.cic_stability import placements, stability_on

T = pd.Timestamp


def _episodes(rows):
    cols = [
        "child_id",
        "episode_start",
        "episode_end",
        "reason_new_episode",
        "legal_status",
        "placement_type",
        "placement_provider",
        "reason_episode_ceased",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["episode_start"] = pd.to_datetime(df["episode_start"])
    df["episode_end"] = pd.to_datetime(df["episode_end"])
    return df


# A: leaves and returns; B: same-day X1 changes; C: episode spanning the period end;
# D: ceases on a month end; E: open throughout.
FLOW_EPISODES = _episodes(
    [
        ("A", "2023-01-10", "2023-02-15", "S", "V2", "U6", "PR1", "X1"),
        ("A", "2023-02-15", "2023-04-20", "P", "V2", "U4", "PR4", "E4A"),
        ("A", "2023-05-05", None, "S", "C1", "U6", "PR1", None),
        ("B", "2022-11-01", "2023-03-01", "S", "C1", "U6", "PR1", "X1"),
        ("B", "2023-03-01", "2023-03-01", "L", "C2", "U6", "PR1", "X1"),
        ("B", "2023-03-01", None, "P", "C2", "K2", "PR4", None),
        ("C", "2023-06-10", "2023-08-01", "S", "V2", "U6", "PR1", "E11"),
        ("D", "2022-06-01", "2023-01-31", "S", "C2", "A5", "PR1", "E11"),
        ("E", "2020-01-01", None, "S", "C2", "U4", "PR1", None),
    ]
)
PERIOD_END = T("2023-06-30")


def _flows(eps=FLOW_EPISODES, end=PERIOD_END):
    e = prepare_episodes(eps, as_of=end)
    return monthly_flows(e, end)


def test_stock_starts_ceases_by_hand():
    f = _flows()
    # Coverage starts in the month of the earliest end date (D, 31 Jan 2023).
    assert list(f["month"]) == list(pd.date_range("2023-01-01", "2023-06-01", freq="MS"))
    # Jan 31: A, B, E (D ended 31 Jan so not in care that day) = 3; Feb: A, B, E = 3;
    # Mar: A, B, E = 3; Apr: A left 20 Apr -> B, E = 2; May: A back, B, E = 3;
    # Jun: A, B, C (ends 1 Aug, after the period end: open), E = 4.
    assert list(f["in_care"]) == [3, 3, 3, 2, 3, 4]
    # Starts: A Jan (S); A's P episode continues (previous ended the same day); A May (S); C Jun.
    assert list(f["starts"]) == [1, 0, 0, 0, 1, 1]
    # Ceases: D Jan (E11), A Apr (E4A); X1 ends are not ceases; C's cease is after the period end.
    assert list(f["ceases"]) == [1, 0, 0, 1, 0, 0]
    assert stock_identity_breaks(f).empty


def test_same_day_x1_changes_keep_child_in_care():
    e = prepare_episodes(FLOW_EPISODES, as_of=PERIOD_END)
    # On 1 March B's episodes end and restart the same day: still one child in care.
    assert in_care_on(e.loc[e.child_id == "B"], [T("2023-03-01")]).iloc[0] == 1
    # Counted once per child even with two episodes touching the date.
    assert in_care_on(e, [T("2023-03-01")]).iloc[0] == 3


def test_no_look_ahead():
    # Run at 31 May: C's episode (starts 10 June) does not exist yet; A's return counted.
    f = _flows(end=T("2023-05-31"))
    assert list(f["in_care"]) == [3, 3, 3, 2, 3]
    assert f["starts"].sum() == 2


def test_identity_break_is_reported():
    # F's episode ends with X1 on 10 March and no episode follows: the stock drops but no
    # cease is counted. March: expected 3 + 1 (F in care at end of Feb) = 4 + 0 - 0 = 4, observed 3.
    extra = _episodes([("F", "2022-12-01", "2023-03-10", "S", "V2", "U6", "PR1", "X1")])
    f = _flows(pd.concat([FLOW_EPISODES, extra], ignore_index=True))
    breaks = stock_identity_breaks(f)
    assert list(breaks.columns) == ["month", "expected", "observed", "difference"]
    assert len(breaks) == 1
    row = breaks.iloc[0]
    assert row["month"] == T("2023-03-01")
    assert (row["expected"], row["observed"], row["difference"]) == (4, 3, -1)


def test_rates_per_10k():
    f = add_rates(_flows(), population=20_000)
    # 4 children / 20,000 x 10,000 = 2.0
    assert f["rate_per_10k"].iloc[-1] == pytest.approx(2.0)


def test_list8_gives_same_counts_per_period():
    cla = pd.DataFrame(
        {
            "child_id": ["A", "A", "B", "C", "D", "E"],
            "cla_start_date": pd.to_datetime(
                ["2023-01-10", "2023-05-05", "2022-11-01", "2023-06-10", "2022-06-01", "2020-01-01"]
            ),
            "cla_end_date": pd.to_datetime(["2023-04-20", None, None, "2023-08-01", "2023-01-31", None]),
            "reason_ceased": ["E4A", None, None, "E11", "E11", None],
            "legal_status": ["V2", "C1", "C2", "V2", "C2", "C2"],
            "placement_type": ["U4", "U6", "K2", "U6", "A5", "U4"],
            "placement_location": ["IN", "IN", "OUT", "IN", "IN", None],
            "uasc": ["N", "N", "Y", "N", "N", "N"],
            "date_of_birth": pd.to_datetime(["2010-01-01"] * 6),
        }
    )
    e = episodes_from_list8(cla, as_of=PERIOD_END)
    f = monthly_flows(e, PERIOD_END)
    assert list(f["in_care"]) == [3, 3, 3, 2, 3, 4]
    assert list(f["starts"]) == [1, 0, 0, 0, 1, 1]
    assert list(f["ceases"]) == [1, 0, 0, 1, 0, 0]
    snap = snapshot(e, PERIOD_END)
    # In care 30 June: A (IN), B (OUT), C (IN), E (not known).
    assert snap["location"].value_counts().to_dict() == {
        "Close to home": 2,
        "Away from the home area": 1,
        "Not known": 1,
    }
    assert "child_id" not in snap


def test_postcode_location_rule():
    home = pd.Series(["LS12 3AB", "M1 1AA", None, "ls6 2xx"])
    place = pd.Series(["LS1 4DY", "WA1 1AA", "M1 1AA", "LS27 0QQ"])
    assert list(placement_location(home, place).fillna("NA")) == ["IN", "OUT", "NA", "IN"]


def test_age_bands():
    dob = pd.to_datetime(pd.Series(["2024-01-01", "2023-03-31", "2023-04-01", "2008-04-01", "2006-04-02"]))
    # On 31 March 2024: 0, 1 (birthday that day), 0 (turns 1 tomorrow), 15, 17.
    assert list(age_band(dob, T("2024-03-31"))) == ["Under 1", "1-4", "Under 1", "10-15", "16-17"]


def test_suppression_primary_and_secondary():
    df = pd.DataFrame(
        {"category": list("abcd"), "children": [50, 3, 8, 0], "percent": [82.0, 5.0, 13.0, 0.0]}
    )
    out = suppress_breakdown(df, "children", None, 5)
    # 3 is suppressed; then the next smallest non-zero (8) too; 0 is not disclosive.
    assert out["children"].isna().tolist() == [False, True, True, False]
    assert out["percent"].isna().tolist() == [False, True, True, False]


# Stability on 31 March 2024 (year 1 April 2023 - 31 March 2024).
STAB = _episodes(
    [
        # P: one placement since 2020 (the L episode continues it): long-term stable.
        ("P", "2020-06-01", "2021-01-01", "S", "C1", "U4", "PR1", "X1"),
        ("P", "2021-01-01", None, "L", "C2", "U4", "PR1", None),
        # Q: 4 placements overlapping the year; current one since Dec 2023.
        ("Q", "2021-01-01", "2023-05-01", "S", "C2", "U6", "PR1", "X1"),
        ("Q", "2023-05-01", "2023-08-01", "P", "C2", "U4", "PR4", "X1"),
        ("Q", "2023-08-01", "2023-12-01", "B", "C2", "K2", "PR4", "X1"),
        ("Q", "2023-12-01", None, "T", "C2", "U4", "PR1", None),
        # R: aged 17, not in the long-term measure.
        ("R", "2019-01-01", None, "S", "C2", "U4", "PR1", None),
        # S: in care since 2023 only.
        ("S", "2023-01-01", None, "S", "V2", "U6", "PR1", None),
        # T: left before 31 March.
        ("T", "2022-01-01", "2024-02-01", "S", "C2", "U4", "PR1", "E4A"),
        # U: fostered from June 2021, placed for adoption with the same carer in 2023.
        ("U", "2021-06-01", "2023-01-01", "S", "C2", "U4", "PR1", "X1"),
        ("U", "2023-01-01", None, "T", "E1", "A5", "PR1", None),
        # V: short breaks (V3): excluded from stability.
        ("V", "2023-06-01", None, "S", "V3", "U6", "PR1", None),
    ]
)
STAB_HEADER = pd.DataFrame(
    {
        "child_id": list("PQRSTUV"),
        "date_of_birth": pd.to_datetime(
            ["2012-01-01", "2010-05-01", "2007-01-01", "2015-01-01", "2016-01-01", "2019-01-01", "2012-01-01"]
        ),
        "sex": list("MFMFMFM"),
    }
)


def test_stability_by_hand():
    e = prepare_episodes(STAB, STAB_HEADER)
    res = stability_on(e, T("2024-03-31"))
    # In care 31 March (V excluded as short breaks, T left): P, Q, R, S, U = 5.
    assert res["in_care"] == 5
    # 3+ placements in the year: Q only (4 placements overlap the year) -> 1/5 = 20%.
    assert res["three_plus_placements"] == 1
    assert res["three_plus_pct"] == pytest.approx(20.0)
    # Under 16 and in care since 30 Sep 2021 or earlier: P, Q, U = 3; same placement since
    # 31 Mar 2022 or earlier: P (L continues), U (adoptive placement counts from June 2021) = 2.
    assert res["long_term_eligible"] == 3
    assert res["same_placement_2y"] == 2
    assert res["same_placement_2y_pct"] == pytest.approx(66.7)


def test_placements_count_l_as_continuation():
    e = prepare_episodes(STAB, STAB_HEADER)
    pl = placements(e, T("2024-03-31"))
    # P 1, Q 4, R 1, S 1, T 1, U 2, V 1 = 11 placements.
    assert len(pl) == 11
    assert pl.groupby("child_id").size().to_dict() == {"P": 1, "Q": 4, "R": 1, "S": 1, "T": 1, "U": 2, "V": 1}


def test_periods_and_km():
    e = prepare_episodes(FLOW_EPISODES, as_of=PERIOD_END)
    p = periods_of_care(e, PERIOD_END)
    # A has two periods; B one (three episodes); C, D, E one each = 6.
    assert len(p) == 6
    tic = time_in_care(e, PERIOD_END, T("2023-01-01"))
    # Periods starting 2023: A1 (10 Jan-20 Apr, left), A2 (5 May, open), C (10 Jun, open).
    assert len(tic) == 3 and tic["left"].sum() == 1
    summary, curves = km_by_entry_year(tic)
    # Entry years: A1 (Jan 2023) in 2022-23; A2 (May) and C (June) in 2023-24.
    assert summary["entry_year"].tolist() == ["2022-23", "2023-24"]
    assert summary["entries"].tolist() == [1, 2]
    # A1 lasted 10 Jan - 20 Apr = 100 days = 3.29 months, then survival 0 -> median 3.3 months.
    assert summary.iloc[0]["median_months"] == pytest.approx(3.3)
    # 2023-24: nobody has left: median not reached, still in care at 6 months beyond follow-up.
    assert np.isnan(summary.iloc[1]["median_months"])
    assert np.isnan(summary.iloc[1]["still_in_care_6m"])
    assert curves["2023-24"]["still_in_care"].min() == 1.0


def test_care_leavers():
    cl = pd.DataFrame(
        {
            "date_of_birth": pd.to_datetime(
                [
                    "2004-06-01",
                    "2004-06-01",
                    "2003-01-01",
                    "2005-01-01",
                    "2002-06-01",
                    "2006-09-01",
                    "2001-01-01",
                ]
            ),
            "in_touch": ["YES", "YES", "NO", "YES", "YES", "YES", "YES"],
            "activity": ["F1", "G5", "F2", "P2", "F3", "F5", "F1"],
            "accommodation_suitability": [
                "SUITABLE",
                "UNSUITABLE",
                "SUITABLE",
                "SUITABLE",
                "SUITABLE",
                None,
                "SUITABLE",
            ],
        }
    )
    t = care_leaver_outcomes(cl, T("2024-12-31")).set_index("age_group")
    # Ages on 31 Dec 2024: 20, 20, 21, 19, 22 (out), 18, 23 (out).
    # 19-21: 4 care leavers, 3 in touch (one NO); EET and in touch: F1, P2 (G5 not) = 2.
    # DfE basis: 2 of all 4 = 50%; of those in touch: 2 of 3 = 66.7%.
    assert t.loc["19-21", "care_leavers"] == 4
    assert t.loc["19-21", "in_touch"] == 3
    assert t.loc["19-21", "eet"] == 2
    assert t.loc["19-21", "eet_pct"] == pytest.approx(50.0)
    assert t.loc["19-21", "eet_pct_in_touch"] == pytest.approx(66.7)
    # Suitable among in touch: SUITABLE, SUITABLE (2 of 3).
    assert t.loc["19-21", "suitable"] == 2
    # 17-18: one, in touch, F5 (EET), suitability missing.
    assert t.loc["17-18", "eet"] == 1 and t.loc["17-18", "suitable"] == 0
    assert not np.isnan(t.loc["19-21", "england_eet_pct"])


def test_care_leavers_legacy_training_codes_count_as_eet():
    # Three care leavers aged 20, in touch: F3 (legacy full-time training or employment), P3
    # (legacy part-time), G5 (NEET): 2 of 3 in EET.
    cl = pd.DataFrame(
        {
            "date_of_birth": pd.to_datetime(["2004-06-01"] * 3),
            "in_touch": ["YES"] * 3,
            "activity": ["F3", "P3", "G5"],
            "accommodation_suitability": ["SUITABLE"] * 3,
        }
    )
    t = care_leaver_outcomes(cl, T("2024-12-31")).set_index("age_group")
    assert t.loc["19-21", "eet"] == 2


def test_reasons_ceased_groups():
    e = prepare_episodes(FLOW_EPISODES, as_of=PERIOD_END)
    t = reasons_ceased(e, PERIOD_END, T("2023-01-01"), min_cell=0)
    last12 = t.loc[t.period.str.startswith("12 months")].set_index("reason")["children"]
    # D adopted (E11, Jan 2023), A returned home (E4A, Apr 2023).
    assert last12["Adopted"] == 1 and last12["Returned home"] == 1
    assert last12.sum() == 2
