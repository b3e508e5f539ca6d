"""How the book writes numbers and dates: one rule for each, used by every chapter.

- proportions as percentages with one decimal place ("81.2%");
- counts with thousands separators ("3,112"); other values to one decimal when not whole
  ("98.3 per 10,000");
- dates as "1 January 2022", months as "January 2022";
- a missing value as "n/a".
"""

from __future__ import annotations

import pandas as pd

MISSING = "n/a"


def percent(value: float | None) -> str:
    """A proportion (0-1) as a percentage with one decimal: 0.8118 -> '81.2%'."""
    return MISSING if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def number(value: float | None) -> str:
    """A count with thousands separators; a non-whole value to one decimal: 3112 -> '3,112', 98.3 -> '98.3'."""
    if value is None or pd.isna(value):
        return MISSING
    v = float(value)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"


def value(value: float | None, kind: str, unit: str = "") -> str:
    """A measure's value by its kind: proportions as percentages, others as numbers with the unit
    when it is not a plain count ('98.3 per 10,000')."""
    if value is None or pd.isna(value):
        return MISSING
    if kind == "proportion":
        return percent(value)
    text = number(round(float(value), 1))
    return f"{text} {unit}".strip() if unit and unit not in {"count", "children", "%"} else text


def of(numerator: float | None, denominator: float | None) -> str:
    """'(660 of 813)', or '' when either is missing."""
    if numerator is None or denominator is None or pd.isna(numerator) or pd.isna(denominator):
        return ""
    return f"({number(numerator)} of {number(denominator)})"


def date(d: pd.Timestamp) -> str:
    """'1 January 2022'."""
    return f"{pd.Timestamp(d):%-d %B %Y}"


def month(d: pd.Timestamp) -> str:
    """'January 2022'."""
    return f"{pd.Timestamp(d):%B %Y}"


def as_shown(v: float, kind: str) -> float:
    """``v`` at the precision the book shows it (proportions to 0.1%, others to 0.1), so that
    comparisons in words agree with the numbers printed beside them."""
    return round(float(v) * 1000) / 1000 if kind == "proportion" else round(float(v), 1)
