"""The caseloads chapter in words, a table and a figure for readers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook.data.context import Context
from cscbook.data.reference import benchmark
from cscbook.measures.caseloads import (
    ENGLAND_KEY,
    MIN_WORKERS,
    MIN_WORKERS_FOR_RANGE,
    TOTAL,
    caseloads,
    children_with_several_workers,
    open_cases,
)
from cscbook.measures.compute import MeasureResults
from cscbook.report import format as fmt
from cscbook.report.chapter import Chapter, Figure
from cscbook.report.outputs import NEUTRAL, PALETTE, use_style


def england_caseload(on_date) -> float | None:
    """England's published average caseload for comparison (DfE workforce statistics), or None."""
    return benchmark(ENGLAND_KEY, pd.Timestamp(on_date))


def key_message(table: pd.DataFrame, on_date, several: int) -> str:
    """Plain-English summary of the caseload table on ``on_date`` (``several``: children with 2+ workers)."""
    on_date = pd.Timestamp(on_date)
    total = table[table["team"] == TOTAL].iloc[0]
    if total["workers"] == 0:
        return f"No open case in this extract has an allocated worker on {on_date:%-d %B %Y}."
    if total["workers"] < MIN_WORKERS or pd.isna(total["mean"]):
        return (f"Fewer than {MIN_WORKERS} workers held open cases on {on_date:%-d %B %Y}; their caseloads are not "
                "shown so that no one's caseload can be identified.")  # fmt: skip
    teams = table[(table["team"] != TOTAL) & (table["workers"] > 0) & table["mean"].notna()].sort_values(
        "mean", kind="stable"
    )
    spread = "" if pd.isna(total["min"]) else f" (range {total['min']} to {total['max']})"
    text = (
        f"On {on_date:%-d %B %Y}, {total['workers']:,} workers held open cases for {total['children']:,} children: "
        f"an average of {total['mean']:.1f} children per worker{spread}."
    )
    england = england_caseload(on_date)
    if england is not None:
        text += (f" England's average was {england:.1f} cases per case-holding social worker (DfE workforce "
                 "statistics, latest 30 September; cases per full-time equivalent, so close to but not the same "
                 "measure).")  # fmt: skip
    if len(teams) > 1:
        hi, lo = teams.iloc[-1], teams.iloc[0]
        text += (f" The highest team average was {hi['team']} ({hi['mean']:.1f}) and the lowest "
                 f"{lo['team']} ({lo['mean']:.1f}).")  # fmt: skip
    if several:
        who = "1 child was" if several == 1 else f"{several:,} children were"
        text += f" {who} allocated to more than one worker and counted in each worker's caseload."
    if total["unallocated"]:
        n = total["unallocated"]
        who = "1 child" if n == 1 else f"{n:,} children"
        text += f" {who} with an open case had no allocated worker."
    return text


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The per-team table for readers: average to one decimal, range as 'min-max'."""
    rng = [("" if pd.isna(lo) else f"{lo}-{hi}") for lo, hi in zip(table["min"], table["max"], strict=True)]
    return pd.DataFrame({
        "Team": table["team"],
        "Workers": table["workers"],
        "Children": table["children"],
        "Average caseload": table["mean"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}"),
        "Middle (median)": table["median"].map(lambda v: "" if pd.isna(v) else f"{v:g}"),
        "Range": rng,
        "Unallocated children": table["unallocated"],
    })  # fmt: skip


def alt_text(table: pd.DataFrame, england: float | None = None) -> str:
    """The caseload chart's message for a screen reader, from the numbers shown in it."""
    shown = table[(table["team"] != TOTAL) & table["mean"].notna()].sort_values("mean", kind="stable")
    total = table.loc[table["team"] == TOTAL, "mean"].iloc[0]
    if shown.empty or pd.isna(total):
        return "Average caseload per worker: not shown (too few workers)."
    lo, hi = shown.iloc[0], shown.iloc[-1]
    text = (f"Average caseload per worker across all teams: {total:.1f} children. By team, from {lo['mean']:.1f} "
            f"({lo['team']}) to {hi['mean']:.1f} ({hi['team']}).")  # fmt: skip
    if england is not None:
        above = (shown["mean"] > england).sum()
        text += f" England: {england:.1f}; {above} of {len(shown)} teams are above it."
    return text


def table_note() -> str:
    """What the blanks in the caseload table mean (for under the table)."""
    return (f"The middle (median) and range are shown for teams of at least {MIN_WORKERS_FOR_RANGE} workers, and "
            f"teams of fewer than {MIN_WORKERS} workers are combined into *Other teams* (with the smallest other "
            "team when needed), so that no one worker's caseload can be read from the table or the chart.")  # fmt: skip


def plot_caseloads(table: pd.DataFrame, title: str = "Average caseload per worker in each team",
                   england: float | None = None):  # fmt: skip
    """Horizontal bars: each team's mean caseload with its min-max range where shown; dashed line:
    all teams; dotted line: England (when given). Rows with no average shown draw no bar."""
    teams = table[(table["team"] != TOTAL) & (table["workers"] > 0) & table["mean"].notna()].iloc[::-1]
    fig, ax = plt.subplots(figsize=(6.4, 0.5 * max(len(teams), 2) + 1.9))
    if teams.empty:
        ax.axis("off")
        ax.set_title(title)
        ax.text(
            0.5,
            0.5,
            "No allocated workers in this extract.",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        plt.close(fig)
        return fig
    y = np.arange(len(teams))
    mean = teams["mean"].to_numpy(float)
    ax.barh(y, mean, color=PALETTE[0], height=0.6, label="average caseload")
    ranged = teams["min"].notna().to_numpy()
    if ranged.any():
        lo = teams["min"].to_numpy(float, na_value=np.nan)[ranged]
        hi = teams["max"].to_numpy(float, na_value=np.nan)[ranged]
        ax.errorbar(mean[ranged], y[ranged], xerr=np.vstack([mean[ranged] - lo, hi - mean[ranged]]), fmt="none",
                    ecolor=PALETTE[7], capsize=4, linewidth=1.2, label="lowest to highest caseload")  # fmt: skip
    overall = table.loc[table["team"] == TOTAL, "mean"].iloc[0]
    if pd.notna(overall):
        ax.axvline(overall, color=NEUTRAL, linestyle="--", linewidth=1.4, label=f"all teams ({overall:.1f})")
    if england is not None:
        ax.axvline(england, color=PALETTE[3], linestyle=":", linewidth=1.8, label=f"England ({england:.1f})")
    ax.set_yticks(y, teams["team"])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("children per worker")
    ax.set_xlim(left=0)
    ax.set_title(title)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    plt.close(fig)
    return fig


def build(ctx: Context, results: MeasureResults) -> Chapter:
    """The caseloads chapter: open cases per worker by team at the period end, in words, a table and a figure."""
    use_style()
    p = ctx.params
    cases = open_cases(ctx.tables, p.period_end)
    table = caseloads(cases)
    reason = results.unavailable.get("average_caseload")
    message = (key_message(table, p.period_end, children_with_several_workers(cases)) if reason is None else
               f"**Caseloads cannot be counted: this extract {reason.reason}.** Add the Allocated Worker column to "
               "Annex A Lists 6 to 9 to complete this chapter.")  # fmt: skip
    england = england_caseload(p.period_end)
    shown = display_table(table)
    shown.attrs["caption"] = f"Caseloads by team on {fmt.date(p.period_end)}"
    return Chapter(
        text={"cl_quarter": p.quarter_title, "cl_authority": p.authority, "cl_date": fmt.date(p.period_end)},
        markdown={"cl_message": message},
        shown={"cl_table": shown},
        figures={
            "cl_figure": Figure(
                plot_caseloads(table, england=england), "caseloads_by_team", alt=alt_text(table, england)
            )
        },
        saved={"caseloads_by_team": table},
    )
