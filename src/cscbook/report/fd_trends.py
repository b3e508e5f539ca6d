"""Front door over time: quarter comparisons, seasonality, control charts and sentences.

- ``quarter_comparison``: each monthly measure over this quarter, the same quarter a year
  ago (the first comparison: it holds the season fixed) and last quarter. Tests allow for
  extra month-to-month variation: the dispersion phi is Pearson chi-square / residual df of
  a quasi-Poisson (counts) or quasi-binomial (proportions) GLM of the months up to the
  period end (linear trend, plus month-of-year effects when 36 or more months exist), floored
  at 1; counts are compared by the log rate ratio, var = phi (1/a + 1/b); proportions by the
  pooled two-proportion statistic divided by sqrt(phi); both against a t distribution with
  the GLM's residual df. At least 12 months are needed, otherwise not tested. The p-values
  of the whole table are corrected together (Holm, by default; Benjamini-Hochberg on request).
  Stocks are not tested. A quarter whose last months are not yet complete (a window that has
  not closed by the period end, ``front_door.complete_until``) is labelled; a month covered
  for less than half its days is excluded, from this quarter and from the quarters it is
  compared with alike.
- ``measure_charts``: the judged control chart of every measure for the quarter
  (``spc.judge_monthly``: fixed baseline, change dates, seasonal adjustment, Laney p', stocks
  with a trend and no signal).
- ``seasonal_decomposition``: STL (statsmodels, period 12, robust) of a monthly count when
  36 or more months exist.
- ``measure_sentence``: a measure's quarter in words with what the chart shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.tsa.seasonal import STL

from cscbook.config.periods import covered_months
from cscbook.measures.compute import period_value as quarter_value
from cscbook.measures.front_door import MEASURES, complete_until
from cscbook.measures.funnel import period_bounds
from cscbook.methods import spc
from cscbook.report import signal_words

MIN_MONTHS_STL = 36
MIN_MONTHS_DISPERSION = 12
MULTIPLICITY_METHODS = {"holm": "Holm", "fdr_bh": "Benjamini-Hochberg"}


# ----------------------------------------------------------------------------- tests
def dispersion(frame: pd.DataFrame, kind: str, period_end: pd.Timestamp) -> tuple[float, int]:
    """Extra-variation factor phi (>= 1) and its residual df from the months up to ``period_end``.

    Quasi-Poisson (``count``: column value) or quasi-binomial (``proportion``: numerator,
    denominator) GLM with a linear trend, plus month-of-year effects with 36+ months; phi =
    Pearson chi-square / residual df, floored at 1. (NaN, 0) with fewer than 12 usable months.
    """
    import statsmodels.api as sm

    f = frame.assign(month=pd.to_datetime(frame["month"]))
    f = f[f["month"] <= pd.Timestamp(period_end)]
    if kind == "proportion":
        f = f[pd.to_numeric(f["denominator"]) > 0]
        y = np.column_stack(
            [f["numerator"].to_numpy(float), (f["denominator"] - f["numerator"]).to_numpy(float)]
        )
        family = sm.families.Binomial()
    elif kind == "count":
        f = f[f["value"].notna()]
        y = f["value"].to_numpy(float)
        family = sm.families.Poisson()
    else:
        return float("nan"), 0
    if len(f) < MIN_MONTHS_DISPERSION:
        return float("nan"), 0
    t = ((f["month"].dt.year * 12 + f["month"].dt.month) / 12.0).to_numpy()  # years, one month = 1/12
    t = t - t.min()
    x = [np.ones(len(f)), t]
    if len(f) >= MIN_MONTHS_STL:
        x += [(f["month"].dt.month == m).to_numpy(float) for m in range(2, 13)]
    fit = sm.GLM(y, np.column_stack(x), family=family).fit()
    df = int(fit.df_resid)
    if df <= 0:
        return float("nan"), 0
    return max(float(fit.pearson_chi2 / df), 1.0), df


def rate_test(a: float, b: float, phi: float, df: int) -> float:
    """Two-sided p-value comparing two counts over equal exposure, allowing for extra variation.

    t = log(a / b) / sqrt(phi (1/a + 1/b)) against t(df). NaN when a or b is 0 or missing.
    """
    if any(np.isnan(v) for v in (a, b, phi)) or a <= 0 or b <= 0 or df <= 0:
        return float("nan")
    t = np.log(a / b) / np.sqrt(phi * (1 / a + 1 / b))
    return float(2 * stats.t.sf(abs(t), df))


def proportion_test(x1: float, n1: float, x2: float, n2: float, phi: float, df: int) -> float:
    """Two-sided p-value comparing two proportions, allowing for extra variation.

    Pooled z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)), divided by sqrt(phi), against t(df).
    NaN when a denominator is 0, the pooled proportion is 0 or 1, or phi is missing.
    """
    if any(np.isnan(v) for v in (x1, n1, x2, n2, phi)) or n1 <= 0 or n2 <= 0 or df <= 0:
        return float("nan")
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return float("nan")
    z = (x1 / n1 - x2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * stats.t.sf(abs(z) / np.sqrt(phi), df))


def _test(kind: str, a: dict, b: dict, phi: float, df: int) -> float:
    if kind == "proportion":
        return proportion_test(a["numerator"], a["denominator"], b["numerator"], b["denominator"], phi, df)
    if kind == "count":
        return rate_test(a["value"], b["value"], phi, df)
    return float("nan")


# ----------------------------------------------------------------------------- periods
def _covered_months(period_end: pd.Timestamp, until: pd.Timestamp | None) -> tuple[int, str, str, str]:
    """Months of the quarter kept (0-3), this quarter's label, a short note for tables and a sentence.

    Notes are empty when the quarter is complete. A month covered for less than half its days
    ends the quarter before it (and is named as left out); a quarter covered almost to its end
    is labelled with the dates it covers.
    """
    start, end = period_bounds(period_end)
    label = signal_words.month_list(pd.date_range(start, end, freq="MS"))
    if until is None or until >= end:
        return 3, label, "", ""
    kept, partial = covered_months(period_end, until)
    if kept == 0:
        return 0, label, "no complete month yet", "No month of the quarter is complete yet at the period end"
    months = pd.date_range(start, periods=kept, freq="MS")
    if partial is not None:
        label = f"{start:%-d %B} to {until:%-d %B %Y}"
        return (
            kept,
            label,
            f"to {until:%-d %B} only (later not yet complete)",
            (f"The quarter covers {label} only: later events were not yet complete at the period end"),
        )
    label = signal_words.month_list(months)
    dropped = signal_words.month_list(pd.date_range(months[-1] + pd.DateOffset(months=1), end, freq="MS"))
    return (
        kept,
        label,
        f"{dropped} left out (not yet complete); same months compared",
        (
            f"{dropped} is left out: too few of its events were complete at the period end, and the quarters "
            f"compared leave out the same months"
        ),
    )


def quarter_comparison(
    series: dict[str, pd.DataFrame],
    kinds: dict[str, str],
    period_end: pd.Timestamp,
    labels: dict[str, str] | None = None,
    until: Mapping[str, pd.Timestamp | None] | None = None,
    method: str = "holm",
) -> pd.DataFrame:
    """One row per measure: this quarter, a year ago, last quarter, and tested changes.

    Columns: key, measure, kind, this_period (the months compared, in words), note (why a
    quarter is partial or shortened), this_quarter, this_denominator, year_ago, last_quarter,
    dispersion (phi), df, p_vs_year_ago, p_vs_last_quarter and their corrected values
    (``*_adjusted``, ``method`` over every p-value of the table). ``until`` gives each
    measure's last complete event date (default ``front_door.complete_until`` for measures
    of ``MEASURES``).
    """
    if method not in MULTIPLICITY_METHODS:
        raise ValueError(f"method must be one of {sorted(MULTIPLICITY_METHODS)}")
    period_end = pd.Timestamp(period_end)
    q_start, _ = period_bounds(period_end)
    rows = []
    for key, frame in series.items():
        kind = kinds[key]
        limit = (
            (until or {}).get(key)
            if until is not None
            else (complete_until(key, period_end) if key in MEASURES else None)
        )
        kept, label, note, _ = _covered_months(period_end, limit)
        bounds = []
        for back in (0, 12, 3):
            s = q_start - pd.DateOffset(months=back)
            e = (s + pd.DateOffset(months=kept)) - pd.Timedelta(days=1)
            bounds.append((s, e))
        this, year, last = (
            quarter_value(frame, kind, *b)
            if kept
            else {"value": np.nan, "numerator": np.nan, "denominator": np.nan}
            for b in bounds
        )
        phi, df = dispersion(frame, kind, period_end) if kind != "stock" else (float("nan"), 0)
        rows.append(
            {
                "key": key,
                "measure": (labels or {}).get(key, key),
                "kind": kind,
                "this_period": label,
                "note": note,
                "this_quarter": this["value"],
                "this_denominator": this["denominator"],
                "year_ago": year["value"],
                "last_quarter": last["value"],
                "dispersion": phi,
                "df": df,
                "p_vs_year_ago": _test(kind, this, year, phi, df),
                "p_vs_last_quarter": _test(kind, this, last, phi, df),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out.assign(p_vs_year_ago_adjusted=[], p_vs_last_quarter_adjusted=[])
    p = pd.concat([out["p_vs_year_ago"], out["p_vs_last_quarter"]], ignore_index=True)
    adjusted = pd.Series(np.nan, index=p.index)
    ok = p.notna()
    if ok.any():
        adjusted[ok] = multipletests(p[ok].to_numpy(), method=method)[1]
    out["p_vs_year_ago_adjusted"] = adjusted.iloc[: len(out)].to_numpy()
    out["p_vs_last_quarter_adjusted"] = adjusted.iloc[len(out) :].to_numpy()
    return out


def comparison_note(table: pd.DataFrame, method: str = "holm") -> str:
    """The sentence under the comparison table: the tests, the correction and how many p-values."""
    n = int(table[["p_vs_year_ago", "p_vs_last_quarter"]].notna().to_numpy().sum()) if len(table) else 0
    return (
        f"Each change is tested allowing for extra month-to-month variation (quasi-Poisson for counts, "
        f"quasi-binomial for shares, dispersion estimated from the monthly series); the {n} p-values in the "
        f"table are corrected together for multiple testing ({MULTIPLICITY_METHODS[method]}), and a change "
        f"is called up or down only when its corrected p-value is below 0.05. The same quarter a year ago "
        f"is the first comparison because it holds the season fixed."
    )


# ----------------------------------------------------------------------------- charts
def measure_charts(
    series: dict[str, pd.DataFrame],
    period_end: pd.Timestamp,
    change_dates: Mapping[str, Sequence] | Sequence = (),
    **kwargs,
) -> dict[str, spc.ChartResult]:
    """The judged control chart of each measure for the quarter ending ``period_end``.

    ``spc.judge_monthly`` by the measure's kind (``MEASURES``): proportions p-chart or Laney
    p', counts XmR floored at 0, stocks their trend with no signal. ``change_dates``: dates of
    known changes, one list for every measure or a mapping key -> dates; ``kwargs`` go to
    ``spc.control_chart``. A month of the quarter covered for less than half its days
    (``front_door.complete_until``) is not judged: the period judged ends before it, as in
    ``quarter_comparison``. A measure with no months is left out.
    """
    period_end = pd.Timestamp(period_end)
    start, _ = period_bounds(period_end)
    out = {}
    for key, frame in series.items():
        kept = _covered_months(period_end, complete_until(key, period_end) if key in MEASURES else None)[0]
        if kept == 0:
            continue
        judged = (start, start + pd.DateOffset(months=kept - 1))
        frame = frame[pd.to_datetime(frame["month"]) <= judged[1]]
        if frame.empty or pd.to_datetime(frame["month"]).max() < judged[1]:
            continue
        dates = change_dates.get(key, ()) if isinstance(change_dates, Mapping) else change_dates
        kind = MEASURES[key].kind
        extra = {} if kind == "stock" else {"change_dates": dates, **kwargs}
        out[key] = spc.judge_monthly(frame, kind, judged=judged, **extra)
    return out


def seasonal_decomposition(frame: pd.DataFrame, period: int = 12) -> pd.DataFrame | None:
    """STL decomposition (robust) of a monthly count; None when fewer than 36 months exist."""
    s = frame.set_index("month")["value"].astype(float)
    if len(s) < MIN_MONTHS_STL or s.isna().any():
        return None
    s.index = pd.DatetimeIndex(s.index, freq="MS")
    res = STL(s, period=period, robust=True).fit()
    return pd.DataFrame(
        {
            "month": s.index,
            "observed": s.to_numpy(),
            "trend": res.trend.to_numpy(),
            "seasonal": res.seasonal.to_numpy(),
            "remainder": res.resid.to_numpy(),
        }
    )


def format_value(value: float, percent: bool) -> str:
    """83% for proportions (whole percent), 1,234 for counts."""
    if value is None or np.isnan(value):
        return "not available"
    return f"{value * 100:.0f}%" if percent else f"{value:,.0f}"


def _months_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    return f"{start:%B} to {end:%B %Y}" if start.year == end.year else f"{start:%B %Y} to {end:%B %Y}"


def measure_sentence(spec, frame: pd.DataFrame, chart: spc.ChartResult, period_end: pd.Timestamp) -> str:
    """A measure's quarter in words: the figure, the same quarter a year ago, last quarter, and the chart.

    ``spec`` is a ``front_door.MeasureSpec``; ``chart`` the measure's ``measure_charts`` result.
    The chart sentence (``signal_words.chart_sentence``) names the flagged months and rules and
    uses "improvement"/"deterioration" only when the chart supports it.
    """
    period_end = pd.Timestamp(period_end)
    kept, label, _, note = _covered_months(period_end, complete_until(spec.key, period_end))
    q_start, _ = period_bounds(period_end)
    values, labels = [], []
    for back in (0, 12, 3):
        s = q_start - pd.DateOffset(months=back)
        e = (s + pd.DateOffset(months=max(kept, 1))) - pd.Timedelta(days=1)
        values.append(quarter_value(frame, spec.kind, s, e)["value"] if kept else np.nan)
        labels.append(signal_words.month_list(pd.date_range(s, e, freq="MS")))
    now, year, last = values
    percent = spec.kind == "proportion"
    if spec.kind == "stock":
        head = f"{format_value(now, False)} {spec.phrase} at the end of {period_end:%B %Y}"
        when_year, when_last = (
            f"{period_end - pd.DateOffset(years=1):%B %Y}",
            f"{q_start - pd.Timedelta(days=1):%B %Y}",
        )
    else:
        head = f"{format_value(now, percent)} {spec.phrase} {'from' if label[0].isdigit() else 'in'} {label}"
        when_year, when_last = labels[1], labels[2]
    compare = [
        f"{format_value(v, percent)} in {w}"
        for v, w in ((year, when_year), (last, when_last))
        if not (v is None or np.isnan(v))
    ]
    text = head + (f", against {' and '.join(compare)}" if compare else "") + "."
    if note:
        text += f" {note}."
    if chart is not None:
        text += " " + signal_words.chart_sentence(chart, spec.higher_is_better)
    return text
