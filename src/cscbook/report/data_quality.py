"""The data-quality appendix: row accounting and issue counts, never identifiers or values.

The readers' log (``cscbook.data.dq``) names child identifiers, rows and raw values so that an
analyst can fix the extract; the book shows only counts by table, reason and severity.
"""

from __future__ import annotations

import importlib
from pathlib import PurePath
from typing import Any

import pandas as pd

SEVERITY_ORDER = ["error", "warning", "info"]
SEVERITY_MEANING = {
    "error": "excluded from the analysis",
    "warning": "kept, with the value flagged or corrected",
    "info": "excluded as a repeat of a row that was kept (no information lost)",
}


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """A table for readers: column names in words ('rows_read' -> 'Rows read'), whole numbers
    with thousands separators. The saved CSVs keep the raw names and numbers."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_integer_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    out.columns = [str(c).replace("_", " ").capitalize() for c in out.columns]
    return out


def row_accounting(accounting: pd.DataFrame) -> pd.DataFrame:
    """Rows read, kept and excluded per table and source file name (not path), with a total row.

    Checks ``rows_read == rows_kept + rows_excluded`` on every line (``balanced``: 'yes' / 'NO').
    """
    cols = ["table", "file", "rows_read", "rows_kept", "rows_excluded"]
    if accounting is None or accounting.empty:
        return pd.DataFrame(columns=[*cols, "balanced"])
    acc = accounting.loc[:, cols].copy()
    acc["file"] = acc["file"].astype("str").map(lambda p: PurePath(p.replace("\\", "/")).name)
    acc = acc.groupby(["table", "file"], as_index=False, sort=True)[cols[2:]].sum()
    total = pd.DataFrame(
        [{"table": "all tables", "file": "", **{c: int(acc[c].sum()) for c in cols[2:]}}]
    )
    out = pd.concat([acc, total], ignore_index=True)
    for c in cols[2:]:
        out[c] = out[c].astype("int64")
    ok = out["rows_read"] == out["rows_kept"] + out["rows_excluded"]
    out["balanced"] = ok.map({True: "yes", False: "NO"})
    return out


def issue_counts(log: pd.DataFrame) -> pd.DataFrame:
    """Number of logged issues by table, reason and severity (counts only, most severe first)."""
    cols = ["table", "reason", "severity", "issues"]
    if log is None or log.empty:
        return pd.DataFrame(columns=cols)
    out = log.groupby(["table", "reason", "severity"], as_index=False, sort=True, observed=True).size()
    out = out.rename(columns={"size": "issues"})
    rank = out["severity"].map({s: i for i, s in enumerate(SEVERITY_ORDER)}).fillna(len(SEVERITY_ORDER))
    out = out.assign(_r=rank).sort_values(["_r", "issues", "table", "reason"], ascending=[True, False, True, True])
    return out.drop(columns="_r").reset_index(drop=True)[cols]


def severity_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Issues per severity with what the severity means for the row."""
    counts = (
        log["severity"].value_counts() if log is not None and not log.empty else pd.Series(dtype="int64")
    )
    return pd.DataFrame(
        {
            "severity": SEVERITY_ORDER,
            "issues": [int(counts.get(s, 0)) for s in SEVERITY_ORDER],
            "what happened to the row": [SEVERITY_MEANING[s] for s in SEVERITY_ORDER],
        }
    )


def table_coverage(tables: dict[str, pd.DataFrame], accounting: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows per canonical table: kept by the reader, set aside as recorded after the period end
    (no look-ahead), and used by the book (kept - after period end = used)."""
    names = sorted(tables)
    used = pd.Series([int(len(tables[n])) for n in names], index=names, dtype="int64")
    out = pd.DataFrame({"table": names})
    if accounting is not None and not accounting.empty:
        kept = accounting.groupby("table")["rows_kept"].sum().reindex(names).fillna(0).astype("int64")
        out["rows kept"] = kept.to_numpy()
        out["after the period end"] = (kept - used).clip(lower=0).to_numpy()
    out["rows used"] = used.to_numpy()
    return out


def stock_flow_check(ctx: Any) -> pd.DataFrame | None:
    """The children-in-care stock-flow reconciliation from ``cscbook.report.children_in_care``, if offered.

    Returns None when the module or its ``stock_flow_check(ctx)`` is not available, or it fails.
    """
    try:
        module = importlib.import_module("cscbook.report.children_in_care")
    except ModuleNotFoundError:
        return None
    func = getattr(module, "stock_flow_check", None)
    if func is None:
        return None
    try:
        out = func(ctx)
    except Exception:  # noqa: BLE001 - the appendix reports the check as unavailable
        return None
    return out if isinstance(out, pd.DataFrame) else None
