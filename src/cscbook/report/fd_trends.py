"""Front door over time: this quarter against last quarter and a year ago, seasonality, and sentences.

- ``quarter_comparison``: each monthly measure summed over this quarter, the last quarter
  and the same quarter a year ago; proportions compared by a two-proportion z-test
  (statsmodels ``proportions_ztest``), counts by a two-sample Poisson test
  (``test_poisson_2indep``, equal exposure of three months), stocks not tested.
- ``seasonal_decomposition``: STL (statsmodels, period 12, robust) of a monthly count when
  36 or more months exist.
- ``change_sentence``: a sentence stating a change and whether SPC calls it signal or noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportions_ztest
from statsmodels.stats.rates import test_poisson_2indep
from statsmodels.tsa.seasonal import STL

from cscbook.measures.compute import period_value as quarter_value
from cscbook.measures.funnel import period_bounds
from cscbook.methods import spc

MIN_MONTHS_STL = 36


def _test(kind: str, a: dict, b: dict) -> float:
    """p-value comparing period a with period b (NaN when the test cannot be done)."""
    if kind == "proportion":
        if not (a["denominator"] > 0 and b["denominator"] > 0):
            return np.nan
        pooled = (a["numerator"] + b["numerator"]) / (a["denominator"] + b["denominator"])
        if pooled in (0.0, 1.0):
            return np.nan
        _, p = proportions_ztest([a["numerator"], b["numerator"]], [a["denominator"], b["denominator"]])
        return float(p)
    if kind == "count":
        if np.isnan(a["value"]) or np.isnan(b["value"]) or a["value"] + b["value"] == 0:
            return np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(test_poisson_2indep(a["value"], 1.0, b["value"], 1.0, method="score").pvalue)
    return np.nan


def quarter_comparison(series: dict[str, pd.DataFrame], kinds: dict[str, str], period_end: pd.Timestamp,
                       labels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per measure: this quarter, last quarter, a year ago, and p-values of the two changes."""
    this = period_bounds(period_end)
    last = period_bounds(period_end, back_months=3)
    year = period_bounds(period_end, back_months=12)
    rows = []
    for key, frame in series.items():
        kind = kinds[key]
        t, la, y = (quarter_value(frame, kind, *b) for b in (this, last, year))
        rows.append({
            "key": key, "measure": (labels or {}).get(key, key), "kind": kind,
            "this_quarter": t["value"], "last_quarter": la["value"], "year_ago": y["value"],
            "this_denominator": t["denominator"], "p_vs_last_quarter": _test(kind, t, la),
            "p_vs_year_ago": _test(kind, t, y),
        })
    return pd.DataFrame(rows)


def seasonal_decomposition(frame: pd.DataFrame, period: int = 12) -> pd.DataFrame | None:
    """STL decomposition (robust) of a monthly count; None when fewer than 36 months exist."""
    s = frame.set_index("month")["value"].astype(float)
    if len(s) < MIN_MONTHS_STL or s.isna().any():
        return None
    s.index = pd.DatetimeIndex(s.index, freq="MS")
    res = STL(s, period=period, robust=True).fit()
    return pd.DataFrame({"month": s.index, "observed": s.to_numpy(), "trend": res.trend.to_numpy(),
                         "seasonal": res.seasonal.to_numpy(), "remainder": res.resid.to_numpy()})


def format_value(value: float, percent: bool) -> str:
    """83% for proportions (whole percent), 1,234 for counts."""
    if value is None or np.isnan(value):
        return "not available"
    return f"{value * 100:.0f}%" if percent else f"{value:,.0f}"


def change_sentence(what: str, current: float, previous: float, when: str, previous_when: str,
                    signal: str, percent: bool = True, preposition: str = "in") -> str:
    """A plain-English sentence about a change, honest about signal and noise.

    ``what`` follows the number: "of assessments were completed within 45 working days" or
    "contacts were received". ``signal`` is ``spc.describe_signal``'s answer. Special cause:
    "83% ... in September, up from 64% in July. The control chart shows special-cause
    improvement: ...". Common cause: "... compared with 64% in July; the difference is within the
    usual month-to-month variation (common cause), so it is not evidence of a real change".
    """
    now = format_value(current, percent)
    before = format_value(previous, percent)
    head = f"{now} {what} {preposition} {when}"
    if previous is None or np.isnan(previous) or current is None or np.isnan(current):
        return f"{head}; there is no figure for {previous_when} to compare with."
    same = format_value(current, percent) == format_value(previous, percent)
    if signal == spc.COMMON_TEXT:
        if same:
            return f"{head}, the same as {preposition} {previous_when}; this is within the usual variation (common cause)."
        return (f"{head}, compared with {before} {preposition} {previous_when}; the difference is within the usual "
                f"month-to-month variation (common cause), so it is not evidence of a real change.")
    word = "the same as" if same else "up from" if current > previous else "down from"
    # The signal is about where this period's months sit on the control chart, not about the
    # size of the change from the last period, so it is stated as a reading of the chart.
    meaning = {
        spc.IMPROVEMENT_TEXT: "special-cause improvement: the months of this period are better than the usual "
                              "range of variation",
        spc.CONCERN_TEXT: "special-cause concern: the months of this period are worse than the usual range of "
                          "variation",
    }.get(signal, "special-cause variation: the months of this period are outside the usual range of variation")
    return f"{head}, {word} {before} {preposition} {previous_when}. The control chart shows {meaning}."


def _months_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    return f"{start:%B} to {end:%B %Y}" if start.year == end.year else f"{start:%B %Y} to {end:%B %Y}"


def measure_sentence(spec, frame: pd.DataFrame, chart: pd.DataFrame, period_end: pd.Timestamp) -> str:
    """This quarter against last quarter for one measure (``front_door.MeasureSpec``), in words."""
    this, last = period_bounds(period_end), period_bounds(period_end, back_months=3)
    now = quarter_value(frame, spec.kind, *this)["value"]
    before = quarter_value(frame, spec.kind, *last)["value"]
    signal = spc.period_signal(chart, *this, spec.higher_is_better)
    if spec.kind == "stock":
        return change_sentence(spec.phrase, now, before, f"{this[1]:%B %Y}", f"{last[1]:%B %Y}", signal,
                               percent=False, preposition="at the end of")
    return change_sentence(spec.phrase, now, before, _months_label(*this), _months_label(*last), signal,
                           percent=spec.kind == "proportion")
