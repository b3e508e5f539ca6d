"""Headline measures: the contract between chapter modules and the executive summary.

Each chapter module offers ``headline_measures(ctx) -> list[HeadlineMeasure]`` (ctx: context.Context).
A headline measure carries a monthly series; the summary turns it into this quarter, last
quarter, a year ago, target and England, with the SPC signal of the latest months.
"""

from __future__ import annotations

from dataclasses import dataclass

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
