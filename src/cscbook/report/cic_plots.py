"""Children-in-care figures: flows, who and where over time, time in care, forecasts, service changes.

Each function returns a matplotlib figure (Okabe-Ito colours from ``outputs.PALETTE``); the
notebook saves and glues it. matplotlib is imported when a figure is drawn, not on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cscbook.report.cic_chapter import Chapter

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from cscbook.methods.its import ITSResult


def plot_flows(ch: Chapter) -> Figure:
    """Two panels: month-end number in care (with England and neighbours' rates as numbers) and starts/ceases."""
    import matplotlib.pyplot as plt

    from cscbook.report.outputs import PALETTE

    f = ch.flows
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 6.2), sharex=True)
    a1.plot(f["month"], f["in_care"], color=PALETTE[0], lw=2, label="Children in care (month end)")
    for (area, style), colour in zip((("England", "--"), ("Statistical neighbours (median)", "-.")),
                                     (PALETTE[7], PALETTE[4]), strict=True):  # fmt: skip
        rate = ch.benchmarks.set_index("area").loc[area, "rate_per_10k"]
        if rate is not None and not pd.isna(rate):
            a1.axhline(rate * ch.population / 10_000, ls=style, color=colour, lw=1,
                       label=f"{area} rate ({rate:.0f} per 10,000) for our population")  # fmt: skip
    a1.set_ylabel("Children")
    a1.set_title("Children in care")
    a1.legend(fontsize=8, loc="lower left")
    roll_s = f["starts"].rolling(12, min_periods=12).mean()
    roll_c = f["ceases"].rolling(12, min_periods=12).mean()
    a2.plot(f["month"], f["starts"], color=PALETTE[1], lw=0.8, alpha=0.6)
    a2.plot(f["month"], f["ceases"], color=PALETTE[2], lw=0.8, alpha=0.6)
    a2.plot(f["month"], roll_s, color=PALETTE[1], lw=2.2, label="Starts (12-month average)")
    a2.plot(f["month"], roll_c, color=PALETTE[2], lw=2.2, label="Ceases (12-month average)")
    a2.set_ylabel("Children a month")
    a2.set_title("Starting and leaving care")
    a2.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_over_time(ch: Chapter, characteristic: str) -> Figure:
    """Stacked percentages of one characteristic at each 31 March and the period end."""
    import matplotlib.pyplot as plt

    from cscbook.report.outputs import PALETTE

    d = ch.who_over_time.loc[ch.who_over_time["characteristic"] == characteristic]
    wide = d.pivot_table(index="date", columns="category", values="percent", aggfunc="first", sort=False)
    wide = wide.fillna(0)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    bottom = np.zeros(len(wide))
    labels = [f"{x:%b}\n{x:%Y}" for x in wide.index]  # two lines: no crowding beside the legend
    for i, col in enumerate(wide.columns):
        ax.bar(
            labels, wide[col].to_numpy(dtype=float), bottom=bottom, color=PALETTE[i % len(PALETTE)], label=col
        )
        bottom += wide[col].to_numpy(dtype=float)
    ax.set_ylabel("% of children in care")
    ax.set_ylim(0, 100)
    ax.set_title(characteristic)
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    return fig


def plot_km(ch: Chapter) -> Figure:
    """Kaplan-Meier curves of time in care by year of entry."""
    import matplotlib.pyplot as plt

    from cscbook.report.outputs import PALETTE

    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, (year, c) in enumerate(ch.km_curves.items()):
        ax.step(
            c["months"], 100 * c["still_in_care"], where="post", color=PALETTE[i % len(PALETTE)], label=year
        )
    ax.set_xlabel("Months since coming into care")
    ax.set_ylabel("% still in care")
    ax.set_ylim(0, 101)
    ax.set_xlim(0, 48)
    ax.set_title("How long children stay in care, by year they came in")
    ax.legend(title="Came into care", fontsize=8)
    fig.tight_layout()
    return fig


def plot_forecasts(ch: Chapter) -> Figure:
    """History (last 36 months) and 12-month forecast with 80% and 95% intervals, for stock and starts."""
    import matplotlib.pyplot as plt

    from cscbook.report.outputs import PALETTE

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, (key, title) in zip(axes, (("in_care", "Children in care (month end)"),
                                       ("starts", "Children starting care a month")), strict=True):  # fmt: skip
        hist = ch.flows.iloc[-36:]
        ax.plot(hist["month"], hist[key], color=PALETTE[0], lw=1.6, label="Actual")
        r = ch.forecasts[key]
        if r.chosen is not None:
            fc = r.forecast
            ax.fill_between(
                fc["month"], fc["lo95"], fc["hi95"], color=PALETTE[5], alpha=0.25, label="95% interval"
            )
            ax.fill_between(
                fc["month"], fc["lo80"], fc["hi80"], color=PALETTE[5], alpha=0.45, label="80% interval"
            )
            ax.plot(fc["month"], fc["mean"], color=PALETTE[3], lw=1.6, ls="--", label="Forecast")
        ax.set_title(title, fontsize=11)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    axes[0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot_its(r: ITSResult, what: str = "Children starting care a month") -> Figure:
    """Observed monthly counts, the fitted model and the counterfactual without the intervention."""
    import matplotlib.pyplot as plt

    from cscbook.report.outputs import PALETTE

    s = r.series
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(s["month"], s["observed"], "o", ms=3, color=PALETTE[7], alpha=0.6, label="Observed")
    ax.plot(s["month"], s["fitted"], color=PALETTE[0], lw=2, label="Model")
    ax.plot(
        s["month"], s["counterfactual"], color=PALETTE[1], lw=2, ls="--", label="Expected without the change"
    )
    ax.axvline(r.date, color=PALETTE[3], lw=1)
    ax.set_ylabel(what)
    ax.set_title(f"{r.name.replace('_', ' ').capitalize()} ({r.date:%B %Y})")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_placebo(r: ITSResult) -> Figure:
    """Step (rate ratio, 95% interval) at each placebo date (data cut before the real date) and at the
    real date; a dotted line at 1 (no change)."""
    import matplotlib.pyplot as plt

    from cscbook.report.outputs import PALETTE

    p = r.placebo
    fig, ax = plt.subplots(figsize=(8, 3.6))
    if not p.empty:
        err = [p["rate_ratio"] - p["ci_low"], p["ci_high"] - p["rate_ratio"]]
        ax.errorbar(p["date"], p["rate_ratio"], yerr=err, fmt="o", ms=3, color=PALETTE[7], lw=1,
                    label="Placebo dates (no change planned)")  # fmt: skip
    if r.fitted:
        ax.errorbar([r.date], [r.rate_ratio], yerr=[[r.rate_ratio - r.ci_low], [r.ci_high - r.rate_ratio]], fmt="s",
                    ms=5, color=PALETTE[3], lw=1.5, label=f"The real date ({r.date:%b %Y})")  # fmt: skip
    ax.axhline(1, color="0.4", lw=1, ls=":")
    ax.set_ylabel("First-month step (rate ratio)")
    ax.set_title(f"{r.name.replace('_', ' ').capitalize()}: the same test at earlier dates")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
