"""The measures history: what each quarter's book published, kept across runs.

One parquet file (``Params.history_file``, by default ``data/local/history/measures_history.parquet``,
outside ``reports/``) holds aggregates only, never record-level data: one row per authority,
published quarter and measure, with the value, numerator and denominator as published.

- A quarter's snapshot measures (known only at the period end) get their last quarter and a year
  ago from here.
- Where the current extract gives a different value for an earlier quarter than the one
  published, the summary says so.
- A history belongs to one authority: writing another authority's quarter into it is refused.
- Re-running a quarter replaces that quarter's rows.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from cscbook.config.errors import UserError

HISTORY_COLUMNS = [
    "authority",
    "quarter",
    "period_end",
    "key",
    "label",
    "kind",
    "value",
    "numerator",
    "denominator",
]


def empty_history() -> pd.DataFrame:
    """A history with no quarters."""
    out = pd.DataFrame({c: pd.Series(dtype="object") for c in HISTORY_COLUMNS})
    out["period_end"] = pd.Series(dtype="datetime64[ns]")
    for c in ("value", "numerator", "denominator"):
        out[c] = pd.Series(dtype="float64")
    return out


def read_history(path: Path | None, authority: str) -> pd.DataFrame:
    """The history at ``path`` for ``authority`` (empty when there is none yet, or no path).

    A history written for another authority is refused with a message naming both and the fix.
    """
    if path is None or not Path(path).is_file():
        return empty_history()
    path = Path(path)
    try:
        hist = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise UserError(
            f"the measures history {path} cannot be read ({type(exc).__name__}). Move it aside to start a new "
            "history, or name another file with the 'history' parameter."
        ) from None
    missing = [c for c in HISTORY_COLUMNS if c not in hist.columns]
    if missing:
        raise UserError(f"the measures history {path} is not a cscbook history (it has no column {missing[0]!r}). "
                        "Name another file with the 'history' parameter.")  # fmt: skip
    others = sorted(set(hist["authority"].astype(str)) - {authority})
    if others:
        raise UserError(
            f"the measures history {path} belongs to {others[0]!r}, not {authority!r}. Each authority keeps its "
            "own history: name another file with the 'history' parameter."
        )
    hist = hist[HISTORY_COLUMNS].copy()
    hist["period_end"] = pd.to_datetime(hist["period_end"]).astype("datetime64[ns]")
    return hist


def record_quarter(path: Path, authority: str, quarter: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Add one published quarter's measures (``rows``: period_end, key, label, kind, value,
    numerator, denominator) to the history at ``path``, replacing that quarter's rows if it was
    published before; write atomically and return the new history."""
    hist = read_history(path, authority)
    new = rows.assign(authority=authority, quarter=quarter)[HISTORY_COLUMNS]
    kept = hist[hist["quarter"] != quarter]
    out = (
        pd.concat([df for df in (kept, new) if not df.empty], ignore_index=True) if len(kept) else new.copy()
    )
    out["period_end"] = pd.to_datetime(out["period_end"]).astype("datetime64[ns]")
    for c in ("value", "numerator", "denominator"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out = out.sort_values(["period_end", "key"], kind="stable").reset_index(drop=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    out.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return out


def published(hist: pd.DataFrame, period_end: pd.Timestamp) -> pd.DataFrame:
    """The measures published for the quarter ending ``period_end``, indexed by key."""
    rows = hist[hist["period_end"] == pd.Timestamp(period_end)]
    return rows.set_index("key")
