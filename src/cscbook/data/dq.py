"""The data-quality log and row accounting shared by the Annex A and SSDA903 readers.

Every row read from an extract ends up either in a canonical table or in the log (or both,
when it was kept but flagged). The log has one row per issue with the columns
``file, sheet, row, column, value, reason, severity, table, child_id``: ``row`` is the
spreadsheet row number a person would see (the header is row 1).

Severities:

- ``error``: the row was excluded from the canonical table (e.g. no child identifier,
  an unparseable key date, an impossible chronology);
- ``warning``: the row was kept and flagged (e.g. an unmapped optional code became blank,
  an overlapping SSDA903 episode was ended at the next episode's start);
- ``info``: the row was excluded because it repeats another row that was kept (an exact
  duplicate, or an SSDA903 record superseded by a later collection year): no information
  is lost.

The accounting table has one row per canonical table and source file with
``rows_read == rows_kept + rows_excluded``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

LOG_COLUMNS = ["file", "sheet", "row", "column", "value", "reason", "severity", "table", "child_id"]
ACCOUNTING_COLUMNS = ["table", "file", "rows_read", "rows_kept", "rows_excluded"]

# Reasons used in the log.
UNMAPPED_CODE = "unmapped code"
UNPARSEABLE_DATE = "unparseable date"
UNPARSEABLE_NUMBER = "unparseable number"
MISSING_REQUIRED = "missing required value"
IMPOSSIBLE_CHRONOLOGY = "impossible chronology"
IMPLAUSIBLE_DATE = "implausible date"
IMPLAUSIBLE_VALUE = "implausible value"
DUPLICATE = "duplicate"
SUPERSEDED = "superseded by a later collection year"
OVERLAPPING_EPISODE = "overlapping episode"

ERROR, WARNING, INFO = "error", "warning", "info"

# Provenance columns carried beside the data while reading (never in canonical tables).
PROV = ["_file", "_sheet", "_row"]


@dataclass
class ReadResult:
    """Canonical tables, the data-quality log and the row accounting of one read."""

    tables: dict[str, pd.DataFrame]
    log: pd.DataFrame
    accounting: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


_EMPTY_LOG: pd.DataFrame | None = None


def empty_log() -> pd.DataFrame:
    """A log with no entries (the right columns and dtypes)."""
    global _EMPTY_LOG
    if _EMPTY_LOG is None:
        _EMPTY_LOG = pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else "str") for c in LOG_COLUMNS})
    return _EMPTY_LOG.copy()


def empty_accounting() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c.startswith("rows") else "str") for c in ACCOUNTING_COLUMNS}
    )


def issues(
    frame: pd.DataFrame,
    mask,
    *,
    column: str,
    reason: str,
    severity: str,
    table: str,
    values: pd.Series | None = None,
    child_col: str = "child_id",
) -> pd.DataFrame:
    """Log rows for the records of ``frame`` (with provenance columns) where ``mask`` is true.

    ``values`` (aligned with ``frame``) gives the offending raw value; by default the raw
    value of ``column`` in ``frame`` (blank when the column is not there).
    """
    mask = pd.Series(mask, index=frame.index).fillna(False).astype(bool)
    sub = frame.loc[mask]
    if sub.empty:
        return empty_log()
    if values is None:
        vals = sub[column] if column in sub.columns else pd.Series("", index=sub.index)
    else:
        vals = values.loc[mask]
    child = sub[child_col] if child_col in sub.columns else pd.Series(pd.NA, index=sub.index)
    out = pd.DataFrame(
        {
            "file": sub["_file"].astype("str"),
            "sheet": sub["_sheet"].astype("str"),
            "row": sub["_row"].astype("Int64"),
            "column": column,
            "value": vals.astype("object").where(vals.notna(), "").astype("str"),
            "reason": reason,
            "severity": severity,
            "table": table,
            "child_id": child.astype("object").where(child.notna(), "").astype("str"),
        }
    )
    return out.reset_index(drop=True)


def concat_logs(logs: list[pd.DataFrame]) -> pd.DataFrame:
    logs = [lg for lg in logs if not lg.empty]
    if not logs:
        return empty_log()
    out = pd.concat(logs, ignore_index=True)
    out["row"] = out["row"].astype("Int64")
    return out.sort_values(["table", "file", "sheet", "row", "column"], kind="stable").reset_index(drop=True)


def accounting(
    table: str, read: pd.DataFrame, kept: pd.DataFrame, files: list[str] | None = None
) -> pd.DataFrame:
    """Rows read, kept and excluded per source file, from the provenance columns.

    ``files`` lists every source file, so that a file with no data rows still gets a line of zeros.
    """
    n_read = read.groupby("_file", sort=True).size()
    if files is not None:
        n_read = n_read.reindex(sorted(set(files) | set(n_read.index)), fill_value=0)
    n_kept = kept.groupby("_file", sort=True).size().reindex(n_read.index, fill_value=0)
    out = pd.DataFrame(
        {
            "table": table,
            "file": n_read.index.astype("str"),
            "rows_read": n_read.to_numpy().astype("int64"),
            "rows_kept": n_kept.to_numpy().astype("int64"),
        }
    )
    out["rows_excluded"] = out["rows_read"] - out["rows_kept"]
    return out.reset_index(drop=True)


def concat_accounting(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return empty_accounting()
    return pd.concat(parts, ignore_index=True)
