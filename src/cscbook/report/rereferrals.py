"""The re-referrals chapter for readers: ``build(ctx, results) -> Chapter``.

The numbers come from ``cscbook.report.rr_chapter.build_chapter`` (rates, the drivers model,
its checks, time to re-referral); this module turns them into the sentences, tables and figures
the notebook shows. Without referrals (Annex A List 3) every part says so and the page still builds.
"""

from __future__ import annotations

import pandas as pd

from cscbook.data.context import Context
from cscbook.data.reference import benchmark
from cscbook.measures.compute import MeasureResults
from cscbook.report import format as fmt
from cscbook.report import rr_chapter as rm
from cscbook.report import spc_plots
from cscbook.report.chapter import Chapter, Figure
from cscbook.report.fd_plots import empty_figure
from cscbook.report.outputs import use_style

FIGURES = {"rr_fig_rate": ("rereferral_rate_pchart", "Re-referrals within 12 months"),
           "rr_fig_forest": ("rereferral_forest", "What goes with re-referral"),
           "rr_fig_calibration": ("rereferral_calibration", "How well the model fits"),
           "rr_fig_km": ("rereferral_km", "How soon families come back")}  # fmt: skip
TEXTS = ("rr_rate_text", "rr_list3_text", "rr_definitions_text", "rr_involvements_text", "rr_drivers_text",
         "rr_fit_text", "rr_cox_text")  # fmt: skip
TABLES = ("rr_definitions", "rr_involvement_notes", "rr_ame", "rr_km_summary", "rr_comparison")


def _not_available(ctx: Context, results: MeasureResults) -> Chapter:
    reason = results.unavailable.get("rereferral_12m")
    why = reason.reason if reason else "needs Annex A List 3 (referrals)"
    note = f"Not available in this extract: this chapter {why}."
    ch = Chapter(text={"rr_quarter": ctx.params.quarter_title}, markdown=dict.fromkeys(TEXTS, ""),
                 shown={k: pd.DataFrame() for k in TABLES})  # fmt: skip
    ch.markdown["rr_rate_text"] = f"**{note}**"
    for key, (_, title) in FIGURES.items():
        fig = empty_figure(title, "Not available in this extract.")
        ch.figures[key] = Figure(fig, FIGURES[key][0], alt=note)
    return ch


def _involvements_text(ch: rm.Chapter) -> str:
    first, last = ch.window
    share = ch.logit.events / max(ch.n_involvements, 1)
    return (f"Involvements closed between {fmt.date(first)} and {fmt.date(last)} (so that each has a full year of "
            f"follow-up by the period end): {fmt.number(ch.n_involvements)}, of which {fmt.number(ch.logit.events)} "
            f"({fmt.percent(share)}) were re-referred within 12 months.")  # fmt: skip


def _drivers_text(ch: rm.Chapter) -> str:
    lines = list(rm.driver_message(ch.logit))
    if ch.logit.notes:
        lines.append("Notes on the model: " + " ".join(ch.logit.notes))
    if ch.sensitivity is not None and ch.sensitivity.ok:
        lines.append(rm.sensitivity_message(ch))
    return "\n\n".join(lines)


def _ame_table(ch: rm.Chapter) -> pd.DataFrame:
    if ch.ame.empty:
        return pd.DataFrame()
    sig = ch.ame[ch.ame["term"].isin(rm.drivers(ch.logit)["term"])]
    return pd.DataFrame({
        "Group (vs reference)": sig["term"].map(rm.term_label),
        "Difference, percentage points": sig["ame_pp"].round(1),
        "95% interval": sig["ci_low"].round(1).astype(str) + " to " + sig["ci_high"].round(1).astype(str),
    })  # fmt: skip


def _km_summary(ch: rm.Chapter) -> pd.DataFrame:
    if ch.km_summary.empty:
        return pd.DataFrame()
    s = ch.km_summary.copy()
    s["group"] = s["group"].map(lambda g: rm.term_label(f"ended[{g}]").split(": ", 1)[-1])
    for c in s.columns[1:]:
        s[c] = (100 * s[c]).round(1)
    return s.rename(columns={"group": "How the involvement ended (% re-referred)"})


def build(ctx: Context, results: MeasureResults) -> Chapter:
    """The re-referrals chapter (see the module docstring)."""
    use_style()
    p = ctx.params
    if "rereferral_12m" in results.unavailable:
        return _not_available(ctx, results)
    ch = rm.build_chapter(ctx.tables, p.period_end)
    england = benchmark("rereferral_12m", p.period_end)
    neighbours = benchmark("rereferral_12m", p.period_end, area="Statistical neighbours (median)")
    target = p.targets.get("rereferral_12m")
    judged = results.charts.get("rereferral_12m")  # the summary's chart: limits from before the quarter
    out = Chapter(text={"rr_quarter": p.quarter_title})
    out.markdown = {
        "rr_rate_text": rm.rate_message(ch, england, neighbours, target, judged=judged)
        + (f" ({spc_plots.chart_caption(judged).rstrip('.')}.)" if judged is not None else ""),
        "rr_list3_text": (f"{fmt.number(ch.list3_used)} referrals came in months whose 12-month look-back reaches before "
                          "the extract starts; whether each was a re-referral was judged from List 3's 'Number of "
                          "Referrals in Last 12 Months' instead." if ch.list3_used else
                          "Every referral's 12-month look-back is inside the extract."),
        "rr_definitions_text": rm.definitions_message(ch),
        "rr_involvements_text": _involvements_text(ch),
        "rr_drivers_text": _drivers_text(ch),
        "rr_fit_text": rm.validation_message(ch) if not ch.calibration.empty else "The model could not be checked.",
        "rr_cox_text": "\n\n".join(([f"Notes on the Cox model: {' '.join(ch.cox.notes)}"] if ch.cox.notes else [])
                                   + ([rm.ph_message(ch)] if not ch.ph.empty else [])),
    }  # fmt: skip
    notes = ch.involvement_notes.rename(
        columns={"reason": "Not counted as a closed involvement", "involvements": "Number"}
    )
    out.shown = {"rr_definitions": ch.definitions, "rr_involvement_notes": notes, "rr_ame": _ame_table(ch),
                 "rr_km_summary": _km_summary(ch), "rr_comparison": ch.comparison}  # fmt: skip
    captions = {"rr_definitions": "Re-referrals on the two definitions, latest quarters",
                "rr_involvement_notes": "Involvements not counted, by reason",
                "rr_ame": "Clear differences in percentage points", "rr_km_summary": "Re-referred by time since closure",
                "rr_comparison": "Odds ratios and hazard ratios side by side"}  # fmt: skip
    for key, df in out.shown.items():
        df.attrs["caption"] = captions[key]
    figs = {"rr_fig_rate": rm.plot_rate_chart(judged if judged is not None else ch.chart, england, neighbours, target),
            "rr_fig_forest": rm.plot_forest(ch.logit.table) if not ch.logit.table.empty else None,
            "rr_fig_calibration": (rm.plot_calibration(ch.validation.calibration if ch.validation.ok else ch.calibration)
                                   if not ch.calibration.empty else None),
            "rr_fig_km": rm.plot_km(ch.km) if not ch.km.empty else None}  # fmt: skip
    for key, fig in figs.items():
        file, title = FIGURES[key]
        out.figures[key] = Figure(
            fig if fig is not None else empty_figure(title, "The model could not be fitted."), file
        )
    out.saved = rm.output_tables(ch)
    return out
