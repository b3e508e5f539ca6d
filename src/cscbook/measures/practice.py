"""Practice standards at the period end (DEFINITIONS.md, "Practice standards" and "Care leavers").

Annex A carries only the LATEST date of each event (visit, review, health assessment...) as it
stood when the extract was taken, so each standard is a snapshot at the period end ``pe``.
Dates after ``pe`` never count as done by ``pe`` (the book also blanks them when it reads the
extract: ``cscbook.data.asat``).

Every snapshot standard works the same way, on the children whose case is open at ``pe``
(one row per child: the most recently started open row):

- the first event is due by a date counted from the start of the case (``first_due``); a
  child whose first due date is after ``pe`` is *not yet due* and left out of the denominator
  (e.g. a child who came into care 10 working days before ``pe`` is not yet due a review);
- the latest event sets the next due date (``next_due``); the child meets the standard when
  that date is on or after ``pe``; a child with no event has missed it.

Intervals: ``N days`` adds calendar days (a visit 42 days before ``pe`` is in time, 43 days is
not); ``N working days`` adds England and Wales working days (``calendar.add_working_days``:
an event on a non-working day counts from the next working day); ``N months`` adds calendar
months, and for review *meetings* (children in care reviews, child protection review
conferences) a due date on a weekend or bank holiday moves to the next working day.

Each standard is one small function returning a *status* frame (record-level, for computing
only): ``team``, ``worker``, ``band`` (age band where the standard differs by age, else ""),
``due`` (in the denominator) and ``met`` (in time), indexed like the input table's rows. ``summary``, ``by_team`` and ``by_band``
turn it into counts; teams with fewer than two workers or fewer than ``min_cell`` children
are reported together so that no figure describes one worker or one child.

The front-door timescales (strategy discussions, referral visits) are events, not snapshots:
one row per event by the month it happened (``month``), met when it came within the
standard's working days of the referral.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cscbook.config.calendar import add_working_days, age_in_years, working_days_between
from cscbook.config.params import Params
from cscbook.config.periods import month_start, quarter
from cscbook.config.standards import DEFAULTS, PRACTICE_TARGET_KEYS
from cscbook.measures.registry import Measure, NotAvailable, Tables, register
from cscbook.methods.disclosure import suppressed_mask

CHAPTER = "Practice standards"
STATUS_COLUMNS = ["team", "worker", "band", "due", "met"]
NO_TEAM = "Team not recorded"
OTHER_TEAMS = "Other teams (grouped: small)"
MIN_WORKERS = 2
LONG_TERM_FOSTERING = "LT_FOSTERING"
UNDER_5, FIVE_PLUS, AGE_NOT_KNOWN = "under 5", "5 and over", "age not known"
OPTIONAL_HEADERS = {
    "strategy_discussion_date": ("Date of Strategy Discussion", "Annex A List 3 (referrals)"),
    "child_seen_date": ("Date Child Seen", "Annex A List 3 (referrals)"),
    "latest_plan_date": ("Date of Latest Plan", ""),
}


# ----------------------------------------------------------------------------- helpers
def _text(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    return s.mask(s == "")


def done_by(dates: pd.Series, pe: pd.Timestamp) -> pd.Series:
    """Dates on or before ``pe``; later dates (not done by the period end) become NaT."""
    d = pd.to_datetime(dates)
    return d.where(d <= pe)


def plus_months(dates: pd.Series, months: int, roll: bool = False) -> pd.Series:
    """``dates`` + ``months`` calendar months (31 Aug + 6 = 28/29 Feb); with ``roll``, a due
    date on a weekend or bank holiday moves to the next working day."""
    out = pd.to_datetime(dates) + pd.DateOffset(months=months)
    return _roll(out) if roll else out


def plus_working_days(dates: pd.Series, n: int) -> pd.Series:
    """``dates`` + ``n`` working days (from the next working day when a date is not one), index kept."""
    return pd.Series(add_working_days(dates, n).to_numpy(), index=dates.index)


def _roll(dates: pd.Series) -> pd.Series:
    return plus_working_days(dates, 0)


def open_at(df: pd.DataFrame, start: str, end: str | None, pe: pd.Timestamp) -> pd.DataFrame:
    """Rows open at ``pe`` (started on or before it, not ended by it), one per child (latest start)."""
    s = pd.to_datetime(df[start])
    mask = s.notna() & (s <= pe)
    if end is not None and end in df.columns:
        e = pd.to_datetime(df[end])
        mask &= e.isna() | (e > pe)
    out = df[mask]
    if "child_id" in out.columns:
        out = out.sort_values(start, kind="stable").drop_duplicates("child_id", keep="last")
    return out


def _status(df: pd.DataFrame, due: pd.Series, met: pd.Series, band: pd.Series | str = "") -> pd.DataFrame:
    team = _text(df["allocated_team"]) if "allocated_team" in df.columns else pd.Series(pd.NA, index=df.index)
    worker = (
        _text(df["allocated_worker"])
        if "allocated_worker" in df.columns
        else pd.Series(pd.NA, index=df.index)
    )
    return pd.DataFrame({
        "team": team.fillna(NO_TEAM).astype(object), "worker": worker.astype(object),
        "band": band, "due": due.fillna(False).astype(bool), "met": (met.fillna(False) & due.fillna(False)).astype(bool),
    }, index=df.index)  # fmt: skip


def interval_status(
    df: pd.DataFrame,
    pe: pd.Timestamp,
    first_due: pd.Series,
    latest: pd.Series,
    next_due: Callable[[pd.Series], pd.Series],
    band: pd.Series | str = "",
) -> pd.DataFrame:
    """Status of a snapshot standard (module docstring): due when ``first_due`` <= pe; met when
    there is a ``latest`` event and ``next_due(latest)`` >= pe."""
    due = first_due.notna() & (first_due <= pe)
    met = latest.notna() & (next_due(latest) >= pe)
    return _status(df, due, met, band)


def _start_and_latest(df: pd.DataFrame, start: str, event: str, pe, since_start: bool = True):
    s = pd.to_datetime(df[start])
    latest = done_by(df[event], pe) if event in df.columns else pd.Series(pd.NaT, index=df.index)
    if since_start:
        latest = latest.where(latest >= s)
    return s, latest


# ----------------------------------------------------------------------------- children in care (List 8)
def cla_visits(
    cla: pd.DataFrame, pe, days: int = 42, first_days: int = 7, long_term_months: int = 3
) -> pd.DataFrame:
    """Children in care at ``pe`` whose last social work visit (since coming into care) was within
    ``days`` calendar days; within ``long_term_months`` when the permanence plan is long-term
    fostering and the placement has lasted a year (CPPCR Regs 2010, reg. 28). First visit due
    ``first_days`` after coming into care."""
    pe = pd.Timestamp(pe)
    df = open_at(cla, "cla_start_date", "cla_end_date", pe)
    start, latest = _start_and_latest(df, "cla_start_date", "last_visit_date", pe)
    placed = pd.to_datetime(df["placement_start_date"]) if "placement_start_date" in df.columns else start
    placed = placed.fillna(start)
    plan = (
        _text(df["permanence_plan"]) if "permanence_plan" in df.columns else pd.Series(pd.NA, index=df.index)
    )
    long_term = plan.eq(LONG_TERM_FOSTERING).fillna(False) & (plus_months(placed, 12) <= pe)

    def next_due(d: pd.Series) -> pd.Series:
        return plus_months(d, long_term_months).where(long_term, d + pd.Timedelta(days=days))

    return interval_status(df, pe, start + pd.Timedelta(days=first_days), latest, next_due)


def _first_review_due(start: pd.Series, first_wd: int) -> pd.Series:
    return plus_working_days(start, first_wd)


def cla_reviews(
    cla: pd.DataFrame, pe, first_wd: int = 20, second_months: int = 3, months: int = 6
) -> pd.DataFrame:
    """Children in care at ``pe`` reviewed in time (reg. 33): first review within ``first_wd``
    working days of coming into care, second within ``second_months`` of the first, then every
    ``months``. Annex A has only the latest review: it is taken to be the first when it was held
    no more than a month after the first review was due (so the next is due ``second_months``
    after it), otherwise a later one. Month due dates on a non-working day move to the next one."""
    pe = pd.Timestamp(pe)
    df = open_at(cla, "cla_start_date", "cla_end_date", pe)
    start, latest = _start_and_latest(df, "cla_start_date", "latest_review_date", pe)
    first_due = _first_review_due(start, first_wd)
    is_first = latest <= first_due + pd.DateOffset(months=1)

    def next_due(d: pd.Series) -> pd.Series:
        return plus_months(d, second_months, roll=True).where(is_first, plus_months(d, months, roll=True))

    return interval_status(df, pe, first_due, latest, next_due)


def age_band_5(dob: pd.Series, pe) -> pd.Series:
    """'under 5' / '5 and over' at ``pe`` ('age not known' without a date of birth)."""
    age = age_in_years(pd.to_datetime(dob), pd.Timestamp(pe))
    band = pd.Series(
        np.where(age.fillna(-1).to_numpy() >= 5, FIVE_PLUS, UNDER_5), index=dob.index, dtype=object
    )
    return band.mask(age.isna().to_numpy(), AGE_NOT_KNOWN)


def cla_health(
    cla: pd.DataFrame, pe, under5_months: int = 6, months: int = 12, cohort_months: int = 12
) -> pd.DataFrame:
    """Children in care at ``pe`` for ``cohort_months`` or more (the DfE OC2 cohort) with an
    up-to-date health assessment: the next is due ``under5_months`` after the last while the
    child is still under 5 on that date, otherwise ``months`` after it (statutory guidance
    2015). An under-5 who turns 5 before the 6-monthly date is next due 12 months after."""
    pe = pd.Timestamp(pe)
    df = open_at(cla, "cla_start_date", "cla_end_date", pe)
    start, latest = _start_and_latest(df, "cla_start_date", "last_health_date", pe, since_start=False)
    fifth = pd.to_datetime(df["date_of_birth"]) + pd.DateOffset(years=5)

    def next_due(d: pd.Series) -> pd.Series:
        short = plus_months(d, under5_months)
        return short.where(short < fifth, plus_months(d, months))

    return interval_status(
        df, pe, plus_months(start, cohort_months), latest, next_due, age_band_5(df["date_of_birth"], pe)
    )


def cla_dental(cla: pd.DataFrame, pe, months: int = 12, cohort_months: int = 12) -> pd.DataFrame:
    """Children in care at ``pe`` for ``cohort_months`` or more (DfE OC2 cohort) with a dental
    check in the last ``months`` (a check before coming into care counts)."""
    pe = pd.Timestamp(pe)
    df = open_at(cla, "cla_start_date", "cla_end_date", pe)
    start, latest = _start_and_latest(df, "cla_start_date", "last_dental_date", pe, since_start=False)
    return interval_status(
        df, pe, plus_months(start, cohort_months), latest, lambda d: plus_months(d, months)
    )


def cla_iro(cla: pd.DataFrame, pe, months: int = 6, first_wd: int = 20) -> pd.DataFrame:
    """Children in care at ``pe`` whose independent reviewing officer saw or spoke to them in the
    last ``months`` (first contact due by the first review, ``first_wd`` working days)."""
    pe = pd.Timestamp(pe)
    df = open_at(cla, "cla_start_date", "cla_end_date", pe)
    start, latest = _start_and_latest(df, "cla_start_date", "last_iro_date", pe)
    return interval_status(
        df, pe, plus_working_days(start, first_wd), latest, lambda d: plus_months(d, months)
    )


def cla_iha(cla: pd.DataFrame, pe, wd: int = 20) -> pd.DataFrame:
    """Children who started care in the quarter ending ``pe`` and whose initial health assessment
    was due by ``pe`` (``wd`` working days after the start, still in care then): met when the
    health assessment is dated from the start to that due date. Annex A has only the latest
    assessment; for a child who came into care this quarter it is the initial one."""
    pe = pd.Timestamp(pe)
    s = pd.to_datetime(cla["cla_start_date"])
    df = cla[(s >= quarter(pe).start) & (s <= pe)]
    if "child_id" in df.columns:
        df = df.sort_values("cla_start_date", kind="stable").drop_duplicates("child_id", keep="last")
    start = pd.to_datetime(df["cla_start_date"])
    first_due = plus_working_days(start, wd)
    end = (
        pd.to_datetime(df["cla_end_date"])
        if "cla_end_date" in df.columns
        else pd.Series(pd.NaT, index=df.index)
    )
    still_in_care = end.isna() | (end > first_due)
    latest = (
        done_by(df["last_health_date"], pe)
        if "last_health_date" in df.columns
        else pd.Series(pd.NaT, index=df.index)
    )
    met = latest.notna() & (latest >= start) & (latest <= first_due)
    return _status(df, (first_due <= pe) & still_in_care, met)


def latest_plans(df: pd.DataFrame, start: str, end: str, pe, months: int) -> pd.DataFrame:
    """Open cases at ``pe`` whose plan (optional 'Date of Latest Plan') was updated in the last
    ``months``; a new case's first plan is due ``months`` after it opened (a local standard)."""
    pe = pd.Timestamp(pe)
    df = open_at(df, start, end, pe)
    s, latest = _start_and_latest(df, start, "latest_plan_date", pe, since_start=False)
    return interval_status(df, pe, plus_months(s, months), latest, lambda d: plus_months(d, months))


# ----------------------------------------------------------------------------- child protection (List 7), CIN (List 6)
def cp_reviews(cp: pd.DataFrame, pe, first_months: int = 3, months: int = 6) -> pd.DataFrame:
    """Children on a child protection plan at ``pe`` whose review conference is in time (Working
    Together 2023): first within ``first_months`` of the ICPC (the plan's start), then every
    ``months``; due dates on a non-working day move to the next one. Plans younger than their
    first review date are not yet due (as DfE's measure: plans of 3 months or more)."""
    pe = pd.Timestamp(pe)
    df = open_at(cp, "cp_start_date", "cp_end_date", pe)
    start, latest = _start_and_latest(df, "cp_start_date", "latest_review_date", pe)
    latest = latest.where(latest > start)  # the ICPC itself is not a review
    return interval_status(df, pe, plus_months(start, first_months, roll=True), latest,
                           lambda d: plus_months(d, months, roll=True))  # fmt: skip


def cp_visits(cp: pd.DataFrame, pe, wd: int = 10) -> pd.DataFrame:
    """Children on a child protection plan at ``pe`` with a statutory visit within ``wd`` working
    days (a local standard; no national one)."""
    pe = pd.Timestamp(pe)
    df = open_at(cp, "cp_start_date", "cp_end_date", pe)
    start, latest = _start_and_latest(df, "cp_start_date", "last_visit_date", pe)
    return interval_status(df, pe, plus_working_days(start, wd), latest, lambda d: plus_working_days(d, wd))


def _open_children(tables: Tables, pe) -> set:
    out: set = set()
    for name, start, end in (
        ("cp_plans", "cp_start_date", "cp_end_date"),
        ("cla", "cla_start_date", "cla_end_date"),
    ):
        df = tables.get(name)
        if df is not None and not df.empty and "child_id" in df.columns:
            out |= set(open_at(df, start, end, pe)["child_id"].dropna())
    return out


def cin_seen(cin: pd.DataFrame, pe, wd: int = 20, exclude: set | None = None) -> pd.DataFrame:
    """Children in need at ``pe`` (not on a plan or in care: ``exclude``) last seen within ``wd``
    working days (a local standard); a new episode's first visit is due ``wd`` after it opened."""
    pe = pd.Timestamp(pe)
    df = open_at(cin, "cin_start_date", "cin_closure_date", pe)
    if exclude:
        df = df[~df["child_id"].isin(exclude)]
    start, latest = _start_and_latest(df, "cin_start_date", "last_seen_date", pe, since_start=False)
    return interval_status(df, pe, plus_working_days(start, wd), latest, lambda d: plus_working_days(d, wd))


# ----------------------------------------------------------------------------- care leavers (List 9)
def care_leaver_age(cl: pd.DataFrame, pe) -> pd.Series:
    """Age at ``pe`` from the date of birth, else the list's age (as ``care_leavers``)."""
    age = age_in_years(pd.to_datetime(cl["date_of_birth"]), pd.Timestamp(pe)) if "date_of_birth" in cl.columns \
        else pd.Series(pd.NA, index=cl.index, dtype="Int64")  # fmt: skip
    age = pd.Series(age.to_numpy(), index=cl.index, dtype="Int64")
    if "age_years" in cl.columns:
        age = age.fillna(pd.to_numeric(cl["age_years"]).astype("Int64"))
    return age


def _age_band(age: pd.Series, bands: dict[str, tuple[int, int]]) -> pd.Series:
    band = pd.Series(pd.NA, index=age.index, dtype=object)
    for name, (lo, hi) in bands.items():
        band = band.mask(age.between(lo, hi).fillna(False).to_numpy(), name)
    return band


def pathway_plans(cl: pd.DataFrame, pe, months: int = 6) -> pd.DataFrame:
    """Care leavers (List 9) aged 16-21 at ``pe`` whose pathway plan was reviewed in the last
    ``months`` (Care Leavers (England) Regs 2010, reg. 7); band '16-17' (still in care or
    relevant) or '18-21'. Those who have died are left out."""
    pe = pd.Timestamp(pe)
    band = _age_band(care_leaver_age(cl, pe), {"16-17": (16, 17), "18-21": (18, 21)})
    died = (
        _text(cl["in_touch"]).eq("DIED").fillna(False)
        if "in_touch" in cl.columns
        else pd.Series(False, index=cl.index)
    )
    df = cl[band.notna() & ~died]
    latest = (
        done_by(df["pathway_review_date"], pe)
        if "pathway_review_date" in df.columns
        else pd.Series(pd.NaT, index=df.index)
    )
    met = latest.notna() & (plus_months(latest, months) >= pe)
    return _status(df, pd.Series(True, index=df.index), met, band[df.index])


def care_leaver_status(cl: pd.DataFrame, pe, what: str) -> pd.DataFrame:
    """Care leavers aged 17-21 at ``pe`` (bands '17-18', '19-21') in touch (``what`` = 'in_touch')
    or in touch and suitably accommodated ('suitable'), over ALL care leavers of that age (DfE)."""
    pe = pd.Timestamp(pe)
    band = _age_band(care_leaver_age(cl, pe), {"17-18": (17, 18), "19-21": (19, 21)})
    df = cl[band.notna()]
    in_touch = (
        _text(df["in_touch"]).eq("YES").fillna(False)
        if "in_touch" in df.columns
        else pd.Series(False, index=df.index)
    )
    met = in_touch
    if what == "suitable":
        met = in_touch & _text(df["accommodation_suitability"]).eq("SUITABLE").fillna(False)
    return _status(df, pd.Series(True, index=df.index), met, band[df.index])


# ----------------------------------------------------------------------------- front door events (List 3)
def referral_timeliness(referrals: pd.DataFrame, pe, column: str, wd: int) -> pd.DataFrame:
    """One row per referral with a ``column`` event (strategy discussion, child first seen) on or
    after the referral and by ``pe``: ``month`` of the event, ``met`` when within ``wd`` working
    days of the referral (same day = 0), plus team and worker."""
    pe = pd.Timestamp(pe)
    ref = pd.to_datetime(referrals["referral_date"])
    when = (
        done_by(referrals[column], pe)
        if column in referrals.columns
        else pd.Series(pd.NaT, index=referrals.index)
    )
    keep = when.notna() & ref.notna() & (when >= ref)
    df = referrals[keep]
    days = working_days_between(ref[keep], when[keep])
    out = _status(df, pd.Series(True, index=df.index), pd.Series((days <= wd).to_numpy(), index=df.index))
    out["month"] = when[keep].dt.to_period("M").dt.to_timestamp().to_numpy()
    return out


# ----------------------------------------------------------------------------- summaries
def summary(status: pd.DataFrame) -> dict:
    """met, due and pct (of due; NaN when none due) and not_yet_due (rows left out)."""
    due = int(status["due"].sum())
    met = int(status["met"].sum())
    return {
        "met": met,
        "due": due,
        "pct": 100 * met / due if due else np.nan,
        "not_yet_due": int((~status["due"]).sum()),
    }


def by_team(status: pd.DataFrame, min_cell: int = 5) -> pd.DataFrame:
    """met, due, pct per team, with a last row for all teams.

    Teams with fewer than ``MIN_WORKERS`` allocated workers or fewer than ``min_cell`` children
    due are reported together ("Other teams"); when that group is itself that small its figures
    are hidden (NA), so that no figure describes one worker or one child.
    """
    due = status[status["due"]]
    size = due.groupby("team").agg(workers=("worker", "nunique"), children=("due", "size"))
    small = size.index[(size["workers"] < MIN_WORKERS) | (size["children"] < max(min_cell, 1))]
    team = due["team"].mask(due["team"].isin(small), OTHER_TEAMS)
    grouped = due.assign(team=team).groupby("team").agg(met=("met", "sum"), due=("due", "size"),
                                                       workers=("worker", "nunique"))  # fmt: skip
    grouped = grouped.reset_index()
    order = grouped["team"].eq(OTHER_TEAMS)
    grouped = pd.concat([grouped[~order].sort_values("team"), grouped[order]], ignore_index=True)
    total = pd.DataFrame([{"team": "All teams", "met": int(due["met"].sum()), "due": len(due),
                           "workers": due["worker"].nunique()}])  # fmt: skip
    out = pd.concat([grouped, total], ignore_index=True)
    out["met"] = out["met"].astype("Int64")
    out["due"] = out["due"].astype("Int64")
    out["pct"] = (100 * out["met"] / out["due"].where(out["due"] > 0)).astype("Float64")
    hide = out["team"].eq(OTHER_TEAMS) & ((out["workers"] < MIN_WORKERS) | (out["due"] < max(min_cell, 1)))
    out.loc[hide, ["met", "due"]] = pd.NA
    out.loc[hide, "pct"] = pd.NA
    return out[["team", "met", "due", "pct"]]


def by_band(status: pd.DataFrame, min_cell: int = 5) -> pd.DataFrame:
    """met, due, pct per age band (a personal characteristic: counts of 1 to ``min_cell`` - 1, met
    or not met, are suppressed with their percentage)."""
    due = status[status["due"]]
    out = due.groupby("band").agg(met=("met", "sum"), due=("due", "size")).reset_index()
    out["pct"] = (100 * out["met"] / out["due"].where(out["due"] > 0)).astype("Float64")
    hide = suppressed_mask(out["met"], min_cell) | suppressed_mask(out["due"] - out["met"], min_cell)
    out["met"] = out["met"].astype("Int64").mask(hide)
    out["pct"] = out["pct"].mask(hide)
    return out


def monthly(events: pd.DataFrame) -> pd.DataFrame:
    """month, numerator (met), denominator (events) from ``referral_timeliness``."""
    g = events.groupby("month").agg(numerator=("met", "sum"), denominator=("met", "size")).reset_index()
    return g.astype({"numerator": "int64", "denominator": "int64"})


# ----------------------------------------------------------------------------- standards by key
def _has(tables: Tables, table: str, column: str) -> bool:
    df = tables.get(table)
    return df is not None and not df.empty and column in df.columns and df[column].notna().any()


def _std(params: Params) -> dict[str, int]:
    return params.practice_standards


def _cla(fn: Callable[..., pd.DataFrame], column: str, **keys: str):
    def status(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        if not _has(tables, "cla", column):
            return NotAvailable(
                f"needs the column {_CLA_HEADERS[column]!r} in Annex A List 8 (children in care)"
            )
        return fn(tables["cla"], params.period_end, **{arg: _std(params)[k] for arg, k in keys.items()})

    return status


_CLA_HEADERS = {"last_visit_date": "Date of Last Social Work Visit", "latest_review_date": "Date of Latest Statutory Review",
                "last_health_date": "Date of Last Health Assessment", "last_dental_date": "Date of Last Dental Check",
                "last_iro_date": "Date of Last IRO Visit / Contact to the Child"}  # fmt: skip


def _cp(fn: Callable[..., pd.DataFrame], column: str, header: str, **keys: str):
    def status(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        if not _has(tables, "cp_plans", column):
            return NotAvailable(f"needs the column {header!r} in Annex A List 7 (child protection plans)")
        return fn(tables["cp_plans"], params.period_end, **{arg: _std(params)[k] for arg, k in keys.items()})

    return status


def _cin_seen(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
    if not _has(tables, "cin", "last_seen_date"):
        return NotAvailable(
            "needs the column 'Date Child Was Last Seen' in Annex A List 6 (children in need)"
        )
    return cin_seen(
        tables["cin"],
        params.period_end,
        _std(params)["cin_seen_wd"],
        _open_children(tables, params.period_end),
    )


def _leavers(what: str):
    def status(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        if what == "pathway":
            if not _has(tables, "care_leavers", "pathway_review_date"):
                return NotAvailable(
                    "needs the column 'Latest Pathway Plan Review Date' in Annex A List 9 (care leavers)"
                )
            return pathway_plans(
                tables["care_leavers"], params.period_end, _std(params)["pathway_plan_months"]
            )
        if what == "suitable" and not _has(tables, "care_leavers", "accommodation_suitability"):
            return NotAvailable(
                "needs the column 'Suitability of Accommodation' in Annex A List 9 (care leavers)"
            )
        return care_leaver_status(tables["care_leavers"], params.period_end, what)

    return status


_PLAN_LISTS = {"cin": ("cin_start_date", "cin_closure_date", "cin_plan_months", "Annex A List 6 (children in need)"),
               "cp_plans": ("cp_start_date", "cp_end_date", "cp_plan_months", "Annex A List 7 (child protection plans)"),
               "cla": ("cla_start_date", "cla_end_date", "cla_plan_months", "Annex A List 8 (children in care)")}  # fmt: skip


def _plans(table: str):
    start, end, key, where = _PLAN_LISTS[table]

    def status(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        if not _has(tables, table, "latest_plan_date"):
            return NotAvailable(f"needs a 'Date of Latest Plan' column in {where}")
        df = tables[table]
        if table == "cin":
            df = df[~df["child_id"].isin(_open_children(tables, params.period_end))]
        return latest_plans(df, start, end, params.period_end, _std(params)[key])

    return status


def _referrals(column: str, key: str):
    header, where = OPTIONAL_HEADERS[column]

    def events(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        if not _has(tables, "referrals", column):
            return NotAvailable(f"needs a {header!r} column in {where}")
        return referral_timeliness(tables["referrals"], params.period_end, column, _std(params)[key])

    return events


def _with_band(fn, band: str):
    def status(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        out = fn(tables, params)
        return out if isinstance(out, NotAvailable) else out[out["band"] == band].reset_index(drop=True)

    return status


# Every standard: key -> label, status function, the standard in words (intervals from the parameters),
# source, tables needed, snapshot (False: monthly events), headline, England benchmark key, section.
StatusFn = Callable[[Tables, Params], "pd.DataFrame | NotAvailable"]
STANDARDS: dict[str, dict] = {}


def _standard(
    key: str,
    label: str,
    fn: StatusFn,
    standard: str,
    source: str,
    needs: tuple[str, ...],
    *,
    snapshot: bool = True,
    headline: bool = False,
    england: str | None = None,
    section: str,
) -> None:
    STANDARDS[key] = {"label": label, "status": fn, "standard": standard, "source": source, "needs": needs,
                      "snapshot": snapshot, "headline": headline, "england": england, "section": section}  # fmt: skip


CIC, CP, CIN, LEAVERS, FRONT, PLANS = ("Children in care", "Child protection", "Children in need", "Care leavers",
                                       "Front door", "Up-to-date plans")  # fmt: skip
_standard("cla_visits_in_time", "Children in care visited within the statutory interval",
          _cla(cla_visits, "last_visit_date", days="cla_visit_days", first_days="cla_visit_first_days",
               long_term_months="cla_visit_long_term_months"),
          "last social work visit within {cla_visit_days} days of the period end; within "
          "{cla_visit_long_term_months} months for long-term fostering after its first year; first visit due "
          "{cla_visit_first_days} days after coming into care",
          "Care Planning, Placement and Case Review (England) Regulations 2010, reg. 28; Annex A List 8",
          ("cla",), headline=True, section=CIC)  # fmt: skip
_standard("cla_reviews_in_time", "Children in care reviewed in time",
          _cla(cla_reviews, "latest_review_date", first_wd="cla_review_first_wd",
               second_months="cla_review_second_months", months="cla_review_months"),
          "first review within {cla_review_first_wd} working days of coming into care, the second within "
          "{cla_review_second_months} months of the first, then every {cla_review_months} months",
          "Care Planning, Placement and Case Review (England) Regulations 2010, reg. 33; Annex A List 8",
          ("cla",), headline=True, section=CIC)  # fmt: skip
_standard("cla_health_up_to_date", "Children in care with an up-to-date health assessment",
          _cla(cla_health, "last_health_date", under5_months="cla_health_under5_months", months="cla_health_months"),
          "health assessment within {cla_health_under5_months} months for children under 5, "
          "{cla_health_months} months from the fifth birthday; children in care for 12 months or more (DfE's cohort)",
          "Promoting the health and well-being of looked-after children (statutory guidance, 2015); Annex A List 8",
          ("cla",), england="cla_health_up_to_date", section=CIC)  # fmt: skip
_standard("cla_iha_20wd", "Initial health assessments within 20 working days",
          _cla(cla_iha, "last_health_date", wd="cla_iha_wd"),
          "children who came into care this quarter whose initial health assessment was due by the period end: "
          "assessment within {cla_iha_wd} working days of coming into care",
          "Promoting the health and well-being of looked-after children (statutory guidance, 2015); Annex A List 8",
          ("cla",), headline=True, section=CIC)  # fmt: skip
_standard("cla_dental_up_to_date", "Children in care with a dental check in the last 12 months",
          _cla(cla_dental, "last_dental_date", months="cla_dental_months"),
          "dental check within {cla_dental_months} months; children in care for 12 months or more (DfE's cohort)",
          "SSDA903 outcomes (OC2) convention; Annex A List 8", ("cla",), england="cla_dental_up_to_date",
          section=CIC)  # fmt: skip
_standard("cla_iro_in_time", "Children in care seen or spoken to by their IRO in the last 6 months",
          _cla(cla_iro, "last_iro_date", months="cla_iro_months", first_wd="cla_review_first_wd"),
          "last contact with the independent reviewing officer within {cla_iro_months} months; first by the first "
          "review ({cla_review_first_wd} working days)", "Local standard (IRO Handbook); Annex A List 8",
          ("cla",), section=CIC)  # fmt: skip
_standard("cp_reviews_in_time", "Child protection plans reviewed in time",
          _cp(cp_reviews, "latest_review_date", "Date of latest review conference", first_months="cp_review_first_months",
              months="cp_review_months"),
          "first review conference within {cp_review_first_months} months of the initial conference, then every "
          "{cp_review_months} months; plans not yet due their first review are left out",
          "Working Together to Safeguard Children 2023; Annex A List 7", ("cp_plans",), headline=True,
          england="cp_reviews_in_time", section=CP)  # fmt: skip
_standard("cp_visits_in_time", "Children on a child protection plan visited in time",
          _cp(cp_visits, "last_visit_date", "Date of the Last Statutory Visit", wd="cp_visit_wd"),
          "last statutory visit within {cp_visit_wd} working days of the period end",
          "Local practice standard (a parameter); Annex A List 7", ("cp_plans",), section=CP)  # fmt: skip
_standard("cin_seen_in_time", "Children in need seen in time", _cin_seen,
          "children in need not on a child protection plan and not in care, last seen within {cin_seen_wd} "
          "working days of the period end", "Local practice standard (a parameter); Annex A List 6", ("cin",),
          section=CIN)  # fmt: skip
_standard("pathway_plan_18_21", "Care leavers aged 18-21 with a pathway plan reviewed in the last 6 months",
          _with_band(_leavers("pathway"), "18-21"),
          "pathway plan reviewed within {pathway_plan_months} months of the period end; care leavers aged 18-21",
          "Care Leavers (England) Regulations 2010, reg. 7; Annex A List 9", ("care_leavers",), headline=True,
          section=LEAVERS)  # fmt: skip
_standard("pathway_plan_16_17", "Young people aged 16-17 with a pathway plan reviewed in the last 6 months",
          _with_band(_leavers("pathway"), "16-17"),
          "pathway plan reviewed within {pathway_plan_months} months of the period end; young people aged 16-17 "
          "on the care leavers list", "Care Leavers (England) Regulations 2010, reg. 7; Annex A List 9",
          ("care_leavers",), section=LEAVERS)  # fmt: skip
_standard("care_leavers_in_touch", "Care leavers aged 19-21 the authority is in touch with",
          _with_band(_leavers("in_touch"), "19-21"),
          "in touch, of ALL care leavers aged 19-21 (DfE basis)", "Annex A List 9; DfE Children looked after in England",
          ("care_leavers",), england="care_leavers_in_touch", section=LEAVERS)  # fmt: skip
_standard("care_leavers_suitable", "Care leavers aged 19-21 in suitable accommodation",
          _with_band(_leavers("suitable"), "19-21"),
          "in touch and in suitable accommodation, of ALL care leavers aged 19-21 (DfE basis)",
          "Annex A List 9; DfE Children looked after in England", ("care_leavers",),
          england="care_leavers_suitable", section=LEAVERS)  # fmt: skip
_standard("strategy_discussion_1wd", "Strategy discussions within 1 working day",
          _referrals("strategy_discussion_date", "strategy_discussion_wd"),
          "strategy discussion within {strategy_discussion_wd} working day of the referral, by month of the "
          "discussion", "Working Together to Safeguard Children 2023; Annex A List 3, optional 'Date of Strategy "
          "Discussion' column", ("referrals",), snapshot=False, headline=True, section=FRONT)  # fmt: skip
_standard("referral_visit_5wd", "Referral visits within 5 working days",
          _referrals("child_seen_date", "referral_visit_wd"),
          "child seen within {referral_visit_wd} working days of the referral, by month of the visit",
          "Local standard; Annex A List 3, optional 'Date Child Seen' column", ("referrals",), snapshot=False,
          headline=True, section=FRONT)  # fmt: skip
_standard("referral_visit_10wd", "Referral visits within 10 working days",
          _referrals("child_seen_date", "referral_visit_long_wd"),
          "child seen within {referral_visit_long_wd} working days of the referral, by month of the visit",
          "Local standard; Annex A List 3, optional 'Date Child Seen' column", ("referrals",), snapshot=False,
          section=FRONT)  # fmt: skip
_standard("cin_plan_up_to_date", "Children in need with an up-to-date plan", _plans("cin"),
          "child in need plan updated within {cin_plan_months} months (children not on a child protection plan "
          "and not in care)", "Local standard; Annex A List 6, optional 'Date of Latest Plan' column", ("cin",),
          section=PLANS)  # fmt: skip
_standard(
    "cp_plan_up_to_date",
    "Children on a child protection plan with an up-to-date plan",
    _plans("cp_plans"),
    "child protection plan updated within {cp_plan_months} months",
    "Local standard; Annex A List 7, optional 'Date of Latest Plan' column",
    ("cp_plans",),
    section=PLANS,
)
_standard(
    "cla_plan_up_to_date",
    "Children in care with an up-to-date care plan",
    _plans("cla"),
    "care plan updated within {cla_plan_months} months",
    "Local standard; Annex A List 8, optional 'Date of Latest Plan' column",
    ("cla",),
    section=PLANS,
)


def standard_text(key: str, params: Params) -> str:
    """The standard of ``key`` in words, with this run's intervals."""
    return STANDARDS[key]["standard"].format(**params.practice_standards)


def status_of(key: str, tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
    """The status (snapshot) or events (front door) of standard ``key``, or what would provide it."""
    for need in STANDARDS[key]["needs"]:
        df = tables.get(need)
        if df is None or df.empty:
            from cscbook.measures.registry import TABLE_NAMES

            return NotAvailable(f"needs {TABLE_NAMES.get(need, need)}")
    return STANDARDS[key]["status"](tables, params)


def _compute(key: str):
    def compute(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        out = status_of(key, tables, params)
        if isinstance(out, NotAvailable):
            return out
        if not STANDARDS[key]["snapshot"]:
            return monthly(out)
        s = summary(out)
        return pd.DataFrame(
            {"month": [month_start(params.period_end)], "numerator": [s["met"]], "denominator": [s["due"]]}
        )

    return compute


for _key, _s in STANDARDS.items():
    register(Measure(
        key=_key, label=_s["label"], definition=_s["standard"].format(**DEFAULTS) + " (default intervals: parameters practice_standards).",
        source=_s["source"], needs=_s["needs"], kind="proportion", compute=_compute(_key), unit="%",
        higher_is_better=True, target_key=_key if _key in PRACTICE_TARGET_KEYS else None, england_key=_s["england"],
        chapter=CHAPTER, headline=_s["headline"], snapshot=_s["snapshot"],
    ))  # fmt: skip
