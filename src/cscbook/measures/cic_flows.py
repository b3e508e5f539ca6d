"""Children in care: how many are in care, how many start and leave, month by month and by year.

Definitions follow DEFINITIONS.md "Children in care":

- in care on date d: an episode with ``episode_start <= d`` and (``episode_end`` is NaT or
  ``episode_end > d``); counted once per child;
- starts and ceases of a period of care: ``cic_episodes.start_flags`` and ``cease_flags``;
- rate per 10,000 = children in care / population aged 0-17 x 10,000.

The stock identity: in care at the end of a month = in care a month earlier + starts - ceases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.config.periods import financial_year
from cscbook.data import reference
from cscbook.measures.cic_episodes import as_at, cease_flags, coverage_start, start_flags


def per_10k(count: pd.Series | float, population: int) -> pd.Series | float:
    """A count per 10,000 children aged 0-17 (``count / population x 10,000``)."""
    return count / population * 10_000


def in_care_on(e: pd.DataFrame, dates: pd.DatetimeIndex | list) -> pd.Series:
    """Number of distinct children in care on each date (start <= d and (end NaT or end > d))."""
    d = pd.DatetimeIndex(dates).to_numpy()
    if e.empty:
        return pd.Series(0, index=pd.DatetimeIndex(dates), dtype="int64")
    start = e["episode_start"].to_numpy()[:, None]
    end = e["episode_end"].to_numpy()[:, None]
    active = (start <= d[None, :]) & (np.isnat(end) | (end > d[None, :]))
    child = pd.factorize(e["child_id"])[0]
    per_child = pd.DataFrame(active).groupby(child).any()
    return pd.Series(per_child.sum(axis=0).to_numpy(dtype="int64"), index=pd.DatetimeIndex(dates))


def monthly_flows(
    e: pd.DataFrame, period_end: pd.Timestamp, start: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Month by month: month (first day), in_care (at month end), starts, ceases.

    Months run from ``start`` (default ``coverage_start``) to the period end.
    """
    e = as_at(e, period_end)
    start = coverage_start(e) if start is None else pd.Timestamp(start.year, start.month, 1)
    months = pd.date_range(start, period_end, freq="MS")
    month_ends = months + pd.offsets.MonthEnd(0)
    starts = e.loc[start_flags(e), "episode_start"].dt.to_period("M")
    ceases = e.loc[cease_flags(e), "episode_end"].dt.to_period("M")
    periods = months.to_period("M")
    return pd.DataFrame(
        {
            "month": months,
            "in_care": in_care_on(e, month_ends).to_numpy(),
            "starts": starts.value_counts().reindex(periods, fill_value=0).to_numpy(dtype="int64"),
            "ceases": ceases.value_counts().reindex(periods, fill_value=0).to_numpy(dtype="int64"),
        }
    )


def add_rates(flows: pd.DataFrame, population: int) -> pd.DataFrame:
    """Adds rate_per_10k (in care per 10,000 children aged 0-17) and starts_per_10k."""
    out = flows.copy()
    out["rate_per_10k"] = per_10k(out["in_care"], population)
    out["starts_per_10k"] = per_10k(out["starts"], population)
    return out


def stock_identity_breaks(flows: pd.DataFrame) -> pd.DataFrame:
    """Months where in(t) != in(t-1) + starts(t) - ceases(t): month, expected, observed, difference.

    The first month has no previous count and is not checked. A break means the episodes
    disagree with themselves (e.g. a period ending with X1 and no next episode, a new
    episode coded S the day an X1 episode ended, overlapping episodes).
    """
    expected = flows["in_care"].shift() + flows["starts"] - flows["ceases"]
    out = pd.DataFrame(
        {
            "month": flows["month"],
            "expected": expected.astype("Int64"),
            "observed": flows["in_care"].astype("Int64"),
        }
    ).iloc[1:]
    out["difference"] = out["observed"] - out["expected"]
    return out.loc[out["difference"] != 0].reset_index(drop=True)


def reporting_dates(start: pd.Timestamp, period_end: pd.Timestamp) -> list[pd.Timestamp]:
    """Each 31 March on or after ``start`` (month end) and before the period end, then the period end."""
    first = start + pd.offsets.MonthEnd(0)
    marches = [d for d in pd.date_range(first, period_end, freq="YE-MAR") if d < period_end]
    return [*marches, period_end]


def annual_flows(flows: pd.DataFrame, population: int) -> pd.DataFrame:
    """Financial years fully covered by ``flows``: year, in_care at 31 March, starts, ceases, rates per 10,000."""
    f = flows.assign(year=financial_year(flows["month"]))
    g = f.groupby("year", sort=True)
    out = g.agg(months=("month", "size"), starts=("starts", "sum"), ceases=("ceases", "sum"),
                in_care_31_march=("in_care", "last"))  # fmt: skip
    out = out.loc[out["months"] == 12].drop(columns="months").reset_index()
    out["rate_per_10k"] = per_10k(out["in_care_31_march"], population).round(1)
    out["starts_per_10k"] = per_10k(out["starts"], population).round(1)
    return out


def benchmarks(period_end: pd.Timestamp) -> pd.DataFrame:
    """England and statistical-neighbour rates per 10,000 (in care, starts) for the latest published year.

    England starts per 10,000 is derived: England starts x rate / number in care (DfE
    publishes the rate and the count, not the population).
    """
    rows = []
    for area in ("England", "Statistical neighbours (median)"):
        rate = reference.benchmark("cla_rate_per_10k", period_end, area)
        starts = reference.benchmark("cla_starts_per_10k", period_end, area)
        if area == "England" and starts is None:
            n_starts = reference.benchmark("cla_starts", period_end, area)
            n_stock = reference.benchmark("cla_at_31_march", period_end, area)
            if None not in (n_starts, n_stock, rate):
                starts = round(n_starts * rate / n_stock, 1)
        rows.append({"area": area, "rate_per_10k": rate, "starts_per_10k": starts})
    return pd.DataFrame(rows)
