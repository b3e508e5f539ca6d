"""The caseloads chapter in words, a table and a figure for readers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook.data.context import Context
from cscbook.measures.caseloads import TOTAL, caseloads, children_with_several_workers, open_cases
from cscbook.measures.compute import MeasureResults
from cscbook.report import format as fmt
from cscbook.report.chapter import Chapter, Figure
from cscbook.report.outputs import NEUTRAL, PALETTE, use_style


def key_message(table: pd.DataFrame, on_date, several: int) -> str:
    """Plain-English summary of the caseload table on ``on_date`` (``several``: children with 2+ workers)."""
    on_date = pd.Timestamp(on_date)
    total = table[table["team"] == TOTAL].iloc[0]
    if total["workers"] == 0:
        return f"No open case in this extract has an allocated worker on {on_date:%-d %B %Y}."
    teams = table[(table["team"] != TOTAL) & (table["workers"] > 0) & table["mean"].notna()].sort_values("mean", kind="stable")
    text = (
        f"On {on_date:%-d %B %Y}, {total['workers']:,} workers held open cases for {total['children']:,} children: "
        f"an average of {total['mean']:.1f} children per worker (range {total['min']} to {total['max']})."
    )
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


def plot_caseloads(table: pd.DataFrame, title: str = "Average caseload per worker in each team"):
    """Horizontal bars: each team's mean caseload with its min-max range; dashed line: all teams."""
    teams = table[(table["team"] != TOTAL) & (table["workers"] > 0)].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(teams), 2) + 1.6))
    if teams.empty:
        ax.axis("off")
        ax.set_title(title)
        ax.text(0.5, 0.5, "No allocated workers in this extract.", ha="center", va="center", transform=ax.transAxes)
        plt.close(fig)
        return fig
    y = np.arange(len(teams))
    mean = teams["mean"].to_numpy(float)
    err = np.vstack([mean - teams["min"].to_numpy(float), teams["max"].to_numpy(float) - mean])
    ax.barh(y, mean, color=PALETTE[0], height=0.6, label="average caseload")
    ax.errorbar(mean, y, xerr=err, fmt="none", ecolor=PALETTE[7], capsize=4, linewidth=1.2,
                label="lowest to highest caseload")  # fmt: skip
    overall = table.loc[table["team"] == TOTAL, "mean"].iloc[0]
    ax.axvline(overall, color=NEUTRAL, linestyle="--", linewidth=1.2, label=f"all teams ({overall:.1f})")
    ax.set_yticks(y, teams["team"])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("children per worker")
    ax.set_xlim(left=0)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)
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
    shown = display_table(table)
    shown.attrs["caption"] = f"Caseloads by team on {fmt.date(p.period_end)}"
    return Chapter(
        text={"cl_quarter": p.quarter_title, "cl_authority": p.authority, "cl_date": fmt.date(p.period_end)},
        markdown={"cl_message": message},
        shown={"cl_table": shown},
        figures={"cl_figure": Figure(plot_caseloads(table), "caseloads_by_team")},
        saved={"caseloads_by_team": table},
    )
