"""The chapter "Workforce and quality of practice": local measures beside the extract's caseloads.

``build(ctx)`` computes the local measures declared in the parameters once
(``cscbook.measures.compute.compute_all`` with their keys) and the book's own caseloads from
the extract (``cscbook.measures.caseloads``); the rest turns them into a table, sentences and
figures for readers. Without a local measures file the chapter explains what the file is and
how to supply one (``no_file_text``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook.config.local_measures import AUDIT_GOOD_OR_BETTER, AUDIT_GRADES
from cscbook.config.params import Params
from cscbook.data.local_measures import gaps
from cscbook.data.reference import benchmark
from cscbook.measures import caseloads as cl
from cscbook.measures.compute import MeasureResults, compute_all
from cscbook.measures.headline import HeadlineMeasure
from cscbook.measures.local import CHAPTER, TABLE, declared_measures
from cscbook.measures.registry import Measure
from cscbook.methods import spc
from cscbook.report.outputs import PALETTE, save_figure, save_table
from cscbook.report.spc_plots import plot_spc
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
    """What the chapter shows (module docstring)."""

    params: Params
    measures: list[Measure] = field(default_factory=list)
    results: MeasureResults | None = None
    caseloads: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None

    @property
    def available(self) -> bool:
        """True when the parameters name a local measures file and it has rows."""
        return self.results is not None and bool(self.results.series)


def build(ctx: Any) -> WorkforceChapter:
    """The chapter's numbers for ``ctx`` (a ``cscbook.data.context.Context``)."""
    p = ctx.params
    ch = WorkforceChapter(p, declared_measures(p))
    if cl.has_allocation(ctx.tables):
        ch.caseloads = cl.caseloads(cl.open_cases(ctx.tables, p.period_end))
    table = ctx.table(TABLE)
    if p.local_measures.file is None or table is None:
        return ch
    ch.results = compute_all(ctx.tables, p, keys=[m.key for m in ch.measures])
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
        "Control chart": [chart[getattr(m, "chart", None)] for m in ch.measures],
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
    rows = t[(t["team"] != "") & (pd.to_datetime(t["month"]) == month) & t["measure"].isin([m.key for m in ch.measures])]
    kinds = {m.key: m for m in ch.measures}
    hidden = f"not shown (fewer than {ch.params.min_cell})"
    figures = []
    for r in rows.itertuples():
        m = kinds[r.measure]
        if m.kind == "proportion":
            small = pd.isna(r.denominator) or r.denominator < ch.params.min_cell
            figures.append(hidden if small else fmt_value(r.numerator / r.denominator if r.denominator else np.nan, "proportion"))
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
        this = res.quarter_row(m.key)
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
            first = (f"On {p.period_end:%-d %B %Y} social workers held an average of {total['mean']:.1f} children "
                     f"each (range {total['min']} to {total['max']}; counted from the extract){against}.")  # fmt: skip
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
                at_end &= m.kind != "count" and (m.kind != "proportion" or getattr(m, "on_date", False))
    if not first and not parts:
        return ("Caseloads cannot be set beside the workforce figures: the extract records no allocated worker "
                "and there is no local measures file.")  # fmt: skip
    second = ""
    if parts:
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        when = f"At the end of {p.period_end:%B %Y}" if at_end else "This quarter"
        second = f"{when} {listed}."
    return " ".join(t for t in (first, second) if t)


def _chart(m: Measure, series: pd.DataFrame) -> pd.DataFrame:
    s = series.set_index("month")
    if getattr(m, "chart", None) == "p":
        return spc.p_chart(s["numerator"], s["denominator"])
    return spc.xmr(s["value"], lower_bound=0)


def plot_controls(ch: WorkforceChapter):
    """Control charts of every local measure with a chart (audit grade counts are in their own figure)."""
    res = ch.results
    shown = [m for m in ch.measures if res is not None and m.key in res.series and m.key not in AUDIT_GRADES
             and getattr(m, "chart", None) is not None]  # fmt: skip
    if not shown:
        return placeholder("No local measure with a control chart in this file.")
    cols = 2
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.3 * rows), squeeze=False)
    for ax, m in zip(axes.flat, shown, strict=False):
        pct = m.kind == "proportion"
        target = ch.params.targets.get(m.key)
        plot_spc(_chart(m, res.series[m.key]), m.label, "%" if pct else m.unit, target=target, ax=ax,
                 higher_is_better=m.higher_is_better, percent=pct)  # fmt: skip
        ax.title.set_fontsize(11)
    for ax in axes.flat[len(shown):]:
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
        return "Audit grades are not in the local measures file: declare and supply the four grades to see them."
    row = res.quarter_row(AUDIT_GOOD_OR_BETTER)
    this, last, ago = (res.value(AUDIT_GOOD_OR_BETTER, w) for w in ("this", "last", "year_ago"))
    text = (f"{fmt_value(this, 'proportion')} of the {row['denominator']:,.0f} audits completed this quarter were "
            f"graded good or better")  # fmt: skip
    if last is not None:
        text += f", against {fmt_value(last, 'proportion')} last quarter"
    if ago is not None:
        text += f" and {fmt_value(ago, 'proportion')} a year ago"
    return text + f" ({row['signal']})."


def save_outputs(ch: WorkforceChapter, rows: pd.DataFrame) -> dict[str, Any]:
    """Save the chapter's table and figures; return the figures for the notebook to glue."""
    p = ch.params
    figs = {"wf_controls": plot_controls(ch), "wf_audits": plot_audit_grades(ch)}
    if ch.available:
        save_table(rows, p, "workforce_local_measures")
        save_table(definitions(ch), p, "workforce_definitions")
        teams = team_table(ch)
        if not teams.empty:
            save_table(teams, p, "workforce_by_team")
        for name, fig in figs.items():
            save_figure(fig, p, name)
    return figs


def headline_measures(ctx: Any) -> list[HeadlineMeasure]:
    """The headline local measures for the executive summary (``cscbook.report.summary``).

    Rates and means are passed as stocks (the summary reads a stock, a rate and a mean alike: the
    value at the quarter's last month).
    """
    ch = build(ctx)
    res = ch.results
    if res is None:
        return []
    out = []
    for m in ch.measures:
        if not m.headline or m.key not in res.series:
            continue
        row = res.quarter_row(m.key)
        out.append(HeadlineMeasure(
            key=m.key, label=m.label, kind=m.kind if m.kind in ("proportion", "count", "stock") else "stock",
            monthly=res.series[m.key], higher_is_better=m.higher_is_better,
            england=None if row is None or pd.isna(row["england"]) else float(row["england"]),
            target=ch.params.targets.get(m.key), unit="" if m.kind == "proportion" else m.unit, chapter=CHAPTER,
        ))  # fmt: skip
    return out
