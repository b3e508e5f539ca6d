"""How every chapter reaches the book: one small interface.

A chapter module offers ``build(ctx, results) -> Chapter`` (the context from
``cscbook.data.context``, the run's measure results from ``cscbook.measures.store``).
``publish(chapter, params)`` saves its tables (CSV under ``reports/<quarter>/tables/``) and
figures (PNG under ``figures/<quarter>/``) and glues its sentences, display tables and figures
for the notebook's prose to quote: ``{glue:text}`key` `` for a sentence, ```` ```{glue:} key``` ````
for a table or a figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import pandas as pd

from cscbook.config.params import Params
from cscbook.report.outputs import record_alt_text, save_figure, save_table


@dataclass
class Figure:
    """A figure for the book: the matplotlib figure, its file name, and its alt text (what it shows,
    written from the numbers) for the ``{glue:figure}`` named ``label`` (default: the glue key)."""

    figure: plt.Figure
    file: str
    alt: str = ""
    label: str = ""


@dataclass
class Chapter:
    """What a chapter shows: sentences (``text``, plain; ``markdown``, MyST for ``{glue:md}``),
    display tables, figures, and the tables it saves."""

    text: dict[str, str] = field(default_factory=dict)
    markdown: dict[str, str] = field(default_factory=dict)
    shown: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    saved: dict[str, pd.DataFrame] = field(default_factory=dict)


def html_table(df: pd.DataFrame, caption: str = "") -> str:
    """A compact, stable HTML table without the index, with an optional caption."""
    shown = df.astype(object).where(df.notna(), "")  # a missing value is blank, never "<NA>" or "nan"
    html = shown.to_html(index=False, border=0, na_rep="", classes="cscbook-table", escape=True)
    if caption:
        html = html.replace(">\n  <thead>", f">\n  <caption>{caption}</caption>\n  <thead>", 1)
    return html


def publish(chapter: Chapter, params: Params) -> None:
    """Save the chapter's tables and figures and glue its sentences, tables and figures."""
    from IPython.display import HTML, Image, Markdown
    from myst_nb import glue

    for name, df in chapter.saved.items():
        save_table(df, params, name)
    for key, text in chapter.text.items():
        glue(key, text, display=False)
    for key, text in chapter.markdown.items():
        # an empty text would be glued without its markdown and show the object's repr: a MyST comment instead
        glue(key, Markdown(text if text.strip() else "% nothing to show here"), display=False)
    for key, df in chapter.shown.items():
        if df.columns.empty:  # nothing to show (the chapter says why in words)
            glue(key, Markdown("% nothing to show here"), display=False)
            continue
        glue(key, HTML(html_table(df, caption=str(df.attrs.get("caption", "")))), display=False)
    for key, fig in chapter.figures.items():
        if fig.alt:
            record_alt_text(params, fig.label or key, fig.alt)
        path = save_figure(fig.figure, params, fig.file)
        plt.close(fig.figure)
        glue(key, Image(filename=str(path)), display=False)
