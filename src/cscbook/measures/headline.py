"""Headline measures: the contract between chapter modules and the executive summary.

Each chapter module offers ``headline_measures(ctx) -> list[HeadlineMeasure]`` (ctx: context.Context).
A headline measure carries a monthly series; the summary turns it into this quarter, last
quarter, a year ago, target and England, with the SPC signal of the latest months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class HeadlineMeasure:
    """One measure for the headline table.

    kind:
      - ``proportion``: ``monthly`` has columns month, numerator, denominator; a quarter's
        value is sum(numerator) / sum(denominator) over its three months.
      - ``count``: ``monthly`` has columns month, value; a quarter's value is the sum.
      - ``stock``: ``monthly`` has columns month, value (month-end count); a quarter's
        value is the value at the quarter's last month.
    month is a pandas Timestamp at the first day of the month.
    """

    key: str
    label: str
    kind: str
    monthly: pd.DataFrame
    higher_is_better: bool | None = None
    england: float | None = None
    target: float | None = None
    unit: str = ""
    chapter: str = ""


def quarter_months(period_end: pd.Timestamp) -> pd.DatetimeIndex:
    """The first days of the three months of the quarter ending ``period_end``."""
    last = pd.Timestamp(period_end.year, period_end.month, 1)
    return pd.date_range(last - pd.DateOffset(months=2), last, freq="MS")


def period_value(monthly: pd.DataFrame, kind: str, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """A measure over the months in [start, end], by its kind (see ``HeadlineMeasure``).

    Returns value, numerator and denominator (proportions) and months (rows in the period).
    A proportion is sum(numerator) / sum(denominator); a count needs a value in every month
    and is their sum; a stock is the value at the period's last month. NaN when not computable.
    """
    if kind not in {"proportion", "count", "stock"}:
        raise ValueError(f"unknown measure kind {kind!r}")
    month = pd.to_datetime(monthly["month"]) if len(monthly) else pd.Series(dtype="datetime64[ns]")
    part = monthly[(month >= start) & (month <= end)]
    out = {"value": np.nan, "numerator": np.nan, "denominator": np.nan, "months": len(part)}
    if part.empty:
        return out
    if kind == "proportion":
        num = float(pd.to_numeric(part["numerator"]).sum())
        den = float(pd.to_numeric(part["denominator"]).sum())
        out.update(numerator=num, denominator=den, value=num / den if den > 0 else np.nan)
        return out
    values = pd.to_numeric(part["value"])
    if kind == "count":
        months_with_value = pd.to_datetime(part.loc[values.notna(), "month"]).nunique()
        if months_with_value == len(pd.date_range(start, end, freq="MS")):
            out["value"] = float(values.sum())
    else:
        last = values[pd.to_datetime(part["month"]) == pd.Timestamp(end).to_period("M").to_timestamp()].dropna()
        if len(last):
            out["value"] = float(last.iloc[-1])
    return out
