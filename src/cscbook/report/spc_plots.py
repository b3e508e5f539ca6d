"""Drawing statistical process control charts (``cscbook.methods.spc``) for readers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.report.outputs import CONCERN, IMPROVEMENT, NEUTRAL, PALETTE


def point_colours(chart: pd.DataFrame, higher_is_better: bool | None) -> list[str]:
    """NHS icon colour of each point: improvement blue, concern orange, otherwise grey."""
    colours = []
    for special, d in zip(chart["special_cause"], chart["direction"], strict=True):
        if not special or d == 0:
            colours.append(NEUTRAL)
        elif higher_is_better is None:
            colours.append(PALETTE[4])  # purple: special cause, neither better nor worse
        else:
            good = d > 0 if higher_is_better else d < 0
            colours.append(IMPROVEMENT if good else CONCERN)
    return colours


def plot_spc(
    chart: pd.DataFrame,
    title: str,
    ylabel: str,
    target: float | None = None,
    ax=None,
    higher_is_better: bool | None = None,
    percent: bool = False,
):
    """Draw an SPC chart (line, centre, limits, coloured special-cause points); return the figure.

    Points are coloured with the NHS icon colours from ``outputs``: improvement blue,
    concern orange, common cause grey (purple when neither direction is better). Proportions
    are shown as percentages when ``percent`` is true.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if ax is None:
        fig, ax = plt.subplots()
    else:
        fig = ax.figure
    scale = 100.0 if percent else 1.0
    x = chart.index
    ax.plot(x, chart["value"] * scale, color=NEUTRAL, linewidth=1.2, zorder=2)
    colours = point_colours(chart, higher_is_better)
    ax.scatter(x, chart["value"] * scale, c=colours, s=28, zorder=3, edgecolors="none")
    for seg in np.unique(chart["segment"]):
        part = chart[chart["segment"] == seg]
        ax.plot(part.index, part["centre"] * scale, color="black", linewidth=1, zorder=1)
        ax.plot(part.index, part["lcl"] * scale, color="black", linewidth=0.8, linestyle="--", zorder=1)
        ax.plot(part.index, part["ucl"] * scale, color="black", linewidth=0.8, linestyle="--", zorder=1)
    handles = [
        Line2D([], [], color="black", linewidth=1, label="average"),
        Line2D([], [], color="black", linewidth=0.8, linestyle="--", label="control limits"),
    ]
    if target is not None:
        ax.axhline(target * scale, color="#D55E00", linewidth=1.2, linestyle=":", zorder=1)
        handles.append(Line2D([], [], color="#D55E00", linestyle=":", label="target"))
    shown = set(colours)
    if IMPROVEMENT in shown:
        handles.append(Line2D([], [], marker="o", linestyle="", color=IMPROVEMENT, label="improvement"))
    if CONCERN in shown:
        handles.append(Line2D([], [], marker="o", linestyle="", color=CONCERN, label="concern"))
    if PALETTE[4] in shown:
        handles.append(Line2D([], [], marker="o", linestyle="", color=PALETTE[4], label="unusual (special cause)"))
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if percent:
        low, high = ax.get_ylim()
        ax.set_ylim(max(0.0, low), min(101.0, high))
    ax.legend(handles=handles, loc="best", fontsize=9, frameon=False)
    fig.autofmt_xdate()
    return fig
