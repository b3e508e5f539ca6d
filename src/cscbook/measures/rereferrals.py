"""Re-referrals: the DfE rate within 12 months and the "any previous involvement" variant.

Definitions (DEFINITIONS.md):

- **Re-referral within 12 months (DfE)**: a referral (Annex A List 3 row) within 365 days of a
  previous referral for the same child, counted per referral. "Within 365 days" means the
  previous referral is 1 to 365 days earlier (a referral exactly 365 days after the last one
  counts, 366 does not). Referrals whose 365-day look-back starts before the extract's first
  referral date cannot be judged from the extract alone: for them List 3's
  ``referrals_last_12m`` > 0 also counts (an earlier referral seen in the extract counts too).
- **Any previous involvement** (the local variant): a referral for a child with any earlier
  referral in the extract, however long ago. It grows with the length of the extract, which
  is why it must not be mixed with the DfE figure.

Closed involvements and what follows them are in ``cscbook.measures.involvements``; the models in
``cscbook.measures.rereferral_model``; the chapter in ``cscbook.report.rr_chapter``.
"""

from __future__ import annotations

import pandas as pd

WINDOW_DAYS = 365


def as_dates(s: pd.Series) -> pd.Series:
    """Dates as ``datetime64[ns]``, whatever the input's unit or type."""
    return pd.to_datetime(s).astype("datetime64[ns]")


def referral_flags(referrals: pd.DataFrame, period_end: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per referral (same child and date counted once) with re-referral flags.

    Returns columns child_id, referral_date, days_since_previous (days since the child's
    previous referral in the extract, NA for the first), lookback_complete (the 365-day
    look-back starts on or after the extract's first referral date), used_list3_count (the
    flag relied on ``referrals_last_12m``), rereferral_12m (DfE definition) and
    any_previous (any earlier referral in the extract). Referrals after ``period_end`` are
    dropped first, so nothing later can leak in.
    """
    df = referrals[["child_id", "referral_date"]].copy()
    df["referral_date"] = as_dates(df["referral_date"])
    if "referrals_last_12m" in referrals:
        df["last_12m"] = pd.to_numeric(referrals["referrals_last_12m"], errors="coerce").astype("Float64")
    else:
        df["last_12m"] = pd.Series(pd.NA, index=df.index, dtype="Float64")
    df = df[df["referral_date"].notna() & df["child_id"].notna()]
    if period_end is not None:
        df = df[df["referral_date"] <= pd.Timestamp(period_end)]
    df["child_id"] = df["child_id"].astype(str)
    # Same child, same date: one referral (keep the largest List 3 count).
    df = (
        df.sort_values(["child_id", "referral_date", "last_12m"], na_position="first")
        .drop_duplicates(["child_id", "referral_date"], keep="last")
        .reset_index(drop=True)
    )
    cols = ["child_id", "referral_date", "days_since_previous", "lookback_complete",
            "used_list3_count", "rereferral_12m", "any_previous"]  # fmt: skip
    if df.empty:
        return pd.DataFrame(columns=cols)
    extract_start = df["referral_date"].min()
    prev = df.groupby("child_id")["referral_date"].shift(1)
    df["days_since_previous"] = (df["referral_date"] - prev).dt.days.astype("Int64")
    in_extract = df["days_since_previous"].between(1, WINDOW_DAYS).fillna(False).astype(bool)
    df["lookback_complete"] = (df["referral_date"] - pd.Timedelta(days=WINDOW_DAYS)) >= extract_start
    list3 = (df["last_12m"] > 0).fillna(False).astype(bool)
    df["used_list3_count"] = ~df["lookback_complete"] & ~in_extract & df["last_12m"].notna().to_numpy()
    df["rereferral_12m"] = in_extract | (~df["lookback_complete"] & list3)
    df["any_previous"] = prev.notna()
    return df[cols]


def _period_key(dates: pd.Series, freq: str) -> pd.Series:
    if freq == "month":
        return dates.dt.to_period("M").dt.to_timestamp()
    if freq == "quarter":
        # Financial-year quarters: the quarter's first day (Apr, Jul, Oct, Jan).
        return dates.dt.to_period("Q-MAR").dt.start_time.dt.normalize()
    raise ValueError(f"freq must be 'month' or 'quarter', not {freq!r}")


def quarter_name(start: pd.Timestamp) -> str:
    """Financial-year quarter name of its first day: 2024-10-01 -> 'Q3 2024-25'."""
    fy = start.year if start.month >= 4 else start.year - 1
    q = {4: 1, 7: 2, 10: 3, 1: 4}[start.month]
    return f"Q{q} {fy}-{str(fy + 1)[-2:]}"


def rereferral_rates(flags: pd.DataFrame, freq: str = "month") -> pd.DataFrame:
    """Re-referral rates per month or financial-year quarter, from :func:`referral_flags`.

    Columns: period (first day), referrals, rereferrals_12m, rate_12m (DfE), list3_count_used
    (referrals judged from ``referrals_last_12m``), any_previous, rate_any_previous.
    Rates are proportions (0-1).
    """
    if flags.empty:
        return pd.DataFrame(
            columns=[
                "period",
                "referrals",
                "rereferrals_12m",
                "rate_12m",
                "list3_count_used",
                "any_previous",
                "rate_any_previous",
            ]  # fmt: skip
        )
    f = flags.assign(period=_period_key(flags["referral_date"], freq))
    out = (
        f.groupby("period", sort=True)
        .agg(
            referrals=("rereferral_12m", "size"),
            rereferrals_12m=("rereferral_12m", "sum"),
            list3_count_used=("used_list3_count", "sum"),
            any_previous=("any_previous", "sum"),
        )
        .reset_index()
    )
    for c in ("referrals", "rereferrals_12m", "list3_count_used", "any_previous"):
        out[c] = out[c].astype("int64")
    out["rate_12m"] = out["rereferrals_12m"] / out["referrals"]
    out["rate_any_previous"] = out["any_previous"] / out["referrals"]
    return out[["period", "referrals", "rereferrals_12m", "rate_12m", "list3_count_used",
                "any_previous", "rate_any_previous"]]  # fmt: skip
