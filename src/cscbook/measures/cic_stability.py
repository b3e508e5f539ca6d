"""Children in care: the Department for Education's two placement-stability measures.

- short term: children in care on a date (normally 31 March) with 3 or more placements in
  the 12 months ending that date;
- long term: children under 16 in care continuously for 2.5 years or more who have been in
  the same placement for 2 years or more.

Children whose latest legal status is a short-break code (V3, V4) are excluded, as DfE does.
From SSDA903 the placements are rebuilt from the episodes (``placements``); Annex A List 8
gives the counts directly (``stability_list8``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.measures.cic_episodes import age_years, as_at, open_episodes_on, period_number, start_flags
from cscbook.measures.cic_flows import reporting_dates

# Placement changes: a new episode with these reasons starts a new placement; L (legal
# status change only) continues the placement.
NEW_PLACEMENT_RNE = {"S", "P", "T", "U", "B"}
ADOPTION_PLACEMENTS = {"A3", "A4", "A5", "A6"}
SHORT_BREAKS = {"V3", "V4"}


def placements(e: pd.DataFrame, period_end: pd.Timestamp) -> pd.DataFrame:
    """One row per placement: child_id, placement_start, placement_end, placement_type, period_start.

    A placement begins at the start of a period of care or at an episode whose reason
    for a new episode is P, T, U or B; an episode with reason L (change of legal status
    only) continues the placement. For a child placed for adoption (A3-A6), the adoptive
    placement counts from the start of the placement before it when that was with the
    same carer (DfE long-term stability rule, simplified: the previous placement of the
    same period): ``stability_start``.
    """
    a = as_at(e, period_end).reset_index(drop=True)
    new_period = start_flags(a)
    new_place = new_period | a["reason_new_episode"].isin(NEW_PLACEMENT_RNE).fillna(False).astype(bool)
    plid = new_place.astype(int).groupby(a["child_id"]).cumsum()
    a = a.assign(_pid=period_number(a).to_numpy(), _plid=plid.to_numpy())
    a["period_start"] = a.groupby(["child_id", "_pid"])["episode_start"].transform("min")
    first = a.drop_duplicates(["child_id", "_plid"], keep="first")
    last = a.drop_duplicates(["child_id", "_plid"], keep="last")  # NA-aware, unlike groupby "last"
    out = pd.DataFrame(
        {
            "child_id": first["child_id"].to_numpy(),
            "placement_start": first["episode_start"].to_numpy(),
            "placement_end": last["episode_end"].to_numpy(),
            "placement_type": last["placement_type"].to_numpy(),
            "period_start": first["period_start"].to_numpy(),
            "_pid": first["_pid"].to_numpy(),
        }
    )
    prev_start = out.groupby(["child_id", "_pid"])["placement_start"].shift()
    adoption = out["placement_type"].isin(ADOPTION_PLACEMENTS).fillna(False).astype(bool)
    out["stability_start"] = out["placement_start"].mask(adoption & prev_start.notna(), prev_start)
    return out.drop(columns=["_pid"])


def counted_children(e: pd.DataFrame, on: pd.Timestamp) -> pd.DataFrame:
    """Each child's open episode on ``on``, without children in care only for short breaks (V3, V4)."""
    cur = open_episodes_on(e, on)
    return cur.loc[~cur["legal_status"].isin(SHORT_BREAKS).fillna(False).astype(bool)]


def stability_on(e: pd.DataFrame, on: pd.Timestamp) -> dict:
    """DfE placement stability at ``on`` (normally 31 March) from SSDA903 episodes.

    - short term: children in care on ``on`` with 3 or more placements in the 12 months
      ending ``on`` (placements overlapping the year, including the one open at its start);
    - long term: children under 16 on ``on``, in care continuously for 2.5 years or more,
      who have been in the same placement for 2 years or more (adoptive placements count
      with the placement before them).
    Children whose latest legal status is a short-break code (V3, V4) are excluded, as DfE does.
    """
    year_start = on - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    current = counted_children(e, on)
    pl = placements(e, on)
    in_year = pl.loc[
        (pl["placement_start"] <= on) & (pl["placement_end"].isna() | (pl["placement_end"] >= year_start))
    ]
    n_pl = in_year.groupby("child_id").size()
    n_cur = n_pl.reindex(current["child_id"]).fillna(0)
    short_n = len(current)
    short_3 = int((n_cur >= 3).sum())

    cur_pl = pl.loc[pl["placement_end"].isna()].drop_duplicates("child_id", keep="last").set_index("child_id")
    cur_pl = cur_pl.reindex(current["child_id"])
    age = (
        age_years(current["date_of_birth"], on).to_numpy()
        if "date_of_birth" in current
        else np.full(len(current), np.nan)
    )
    age_known = ~pd.isna(age)
    under16 = pd.Series(age, dtype="Float64").lt(16).fillna(False).to_numpy(dtype=bool)
    long_care = (cur_pl["period_start"] <= on - pd.DateOffset(months=30)).to_numpy()
    same2y = (cur_pl["stability_start"] <= on - pd.DateOffset(years=2)).to_numpy()
    elig = under16 & long_care
    return {
        "date": on,
        "in_care": short_n,
        "three_plus_placements": short_3,
        "three_plus_pct": round(100 * short_3 / short_n, 1) if short_n else np.nan,
        "long_term_eligible": int(elig.sum()) if age_known.any() else pd.NA,
        "same_placement_2y": int((elig & same2y).sum()) if age_known.any() else pd.NA,
        "same_placement_2y_pct": round(100 * (elig & same2y).sum() / elig.sum(), 1)
        if age_known.any() and elig.sum()
        else np.nan,
    }


def stability_list8(e: pd.DataFrame, on: pd.Timestamp) -> dict:
    """The two stability measures at ``on`` from Annex A List 8 pseudo-episodes.

    Short term uses ``placements_last_12m`` (>= 3); long term uses the period start
    (cla_start_date) and the start of the most recent placement (``placement_start_date``).
    NA when the list lacks those columns.
    """
    cur = counted_children(e, on)
    n = len(cur)
    res = {"date": on, "in_care": n, "three_plus_placements": pd.NA, "three_plus_pct": np.nan,
           "long_term_eligible": pd.NA, "same_placement_2y": pd.NA, "same_placement_2y_pct": np.nan}  # fmt: skip
    if "placements_last_12m" in cur and cur["placements_last_12m"].notna().any():
        k = int((cur["placements_last_12m"].astype("Float64") >= 3).fillna(False).sum())
        res.update(three_plus_placements=k, three_plus_pct=round(100 * k / n, 1) if n else np.nan)
    if "placement_start_date" in cur and cur["placement_start_date"].notna().any():
        under16 = age_years(cur["date_of_birth"], on).astype("Float64").lt(16).fillna(False)
        elig = under16 & (cur["episode_start"] <= on - pd.DateOffset(months=30))
        same = elig & (cur["placement_start_date"] <= on - pd.DateOffset(years=2)).fillna(False)
        res.update(long_term_eligible=int(elig.sum()), same_placement_2y=int(same.sum()),
                   same_placement_2y_pct=round(100 * same.sum() / elig.sum(), 1) if elig.sum() else np.nan)  # fmt: skip
    return res


def stability_table(
    e: pd.DataFrame, period_end: pd.Timestamp, start: pd.Timestamp, source: str
) -> pd.DataFrame:
    """Stability at each 31 March whose year is covered by the data, and for the 12 months to the period end."""
    if source == "list8":
        return pd.DataFrame([stability_list8(e, period_end)])
    first_full = start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
    dates = [d for d in reporting_dates(start, period_end) if d >= first_full]
    return pd.DataFrame([stability_on(e, d) for d in dates])  # a handful of dates
