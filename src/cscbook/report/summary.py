"""The executive summary: the headline measures from the registry, and key messages from them.

The headline table reads the run's measure results (``cscbook.measures.compute``): this
quarter, last quarter and the same quarter a year ago as computed from this extract, the
target and England. Snapshot measures (known only at the period end) take last quarter and a
year ago from the measures history (``cscbook.data.history``): the values those quarters'
books published. Where this extract gives a different value for an earlier quarter than the
one published (late recording), a footnote says so.

Key messages rank measures by one rule (``RANKING_RULE``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cscbook.config.periods import last_quarter_end, year_ago_end
from cscbook.data.context import Context
from cscbook.data.history import published, read_history
from cscbook.measures.compute import MeasureResults
from cscbook.methods.spc import combined_false_alarm_rate
from cscbook.report import format as fmt
from cscbook.report.chapter import Chapter

TABLE_COLUMNS = [
    "key", "label", "chapter", "kind", "unit", "this_quarter", "this_numerator", "this_denominator", "last_quarter",
    "year_ago", "target", "england", "higher_is_better", "direction", "signal", "signal_months", "signal_baseline", "false_alarm_rate",
    "footnote",
]  # fmt: skip

RANKING_RULE = (
    "Key messages are ranked by one rule: first, measures whose control chart shows special-cause "
    "improvement or concern this quarter; then measures that miss their target (furthest from it first) or "
    "got worse than last quarter; then special-cause changes where neither direction is better (demand); "
    "then the rest in the table's order. Measures with no value this quarter come last."
)


def headline_table(results: MeasureResults, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per headline measure (registry ``headline=True``) available this quarter.

    Last quarter and a year ago: this extract's value, or, for snapshot measures and where the
    extract has none, the value published in the history. ``footnote`` notes a published value
    that this extract has since revised (compared at the precision shown).
    """
    end = results.period_end
    pub = {which: published(history, q_end) if history is not None else pd.DataFrame()
           for which, q_end in (("last", last_quarter_end(end)), ("year_ago", year_ago_end(end)))}  # fmt: skip
    rows = []
    for key, m in results.measures.items():
        if not m.headline or key in results.unavailable:
            continue
        this = results.quarter_row(key, "this")
        row = {"key": key, "label": m.label, "chapter": m.chapter, "kind": m.kind, "unit": m.unit,
               "this_quarter": this["value"], "target": this["target"], "england": this["england"],
               "higher_is_better": m.higher_is_better, "direction": this["direction"], "signal": this["signal"],
               "signal_months": this["signal_months"], "signal_baseline": this["signal_baseline"],
               "false_alarm_rate": this["false_alarm_rate"],
               "this_numerator": this["numerator"] if m.kind == "proportion" else np.nan,
               "this_denominator": this["denominator"] if m.kind == "proportion" else np.nan}  # fmt: skip
        notes = []
        for which, column, words in (
            ("last", "last_quarter", "last quarter"),
            ("year_ago", "year_ago", "a year ago"),
        ):
            extract = results.value(key, which)
            pub_value = pub[which]["value"].get(key) if key in pub[which].index else None
            if m.snapshot or extract is None:
                row[column] = pub_value
            else:
                row[column] = extract
                if (
                    pub_value is not None
                    and not pd.isna(pub_value)
                    and fmt.as_shown(pub_value, m.kind) != fmt.as_shown(extract, m.kind)
                ):
                    notes.append(f"{words} was published as {fmt.value(pub_value, m.kind, m.unit)}; "
                                 f"{fmt.value(extract, m.kind, m.unit)} on this extract after late recording")  # fmt: skip
        if m.snapshot and this["direction"] == "not known":
            from cscbook.measures.compute import direction

            row["direction"] = direction(row["this_quarter"], row["last_quarter"], m.higher_is_better, m.kind)
        row["footnote"] = "; ".join(notes)
        rows.append(row)
    out = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for c in ["this_quarter", "last_quarter", "year_ago", "target", "england"]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    for c in ["this_numerator", "this_denominator"]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    out["footnote"] = out["footnote"].fillna("")
    return out


def false_alarm_note(table: pd.DataFrame) -> str:
    """How often the table's control charts would show a signal with no real change (each and together)."""
    rates = table["false_alarm_rate"].dropna().astype(float)
    if rates.empty:
        return "No headline measure this quarter is judged on a control chart."
    together = combined_false_alarm_rate(rates.tolist())
    return (
        f"With no real change anywhere, each of the {len(rates)} control charts judged in this table would still flag "
        f"a month of the quarter {rates.min():.0%} to {rates.max():.0%} of the time, and at least one of them would "
        f"{together:.0%} of the time: read one signal on its own with that in mind."
    )


def unavailable_notes(results: MeasureResults) -> list[str]:
    """One sentence per headline measure this extract cannot provide, naming what would."""
    return [f"{results.measures[k].label}: not available in this extract; it {r.reason}."
            for k, r in results.unavailable.items() if results.measures[k].headline]  # fmt: skip


def fmt_value(value: float | None, kind: str, unit: str = "") -> str:
    """A measure's value as the book prints it (``report.format.value``)."""
    return fmt.value(value, kind, unit)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The headline table formatted for readers (strings, plain-English column names)."""
    cols = ["this_quarter", "last_quarter", "year_ago", "target", "england"]
    shown = {c: [fmt_value(v, k, u) for v, k, u in zip(table[c], table["kind"], table["unit"], strict=True)]
             for c in cols}  # fmt: skip
    return pd.DataFrame(
        {
            "Measure": [f"{label}{mark}" for label, mark in zip(table["label"], _marks(table), strict=True)],
            "This quarter": shown["this_quarter"],
            "Last quarter": shown["last_quarter"],
            "A year ago": shown["year_ago"],
            "Target": shown["target"],
            "England": shown["england"],
            "Change on last quarter": [_change_word(r) for _, r in table.iterrows()],
            "Signal or noise": table["signal"],
        }
    )


def _change_word(row: pd.Series) -> str:
    """'up', 'down', 'no change' or 'not known': the arithmetic of the change, with no judgement in it
    (whether it is an improvement is the control chart's to say, in the key messages)."""
    d = str(row["direction"])
    if d in {"improving", "worsening"}:
        return "up" if row["this_quarter"] > row["last_quarter"] else "down"
    return d


def _marks(table: pd.DataFrame) -> list[str]:
    """' [1]', ' [2]', ... after the labels of measures with a footnote, numbered in table order."""
    marks, n = [], 0
    for note in table["footnote"]:
        if note:
            n += 1
            marks.append(f" [{n}]")
        else:
            marks.append("")
    return marks


def footnotes(table: pd.DataFrame) -> list[str]:
    """The footnotes of the headline table, numbered as ``display_table`` marks them."""
    notes = [n for n in table["footnote"] if n]
    return [f"[{i}] {n[0].upper()}{n[1:]}." for i, n in enumerate(notes, start=1)]


def _as_shown(value: float, kind: str) -> float:
    return fmt.as_shown(value, kind)


def _target_clause(row: pd.Series) -> str:
    if pd.isna(row["target"]) or pd.isna(row["this_quarter"]):
        return ""
    if row["higher_is_better"] is None:  # a planning figure, not a direction: say where it stands
        this, target = _as_shown(row["this_quarter"], row["kind"]), _as_shown(row["target"], row["kind"])
        rel = "above" if this > target else "below" if this < target else "at"
        return (
            f" It is {rel} the local planning figure of {fmt_value(row['target'], row['kind'], row['unit'])}."
        )
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
    of = fmt.of(row.get("this_numerator"), row.get("this_denominator"))
    text = f"{label}: {this} this quarter{' ' + of if of else ''}"
    d = row["direction"]
    prev = fmt_value(row["last_quarter"], row["kind"], row["unit"])
    if d == "no change":
        text += f", about the same as last quarter ({prev})."
    elif d in {"improving", "worsening"}:
        verb = "up" if row["this_quarter"] > row["last_quarter"] else "down"
        supported = str(row["signal"]) == (
            "special cause improvement" if d == "improving" else "special cause concern"
        )
        word = (" (an improvement)" if d == "improving" else " (a deterioration)") if supported else ""
        text += f", {verb} from {prev} last quarter{word}."
    elif d in {"up", "down"}:
        text += f", {d} from {prev} last quarter."
    else:
        text += "."
    signal = str(row["signal"])
    months = str(row.get("signal_months") or "")
    where = f" in {months}" if months else " in at least one month of this quarter"
    baseline = str(row.get("signal_baseline") or "")
    if baseline and baseline != "nan":  # the level judged against is the baseline's, not last quarter's
        where += f", judged against its baseline ({baseline})"
    if d == "improving" and signal == "special cause concern":
        text += (
            f" Even so, the monthly control chart still shows special-cause concern{where}: worse than normal"
            " variation would explain."
        )
    elif d == "worsening" and signal == "special cause improvement":
        text += (
            f" Even so, the monthly control chart still shows special-cause improvement{where}: better than"
            " normal variation would explain."
        )
    elif signal == "special cause improvement":
        text += f" The monthly control chart shows special-cause improvement{where}: better than normal variation would explain."
    elif signal == "special cause concern":
        text += f" The monthly control chart shows special-cause concern{where}: worse than normal variation would explain."
    elif signal == "special cause variation":
        text += (
            f" The monthly control chart shows special-cause variation{where}: a difference from the usual level"
            " by more than noise, in no clear direction."
        )
    elif signal == "common cause variation" and d not in {"no change", "not known"}:
        text += (
            " The change is within normal month-to-month variation (noise), so it is not evidence of a real"
            " change: no clear change."
        )
    return text + _target_clause(row) + _england_clause(row)


def shortfall(table: pd.DataFrame) -> pd.Series:
    """How far each measure is from its target on the side that misses it, relative to the target
    (0 where it meets the target or has none): 0.30 re-referrals against 0.22 -> 0.36."""
    this, target = table["this_quarter"].astype(float), table["target"].astype(float)
    lower_better = table["higher_is_better"].map(lambda v: v is False)
    gap = np.where(lower_better, this - target, target - this) / target.abs().where(target != 0)
    return pd.Series(np.nan_to_num(np.clip(gap, 0, None), nan=0.0), index=table.index)


def key_messages(table: pd.DataFrame, max_messages: int = 8) -> list[str]:
    """Between one and ``max_messages`` sentences from the headline table, most important first
    (``RANKING_RULE``)."""
    if table.empty:
        return [
            "No headline measures are available yet: the chapters for this extract have not been computed."
        ]
    t = table.reset_index(drop=True).copy()
    gap = shortfall(t)
    worse = (t["direction"] == "worsening").to_numpy()
    judged = t["signal"].isin(["special cause concern", "special cause improvement"]).to_numpy()
    neutral = (t["signal"] == "special cause variation").to_numpy()
    t["_tier"] = np.select([judged, worse | (gap > 0).to_numpy(), neutral], [0, 1, 2], default=3)
    t["_tier"] += np.where(t["this_quarter"].isna(), 10, 0)
    t["_gap"] = -gap
    t["_worse"] = np.where(worse, 0, 1)
    t = t.sort_values(["_tier", "_gap", "_worse"], kind="stable").head(max_messages)
    return [message(r) for _, r in t.iterrows()]


def other_misses(table: pd.DataFrame, max_messages: int = 8) -> str:
    """The measures missing their target that the key messages leave out (they stop at ``max_messages``)."""
    if len(table) <= max_messages:
        return ""
    shown = set(key_messages(table, max_messages))
    gap = shortfall(table)
    rest = [r for i, r in table.iterrows() if gap[i] > 0 and message(r) not in shown]
    if not rest:
        return f"The key messages are the {max_messages} most important of {len(table)} headline measures."
    names = "; ".join(f"{r['label']} ({fmt_value(r['this_quarter'], r['kind'], r['unit'])} against "
                      f"{fmt_value(r['target'], r['kind'], r['unit'])})" for r in rest)  # fmt: skip
    return (
        f"The key messages are the {max_messages} most important of {len(table)} headline measures. Also "
        f"missing their targets: {names}."
    )


def commentary_path(params: Any) -> Path | None:
    """The analyst commentary: the ``commentary`` parameter, or params/commentary/<quarter>.md."""
    if getattr(params, "commentary", None):
        return Path(params.commentary)
    default = Path(params.project_root) / "params" / "commentary" / f"{params.quarter}.md"
    return default if default.is_file() else None


def build(ctx: Context, results: MeasureResults) -> Chapter:
    """The executive summary: headline table (with footnotes), key messages, commentary."""
    p = ctx.params
    history = read_history(p.history_file, p.authority)
    table = headline_table(results, history)
    messages = key_messages(table)
    shown = display_table(table)
    shown.attrs["caption"] = f"Headline measures, {p.quarter_title}"
    notes = [false_alarm_note(table)] + footnotes(table) + [f"- {n}" for n in unavailable_notes(results)]
    path = commentary_path(p)
    commentary = (
        path.read_text(encoding="utf-8")
        if path is not None
        else f"No analyst commentary has been written for this quarter (add `params/commentary/{p.quarter}.md`)."
    )
    return Chapter(
        text={"sum_quarter": p.quarter_title, "sum_authority": p.authority, "sum_n_measures": str(len(table))},
        markdown={"sum_ranking_rule": RANKING_RULE, "sum_other_misses": other_misses(table),
                  "sum_key_messages": "\n".join(f"- {m}" for m in messages),
                  "sum_notes": "\n\n".join(notes) if notes else "All headline measures are available in this extract.",
                  "sum_commentary": commentary},
        shown={"sum_headline_table": shown},
        saved={"summary_headline_measures": table.drop(columns=["higher_is_better"]),
               "summary_key_messages": pd.DataFrame({"message": messages})},
    )  # fmt: skip
