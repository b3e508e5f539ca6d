"""``cscbook validate PATH... [--log FILE]``: read extracts and print a data-quality summary.

Each path is classified as Annex A (an .xlsx workbook, a CSV whose name holds the list
number, or a folder of them) or SSDA903 (CSV files with CHILD and DECOM, or CHILD, SEX and
DOB columns, or a folder of them); a folder may hold both. The readers raise ``UserError``
for unusable input; this command also refuses a list or table whose every row was
excluded. Returns 0 when the data are usable.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from cscbook.config.errors import UserError
from cscbook.data import annexa_spec, dq
from cscbook.data.ingest import (
    XLSX_SUFFIXES,
    _delimiter,
    _wrong_type,
    expand_paths,
    list_number,
    read_text_file,
)

TABLE_LABEL = {lst.table: f"List {n} {lst.table}" for n, lst in annexa_spec.LISTS.items()}
TABLE_LABEL.update({"cla_header": "SSDA903 header", "cla_episodes": "SSDA903 episodes", "cla_uasc": "SSDA903 UASC",
                    "social_worker_episodes": "SSDA903 social worker episodes"})  # fmt: skip


def csv_columns(path: Path) -> list[str]:
    """The header row of a CSV file (any supported encoding and delimiter)."""
    text, _ = read_text_file(path)
    first = text.split("\n", 1)[0].rstrip("\r")
    sep, _ = _delimiter(first, path)
    return next(csv.reader([first], delimiter=sep), [])


def classify(paths: list[str | Path]) -> tuple[list[Path], list[Path], list[str]]:
    """Split the paths into Annex A files and SSDA903 files; UserError for unusable paths."""
    from cscbook.data.ssda903 import file_kind, is_blank_file

    annex: list[Path] = []
    ssda: list[Path] = []
    notes: list[str] = []
    for p in paths:
        path = Path(p)
        files = expand_paths([path])
        is_dir = path.is_dir()
        found = 0
        for f in files:
            suffix = f.suffix.lower()
            if suffix in XLSX_SUFFIXES:
                annex.append(f)
                found += 1
            elif suffix == ".csv":
                if is_blank_file(f) and (
                    is_dir or list_number(f.stem) is None
                ):  # e.g. an SSDA903 AD1 holding a newline
                    notes.append(f"{f}: empty (no header row, no rows); skipped.")
                elif file_kind(csv_columns(f)) is not None:
                    ssda.append(f)
                    found += 1
                elif list_number(f.stem) is not None:
                    annex.append(f)
                    found += 1
                elif is_dir:
                    notes.append(f"{f}: neither an Annex A list nor an SSDA903 file; ignored.")
                else:
                    raise UserError(
                        f"The file {f} is neither an Annex A list (its name has no list number, e.g. "
                        "'List 3.csv') nor an SSDA903 file (no CHILD with DECOM, or CHILD, SEX and DOB "
                        "columns). Rename it or check that it is the right file."
                    )
            elif not is_dir:
                raise UserError(_wrong_type(f))
        if found == 0:
            raise UserError(
                f"No Annex A or SSDA903 files were found in {path}. Give an Annex A workbook (.xlsx), a folder "
                "of Annex A list CSVs ('List 1.csv' ...), or SSDA903 header and episodes CSV files."
            )
    return annex, ssda, notes


def _header(table: str, column: str) -> str:
    """The column as the analyst knows it: the Annex A template header where there is one."""
    lst = annexa_spec.TABLES.get(table)
    match = [c.header for c in lst.columns if c.name == column] if lst is not None else []
    return f"'{match[0]}'" if match else column


def _summary_lines(res: dq.ReadResult) -> list[str]:
    lines = []
    acc = res.accounting.groupby("table", sort=False)[["rows_read", "rows_kept", "rows_excluded"]].sum()
    log = res.log
    for table, row in acc.iterrows():
        t_log = log[log["table"] == table]
        excl = t_log[t_log["severity"].isin([dq.ERROR, dq.INFO])].groupby("reason").size()
        excl_text = ", ".join(f"{n:,} {r}" for r, n in excl.sort_values(ascending=False).items())
        lines.append(
            f"  {TABLE_LABEL.get(table, table)}: {row['rows_read']:,} rows read, {row['rows_kept']:,} kept, "
            f"{row['rows_excluded']:,} excluded" + (f" ({excl_text})" if excl_text else "")
        )
        if not t_log.empty:
            top = (
                t_log.groupby(["reason", "column", "severity"])
                .size()
                .sort_values(ascending=False, kind="stable")
                .head(3)
            )
            for (reason, column, severity), n in top.items():
                where = f" in {_header(table, column)}" if column else ""
                lines.append(f"      {n:,} x {reason}{where} ({severity})")
    return lines


def _check_usable(res: dq.ReadResult) -> None:
    acc = res.accounting.groupby("table", sort=False)[["rows_read", "rows_kept"]].sum()
    dead = acc[(acc["rows_read"] > 0) & (acc["rows_kept"] == 0)]
    if dead.empty:
        return
    table = dead.index[0]
    errs = res.log[(res.log["table"] == table) & (res.log["severity"] == dq.ERROR)]
    if errs.empty:
        return
    first = errs.iloc[0]
    top = errs.groupby(["reason", "column"]).size().idxmax()
    where = f"file {first['file']}" + (f", sheet '{first['sheet']}'" if first["sheet"] else "")
    raise UserError(
        f"Every row of {TABLE_LABEL.get(table, table)} was excluded, mostly for '{top[0]}' in column "
        f"'{top[1]}' (first at {where}, row {first['row']}: '{first['value']}'). Fix that column in the "
        "extract and run again; 'cscbook validate ... --log FILE' lists every problem row."
    )


def main(args) -> int:
    """Run ``cscbook validate``; returns 0 when the data are usable, raises UserError otherwise."""
    from cscbook.data.ingest import read_annex_a
    from cscbook.data.local_measures import split_paths, validate_files
    from cscbook.data.ssda903 import read_ssda903

    local, paths = split_paths(list(args.paths))
    annex, ssda, notes = classify(paths) if paths else ([], [], [])
    results: list[tuple[str, dq.ReadResult]] = validate_files(local, getattr(args, "params", None))
    if annex:
        results.append(("Annex A", read_annex_a(annex)))
    if ssda:
        results.append(("SSDA903", read_ssda903(ssda)))
    for _, res in results:
        _check_usable(res)

    out = []
    for title, res in results:
        out.append(f"{title}: {len(res.tables)} table(s) read")
        out += _summary_lines(res)
        if res.missing:
            out.append(f"  Not found: {', '.join(res.missing)}")
        for note in res.notes:
            out.append(f"  {note}" if note.startswith("Warning: ") else f"  Note: {note}")
    for note in notes:
        out.append(f"Note: {note}")
    log = dq.concat_logs([r.log for _, r in results])
    counts = log["severity"].value_counts()
    out.append(
        f"Data-quality log: {len(log):,} entries ({counts.get(dq.ERROR, 0):,} errors (row excluded), "
        f"{counts.get(dq.WARNING, 0):,} warnings, {counts.get(dq.INFO, 0):,} duplicates removed)."
    )
    if getattr(args, "log", None):
        log_path = Path(args.log)
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log.to_csv(log_path, index=False)
        except OSError as exc:
            raise UserError(
                f"The log file {log_path} could not be written ({exc}). Choose another path."
            ) from None
        out.append(f"Full log written to {log_path} (it names child identifiers: keep it internal).")
    elif len(log):
        out.append("To see every issue with its file, sheet, row and value, run again with --log issues.csv.")
    out.append("The data are usable.")
    print("\n".join(out))
    return 0


def accounting_ok(acc: pd.DataFrame) -> bool:
    """True when rows_read == rows_kept + rows_excluded on every row."""
    return bool((acc["rows_read"] == acc["rows_kept"] + acc["rows_excluded"]).all())
