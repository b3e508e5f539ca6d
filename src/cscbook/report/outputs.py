"""Writing the book's tables and figures, with a privacy guard and a common plotting style.

Tables go to ``reports/<quarter>/tables/<name>.csv`` and figures to
``figures/<quarter>/<name>.png``. A table that still carries a personal column (child
identifier, date of birth, worker, postcode) is refused: outputs are aggregates only.
"""

from __future__ import annotations

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


_png_figures_in_jupyter()


# Okabe-Ito colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
IMPROVEMENT = "#0072B2"  # blue: special-cause improvement (NHS Making Data Count)
CONCERN = "#E69F00"  # orange: special-cause concern
NEUTRAL = "#7F7F7F"  # grey: common cause


def use_style() -> None:
    """The book's plotting style: large readable text, light grid, colour-blind-safe colours."""
    plt.rcParams.update(
        {
            "figure.figsize": (8, 4.2),
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "font.size": 11,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "svg.hashsalt": "cscbook",
        }
    )


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


def save_figure(fig: plt.Figure, params: Params, name: str) -> Path:
    """Save a figure as PNG under figures/<quarter>/ (metadata stripped for reproducibility)."""
    params.figures_dir.mkdir(parents=True, exist_ok=True)
    path = params.figures_dir / f"{name}.png"
    fig.savefig(path, bbox_inches="tight", metadata={"Software": None})
    return path
