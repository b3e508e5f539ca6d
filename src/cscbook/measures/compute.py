"""Compute every registered measure once for a quarter: series, quarter values, signals.

``compute_all(tables, params)`` calls each measure's function once and returns
``MeasureResults``: the monthly series, the measures not available (with what would provide
them) and ``table``, the tidy table saved as ``reports/<quarter>/tables/measures.csv``: one row
per measure and period (``period_type`` "month" for each month of the series, "quarter" for this
quarter, last quarter and the same quarter a year ago).

Quarter values by kind: a proportion is sum(numerator) / sum(denominator) over the quarter's
months, with a Wilson 95% interval (a proportion counted on a date, ``on_date``, is its last
month's); a count is the sum of its three months (all three needed),
with an exact Poisson 95% interval; a stock, rate or mean is the value at the quarter's last
month.

Direction compares this quarter with last quarter: a change smaller than half a percentage
point (proportions) or 1% of last quarter's value (other kinds) is "no change".

Signal: statistical process control on the monthly series (``cscbook.methods.spc``, ``judge``):
the quarter judged against limits from a fixed baseline before it, with the months flagged and
the chart's false-alarm rate. Stocks, rates and means counted on a date are not given a signal:
consecutive month-ends share most of the same children, so month-to-month variation understates
the real variation and a chart would flag most months ("not assessed: a count on a date").
Snapshot measures have one month and no signal. A measure may name its own chart (``chart``: "p", "xmr" or
None), as the local measures declared in the parameters do (``cscbook.measures.local``: an XmR
chart for proportions counted on a date, rates and means; none for stocks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscbook.config.params import Params
from cscbook.config.periods import (
    covered_months,
    last_quarter_end,
    month_start,
    quarter,
    quarter_name,
    year_ago_end,
)
from cscbook.data.annexa_spec import LISTS
from cscbook.data.reference import benchmark
from cscbook.measures.local import declared_measures
from cscbook.measures.registry import Measure, NotAvailable, all_measures, missing_tables
from cscbook.methods import spc
from cscbook.methods.intervals import poisson_exact, wilson

NO_CHANGE_PROPORTION = 0.005  # half a percentage point
NO_CHANGE_RELATIVE = 0.01  # 1% of last quarter's value
NOT_ASSESSED = "not assessed"
NOT_ASSESSED_STOCK = "not assessed: a count on a date"

TABLE_COLUMNS = [
    "key", "label", "chapter", "kind", "unit", "period_type", "period", "period_start", "period_end",
    "value", "numerator", "denominator", "ci_low", "ci_high", "target", "england", "higher_is_better",
    "direction", "signal", "signal_months", "signal_baseline", "false_alarm_rate", "available", "note",
]  # fmt: skip


@dataclass
class MeasureResults:
    """Every measure of one run (see the module docstring)."""

    period_end: pd.Timestamp
    measures: dict[str, Measure]
    series: dict[str, pd.DataFrame] = field(default_factory=dict)
    unavailable: dict[str, NotAvailable] = field(default_factory=dict)
    charts: dict[str, spc.ChartResult] = field(default_factory=dict)
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TABLE_COLUMNS))

    def quarter_row(self, key: str, which: str = "this") -> pd.Series | None:
        """The row of ``table`` for measure ``key`` and quarter ``which`` ('this', 'last', 'year_ago')."""
        end = {"this": self.period_end, "last": last_quarter_end(self.period_end),
               "year_ago": year_ago_end(self.period_end)}[which]  # fmt: skip
        t = self.table
        rows = t[(t["key"] == key) & (t["period_type"] == "quarter") & (t["period_end"] == end)]
        return None if rows.empty else rows.iloc[0]

    def value(self, key: str, which: str = "this") -> float | None:
        """A measure's value for a quarter, or None when not known."""
        row = self.quarter_row(key, which)
        return None if row is None or pd.isna(row["value"]) else float(row["value"])


def period_value(
    monthly: pd.DataFrame, kind: str, start: pd.Timestamp, end: pd.Timestamp, on_date: bool = False
) -> dict:
    """A measure over the months in [start, end] by its kind (module docstring).

    Returns value, numerator and denominator (proportions) and months (rows in the period).
    NaN when not computable. A proportion ``on_date`` (a share counted on a date, e.g. posts
    covered by agency staff at the month end) is the period's last month, as a stock is.
    """
    month = pd.to_datetime(monthly["month"]) if len(monthly) else pd.Series(dtype="datetime64[ns]")
    part = monthly[(month >= start) & (month <= end)]
    out = {"value": np.nan, "numerator": np.nan, "denominator": np.nan, "months": len(part)}
    if kind == "proportion" and on_date:
        part = part[pd.to_datetime(part["month"]) == month_start(end)]
    if part.empty:
        return out
    if kind == "proportion":
        num = float(pd.to_numeric(part["numerator"]).sum())
        den = float(pd.to_numeric(part["denominator"]).sum())
        out.update(numerator=num, denominator=den, value=num / den if den > 0 else np.nan)
        return out
    values = pd.to_numeric(part["value"])
    if kind == "count":
        months_with_value = pd.to_datetime(part.loc[values.notna(), "month"]).nunique()
        if months_with_value == len(pd.date_range(start, end, freq="MS")):
            out["value"] = float(values.sum())
    else:
        last = values[pd.to_datetime(part["month"]) == month_start(end)].dropna()
        if len(last):
            out["value"] = float(last.iloc[-1])
    return out


def direction(this: float | None, previous: float | None, higher_is_better: bool | None, kind: str) -> str:
    """'improving', 'worsening', 'no change'; 'up'/'down' when neither direction is better.

    'not known' when either value is missing. Small changes count as no change (module
    docstring): 0.835 vs 0.832 is no change (0.3 points < 0.5).
    """
    if this is None or previous is None or pd.isna(this) or pd.isna(previous):
        return "not known"
    diff = this - previous
    small = (
        abs(diff) < NO_CHANGE_PROPORTION
        if kind == "proportion"
        else abs(diff) <= NO_CHANGE_RELATIVE * abs(previous)
    )
    if small:
        return "no change"
    if higher_is_better is None:
        return "up" if diff > 0 else "down"
    return "improving" if (diff > 0) == higher_is_better else "worsening"


def judge(measure: Measure, monthly: pd.DataFrame, params: Params) -> spc.ChartResult | None:
    """The judged control chart of the quarter ending the period end (``spc.judge_monthly``).

    Proportions: p-chart (Laney p' when overdispersed); counts: XmR floored at 0; both on a
    fixed baseline before the quarter, seasonally adjusted when 36+ months show a seasonal
    pattern (a measure naming its ``chart``, as local measures do, is charted so: "p" as a
    proportion, "xmr" as a count, None as a stock), limits recalculated only at the measure's change dates in the parameters
    (``chart_changes``). Stocks, rates and means on a date are charted with their trend and no
    signal. None for a snapshot measure (one month) or a series that does not reach the quarter.
    """
    if measure.snapshot or monthly.empty:
        return None
    q = quarter(params.period_end)
    kept, _ = covered_months(
        params.period_end, measure.complete_until(params.period_end) if measure.complete_until else None
    )
    if kept == 0:
        return None
    judged = (q.start, q.months[kept - 1])  # first and last month judged
    df = monthly[monthly["month"] <= judged[1]]
    if df.empty or df["month"].max() < q.months[kept - 1]:
        return None
    default = "p" if measure.kind == "proportion" else "xmr" if measure.kind == "count" else None
    kind = {"p": "proportion", "xmr": "count", None: "stock"}[
        default if measure.chart == "auto" else measure.chart
    ]
    if kind == "stock":
        return spc.judge_monthly(df, kind, judged=judged)
    # a month with no denominator, or a gap (no figure), takes no part
    df = df[df["denominator"] > 0] if kind == "proportion" else df[df["value"].notna()]
    return spc.judge_monthly(
        df, kind, judged=judged, change_dates=list(params.chart_changes.get(measure.key, ()))
    )


def signal(measure: Measure, chart: spc.ChartResult | None) -> tuple[str, str, str, float]:
    """The quarter's reading, the months flagged ('October 2024, December 2024'), the baseline the
    limits come from ('April 2019 to March 2021') and the chart's false-alarm rate (NaN when not judged)."""
    if chart is None:
        return NOT_ASSESSED, "", "", np.nan
    if not chart.signal_allowed:
        return NOT_ASSESSED_STOCK, "", "", np.nan
    months = ", ".join(f"{m:%B %Y}" for m in chart.flagged()["month"])
    baseline = (f"{chart.baseline_start:%B %Y} to {chart.baseline_end:%B %Y}"
                if chart.baseline_start is not None and chart.baseline_end is not None else "")  # fmt: skip
    return chart.reading(measure.higher_is_better), months, baseline, float(chart.false_alarm_rate)


def _check_series(measure: Measure, monthly: pd.DataFrame) -> pd.DataFrame:
    """The series with the columns its kind needs, sorted by month (a wrong shape is a bug: raise)."""
    need = ["month", "numerator", "denominator"] if measure.kind == "proportion" else ["month", "value"]
    missing = [c for c in need if c not in monthly.columns]
    if missing:
        raise TypeError(f"measure {measure.key!r} ({measure.kind}) returned a series without {missing}")
    out = monthly[need].copy()
    out["month"] = pd.to_datetime(out["month"]).astype("datetime64[ns]")
    for c in need[1:]:
        out[c] = pd.to_numeric(out[c]).astype("float64")
    if measure.kind == "proportion":
        out["value"] = np.where(
            out["denominator"] > 0,
            out["numerator"] / out["denominator"].where(out["denominator"] > 0),
            np.nan,
        )
    return out.sort_values("month").reset_index(drop=True)


def _interval(kind: str, value: float, num: float, den: float) -> tuple[float, float]:
    if kind == "proportion" and den > 0:
        lo, hi = wilson(num, den)
        return float(lo[0]), float(hi[0])
    if kind == "count" and not pd.isna(value):
        lo, hi = poisson_exact(value)
        return float(lo[0]), float(hi[0])
    return np.nan, np.nan


def _rows(
    measure: Measure, monthly: pd.DataFrame, params: Params, chart: spc.ChartResult | None
) -> list[dict]:
    base = {
        "key": measure.key,
        "label": measure.label,
        "chapter": measure.chapter,
        "kind": measure.kind,
        "unit": measure.unit,
        "higher_is_better": measure.higher_is_better,
        "available": True,
        "note": "",
    }
    target = params.targets.get(measure.target_key) if measure.target_key else None
    end = params.period_end
    rows: list[dict] = []
    if not measure.snapshot:
        months = monthly.assign(**base, period_type="month", period=monthly["month"].dt.strftime("%Y-%m"),
                                period_start=monthly["month"], period_end=monthly["month"] + pd.offsets.MonthEnd(0),
                                target=target)  # fmt: skip
        rows = months.drop(columns=["month"]).to_dict("records")
    quarters = {"this": end, "last": last_quarter_end(end), "year_ago": year_ago_end(end)}
    values = {}
    for which, q_end in quarters.items():
        q = quarter(q_end)
        v = period_value(monthly, measure.kind, q.start, q.end, on_date=measure.on_date)
        values[which] = v["value"]
        lo, hi = _interval(measure.kind, v["value"], v["numerator"], v["denominator"])
        row = {**base, "period_type": "quarter", "period": quarter_name(q_end), "period_start": q.start,
               "period_end": q.end, "value": v["value"], "numerator": v["numerator"],
               "denominator": v["denominator"], "ci_low": lo, "ci_high": hi, "target": target,
               "england": benchmark(measure.england_key, q_end) if measure.england_key else None}  # fmt: skip
        if which == "this":
            row["signal"], row["signal_months"], row["signal_baseline"], row["false_alarm_rate"] = signal(
                measure, chart
            )
        rows.append(row)
    this_row = next(r for r in rows if r["period_type"] == "quarter" and r["period_end"] == quarter(end).end)
    this_row["direction"] = direction(values["this"], values["last"], measure.higher_is_better, measure.kind)
    return rows


def with_template_columns(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each Annex A list with every template column (absent ones all missing), so that a list
    exported without an optional column reads as 'not recorded' rather than breaking a measure."""
    columns = {spec.table: {c.name: c.kind for c in spec.columns} for spec in LISTS.values()}
    out = dict(tables)
    for name, df in tables.items():
        missing = {c: k for c, k in columns.get(name, {}).items() if c not in df.columns}
        if missing:
            out[name] = df.assign(**{c: pd.Series(pd.NaT if k == "date" else pd.NA, index=df.index,
                                                  dtype="datetime64[ns]" if k == "date" else "object")
                                     for c, k in missing.items()})  # fmt: skip
    return out


def compute_all(
    tables: Mapping[str, pd.DataFrame], params: Params, keys: Iterable[str] | None = None
) -> MeasureResults:
    """Compute every registered measure once (module docstring), and the local measures declared in
    the parameters (``cscbook.measures.local``); only those in ``keys`` when given.

    A measure whose tables are absent, or whose function returns ``NotAvailable``, gets one
    quarter row with ``available`` False and the reason in ``note``. Anything else a measure
    function raises is a bug and stops the run.
    """
    measures = {m.key: m for m in all_measures() + declared_measures(params)}
    if keys is not None:
        measures = {k: measures[k] for k in keys}
    tables = with_template_columns(tables)
    out = MeasureResults(params.period_end, measures)
    rows: list[dict] = []
    for key, m in measures.items():
        result = missing_tables(m, tables) or m.compute(tables, params)
        if isinstance(result, NotAvailable):
            out.unavailable[key] = result
            q = quarter(params.period_end)
            rows.append({"key": key, "label": m.label, "chapter": m.chapter, "kind": m.kind, "unit": m.unit,
                         "period_type": "quarter", "period": quarter_name(params.period_end),
                         "period_start": q.start, "period_end": q.end, "higher_is_better": m.higher_is_better,
                         "available": False, "note": f"Not available in this extract: {result.reason}."})  # fmt: skip
            continue
        monthly = _check_series(m, result)
        monthly = monthly[monthly["month"] <= params.period_end].reset_index(drop=True)
        out.series[key] = monthly
        chart = judge(m, monthly, params)
        if chart is not None:
            out.charts[key] = chart
        rows.extend(_rows(m, monthly, params, chart))
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for c in [
        "value",
        "numerator",
        "denominator",
        "ci_low",
        "ci_high",
        "target",
        "england",
        "false_alarm_rate",
    ]:
        table[c] = pd.to_numeric(table[c], errors="coerce").astype("float64")
    for c in ["period_start", "period_end"]:
        table[c] = pd.to_datetime(table[c]).astype("datetime64[ns]")
    table["higher_is_better"] = table["higher_is_better"].astype(object)
    for c in ["direction", "signal", "signal_months", "signal_baseline", "note"]:
        table[c] = table[c].astype(object).where(table[c].notna(), "")
    out.table = table
    return out
