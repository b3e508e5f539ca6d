"""The children-in-care chapter: every result the notebook shows, computed once, and its tables.

``build_chapter(ctx)`` runs the measures of the ``cic_*`` modules, the forecasts
(``forecast``) and the interrupted time series (``its``) on one quarter's data;
``save_outputs`` writes the tables to ``reports/<quarter>/tables/children_in_care_*.csv``;
The executive summary's children-in-care rows are registry measures (``cscbook.measures.catalogue``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cscbook.measures.care_leavers import care_leaver_outcomes
from cscbook.measures.cic_breakdowns import snapshot, who_over_time, who_table
from cscbook.measures.cic_episodes import care_data
from cscbook.measures.cic_flows import (
    add_rates,
    annual_flows,
    benchmarks,
    monthly_flows,
    reporting_dates,
    stock_identity_breaks,
)
from cscbook.measures.cic_leaving import km_by_entry_year, reasons_ceased, time_in_care
from cscbook.measures.cic_stability import stability_table

if TYPE_CHECKING:
    from cscbook.config.params import Params
    from cscbook.data.context import Context


@dataclass
class Chapter:
    """All results of the children-in-care chapter (aggregates only, no identifiers)."""

    source: str
    start: pd.Timestamp
    period_end: pd.Timestamp
    population: int
    flows: pd.DataFrame
    annual: pd.DataFrame
    benchmarks: pd.DataFrame
    identity_breaks: pd.DataFrame
    who: pd.DataFrame
    who_over_time: pd.DataFrame
    reasons: pd.DataFrame
    km_summary: pd.DataFrame
    km_curves: dict
    stability: pd.DataFrame
    care_leavers: pd.DataFrame | None
    forecasts: dict
    its: list
    seconds: dict


POWER_RATE_RATIO = 0.8  # the ITS power is stated for a sustained 20% fall in monthly starts
POWER_SIMS = 200


def build_chapter(
    ctx: Context,
    horizon: int = 12,
    backtest_step: int = 1,
    power_sims: int = POWER_SIMS,
    flows: pd.DataFrame | None = None,
) -> Chapter | None:
    """Compute the chapter from a Context; None when neither SSDA903 nor List 8 is present.

    ``backtest_step``: months between forecast-backtest origins (from month 24 of the series on);
    ``power_sims``: simulations for the power of each interrupted time series (to a sustained
    step of ``POWER_RATE_RATIO``).

    Care leavers (List 9) are included when present (``care_leaver_outcomes`` works on its own
    when there are no care data). ``flows`` (month, in_care, starts, ceases), when given, are the
    run's measure series (computed once per run), else computed here.
    """
    from cscbook.methods import forecast, its

    p = ctx.params
    data = care_data(ctx.tables, p.period_end)
    if data.source == "none":
        return None
    e, start, end, pop, mc = data.episodes, data.start, p.period_end, p.population_0_17, p.min_cell
    clock = {}
    t0 = time.perf_counter()
    flows = add_rates(monthly_flows(e, end, start) if flows is None else flows, pop)
    annual = annual_flows(flows, pop)
    breaks = stock_identity_breaks(flows)
    snap = snapshot(e, end)
    who = who_table(snap, mc)
    if data.source == "ssda903":
        over = who_over_time(e, snap, reporting_dates(start, end), mc)
    else:  # List 8 holds each child's latest placement only
        over = pd.DataFrame(columns=["date", "category", "children", "percent", "characteristic"])
    reasons = reasons_ceased(e, end, start, mc)
    km_summary, km_curves = km_by_entry_year(time_in_care(e, end, start))
    stab = stability_table(e, end, start, data.source)
    clock["measures"] = time.perf_counter() - t0
    cl = ctx.tables.get("care_leavers")
    leavers = care_leaver_outcomes(cl, end, mc) if cl is not None and not cl.empty else None

    t0 = time.perf_counter()
    fcs = {
        "in_care": forecast.forecast_series(flows, "in_care", "stock", horizon, step=backtest_step),
        "starts": forecast.forecast_series(flows, "starts", "count", horizon, step=backtest_step),
    }
    clock["forecast"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dates_all = tuple(iv.date for iv in p.interventions)
    fits = []
    for iv in p.interventions:  # no population offset: the population is one constant number
        others = tuple(d for d in dates_all if d != iv.date)
        r = its.fit_its(flows, "starts", iv.date, None, iv.name, adjust_for=others)
        r = its.with_power(r, POWER_RATE_RATIO, power_sims, adjust_for=others)
        fits.append(its.with_placebo(r, flows, "starts", adjust_for=others))
    clock["its"] = time.perf_counter() - t0
    return Chapter(data.source, start, end, pop, flows, annual, benchmarks(end), breaks, who, over, reasons,
                   km_summary, km_curves, stab, leavers, fcs, fits, clock)  # fmt: skip


def _rounded(df: pd.DataFrame, digits: int) -> pd.DataFrame:
    """``df`` with its numeric columns rounded to ``digits`` decimals."""
    num = df.select_dtypes("number").columns
    return df.assign(**{c: df[c].round(digits) for c in num})


def forecast_warnings(ch: Chapter) -> pd.DataFrame:
    """Warnings recorded (and suppressed) while fitting the forecast models: series, model, warning."""
    rows = [{"series": k, "model": m, "warning": w} for k, r in ch.forecasts.items()
            for m, ws in r.warnings.items() for w in ws]  # fmt: skip
    return pd.DataFrame(rows, columns=["series", "model", "warning"])


def output_tables(ch: Chapter) -> dict[str, pd.DataFrame]:
    """Every table the chapter shows, by file name (``children_in_care_*``), aggregates only."""
    f = ch.forecasts
    tables = {
        "monthly": ch.flows.assign(rate_per_10k=ch.flows["rate_per_10k"].round(2),
                                   starts_per_10k=ch.flows["starts_per_10k"].round(3)),  # fmt: skip
        "annual": ch.annual,
        "benchmarks": ch.benchmarks,
        "identity_breaks": ch.identity_breaks,
        "who_where": ch.who,
        "who_where_over_time": ch.who_over_time,
        "reasons_ceased": ch.reasons,
        "time_in_care": ch.km_summary,
        "stability": ch.stability,
        "forecast_in_care": _rounded(f["in_care"].forecast, 1),
        "forecast_starts": _rounded(f["starts"].forecast, 1),
        "forecast_backtest": pd.concat(
            [r.backtest.assign(series=k) for k, r in f.items() if not r.backtest.empty], ignore_index=True
        ).pipe(_rounded, 2) if any(not r.backtest.empty for r in f.values()) else pd.DataFrame(),
        "forecast_coverage": pd.concat(
            [r.coverage.assign(series=k) for k, r in f.items() if not r.coverage.empty], ignore_index=True
        ).pipe(_rounded, 2) if any(not r.coverage.empty for r in f.values()) else pd.DataFrame(),
    }  # fmt: skip
    if ch.care_leavers is not None:
        tables["care_leavers"] = ch.care_leavers
    warned = forecast_warnings(ch)
    if not warned.empty:
        tables["forecast_warnings"] = warned
    for r in ch.its:
        tables[f"its_{r.name}"] = _rounded(r.table(), 4)
        if r.fitted:
            tables[f"its_{r.name}_series"] = _rounded(r.series, 3)
        if not r.placebo.empty:
            tables[f"its_{r.name}_placebo"] = _rounded(r.placebo, 4)
    return {f"children_in_care_{name}": df for name, df in tables.items()}


def save_outputs(ch: Chapter, params: Params) -> list[Path]:
    """Write ``output_tables`` to reports/<quarter>/tables/."""
    from cscbook.report.outputs import save_table

    return [save_table(df, params, name) for name, df in output_tables(ch).items()]
