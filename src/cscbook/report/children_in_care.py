"""Children in care: numbers and flows, who and where, stability, care leavers.

This module gathers the chapter's public names in one place, so that a notebook or a test
can write ``from cscbook import children_in_care as cic`` and call ``cic.build_chapter(ctx)``.
The code lives in modules of one concern each:

- ``cic_episodes``: the episodes (SSDA903 or Annex A List 8), "as at" the period end,
  starts, ceases and periods of care;
- ``cic_flows``: in care on a date, monthly stock, starts and ceases, the stock identity,
  financial years, rates per 10,000 and published benchmarks;
- ``cic_breakdowns``: who is in care and where (snapshot, breakdowns, suppression);
- ``cic_leaving``: reasons for leaving care and time in care (Kaplan-Meier);
- ``cic_stability``: the DfE placement-stability measures;
- ``care_leavers``: care leavers (Annex A List 9);
- ``cic_chapter``: the whole chapter computed once, its saved tables, the headline measures;
- ``cic_display``: the sentences and display tables the book shows;
- ``cic_plots``: the figures.

Definitions follow DEFINITIONS.md "Children in care" and "Care leavers".
"""

from cscbook.measures.care_leavers import care_leaver_outcomes
from cscbook.measures.cic_breakdowns import (
    AGE_BANDS,
    BREAKDOWNS,
    LOCATION_LABELS,
    NOT_KNOWN,
    age_band,
    breakdown,
    breakdowns_over_time,
    snapshot,
    suppress_breakdown,
    who_over_time,
    who_table,
)
from cscbook.measures.cic_episodes import (
    EPISODE_COLUMNS,
    CareData,
    age_years,
    as_at,
    care_data,
    cease_flags,
    coverage_start,
    episodes_from_list8,
    open_episodes_on,
    periods_of_care,
    placement_location,
    postcode_area,
    prepare_episodes,
    start_flags,
)
from cscbook.measures.cic_flows import (
    add_rates,
    annual_flows,
    benchmarks,
    financial_year,
    in_care_on,
    monthly_flows,
    per_10k,
    reporting_dates,
    stock_identity_breaks,
)
from cscbook.measures.cic_leaving import km_by_entry_year, reasons_ceased, time_in_care
from cscbook.measures.cic_stability import (
    ADOPTION_PLACEMENTS,
    NEW_PLACEMENT_RNE,
    SHORT_BREAKS,
    placements,
    stability_list8,
    stability_on,
    stability_table,
)
from cscbook.report.cic_chapter import (
    Chapter,
    build_chapter,
    forecast_warnings,
    save_outputs,
)
from cscbook.report.cic_display import (
    SOURCE_LABELS,
    annual_display,
    backtest_display,
    benchmark_display,
    coverage_display,
    identity_message,
    its_display,
    key_numbers,
    km_display,
    leavers_display,
    numbers_message,
    placebo_display,
    reasons_display,
    stability_display,
    stability_message,
    who_display,
)
from cscbook.report.cic_plots import (
    plot_flows,
    plot_forecasts,
    plot_its,
    plot_km,
    plot_over_time,
    plot_placebo,
)

__all__ = [
    # episodes
    "EPISODE_COLUMNS", "CareData", "age_years", "as_at", "care_data", "cease_flags", "coverage_start",
    "episodes_from_list8", "open_episodes_on", "periods_of_care", "placement_location", "postcode_area",
    "prepare_episodes", "start_flags",
    # flows
    "add_rates", "annual_flows", "benchmarks", "financial_year", "in_care_on", "monthly_flows", "per_10k",
    "reporting_dates", "stock_identity_breaks",
    # who and where
    "AGE_BANDS", "BREAKDOWNS", "LOCATION_LABELS", "NOT_KNOWN", "age_band", "breakdown", "breakdowns_over_time",
    "snapshot", "suppress_breakdown", "who_over_time", "who_table",
    # leaving care
    "km_by_entry_year", "reasons_ceased", "time_in_care",
    # stability
    "ADOPTION_PLACEMENTS", "NEW_PLACEMENT_RNE", "SHORT_BREAKS", "placements", "stability_list8", "stability_on",
    "stability_table",
    # care leavers
    "care_leaver_outcomes",
    # the chapter
    "Chapter", "build_chapter", "forecast_warnings", "save_outputs",
    # words and display tables
    "SOURCE_LABELS", "annual_display", "backtest_display", "benchmark_display", "coverage_display",
    "identity_message", "its_display", "key_numbers", "km_display", "leavers_display", "numbers_message",
    "placebo_display", "reasons_display", "stability_display",
    "stability_message", "who_display",
    # figures
    "plot_flows", "plot_forecasts", "plot_its", "plot_km", "plot_over_time", "plot_placebo",
]  # fmt: skip
