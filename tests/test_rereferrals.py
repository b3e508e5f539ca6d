"""Re-referral definitions on small hand-made fixtures (answers worked out by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from cscbook.measures.involvements import age_band, closed_involvements, model_table
from cscbook.measures.rereferrals import quarter_name, referral_flags, rereferral_rates
from cscbook.methods.survival import kaplan_meier, km_at

T = pd.Timestamp


def _refs(rows: list[tuple]) -> pd.DataFrame:
    """(child_id, referral_date, referrals_last_12m) rows as a List 3 canonical table."""
    df = pd.DataFrame(rows, columns=["child_id", "referral_date", "referrals_last_12m"])
    df["referral_date"] = pd.to_datetime(df["referral_date"])
    df["referrals_last_12m"] = df["referrals_last_12m"].astype("Int64")
    return df


# The extract starts on 2022-01-01 (its first referral). A referral's look-back is complete
# when referral_date - 365 days >= 2022-01-01, i.e. from 2023-01-01 on.
FLAGS_FIXTURE = _refs(
    [
        # A: first referral; look-back incomplete, List 3 count 0 -> not a re-referral.
        ("A", "2022-01-01", 0),
        # A: 2023-03-01 is 424 days after 2022-01-01 -> not a re-referral (any_previous yes).
        ("A", "2023-03-01", 1),
        # A: 2024-02-29 - 2023-03-01 = 365 days (2024 is a leap year) -> re-referral.
        ("A", "2024-02-29", 0),
        # A: 2025-03-01 - 2024-02-29 = 366 days -> not a re-referral.
        ("A", "2025-03-01", 0),
        # B: first in the extract, look-back starts 2021-06-01 < extract start, List 3 says 2
        #    -> re-referral, judged from the List 3 count.
        ("B", "2022-06-01", 2),
        # C: look-back incomplete and List 3 count 0 -> not; then 2023-06-01 is 457 days
        #    later, look-back complete, so the List 3 count of 5 is NOT used -> not.
        ("C", "2022-03-01", 0),
        ("C", "2023-06-01", 5),
        # D: look-back incomplete and no List 3 count -> not a re-referral, count not used.
        ("D", "2022-02-01", None),
        # E: first referral with a complete look-back -> not a re-referral, even if the
        #    List 3 count (wrongly) says 1; a same-day duplicate is one referral.
        ("E", "2023-05-01", 1),
        ("E", "2023-05-01", 1),
        # E: 2023-05-02 is 1 day later -> re-referral.
        ("E", "2023-05-02", 0),
    ]
)


def _flag(flags: pd.DataFrame, child: str, date: str) -> pd.Series:
    row = flags[(flags.child_id == child) & (flags.referral_date == T(date))]
    assert len(row) == 1
    return row.iloc[0]


def test_dfe_definition_365_counts_366_does_not():
    f = referral_flags(FLAGS_FIXTURE)
    assert _flag(f, "A", "2024-02-29").days_since_previous == 365
    assert bool(_flag(f, "A", "2024-02-29").rereferral_12m)
    assert _flag(f, "A", "2025-03-01").days_since_previous == 366
    assert not bool(_flag(f, "A", "2025-03-01").rereferral_12m)
    assert bool(_flag(f, "E", "2023-05-02").rereferral_12m)


def test_first_referral_is_not_a_rereferral():
    f = referral_flags(FLAGS_FIXTURE)
    for child, date in [("A", "2022-01-01"), ("E", "2023-05-01"), ("D", "2022-02-01")]:
        row = _flag(f, child, date)
        assert not bool(row.rereferral_12m)
        assert not bool(row.any_previous)


def test_incomplete_lookback_uses_list3_count():
    f = referral_flags(FLAGS_FIXTURE)
    b = _flag(f, "B", "2022-06-01")
    assert not bool(b.lookback_complete)
    assert bool(b.used_list3_count) and bool(b.rereferral_12m)
    c1 = _flag(f, "C", "2022-03-01")
    assert bool(c1.used_list3_count) and not bool(c1.rereferral_12m)
    # Complete look-back: the List 3 count is not used (C's second, E's first).
    c2 = _flag(f, "C", "2023-06-01")
    assert bool(c2.lookback_complete) and not bool(c2.used_list3_count) and not bool(c2.rereferral_12m)
    assert bool(c2.any_previous)
    assert not bool(_flag(f, "D", "2022-02-01").used_list3_count)
    # 2022-12-31 - 365 = 2021-12-31 < extract start; 2023-01-01 - 365 = 2022-01-01 = start.
    edge = referral_flags(_refs([("X", "2022-01-01", 0), ("Y", "2022-12-31", 0), ("Z", "2023-01-01", 0)]))
    assert edge.set_index("child_id").lookback_complete.to_dict() == {"X": False, "Y": False, "Z": True}


def test_duplicates_dropped_and_period_end_respected():
    f = referral_flags(FLAGS_FIXTURE)
    assert len(f) == len(FLAGS_FIXTURE) - 1  # E's same-day duplicate
    f2 = referral_flags(FLAGS_FIXTURE, period_end=T("2023-12-31"))
    assert f2.referral_date.max() == T("2023-06-01")


def test_rates_by_month_and_quarter():
    f = referral_flags(FLAGS_FIXTURE)
    q = rereferral_rates(f, "quarter").set_index("period")
    # Q1 2023-24 (Apr-Jun 2023): C 2023-06-01 (no), E 2023-05-01 (no), E 2023-05-02 (yes):
    # 1 re-referral of 3 referrals; any previous: C's and E's second = 2 of 3.
    row = q.loc[T("2023-04-01")]
    assert (row.referrals, row.rereferrals_12m, row.any_previous) == (3, 1, 2)
    assert row.rate_12m == pytest.approx(1 / 3)
    # Q4 2021-22 (Jan-Mar 2022): A, D, C first referrals -> 0 of 3; List 3 count used for A and C.
    row = q.loc[T("2022-01-01")]
    assert (row.referrals, row.rereferrals_12m, row.list3_count_used) == (3, 0, 2)
    m = rereferral_rates(f, "month").set_index("period")
    assert m.loc[T("2023-05-01")].referrals == 2 and m.loc[T("2023-05-01")].rereferrals_12m == 1
    assert m.referrals.sum() == len(f)
    assert quarter_name(T("2024-10-01")) == "Q3 2024-25" and quarter_name(T("2025-01-01")) == "Q4 2024-25"


def test_age_band():
    s = pd.Series([0, 4, 5, 9, 10, 15, 16, 17, 18, None], dtype="Int64")
    got = age_band(s).tolist()
    assert got[:8] == ["0-4", "0-4", "5-9", "5-9", "10-15", "10-15", "16-17", "16-17"]
    assert pd.isna(got[8]) and pd.isna(got[9])


# --------------------------------------------------------------------------- involvements


def involvement_tables() -> dict[str, pd.DataFrame]:
    """A fixture with every `ended` category and every exclusion (see the comments)."""
    ref_rows = [
        # child, date, source, nfa, dob
        ("c1", "2022-03-01", "6", "Y", "2015-01-01"),  # NFA; re-referred 2022-09-01 (184 days)
        ("c1", "2022-09-01", "2A", "N", "2015-01-01"),  # opens CIN closed RC8 -> after_assessment
        ("c2", "2022-04-01", "3A", "N", "2012-01-01"),  # CIN closed 2022-06-30 RC9 -> stepped down
        ("c2", "2023-06-30", "6", "Y", "2012-01-01"),  # 365 days after 2022-06-30 -> re-referred
        ("c3", "2022-05-01", "6", "N", "2010-01-01"),  # CIN to 2023-01-31 RC7 + CP plan -> after_cp_plan
        ("c3", "2024-02-01", "6", "Y", "2010-01-01"),  # 366 days after 2023-01-31 -> not re-referred
        ("c4", "2022-05-10", "1A", "N", "2020-01-01"),  # CIN to 2022-12-31 RC7, no CP -> after_cin_plan
        ("c4", "2023-09-01", "6", "Y", "2020-01-01"),  # 244 days after closure
        ("c5", "2022-06-01", "6", "N", "2019-01-01"),  # CIN to 2022-12-01; care from 2022-11-01 -> excluded
        ("c6", "2022-06-01", "6", "N", "2019-01-01"),  # CIN closed RC5 -> excluded
        ("c8", "2022-07-01", "6", "Y", "2016-01-01"),  # NFA with a same-day CIN episode -> counted once
        ("c9", "2022-06-01", "6", "Y", "2005-03-01"),  # aged 17: 18th birthday 2023-03-01 in follow-up
    ]
    refs = pd.DataFrame(ref_rows, columns=["child_id", "referral_date", "referral_source", "referral_nfa",
                                           "date_of_birth"])  # fmt: skip
    refs["referral_date"] = pd.to_datetime(refs["referral_date"])
    refs["date_of_birth"] = pd.to_datetime(refs["date_of_birth"])
    refs["sex"] = pd.Categorical(["F", "F", "M", "M", "F", "F", "M", "M", "F", "M", "F", "M"])
    refs["ethnicity"] = pd.Categorical(["WBRI"] * 12)
    refs["referrals_last_12m"] = pd.Series([0] * 12, dtype="Int64")
    refs["primary_need"] = pd.Series([pd.NA] * 12, dtype="object")
    refs["allocated_team"] = "Team A"
    cin_rows = [
        # child, start, closure, reason, need
        ("c1", "2022-09-01", "2022-10-15", "RC8", "N4"),
        ("c2", "2022-04-01", "2022-06-30", "RC9", "N1"),
        ("c3", "2022-05-01", "2023-01-31", "RC7", "N1"),
        ("c4", "2022-05-10", "2022-12-31", "RC7", "N5"),
        ("c5", "2022-06-01", "2022-12-01", "RC7", "N1"),
        ("c6", "2022-06-01", "2022-08-01", "RC5", "N1"),
        ("c7", "2022-07-01", "2022-09-01", "RC8", "N1"),  # no referral on its start date -> excluded
        ("c8", "2022-07-01", "2022-07-01", "RC8", "N1"),
        ("c1", "2024-01-01", None, None, "N1"),  # still open -> not an involvement
    ]
    cin = pd.DataFrame(cin_rows, columns=["child_id", "cin_start_date", "cin_closure_date", "closure_reason",
                                          "primary_need"])  # fmt: skip
    for c in ("cin_start_date", "cin_closure_date"):
        cin[c] = pd.to_datetime(cin[c])
    cin["closure_reason"] = pd.Categorical(cin["closure_reason"])
    cin["disability"] = pd.Categorical(["Y", "N", "N", "N", "N", "N", "N", "N", "Y"])
    cin["allocated_team"] = "Team B"
    cp = pd.DataFrame({"child_id": ["c3"], "cp_start_date": pd.to_datetime(["2022-07-01"])})
    cla = pd.DataFrame({"child_id": ["c5"], "cla_start_date": pd.to_datetime(["2022-11-01"])})
    return {"referrals": refs, "cin": cin, "cp_plans": cp, "cla": cla}


def _by(inv: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    return {(r.child_id, f"{r.closure:%Y-%m-%d}"): r for r in inv.itertuples()}


def test_involvements_every_ended_category():
    res = closed_involvements(involvement_tables(), T("2024-06-30"))
    inv = _by(res.data)
    assert {k: v.ended for k, v in inv.items()} == {
        ("c1", "2022-03-01"): "nfa_at_referral",
        ("c1", "2022-10-15"): "after_assessment",
        ("c2", "2022-06-30"): "stepped_down_early_help",
        ("c2", "2023-06-30"): "nfa_at_referral",
        ("c3", "2023-01-31"): "after_cp_plan",
        ("c3", "2024-02-01"): "nfa_at_referral",
        ("c4", "2022-12-31"): "after_cin_plan",
        ("c4", "2023-09-01"): "nfa_at_referral",
        ("c8", "2022-07-01"): "nfa_at_referral",
        ("c9", "2022-06-01"): "nfa_at_referral",
    }
    ex = res.excluded
    assert ex["child entered care during the episode"] == 1  # c5
    assert ex["closed: adopted, died, order, transferred (RC1-RC6)"] == 1  # c6
    assert ex["CIN episode with no referral on its start date"] == 1  # c7
    assert ex["CIN episode of an NFA referral (counted once, as NFA)"] == 1  # c8
    assert "child_id" not in res.notes().columns


def test_involvement_outcomes_and_covariates():
    inv = _by(closed_involvements(involvement_tables(), T("2024-06-30")).data)
    # c1 NFA 2022-03-01 -> next referral 2022-09-01: 184 days -> re-referred.
    r = inv[("c1", "2022-03-01")]
    assert (r.next_referral_days, r.rereferred_12m, r.event, r.time) == (184, 1, 1, 184)
    assert r.source == "Police" and r.age_band == "5-9" and r.involvement_days == 0
    # c2 closed 2022-06-30, next 2023-06-30 = 365 days -> re-referred.
    assert inv[("c2", "2022-06-30")].rereferred_12m == 1
    assert inv[("c2", "2022-06-30")].source == "Health"
    # c3 closed 2023-01-31, next 2024-02-01 = 366 days -> not re-referred within 12 months.
    r = inv[("c3", "2023-01-31")]
    assert r.next_referral_days == 366 and r.rereferred_12m == 0 and bool(r.full_followup)
    assert r.involvement_days == (T("2023-01-31") - T("2022-05-01")).days  # 275
    # c1's second involvement: previous referrals in the 365 days before 2022-09-01: one (2022-03-01).
    assert inv[("c1", "2022-10-15")].previous_referrals == 1
    assert inv[("c1", "2022-10-15")].primary_need == "N4"  # from the CIN episode
    assert inv[("c1", "2022-10-15")].disability == "Y"  # recorded on the episode (2022-09-01)
    # c1's NFA of 2022-03-01: disability first recorded later (2022-09-01) -> unknown then (no leak).
    assert inv[("c1", "2022-03-01")].disability == "U"
    # c1 NFA: no List 3 need and no CIN episode -> "Not recorded".
    assert inv[("c1", "2022-03-01")].primary_need == "Not recorded"
    # c9: born 2005-03-01, aged 17 at 2022-06-01; 18th birthday 2023-03-01 is before
    # 2022-06-01 + 365 days -> no full follow-up; censored at the birthday (273 days).
    r = inv[("c9", "2022-06-01")]
    assert r.age_band == "16-17" and not bool(r.full_followup)
    assert (r.event, r.time) == (0, (T("2023-03-01") - T("2022-06-01")).days)


def test_no_look_ahead_two_period_ends():
    tables = involvement_tables()
    early = closed_involvements(tables, T("2023-06-30")).data
    late = closed_involvements(tables, T("2024-06-30")).data
    pe = T("2023-06-30")
    # Nothing closed after the early period end, no follow-up beyond it.
    assert (early.closure <= pe).all()
    assert (early.closure + pd.to_timedelta(early.time, unit="D") <= pe).all()
    # c4 (closed 2022-12-31) is re-referred on 2023-09-01, after the early period end:
    # the early build must not know it (censored at 181 days, no event, no full follow-up).
    r = _by(early)[("c4", "2022-12-31")]
    assert (r.event, r.rereferred_12m, r.time, bool(r.full_followup)) == (0, 0, 181, False)
    assert pd.isna(r.next_referral_days)
    assert _by(late)[("c4", "2022-12-31")].rereferred_12m == 1
    # The model tables: every early involvement with full follow-up has the same outcome later.
    m_early, m_late = model_table(early), model_table(late)
    assert (m_early.closure + pd.Timedelta(days=365) <= pe).all()
    merged = m_early.merge(m_late, on=["child_id", "closure", "ended"], suffixes=("_e", "_l"))
    assert len(merged) == len(m_early) > 0
    assert (merged.rereferred_12m_e == merged.rereferred_12m_l).all()
    # c2's re-referral on 2023-06-30 (= the early period end) is known early.
    assert _by(early)[("c2", "2022-06-30")].rereferred_12m == 1


def test_kaplan_meier_by_group():
    inv = closed_involvements(involvement_tables(), T("2024-06-30")).data
    km = kaplan_meier(inv)
    nfa = km[km.group == "nfa_at_referral"].reset_index(drop=True)
    # NFA involvements: 6; c1's event at day 184 is the only event within a year among them
    # (c2 2023-06-30, c3 2024-02-01, c4 2023-09-01 and c8, c9 have no later referral).
    # c3's NFA of 2024-02-01 is censored at the period end after 150 days, so at day 184
    # five are at risk (c9 is censored later, at 273): S = 4/5.
    assert nfa.loc[0, "time"] == 0 and nfa.loc[0, "survival"] == 1
    row = nfa[nfa.time == 184].iloc[0]
    assert row.n_at_risk == 5 and row.survival == pytest.approx(4 / 5)
    assert (nfa.ci_low <= nfa.survival + 1e-12).all() and (nfa.ci_high >= nfa.survival - 1e-12).all()
    s = km_at(km, (100, 200)).set_index("group")
    assert s.loc["nfa_at_referral", "by day 100"] == 0
    assert s.loc["nfa_at_referral", "by day 200"] == pytest.approx(1 / 5)
