"""The data-quality appendix: row accounting and issue counts, never identifiers or values.

The readers' log (``cscbook.data.dq``) names child identifiers, rows and raw values so that an
analyst can fix the extract; the book shows only counts by table, reason and severity.
"""

from __future__ import annotations

from pathlib import PurePath

import pandas as pd

from cscbook.data.context import Context
from cscbook.measures.cic_flows import stock_identity_breaks
from cscbook.measures.compute import MeasureResults
from cscbook.report.chapter import Chapter

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
    total = pd.DataFrame([{"table": "all tables", "file": "", **{c: int(acc[c].sum()) for c in cols[2:]}}])
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
    out = out.assign(_r=rank).sort_values(
        ["_r", "issues", "table", "reason"], ascending=[True, False, True, True]
    )
    return out.drop(columns="_r").reset_index(drop=True)[cols]


def severity_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Issues per severity with what the severity means for the row."""
    counts = log["severity"].value_counts() if log is not None and not log.empty else pd.Series(dtype="int64")
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


def stock_flow_check(results: MeasureResults, tables: dict) -> pd.DataFrame | str:
    """The children-in-care stock-flow identity in(t) = in(t-1) + starts(t) - ceases(t), month by month,
    on the run's measure series (``cla_in_care``, ``cla_starts``, ``cla_ceases``).

    One row: source, months checked (all but the first month), months that balance, months that
    do not, first and last month checked. When the care measures are not available, the
    sentence saying why.
    """
    keys = ("cla_in_care", "cla_starts", "cla_ceases")
    absent = [k for k in keys if k not in results.series]
    if absent:
        reason = results.unavailable.get(absent[0])
        return f"The stock-flow check is not available for this extract: it {reason.reason if reason else 'has no care data'}."
    flows = results.series["cla_in_care"][["month"]].assign(
        in_care=results.series["cla_in_care"]["value"].to_numpy(),
        starts=results.series["cla_starts"]["value"].to_numpy(),
        ceases=results.series["cla_ceases"]["value"].to_numpy(),
    )
    checked = max(len(flows) - 1, 0)
    breaks = len(stock_identity_breaks(flows))
    has_903 = tables.get("cla_episodes") is not None and len(tables["cla_episodes"]) > 0
    return pd.DataFrame({
        "source": ["SSDA903 episodes" if has_903 else "Annex A List 8"], "months checked": [checked],
        "months that balance": [checked - breaks], "months that do not balance": [breaks],
        "from": [f"{flows['month'].iloc[1]:%B %Y}" if checked else ""],
        "to": [f"{flows['month'].iloc[-1]:%B %Y}" if checked else ""],
    })  # fmt: skip


def build(ctx: Context, results: MeasureResults) -> Chapter:
    """The data-quality appendix: row accounting, issues by severity and reason, rows used, stock and flow."""
    acc = row_accounting(ctx.accounting)
    counts = issue_counts(ctx.dq_log)
    coverage = table_coverage(ctx.tables, ctx.accounting)
    stock_flow = stock_flow_check(results, ctx.tables)
    ch = Chapter(
        markdown={
            "dq_balance": ("**Warning: some lines do not balance; rows may have been lost.**"
                           if (acc["balanced"] != "yes").any() else "Every line balances."),
            "dq_issues_note": "No issues were found in the extract." if counts.empty else "",
            "dq_stock_flow_note": stock_flow if isinstance(stock_flow, str) else "",
        },
        shown={"dq_accounting": readable(acc), "dq_severity": readable(severity_summary(ctx.dq_log)),
               "dq_issues": readable(counts), "dq_rows_used": readable(coverage)},
        saved={"dq_row_accounting": acc, "dq_issue_counts": counts, "dq_rows_used": coverage},
    )  # fmt: skip
    if isinstance(stock_flow, pd.DataFrame):
        ch.shown["dq_stock_flow"] = readable(stock_flow)
        ch.saved["dq_stock_flow"] = stock_flow
    else:
        ch.shown["dq_stock_flow"] = pd.DataFrame()
    captions = {"dq_accounting": "Rows read, kept and excluded, by file", "dq_severity": "Issues by severity",
                "dq_issues": "Issues by table and reason", "dq_rows_used": "Rows used by the book, by table",
                "dq_stock_flow": "Children in care: stock and flow"}  # fmt: skip
    for key, df in ch.shown.items():
        df.attrs["caption"] = captions[key]
    return ch
