"""Figures of the re-referrals chapter: the monthly rate chart, the forest plot of odds ratios,
calibration and time to re-referral. Each function returns a matplotlib figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.measures.involvements import ENDED_LABELS, ENDED_LEVELS
from cscbook.measures.rr_design import term_label
from cscbook.report import spc_plots


def plot_rate_chart(chart, england: float | None, neighbours: float | None, target: float | None):
    """The monthly chart of the DfE re-referral rate with England and neighbour lines: the run's judged
    chart (``spc.ChartResult``, baseline before the quarter) or a whole-series p-chart frame."""
    from matplotlib.lines import Line2D

    from cscbook.report.outputs import PALETTE

    title = "Re-referrals within 12 months (DfE definition)"
    if isinstance(chart, pd.DataFrame):
        fig = spc_plots.plot_spc(
            chart, title, "% of referrals", target=target, higher_is_better=False, percent=True
        )
    else:
        fig = spc_plots.plot_chart(
            chart, title, "% of referrals", target=target, higher_is_better=False, percent=True
        )
    ax = fig.axes[0]
    handles = list(ax.get_legend().legend_handles) if ax.get_legend() else []

    for value, label, colour in (
        (england, "England", PALETTE[0]),
        (neighbours, "statistical neighbours", PALETTE[2]),
    ):
        if value is not None:
            ax.axhline(100 * value, color=colour, linewidth=1.2, linestyle="-.", zorder=1)
            handles.append(Line2D([], [], color=colour, linestyle="-.", label=label))
    ax.legend(handles=handles, loc="best", fontsize=9, frameon=False)
    return fig


def plot_forest(table: pd.DataFrame, ratio: str = "odds_ratio", title: str = "Odds ratios of re-referral"):
    """Forest plot: one row per term, point and 95% interval on a log scale, 1 marked."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from cscbook.report.outputs import NEUTRAL, PALETTE

    t = table.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(t) + 1.4))
    y = np.arange(len(t))
    sig = (t["ci_low"] > 1) | (t["ci_high"] < 1)
    colours = [
        PALETTE[3] if s and r > 1 else PALETTE[0] if s else NEUTRAL
        for s, r in zip(sig, t[ratio], strict=True)
    ]
    ax.hlines(y, t["ci_low"], t["ci_high"], color=colours, linewidth=2)
    ax.scatter(t[ratio], y, color=colours, zorder=3, s=25)
    ax.axvline(1, color="black", linewidth=0.8)
    ax.set_xscale("log")
    low, high = float(t["ci_low"].min()), float(t["ci_high"].max())
    ticks = [v for v in (0.125, 0.25, 0.5, 1, 2, 4, 8) if low / 1.5 <= v <= high * 1.5] or [1]
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, [term_label(x) for x in t["term"]], fontsize=9)
    ax.set_xlabel(f"{ratio.replace('_', ' ')} (log scale); right of 1: more re-referral")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    return fig


def plot_calibration(cal: pd.DataFrame):
    """Observed vs predicted share re-referred by decile of predicted risk, with the diagonal."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    top = float(max(cal["predicted"].max(), cal["observed"].max(), 0.01)) * 100 * 1.1
    ax.plot([0, top], [0, top], color="black", linewidth=0.8, linestyle="--", label="perfect calibration")
    ax.plot(100 * cal["predicted"], 100 * cal["observed"], marker="o", label="deciles of predicted risk")
    ax.set_xlabel("predicted re-referral within 12 months, %")
    ax.set_ylabel("observed, %")
    ax.set_title("Calibration of the model")
    ax.legend(frameon=False, fontsize=9)
    return fig


def plot_km(km: pd.DataFrame):
    """Kaplan-Meier curves shown as the cumulative share re-referred, by how involvements ended."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    groups = [g for g in ENDED_LEVELS if g in set(km["group"])] + sorted(set(km["group"]) - set(ENDED_LEVELS))
    for g in groups:
        d = km[km["group"] == g].sort_values("time")
        ax.step(d["time"], 100 * (1 - d["survival"]), where="post", label=ENDED_LABELS.get(g, g))
        ax.fill_between(d["time"], 100 * (1 - d["ci_high"]), 100 * (1 - d["ci_low"]), step="post", alpha=0.12)
    ax.set_xlim(0, 365)
    ax.set_xlabel("days since the involvement closed")
    ax.set_ylabel("% re-referred")
    ax.set_title("Time to re-referral, by how the involvement ended")
    ax.legend(frameon=False, fontsize=9)
    return fig
