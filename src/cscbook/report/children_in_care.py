"""The children-in-care chapter for readers: ``build(ctx, results) -> Chapter``.

The month-by-month numbers in care, starts and ceases are the run's measure series
(``cla_in_care``, ``cla_starts``, ``cla_ceases``: computed once per run); the rest of the
chapter (who and where, leaving care, stability, care leavers, forecasts, service changes) is
``cscbook.report.cic_chapter.build_chapter``. Without care data every part says which files
would provide it, and the page still builds.
"""

from __future__ import annotations

import pandas as pd

from cscbook.data.context import Context
from cscbook.measures.care_leavers import care_leaver_outcomes
from cscbook.measures.compute import MeasureResults
from cscbook.methods import forecast, its
from cscbook.report import cic_display as show
from cscbook.report import cic_plots as plots
from cscbook.report import format as fmt
from cscbook.report.chapter import Chapter, Figure
from cscbook.report.cic_chapter import build_chapter, forecast_warnings, output_tables
from cscbook.report.fd_plots import empty_figure
from cscbook.report.outputs import use_style

FIGURES = {"cic_fig_flows": ("children_in_care_flows", "Children in care, starts and ceases"),
           "cic_fig_placements": ("children_in_care_placement_types", "Placement types over time"),
           "cic_fig_location": ("children_in_care_location", "Placed close to home over time"),
           "cic_fig_km": ("children_in_care_time_in_care", "Time in care"),
           "cic_fig_forecast": ("children_in_care_forecast", "Forecasts"),
           "cic_fig_its": ("children_in_care_its", "Starts before and after the service change"),
           "cic_fig_its_placebo": ("children_in_care_its_placebo", "The same test at placebo dates")}  # fmt: skip
TABLES = ("cic_annual", "cic_benchmarks", "cic_breaks", "cic_who", "cic_reasons", "cic_km", "cic_stability",
          "cic_leavers", "cic_backtest", "cic_coverage", "cic_its")  # fmt: skip
TEXTS = ("cic_numbers", "cic_identity", "cic_over_time_note", "cic_stability_text", "cic_social_workers", "cic_leavers_note",
         "cic_forecast_text", "cic_forecast_warnings", "cic_its_text")  # fmt: skip
CAPTIONS = {"cic_annual": "Children in care, starts and ceases by year", "cic_benchmarks": "Rates beside England and neighbours",
            "cic_breaks": "Months where the stock and flows disagree", "cic_who": "Who is in care and where, at the period end",
            "cic_reasons": "Why children left care", "cic_km": "Still in care after 6, 12 and 24 months, by year of entry",
            "cic_stability": "Placement stability (DfE measures)", "cic_leavers": "Care leavers by age at the period end",
            "cic_backtest": "How each forecast method did in the backtest",
            "cic_coverage": "How often the forecast ranges held the actual value", "cic_its": "Service changes"}  # fmt: skip


def _flows(results: MeasureResults) -> pd.DataFrame | None:
    """month, in_care, starts, ceases from the run's measure series (None when not available)."""
    keys = {"in_care": "cla_in_care", "starts": "cla_starts", "ceases": "cla_ceases"}
    if any(k not in results.series for k in keys.values()):
        return None
    out = results.series["cla_in_care"][["month"]].copy()
    for column, key in keys.items():
        out[column] = results.series[key]["value"].to_numpy().round().astype("int64")
    return out


def _leavers(ctx: Context, ch) -> pd.DataFrame | None:
    if ch is not None:
        return ch.care_leavers
    cl = ctx.table("care_leavers")
    return (
        care_leaver_outcomes(cl, ctx.params.period_end, ctx.params.min_cell)
        if cl is not None and len(cl)
        else None
    )


def social_workers_text(results: MeasureResults) -> str:
    """Children in care with 3 or more social workers, and with one, in the 12 months to the period end."""
    three, one = results.quarter_row("cla_3plus_social_workers"), results.quarter_row("cla_one_social_worker")
    if "cla_3plus_social_workers" in results.unavailable or three is None:
        reason = results.unavailable.get("cla_3plus_social_workers")
        return ("Children in care with 3 or more social workers in the last 12 months: not available in this extract"
                + (f"; it {reason.reason}." if reason else "."))  # fmt: skip
    text = (
        f"At {fmt.date(results.period_end)}, {fmt.percent(three['value'])} of children in care "
        f"{fmt.of(three['numerator'], three['denominator'])} had had 3 or more social workers in the previous 12 "
        "months (the Department for Education's National Framework indicator; lower is better)"
    )
    if one is not None and "cla_one_social_worker" not in results.unavailable:
        text += (
            f", and {fmt.percent(one['value'])} {fmt.of(one['numerator'], one['denominator'])} had had one"
        )
    return text + ". Each change of worker means a child telling their story again to someone new."


def build(ctx: Context, results: MeasureResults) -> Chapter:
    """The children-in-care chapter (see the module docstring)."""
    use_style()
    p = ctx.params
    ch = build_chapter(ctx, flows=_flows(results))
    leavers = _leavers(ctx, ch)
    out = Chapter(text={"cic_quarter": p.quarter_title, "cic_authority": p.authority},
                  markdown=dict.fromkeys(TEXTS, ""), shown={k: pd.DataFrame() for k in TABLES})  # fmt: skip
    out.markdown["cic_social_workers"] = social_workers_text(results)
    out.markdown["cic_leavers_note"] = (
        "Care leavers (Annex A List 9) are not in this extract." if leavers is None else ""
    )
    if leavers is not None:
        out.shown["cic_leavers"] = show.leavers_display(leavers)
        out.saved["children_in_care_care_leavers"] = leavers
    figures: dict[str, object] = dict.fromkeys(FIGURES)
    if ch is None:
        reason = results.unavailable.get("cla_in_care")
        out.markdown["cic_numbers"] = (
            f"**Not available in this extract: the numbers, placements, stability, forecast and service-change sections "
            f"{reason.reason if reason else 'need SSDA903 episodes or Annex A List 8'}.** Add the SSDA903 files or Annex A "
            "List 8 to the parameters file to complete this chapter.")  # fmt: skip
    else:
        out.markdown["cic_numbers"] = (f"{show.numbers_message(ch)}\n\nSource: {show.SOURCE_LABELS[ch.source]}, "
                                       f"from {fmt.month(ch.start)} to {fmt.month(ch.period_end)}.")  # fmt: skip
        out.markdown["cic_identity"] = show.identity_message(ch)
        out.markdown["cic_stability_text"] = show.stability_message(ch)
        out.markdown["cic_forecast_text"] = "\n\n".join(
            [
                forecast.describe(ch.forecasts["in_care"], "the number of children in care"),
                forecast.describe(
                    ch.forecasts["starts"], "the number of children starting care in that month"
                ),
            ]
        )
        warned = forecast_warnings(ch)
        out.markdown["cic_forecast_warnings"] = (
            f"While fitting, the models raised {len(warned)} kind(s) of warning (for example about convergence); they "
            "are listed in the table children_in_care_forecast_warnings." if len(warned) else "")  # fmt: skip
        out.markdown["cic_its_text"] = ("No service changes are listed in the parameters file." if not p.interventions
                                        else "\n\n".join(its.describe(r) for r in ch.its))  # fmt: skip
        breaks = ch.identity_breaks.assign(month=ch.identity_breaks["month"].dt.strftime("%b %Y")).rename(
            columns={"month": "Month", "expected": "Expected (last month + starts - ceases)", "observed": "Counted",
                     "difference": "Difference"})  # fmt: skip
        out.shown.update({
            "cic_annual": show.annual_display(ch), "cic_benchmarks": show.benchmark_display(ch),
            "cic_breaks": breaks if len(breaks) else pd.DataFrame(), "cic_who": show.who_display(ch),
            "cic_reasons": show.reasons_display(ch), "cic_km": show.km_display(ch),
            "cic_stability": show.stability_display(ch), "cic_backtest": show.backtest_display(ch),
            "cic_coverage": show.coverage_display(ch), "cic_its": show.its_display(ch) if p.interventions else pd.DataFrame(),
        })  # fmt: skip
        over = ch.who_over_time
        has = {
            c: not over.empty and (over["characteristic"] == c).any()
            for c in ("Placement type", "Placement location")
        }
        if over.empty:
            out.markdown["cic_over_time_note"] = ("Annex A List 8 gives each child's latest placement only, so changes "
                                                  "over time are not shown.")  # fmt: skip
        fitted = [r for r in ch.its if r.fitted]
        figures.update({
            "cic_fig_flows": plots.plot_flows(ch),
            "cic_fig_placements": plots.plot_over_time(ch, "Placement type") if has["Placement type"] else None,
            "cic_fig_location": plots.plot_over_time(ch, "Placement location") if has["Placement location"] else None,
            "cic_fig_km": plots.plot_km(ch) if ch.km_curves else None,
            "cic_fig_forecast": plots.plot_forecasts(ch),
            "cic_fig_its": plots.plot_its(fitted[0]) if fitted else None,
            "cic_fig_its_placebo": plots.plot_placebo(fitted[0]) if fitted else None,
        })  # fmt: skip
        out.saved.update(output_tables(ch))
    for key, fig in figures.items():
        file, title = FIGURES[key]
        out.figures[key] = Figure(
            fig if fig is not None else empty_figure(title, "Not available in this extract."), file
        )
    for key, df in out.shown.items():
        df.attrs["caption"] = CAPTIONS[key]
    return out
