"""Periods: financial-year quarters, months, rolling windows (one place for period arithmetic).

A quarter is named by its end date (30 June, 30 September, 31 December, 31 March); Q1 of
2024-25 is April to June 2024. A month is the Timestamp of its first day.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Period:
    """A span of whole months: first day ``start`` to last day ``end`` (both inclusive)."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def months(self) -> pd.DatetimeIndex:
        """The first day of each month in the period."""
        return pd.date_range(self.start, self.end.replace(day=1), freq="MS")


def month_start(d: pd.Timestamp) -> pd.Timestamp:
    """First day of ``d``'s month (time of day dropped)."""
    d = pd.Timestamp(d)
    return pd.Timestamp(d.year, d.month, 1)


def months_ending(period_end: pd.Timestamp, months: int = 3, back_months: int = 0) -> Period:
    """The ``months`` whole months ending ``back_months`` months before ``period_end``'s month.

    This quarter: ``months_ending(d)``; last quarter: ``back_months=3``; the same quarter a
    year ago: ``back_months=12``; the rolling 12 months: ``months=12``.
    """
    end = (pd.Timestamp(period_end) - pd.DateOffset(months=back_months)) + pd.offsets.MonthEnd(0)
    start = (end - pd.DateOffset(months=months - 1)).replace(day=1)
    return Period(start.normalize(), end.normalize())


def quarter(period_end: pd.Timestamp) -> Period:
    """The quarter ending ``period_end``."""
    return months_ending(period_end)


def last_quarter_end(period_end: pd.Timestamp) -> pd.Timestamp:
    """The end of the quarter before: 2024-12-31 -> 2024-09-30."""
    return months_ending(period_end, back_months=3).end


def year_ago_end(period_end: pd.Timestamp) -> pd.Timestamp:
    """The end of the same quarter a year earlier: 2024-12-31 -> 2023-12-31."""
    return months_ending(period_end, back_months=12).end


def quarter_label(period_end: pd.Timestamp) -> str:
    """Financial-year quarter of a quarter-end date: 2024-12-31 -> '2024-25-Q3'."""
    m, y = period_end.month, period_end.year
    fy_start = y if m >= 4 else y - 1
    q = {6: 1, 9: 2, 12: 3, 3: 4}[m]
    return f"{fy_start}-{str(fy_start + 1)[-2:]}-Q{q}"


def quarter_name(period_end: pd.Timestamp) -> str:
    """Readable quarter of a quarter-end date: 2024-12-31 -> 'Q3 2024-25'."""
    fy, q = quarter_label(pd.Timestamp(period_end)).rsplit("-", 1)
    return f"{q} {fy}"


def financial_year(dates: pd.Series) -> pd.Series:
    """Financial year (April to March) label of each date: 2024-05-01 -> '2024-25'."""
    d = pd.to_datetime(dates)
    y = d.dt.year - (d.dt.month < 4).astype(int)
    return (
        y.astype("Int64").astype("string")
        + "-"
        + ((y + 1) % 100).astype("Int64").astype("string").str.zfill(2)
    )


def covered_months(period_end: pd.Timestamp, until: pd.Timestamp | None) -> tuple[int, pd.Timestamp | None]:
    """Months of the quarter ending ``period_end`` that count when events are complete only to
    ``until`` (None: all three), and the last of them when it is covered only in part.

    A month covered for at least half its days counts; one covered for less ends the quarter
    before it: 2024-12-31 with events complete to 2024-12-01 -> (2, None); to 2024-12-20 -> (3, December).
    """
    q = quarter(period_end)
    if until is None or until >= q.end:
        return 3, None
    kept, partial = 0, None
    for m in q.months:
        covered = min(max((until - m).days + 1, 0), m.days_in_month)
        if covered * 2 < m.days_in_month:
            break
        kept += 1
        partial = m if covered < m.days_in_month else partial
    return kept, partial
