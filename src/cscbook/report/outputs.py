"""Writing the book's tables and figures, with a privacy guard and a common plotting style.

Tables go to ``reports/<quarter>/tables/<name>.csv`` and figures to
``figures/<quarter>/<name>.png``. A table that still carries a personal column (child
identifier, date of birth, worker, postcode) is refused: outputs are aggregates only.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from cscbook.config.params import Params  # noqa: E402
from cscbook.data.annexa_spec import PERSONAL_COLUMNS  # noqa: E402


def _png_figures_in_jupyter() -> None:
    """In a Jupyter kernel, show figures (``display(fig)``, ``glue(name, fig)``) as PNG.

    ``matplotlib.use("Agg")`` above stops IPython activating its inline backend, which is
    what registers the PNG formatter for figures; without this, glued figures would carry
    only ``<Figure size ...>`` text and render as nothing in the book.
    """
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "kernel"):
        select_figure_formats(shell, {"png"}, bbox_inches="tight", metadata={"Software": None})
        from IPython.core.pylabtools import print_figure

        def png(fig: plt.Figure) -> bytes | None:
            return print_figure(legible(fig), "png", bbox_inches="tight", metadata={"Software": None})

        shell.display_formatter.formatters["image/png"].for_type(plt.Figure, png)


_png_figures_in_jupyter()


# Okabe-Ito colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
IMPROVEMENT = "#0072B2"  # blue: special-cause improvement (NHS Making Data Count)
CONCERN = "#E69F00"  # orange: special-cause concern
NEUTRAL = "#7F7F7F"  # grey: common cause


# Figures must be readable on a phone: a 390 px screen shows a figure about 358 px wide, so text
# of F points on a figure W inches wide appears at F * 358 / (72 * W) px. ``legible`` makes
# every text at least PHONE_MIN_PX there and moves legends out of the plotting area.
PHONE_WIDTH_PX = 358
PHONE_MIN_PX = 12
FIGURE_WIDTH_IN = 6.0
WRAP_TICK_LABELS = 28  # characters per line for long category labels (forest and bar charts)
TITLE_WRAP = 44  # characters per line in titles
LEGEND_WRAP = 40  # characters per line in legends


def use_style() -> None:
    """The book's plotting style: large readable text, light grid, colour-blind-safe colours."""
    plt.rcParams.update(
        {
            "figure.figsize": (FIGURE_WIDTH_IN, 3.8),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "font.size": 14,
            "axes.titlesize": 15,
            "axes.labelsize": 14,
            "xtick.labelsize": 13,
            "ytick.labelsize": 13,
            "legend.fontsize": 13,
            "legend.frameon": False,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "svg.hashsalt": "cscbook",
        }
    )


def min_font_pt(width_in: float) -> float:
    """Smallest font (points) that shows at ``PHONE_MIN_PX`` when a figure ``width_in`` inches wide
    is shown ``PHONE_WIDTH_PX`` pixels wide."""
    return PHONE_MIN_PX * 72 * width_in / PHONE_WIDTH_PX


def _figure_legend(fig: plt.Figure, font_pt: float = 12.0) -> None:
    """Replace the axes' legends by one legend under the whole figure, off the data.

    Entries are gathered from every axes in order (one per label); long labels are wrapped.
    Needs the constrained layout, which makes room for it below the axes and their labels.
    """
    import textwrap

    handles, labels, title = [], [], None
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        title = title or (legend.get_title().get_text() or None)
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=False):
            label = text.get_text()
            if label and label not in labels:
                handles.append(handle)
                labels.append(label)
        legend.remove()
    if not labels:
        return
    ncol = 2 if len(labels) > 2 else 1
    width = LEGEND_WRAP if ncol == 1 else LEGEND_WRAP // 2 + 4
    wrapped = [textwrap.fill(label, width) for label in labels]
    fig.legend(handles, wrapped, title=title, loc="outside lower center", ncol=ncol, frameon=False)
    # The legend takes its room from the figure, not from the data: make the figure that much taller.
    lines_per_row = [
        max(w.count("\n") + 1 for w in wrapped[i : i + ncol]) for i in range(0, len(wrapped), ncol)
    ]
    extra = (sum(lines_per_row) + (1 if title else 0)) * font_pt * 1.45 / 72 + 0.25
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, h + extra)


def _clash(labels: list, renderer) -> bool:
    boxes = [t.get_window_extent(renderer) for t in labels]
    return any(a.x1 > b.x0 for a, b in zip(boxes, boxes[1:], strict=False))


def _unclash_dates(fig: plt.Figure) -> None:
    """Rotate x tick labels that overlap each other (e.g. years at a large font); if they still
    overlap, show every second one."""
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        if _clash(labels, renderer):
            for t in labels:
                t.set_rotation(35)
                t.set_horizontalalignment("right")
        while len(labels) > 2 and _clash(labels, renderer):
            for t in labels[1::2]:
                t.set_visible(False)
            labels = labels[::2]


def _numeric(label: str) -> bool:
    """True for a tick label that is a number (including a minus sign, commas, % or a date year)."""
    return bool(label) and label.replace("\u2212", "-").replace(",", "").replace("%", "").replace(".", "", 1).lstrip(
        "-").isdigit()  # fmt: skip


def legible(fig: plt.Figure) -> plt.Figure:
    """Make a figure readable at phone width with no legend over the data; returns ``fig``.

    The figure is made at most ``FIGURE_WIDTH_IN`` wide (height in proportion), long category
    labels are wrapped, every text is raised to at least ``min_font_pt(FIGURE_WIDTH_IN)``
    (12 px at phone width), the legends become one legend under the figure and clashing date
    labels are rotated. Idempotent.
    """
    import textwrap

    if getattr(fig, "_cscbook_legible", False):
        return fig
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure(): give it an Agg canvas to measure text
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    w, h = fig.get_size_inches()
    if w > FIGURE_WIDTH_IN:
        fig.set_size_inches(FIGURE_WIDTH_IN, max(h * FIGURE_WIDTH_IN / w * 1.2, 2.8))
    floor = min_font_pt(FIGURE_WIDTH_IN + 0.45)  # saved with a tight box (0.1 in padding) a little wider
    extra = 0.0  # inches of height the category labels need beyond what the axes have
    for ax in fig.axes:
        title = ax.get_title()
        if len(title) > TITLE_WRAP:
            ax.set_title(textwrap.fill(title, TITLE_WRAP))
        if len(ax.get_xlabel()) > TITLE_WRAP:
            ax.set_xlabel(textwrap.fill(ax.get_xlabel(), TITLE_WRAP))
        labels = [t.get_text() for t in ax.get_yticklabels()]
        if any(len(t) > WRAP_TICK_LABELS for t in labels):
            labels = [textwrap.fill(t, WRAP_TICK_LABELS) for t in labels]
            ax.set_yticks(ax.get_yticks(), labels)
        if labels and not all(
            _numeric(t) for t in labels
        ):  # categories: one row per label, never overlapping
            lines = len(labels) * max(t.count("\n") + 1 for t in labels)  # rows are evenly spaced
            need = lines * floor / 72 * 1.4 + 0.3
            extra = max(extra, need - ax.get_position().height * fig.get_size_inches()[1])
    if extra > 0:
        fig.set_size_inches(fig.get_size_inches()[0], fig.get_size_inches()[1] + extra)
    has_colour_bar = any(hasattr(a, "_colorbar") for a in fig.axes)  # constrained layout can collapse them
    with contextlib.suppress(RuntimeError):  # a layout that cannot switch: keep it
        if not has_colour_bar:
            fig.set_layout_engine("constrained")
    _figure_legend(fig, floor)
    for text in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "set_fontsize")):
        if text.get_fontsize() < floor:
            text.set_fontsize(floor)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:  # a title or axis label running past the figure's edge: two lines
        for text in (ax.title, ax.xaxis.label):
            box = text.get_window_extent(renderer)
            if text.get_text() and "\n" not in text.get_text() and (box.x1 > fig.bbox.x1 or box.x0 < 0):
                text.set_text(textwrap.fill(text.get_text(), len(text.get_text()) // 2 + 4))
    fig.canvas.draw()
    for _ in range(
        4
    ):  # text sticking out of the figure (a long title) widens the saved image: narrow the figure
        drawn = fig.get_tightbbox(fig.canvas.get_renderer()).width
        if drawn <= FIGURE_WIDTH_IN * 1.04:
            break
        w, h = fig.get_size_inches()
        fig.set_size_inches(max(w - (drawn - FIGURE_WIDTH_IN), FIGURE_WIDTH_IN * 0.8), h)
        fig.canvas.draw()
    _unclash_dates(fig)
    fig._cscbook_legible = True  # noqa: SLF001
    return fig


def check_no_personal_columns(df: pd.DataFrame, name: str) -> None:
    bad = [c for c in df.columns if str(c) in PERSONAL_COLUMNS]
    if bad:
        raise ValueError(f"table {name} has personal columns {bad}; outputs must be aggregates")


def save_table(df: pd.DataFrame, params: Params, name: str) -> Path:
    """Write an aggregate table as CSV (deterministic: fixed float format, no index)."""
    check_no_personal_columns(df, name)
    params.tables_dir.mkdir(parents=True, exist_ok=True)
    path = params.tables_dir / f"{name}.csv"
    df.to_csv(path, index=False, float_format="%.6g", date_format="%Y-%m-%d")
    return path


def save_figure(
    fig: plt.Figure, params: Params, name: str, alt: str | None = None, label: str | None = None
) -> Path:
    """Save a figure as PNG under figures/<quarter>/ (metadata stripped for reproducibility),
    made legible at phone width (``legible``).

    ``alt``: the figure's message in words, written from its numbers (e.g. ``spc_alt_text``);
    the book shows it as the alt text of the figure whose ``{glue:figure}`` ``:name:`` is
    ``label`` (default ``name``), see ``record_alt_text``.
    """
    params.figures_dir.mkdir(parents=True, exist_ok=True)
    path = params.figures_dir / f"{name}.png"
    legible(fig)
    fig.savefig(path, bbox_inches="tight", metadata={"Software": None})
    if alt:
        record_alt_text(params, label or name, alt)
    return path


# --------------------------------------------------------------------------- alt text from the numbers

ALT_TEXT_FILE = "alt_text.json"  # figures/<quarter>/: figure label -> alt text (read by the book build)
ALT_TEXT_DIR = "alt_text"  # figures/<quarter>/alt_text/: one {"label", "text"} file per figure


def record_alt_text(params: Params, label: str, text: str) -> Path:
    """Record the alt text of the figure named ``label`` (its ``{glue:figure}`` ``:name:``).

    The book build puts it on the figure's image in place of the chapter's generic ``:alt:``,
    so a screen reader hears what the figure shows, written from the numbers.
    """
    import hashlib
    import json
    import os

    # One file per figure, written whole and then moved into place: notebooks run side by side, so
    # two chapters must never read and rewrite one shared file at the same time.
    folder = params.figures_dir / ALT_TEXT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(str(label).encode()).hexdigest()[:16]}.json"
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"label": str(label), "text": " ".join(str(text).split())}, ensure_ascii=False),
                   encoding="utf-8")  # fmt: skip
    os.replace(tmp, path)
    return path


def _fmt(v: float, percent: bool) -> str:
    return (
        f"{100 * v:.1f}%"
        if percent
        else f"{v:,.0f}"
        if abs(v - round(v)) < 1e-9 or abs(v) >= 100
        else f"{v:,.1f}"
    )


def _span(start: pd.Timestamp, end: pd.Timestamp) -> str:
    if start == end:
        return f"in {start:%B %Y}"
    if start.year == end.year:
        return f"from {start:%B} to {end:%B %Y}"
    return f"from {start:%B %Y} to {end:%B %Y}"


def spc_alt_text(chart: pd.DataFrame, measure: str, percent: bool = False) -> str:
    """Alt text stating a control chart's message from its numbers.

    ``chart``: one row per month (index: month start), columns value, centre, lcl, ucl,
    special_cause, direction (+1 above the average, -1 below), as from ``cscbook.methods.spc``.
    The latest run of special-cause months is described ("Referrals fell below the usual range
    from June to December 2024"; "ran below the average" for a run inside the limits), else that
    the months stayed within the usual range; then the latest month and the average. Proportions are given as percentages when ``percent``.
    """
    c = chart[chart["value"].notna()].sort_index()
    if c.empty:
        return f"{measure}: no months to show."
    months = pd.to_datetime(pd.Series(c.index, index=c.index))
    special = c["special_cause"].astype(bool) & (c["direction"] != 0)
    last_month, last = months.iloc[-1], c.iloc[-1]
    if special.any():
        end = special[special].index[-1]
        d = int(c.loc[end, "direction"])
        run = (special & (c["direction"] == d)).loc[:end]
        breaks = run[~run]
        start = run.index[0] if breaks.empty else run.loc[breaks.index[-1] :].index[1]
        part = c.loc[start:end]
        beyond = (part["value"] > part["ucl"]).any() if d > 0 else (part["value"] < part["lcl"]).any()
        if beyond:
            where = "rose above the usual range" if d > 0 else "fell below the usual range"
        else:
            where = "ran above the average" if d > 0 else "ran below the average"
        text = f"{measure} {where} {_span(start, end)}."
    else:
        text = f"{measure} stayed within the usual range of month-to-month variation."
    average = "" if pd.isna(last["centre"]) else f"; average {_fmt(float(last['centre']), percent)}"
    return f"{text} Latest month ({last_month:%B %Y}): {_fmt(float(last['value']), percent)}{average}."
