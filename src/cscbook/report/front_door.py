"""The front-door chapter: every table, figure and sentence the notebook shows.

``build(ctx, results)`` reads the front-door measures' monthly series from the run's measure
results (``cscbook.measures.catalogue``: computed once per run), charts them, and adds what only
this chapter shows: the seasonal pattern of contacts, the funnel from contact to plan, sources,
how long assessments and conferences took, and this quarter against last quarter and a year ago.
"""

from __future__ import annotations

import pandas as pd

from cscbook.config.periods import months_ending, quarter
from cscbook.data.context import Context
from cscbook.measures import front_door as fd
from cscbook.measures import funnel
from cscbook.measures.compute import MeasureResults
from cscbook.report import fd_plots, fd_trends, signal_words, spc_plots
from cscbook.report import format as fmt
from cscbook.report.chapter import Chapter, Figure
from cscbook.report.outputs import spc_alt_text, use_style

LISTS = {"contacts": "List 1 (contacts)", "early_help": "List 2 (early help)", "referrals": "List 3 (referrals)",
         "assessments": "List 4 (assessments)", "s47": "List 5 (section 47 enquiries)",
         "cp_plans": "List 7 (child protection plans)"}  # fmt: skip
# measure key -> glue name of its chart and sentence
CHARTS = {"contacts": "fd_contacts", "referrals": "fd_referrals", "contact_decision_1wd": "fd_decision",
          "assessment_45wd": "fd_assessment", "assessment_45wd_from_referral": "fd_assessment_referral",
          "s47_icpc_15wd": "fd_icpc", "s47": "fd_s47", "icpc": "fd_icpc_count", "second_cp_plan": "fd_second_cp",
          "cp_plans_open": "fd_cp_open"}  # fmt: skip


def _series(results: MeasureResults) -> dict[str, pd.DataFrame]:
    """The front-door measures' monthly series (available ones only)."""
    return {k: results.series[k] for k in fd.MEASURES if k in results.series}


def _measure_chart(
    ch: Chapter, key: str, series: dict, charts: dict, results: MeasureResults, target
) -> None:
    spec = fd.MEASURES[key]
    name = CHARTS[key]
    alt = ""
    if key in series and series[key]["value"].notna().any():
        chart = charts.get(key)
        fig = fd_plots.measure_figure(spec, chart, target)
        ch.text[f"{name}_text"] = fd_trends.measure_sentence(spec, series[key], chart, results.period_end)
        if chart is not None:
            ch.text[f"{name}_text"] += f" ({spc_plots.chart_caption(chart).rstrip('.')}.)"
        if chart is not None and chart.signal_allowed and chart.assessed:
            alt = spc_alt_text(chart.frame, spec.title, percent=spec.kind == "proportion")
    else:
        reason = results.unavailable.get(key)
        why = f" (it {reason.reason})" if reason else ""
        fig = fd_plots.empty_figure(spec.title, "Not available in this extract.")
        ch.text[f"{name}_text"] = f"{spec.label}: not available in this extract{why}."
        alt = ch.text[f"{name}_text"]
    ch.figures[name] = Figure(fig, f"front_door_{key}", alt=alt)


def _stl_text(stl: pd.DataFrame | None) -> str:
    if stl is None:
        return "There are fewer than 36 months of contacts, too few to separate the seasonal pattern."
    season = stl.assign(m=stl["month"].dt.month).groupby("m")["seasonal"].mean()
    high, low = season.idxmax(), season.idxmin()
    return (f"Contacts follow a seasonal pattern: they are usually highest in {pd.Timestamp(2000, high, 1):%B} "
            f"(about {season.max():.0f} a month above the underlying level) and lowest in "
            f"{pd.Timestamp(2000, low, 1):%B} (about {-season.min():.0f} below). With the season taken out, the "
            f"underlying level is about {fmt.number(round(stl['trend'].iloc[-1]))} contacts a month, against "
            f"{fmt.number(round(stl['trend'].iloc[-13]))} a year earlier.")  # fmt: skip


def funnel_view(f: pd.DataFrame) -> pd.DataFrame:
    """The funnel for readers: number, conversion, rate and its 95% interval."""
    return pd.DataFrame({
        "Stage": f["stage"], "Number": f["count"].map(fmt.number), "Conversion": f["conversion"],
        "Rate": f["rate"].map(lambda v: "" if pd.isna(v) else fmt.percent(v)),
        "95% interval": ["" if pd.isna(lo) else f"{fmt.percent(lo)} to {fmt.percent(hi)}"
                         for lo, hi in zip(f["ci_low"], f["ci_high"], strict=True)],
    })  # fmt: skip


def _funnel_text(q: pd.DataFrame, nfa: dict, eh: dict | None) -> tuple[str, str]:
    c2r = q.loc["Referrals"]
    if pd.isna(c2r["count"]):
        text = "Referrals are not in this extract, so the funnel cannot be followed beyond contacts."
    else:
        text = f"This quarter there were {fmt.number(q.loc['Contacts', 'count'])} contacts and {fmt.number(c2r['count'])} referrals. "
        text += (f"{fmt.percent(c2r['rate'])} of contacts whose 30 days had passed by the period end (95% interval "
                 f"{fmt.percent(c2r['ci_low'])} to {fmt.percent(c2r['ci_high'])}) led to a referral within 30 days"
                 if c2r["denominator"] > 0 else "No contacts this quarter have yet had 30 days in which to become a referral")  # fmt: skip
        text += (f"; {fmt.percent(nfa['rate'])} of referrals ended with no further action." if nfa["denominator"] > 0
                 else "; the referral outcome (no further action) is not recorded for this quarter.")  # fmt: skip
    early = ("Early help assessments (List 2) are not in this extract." if eh is None else
             f"Early help: {fmt.number(eh['started'])} early help assessments started this quarter, "
             f"{fmt.number(eh['completed'])} were completed, and {fmt.number(eh['open_at_end'])} were open at the "
             "end of the quarter.")  # fmt: skip
    return text, early


def _days(ch: Chapter, tables: dict, year: tuple[pd.Timestamp, pd.Timestamp]) -> None:
    a = fd.assessment_timeliness(tables.get("assessments"), tables.get("referrals"))
    a = a[a["assessment_authorised_date"].between(*year)]
    i = fd.icpc_timeliness(tables.get("s47"))
    i = i[i["icpc_date"].between(*year)]
    ch.figures["fd_assessment_days"] = Figure(fd_plots.working_days_histogram(
        a["wd_start"], fd.ASSESSMENT_WD, "How long assessments took (last 12 months)",
        "working days from start to authorisation", "assessments"), "front_door_assessment_days")  # fmt: skip
    ch.figures["fd_icpc_days"] = Figure(fd_plots.working_days_histogram(
        i["wd_icpc"], fd.ICPC_WD, "How long it took to hold the initial conference (last 12 months)",
        "working days from the enquiry starting to the conference", "conferences"), "front_door_icpc_days")  # fmt: skip
    ch.text["fd_days_text"] = (
        (f"Over the last 12 months the middle (median) assessment took {a['wd_start'].median():.0f} working days"
         if len(a) else "No assessments were authorised in the last 12 months")
        + (f" and the middle initial conference was held {i['wd_icpc'].median():.0f} working days after the "
           "enquiry started." if len(i) else "; no initial conferences were held.")
    )  # fmt: skip


def comparison_view(comparison: pd.DataFrame) -> pd.DataFrame:
    """The quarter comparison for readers (no columns when no front-door measure is available):
    the same quarter a year ago first, p-values corrected together (Holm)."""
    if comparison.empty or "measure" not in comparison.columns:
        return pd.DataFrame()

    def shown(column: str) -> list[str]:
        return [fmt.value(v, k) for v, k in zip(comparison[column], comparison["kind"], strict=True)]

    def p_value(v: float) -> str:
        return "" if pd.isna(v) else "<0.001" if v < 0.001 else f"{v:.3f}"

    return pd.DataFrame({
        "Measure": comparison["measure"], "Months compared": comparison["this_period"],
        "This quarter": shown("this_quarter"), "A year ago": shown("year_ago"),
        "p vs a year ago (Holm)": comparison["p_vs_year_ago_adjusted"].map(p_value),
        "Last quarter": shown("last_quarter"),
        "p vs last quarter (Holm)": comparison["p_vs_last_quarter_adjusted"].map(p_value),
        "Note": comparison["note"],
    })  # fmt: skip


def convention_text(conv: pd.DataFrame) -> str:
    """DfE's working-day count beside the book's for the two DfE timeliness measures."""
    conv = conv.set_index("key")
    parts = [f"{fmt.percent(r['rate_book'])} of {what} in time ({fmt.percent(r['rate_dfe'])} on DfE's count)"
             for what, r in (("assessments", conv.loc["assessment_45wd"]), ("initial conferences", conv.loc["s47_icpc_15wd"]))]  # fmt: skip
    return (
        "These timeliness figures count working days as DfE does, counting the start day, so they can be set "
        "beside England. On the book's own count (the working days after the start; same day = 0) this quarter's "
        f"figures would be {' and '.join(parts)}."
    )


def build(ctx: Context, results: MeasureResults) -> Chapter:
    """The front-door chapter for the quarter (see the module docstring)."""
    use_style()
    p, tables = ctx.params, ctx.tables
    series = _series(results)
    charts = {k: results.charts[k] for k in series if k in results.charts}  # judged once, by the registry
    this_q = quarter(p.period_end)
    year = months_ending(p.period_end, months=12)
    months = series.get("contacts", series.get("referrals", pd.DataFrame({"month": []})))["month"]
    missing = [name for key, name in LISTS.items() if ctx.table(key) is None]
    ch = Chapter(text={
        "fd_quarter": p.quarter_title, "fd_authority": p.authority,
        "fd_months": f"{len(months)} months" if len(months) else "no months",
        "fd_first_month": fmt.month(months.min()) if len(months) else "not available",
        "fd_missing": (f"Lists absent from this extract: {', '.join(missing)}. The measures that need them are shown "
                       "as not available." if missing else "Every front-door list is present in this extract."),
    })  # fmt: skip
    for key in CHARTS:
        _measure_chart(ch, key, series, charts, results, p.targets.get(fd.MEASURES[key].target_key or ""))
    stl = fd_trends.seasonal_decomposition(series["contacts"]) if "contacts" in series else None
    ch.figures["fd_stl"] = Figure(fd_plots.stl_figure(stl), "front_door_contacts_seasonal")
    ch.text["fd_stl_text"] = _stl_text(stl)

    funnels = {label: funnel.funnel(tables, start, end, p.period_end)
               for label, (start, end) in {"quarter": (this_q.start, this_q.end), "12 months": (year.start, year.end)}.items()}  # fmt: skip
    ch.figures["fd_funnel"] = Figure(fd_plots.funnel_figure(funnels["quarter"], "From contact to child protection plan this quarter"),
                                     "front_door_funnel")  # fmt: skip
    ch.text["fd_funnel_text"], ch.text["fd_early_help_text"] = _funnel_text(
        funnels["quarter"].set_index("stage"),
        funnel.nfa_rate(tables, this_q.start, this_q.end),
        funnel.early_help(tables, this_q.start, this_q.end),
    )
    ch.shown["fd_funnel_quarter"] = funnel_view(funnels["quarter"])
    ch.shown["fd_funnel_12_months"] = funnel_view(funnels["12 months"])
    source = funnel.by_source(tables, this_q.start, this_q.end, p.period_end)
    ch.shown["fd_by_source"] = pd.DataFrame({
        "Source": source["source_group"], "Contacts": source["contacts"].map(fmt.number),
        "Led to referral": source["contact_referral_rate"].map(lambda v: "" if pd.isna(v) else fmt.percent(v)),
        "Referrals": source["referrals"].map(fmt.number),
        "No further action": source["nfa_rate"].map(lambda v: "" if pd.isna(v) else fmt.percent(v)),
    })  # fmt: skip
    _days(ch, tables, (year.start, year.end))
    ch.text["fd_convention_text"] = convention_text(
        fd.timeliness_by_convention(tables, this_q.start, this_q.end)
    )
    ch.text["fd_false_alarms"] = signal_words.table_false_alarm_sentence(list(charts.values()))

    comparison = fd_trends.quarter_comparison(series, {k: fd.MEASURES[k].kind for k in series}, p.period_end,
                                              {k: fd.MEASURES[k].label for k in series})  # fmt: skip
    ch.shown["fd_comparison"] = comparison_view(comparison)
    ch.text["fd_comparison_note"] = fd_trends.comparison_note(comparison) if len(comparison) else ""
    monthly = [frame.set_index("month").add_prefix(f"{key}_") for key, frame in series.items()]
    ch.saved = {
        "front_door_monthly": pd.concat(monthly, axis=1).reset_index() if monthly else pd.DataFrame(),
        "front_door_funnel_quarter": funnels["quarter"], "front_door_funnel_12_months": funnels["12 months"],
        "front_door_by_source_quarter": source, "front_door_quarter_comparison": comparison,
        "front_door_spc_signals": pd.DataFrame([
            {"measure": fd.MEASURES[k].label, "quarter": p.quarter, "signal": c.reading(fd.MEASURES[k].higher_is_better),
             "months flagged": ", ".join(f"{m:%b %Y}" for m in c.flagged()["month"]), "chart": c.chart_type,
             "seasonal": c.seasonal, "false_alarm_rate": c.false_alarm_rate}
            for k, c in charts.items()]),
    }  # fmt: skip
    for key, df in ch.shown.items():
        df.attrs["caption"] = {"fd_funnel_quarter": "From contact to child protection plan this quarter",
                               "fd_funnel_12_months": "From contact to child protection plan, last 12 months",
                               "fd_by_source": "Contacts and referrals this quarter by source",
                               "fd_comparison": "This quarter against last quarter and a year ago"}[key]  # fmt: skip
    return ch
