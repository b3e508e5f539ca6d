"""Front-door figures for a non-technical reader: plain titles, labelled axes, colour-blind-safe colours.

Every function returns a matplotlib Figure (closed from pyplot's registry, so a notebook shows
it only where it is glued). A figure with no data says so in words instead of failing.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook.methods import spc
from cscbook.report import spc_plots
from cscbook.report.outputs import NEUTRAL, PALETTE


def _done(fig):
    plt.close(fig)
    return fig


def empty_figure(title: str, message: str):
    """A small figure that states why there is nothing to show."""
    fig, ax = plt.subplots(figsize=(8, 1.6))
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.5, 0.4, message, ha="center", va="center", fontsize=11, color="#333333", transform=ax.transAxes)
    return _done(fig)


def measure_figure(spec, chart, target: float | None = None):
    """Control chart of a front-door measure (``front_door.MeasureSpec``), or an empty figure.

    ``chart`` is a judged chart (``spc.ChartResult`` from ``fd_trends.measure_charts``: the
    baseline and the period judged shaded, seasonal adjustment stated under the axes) or a
    plain chart frame (``spc.xmr`` / ``spc.p_chart``).
    """
    percent = spec.kind == "proportion"
    frame = getattr(chart, "frame", chart)
    if frame is None or frame["value"].notna().sum() == 0:
        return empty_figure(spec.title, "Not available in this extract.")
    if isinstance(chart, spc.ChartResult):
        fig = spc_plots.plot_chart(
            chart,
            spec.title,
            spec.ylabel,
            target=target,
            higher_is_better=spec.higher_is_better,
            percent=percent,
        )
    else:
        fig = spc_plots.plot_spc(
            chart,
            spec.title,
            spec.ylabel,
            target=target,
            higher_is_better=spec.higher_is_better,
            percent=percent,
        )
    fig.axes[0].set_xlabel("month")
    if not percent:
        fig.axes[0].set_ylim(bottom=0)
    return _done(fig)


def stl_figure(
    decomposition: pd.DataFrame | None, title: str = "Contacts: underlying trend and seasonal pattern"
):
    """Observed monthly contacts with the STL trend, and the seasonal pattern beneath."""
    if decomposition is None:
        return empty_figure(
            title, "At least 36 months of contacts are needed to separate the seasonal pattern."
        )
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.2), sharex=True, height_ratios=[2, 1])
    top.plot(
        decomposition["month"],
        decomposition["observed"],
        color=NEUTRAL,
        linewidth=1,
        label="contacts each month",
    )
    top.plot(
        decomposition["month"],
        decomposition["trend"],
        color=PALETTE[0],
        linewidth=2.2,
        label="underlying trend",
    )
    top.set_ylabel("contacts per month")
    top.set_ylim(bottom=0)
    top.legend(frameon=False, fontsize=9)
    top.set_title(title)
    bottom.bar(decomposition["month"], decomposition["seasonal"], width=20, color=PALETTE[5])
    bottom.axhline(0, color="black", linewidth=0.8)
    bottom.set_ylabel("seasonal effect\n(contacts)")
    bottom.set_xlabel("month")
    fig.autofmt_xdate()
    return _done(fig)


def working_days_histogram(days: pd.Series, limit: int, title: str, xlabel: str, what: str):
    """Histogram of working days with the statutory limit marked; bars beyond the limit in orange."""
    days = pd.to_numeric(pd.Series(days), errors="coerce").dropna().astype(int)
    if days.empty:
        return empty_figure(title, f"No {what} in this period.")
    fig, ax = plt.subplots()
    top = int(max(days.quantile(0.99), limit + 10))
    clipped = days.clip(upper=top)
    width = 5 if top > 40 else 1
    # bin edges fall half a day after the limit, so a bar is wholly in time or wholly late
    first = (limit + 0.5) - width * np.ceil((limit + 0.5) / width)
    bins = np.arange(first, top + width + 1, width)
    counts, edges = np.histogram(clipped, bins=bins)
    colours = [PALETTE[0] if right <= limit + 0.5 else PALETTE[1] for right in edges[1:]]
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=colours, edgecolor="white")
    ax.axvline(limit + 0.5, color="black", linestyle="--", linewidth=1.2)
    ax.text(limit, ax.get_ylim()[1] * 0.95, f" {limit} working days", va="top", fontsize=10)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"number of {what}")
    return _done(fig)


def funnel_figure(table: pd.DataFrame, title: str):
    """Horizontal bars of the funnel stage counts, largest at the top."""
    table = table.assign(count=table["count"].fillna(0))
    if table["count"].sum() == 0:
        return empty_figure(title, "No front-door activity in this period.")
    fig, ax = plt.subplots(figsize=(8, 3.6))
    stages = table["stage"].tolist()[::-1]
    counts = table["count"].to_numpy()[::-1]
    ax.barh(stages, counts, color=PALETTE[0])
    for y, c in enumerate(counts):
        ax.text(c, y, f" {c:,.0f}", va="center", fontsize=10)
    ax.set_xlabel("number in the period")
    ax.set_xlim(0, max(counts.max() * 1.15, 1))
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return _done(fig)
