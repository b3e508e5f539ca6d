"""Closed involvements: the unit of the re-referral drivers model, with covariates and follow-up.

Definitions (DEFINITIONS.md):

- **Closed involvement** (contract shared with the synthetic authority): an NFA referral
  (closes on the referral date) or a List 6 CIN episode opened by a referral and closed, with
  how it ended (``ended``). Episodes that end in care, adoption, death, transfer (RC1-RC6) are
  not at risk of re-referral and are excluded, with a count.
- **Outcome**: a new referral for the same child 1 to 365 days after the closure date, using
  only referrals dated on or before the period end (no look-ahead).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscbook.config.calendar import age_in_years
from cscbook.data import codes
from cscbook.measures.rereferrals import WINDOW_DAYS, as_dates

ENDED_LEVELS = (
    "nfa_at_referral",
    "after_assessment",
    "stepped_down_early_help",
    "after_cin_plan",
    "after_cp_plan",
)
ENDED_LABELS = {
    "nfa_at_referral": "No further action at referral",
    "after_assessment": "Closed after assessment",
    "stepped_down_early_help": "Stepped down to early help",
    "after_cin_plan": "Closed after a child in need plan",
    "after_cp_plan": "Closed after a child protection plan",
}
AGE_BANDS = ("0-4", "5-9", "10-15", "16-17")
NOT_AT_RISK_REASONS = {"RC1", "RC2", "RC3", "RC4", "RC5", "RC6"}

# Lists 4-8 that record disability, with the date each record starts.
_DATED = {
    "assessments": "assessment_start_date",
    "s47": "s47_start_date",
    "cin": "cin_start_date",
    "cp_plans": "cp_start_date",
    "cla": "cla_start_date",
}


def _str(s: pd.Series) -> pd.Series:
    """Codes as plain object strings (NA kept), whatever the input dtype (categorical, str)."""
    return s.astype("object").where(s.notna(), None)


@dataclass
class Involvements:
    """Closed involvements (one row each) and the counts of what was excluded and why."""

    data: pd.DataFrame
    excluded: dict[str, int] = field(default_factory=dict)

    def notes(self) -> pd.DataFrame:
        return pd.DataFrame({"reason": list(self.excluded), "involvements": list(self.excluded.values())})


# ---------------------------------------------------------------------------
# Characteristics
# ---------------------------------------------------------------------------


def disability_at(tables: dict[str, pd.DataFrame], keys: pd.DataFrame) -> pd.Series:
    """A child's disability (Y/N) as last recorded on or before a date, else U.

    ``keys`` has child_id and date; the answer comes from the latest List 4-8 record that
    started on or before that date (so a record made after a re-referral cannot leak into
    the involvement it follows). Returns a Series aligned with ``keys``.
    """
    parts = []
    for name, date_col in _DATED.items():
        t = tables.get(name)
        if t is not None and not t.empty and "disability" in t and date_col in t:
            d = pd.DataFrame(
                {
                    "child_id": t["child_id"].astype(str),
                    "rec_date": as_dates(t[date_col]),
                    "disability": _str(t["disability"]),
                }  # fmt: skip
            )
            parts.append(d[d["disability"].isin(["Y", "N"]) & d["rec_date"].notna()])
    out = pd.Series("U", index=keys.index, dtype=object)
    if not parts:
        return out
    rec = pd.concat(parts, ignore_index=True).sort_values(["rec_date", "child_id"], kind="stable")
    k = keys[["child_id", "date"]].assign(_row=np.arange(len(keys))).sort_values("date", kind="stable")
    k["date"] = as_dates(k["date"])
    m = pd.merge_asof(k, rec, left_on="date", right_on="rec_date", by="child_id", direction="backward")
    vals = m.set_index("_row")["disability"].reindex(np.arange(len(keys)))
    out.iloc[:] = vals.fillna("U").to_numpy()
    return out


def age_band(age_years: pd.Series) -> pd.Series:
    """Age bands of the model: 0-4, 5-9, 10-15, 16-17 (NA outside 0-17; unborn counts as 0-4)."""
    a = age_years.astype("Float64").clip(lower=0)
    out = pd.Series(pd.NA, index=age_years.index, dtype="object")
    out = out.mask(a.between(0, 4).fillna(False).astype(bool), "0-4")
    out = out.mask(a.between(5, 9).fillna(False).astype(bool), "5-9")
    out = out.mask(a.between(10, 15).fillna(False).astype(bool), "10-15")
    out = out.mask(a.between(16, 17).fillna(False).astype(bool), "16-17")
    return out


# ---------------------------------------------------------------------------
# Building the involvements
# ---------------------------------------------------------------------------


def _referrals(refs: pd.DataFrame, period_end: pd.Timestamp) -> pd.DataFrame:
    """List 3 referrals dated <= period end, one per child and date, with what the model uses."""
    r = pd.DataFrame(
        {
            "child_id": refs["child_id"].astype(str),
            "referral_date": as_dates(refs["referral_date"]),
            "nfa": _str(refs["referral_nfa"]),
            "source": _str(refs["referral_source"]).map(codes.SOURCE_GROUP),
            "sex": _str(refs["sex"]),
            "ethnicity": _str(refs["ethnicity"]),
            "date_of_birth": as_dates(refs["date_of_birth"]),
            "need_l3": _str(refs["primary_need"]) if "primary_need" in refs else None,
            "team": _str(refs["allocated_team"]) if "allocated_team" in refs else None,
        }
    )
    r = r[r["referral_date"].notna() & (r["referral_date"] <= period_end)]
    r = r.sort_values(["child_id", "referral_date"]).drop_duplicates(
        ["child_id", "referral_date"], keep="last"
    )
    return r.reset_index(drop=True)


def _care_starts(cla: pd.DataFrame | None, episodes: pd.DataFrame | None) -> pd.DataFrame:
    """Dates a period of care started, per child, from List 8 and SSDA903 episodes."""
    parts = []
    if cla is not None and not cla.empty:
        parts.append(
            pd.DataFrame(
                {"child_id": cla["child_id"].astype(str), "care_start": as_dates(cla["cla_start_date"])}
            )
        )
    if episodes is not None and not episodes.empty:
        ep = episodes.sort_values(["child_id", "episode_start"])
        first = ~ep["child_id"].duplicated()
        rne = (
            _str(ep["reason_new_episode"]) if "reason_new_episode" in ep else pd.Series(None, index=ep.index)
        )
        starts = ep[first | (rne == "S")]
        parts.append(
            pd.DataFrame(
                {"child_id": starts["child_id"].astype(str), "care_start": as_dates(starts["episode_start"])}
            )
        )
    if not parts:
        return pd.DataFrame(
            {"child_id": pd.Series(dtype=str), "care_start": pd.Series(dtype="datetime64[ns]")}
        )
    return pd.concat(parts, ignore_index=True).dropna().drop_duplicates()


def _any_inside(episodes: pd.DataFrame, events: pd.DataFrame, date_col: str) -> pd.Series:
    """For each episode (child_id, start, end), whether an event for the child is dated inside it."""
    if events.empty:
        return pd.Series(False, index=episodes.index)
    m = episodes[["child_id", "start", "end"]].reset_index(names="_ep").merge(events, on="child_id")
    hit = (m[date_col] >= m["start"]) & (m[date_col] <= m["end"])
    return episodes.index.to_series().isin(m.loc[hit, "_ep"]).astype(bool)


def _closed_cin_episodes(
    tables: dict[str, pd.DataFrame], r: pd.DataFrame, period_end: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, int]]:
    """CIN episodes opened by a (non-NFA) referral in ``r`` and closed by the period end, with
    how they ended; and the counts of episodes excluded, by reason (empty without List 6)."""
    cin = tables.get("cin")
    excluded: dict[str, int] = {}
    if cin is None or cin.empty:
        return pd.DataFrame(), excluded
    c = pd.DataFrame(
        {
            "child_id": cin["child_id"].astype(str),
            "start": as_dates(cin["cin_start_date"]),
            "closure": as_dates(cin["cin_closure_date"]),
            "reason": _str(cin["closure_reason"]),
            "need_l6": _str(cin["primary_need"]),
            "team_l6": _str(cin["allocated_team"]) if "allocated_team" in cin else None,
        }
    )
    c = c[c["closure"].notna() & (c["closure"] <= period_end) & c["start"].notna()]
    c = c.drop_duplicates(["child_id", "start"], keep="last")
    m = c.merge(r, left_on=["child_id", "start"], right_on=["child_id", "referral_date"], how="left")
    unmatched = m["referral_date"].isna()
    early = m["start"] < r["referral_date"].min() if len(r) else unmatched
    excluded["CIN episode opened before the extract's first referral"] = int((unmatched & early).sum())
    excluded["CIN episode with no referral on its start date"] = int((unmatched & ~early).sum())
    m = m[m["referral_date"].notna()]
    n_nfa_dup = int((m["nfa"] == "Y").sum())
    if n_nfa_dup:
        excluded["CIN episode of an NFA referral (counted once, as NFA)"] = n_nfa_dup
    m = m[m["nfa"] != "Y"].reset_index(drop=True)
    # The team that held the episode (List 6), else the referral's team.
    m["team"] = m["team_l6"].fillna(m["team"])
    not_at_risk = m["reason"].isin(NOT_AT_RISK_REASONS)
    excluded["closed: adopted, died, order, transferred (RC1-RC6)"] = int(not_at_risk.sum())
    m = m[~not_at_risk].reset_index(drop=True)
    spans = m[["child_id", "start", "closure"]].rename(columns={"closure": "end"})
    care = _care_starts(tables.get("cla"), tables.get("cla_episodes"))
    in_care = _any_inside(spans, care, "care_start")
    excluded["child entered care during the episode"] = int(in_care.sum())
    m = m[~in_care.to_numpy()].reset_index(drop=True)
    spans = m[["child_id", "start", "closure"]].rename(columns={"closure": "end"})
    cp = tables.get("cp_plans")
    cp_ev = (
        pd.DataFrame(
            {"child_id": cp["child_id"].astype(str), "cp_start": as_dates(cp["cp_start_date"])}
        ).dropna()
        if cp is not None and not cp.empty
        else pd.DataFrame(columns=["child_id", "cp_start"])
    )
    had_cp = _any_inside(spans, cp_ev, "cp_start").to_numpy()
    m["ended"] = np.select(
        [m["reason"].eq("RC8").to_numpy(), m["reason"].eq("RC9").to_numpy(), had_cp],
        ["after_assessment", "stepped_down_early_help", "after_cp_plan"],
        default="after_cin_plan",
    )
    return m, excluded


def _with_covariates(inv: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Add primary_need, ethnicity_group, disability (at closure) and age_band (at closure; NA
    when unknown or 18+), and fill missing sex, source and team with their 'unknown' values."""
    inv = inv.copy()
    inv["primary_need"] = inv["need_l3"].fillna(inv["need_l6"]).fillna("Not recorded")
    inv["ethnicity_group"] = inv["ethnicity"].map(codes.ETHNICITY_GROUP).fillna("Not known")
    inv["sex"] = inv["sex"].fillna("U")
    inv["source"] = inv["source"].fillna("Unknown")
    inv["team"] = inv["team"].fillna("Not recorded")
    inv["disability"] = disability_at(
        tables, inv[["child_id", "closure"]].rename(columns={"closure": "date"})
    )
    age = age_in_years(inv["date_of_birth"], inv["closure"])
    inv["age_band"] = age_band(age)
    return inv


def _with_follow_up(inv: pd.DataFrame, r: pd.DataFrame, period_end: pd.Timestamp) -> pd.DataFrame:
    """Add the referral history and follow-up columns (see :func:`closed_involvements`), only
    from the referrals in ``r`` (dated <= period end); drop rows with negative follow-up."""
    inv = inv.copy()
    hist = (
        inv[["child_id", "start", "closure"]]
        .reset_index(names="_i")
        .merge(r[["child_id", "referral_date"]], on="child_id")
    )
    before = hist[(hist["referral_date"] < hist["start"])
                  & (hist["referral_date"] >= hist["start"] - pd.Timedelta(days=WINDOW_DAYS))]  # fmt: skip
    inv["previous_referrals"] = (
        before.groupby("_i").size().reindex(inv.index, fill_value=0).clip(upper=3).astype("int64")
    )
    after = hist[hist["referral_date"] > hist["closure"]]
    nxt = after.groupby("_i")["referral_date"].min().reindex(inv.index)
    inv["next_referral_days"] = (nxt - inv["closure"]).dt.days.astype("Int64")
    eighteen = inv["date_of_birth"] + pd.DateOffset(years=18)
    inv["followup_end"] = pd.concat([eighteen, pd.Series(period_end, index=inv.index)], axis=1).min(axis=1)
    inv["full_followup"] = (inv["closure"] + pd.Timedelta(days=WINDOW_DAYS)) <= inv["followup_end"]
    inv["rereferred_12m"] = inv["next_referral_days"].between(1, WINDOW_DAYS).fillna(False).astype("int64")
    censor = (inv["followup_end"] - inv["closure"]).dt.days
    nd = inv["next_referral_days"].astype("Float64")
    event = (nd <= censor).fillna(False).astype(bool)
    inv["event"] = event.astype("int64")
    inv["time"] = np.where(event, nd.fillna(0).to_numpy(dtype=float), censor.to_numpy(dtype=float))
    return inv[inv["time"] >= 0]


def closed_involvements(tables: dict[str, pd.DataFrame], period_end: pd.Timestamp) -> Involvements:
    """Closed involvements up to ``period_end`` with their covariates and follow-up.

    Columns: involvement_id (row number, not a child identifier), child_id (kept for cluster
    standard errors; never written out), start, closure, ended, age_band, sex,
    ethnicity_group, disability, primary_need, source, team (List 6's allocated team, else the
    referral's: in a real Annex A the team at the extract date, not at closure, so the drivers
    model leaves it out), involvement_days,
    previous_referrals (referrals in the 365 days before the opening referral, capped at 3),
    next_referral_days (days from closure to the child's next referral dated <= period end),
    followup_end (earliest of period end and 18th birthday), full_followup (closure + 365 days
    <= period end and the child is under 18 throughout), rereferred_12m (next referral on day
    1..365), time (days to re-referral or censoring) and event (0/1) for survival analysis.
    """
    period_end = pd.Timestamp(period_end)
    refs = tables.get("referrals")
    if refs is None or refs.empty:
        return Involvements(pd.DataFrame(), {"no referrals (List 3) in the extract": 0})
    r = _referrals(refs, period_end)
    # (a) NFA referrals close on the referral date; (b) closed CIN episodes opened by a referral.
    nfa = r[r["nfa"] == "Y"].assign(start=lambda d: d["referral_date"], closure=lambda d: d["referral_date"],
                                   ended="nfa_at_referral", need_l6=None)  # fmt: skip
    eps, excluded = _closed_cin_episodes(tables, r, period_end)
    cols = ["child_id", "start", "closure", "ended", "sex", "ethnicity", "date_of_birth",
            "need_l3", "need_l6", "source", "team"]  # fmt: skip
    inv = pd.concat([nfa[cols], eps[cols]] if not eps.empty else [nfa[cols]], ignore_index=True)
    inv = _with_covariates(inv, tables)
    no_age = inv["age_band"].isna()
    excluded["no date of birth, or aged 18+ at closure"] = int(no_age.sum())
    inv = inv[~no_age].reset_index(drop=True)
    inv["involvement_days"] = (inv["closure"] - inv["start"]).dt.days.astype("int64")
    inv = _with_follow_up(inv, r, period_end)
    inv = inv.sort_values(["closure", "child_id", "start", "ended"], kind="stable").reset_index(drop=True)
    inv.insert(0, "involvement_id", np.arange(1, len(inv) + 1))
    keep = ["involvement_id", "child_id", "start", "closure", "ended", "age_band", "sex", "ethnicity_group",
            "disability", "primary_need", "source", "team", "involvement_days", "previous_referrals",
            "next_referral_days", "followup_end", "full_followup", "rereferred_12m", "time", "event"]  # fmt: skip
    return Involvements(inv[keep], dict(excluded))


def model_table(inv: pd.DataFrame) -> pd.DataFrame:
    """Involvements with a full 12 months of follow-up: the unit of the drivers model."""
    return inv[inv["full_followup"]].reset_index(drop=True)
