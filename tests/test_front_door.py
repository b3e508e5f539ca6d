"""Front-door measures on a small hand-made authority; answers worked out by hand in the comments.

2024 bank holidays used below: Good Friday 29 March, Easter Monday 1 April, Early May 6 May,
Spring 27 May.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.measures import front_door, funnel
from cscbook.methods import spc
from cscbook.report import fd_trends

T = pd.Timestamp
PERIOD_END = T("2024-06-30")


def _frame(rows: list[dict], dates: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in dates:
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    return df


def make_tables() -> dict[str, pd.DataFrame]:
    contacts = _frame(
        [
            # A: two contacts on 2 Jan (sources 6 and 2A) plus an exact repeat of the first (dropped)
            {
                "child_id": "A",
                "contact_date": "2024-01-02",
                "contact_source": "6",
                "contact_decision_date": "2024-01-03",
            },
            {
                "child_id": "A",
                "contact_date": "2024-01-02",
                "contact_source": "6",
                "contact_decision_date": "2024-01-03",
            },
            {
                "child_id": "A",
                "contact_date": "2024-01-02",
                "contact_source": "2A",
                "contact_decision_date": "2024-01-05",
            },
            {
                "child_id": "B",
                "contact_date": "2024-01-15",
                "contact_source": "3A",
                "contact_decision_date": None,
            },
            {
                "child_id": "C",
                "contact_date": "2024-02-01",
                "contact_source": "6",
                "contact_decision_date": "2024-02-02",
            },
            # H: Thursday before Easter, decided on the Tuesday after: 1 working day (28 Mar; 29 Mar, 1 Apr holidays)
            {
                "child_id": "H",
                "contact_date": "2024-03-28",
                "contact_source": "8",
                "contact_decision_date": "2024-04-02",
            },
        ],
        ["contact_date", "contact_decision_date"],
    )
    referrals = _frame(
        [
            {
                "child_id": "A",
                "referral_date": "2024-01-20",
                "referral_source": "6",
                "referral_nfa": "N",
            },  # 18 days
            {
                "child_id": "B",
                "referral_date": "2024-02-20",
                "referral_source": "3A",
                "referral_nfa": "Y",
            },  # 36 days
            {
                "child_id": "C",
                "referral_date": "2024-02-01",
                "referral_source": "6",
                "referral_nfa": "N",
            },  # same day
            {"child_id": "D", "referral_date": "2024-03-05", "referral_source": "2A", "referral_nfa": "N"},
        ],
        ["referral_date"],
    )
    assessments = _frame(
        [
            # A: Mon 22 Jan -> Mon 25 Mar = 9 weeks = 45 wd (in time); from referral Sat 20 Jan also 45 wd
            {
                "child_id": "A",
                "assessment_start_date": "2024-01-22",
                "assessment_authorised_date": "2024-03-25",
            },
            # C: same day = 0 wd; referral the same day: 0 wd
            {
                "child_id": "C",
                "assessment_start_date": "2024-02-01",
                "assessment_authorised_date": "2024-02-01",
            },
            # D: Mon 25 Mar -> Fri 31 May: 49 weekdays less 4 bank holidays = 45 wd (in time; 49 without holidays)
            #    from referral Tue 5 Mar: 63 weekdays less 4 holidays = 59 wd (late)
            {
                "child_id": "D",
                "assessment_start_date": "2024-03-25",
                "assessment_authorised_date": "2024-05-31",
            },
            # E: Tue 2 Jan -> Thu 28 Mar: Tue 2 Jan to Tue 26 Mar is 12 weeks = 60, plus 26 and 27 Mar = 62 wd
            #    (no holidays before 29 Mar; late); no referral
            {
                "child_id": "E",
                "assessment_start_date": "2024-01-02",
                "assessment_authorised_date": "2024-03-28",
            },
            # X: authorised before it started: left out
            {
                "child_id": "X",
                "assessment_start_date": "2024-04-01",
                "assessment_authorised_date": "2024-03-30",
            },
        ],
        ["assessment_start_date", "assessment_authorised_date"],
    )
    s47 = _frame(
        [
            # A: Mon 25 Mar -> Wed 17 Apr: 17 weekdays less 2 holidays = 15 wd (in time)
            {
                "child_id": "A",
                "s47_start_date": "2024-03-25",
                "icpc_date": "2024-04-17",
                "icpc_unnecessary": "N",
                "icpc_resulted_in_plan": "Y",
            },
            # B: Tue 2 Apr -> Wed 24 Apr: 16 wd (late)
            {
                "child_id": "B",
                "s47_start_date": "2024-04-02",
                "icpc_date": "2024-04-24",
                "icpc_unnecessary": "N",
                "icpc_resulted_in_plan": "Y",
            },
            # C: ICPC dated before the s47 start: excluded
            {
                "child_id": "C",
                "s47_start_date": "2024-05-10",
                "icpc_date": "2024-05-09",
                "icpc_unnecessary": "N",
                "icpc_resulted_in_plan": "N",
            },
            # D: ICPC deemed unnecessary
            {
                "child_id": "D",
                "s47_start_date": "2024-05-13",
                "icpc_date": None,
                "icpc_unnecessary": "Y",
                "icpc_resulted_in_plan": None,
            },
            # G: same day: 0 wd
            {
                "child_id": "G",
                "s47_start_date": "2024-06-03",
                "icpc_date": "2024-06-03",
                "icpc_unnecessary": "N",
                "icpc_resulted_in_plan": "N",
            },
            # K: still pending (no ICPC, not deemed unnecessary)
            {
                "child_id": "K",
                "s47_start_date": "2024-06-20",
                "icpc_date": None,
                "icpc_unnecessary": None,
                "icpc_resulted_in_plan": None,
            },
        ],
        ["s47_start_date", "icpc_date"],
    )
    cp = _frame(
        [
            {"child_id": "A", "cp_start_date": "2024-04-17", "cp_end_date": None, "previous_cp_plans": 0},
            {
                "child_id": "B",
                "cp_start_date": "2024-04-25",
                "cp_end_date": "2024-05-31",
                "previous_cp_plans": 2,
            },
            {
                "child_id": "F",
                "cp_start_date": "2023-11-01",
                "cp_end_date": "2024-02-29",
                "previous_cp_plans": 1,
            },
            {"child_id": "G", "cp_start_date": "2024-06-03", "cp_end_date": None, "previous_cp_plans": None},
        ],
        ["cp_start_date", "cp_end_date"],
    )
    cp["previous_cp_plans"] = cp["previous_cp_plans"].astype("Int64")
    eh = _frame(
        [
            {"child_id": "A", "eh_start_date": "2024-04-03", "eh_completion_date": "2024-05-01"},
            {"child_id": "B", "eh_start_date": "2024-03-03", "eh_completion_date": None},
            {"child_id": "C", "eh_start_date": "2024-05-03", "eh_completion_date": "2024-07-01"},
        ],
        ["eh_start_date", "eh_completion_date"],
    )
    for df, cols in [
        (contacts, ["contact_source"]),
        (referrals, ["referral_source", "referral_nfa"]),
        (s47, ["icpc_unnecessary", "icpc_resulted_in_plan"]),
    ]:
        for c in cols:
            df[c] = df[c].astype("category")
    return {
        "contacts": contacts,
        "referrals": referrals,
        "assessments": assessments,
        "s47": s47,
        "cp_plans": cp,
        "early_help": eh,
    }


@pytest.fixture
def series():
    # no lead-in, so that every month of the six-month fixture is shown
    return front_door.monthly_series(make_tables(), PERIOD_END, lead_in_months=0)


def test_lead_in_months_drop_early_completion_months():
    out = front_door.monthly_series(make_tables(), PERIOD_END)  # default lead-in of 4 months: from May
    assert out["assessment_45wd"]["month"].tolist() == [T("2024-05-01"), T("2024-06-01")]
    assert out["s47_icpc_15wd"]["month"].min() == T("2024-05-01")
    assert len(out["contacts"]) == 6


def col(frame: pd.DataFrame, name: str) -> list:
    return frame[name].tolist()


def test_months_cover_extract(series):
    assert col(series["contacts"], "month") == list(pd.date_range("2024-01-01", "2024-06-01", freq="MS"))


def test_contact_and_referral_counts(series):
    # contacts after deduplication: Jan A(6), A(2A), B = 3; Feb C = 1; Mar H = 1
    assert col(series["contacts"], "value") == [3, 1, 1, 0, 0, 0]
    # referrals: Jan A; Feb B, C; Mar D
    assert col(series["referrals"], "value") == [1, 2, 1, 0, 0, 0]


def test_contact_to_referral_within_30_days(series):
    s = series["contact_referral_30d"]
    # Jan: A's two contacts referred (18 days), B not (36 days) -> 2/3; Feb: C same day -> 1/1; Mar: H none -> 0/1
    assert col(s, "numerator") == [2, 1, 0, 0, 0, 0]
    assert col(s, "denominator") == [3, 1, 1, 0, 0, 0]
    assert np.isnan(s["value"].iloc[3])


def test_contact_decision_within_one_working_day(series):
    s = series["contact_decision_1wd"]
    # Jan: A(6) 1 wd yes; A(2A) Tue->Fri 3 wd no; B undecided no -> 1/3; Feb C 1/1; Mar H over Easter 1 wd 1/1
    assert col(s, "numerator")[:3] == [1, 1, 1]
    assert col(s, "denominator")[:3] == [3, 1, 1]


def test_decision_measure_absent_without_decision_dates():
    tables = make_tables()
    tables["contacts"] = tables["contacts"].assign(contact_decision_date=pd.NaT)
    out = front_door.monthly_series(tables, PERIOD_END, lead_in_months=0)
    assert "contact_decision_1wd" not in out


def test_working_days_across_bank_holidays():
    a = front_door.assessment_timeliness(make_tables()["assessments"], make_tables()["referrals"])
    # the book's count (same day = 0): the hand counts in make_tables
    book = dict(zip(a["child_id"], a["wd_start_book"].tolist(), strict=True))
    assert book == {"A": 45, "C": 0, "D": 45, "E": 62}
    ref = dict(zip(a["child_id"], a["wd_referral_book"].tolist(), strict=True))
    assert ref["A"] == 45 and ref["C"] == 0 and ref["D"] == 59 and ref["E"] is pd.NA
    # DfE's count (start day counted): every start and end here is a working day, so one more;
    # A's referral on Sat 20 Jan is not a working day, so its DfE count from the referral equals the
    # count from Mon 22 Jan = 46
    dfe = dict(zip(a["child_id"], a["wd_start"].tolist(), strict=True))
    assert dfe == {"A": 46, "C": 1, "D": 46, "E": 63}
    ref = dict(zip(a["child_id"], a["wd_referral"].tolist(), strict=True))
    assert ref["A"] == 46 and ref["C"] == 1 and ref["D"] == 60 and ref["E"] is pd.NA


def test_assessment_timeliness_by_month_of_authorisation(series):
    s = series["assessment_45wd"]
    # DfE's count: Feb C 1 wd in time 1/1; Mar A 46 late, E 63 late 0/2; May D 46 late 0/1 (X excluded)
    assert col(s, "numerator") == [0, 1, 0, 0, 0, 0]
    assert col(s, "denominator") == [0, 1, 2, 0, 1, 0]
    r = series["assessment_45wd_from_referral"]
    # E has no referral; from the referral A 46, C 1, D 60
    assert col(r, "numerator") == [0, 1, 0, 0, 0, 0]
    assert col(r, "denominator") == [0, 1, 1, 0, 1, 0]


def test_assessment_timeliness_on_the_books_count():
    book = front_door.monthly_series(make_tables(), PERIOD_END, lead_in_months=0, working_days="book")
    # the book's count: Feb C 0 in time; Mar A 45 in time, E 62 late -> 1/2; May D 45 in time
    assert col(book["assessment_45wd"], "numerator") == [0, 1, 1, 0, 1, 0]
    assert col(book["assessment_45wd_from_referral"], "numerator") == [0, 1, 1, 0, 0, 0]
    assert col(book["s47_icpc_15wd"], "numerator") == [0, 0, 0, 1, 0, 1]
    with pytest.raises(ValueError, match="working_days"):
        front_door.monthly_series(make_tables(), PERIOD_END, working_days="calendar")


def test_s47_to_icpc_within_15_working_days(series):
    s = series["s47_icpc_15wd"]
    # by month of ICPC, DfE's count: Apr A 16 wd (15 on the book's count) late, B 17 late -> 0/2;
    # C (ICPC before start) excluded; Jun G same day = 1 wd -> 1/1
    assert col(s, "numerator") == [0, 0, 0, 0, 0, 1]
    assert col(s, "denominator") == [0, 0, 0, 2, 0, 1]
    i = front_door.icpc_timeliness(make_tables()["s47"])
    assert dict(zip(i["child_id"], i["wd_icpc"], strict=True)) == {"A": 16, "B": 17, "G": 1}
    assert dict(zip(i["child_id"], i["wd_icpc_book"], strict=True)) == {"A": 15, "B": 16, "G": 0}
    assert col(series["s47"], "value") == [0, 0, 1, 1, 2, 2]
    assert col(series["icpc"], "value") == [0, 0, 0, 2, 0, 1]


def test_timeliness_by_convention_side_by_side():
    t = front_door.timeliness_by_convention(make_tables(), T("2024-01-01"), T("2024-06-30")).set_index("key")
    # assessments authorised Jan-Jun: A, C, D, E. DfE: only C in time (1/4); book: A, C, D (3/4)
    assert t.loc["assessment_45wd", ["denominator", "within_dfe", "within_book"]].tolist() == [4, 1, 3]
    assert t.loc["assessment_45wd", "rate_dfe"] == 0.25 and t.loc["assessment_45wd", "rate_book"] == 0.75
    # ICPCs Jan-Jun: A, B, G. DfE: G (1/3); book: A, G (2/3)
    assert t.loc["s47_icpc_15wd", ["denominator", "within_dfe", "within_book"]].tolist() == [3, 1, 2]


def test_second_cp_plans_and_open_plans(series):
    s = series["second_cp_plan"]
    # Apr: A (0 previous), B (2) -> 1/2; Jun: G previous unknown -> excluded
    assert col(s, "numerator") == [0, 0, 0, 1, 0, 0]
    assert col(s, "denominator") == [0, 0, 0, 2, 0, 0]
    # open at month end: Jan F; Feb F ended 29 Feb (not open); Mar none; Apr A,B; May B ended 31 May -> A; Jun A,G
    assert col(series["cp_plans_open"], "value") == [1, 0, 0, 2, 1, 2]


def test_no_look_ahead_for_recent_contacts():
    tables = make_tables()
    # period end 31 Jan: A's contacts on 2 Jan have windows closing 1 Feb (> 31 Jan): not counted yet
    out = front_door.monthly_series(tables, T("2024-01-31"))
    assert col(out["contact_referral_30d"], "denominator") == [0]


# ----------------------------------------------------------------------------- funnel
def test_funnel_quarter_by_hand():
    tables = make_tables()
    start, end = funnel.period_bounds(T("2024-03-31"))
    assert (start, end) == (T("2024-01-01"), T("2024-03-31"))
    f = funnel.funnel(tables, start, end, PERIOD_END).set_index("stage")
    # contacts 5; referrals 4; assessments started Jan-Mar: A, C, D, E = 4; s47 started: A = 1; ICPCs held: 0
    assert f["count"].tolist() == [5, 4, 4, 1, 0, 0]
    # contacts -> referral 3/5 (A, A, C); referrals -> assessment: A, C, D linked (B not) = 3/4
    assert f.loc["Referrals", ["numerator", "denominator"]].tolist() == [3, 5]
    assert f.loc["Assessments", ["numerator", "denominator"]].tolist() == [3, 4]
    # Wilson 95% for 3/4: centre (3 + 1.92)/(4 + 3.84) ... check against the formula
    z = 1.959964
    p, n = 0.75, 4
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert f.loc["Assessments", "ci_low"] == pytest.approx(centre - half, abs=1e-5)
    assert f.loc["Assessments", "ci_high"] == pytest.approx(centre + half, abs=1e-5)


def test_funnel_s47_icpc_plan_conversions():
    tables = make_tables()
    f = funnel.funnel(tables, T("2024-04-01"), T("2024-06-30"), PERIOD_END).set_index("stage")
    # s47 started Apr-Jun: B, C, D, G, K = 5. Ended: B (ICPC), D (unnecessary), G (ICPC); C's ICPC is before
    # its start (not an ICPC), K pending -> with ICPC 2 of 3 ended
    assert f.loc["Section 47 enquiries", "count"] == 5
    assert f.loc["Initial child protection conferences", ["numerator", "denominator"]].tolist() == [2, 3]
    # ICPCs held Apr-Jun: A (plan Y), B (Y), G (N) -> 3 held, 2/3 resulted in a plan; CP plans started: A, B, G
    assert f.loc["Initial child protection conferences", "count"] == 3
    assert f.loc["Child protection plans", ["count", "numerator", "denominator"]].tolist() == [3, 2, 3]


def test_by_source_and_nfa():
    tables = make_tables()
    out = funnel.by_source(tables, T("2024-01-01"), T("2024-03-31"), PERIOD_END).set_index("source_group")
    # contacts: Police A(6), C(6) = 2, both referred; Schools A(2A) 1 referred; Health B 0 of 1; Other H 0 of 1
    assert out.loc["Police", "contacts"] == 2 and out.loc["Police", "contact_referral_rate"] == 1.0
    assert out.loc["Health", "contact_referral_rate"] == 0.0
    # referrals: Police A, C (N, N) NFA 0/2; Health B (Y) 1/1; Schools D (N) 0/1
    assert out.loc["Health", "nfa_rate"] == 1.0 and out.loc["Police", "referrals"] == 2
    nfa = funnel.nfa_rate(tables, T("2024-01-01"), T("2024-03-31"))
    assert (nfa["numerator"], nfa["denominator"]) == (1, 4)


def test_early_help_counts_and_absent_list():
    tables = make_tables()
    # Apr-Jun: started A (3 Apr), C (3 May) = 2; completed A (1 May) = 1; open 30 Jun: B (no end), C (ends July) = 2
    assert funnel.early_help(tables, T("2024-04-01"), T("2024-06-30")) == {
        "started": 2,
        "completed": 1,
        "open_at_end": 2,
    }
    del tables["early_help"]
    assert funnel.early_help(tables, T("2024-04-01"), T("2024-06-30")) is None


# ----------------------------------------------------------------------------- robustness
def test_absent_lists_give_empty_results():
    tables = {"contacts": make_tables()["contacts"]}
    out = front_door.monthly_series(tables, PERIOD_END, lead_in_months=0)
    # measures whose list is absent are left out (not shown as zero); contact measures remain
    assert sorted(out) == ["contact_decision_1wd", "contacts"]
    f = funnel.funnel(tables, T("2024-01-01"), T("2024-03-31"), PERIOD_END)
    assert f["count"].iloc[0] == 5 and f["count"].iloc[1:].isna().all()
    assert f["rate"].isna().all()
    empty = front_door.monthly_series({"contacts": tables["contacts"].iloc[:0]}, PERIOD_END)
    assert all(v.empty for v in empty.values())
    charts = front_door.charts(empty)
    assert spc.describe_signal(charts["contacts"], None) == "common cause variation"
    assert front_door.monthly_series({}, PERIOD_END) == {}


def test_period_with_no_contacts_and_one_referral():
    tables = make_tables()
    f = funnel.funnel(tables, T("2024-04-01"), T("2024-06-30"), PERIOD_END).set_index("stage")
    assert f.loc["Contacts", "count"] == 0
    assert f.loc["Referrals", "denominator"] == 0 and np.isnan(f.loc["Referrals", "rate"])
    one = {"referrals": make_tables()["referrals"].iloc[[0]]}
    out = front_door.monthly_series(one, T("2024-03-31"))
    assert col(out["referrals"], "value") == [1, 0, 0]
    chart = front_door.chart(out["referrals"], "count")
    assert len(chart) == 3


# ----------------------------------------------------------------------------- trends and words
def test_rate_and_proportion_tests_by_hand():
    # counts 300 vs 240, phi 2, df 10: t = ln(1.25) / sqrt(2 (1/300 + 1/240)) = 0.22314 / 0.12247 = 1.8220,
    # two-sided p from t(10) = 0.0985
    assert fd_trends.rate_test(300, 240, 2.0, 10) == pytest.approx(0.0985, abs=1e-4)
    # phi = 1 and many df: the Wald test of the log rate ratio (z = 1.8220 x sqrt(2) = 2.5767 -> p = 0.00998)
    assert fd_trends.rate_test(300, 240, 1.0, 10**6) == pytest.approx(0.00998, abs=1e-4)
    # 1/1 vs 2/3: pooled 3/4, z = (1 - 2/3) / sqrt(0.75 x 0.25 x (1 + 1/3)) = 0.6667; phi 1, many df -> 0.5050
    # (the plain two-proportion z-test); phi 2, df 20: t = 0.6667 / sqrt(2) = 0.4714 -> p = 0.6425
    assert fd_trends.proportion_test(1, 1, 2, 3, 1.0, 10**6) == pytest.approx(0.5050, abs=1e-4)
    assert fd_trends.proportion_test(1, 1, 2, 3, 2.0, 20) == pytest.approx(0.6425, abs=1e-4)
    assert np.isnan(fd_trends.rate_test(0, 5, 1.0, 10))
    assert np.isnan(fd_trends.proportion_test(0, 3, 0, 4, 1.0, 10))


def test_dispersion_by_hand():
    # 12 months 100 80 120 120 80 100 (twice): a Poisson GLM with a log-linear trend fits 100 in every month
    # (the deviations sum to 0 and are balanced in time), Pearson chi-square = 8 x 20^2 / 100 = 32 on
    # 12 - 2 = 10 df -> phi = 3.2
    frame = pd.DataFrame(
        {
            "month": pd.date_range("2024-01-01", periods=12, freq="MS"),
            "value": [100, 80, 120, 120, 80, 100] * 2,
        }
    )
    phi, df = fd_trends.dispersion(frame, "count", T("2024-12-31"))
    assert phi == pytest.approx(3.2) and df == 10
    # no extra variation (every month 100): phi is floored at 1
    assert fd_trends.dispersion(frame.assign(value=100), "count", T("2024-12-31"))[0] == 1.0
    # fewer than 12 months: not estimated
    assert np.isnan(fd_trends.dispersion(frame.iloc[:11], "count", T("2024-12-31"))[0])


def test_quarter_comparison_year_ago_first_with_corrected_p_values():
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    base = [100, 80, 120, 120, 80, 100] * 4
    counts = pd.DataFrame({"month": months, "value": base})
    counts.loc[21:, "value"] = [
        150,
        150,
        150,
    ]  # Oct-Dec 2024: 450 against 300 a year ago and 300 last quarter
    share = pd.DataFrame({"month": months, "numerator": [50] * 24, "denominator": [100] * 24})
    series = {"contacts": counts, "assessment_45wd": share}
    q = fd_trends.quarter_comparison(
        series, {"contacts": "count", "assessment_45wd": "proportion"}, T("2024-12-31")
    ).set_index("key")
    assert list(q.columns[:7]) == [
        "measure",
        "kind",
        "this_period",
        "note",
        "this_quarter",
        "this_denominator",
        "year_ago",
    ]
    assert q.loc["contacts", ["this_quarter", "year_ago", "last_quarter"]].tolist() == [450, 300, 300]
    phi, df = fd_trends.dispersion(counts, "count", T("2024-12-31"))
    assert q.loc["contacts", "dispersion"] == pytest.approx(phi) and q.loc["contacts", "df"] == df
    assert q.loc["contacts", "p_vs_year_ago"] == pytest.approx(fd_trends.rate_test(450, 300, phi, df))
    # the shares never change: p = 1; Holm over the 4 p-values: the smallest is multiplied by 4
    assert q.loc["assessment_45wd", "p_vs_year_ago"] == pytest.approx(1.0)
    p = q.loc["contacts", "p_vs_year_ago"]
    assert p < 0.05  # 450 vs 300 with phi about 3 (the fixture swings by 20 a month)
    assert q.loc["contacts", "p_vs_year_ago_adjusted"] == pytest.approx(min(1.0, 4 * p))
    bh = fd_trends.quarter_comparison(
        series, {"contacts": "count", "assessment_45wd": "proportion"}, T("2024-12-31"), method="fdr_bh"
    ).set_index("key")
    # Benjamini-Hochberg: the smallest of 4 p-values (two equal smallest) x 4 / 2
    assert bh.loc["contacts", "p_vs_year_ago_adjusted"] == pytest.approx(2 * p)
    assert "Holm" in fd_trends.comparison_note(q) and "4 p-values" in fd_trends.comparison_note(q)


def test_quarter_comparison_labels_and_shortens_partial_quarters(series):
    kinds = {k: front_door.MEASURES[k].kind for k in series}
    q = fd_trends.quarter_comparison(series, kinds, PERIOD_END).set_index("key")
    # contact to referral: contacts count once their 30-day window closed (up to 31 May): June is left out of this
    # quarter and of the quarters compared -> April to May 2024 against January to February 2024
    assert q.loc["contact_referral_30d", "this_period"] == "April to May 2024"
    assert (
        q.loc["contact_referral_30d", "note"] == "June 2024 left out (not yet complete); same months compared"
    )
    # decisions within 1 working day: complete to Thu 27 June (27 of 30 days): kept, labelled
    assert q.loc["contact_decision_1wd", "this_period"] == "1 April to 27 June 2024"
    assert q.loc["contact_decision_1wd", "note"] == "to 27 June only (later not yet complete)"
    # complete measures: the whole quarter, no note
    assert (
        q.loc["assessment_45wd", "this_period"] == "April to June 2024"
        and q.loc["assessment_45wd", "note"] == ""
    )
    # DfE's count: this quarter May D late (0/1), last quarter Feb C in time, Mar A and E late (1/3)
    assert q.loc["assessment_45wd", "this_quarter"] == 0.0
    assert q.loc["assessment_45wd", "last_quarter"] == pytest.approx(1 / 3)
    # six months: too few to estimate the extra variation -> not tested (never a plain Poisson test)
    assert q["p_vs_last_quarter"].isna().all()
    assert q.loc["cp_plans_open", "this_quarter"] == 2 and q.loc["cp_plans_open", "last_quarter"] == 0


def test_stl_needs_36_months():
    months = pd.date_range("2021-01-01", periods=35, freq="MS")
    frame = pd.DataFrame({"month": months, "value": 100 + 10 * np.sin(np.arange(35) * 2 * np.pi / 12)})
    assert fd_trends.seasonal_decomposition(frame) is None
    months = pd.date_range("2021-01-01", periods=48, freq="MS")
    seasonal = 10 * np.sin(np.arange(48) * 2 * np.pi / 12)
    frame = pd.DataFrame({"month": months, "value": 100 + seasonal})
    out = fd_trends.seasonal_decomposition(frame)
    # a pure 12-month sine around 100: trend ~100, seasonal recovers the sine
    assert out["trend"].between(98, 102).all()
    assert np.abs(out["seasonal"] - seasonal).max() < 1.5
    assert np.allclose(out["observed"], out["trend"] + out["seasonal"] + out["remainder"])


def test_measure_charts_and_sentence():
    # 15 months of 60/100 then a quarter at 90/100: limits from the first 12 months (p 0.6, ucl 0.747);
    # the quarter's months are far above them
    months = pd.date_range("2023-07-01", periods=18, freq="MS")
    frame = pd.DataFrame({"month": months, "numerator": [60] * 15 + [90] * 3, "denominator": [100] * 18})
    frame["value"] = frame["numerator"] / frame["denominator"]
    charts = fd_trends.measure_charts({"assessment_45wd": frame}, T("2024-12-31"))
    chart = charts["assessment_45wd"]
    assert (chart.judged_start, chart.judged_end) == (T("2024-10-01"), T("2024-12-01"))
    assert chart.n_baseline == 15 and chart.seasonal == "not adjusted"
    assert spc.period_signal(chart, T("2024-10-01"), T("2024-12-31"), True) == "special cause improvement"
    spec = front_door.MEASURES["assessment_45wd"]
    text = fd_trends.measure_sentence(spec, frame, chart, T("2024-12-31"))
    assert text.startswith(
        "90% of assessments were completed within 45 working days in October to December 2024, "
        "against 60% in October to December 2023 and 60% in July to September 2024."
    )
    assert "October to December 2024 were above the upper control limit" in text
    assert "evidence of an improvement" in text


def test_measure_charts_use_change_dates_and_judge_only_complete_months(series):
    # change dates reach the chart (a new segment, its own baseline) - a documented option that must be used
    months = pd.date_range("2022-01-01", periods=36, freq="MS")
    frame = pd.DataFrame({"month": months, "value": [100.0, 120.0] * 18})
    charts = fd_trends.measure_charts(
        {"contacts": frame}, T("2024-12-31"), change_dates=["2023-01-01"], seasonal="none"
    )
    c = charts["contacts"]
    assert c.change_dates == (T("2023-01-01"),) and c.baseline_start == T("2023-01-01")
    mapped = fd_trends.measure_charts(
        {"contacts": frame}, T("2024-12-31"), change_dates={"referrals": ["2023-01-01"]}, seasonal="none"
    )
    assert mapped["contacts"].change_dates == ()
    # the hand fixture at 30 June: contacts to referral is complete to 31 May, so June is not judged
    charts = fd_trends.measure_charts(series, PERIOD_END)
    assert charts["contact_referral_30d"].judged_end == T("2024-05-01")
    assert charts["contact_decision_1wd"].judged_end == T("2024-06-01")
    assert charts["cp_plans_open"].chart_type == "stock"


def test_front_door_registry_measures():
    from conftest import make_params

    from cscbook.measures import registry
    from cscbook.measures.compute import compute_all

    params = make_params(PERIOD_END, targets={"assessment_45wd": 0.85})
    res = compute_all(make_tables(), params)
    headline = [m.key for m in registry.all_measures() if m.chapter == "Front door" and m.headline]
    assert headline == [
        "contacts",
        "referrals",
        "contact_decision_1wd",
        "assessment_45wd",
        "s47_icpc_15wd",
        "second_cp_plan",
        "cp_plans_open",
    ]
    a = res.quarter_row("assessment_45wd")
    assert a["kind"] == "proportion" and a["higher_is_better"] is True and a["target"] == 0.85
    assert list(res.series["assessment_45wd"].columns) == ["month", "numerator", "denominator", "value"]
    s = res.quarter_row("second_cp_plan")
    assert s["higher_is_better"] is False
    assert s["england"] == pytest.approx(0.247)  # DfE D3, year ending March 2024
    assert res.series["contacts"]["value"].sum() == 5
    assert registry.get("cp_plans_open").kind == "stock"
    # without decision dates the decision measure is not available, and says which column would give it
    tables = make_tables()
    tables["contacts"] = tables["contacts"].assign(contact_decision_date=pd.NaT)
    res = compute_all(tables, params)
    assert (
        "Date of Contact Decision" in res.unavailable["contact_decision_1wd"].reason
        or "contact_decision_date" in res.unavailable["contact_decision_1wd"].reason
    )
