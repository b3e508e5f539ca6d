"""The front-door funnel for a period: contacts -> referrals -> assessments -> s47 -> ICPC -> CP plan.

Stage counts are events dated in the period (contacts received, referrals received,
assessments started, s47 enquiries started, ICPCs held, CP plans started). Conversions
follow children where a definition exists (DEFINITIONS.md), with Wilson 95% intervals:

- contact -> referral: contacts in the period followed by a referral of the same child
  within 30 calendar days, among contacts whose 30-day window closed by the period end;
- referral -> assessment: referrals in the period to which an assessment is linked (each
  assessment is linked to the latest referral of the same child on or before its start);
- assessment -> s47: s47 enquiries started per assessment started (a ratio of counts; no
  interval, the events are not linked);
- s47 -> ICPC: s47 enquiries started in the period that led to an ICPC (dated on or after
  the s47 start) among those that ended (an ICPC held, or one deemed unnecessary);
- ICPC -> CP plan: ICPCs held in the period that resulted in a plan, among those recorded Y/N.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.data.codes import SOURCE_GROUP
from cscbook.measures.front_door import (
    _dates,
    _ids,
    contacts_with_referral,
    dedup_contacts,
    icpc_timeliness,
    link_latest_referral,
)
from cscbook.methods.intervals import wilson

FUNNEL_COLUMNS = ["stage", "count", "conversion", "numerator", "denominator", "rate", "ci_low", "ci_high"]


def period_bounds(
    period_end: pd.Timestamp, months: int = 3, back_months: int = 0
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the ``months`` months ending ``back_months`` months before ``period_end``.

    This quarter: (months=3, back=0); last quarter: back=3; a year ago: back=12; rolling 12
    months: months=12.
    """
    end = (pd.Timestamp(period_end) - pd.DateOffset(months=back_months)) + pd.offsets.MonthEnd(0)
    start = (end - pd.DateOffset(months=months - 1)).replace(day=1)
    return start.normalize(), end.normalize()


def _in(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    return dates.notna() & (dates >= start) & (dates <= end)


def _rate_row(stage, count, conversion, num, den) -> dict:
    low, high = wilson(num, den)
    return {
        "stage": stage,
        "count": count,
        "conversion": conversion,
        "numerator": num,
        "denominator": den,
        "rate": num / den if den else np.nan,
        "ci_low": low[0],
        "ci_high": high[0],
    }


def referred_contacts(tables: dict, start, end, period_end) -> pd.DataFrame:
    """Deduplicated contacts received in the period with ``referred`` and ``window_complete``."""
    c = dedup_contacts(tables.get("contacts"))
    c = c[_in(_dates(c, "contact_date"), start, end).to_numpy()]
    return contacts_with_referral(c, tables.get("referrals"), period_end)


def referrals_with_assessment(tables: dict, start, end) -> pd.DataFrame:
    """Referrals received in the period with ``assessed``: an assessment is linked to the referral."""
    r = tables.get("referrals")
    if r is None or r.empty:
        return pd.DataFrame(
            columns=["child_id", "referral_date", "referral_source", "referral_nfa", "assessed"]
        )
    r = r[_in(_dates(r, "referral_date"), start, end).to_numpy()].copy()
    a = tables.get("assessments")
    r["assessed"] = False
    if a is not None and not a.empty and not r.empty:
        a = a[a["assessment_start_date"].notna()]
        linked = pd.DataFrame(
            {
                "child_id": _ids(a),
                "referral_date": link_latest_referral(a, "assessment_start_date", tables.get("referrals")),
            }
        )
        linked = linked.dropna().drop_duplicates().assign(hit=True)
        keys = pd.DataFrame({"child_id": _ids(r), "referral_date": _dates(r, "referral_date")})
        hit = keys.merge(linked, how="left", on=["child_id", "referral_date"])["hit"]
        r["assessed"] = hit.fillna(False).astype(bool).to_numpy()
    return r


def funnel(tables: dict, start: pd.Timestamp, end: pd.Timestamp, period_end: pd.Timestamp) -> pd.DataFrame:
    """The funnel for the period [start, end]: one row per stage, with its conversion from the stage before."""
    c = referred_contacts(tables, start, end, period_end)
    done = c[c["window_complete"]]
    r = referrals_with_assessment(tables, start, end)
    a = tables.get("assessments")
    n_assess = int(_in(_dates(a, "assessment_start_date"), start, end).sum())
    s = tables.get("s47")
    s_dates = _dates(s, "s47_start_date")
    n_s47 = int(_in(s_dates, start, end).sum())
    held = icpc_timeliness(s)
    n_icpc = int(_in(_dates(held, "icpc_date"), start, end).sum())
    cp = tables.get("cp_plans")
    n_cp = int(_in(_dates(cp, "cp_start_date"), start, end).sum())

    # s47 started in the period that ended: ICPC held (on/after the start) or deemed unnecessary
    if s is not None and not s.empty:
        sp = s[_in(s_dates, start, end).to_numpy()]
        has_icpc = sp["icpc_date"].notna() & (sp["icpc_date"] >= sp["s47_start_date"])
        unnecessary = sp["icpc_unnecessary"].astype("string").eq("Y").fillna(False) & ~has_icpc
        s_num, s_den = int(has_icpc.sum()), int((has_icpc | unnecessary).sum())
    else:
        s_num = s_den = 0
    hp = held[_in(_dates(held, "icpc_date"), start, end).to_numpy()] if not held.empty else held
    plan = (
        hp["icpc_resulted_in_plan"].astype("string")
        if "icpc_resulted_in_plan" in hp
        else pd.Series(dtype="string")
    )
    p_num, p_den = int(plan.eq("Y").sum()), int(plan.isin(["Y", "N"]).sum())

    rows = [
        _rate_row("Contacts", len(c), "", np.nan, 0),
        _rate_row(
            "Referrals",
            len(r),
            "contacts leading to a referral within 30 days",
            int(done["referred"].sum()),
            len(done),
        ),
        _rate_row(
            "Assessments", n_assess, "referrals leading to an assessment", int(r["assessed"].sum()), len(r)
        ),
        {
            "stage": "Section 47 enquiries",
            "count": n_s47,
            "conversion": "s47 enquiries per assessment (ratio of counts)",
            "numerator": n_s47,
            "denominator": n_assess,
            "rate": n_s47 / n_assess if n_assess else np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
        },
        _rate_row(
            "Initial child protection conferences", n_icpc, "s47 enquiries leading to an ICPC", s_num, s_den
        ),
        _rate_row("Child protection plans", n_cp, "ICPCs resulting in a plan", p_num, p_den),
    ]
    out = pd.DataFrame(rows, columns=FUNNEL_COLUMNS)
    out.loc[0, ["numerator", "denominator"]] = np.nan
    # a stage whose list is absent from the extract is not available (NaN), not zero
    needs = [
        ("contacts",),
        ("contacts", "referrals"),
        ("referrals", "assessments"),
        ("assessments", "s47"),
        ("s47",),
        ("s47", "cp_plans"),
    ]
    count_needs = ["contacts", "referrals", "assessments", "s47", "s47", "cp_plans"]
    for i, (conv, own) in enumerate(zip(needs, count_needs, strict=True)):
        if tables.get(own) is None:
            out.loc[i, "count"] = np.nan
        if any(tables.get(n) is None for n in conv):
            out.loc[i, ["numerator", "denominator", "rate", "ci_low", "ci_high"]] = np.nan
    return out


def source_group(codes: pd.Series) -> pd.Series:
    """Broad source group (codes.SOURCE_GROUP) of each contact or referral source; 'Not recorded' if blank."""
    return codes.astype("string").map(SOURCE_GROUP).fillna("Not recorded").astype(str)


def by_source(tables: dict, start, end, period_end) -> pd.DataFrame:
    """Contacts and referrals in the period by source group: contacts, share referred within 30 days
    (Wilson 95%), referrals, referral NFA rate (Wilson 95%)."""
    c = referred_contacts(tables, start, end, period_end)
    c = c.assign(group=source_group(c["contact_source"]) if not c.empty else pd.Series(dtype=str))
    done = c[c["window_complete"]]
    r = tables.get("referrals")
    r = (
        r[_in(_dates(r, "referral_date"), start, end).to_numpy()]
        if r is not None
        else pd.DataFrame(columns=["referral_source", "referral_nfa"])
    )
    r = r.assign(
        group=source_group(r["referral_source"]) if not r.empty else pd.Series(dtype=str),
        nfa=r["referral_nfa"].astype("string").eq("Y").fillna(False),
        known=r["referral_nfa"].astype("string").isin(["Y", "N"]).fillna(False),
    )
    groups = sorted(set(c["group"]) | set(r["group"]))
    out = pd.DataFrame({"source_group": groups})
    out["contacts"] = c.groupby("group").size().reindex(groups, fill_value=0).to_numpy()
    num = done.groupby("group")["referred"].sum().reindex(groups, fill_value=0).to_numpy()
    den = done.groupby("group").size().reindex(groups, fill_value=0).to_numpy()
    out["contact_referral_rate"] = np.where(den > 0, num / np.maximum(den, 1), np.nan)
    out["contact_referral_ci_low"], out["contact_referral_ci_high"] = wilson(num, den)
    out["referrals"] = r.groupby("group").size().reindex(groups, fill_value=0).to_numpy()
    nfa = r.groupby("group")["nfa"].sum().reindex(groups, fill_value=0).to_numpy()
    known = r.groupby("group")["known"].sum().reindex(groups, fill_value=0).to_numpy()
    out["nfa_rate"] = np.where(known > 0, nfa / np.maximum(known, 1), np.nan)
    out["nfa_ci_low"], out["nfa_ci_high"] = wilson(nfa, known)
    return out.sort_values(["contacts", "source_group"], ascending=[False, True]).reset_index(drop=True)


def nfa_rate(tables: dict, start, end) -> dict:
    """Referral NFA rate in the period: referrals with NFA = Y / referrals recorded Y or N, Wilson 95%."""
    r = tables.get("referrals")
    if r is None or r.empty:
        return {"numerator": 0, "denominator": 0, "rate": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    flag = r.loc[_in(_dates(r, "referral_date"), start, end).to_numpy(), "referral_nfa"].astype("string")
    num, den = int(flag.eq("Y").sum()), int(flag.isin(["Y", "N"]).sum())
    low, high = wilson(num, den)
    return {
        "numerator": num,
        "denominator": den,
        "rate": num / den if den else np.nan,
        "ci_low": low[0],
        "ci_high": high[0],
    }


def early_help(tables: dict, start, end) -> dict | None:
    """Early help (List 2) in the period: assessments started, completed, and open at the end. None if absent."""
    eh = tables.get("early_help")
    if eh is None:
        return None
    s, c = _dates(eh, "eh_start_date"), _dates(eh, "eh_completion_date")
    open_at_end = s.notna() & (s <= end) & (c.isna() | (c > end))
    return {
        "started": int(_in(s, start, end).sum()),
        "completed": int(_in(c, start, end).sum()),
        "open_at_end": int(open_at_end.sum()),
    }
