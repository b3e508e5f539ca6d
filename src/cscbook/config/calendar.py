"""Working days for England and Wales.

A working day is Monday to Friday excluding England and Wales bank holidays, taken from
the maintained ``holidays`` package (``holidays.UK(subdiv="ENG")``), which includes the
one-off days (2022 Platinum Jubilee and State Funeral, 2023 Coronation).

Two counting conventions (DEFINITIONS.md, "Counting working days"):

- the book's (``working_days_between``): ``numpy.busday_count(start, end)`` over this
  calendar, the working days from the start date (inclusive) to the end date (exclusive).
  For a start on a working day this is the number of working days *after* the start up to
  and including the end; an event on the same day is 0 working days.
- DfE's (``working_days_dfe``): the validator counts the start day as well, i.e. the working
  days from the start to the end date, both inclusive: ``busday_count(start, end + 1 day)``.
  For a start and an end on working days this is the book's count plus 1 (the book's count
  is DfE's n - 1); an event on the same working day is 1.

Figures set beside England or called DfE's measure use DfE's count; the Methods appendix
says which figure uses which.
"""

from __future__ import annotations

from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

FIRST_YEAR = 2015
LAST_YEAR = 2035


@lru_cache(maxsize=1)
def bank_holidays() -> np.ndarray:
    """England and Wales bank holidays from 2015 to 2035 as sorted datetime64[D]."""
    days = holidays.UK(subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    return np.array(sorted(days.keys()), dtype="datetime64[D]")


@lru_cache(maxsize=1)
def _calendar() -> np.busdaycalendar:
    return np.busdaycalendar(weekmask="1111100", holidays=bank_holidays())


def _as_days(values) -> tuple[np.ndarray, np.ndarray]:
    s = pd.to_datetime(pd.Series(values), errors="coerce")
    mask = s.notna().to_numpy()
    arr = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return arr, mask


def working_days_between(start, end) -> pd.Series:
    """Working days from ``start`` to ``end`` by ``numpy.busday_count`` (same day = 0).

    Vectorised over array-likes of dates. Negative when ``end`` is before ``start``;
    missing (``<NA>``) when either date is missing. Returns an ``Int64`` Series.
    """
    s, sm = _as_days(start)
    e, em = _as_days(end)
    ok = sm & em
    out = np.zeros(len(s), dtype="int64")
    if ok.any():
        out[ok] = np.busday_count(s[ok], e[ok], busdaycal=_calendar())
    index = start.index if isinstance(start, pd.Series) else None
    result = pd.array(out, dtype="Int64")
    result[~ok] = pd.NA
    return pd.Series(result, index=index)


def working_days_dfe(start, end) -> pd.Series:
    """Working days from ``start`` to ``end`` counted as DfE's validator counts them.

    Both the start and the end date count when they are working days:
    ``numpy.busday_count(start, end + 1 day)``. Same working day = 1; a start and an end on
    working days give ``working_days_between(start, end) + 1``. Vectorised; negative when
    ``end`` is before ``start``; ``<NA>`` when either date is missing; ``Int64``.
    """
    end = pd.to_datetime(pd.Series(end).reset_index(drop=True), errors="coerce") + pd.Timedelta(days=1)
    out = working_days_between(pd.Series(start).reset_index(drop=True), end)
    if isinstance(start, pd.Series):
        out.index = start.index
    return out


def is_working_day(dates) -> pd.Series:
    """True where the date is a Monday to Friday that is not a bank holiday."""
    d, m = _as_days(dates)
    out = np.zeros(len(d), dtype=bool)
    out[m] = np.is_busday(d[m], busdaycal=_calendar())
    return pd.Series(out)


def add_working_days(dates, n: int) -> pd.Series:
    """The date ``n`` working days after each date (rolling forward from non-working days)."""
    d, m = _as_days(dates)
    out = np.full(len(d), np.datetime64("NaT"), dtype="datetime64[D]")
    out[m] = np.busday_offset(d[m], n, roll="forward", busdaycal=_calendar())
    return pd.Series(pd.to_datetime(out))


def age_in_years(dob, on) -> pd.Series:
    """Age in whole years on a date (the birthday counts on the day), as ``Int64``.

    ``on`` is one date or a Series of dates aligned with ``dob``; missing dates give ``<NA>``.
    """
    dob = pd.to_datetime(pd.Series(dob))
    if isinstance(on, pd.Series):
        on = pd.to_datetime(on)
        year, month, day = on.dt.year, on.dt.month, on.dt.day
    else:
        on = pd.Timestamp(on)
        year, month, day = on.year, on.month, on.day
    before_birthday = (dob.dt.month > month) | ((dob.dt.month == month) & (dob.dt.day > day))
    return (year - dob.dt.year - before_birthday.astype("Int64")).astype("Int64")
