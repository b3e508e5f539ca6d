"""Dates as integer day numbers (days since 1970-01-01) and working-day arithmetic on them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.config.calendar import _calendar


def day(date: str | pd.Timestamp) -> int:
    """Day number of a date."""
    return int(np.datetime64(pd.Timestamp(date).date(), "D").astype(np.int64))


def to_dt64(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def add_wd(days: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Day ``n`` working days after ``days`` (rolling forward from a non-working day)."""
    out = np.busday_offset(
        to_dt64(days), np.asarray(n, dtype=np.int64), roll="forward", busdaycal=_calendar()
    )
    return out.astype(np.int64)


def sub_wd(days: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Day ``n`` working days before ``days`` (rolling backward from a non-working day)."""
    out = np.busday_offset(
        to_dt64(days), -np.asarray(n, dtype=np.int64), roll="backward", busdaycal=_calendar()
    )
    return out.astype(np.int64)


def wd_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    return np.busday_count(to_dt64(start), to_dt64(end), busdaycal=_calendar())


def interp_points(days: np.ndarray, points: list[tuple[str, float]]) -> np.ndarray:
    """Piecewise-linear value at each day through (date, value) points (flat outside)."""
    xs = np.array([day(d) for d, _ in points], dtype=float)
    ys = np.array([v for _, v in points], dtype=float)
    return np.interp(np.asarray(days, dtype=float), xs, ys)


def add_years(dob: np.ndarray, years: int) -> np.ndarray:
    """The day of the ``years``-th birthday (29 February birthdays fall on 1 March)."""
    d = pd.to_datetime(to_dt64(dob))
    y = d.year + years
    m = d.month
    dd = d.day
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    fix = (m == 2) & (dd == 29) & ~leap
    m = np.where(fix, 3, m)
    dd = np.where(fix, 1, dd)
    s = pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": dd}))
    return s.to_numpy(dtype="datetime64[D]").astype(np.int64)


def age_years(dob: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years of age on a day."""
    b = pd.to_datetime(to_dt64(dob))
    o = pd.to_datetime(to_dt64(np.broadcast_to(on, np.shape(dob))))
    had = (o.month > b.month) | ((o.month == b.month) & (o.day >= b.day))
    return np.asarray(o.year) - np.asarray(b.year) - (~np.asarray(had)).astype(int)
