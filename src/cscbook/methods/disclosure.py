"""Statistical disclosure control for breakdowns by personal characteristics."""

from __future__ import annotations

import pandas as pd


def suppress_small(df: pd.DataFrame, count_columns: list[str], min_cell: int) -> pd.DataFrame:
    """Replace counts in ``count_columns`` that are between 1 and ``min_cell - 1`` with NA.

    Zero is not disclosive and is kept. Percentages derived from a suppressed count should
    be suppressed by the caller too (use ``suppressed_mask``).
    """
    out = df.copy()
    for col in count_columns:
        small = out[col].between(1, min_cell - 1)
        out[col] = out[col].astype("Float64").mask(small)
    return out


def suppressed_mask(counts: pd.Series, min_cell: int) -> pd.Series:
    """True where a count would be suppressed."""
    return counts.between(1, min_cell - 1)
