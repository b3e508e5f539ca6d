"""Sentences about control charts and tests that claim exactly what the evidence shows.

- ``chart_sentence``: what a judged control chart (``cscbook.methods.spc.ChartResult``) says
  about the period judged: the months flagged and by which rule, how the limits were set
  (baseline months, seasonal adjustment, Laney p'), and a direction word ("improvement",
  "deterioration") only when every flagged month is on the same side and one direction is
  better; otherwise "no clear change" (nothing flagged) or an unusual change with no direction.
- ``stock_sentence``: a stock (a number on a date) with its trend; "rising" or "falling" (and
  "improvement"/"deterioration") only when the trend's 95% interval excludes no change.
- ``test_phrase``: a quarter comparison in words, with a direction only when the
  multiplicity-corrected p-value is below 0.05.
- ``false_alarm_sentence`` / ``table_false_alarm_sentence``: how often a stable process would
  raise a signal on a chart, and across a table of charts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cscbook.methods import spc

NO_CLEAR_CHANGE = "no clear change"
ALPHA = 0.05


# ----------------------------------------------------------------------------- small pieces
def month_list(months: Sequence) -> str:
    """Months in words, consecutive months as a range: "October to December 2024",
    "August and December 2024", "November 2023 to January 2024"."""
    ms = sorted({pd.Timestamp(m).to_period("M") for m in months})
    if not ms:
        return ""
    groups: list[list] = [[ms[0]]]
    for m in ms[1:]:
        if m == groups[-1][-1] + 1:
            groups[-1].append(m)
        else:
            groups.append([m])
    same_year = ms[0].year == ms[-1].year
    parts = []
    for i, g in enumerate(groups):
        show_year = not same_year or i == len(groups) - 1
        first, last = g[0], g[-1]
        if len(g) == 1:
            parts.append(first.strftime("%B %Y" if show_year else "%B"))
        elif first.year != last.year:
            parts.append(f"{first.strftime('%B %Y')} to {last.strftime('%B %Y')}")
        else:
            parts.append(f"{first.strftime('%B')} to {last.strftime('%B %Y' if show_year else '%B')}")
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _verb(months: Sequence) -> str:
    return "was" if len(set(months)) == 1 else "were"


def limits_phrase(result: spc.ChartResult) -> str:
    """How the limits were set: "limits from April 2019 to March 2021, seasonally adjusted, Laney p'"."""
    if result.baseline_start is None:
        return "no limits could be set"
    bits = [f"limits from {month_list([result.baseline_start])} to {month_list([result.baseline_end])}"]
    if result.change_dates:
        bits[0] += f" (recalculated after the change on {result.change_dates[-1]:%-d %B %Y})"
    bits.append("seasonally adjusted" if result.seasonal == "adjusted" else "not seasonally adjusted")
    if result.chart_type == "laney_p":
        bits.append(
            f"widened for month-to-month variation {result.dispersion:.1f} times the chance "
            f"variation (Laney p')"
        )
    return ", ".join(bits)


def rule_phrases(result: spc.ChartResult) -> list[str]:
    """Phrases naming the flagged months of the period judged and every rule that flagged them.

    Months flagged by the same rules on the same side share one phrase: "October to December
    2024 were above the upper control limit and part of a run of 7 or more months above the
    average".
    """
    flags = result.flagged()
    if flags.empty:
        return []
    f = result.frame.loc[flags["month"]]
    groups: dict[tuple[str, ...], list] = {}
    for month, row in f.iterrows():
        up = row["value"] > row["centre"]
        words = []
        if row["outside_limits"]:
            words.append("above the upper control limit" if up else "below the lower control limit")
        if row["run"]:
            words.append(
                f"part of a run of {spc.RUN_LENGTH} or more months {'above' if up else 'below'} the average"
            )
        if row["trend"]:
            rising = (
                row["direction"] > 0
                if not (row["outside_limits"] or row["run"])
                else _trend_rising(result, month)
            )
            words.append(
                f"part of {spc.TREND_LENGTH} or more months {'rising' if rising else 'falling'} in a row"
            )
        groups.setdefault(tuple(words), []).append(month)
    return [f"{month_list(m)} {_verb(m)} {' and '.join(words)}" for words, m in groups.items()]


def _trend_rising(result: spc.ChartResult, month) -> bool:
    """Whether the trend through ``month`` rises (the step into or out of the month that belongs to it)."""
    seg = result.frame[result.frame["segment"] == result.frame.loc[month, "segment"]]
    seg = seg[seg["value"].notna() & seg["centre"].notna()]
    d = spc.trend_direction(seg["value"].to_numpy())
    return bool(d[seg.index.get_loc(month)] > 0)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


# ----------------------------------------------------------------------------- sentences
def chart_sentence(
    result: spc.ChartResult, higher_is_better: bool | None, unit_is_percent: bool = False
) -> str:
    """What the chart says about the period judged, in one or two sentences.

    Names the flagged months and rules; "improvement"/"deterioration" only when the reading
    (``ChartResult.reading``) is special-cause improvement/concern; "no clear change" when no
    month is flagged. Stocks go to ``stock_sentence``.
    """
    if result.chart_type == "stock":
        return stock_sentence(result, higher_is_better)
    period = month_list(pd.date_range(result.judged_start, result.judged_end, freq="MS"))
    if not result.assessed:
        return f"The control chart cannot judge {period}: {result.note}."
    how = limits_phrase(result)
    reading = result.reading(higher_is_better)
    if reading == spc.COMMON_TEXT:
        return (
            f"On the control chart ({how}) no month of {period} is unusual: {NO_CLEAR_CHANGE} "
            f"(common-cause variation)."
        )
    head = f"On the control chart ({how}), {_join(rule_phrases(result))}."
    if reading == spc.IMPROVEMENT_TEXT:
        tail = "This is evidence of an improvement (special-cause improvement)."
    elif reading == spc.CONCERN_TEXT:
        tail = "This is evidence of a deterioration (special-cause concern)."
    elif higher_is_better is None:
        tail = "This is an unusual change (special-cause variation); neither direction is better for this measure."
    else:
        tail = (
            f"The unusual months lie on both sides of the average, so there is {NO_CLEAR_CHANGE} in one "
            f"direction (special-cause variation)."
        )
    return f"{head} {tail}"


def stock_sentence(result: spc.ChartResult, higher_is_better: bool | None, unit: str = "") -> str:
    """A stock with its trend: direction words only when the slope's 95% interval excludes 0."""
    lead = (
        "This is a stock (a number on a date): consecutive months are nearly the same number, so it is "
        "shown with its trend and not judged with control limits."
    )
    slope, (lo, hi) = result.trend_per_month, result.trend_ci
    if np.isnan(slope):
        return lead
    months = int(result.frame["trend_line"].notna().sum())
    u = f" {unit}" if unit else ""
    ci = f"95% interval {lo:+,.1f} to {hi:+,.1f} a month"
    if lo <= 0 <= hi:
        return (
            f"{lead} Over the last {months} months the trend is {slope:+,.1f}{u} a month ({ci}), which "
            f"includes no change: {NO_CLEAR_CHANGE}."
        )
    word = "rising" if slope > 0 else "falling"
    judged = ""
    if higher_is_better is not None:
        judged = " (an improvement)" if (slope > 0) == higher_is_better else " (a deterioration)"
    return f"{lead} Over the last {months} months it has been {word}{judged} by about {abs(slope):,.1f}{u} a month ({ci})."


def test_phrase(
    current: float, previous: float, p_adjusted: float, higher_is_better: bool | None, alpha: float = ALPHA
) -> str:
    """ "up (an improvement)", "down", "no clear change" or "not tested", from a corrected p-value.

    A direction is stated only when ``p_adjusted`` (multiplicity-corrected) is below ``alpha``.
    """
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (current, previous, p_adjusted)):
        return "not tested"
    if p_adjusted >= alpha or current == previous:
        return NO_CLEAR_CHANGE
    up = current > previous
    word = "up" if up else "down"
    if higher_is_better is None:
        return word
    return f"{word} ({'an improvement' if up == higher_is_better else 'a deterioration'})"


def false_alarm_sentence(result: spc.ChartResult) -> str:
    """How often a stable process would flag a month of the period judged on this chart."""
    rate = result.false_alarm_rate
    if result.chart_type == "stock":
        return "A stock is not given a signal, so it raises no false alarms."
    if rate is None or np.isnan(rate):
        return ""
    one_in = max(int(round(1 / rate)), 1) if rate > 0 else None
    return (
        f"With no real change, this chart would still flag at least one month of a period like this "
        f"{rate:.0%} of the time" + (f" (about 1 in {one_in})." if one_in else ".")
    )


def table_false_alarm_sentence(results: Sequence[spc.ChartResult]) -> str:
    """Across a table of charts: the chance that at least one shows a signal with no real change."""
    judged = [r for r in results if r.chart_type != "stock" and r.assessed]
    if not judged:
        return ""
    combined = spc.combined_false_alarm_rate([r.false_alarm_rate for r in judged])
    rates = [r.false_alarm_rate for r in judged]
    return (
        f"Each chart judged here would flag a quarter with no real change {min(rates):.0%} to {max(rates):.0%} "
        f"of the time; across the {len(judged)} charts, at least one would show a signal by chance "
        f"{combined:.0%} of the time (stocks are not judged)."
    )
