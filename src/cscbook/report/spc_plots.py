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


def _draw_limits(ax, frame: pd.DataFrame, scale: float, only_with_centre: bool) -> list:
    """Average (solid) and control limits (dashed) of each segment; their legend handles."""
    from matplotlib.lines import Line2D

    for seg in np.unique(frame["segment"]):
        part = frame[frame["segment"] == seg]
        if only_with_centre:
            part = part[part["centre"].notna()]
        ax.plot(part.index, part["centre"] * scale, color="black", linewidth=1, zorder=1)
        ax.plot(part.index, part["lcl"] * scale, color="black", linewidth=0.8, linestyle="--", zorder=1)
        ax.plot(part.index, part["ucl"] * scale, color="black", linewidth=0.8, linestyle="--", zorder=1)
    return [
        Line2D([], [], color="black", linewidth=1, label="average"),
        Line2D([], [], color="black", linewidth=0.8, linestyle="--", label="control limits"),
    ]


def _target_and_points(ax, target: float | None, scale: float, colours: list[str]) -> list:
    """The target line, if any, and legend handles for the point colours shown."""
    from matplotlib.lines import Line2D

    handles = []
    if target is not None:
        ax.axhline(target * scale, color="#D55E00", linewidth=1.2, linestyle=":", zorder=1)
        handles.append(Line2D([], [], color="#D55E00", linestyle=":", label="target"))
    shown = set(colours)
    for colour, label in (
        (IMPROVEMENT, "improvement"),
        (CONCERN, "concern"),
        (PALETTE[4], "unusual (special cause)"),
    ):
        if colour in shown:
            handles.append(Line2D([], [], marker="o", linestyle="", color=colour, label=label))
    return handles


def _percent_axis(ax) -> None:
    """Keep a percentage axis within 0 to 101."""
    low, high = ax.get_ylim()
    ax.set_ylim(max(0.0, low), min(101.0, high))


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

    if ax is None:
        fig, ax = plt.subplots()
    else:
        fig = ax.figure
    scale = 100.0 if percent else 1.0
    x = chart.index
    ax.plot(x, chart["value"] * scale, color=NEUTRAL, linewidth=1.2, zorder=2)
    colours = point_colours(chart, higher_is_better)
    ax.scatter(x, chart["value"] * scale, c=colours, s=28, zorder=3, edgecolors="none")
    handles = _draw_limits(ax, chart, scale, only_with_centre=False)
    handles += _target_and_points(ax, target, scale, colours)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if percent:
        _percent_axis(ax)
    ax.legend(handles=handles, loc="best", fontsize=9, frameon=False)
    fig.autofmt_xdate()
    return fig


def chart_caption(result) -> str:
    """One line under a judged chart: how the limits were set and how often it would flag by chance."""
    if result.chart_type == "stock":
        n = int(result.frame["trend_line"].notna().sum())
        return f"A stock: shown with its trend line (last {n} months), not judged with control limits."
    if result.baseline_start is None:
        return f"No control limits: {result.note}."
    parts = [f"Limits from {result.baseline_start:%b %Y} to {result.baseline_end:%b %Y} (shaded)"]
    if result.change_dates:
        parts.append("recalculated at " + ", ".join(f"{d:%b %Y}" for d in result.change_dates))
    parts.append("seasonally adjusted" if result.seasonal == "adjusted" else "not seasonally adjusted")
    if result.chart_type == "laney_p":
        parts.append(f"Laney p' (spread {result.dispersion:.1f}x chance)")
    if not np.isnan(result.false_alarm_rate):
        parts.append(f"false-alarm rate {result.false_alarm_rate:.0%} a quarter")
    return "; ".join(parts) + "."


def plot_chart(
    result,
    title: str,
    ylabel: str,
    target: float | None = None,
    ax=None,
    higher_is_better: bool | None = None,
    percent: bool = False,
):
    """Draw a judged chart (``cscbook.methods.spc.ChartResult``); return the figure.

    The baseline months are shaded grey and the period judged yellow; change dates are dotted
    vertical lines. A seasonally adjusted chart plots the adjusted values (what the rules
    judge) with the values as recorded as a thin line, and says so in the y label. A stock
    is drawn with its trend line and no limits. The caption (``chart_caption``: baseline, seasonal
    adjustment, false-alarm rate) goes in the text under the figure, where it reflows on a phone; it is written
    under the axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.6))
    else:
        fig = ax.figure
    f = result.frame
    scale = 100.0 if percent else 1.0
    half = pd.Timedelta(days=15)
    handles = []
    if f["baseline"].any():
        b = f.index[f["baseline"]]
        ax.axvspan(b[0] - half, b[-1] + half, color="#DDDDDD", alpha=0.5, zorder=0)
        handles.append(Patch(color="#DDDDDD", label="baseline (limits from these months)"))
    j = f.index[f["judged"]]
    if len(j):
        ax.axvspan(j[0] - half, j[-1] + half, color=PALETTE[6], alpha=0.25, zorder=0)
        handles.append(Patch(color=PALETTE[6], alpha=0.4, label="period judged"))
    for d in result.change_dates:
        ax.axvline(d, color="black", linestyle=":", linewidth=1)
    adjusted = result.seasonal == "adjusted"
    if adjusted:
        ax.plot(f.index, f["observed"] * scale, color=NEUTRAL, linewidth=0.8, alpha=0.5, zorder=2)
        handles.append(Line2D([], [], color=NEUTRAL, linewidth=0.8, alpha=0.5, label="as recorded"))
    ax.plot(f.index, f["value"] * scale, color=NEUTRAL, linewidth=1.2, zorder=2)
    if result.chart_type == "stock":
        ax.scatter(f.index, f["value"] * scale, c=NEUTRAL, s=20, zorder=3, edgecolors="none")
        ax.plot(f.index, f["trend_line"] * scale, color=PALETTE[0], linewidth=2, zorder=3)
        n = int(f["trend_line"].notna().sum())
        handles.append(Line2D([], [], color=PALETTE[0], linewidth=2, label=f"trend (last {n} months)"))
        colours = [NEUTRAL]
    else:
        colours = point_colours(f, higher_is_better)
        ax.scatter(f.index, f["value"] * scale, c=colours, s=24, zorder=3, edgecolors="none")
        handles += _draw_limits(ax, f, scale, only_with_centre=True)
    handles += _target_and_points(ax, target, scale, colours)
    ax.set_title(title)
    ax.set_ylabel(ylabel + (" (seasonally adjusted)" if adjusted else ""))
    if percent:
        _percent_axis(ax)
    ax.legend(handles=handles, loc="best", fontsize=8, frameon=False)
    fig.autofmt_xdate()
    return fig
