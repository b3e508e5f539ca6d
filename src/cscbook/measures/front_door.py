"""The front door: contacts, referrals, assessments, section 47 enquiries, ICPCs and CP plans.

Monthly measures over the whole extract (DEFINITIONS.md, "Front door"), their SPC charts and
the chapter's headline measures. The funnel is in ``cscbook.measures.funnel``; quarter comparisons,
seasonal decomposition and sentences are in ``cscbook.report.fd_trends``.

Conventions:

- a month is the pandas Timestamp of its first day; the series run from the first month of
  the extract (earliest contact or referral) to the month of the period end;
- contacts are deduplicated on child, contact date and source;
- working days: the measures called DfE's and set beside England or a target (assessments
  within 45 working days, from the start or the referral; ICPCs within 15 working days) count
  as DfE's validator does, start day included (``calendar.working_days_dfe``, same day = 1);
  the book's own count (``calendar.working_days_between``, same day = 0) is kept beside it in
  ``*_book`` columns and by ``monthly_series(..., working_days="book")``. Contact decisions
  within 1 working day (Working Together, not a DfE measure) use the book's count;
- no look-ahead: a contact counts in the contact-to-referral conversion only when its
  30-day window has closed by the period end, and in decision timeliness only when its
  1-working-day window has;
- measures counted at completion (assessment and ICPC timeliness) start ``LEAD_IN_MONTHS``
  after the extract's first month, when cases that started before the extract could bias them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscbook.config.calendar import add_working_days, working_days_between, working_days_dfe
from cscbook.methods import spc

CONTACT_REFERRAL_WINDOW_DAYS = 30
DECISION_WD = 1
ASSESSMENT_WD = 45
ICPC_WD = 15
# Timeliness counted at completion (assessments by month of authorisation, ICPCs by month of
# conference) is biased in the extract's first months: slow cases that started before the
# extract are missing. Those months are left out of these series.
LEAD_IN_MONTHS = 4


@dataclass(frozen=True)
class MeasureSpec:
    """A monthly front-door measure: how to chart it and how to judge it."""

    key: str
    label: str
    kind: str  # count | proportion | stock
    title: str
    ylabel: str
    higher_is_better: bool | None = None
    target_key: str | None = None
    england_key: str | None = None
    phrase: str = (
        ""  # follows the number in a sentence: "of assessments were completed within 45 working days"
    )


MEASURES: dict[str, MeasureSpec] = {
    m.key: m
    for m in [
        MeasureSpec("contacts", "Contacts", "count", "Contacts received each month", "contacts per month", phrase="contacts were received"),
        MeasureSpec("referrals", "Referrals", "count", "Referrals to children's social care each month",
                    "referrals per month", phrase="referrals were received"),
        MeasureSpec("contact_referral_30d", "Contacts leading to a referral within 30 days", "proportion",
                    "Share of contacts that led to a referral within 30 days", "% of contacts", phrase="of contacts led to a referral within 30 days"),
        MeasureSpec("contact_decision_1wd", "Contact decisions within 1 working day", "proportion",
                    "Contacts decided within 1 working day", "% of contacts", True, "contact_decision_1wd", phrase="of contacts were decided within 1 working day"),
        MeasureSpec("assessment_45wd", "Assessments completed within 45 working days", "proportion",
                    "Assessments completed within 45 working days", "% of assessments completed", True,
                    "assessment_45wd", "assessment_45wd", phrase="of assessments were completed within 45 working days"),
        MeasureSpec("assessment_45wd_from_referral", "Assessments within 45 working days of the referral",
                    "proportion", "Assessments completed within 45 working days of the referral",
                    "% of assessments completed", True, "assessment_45wd", phrase="of assessments were completed within 45 working days of the referral"),
        MeasureSpec("s47_icpc_15wd", "ICPCs within 15 working days of the s47 start", "proportion",
                    "Initial conferences within 15 working days of the enquiry starting", "% of conferences",
                    True, "s47_icpc_15wd", "s47_icpc_15wd", phrase="of initial conferences were held within 15 working days of the enquiry starting"),
        MeasureSpec("s47", "Section 47 enquiries", "count", "Section 47 enquiries started each month",
                    "enquiries per month", phrase="section 47 enquiries were started"),
        MeasureSpec("icpc", "Initial child protection conferences", "count",
                    "Initial child protection conferences held each month", "conferences per month", phrase="initial child protection conferences were held"),
        MeasureSpec("second_cp_plan", "Second or subsequent child protection plans", "proportion",
                    "Child protection plans that were a second or subsequent plan", "% of plans started", False,
                    "second_cp_plan", "second_cp_plan", phrase="of new child protection plans were second or subsequent plans"),
        MeasureSpec("cp_plans_open", "Child protection plans open at month end", "stock",
                    "Children on a child protection plan at the end of each month", "children", phrase="children were on a child protection plan"),
    ]
}  # fmt: skip


# The lists each measure needs; a measure whose list is absent (ctx.table is None) is left out.
SOURCES: dict[str, tuple[str, ...]] = {
    "contacts": ("contacts",), "referrals": ("referrals",), "contact_referral_30d": ("contacts", "referrals"),
    "contact_decision_1wd": ("contacts",), "assessment_45wd": ("assessments",),
    "assessment_45wd_from_referral": ("assessments", "referrals"), "s47_icpc_15wd": ("s47",), "s47": ("s47",),
    "icpc": ("s47",), "second_cp_plan": ("cp_plans",), "cp_plans_open": ("cp_plans",),
}  # fmt: skip


# ----------------------------------------------------------------------------- helpers
def month_of(dates: pd.Series) -> pd.Series:
    """First day of each date's month."""
    return pd.to_datetime(dates).dt.to_period("M").dt.to_timestamp()


def _dates(df: pd.DataFrame | None, column: str) -> pd.Series:
    """The column as datetimes; all missing (NaT, same index) when the list lacks the column."""
    if df is None:
        return pd.Series(dtype="datetime64[ns]")
    if column not in df.columns:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    return pd.to_datetime(df[column]).astype("datetime64[ns]")


def _ids(df: pd.DataFrame) -> pd.Series:
    return df["child_id"].astype("string").astype(object)


def extract_months(tables: dict[str, pd.DataFrame | None], period_end: pd.Timestamp) -> pd.DatetimeIndex:
    """Months from the first month of the extract (earliest contact or referral) to the period end."""
    firsts = [
        d.min()
        for d in (
            _dates(tables.get("contacts"), "contact_date"),
            _dates(tables.get("referrals"), "referral_date"),
        )
        if d.notna().any()
    ]
    if not firsts:
        return pd.DatetimeIndex([], name="month")
    return pd.date_range(
        month_of(pd.Series([min(firsts)])).iloc[0],
        month_of(pd.Series([period_end])).iloc[0],
        freq="MS",
        name="month",
    )


def dedup_contacts(contacts: pd.DataFrame | None) -> pd.DataFrame:
    """Contacts with a date, one per child, contact date and source (exact repeats removed)."""
    if contacts is None or contacts.empty:
        return pd.DataFrame(columns=["child_id", "contact_date", "contact_source", "contact_decision_date"])
    out = contacts[contacts["contact_date"].notna()]
    return out.drop_duplicates(["child_id", "contact_date", "contact_source"]).reset_index(drop=True)


def contacts_with_referral(
    contacts: pd.DataFrame,
    referrals: pd.DataFrame | None,
    period_end: pd.Timestamp | None = None,
    window_days: int = CONTACT_REFERRAL_WINDOW_DAYS,
) -> pd.DataFrame:
    """Add ``referred`` (a referral of the same child 0-30 calendar days after the contact) and
    ``window_complete`` (the 30-day window ended on or before ``period_end``) to deduplicated contacts."""
    out = contacts.copy()
    out["referred"] = False
    end = pd.Timestamp(period_end) if period_end is not None else pd.Timestamp.max
    out["window_complete"] = (_dates(out, "contact_date") + pd.Timedelta(days=window_days)) <= end
    if out.empty or referrals is None or referrals.empty:
        return out
    left = pd.DataFrame(
        {"pos": np.arange(len(out)), "child_id": _ids(out), "date": _dates(out, "contact_date")}
    )
    right = pd.DataFrame({"child_id": _ids(referrals), "referral_date": _dates(referrals, "referral_date")})
    right = right.dropna().sort_values("referral_date")
    m = pd.merge_asof(
        left.sort_values("date"),
        right,
        left_on="date",
        right_on="referral_date",
        by="child_id",
        direction="forward",
        tolerance=pd.Timedelta(days=window_days),
    )
    hit = m.loc[m["referral_date"].notna(), "pos"].to_numpy()
    out.loc[out.index[hit], "referred"] = True
    return out


def link_latest_referral(events: pd.DataFrame, date_column: str, referrals: pd.DataFrame | None) -> pd.Series:
    """Date of the latest referral of the same child on or before each event's ``date_column`` (NaT if none)."""
    if events.empty or referrals is None or referrals.empty:
        return pd.Series(pd.NaT, index=events.index, dtype="datetime64[ns]")
    left = pd.DataFrame(
        {"pos": np.arange(len(events)), "child_id": _ids(events), "date": _dates(events, date_column)}
    )
    right = pd.DataFrame({"child_id": _ids(referrals), "referral_date": _dates(referrals, "referral_date")})
    right = right.dropna().sort_values("referral_date")
    valid = left["date"].notna()
    m = pd.merge_asof(
        left[valid].sort_values("date"),
        right,
        left_on="date",
        right_on="referral_date",
        by="child_id",
        direction="backward",
    )
    out = pd.Series(pd.NaT, index=np.arange(len(events)), dtype="datetime64[ns]")
    out.loc[m["pos"].to_numpy()] = m["referral_date"].to_numpy()
    out.index = events.index
    return out


WORKING_DAY_CONVENTIONS = ("dfe", "book")


def _wd(convention: str):
    """The working-day count of a convention: ``dfe`` (start day counted) or ``book`` (same day = 0)."""
    if convention not in WORKING_DAY_CONVENTIONS:
        raise ValueError(f"working_days must be one of {WORKING_DAY_CONVENTIONS}, not {convention!r}")
    return working_days_dfe if convention == "dfe" else working_days_between


def assessment_timeliness(assessments: pd.DataFrame | None, referrals: pd.DataFrame | None) -> pd.DataFrame:
    """Authorised assessments with working days from the start to authorisation and from the
    latest referral on or before the start to authorisation (NA when no referral).

    ``wd_start`` and ``wd_referral`` count as DfE does (start day included: same day = 1);
    ``wd_start_book`` and ``wd_referral_book`` are the book's count (same day = 0), one less
    for a start on a working day. Assessments authorised before they started are left out
    (a data error)."""
    cols = [
        "assessment_start_date",
        "assessment_authorised_date",
        "referral_date",
        "wd_start",
        "wd_referral",
        "wd_start_book",
        "wd_referral_book",
    ]
    if assessments is None or assessments.empty:
        return pd.DataFrame(columns=cols)
    a = assessments[
        assessments["assessment_start_date"].notna() & assessments["assessment_authorised_date"].notna()
    ]
    a = a[a["assessment_authorised_date"] >= a["assessment_start_date"]].copy()
    a["referral_date"] = link_latest_referral(a, "assessment_start_date", referrals)
    a["wd_start"] = working_days_dfe(a["assessment_start_date"], a["assessment_authorised_date"])
    a["wd_referral"] = working_days_dfe(a["referral_date"], a["assessment_authorised_date"])
    a["wd_start_book"] = working_days_between(a["assessment_start_date"], a["assessment_authorised_date"])
    a["wd_referral_book"] = working_days_between(a["referral_date"], a["assessment_authorised_date"])
    return a


def icpc_timeliness(s47: pd.DataFrame | None) -> pd.DataFrame:
    """Enquiries with an ICPC on or after the s47 start, with ``wd_icpc`` (s47 start to ICPC,
    working days counted as DfE does: start day included) and ``wd_icpc_book`` (the book's count)."""
    if s47 is None or s47.empty:
        return pd.DataFrame(columns=["s47_start_date", "icpc_date", "wd_icpc", "wd_icpc_book"])
    s = s47[s47["s47_start_date"].notna() & s47["icpc_date"].notna()]
    s = s[s["icpc_date"] >= s["s47_start_date"]].copy()
    s["wd_icpc"] = working_days_dfe(s["s47_start_date"], s["icpc_date"])
    s["wd_icpc_book"] = working_days_between(s["s47_start_date"], s["icpc_date"])
    return s


def timeliness_by_convention(
    tables: dict[str, pd.DataFrame | None], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The DfE timeliness measures over [start, end] on both working-day conventions, side by side.

    One row per measure (``assessment_45wd``: by date of authorisation; ``s47_icpc_15wd``: by
    date of conference) with ``denominator``, ``within_dfe`` / ``rate_dfe`` (DfE's count, start
    day included: the figure set beside England) and ``within_book`` / ``rate_book`` (the
    book's count, same day = 0). Rates are NaN with no denominator.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    a = assessment_timeliness(tables.get("assessments"), tables.get("referrals"))
    a = a[
        (_dates(a, "assessment_authorised_date") >= start) & (_dates(a, "assessment_authorised_date") <= end)
    ]
    i = icpc_timeliness(tables.get("s47"))
    i = i[(_dates(i, "icpc_date") >= start) & (_dates(i, "icpc_date") <= end)]
    rows = []
    for key, frame, col, limit in (
        ("assessment_45wd", a, "wd_start", ASSESSMENT_WD),
        ("s47_icpc_15wd", i, "wd_icpc", ICPC_WD),
    ):
        n = len(frame)
        dfe = int(frame[col].le(limit).sum()) if n else 0
        book = int(frame[col + "_book"].le(limit).sum()) if n else 0
        rows.append(
            {
                "key": key,
                "limit_working_days": limit,
                "denominator": n,
                "within_dfe": dfe,
                "rate_dfe": dfe / n if n else np.nan,
                "within_book": book,
                "rate_book": book / n if n else np.nan,
            }
        )
    return pd.DataFrame(rows)


def complete_until(key: str, period_end: pd.Timestamp) -> pd.Timestamp | None:
    """The last event date a measure counts by ``period_end`` (no look-ahead), or None when complete.

    ``contact_referral_30d`` counts a contact once its 30-day window has closed (contacts up to
    ``period_end`` - 30 days); ``contact_decision_1wd`` once its 1-working-day window has (the
    last date one working day before ``period_end``). Other measures are complete to the period end.
    """
    period_end = pd.Timestamp(period_end)
    if key == "contact_referral_30d":
        return period_end - pd.Timedelta(days=CONTACT_REFERRAL_WINDOW_DAYS)
    if key == "contact_decision_1wd":
        days = pd.Series(pd.date_range(period_end - pd.Timedelta(days=10), period_end, freq="D"))
        ok = add_working_days(days, DECISION_WD).to_numpy() <= np.datetime64(period_end)
        return pd.Timestamp(days[ok].max())
    return None


def decision_available(contacts: pd.DataFrame | None) -> bool:
    """True when the extract has a contact decision date for at least one contact."""
    return (
        contacts is not None
        and "contact_decision_date" in contacts.columns
        and bool(contacts["contact_decision_date"].notna().any())
    )


# ----------------------------------------------------------------------------- monthly series
def _count(dates: pd.Series, months: pd.DatetimeIndex) -> pd.DataFrame:
    counts = month_of(dates.dropna()).value_counts()
    value = counts.reindex(months, fill_value=0).astype("int64")
    return pd.DataFrame({"month": months, "value": value.to_numpy()})


def _proportion(dates: pd.Series, hit: pd.Series, months: pd.DatetimeIndex) -> pd.DataFrame:
    frame = pd.DataFrame({"month": month_of(dates).to_numpy(), "hit": hit.astype(bool).to_numpy()})
    g = frame.groupby("month")["hit"].agg(["sum", "count"]).reindex(months, fill_value=0)
    num, den = g["sum"].astype("int64").to_numpy(), g["count"].astype("int64").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return pd.DataFrame({"month": months, "numerator": num, "denominator": den, "value": value})


def cp_plans_open(cp_plans: pd.DataFrame | None, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Plans open at each month end: started on or before it and not ended by it (end blank or later)."""
    if cp_plans is None or cp_plans.empty or len(months) == 0:
        return pd.DataFrame({"month": months, "value": np.zeros(len(months), dtype="int64")})
    start = _dates(cp_plans, "cp_start_date").dropna()
    end = _dates(cp_plans, "cp_end_date").loc[start.index]
    month_end = (months + pd.offsets.MonthEnd(0)).to_numpy()
    started = np.searchsorted(np.sort(start.to_numpy()), month_end, side="right")
    ended_dates = np.sort(end.dropna().to_numpy())
    ended = np.searchsorted(ended_dates, month_end, side="right")
    return pd.DataFrame({"month": months, "value": (started - ended).astype("int64")})


def monthly_series(
    tables: dict[str, pd.DataFrame | None],
    period_end: pd.Timestamp,
    lead_in_months: int = LEAD_IN_MONTHS,
    working_days: str = "dfe",
) -> dict[str, pd.DataFrame]:
    """Every front-door monthly measure over the extract, keyed as ``MEASURES``.

    Counts and stocks: columns month, value. Proportions: month, numerator, denominator,
    value (NaN for a month with no denominator). ``contact_decision_1wd`` is absent when the
    extract has no contact decision dates, and every measure whose list is absent (``SOURCES``)
    is left out. Assessment and ICPC timeliness start
    ``lead_in_months`` after the first month, and count working days by ``working_days``:
    ``"dfe"`` (DfE's validator, start day included: the default, as these are DfE's measures)
    or ``"book"`` (the book's count, same day = 0).
    """
    suffix = "" if _wd(working_days) is working_days_dfe else "_book"
    period_end = pd.Timestamp(period_end)
    months = extract_months(tables, period_end)
    contacts = dedup_contacts(tables.get("contacts"))
    contacts = contacts[_dates(contacts, "contact_date") <= period_end]
    referrals = tables.get("referrals")
    out: dict[str, pd.DataFrame] = {}
    out["contacts"] = _count(_dates(contacts, "contact_date"), months)
    out["referrals"] = _count(_dates(referrals, "referral_date"), months)

    linked = contacts_with_referral(contacts, referrals, period_end)
    done = linked[linked["window_complete"]]
    out["contact_referral_30d"] = _proportion(_dates(done, "contact_date"), done["referred"], months)

    if decision_available(contacts):
        cd = _dates(contacts, "contact_date")
        complete = add_working_days(cd, DECISION_WD).to_numpy() <= np.datetime64(period_end)
        c = contacts[complete]
        wd = working_days_between(c["contact_date"], c["contact_decision_date"])
        ok = (wd >= 0) | wd.isna()  # decisions dated before the contact are data errors: left out
        c, wd = c[ok.to_numpy()], wd[ok]
        out["contact_decision_1wd"] = _proportion(
            _dates(c, "contact_date"), wd.le(DECISION_WD).fillna(False), months
        )

    a = assessment_timeliness(tables.get("assessments"), referrals)
    out["assessment_45wd"] = _proportion(
        _dates(a, "assessment_authorised_date"), a["wd_start" + suffix].le(ASSESSMENT_WD), months
    )
    ar = a[a["referral_date"].notna()]
    out["assessment_45wd_from_referral"] = _proportion(
        _dates(ar, "assessment_authorised_date"), ar["wd_referral" + suffix].le(ASSESSMENT_WD), months
    )
    i = icpc_timeliness(tables.get("s47"))
    out["s47_icpc_15wd"] = _proportion(_dates(i, "icpc_date"), i["wd_icpc" + suffix].le(ICPC_WD), months)
    out["s47"] = _count(_dates(tables.get("s47"), "s47_start_date"), months)
    out["icpc"] = _count(_dates(i, "icpc_date"), months)

    if len(months):
        lead_in = months[0] + pd.DateOffset(months=lead_in_months)
        for key in ("assessment_45wd", "assessment_45wd_from_referral", "s47_icpc_15wd"):
            out[key] = out[key][out[key]["month"] >= lead_in].reset_index(drop=True)

    cp = tables.get("cp_plans")
    if cp is not None and not cp.empty and {"cp_start_date", "previous_cp_plans"} <= set(cp.columns):
        p = cp[cp["cp_start_date"].notna() & cp["previous_cp_plans"].notna()]
        out["second_cp_plan"] = _proportion(
            _dates(p, "cp_start_date"), p["previous_cp_plans"].astype("Int64") > 0, months
        )
    else:
        out["second_cp_plan"] = _proportion(pd.Series(dtype="datetime64[ns]"), pd.Series(dtype=bool), months)
    out["cp_plans_open"] = cp_plans_open(cp, months)
    for key, needs in SOURCES.items():
        if any(tables.get(name) is None for name in needs):
            out.pop(key, None)  # a list absent from the extract: the measure is not available
    for frame in out.values():
        frame["month"] = pd.to_datetime(frame["month"])
    return out


def chart(frame: pd.DataFrame, kind: str, **kwargs) -> pd.DataFrame:
    """SPC chart of a monthly measure: p-chart for proportions, XmR (floored at 0) for counts and stocks."""
    frame = frame.set_index("month")
    if kind == "proportion":
        return spc.p_chart(frame["numerator"], frame["denominator"], **kwargs)
    return spc.xmr(frame["value"], lower_bound=0, **kwargs)


def charts(series: dict[str, pd.DataFrame], **kwargs) -> dict[str, pd.DataFrame]:
    """SPC charts of every monthly measure (by ``MEASURES`` kind)."""
    return {k: chart(v, MEASURES[k].kind, **kwargs) for k, v in series.items()}
