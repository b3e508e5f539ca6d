"""The chapter "Workforce and quality of practice": local measures beside the extract's caseloads.

``build(ctx, results) -> Chapter`` (``cscbook.report.chapter``) reads the local measures declared
in the parameters from the run's measure results (computed once per run with every registry
measure, ``cscbook.measures.local``) and the book's own caseloads from the extract
(``cscbook.measures.caseloads``), and turns them into sentences, tables and figures. Without a
local measures file the chapter explains what the file is and how to supply one
(``no_file_text``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook.config.local_measures import AUDIT_GOOD_OR_BETTER, AUDIT_GRADES
from cscbook.config.params import Params
from cscbook.data.context import Context
from cscbook.data.local_measures import gaps
from cscbook.data.reference import benchmark
from cscbook.measures import caseloads as cl
from cscbook.measures.compute import MeasureResults, judge
from cscbook.measures.local import CHAPTER, TABLE, declared_measures
from cscbook.measures.registry import Measure
from cscbook.report.caseloads import england_caseload
from cscbook.report.chapter import Chapter, Figure
from cscbook.report.outputs import PALETTE, use_style
from cscbook.report.spc_plots import plot_chart
from cscbook.report.summary import display_table, fmt_value, message

SN_AREA = "Statistical neighbours (median)"
GRADE_LABELS = {"audit_outstanding": "Outstanding", "audit_good": "Good",
                "audit_requires_improvement": "Requires improvement", "audit_inadequate": "Inadequate"}  # fmt: skip
GRADE_COLOURS = {"audit_outstanding": PALETTE[0], "audit_good": PALETTE[5],
                 "audit_requires_improvement": PALETTE[1], "audit_inadequate": PALETTE[3]}  # fmt: skip
AUDIT_MONTHS = 24  # the stacked chart shows the last two years
TEMPLATE = "data/templates/local_measures_template.csv"


@dataclass
class WorkforceChapter:
    """The chapter's numbers: the declared local measures, the run's results, the extract's caseloads."""

    params: Params
    measures: list[Measure] = field(default_factory=list)
    results: MeasureResults | None = None
    caseloads: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None

    @property
    def available(self) -> bool:
        """True when the run has a monthly series for at least one declared local measure."""
        return self.results is not None and any(m.key in self.results.series for m in self.measures)


def gather(ctx: Context, results: MeasureResults) -> WorkforceChapter:
    """The chapter's numbers for ``ctx`` and the run's measure ``results``."""
    p = ctx.params
    ch = WorkforceChapter(p, declared_measures(p), results)
    if cl.has_allocation(ctx.tables):
        ch.caseloads = cl.caseloads(cl.open_cases(ctx.tables, p.period_end))
    table = ctx.table(TABLE)
    if table is not None:
        ch.notes = gaps(table, list(p.local_measures.measures))
        ch.table = table
    return ch


def definitions(ch: WorkforceChapter) -> pd.DataFrame:
    """Each local measure's definition, source, kind and control chart (for readers and inspectors)."""
    chart = {"p": "p-chart", "xmr": "XmR chart", None: "none (a count on a date)"}
    return pd.DataFrame({
        "Measure": [m.label for m in ch.measures],
        "Definition": [m.definition for m in ch.measures],
        "Source": [m.source for m in ch.measures],
        "Kind": [m.kind for m in ch.measures],
        "Control chart": [chart[m.chart] for m in ch.measures],
    })  # fmt: skip


def team_table(ch: WorkforceChapter) -> pd.DataFrame:
    """The period end month's figures by team, from rows with a team, with small numbers suppressed.

    Disclosure (``disclosure.min_cell``): a team's proportion whose denominator is below
    min_cell is not shown, nor a count of 1 to min_cell - 1 (a team of three posts with one
    agency worker would describe one person).
    """
    t = ch.table
    if t is None or t.empty or not (t["team"] != "").any():
        return pd.DataFrame()
    month = ch.params.period_end.to_period("M").to_timestamp()
    rows = t[
        (t["team"] != "")
        & (pd.to_datetime(t["month"]) == month)
        & t["measure"].isin([m.key for m in ch.measures])
    ]
    kinds = {m.key: m for m in ch.measures}
    hidden = f"not shown (fewer than {ch.params.min_cell})"
    figures = []
    for r in rows.itertuples():
        m = kinds[r.measure]
        if m.kind == "proportion":
            small = pd.isna(r.denominator) or r.denominator < ch.params.min_cell
            figures.append(
                hidden
                if small
                else fmt_value(r.numerator / r.denominator if r.denominator else np.nan, "proportion")
            )
        elif m.kind in ("count", "stock") and 0 < r.value < ch.params.min_cell:
            figures.append(hidden)
        else:
            figures.append(fmt_value(r.value, m.kind, m.unit))
    return pd.DataFrame({"Measure": [kinds[k].label for k in rows["measure"]], "Team": rows["team"].to_list(),
                         f"{month:%B %Y}": figures})  # fmt: skip


def no_file_text(params: Params) -> str:
    """What the chapter says when there is no local measures file (or nothing in it is declared)."""
    lm = params.local_measures
    if lm.file is not None:
        return (
            f"**The local measures file `{lm.file.name}` is named in the parameters, but none of the measures "
            "declared under `local_measures: measures:` has rows in it**, so this chapter has no figures. Declare "
            "each measure in the file (label, kind, definition, source; see `params/example.yaml`) and check the "
            "file with `cscbook validate <file> --params <parameters>`."
        )
    return (
        "**No local measures file is named in the parameters, so this chapter has no workforce or "
        "quality-assurance figures yet.** These are the figures the service keeps itself and no statutory "
        "return carries: the share of social work posts covered by agency staff, vacancies, turnover, newly "
        "qualified social workers, supervision held in time, audit grades, and the caseloads of independent "
        "reviewing officers and child protection chairs. To add them, keep one tidy file (a CSV, or one sheet "
        "of a workbook) with one row per measure and month (columns `measure`, `month`, `numerator`, "
        f"`denominator` or `value`, and optionally `team`; start from `{TEMPLATE}`), declare each measure "
        "under `local_measures:` in the parameters (see `params/example.yaml`), and check it with "
        "`cscbook validate <file> --params <parameters>`. Nothing in the file may identify a person."
    )


def headline_rows(ch: WorkforceChapter) -> pd.DataFrame:
    """One row per available local measure in the shape of the summary's headline table
    (``cscbook.report.summary.TABLE_COLUMNS``), plus ``neighbours`` (statistical-neighbour median)."""
    res = ch.results
    rows = []
    if res is None:
        return pd.DataFrame()
    for m in ch.measures:
        this = res.quarter_row(m.key) if m.key in res.series else None
        if this is None or not bool(this["available"]):
            continue
        num, den = (this["numerator"], this["denominator"]) if m.kind == "proportion" else (np.nan, np.nan)
        rows.append({
            "key": m.key, "label": m.label, "chapter": CHAPTER, "kind": m.kind, "unit": m.unit,
            "this_quarter": this["value"], "this_numerator": num, "this_denominator": den,
            "last_quarter": res.value(m.key, "last"), "year_ago": res.value(m.key, "year_ago"),
            "target": this["target"], "england": this["england"],
            "neighbours": benchmark(m.england_key, ch.params.period_end, SN_AREA) if m.england_key else None,
            "higher_is_better": m.higher_is_better, "direction": this["direction"], "signal": this["signal"],
            "signal_months": this.get("signal_months", ""), "footnote": "",
        })  # fmt: skip
    out = pd.DataFrame(rows)
    for c in ["this_quarter", "last_quarter", "year_ago", "target", "england", "neighbours"]:
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    return out


def measures_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The chapter's table for readers: the summary's columns with the statistical neighbours added."""
    if rows.empty:
        return pd.DataFrame()
    shown = display_table(rows)
    sn = [fmt_value(v, k, u) for v, k, u in zip(rows["neighbours"], rows["kind"], rows["unit"], strict=True)]
    shown.insert(shown.columns.get_loc("England") + 1, "Statistical neighbours", sn)
    return shown


def messages(rows: pd.DataFrame) -> list[str]:
    """One sentence per local measure (the summary's words), grade counts left to the chart."""
    if rows.empty:
        return []
    return [message(r) for _, r in rows.iterrows() if r["key"] not in AUDIT_GRADES]


def caseload_link(ch: WorkforceChapter) -> str:
    """The extract's caseloads linked to the workforce figures in one or two sentences."""
    p = ch.params
    first = ""
    if ch.caseloads is not None:
        total = ch.caseloads[ch.caseloads["team"] == cl.TOTAL].iloc[0]
        if pd.notna(total["mean"]):
            target = p.targets.get("caseload_per_worker")
            against = f", against a target of at most {target:g}" if target is not None else ""
            spread = "" if pd.isna(total["min"]) else f"range {total['min']} to {total['max']}; "
            england = england_caseload(p.period_end)
            versus = (
                "" if england is None else f" (England: {england:.1f} cases per case-holding social worker)"
            )
            first = (f"On {p.period_end:%-d %B %Y} social workers held an average of {total['mean']:.1f} children "
                     f"each ({spread}counted from the extract){against}{versus}.")  # fmt: skip
    parts = []
    at_end = True  # every figure listed is the quarter's last month (a figure on a date or an average)
    res = ch.results
    if res is not None:
        for key, words in (("agency_share", "agency staff covered {v} of social work posts"),
                           ("vacancy_rate", "{v} of posts were vacant"),
                           ("iro_caseload", "independent reviewing officers held {v} children each")):  # fmt: skip
            v = res.value(key) if key in res.series else None
            if v is not None:
                m = res.measures[key]
                parts.append(words.format(v=fmt_value(v, m.kind, "" if m.kind == "mean" else m.unit)))
                at_end &= m.kind != "count" and (m.kind != "proportion" or m.on_date)
    if not first and not parts:
        return ("Caseloads cannot be set beside the workforce figures: the extract records no allocated worker "
                "and there is no local measures file.")  # fmt: skip
    second = ""
    if parts:
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        when = f"At the end of {p.period_end:%B %Y}" if at_end else "This quarter"
        second = f"{when} {listed}."
    return " ".join(t for t in (first, second) if t)


def plot_controls(ch: WorkforceChapter):
    """The judged control chart of every local measure with a chart (``compute.judge``, as the run
    reads each quarter), two to a row; audit grade counts are in their own figure."""
    res = ch.results
    shown = [m for m in ch.measures if res is not None and m.key in res.series and m.key not in AUDIT_GRADES
             and m.chart is not None]  # fmt: skip
    charts = {m.key: judge(m, res.series[m.key], ch.params) for m in shown} if res is not None else {}
    shown = [m for m in shown if charts.get(m.key) is not None]
    if not shown:
        return placeholder("No local measure with a control chart in this file.")
    cols = 2
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.6 * rows), squeeze=False)
    for ax, m in zip(axes.flat, shown, strict=False):
        pct = m.kind == "proportion"
        plot_chart(charts[m.key], m.label, "%" if pct else m.unit, target=ch.params.targets.get(m.key), ax=ax,
                   higher_is_better=m.higher_is_better, percent=pct)  # fmt: skip
        ax.title.set_fontsize(11)
    for t in list(fig.texts):  # one caption for the grid is in the book's text, not one per chart
        t.remove()
    for ax in axes.flat[len(shown) :]:
        ax.axis("off")
    fig.tight_layout()
    plt.close(fig)
    return fig


def audit_shares(ch: WorkforceChapter) -> pd.DataFrame | None:
    """Audit grades by month (the last ``AUDIT_MONTHS``): audits and share of each grade."""
    res = ch.results
    if res is None or not all(g in res.series for g in AUDIT_GRADES):
        return None
    wide = pd.concat([res.series[g].set_index("month")["value"].rename(g) for g in AUDIT_GRADES], axis=1)
    wide = wide.tail(AUDIT_MONTHS)
    total = wide.sum(axis=1, min_count=len(AUDIT_GRADES))
    return wide.div(total.where(total > 0), axis=0).assign(audits=total)


def plot_audit_grades(ch: WorkforceChapter):
    """Stacked bars: each month's audits by grade (share), with the share good or better above them."""
    shares = audit_shares(ch)
    if shares is None:
        return placeholder("Audit grades are not in the local measures file.")
    fig, ax = plt.subplots(figsize=(10, 4.2))
    x = shares.index
    bottom = np.zeros(len(shares))
    for g in AUDIT_GRADES:
        v = shares[g].fillna(0).to_numpy() * 100
        ax.bar(x, v, bottom=bottom, width=25, color=GRADE_COLOURS[g], label=GRADE_LABELS[g])
        bottom += v
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of audits in the month")
    ax.set_title("Case audits by grade")
    ax.legend(frameon=False, fontsize=9, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    fig.autofmt_xdate()
    plt.close(fig)
    return fig


def controls_alt(ch: WorkforceChapter) -> str:
    """The control charts' message in words, from the run's readings of the quarter."""
    res = ch.results
    charted = [m for m in ch.measures if res is not None and m.key in res.series and m.key not in AUDIT_GRADES
               and m.chart is not None]  # fmt: skip
    if not charted:
        return "No local measure with a control chart in this file."
    unusual = []
    for m in charted:
        row = res.quarter_row(m.key)
        if row is not None and str(row["signal"]).startswith("special cause"):
            better = {"special cause improvement": "better than", "special cause concern": "worse than"}
            how = better.get(str(row["signal"]), "different from")
            unusual.append(f"{m.label} was {how} its usual range in {row['signal_months'] or 'this quarter'}")
    text = f"Control charts of {len(charted)} workforce and quality measures, month by month. "
    return text + ("; ".join(unusual) + "; the others stayed within their usual range." if unusual else
                   "Every measure stayed within its usual range this quarter.")  # fmt: skip


def audits_alt(ch: WorkforceChapter) -> str:
    """The audit grade chart's message: the latest month's shares by grade."""
    shares = audit_shares(ch)
    if shares is None or shares.dropna().empty:
        return "Audit grades are not in the local measures file."
    last = shares.dropna().iloc[-1]
    parts = ", ".join(f"{GRADE_LABELS[g].lower()} {fmt_value(last[g], 'proportion')}" for g in AUDIT_GRADES)
    return (
        f"Case audits by grade, month by month over the last {len(shares)} months; in "
        f"{shares.dropna().index[-1]:%B %Y}, of {last['audits']:.0f} audits: {parts}."
    )


def placeholder(text: str):
    """A small figure that says why there is no chart."""
    fig, ax = plt.subplots(figsize=(8, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12)
    plt.close(fig)
    return fig


def audit_sentence(ch: WorkforceChapter) -> str:
    """The audit grades in words: share good or better this quarter, last quarter and a year ago."""
    res = ch.results
    if res is None or AUDIT_GOOD_OR_BETTER not in res.series:
        return (
            "Audit grades are not in the local measures file: declare and supply the four grades to see them."
        )
    row = res.quarter_row(AUDIT_GOOD_OR_BETTER)
    this, last, ago = (res.value(AUDIT_GOOD_OR_BETTER, w) for w in ("this", "last", "year_ago"))
    text = (f"{fmt_value(this, 'proportion')} of the {row['denominator']:,.0f} audits completed this quarter were "
            f"graded good or better")  # fmt: skip
    if last is not None:
        text += f", against {fmt_value(last, 'proportion')} last quarter"
    if ago is not None:
        text += f" and {fmt_value(ago, 'proportion')} a year ago"
    return text + f" ({row['signal']})."


def build(ctx: Context, results: MeasureResults) -> Chapter:
    """The workforce and quality of practice chapter (module docstring)."""
    use_style()
    p = ctx.params
    ch = gather(ctx, results)
    rows = headline_rows(ch)
    shown = measures_table(rows)
    shown.attrs["caption"] = f"Workforce and quality measures, {p.quarter_title}"
    teams, defs = team_table(ch), definitions(ch)
    teams.attrs["caption"], defs.attrs["caption"] = (
        "Figures by team at the period end",
        "Local measures: definitions",
    )
    saved = {"workforce_local_measures": rows, "workforce_definitions": defs} if ch.available else {}
    if not teams.empty:
        saved["workforce_by_team"] = teams
    bullets = "\n".join(f"- {m}" for m in messages(rows))
    return Chapter(
        text={"wf_quarter": p.quarter_title, "wf_authority": p.authority, "wf_link": caseload_link(ch),
              "wf_audits_text": audit_sentence(ch)},
        markdown={"wf_messages": bullets if ch.available else no_file_text(p),
                  "wf_notes": "\n".join(f"- {n}" for n in ch.notes) or "No month is missing from the file.",
                  "wf_teams_text": "" if not teams.empty else "The local measures file gives no team figures for the period end month."},
        shown={"wf_table": shown if ch.available else pd.DataFrame(), "wf_teams": teams,
               "wf_definitions": defs if ch.measures else pd.DataFrame()},
        figures={"wf_controls": Figure(plot_controls(ch), "workforce_control_charts", controls_alt(ch),
                                       "fig-wf-controls"),
                 "wf_audits": Figure(plot_audit_grades(ch), "workforce_audit_grades", audits_alt(ch),
                                     "fig-wf-audits")},
        saved=saved,
    )  # fmt: skip
