"""The executive summary: one headline table from every chapter, and key messages from it.

Each chapter module (``cscbook.measures.front_door``, ``cscbook.measures.rereferrals``,
``cscbook.report.children_in_care``) offers ``headline_measures(ctx) -> list[HeadlineMeasure]``.
``collect_measures`` imports each lazily; a module that is missing or fails is skipped and
noted, so the summary always builds.

Quarter values (see ``cscbook.measures.headline``): a proportion is sum(numerator) / sum(denominator)
over the quarter's three months; a count is the sum of the three months (all three must be
present); a stock is the value at the quarter's last month.

Direction compares this quarter with the last one: a change smaller than half a percentage
point (proportions) or 1% of last quarter's value (counts, stocks, rates) is "no change".
Whether a change is a signal or noise comes from statistical process control on the monthly
series (``cscbook.methods.spc``): a p-chart for proportions, an XmR chart for counts and stocks;
the reading is ``cscbook.methods.spc.describe_signal`` at the quarter's last month (special-cause
improvement or concern, or common-cause variation).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cscbook.measures.headline import HeadlineMeasure, period_value, quarter_months
from cscbook.methods import spc

CHAPTER_MODULES = ("cscbook.measures.front_door", "cscbook.measures.rereferrals", "cscbook.report.children_in_care", "cscbook.measures.caseloads", "cscbook.report.workforce")

NO_CHANGE_PROPORTION = 0.005  # half a percentage point
NO_CHANGE_RELATIVE = 0.01  # 1% of last quarter's value
NOT_ASSESSED = "not assessed"

TABLE_COLUMNS = [
    "key", "label", "chapter", "kind", "unit", "this_quarter", "this_numerator", "this_denominator", "last_quarter", "year_ago",
    "target", "england", "higher_is_better", "direction", "signal",
]


@dataclass
class Collected:
    """Headline measures gathered from the chapter modules, with notes on modules skipped."""

    measures: list[HeadlineMeasure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def collect_measures(ctx: Any, modules: tuple[str, ...] = CHAPTER_MODULES) -> Collected:
    """Call ``headline_measures(ctx)`` of each chapter module that exists; note the others."""
    out = Collected()
    for name in modules:
        short = name.rsplit(".", 1)[-1].replace("_", " ")
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but something it imports does not
                out.notes.append(f"The {short} measures could not be loaded ({exc}).")
            else:
                out.notes.append(f"The {short} chapter is not available yet.")
            continue
        func = getattr(module, "headline_measures", None)
        if func is None:
            out.notes.append(f"The {short} chapter offers no headline measures yet.")
            continue
        try:
            measures = list(func(ctx))
        except Exception as exc:  # noqa: BLE001 - a failing chapter must not stop the summary
            out.notes.append(f"The {short} headline measures could not be computed ({type(exc).__name__}: {exc}).")
            continue
        for m in measures:
            if not m.chapter:
                m = HeadlineMeasure(**{**m.__dict__, "chapter": short.capitalize()})
            out.measures.append(m)
    return out


def _quarter(m: HeadlineMeasure, period_end: pd.Timestamp) -> dict | None:
    """The measure over the quarter ending ``period_end`` (``headline.period_value``), or None."""
    if m.monthly is None or m.monthly.empty:
        return None
    months = quarter_months(period_end)
    return period_value(m.monthly, m.kind, months[0], months[-1])


def quarter_value(m: HeadlineMeasure, period_end: pd.Timestamp) -> float | None:
    """The measure's value for the quarter ending ``period_end`` (None when not computable)."""
    q = _quarter(m, period_end)
    return None if q is None or pd.isna(q["value"]) else float(q["value"])


def quarter_counts(m: HeadlineMeasure, period_end: pd.Timestamp) -> tuple[int, int] | None:
    """A proportion's numerator and denominator for the quarter (None for other kinds or no data)."""
    q = _quarter(m, period_end) if m.kind == "proportion" else None
    if q is None or not q["denominator"] > 0:
        return None
    return int(q["numerator"]), int(q["denominator"])


def direction(
    this: float | None, previous: float | None, higher_is_better: bool | None, kind: str
) -> str:
    """'improving', 'worsening', 'no change'; 'up'/'down' when neither direction is better.

    'not known' when either value is missing. Small changes count as no change (see module
    docstring): 0.835 vs 0.832 is no change (0.3 points < 0.5).
    """
    if this is None or previous is None or np.isnan(this) or np.isnan(previous):
        return "not known"
    diff = this - previous
    small = abs(diff) < NO_CHANGE_PROPORTION if kind == "proportion" else (
        abs(diff) <= NO_CHANGE_RELATIVE * abs(previous)
    )
    if small:
        return "no change"
    if higher_is_better is None:
        return "up" if diff > 0 else "down"
    return "improving" if (diff > 0) == higher_is_better else "worsening"


def spc_signal(m: HeadlineMeasure, period_end: pd.Timestamp) -> str:
    """The SPC reading of the quarter (``cscbook.methods.spc.period_signal``) or 'not assessed'.

    'special cause improvement' / 'special cause concern' / 'special cause variation' (when
    neither direction is better) / 'common cause variation'. A p-chart for proportions and an
    XmR chart otherwise, on the whole monthly series up to the period end (as the chapters
    draw it); needs at least 12 months and the quarter's last month.
    """
    df = m.monthly
    if df is None or df.empty:
        return NOT_ASSESSED
    df = df.assign(month=pd.to_datetime(df["month"]))
    df = df[df["month"] <= period_end].sort_values("month").set_index("month")
    months = quarter_months(period_end)
    if len(df) < 12 or df.index[-1] != months[-1]:
        return NOT_ASSESSED
    try:
        if m.kind == "proportion":
            chart = spc.p_chart(df["numerator"].astype(float), df["denominator"].astype(float))
        else:
            chart = spc.xmr(df["value"].astype(float))
        return str(spc.period_signal(chart, months[0], months[-1], m.higher_is_better))
    except (ValueError, KeyError, ZeroDivisionError):  # an unassessable series is reported as such
        return NOT_ASSESSED


def headline_table(
    measures: list[HeadlineMeasure], period_end: pd.Timestamp, targets: dict[str, float] | None = None
) -> pd.DataFrame:
    """One row per measure: this quarter, last quarter, a year ago, target, England, direction, signal.

    A target in the parameters (``targets``, same key) is used when the measure carries none.
    """
    targets = targets or {}
    last_q = period_end - pd.offsets.QuarterEnd(1)
    year_ago = period_end - pd.DateOffset(years=1) + pd.offsets.MonthEnd(0)
    rows = []
    for m in measures:
        this = quarter_value(m, period_end)
        prev = quarter_value(m, last_q)
        rows.append(
            {
                "key": m.key,
                "label": m.label,
                "chapter": m.chapter,
                "kind": m.kind,
                "unit": m.unit,
                "this_quarter": this,
                **dict(zip(("this_numerator", "this_denominator"), quarter_counts(m, period_end) or (None, None),
                           strict=True)),
                "last_quarter": prev,
                "year_ago": quarter_value(m, year_ago),
                "target": m.target if m.target is not None else targets.get(m.key),
                "england": m.england,
                "higher_is_better": m.higher_is_better,
                "direction": direction(this, prev, m.higher_is_better, m.kind),
                "signal": spc_signal(m, period_end),
            }
        )
    out = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for c in ["this_quarter", "last_quarter", "year_ago", "target", "england"]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    for c in ["this_numerator", "this_denominator"]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    return out


def fmt_value(value: float | None, kind: str, unit: str = "") -> str:
    """Readable value: proportions as percentages with one decimal, counts with thousands commas."""
    if value is None or pd.isna(value):
        return "n/a"
    if kind == "proportion":
        return f"{value:.1%}"
    text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}".strip() if unit and unit not in {"count", "children"} else text


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The headline table formatted for readers (strings, plain-English column names)."""
    fmt = {c: [fmt_value(v, k, u) for v, k, u in zip(table[c], table["kind"], table["unit"], strict=True)]
           for c in ["this_quarter", "last_quarter", "year_ago", "target", "england"]}
    return pd.DataFrame(
        {
            "Measure": table["label"],
            "This quarter": fmt["this_quarter"],
            "Last quarter": fmt["last_quarter"],
            "A year ago": fmt["year_ago"],
            "Target": fmt["target"],
            "England": fmt["england"],
            "Direction": table["direction"],
            "Signal or noise": table["signal"],
        }
    )


def _as_shown(value: float, kind: str) -> float:
    """The value at the precision the book shows it (proportions to 0.1%, others to 0.1), so that
    comparisons in words agree with the numbers printed beside them."""
    return round(float(value) * 1000) / 1000 if kind == "proportion" else round(float(value), 1)


def _target_clause(row: pd.Series) -> str:
    if pd.isna(row["target"]) or pd.isna(row["this_quarter"]):
        return ""
    if row["higher_is_better"] is None:  # a planning figure, not a direction: say where it stands
        this, target = _as_shown(row["this_quarter"], row["kind"]), _as_shown(row["target"], row["kind"])
        rel = "above" if this > target else "below" if this < target else "at"
        return f" It is {rel} the local planning figure of {fmt_value(row['target'], row['kind'], row['unit'])}."
    this, target = _as_shown(row["this_quarter"], row["kind"]), _as_shown(row["target"], row["kind"])
    meets = this >= target if row["higher_is_better"] else this <= target
    word = "meets" if meets else "misses"
    return f" It {word} the local target of {fmt_value(row['target'], row['kind'], row['unit'])}."


def _england_clause(row: pd.Series) -> str:
    if pd.isna(row["england"]) or pd.isna(row["this_quarter"]):
        return ""
    this, england = _as_shown(row["this_quarter"], row["kind"]), _as_shown(row["england"], row["kind"])
    rel = "above" if this > england else "below"
    if this == england:
        return f" This is the same as England ({fmt_value(row['england'], row['kind'], row['unit'])})."
    return f" This is {rel} England ({fmt_value(row['england'], row['kind'], row['unit'])})."


def message(row: pd.Series) -> str:
    """One plain-English sentence (or three) about one headline measure."""
    this = fmt_value(row["this_quarter"], row["kind"], row["unit"])
    label = str(row["label"])
    if pd.isna(row["this_quarter"]):
        return f"{label}: not available for this quarter in this extract."
    num, den = row.get("this_numerator"), row.get("this_denominator")
    of = f" ({int(num):,} of {int(den):,})" if num is not None and den is not None and pd.notna(num) and pd.notna(den) else ""
    text = f"{label}: {this} this quarter{of}"
    d = row["direction"]
    prev = fmt_value(row["last_quarter"], row["kind"], row["unit"])
    if d == "no change":
        text += f", about the same as last quarter ({prev})."
    elif d in {"improving", "worsening"}:
        verb = "up" if row["this_quarter"] > row["last_quarter"] else "down"
        text += f", {verb} from {prev} last quarter ({'an improvement' if d == 'improving' else 'a deterioration'})."
    elif d in {"up", "down"}:
        text += f", {d} from {prev} last quarter."
    else:
        text += "."
    signal = str(row["signal"])
    if d == "improving" and signal == "special cause concern":
        text += (" Even so, the monthly control chart still shows special-cause concern: recent months remain"
                 " worse than the usual level, beyond what normal variation would explain.")
    elif d == "worsening" and signal == "special cause improvement":
        text += (" Even so, the monthly control chart still shows special-cause improvement: recent months remain"
                 " better than the usual level, beyond what normal variation would explain.")
    elif signal == "special cause improvement":
        text += " The monthly control chart shows special-cause improvement: the latest months are better than normal variation would explain."
    elif signal == "special cause concern":
        text += " The monthly control chart shows special-cause concern: the latest months are worse than normal variation would explain."
    elif signal == "special cause variation":
        text += " The monthly control chart shows special-cause variation: the latest months differ from the usual level by more than noise."
    elif signal == "common cause variation" and d not in {"no change", "not known"}:
        text += " The change is within normal month-to-month variation (noise), so it is not yet evidence of a real change."
    return text + _target_clause(row) + _england_clause(row)


def key_messages(table: pd.DataFrame, max_messages: int = 8) -> list[str]:
    """Between one and ``max_messages`` sentences from the headline table, most important first.

    Order: special-cause improvement or concern; then measures getting worse or missing their
    target; then special-cause variation where neither direction is better (demand); then the
    rest; within a group, worsening first, then the table's order. Measures with no value for
    the quarter come last.
    """
    if table.empty:
        return ["No headline measures are available yet: the chapters for this extract have not been computed."]
    t = table.reset_index(drop=True).copy()
    misses = np.array([bool(_target_clause(r).startswith(" It misses")) for _, r in t.iterrows()])
    worse = (t["direction"] == "worsening").to_numpy()
    judged = t["signal"].isin(["special cause concern", "special cause improvement"]).to_numpy()
    neutral = (t["signal"] == "special cause variation").to_numpy()
    tier = np.select([judged, worse | misses, neutral], [0, 1, 2], default=3)
    t["_order"] = tier * 10 + np.where(worse, 0, 1) + np.where(t["this_quarter"].isna(), 50, 0)
    t = t.sort_values("_order", kind="stable").head(max_messages)
    return [message(r) for _, r in t.iterrows()]


def commentary_path(params: Any) -> Path | None:
    """The analyst commentary: the ``commentary`` parameter, or params/commentary/<quarter>.md."""
    if getattr(params, "commentary", None):
        return Path(params.commentary)
    default = Path(params.project_root) / "params" / "commentary" / f"{params.quarter}.md"
    return default if default.is_file() else None


def html_table(df: pd.DataFrame) -> str:
    """A compact, stable HTML table without the index (for notebook display in the book)."""
    return df.to_html(index=False, border=0, na_rep="", classes="cscbook-table")
