"""Children in care: leaving care, to where (reasons ceased) and after how long (Kaplan-Meier).

Time in care is measured per period of care (``cic_episodes.periods_of_care``) in months of
365.25 / 12 days; periods still open at the period end are censored there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.data import codes
from cscbook.measures.cic_breakdowns import NOT_KNOWN, suppress_breakdown
from cscbook.measures.cic_episodes import as_at, cease_flags, periods_of_care
from cscbook.measures.cic_flows import financial_year
from cscbook.methods.survival import step_at


def reasons_ceased(
    e: pd.DataFrame, period_end: pd.Timestamp, start: pd.Timestamp, min_cell: int
) -> pd.DataFrame:
    """Ceases by financial year and reason group (codes.REASON_CEASED_GROUP), plus the 12 months to the period end.

    Columns: period, reason, children, percent. Small counts suppressed.
    """
    a = as_at(e, period_end)
    c = a.loc[cease_flags(a) & (a["episode_end"] >= start)]
    reason = c["reason_episode_ceased"].map(codes.REASON_CEASED_GROUP).fillna(NOT_KNOWN)
    year = financial_year(c["episode_end"])
    last12 = c["episode_end"] > period_end - pd.DateOffset(years=1)
    frames = [pd.DataFrame({"period": year, "reason": reason})]
    frames.append(
        pd.DataFrame({"period": "12 months to " + f"{period_end:%d %b %Y}", "reason": reason[last12]})
    )
    long = pd.concat(frames, ignore_index=True)
    # Keep only complete financial years (after the coverage start) and the 12-month window.
    complete = {
        fy for fy in long["period"].unique()
        if fy[:4].isdigit() and pd.Timestamp(int(fy[:4]), 4, 1) >= start
        and pd.Timestamp(int(fy[:4]) + 1, 3, 31) <= period_end
    }  # fmt: skip
    long = long.loc[long["period"].isin(complete) | long["period"].str.startswith("12 months")]
    order = [*dict.fromkeys(codes.REASON_CEASED_GROUP.values()), NOT_KNOWN]
    table = long.groupby(["period", "reason"]).size().rename("children").reset_index()
    full = pd.MultiIndex.from_product([table["period"].unique(), order], names=["period", "reason"])
    table = table.set_index(["period", "reason"]).reindex(full, fill_value=0).reset_index()
    table = table.loc[~((table["reason"] == NOT_KNOWN) & (table["children"] == 0))]
    table["percent"] = (100 * table["children"] / table.groupby("period")["children"].transform("sum")).round(
        0
    )
    return suppress_breakdown(table.reset_index(drop=True), "children", "period", min_cell)


def time_in_care(e: pd.DataFrame, period_end: pd.Timestamp, start: pd.Timestamp) -> pd.DataFrame:
    """Per period of care that began on or after ``start``: entry_year, months (in care), left (bool).

    Months = days / (365.25 / 12); periods still open at the period end are censored there.
    """
    p = periods_of_care(e, period_end)
    p = p.loc[p["period_start"] >= start]
    end = p["period_end"].fillna(period_end)
    return pd.DataFrame(
        {
            "entry_year": financial_year(p["period_start"]),
            "months": ((end - p["period_start"]).dt.days / (365.25 / 12)).to_numpy(),
            "left": p["period_end"].notna().to_numpy(),
        }
    )


def km_by_entry_year(tic: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Kaplan-Meier (statsmodels SurvfuncRight) of time in care by financial year of entry.

    Returns a summary (entry_year, entries, left, median_months (NA if not reached),
    still_in_care_6m/12m/24m as percentages, NA beyond follow-up) and the curves
    (entry_year -> DataFrame months, still_in_care).
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    rows, curves = [], {}
    for year, g in tic.groupby("entry_year", sort=True):  # one fit per entry year
        sf = SurvfuncRight(g["months"].to_numpy(), g["left"].astype(int).to_numpy())
        t, s = np.r_[0.0, sf.surv_times], np.r_[1.0, sf.surv_prob]
        curves[str(year)] = pd.DataFrame({"months": t, "still_in_care": s})
        followed = g["months"].max()

        def at(m: float, t=t, s=s, followed=followed) -> float:
            return float(step_at(t, s, [m])[0]) * 100 if m <= followed else np.nan

        below = np.nonzero(s <= 0.5)[0]
        rows.append(
            {
                "entry_year": str(year),
                "entries": len(g),
                "left": int(g["left"].sum()),
                "median_months": round(float(t[below[0]]), 1) if below.size else np.nan,
                "still_in_care_6m": round(at(6), 0),
                "still_in_care_12m": round(at(12), 0),
                "still_in_care_24m": round(at(24), 0),
            }
        )
    return pd.DataFrame(rows), curves
