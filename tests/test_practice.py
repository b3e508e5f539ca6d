"""Practice standards at the period end, on hand-made fixtures with answers worked out by hand.

Calendar facts used (England and Wales): 2024 Good Friday 29 March, Easter Monday 1 April;
Christmas Day Wednesday 25 December, Boxing Day Thursday 26 December; New Year's Day
Wednesday 1 January 2025. 31 December 2024 is a Tuesday; 31 March 2024 a Sunday.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cscbook.config.errors import UserError
from cscbook.config.params import load_params
from cscbook.config.standards import DEFAULTS
from cscbook.data.ingest import read_annex_a
from cscbook.measures import practice as pr
from cscbook.measures.compute import compute_all
from tests.conftest import ROOT, list_rows, write_csv

PE = pd.Timestamp("2024-12-31")
T = pd.Timestamp


def frame(rows: list[dict], dates: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in dates:
        df[c] = pd.to_datetime(df[c]) if c in df else pd.NaT
    return df


CLA_DATES = ("date_of_birth", "cla_start_date", "cla_end_date", "last_visit_date", "latest_review_date",
             "last_health_date", "last_dental_date", "last_iro_date", "placement_start_date")  # fmt: skip


def cla(rows: list[dict]) -> pd.DataFrame:
    base = {
        "date_of_birth": "2012-01-01",
        "cla_end_date": None,
        "allocated_team": "Team A",
        "permanence_plan": None,
    }
    return frame([{**base, **r} for r in rows], CLA_DATES)


def by_child(status: pd.DataFrame, df: pd.DataFrame, column: str = "met") -> dict[str, bool]:
    """``column`` of the status per child (the status keeps the table's row index)."""
    return dict(zip(df.loc[status.index, "child_id"], status[column].tolist(), strict=True))


def counts(status: pd.DataFrame) -> tuple[int, int]:
    s = pr.summary(status)
    return s["met"], s["due"]


# ----------------------------------------------------------------------------- children in care
def test_visits_42nd_day_in_time_43rd_not():
    df = cla([
        {"child_id": "A", "cla_start_date": "2024-01-10", "last_visit_date": "2024-11-19"},  # 42 days before 31 Dec
        {"child_id": "B", "cla_start_date": "2024-01-10", "last_visit_date": "2024-11-18"},  # 43 days
        {"child_id": "C", "cla_start_date": "2024-01-10", "last_visit_date": "2025-01-05"},  # after the period end
        {"child_id": "D", "cla_start_date": "2024-12-27", "last_visit_date": None},  # first visit due 3 Jan 2025
        {"child_id": "E", "cla_start_date": "2020-01-10", "last_visit_date": "2024-10-15",  # long-term fostering:
         "permanence_plan": "LT_FOSTERING", "placement_start_date": "2023-06-01"},  # due 15 Jan 2025
        {"child_id": "F", "cla_start_date": "2024-01-10", "last_visit_date": "2024-12-01", "cla_end_date": "2024-12-20"},
        {"child_id": "G", "cla_start_date": "2024-06-03", "last_visit_date": "2024-05-01"},  # before coming into care
    ])  # fmt: skip
    status = pr.cla_visits(df, PE)
    assert by_child(status, df) == {
        "A": True,
        "B": False,
        "C": False,
        "D": False,
        "E": True,
        "G": False,
    }  # F left
    assert by_child(status, df, "due") == {"A": True, "B": True, "C": True, "D": False, "E": True, "G": True}
    s = pr.summary(status)
    assert (s["met"], s["due"], s["not_yet_due"]) == (2, 5, 1)


def test_visits_by_child():
    df = cla([
        {"child_id": "A", "cla_start_date": "2024-01-10", "last_visit_date": "2024-11-19"},
        {"child_id": "B", "cla_start_date": "2024-01-11", "last_visit_date": "2024-11-18"},
        {"child_id": "E", "cla_start_date": "2024-01-12", "last_visit_date": "2024-10-15",
         "permanence_plan": "LT_FOSTERING", "placement_start_date": "2024-06-01"},  # placement under a year: 6 weeks
    ])  # fmt: skip
    assert by_child(pr.cla_visits(df, PE), df) == {"A": True, "B": False, "E": False}


def test_review_due_on_a_bank_holiday_weekend_moves_to_the_next_working_day():
    pe = T("2024-03-31")
    df = cla([
        # last review Fri 29 Sep 2023: next due 29 Mar 2024, Good Friday -> Tue 2 Apr 2024: in time on 31 Mar
        {"child_id": "R1", "cla_start_date": "2022-01-10", "latest_review_date": "2023-09-29"},
        # next due Thu 28 Mar 2024, a working day: overdue on 31 Mar
        {"child_id": "R2", "cla_start_date": "2022-01-11", "latest_review_date": "2023-09-28"},
        # came into care Fri 15 Mar 2024, 10 working days before 31 Mar: first review due 16 Apr 2024, not yet due
        {"child_id": "R3", "cla_start_date": "2024-03-15", "latest_review_date": None},
        # first review 25 Jan 2024 (first due 30 Jan): second due 25 Apr 2024: in time
        {"child_id": "R4", "cla_start_date": "2024-01-02", "latest_review_date": "2024-01-25"},
        # first review 20 Oct 2023: second due Sat 20 Jan 2024 -> Mon 22 Jan: overdue (6 months would be in time)
        {"child_id": "R5", "cla_start_date": "2023-10-02", "latest_review_date": "2023-10-20"},
        # no review; first due Tue 30 Jan 2024: overdue
        {"child_id": "R6", "cla_start_date": "2024-01-03", "latest_review_date": None},
    ])  # fmt: skip
    status = pr.cla_reviews(df, pe)
    assert by_child(status, df) == {
        "R1": True,
        "R2": False,
        "R3": False,
        "R4": True,
        "R5": False,
        "R6": False,
    }
    assert by_child(status, df, "due") == {
        "R1": True,
        "R2": True,
        "R3": False,
        "R4": True,
        "R5": True,
        "R6": True,
    }
    assert counts(status) == (2, 5)


def test_health_under_5_turning_5_between_assessments():
    df = cla([
        # born 1 Sep 2019: 4 at the assessment on 15 Mar 2024, 5 on 15 Sep 2024 -> next due 15 Mar 2025: in time
        {"child_id": "H1", "date_of_birth": "2019-09-01", "cla_start_date": "2022-01-01", "last_health_date": "2024-03-15"},
        # under 5 throughout: 15 Jun 2024 + 6 months = 15 Dec 2024: overdue
        {"child_id": "H2", "date_of_birth": "2021-06-01", "cla_start_date": "2023-01-01", "last_health_date": "2024-06-15"},
        # under 5: 1 Jul 2024 + 6 months = 1 Jan 2025: in time
        {"child_id": "H3", "date_of_birth": "2021-06-01", "cla_start_date": "2023-01-02", "last_health_date": "2024-07-01"},
        # in care under 12 months: not in DfE's cohort yet
        {"child_id": "H4", "date_of_birth": "2010-01-01", "cla_start_date": "2024-06-01", "last_health_date": None},
        # assessed after the period end: not done by it
        {"child_id": "H5", "date_of_birth": "2010-01-01", "cla_start_date": "2020-01-01", "last_health_date": "2025-02-01"},
        # 12 months: 1 Jan 2024 + 12 months = 1 Jan 2025: in time
        {"child_id": "H6", "date_of_birth": "2010-01-01", "cla_start_date": "2020-01-02", "last_health_date": "2024-01-01"},
    ])  # fmt: skip
    status = pr.cla_health(df, PE)
    assert counts(status) == (3, 5)
    bands = pr.by_band(status, min_cell=0).set_index("band")
    assert bands.loc[pr.UNDER_5, ["met", "due"]].tolist() == [1, 2]
    assert bands.loc[pr.FIVE_PLUS, ["met", "due"]].tolist() == [2, 3]
    hidden = pr.by_band(status, min_cell=5).set_index("band")
    assert pd.isna(hidden.loc[pr.UNDER_5, "met"]) and pd.isna(hidden.loc[pr.UNDER_5, "pct"])


def test_initial_health_assessments_within_20_working_days():
    df = cla([
        # in care Tue 1 Oct 2024: 20 working days -> Tue 29 Oct
        {"child_id": "I1", "cla_start_date": "2024-10-01", "last_health_date": "2024-10-29"},  # on the 20th: in time
        {"child_id": "I2", "cla_start_date": "2024-10-01", "last_health_date": "2024-10-30"},  # 21st: late
        # Fri 13 Dec 2024, 10 working days before 31 Dec: due 15 Jan 2025 (after 3 bank holidays): not yet due
        {"child_id": "I3", "cla_start_date": "2024-12-13", "last_health_date": "2024-12-20"},
        {"child_id": "I4", "cla_start_date": "2024-09-30", "last_health_date": "2024-10-01"},  # last quarter
        # left care 10 Oct, before its assessment was due (4 Nov)
        {"child_id": "I5", "cla_start_date": "2024-10-07", "last_health_date": None, "cla_end_date": "2024-10-10"},
        # Fri 1 Nov: due 29 Nov; assessed 10 Jan 2025, after the period end
        {"child_id": "I6", "cla_start_date": "2024-11-01", "last_health_date": "2025-01-10"},
    ])  # fmt: skip
    assert counts(pr.cla_iha(df, PE)) == (1, 3)


def test_dental_and_iro():
    df = cla([
        # dental 30 Dec 2023 + 12 months = 30 Dec 2024: overdue; IRO 30 Jun + 6 months = 30 Dec: overdue
        {"child_id": "D1", "cla_start_date": "2020-01-01", "last_dental_date": "2023-12-30", "last_iro_date": "2024-06-30"},
        # dental exactly 12 months before the period end: in time; IRO 1 Jul + 6 months = 1 Jan 2025: in time
        {"child_id": "D2", "cla_start_date": "2020-01-02", "last_dental_date": "2023-12-31", "last_iro_date": "2024-07-01"},
        # in care since 1 Mar 2024: not yet in the dental cohort; IRO contact before coming into care does not count
        {"child_id": "D3", "cla_start_date": "2024-03-01", "last_dental_date": None, "last_iro_date": "2024-02-01"},
    ])  # fmt: skip
    dental = pr.cla_dental(df, PE)
    assert by_child(dental, df) == {"D1": False, "D2": True, "D3": False}
    assert by_child(dental, df, "due") == {"D1": True, "D2": True, "D3": False}
    iro = pr.cla_iro(df, PE)
    assert by_child(iro, df) == {"D1": False, "D2": True, "D3": False}
    assert iro["due"].all()


# ----------------------------------------------------------------------------- child protection, children in need
CP_DATES = ("date_of_birth", "cp_start_date", "cp_end_date", "latest_review_date", "last_visit_date")


def test_cp_reviews_and_visits():
    df = frame([
        {"child_id": "P1", "cp_start_date": "2024-10-15"},  # first review due 15 Jan 2025: not yet due
        {"child_id": "P2", "cp_start_date": "2024-09-30"},  # first review due Mon 30 Dec 2024: overdue
        {"child_id": "P3", "cp_start_date": "2024-06-01", "latest_review_date": "2024-08-30"},  # next 28 Feb 2025
        # 28 Jun + 6 months = Sat 28 Dec -> Mon 30 Dec: overdue
        {"child_id": "P4", "cp_start_date": "2023-01-10", "latest_review_date": "2024-06-28"},
        {"child_id": "P5", "cp_start_date": "2023-01-11", "latest_review_date": "2024-07-01"},  # 1 Jan 2025 -> 2 Jan
    ], CP_DATES)  # fmt: skip
    reviews = pr.cp_reviews(df, PE)
    assert counts(reviews) == (2, 4)
    visits = frame([
        {"child_id": "V1", "cp_start_date": "2024-01-01", "last_visit_date": "2024-12-13"},  # 10 wd: 31 Dec
        {"child_id": "V2", "cp_start_date": "2024-01-02", "last_visit_date": "2024-12-12"},  # 10 wd: 30 Dec
        {"child_id": "V3", "cp_start_date": "2024-12-20", "last_visit_date": None},  # first due 8 Jan 2025
    ], CP_DATES)  # fmt: skip
    status = pr.cp_visits(visits, PE)
    assert by_child(status, visits) == {"V1": True, "V2": False, "V3": False}
    assert by_child(status, visits, "due") == {"V1": True, "V2": True, "V3": False}


def test_cin_seen_leaves_out_children_on_a_plan_or_in_care():
    cin = frame([
        {"child_id": "N1", "cin_start_date": "2024-01-01", "last_seen_date": "2024-12-02"},  # 20 wd: 2 Jan 2025
        {"child_id": "N2", "cin_start_date": "2024-01-02", "last_seen_date": "2024-11-29"},  # 20 wd: 31 Dec: in time
        {"child_id": "N3", "cin_start_date": "2024-01-03", "last_seen_date": "2024-11-28"},  # 20 wd: 30 Dec: late
        {"child_id": "N4", "cin_start_date": "2024-01-04", "last_seen_date": None},  # on a CP plan: left out
    ], ("cin_start_date", "cin_closure_date", "last_seen_date"))  # fmt: skip
    status = pr.cin_seen(cin, PE, 20, exclude={"N4"})
    assert by_child(status, cin) == {"N1": True, "N2": True, "N3": False}


# ----------------------------------------------------------------------------- care leavers
def test_pathway_plans_by_age_band():
    cl = frame([
        {"child_id": "L1", "date_of_birth": "2005-01-15", "pathway_review_date": "2024-07-01", "in_touch": "YES"},
        {"child_id": "L2", "date_of_birth": "2005-01-15", "pathway_review_date": "2024-06-30", "in_touch": "YES"},
        {"child_id": "L3", "date_of_birth": "2007-06-01", "pathway_review_date": "2024-12-01", "in_touch": "YES"},
        {"child_id": "L4", "date_of_birth": "2002-06-01", "pathway_review_date": "2024-12-01", "in_touch": "YES"},  # 22
        {"child_id": "L5", "date_of_birth": "2004-06-01", "pathway_review_date": None, "in_touch": "DIED"},
        {"child_id": "L6", "date_of_birth": "2004-06-01", "pathway_review_date": "2025-01-02", "in_touch": "NO"},
    ], ("date_of_birth", "pathway_review_date"))  # fmt: skip
    bands = pr.by_band(pr.pathway_plans(cl, PE), min_cell=0).set_index("band")
    assert bands.loc["18-21", ["met", "due"]].tolist() == [1, 3]
    assert bands.loc["16-17", ["met", "due"]].tolist() == [1, 1]


# ----------------------------------------------------------------------------- front door events
def test_referral_visits_and_strategy_discussions_in_working_days():
    refs = frame([
        {"child_id": "F1", "referral_date": "2024-12-02", "child_seen_date": "2024-12-09"},  # Mon to Mon: 5 wd
        {"child_id": "F2", "referral_date": "2024-12-02", "child_seen_date": "2024-12-10"},  # 6 wd
        {"child_id": "F3", "referral_date": "2024-11-29", "child_seen_date": "2024-11-29"},  # same day: 0
        {"child_id": "F4", "referral_date": "2024-12-20", "child_seen_date": "2025-01-03"},  # after the period end
        {"child_id": "F5", "referral_date": "2024-12-20", "child_seen_date": "2024-12-19"},  # before the referral
        {"child_id": "F6", "referral_date": "2024-12-23", "child_seen_date": "2024-12-30"},  # 3 wd over Christmas
    ], ("referral_date", "child_seen_date"))  # fmt: skip
    five = pr.monthly(pr.referral_timeliness(refs, PE, "child_seen_date", 5)).set_index("month")
    assert five.loc[T("2024-11-01")].tolist() == [1, 1]
    assert five.loc[T("2024-12-01")].tolist() == [2, 3]
    ten = pr.monthly(pr.referral_timeliness(refs, PE, "child_seen_date", 10)).set_index("month")
    assert ten.loc[T("2024-12-01")].tolist() == [3, 3]
    sd = frame([
        {"child_id": "S1", "referral_date": "2024-12-24", "strategy_discussion_date": "2024-12-27"},  # 1 wd
        {"child_id": "S2", "referral_date": "2024-12-23", "strategy_discussion_date": "2024-12-27"},  # 2 wd
    ], ("referral_date", "strategy_discussion_date"))  # fmt: skip
    assert pr.referral_timeliness(sd, PE, "strategy_discussion_date", 1)["met"].tolist() == [True, False]


# ----------------------------------------------------------------------------- by team
def _status(teams: list[tuple[str, int, int, int]]) -> pd.DataFrame:
    """(team, workers, children due, met) -> a status frame."""
    rows = []
    for team, workers, n, met in teams:
        rows += [{"team": team, "worker": f"{team}-w{i % workers}", "band": "", "due": True, "met": i < met}
                 for i in range(n)]  # fmt: skip
    return pd.DataFrame(rows)


def test_by_team_groups_small_teams_and_hides_a_group_of_one():
    status = _status([("Team A", 2, 6, 3), ("Team B", 1, 6, 6), ("Team C", 3, 2, 1)])
    out = pr.by_team(status, min_cell=5).set_index("team")
    assert out.index.tolist() == ["Team A", pr.OTHER_TEAMS, "All teams"]
    assert out.loc["Team A", ["met", "due"]].tolist() == [3, 6]
    assert out.loc[pr.OTHER_TEAMS, ["met", "due"]].tolist() == [7, 8]
    assert out.loc["All teams", ["met", "due", "pct"]].tolist() == [10, 14, pytest.approx(100 * 10 / 14)]
    alone = pr.by_team(_status([("Team A", 2, 6, 3), ("Team B", 1, 6, 6)]), min_cell=5).set_index("team")
    assert pd.isna(alone.loc[pr.OTHER_TEAMS, "met"]) and pd.isna(alone.loc[pr.OTHER_TEAMS, "pct"])
    assert "worker" not in out.columns


# ----------------------------------------------------------------------------- parameters, registry, reader
def test_practice_standards_parameters(tmp_path):
    params = load_params(ROOT / "params" / "example.yaml")
    assert params.practice_standards == DEFAULTS
    folder = tmp_path / "params"
    folder.mkdir()
    text = (
        (ROOT / "params" / "example.yaml")
        .read_text()
        .replace("data/synthetic", str(ROOT / "data" / "synthetic"))
    )
    good = folder / "good.yaml"
    good.write_text(text.replace("cp_visit_wd: 10", "cp_visit_wd: 15"))
    assert load_params(good).practice_standards == DEFAULTS | {"cp_visit_wd": 15}
    bad = folder / "bad.yaml"
    bad.write_text(text.replace("cp_visit_wd: 10", "cp_visit_wd: 0\n  cla_visit_weeks: 6"))
    with pytest.raises(
        UserError, match=r"practice_standards.cp_visit_wd.*practice_standards.cla_visit_weeks"
    ):
        load_params(bad)


def _tables() -> dict[str, pd.DataFrame]:
    cla_t = cla([
        {"child_id": "A", "cla_start_date": "2024-01-10", "last_visit_date": "2024-11-19", "allocated_worker": "w1"},
        {"child_id": "B", "cla_start_date": "2024-01-11", "last_visit_date": "2024-11-18", "allocated_worker": "w2"},
    ])  # fmt: skip
    refs = frame([{"child_id": "A", "referral_date": "2024-12-02"}], ("date_of_birth", "referral_date"))
    return {"cla": cla_t, "referrals": refs}


def test_compute_all_snapshot_row_and_not_available_columns():
    params = dataclasses.replace(load_params(ROOT / "params" / "example.yaml"), period_end=PE)
    res = compute_all(_tables(), params)
    row = res.quarter_row("cla_visits_in_time")
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 2, 0.5)
    assert pd.isna(res.value("cla_visits_in_time", "last"))
    assert "Date of Last Health Assessment" in res.unavailable["cla_health_up_to_date"].reason
    assert "Annex A List 7" in res.unavailable["cp_reviews_in_time"].reason
    assert "'Date Child Seen'" in res.unavailable["referral_visit_5wd"].reason
    assert "'Date of Latest Plan'" in res.unavailable["cla_plan_up_to_date"].reason
    assert res.measures["cla_visits_in_time"].snapshot and not res.measures["referral_visit_5wd"].snapshot


def test_optional_columns_read_under_their_aliases(tmp_path):
    headers, rows = list_rows(3, 2)
    aliases = {
        "Date of Strategy Discussion": "Strategy Meeting Date",
        "Date Child Seen": "Date Child First Seen",
    }
    folder = tmp_path / "annex_a"
    folder.mkdir()
    write_csv(folder / "List 3.csv", [aliases.get(h, h) for h in headers], rows)
    refs = read_annex_a([folder]).tables["referrals"]
    assert refs["strategy_discussion_date"].notna().all() and refs["child_seen_date"].notna().all()


# ----------------------------------------------------------------------------- the chapter on the example extract
OPTIONAL = {"strategy_discussion_date": ("referrals", "Date of Strategy Discussion"),
            "child_seen_date": ("referrals", "Date Child Seen"),
            "latest_plan_date": ("cla", "Date of Latest Plan")}  # fmt: skip


@pytest.fixture(scope="module")
def example():
    """The example extract as the book reads it, with the optional columns filled in by a fixed rule."""
    from cscbook.data.context import read_all

    ctx = read_all(load_params(ROOT / "params" / "example.yaml"))
    refs = ctx.tables["referrals"]
    ctx.tables["referrals"] = refs.assign(strategy_discussion_date=refs["referral_date"] + pd.Timedelta(days=1),
                                          child_seen_date=refs["referral_date"] + pd.Timedelta(days=6))  # fmt: skip
    for name, start in (("cin", "cin_start_date"), ("cp_plans", "cp_start_date"), ("cla", "cla_start_date")):
        ctx.tables[name] = ctx.tables[name].assign(latest_plan_date=ctx.tables[name][start])
    return ctx


def _chapter(ctx, tables, tmp_path):
    from cscbook.data.context import Context
    from cscbook.report import practice as chapter

    params = dataclasses.replace(ctx.params, project_root=tmp_path)
    sub = Context(params, tables, ctx.dq_log, ctx.accounting)
    from cscbook.measures.compute import compute_all

    results = compute_all(tables, params)
    built = chapter.build(sub, results)
    assert {"pr_figure", "pr_teams_figure"} <= set(built.figures) and "practice_standards" in built.saved
    ch = chapter.build_chapter(sub, results)
    assert chapter.key_message(ch) and chapter.trend_message(ch)
    return ch, chapter


@pytest.mark.parametrize("column", list(OPTIONAL))
def test_chapter_builds_with_each_optional_column_absent(example, column, tmp_path):
    table, header = OPTIONAL[column]
    tables = dict(example.tables)
    tables[table] = tables[table].drop(columns=[column])
    ch, chapter = _chapter(example, tables, tmp_path)
    notes = " ".join(n for s in chapter.SECTIONS for n in chapter.section_notes(ch, s))
    assert f"not available in this extract: needs a '{header}' column" in notes
    available = set(ch.available["key"])
    assert {"referral_visit_5wd", "strategy_discussion_1wd", "cla_plan_up_to_date"} - available == {
        {"strategy_discussion_date": "strategy_discussion_1wd", "child_seen_date": "referral_visit_5wd",
         "latest_plan_date": "cla_plan_up_to_date"}[column]}  # fmt: skip


def test_chapter_builds_without_lists_6_to_9(example, tmp_path):
    tables = {k: v for k, v in example.tables.items() if k not in ("cin", "cp_plans", "cla", "care_leavers")}
    ch, chapter = _chapter(example, tables, tmp_path)
    assert set(ch.available["key"]) == {
        "strategy_discussion_1wd",
        "referral_visit_5wd",
        "referral_visit_10wd",
    }
    assert (
        "Annex A List 8 (children in care)" in ch.summary.set_index("key").loc["cla_visits_in_time", "note"]
    )
    assert chapter.team_display(ch, ["cla_visits_in_time"]).empty
    nothing = {k: v for k, v in tables.items() if k != "referrals"}
    ch, chapter = _chapter(example, nothing, tmp_path)
    assert chapter.key_message(ch).startswith("**No practice standard can be measured")


# ----------------------------------------------------------------------------- comparing teams, by hand
def test_two_proportion_test_by_hand():
    from cscbook.methods.compare import two_proportion_test

    # 2 of 20 against 90 of 100: pooled 92/120; se = sqrt(0.76667 x 0.23333 x (1/20 + 1/100)) = 0.10360;
    # z = (0.1 - 0.9) / 0.10360 = -7.722
    z, p = two_proportion_test([2, 10], [20, 20], [90, 50], [100, 100])
    assert z[0] == pytest.approx(-7.722, abs=1e-3) and p[0] < 1e-13
    assert z[1] == 0 and p[1] == pytest.approx(1.0)
    z, p = two_proportion_test([5], [5], [10], [10])  # everyone in time: no variation, no evidence
    assert np.isnan(z[0]) and np.isnan(p[0])


def test_team_differences_and_key_message_by_hand():
    from cscbook.report import practice as chapter

    params = dataclasses.replace(load_params(ROOT / "params" / "example.yaml"), period_end=PE)
    status = _status([("Team A", 3, 20, 2), ("Team B", 3, 50, 45), ("Team C", 3, 50, 45)])
    teams = pr.by_team(status, min_cell=5)
    summary = pd.DataFrame([{"section": pr.CIC, "key": "cla_visits_in_time", "label": "Children in care visited",
                             "standard": "x", "source": "y", "met": 92, "due": 120, "pct": 100 * 92 / 120,
                             "not_yet_due": 0, "target": 95.0, "england": np.nan, "england_year": np.nan,
                             "last_quarter": np.nan, "year_ago": np.nan, "available": True, "note": ""}])  # fmt: skip
    ch = chapter.PracticeChapter(params, None, summary, {"cla_visits_in_time": teams})
    diffs = chapter.team_differences(ch).set_index("team")
    # A: 2/20 against B and C together 90/100 (z = -7.72, far below 0.05 / 3); B: 45/50 against 47/70
    assert diffs["verdict"].to_dict() == {"Team A": "behind", "Team B": "ahead", "Team C": "ahead"}
    assert diffs.loc["Team B", "rest_pct"] == pytest.approx(100 * 47 / 70)
    text = chapter.key_message(ch)
    assert "0 of the 1 with a local target met it" in text
    assert "children in care visited: 92 of 120 (77%)" in text
    assert "Team A (CiC visits)" in text


def test_pathway_plans_without_the_in_touch_column():
    cl = frame([{"child_id": "L1", "date_of_birth": "2005-01-15", "pathway_review_date": "2024-07-01"}],
               ("date_of_birth", "pathway_review_date"))  # fmt: skip
    assert counts(pr.pathway_plans(cl, PE)) == (1, 1)


def test_trend_message_starts_with_this_quarter_then_compares():
    from cscbook.report import practice as chapter

    params = load_params(ROOT / "params" / "example.yaml")
    row = {"section": pr.CIC, "key": "cla_visits_in_time", "label": "Children in care visited", "standard": "x",
           "source": "y", "met": 77, "due": 100, "pct": 77.0, "not_yet_due": 0, "target": np.nan,
           "england": np.nan, "england_year": np.nan, "last_quarter": np.nan, "year_ago": np.nan,
           "available": True, "note": ""}  # fmt: skip
    ch = chapter.PracticeChapter(params, None, pd.DataFrame([row]))
    assert "the trend starts with this quarter" in chapter.trend_message(ch)
    ch = chapter.PracticeChapter(params, None, pd.DataFrame([{**row, "last_quarter": 70.0}]))
    assert (
        chapter.trend_message(ch)
        == "Compared with earlier quarters: children in care visited 77% (70% last quarter)."
    )
