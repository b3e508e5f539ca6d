"""Published benchmarks (England, statistical neighbours) from ``data/reference/england.csv``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

REFERENCE_FILE = Path(__file__).resolve().parents[3] / "data" / "reference" / "england.csv"


@lru_cache(maxsize=4)
def load_reference(path: Path = REFERENCE_FILE) -> pd.DataFrame:
    """All reference figures: measure, area, year_ending (31 March), value, unit, source."""
    return pd.read_csv(path)


def benchmark(measure: str, period_end: pd.Timestamp, area: str = "England") -> float | None:
    """The latest published figure for the year ending on or before ``period_end``'s year.

    Published annual figures are for years ending 31 March; the most recent one not after
    the period end is used (a quarter ending December 2024 is compared with 2024).
    """
    ref = load_reference()
    year = period_end.year if period_end.month >= 4 else period_end.year - 1
    if period_end.month == 3:
        year = period_end.year
    rows = ref[(ref.measure == measure) & (ref.area == area) & (ref.year_ending <= year)]
    if rows.empty:
        return None
    return float(rows.sort_values("year_ending").iloc[-1]["value"])


def benchmark_series(measure: str, area: str = "England") -> pd.DataFrame:
    """year_ending and value of one published measure, oldest first."""
    ref = load_reference()
    rows = ref[(ref.measure == measure) & (ref.area == area)]
    return rows[["year_ending", "value"]].sort_values("year_ending").reset_index(drop=True)
