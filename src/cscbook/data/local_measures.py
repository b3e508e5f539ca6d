"""Read the local measures file into the canonical table ``local_measures``.

One tidy CSV, or one sheet of an .xlsx workbook, with one row per measure and month (and team,
when a team breakdown is given)::

    measure, month, numerator, denominator, value, team

- ``measure``: the key declared under ``local_measures.measures`` in the parameters;
- ``month``: the month the figure is for: ``2024-09``, ``2024-09-01``, ``01/09/2024``,
  ``Sep 2024`` or an Excel date (the first or last day of the month);
- ``numerator`` and ``denominator`` for proportions (e.g. agency posts and filled posts),
  ``value`` for counts, stocks, rates and means; numbers only (no text, no % sign);
- ``team`` (optional): blank for the authority-wide figure.

Refused with a ``UserError`` naming the file, row and column (``cscbook validate`` and
``cscbook run`` exit with status 2): a column that could identify a person (a name, worker,
ID, email, date of birth or postcode column); no ``measure`` or ``month`` column, or neither
``value`` nor ``numerator`` and ``denominator``; a blank measure; a month that is not a month
or is outside the calendar the book covers (before 2000, or more than a year after today);
text or a negative number where a number belongs; a numerator above its denominator; a row
without the figures its kind needs; the same measure, month and team twice.

Kept and logged (the data-quality log, table ``local_measures``): a measure the parameters do
not declare (warning: kept in the table, not reported); a month with a zero denominator
(warning: no percentage for that month); a value given beside a proportion's numerator and
denominator (warning: ignored); a column the book does not use (warning, once). Kept in the row
accounting but left out of the table, with a note: months after the period end (they belong to
later quarters: no look-ahead; the data-quality appendix counts them as after the period end). Gaps (a declared measure missing a month inside its span) and declared
measures with no rows are listed in the notes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.config.errors import UserError
from cscbook.config.params import Params
from cscbook.data import dq
from cscbook.data.ingest import _delimiter, read_text_file

TABLE = "local_measures"
COLUMNS = ["measure", "month", "team", "numerator", "denominator", "value"]
NUMBERS = ("numerator", "denominator", "value")
FIRST_MONTH = pd.Timestamp("2000-01-01")
# Headers that could identify a person: refused whatever they hold.
PERSONAL = re.compile(
    r"(^|_)(name|names|forename|surname|first_name|last_name|worker|employee|staff|person|email|e_mail|"
    r"dob|birth|date_of_birth|postcode|post_code|upn|nhs|payroll|ni|nino|id|ids|identifier|child|"
    r"manager|supervisor|social_worker)($|_)|id$|^id"
)
UNDECLARED = "measure not declared in the parameters"
ZERO_DENOMINATOR = "zero denominator"
AFTER_PERIOD = "after the period end"
VALUE_IGNORED = "value ignored beside numerator and denominator"
UNUSED_COLUMN = "column not used"
_TEMPLATE = "data/templates/local_measures_template.csv"


def _norm(header: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(header).strip().lower()).strip("_")


def _read_raw(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str]:
    """Every cell as text (xlsx dates as ISO dates), with the sheet name ('' for CSV)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, _ = read_text_file(path)
        sep, _ = _delimiter(text, path)
        try:
            raw = pd.read_csv(
                io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False
            )
        except pd.errors.ParserError as exc:
            raise UserError(f"The local measures file {path} is not a readable CSV ({exc}). Save it again as "
                            "'CSV (comma delimited)'.") from None  # fmt: skip
        return raw, ""
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the user's to fix
            raise UserError(f"The local measures workbook {path} could not be opened ({type(exc).__name__}). "
                            "Save it again as an Excel Workbook (.xlsx).") from None  # fmt: skip
        names = wb.sheetnames
        name = sheet if sheet is not None else names[0]
        if name not in names:
            raise UserError(f"The local measures workbook {path} has no sheet '{sheet}' (it has "
                            f"{', '.join(names)}). Fix local_measures.sheet in the parameters.")  # fmt: skip
        rows = [["" if c is None else (c.date().isoformat() if hasattr(c, "date") else str(c)) for c in r]
                for r in wb[name].iter_rows(values_only=True)]  # fmt: skip
        wb.close()
        if not rows:
            raise UserError(f"The sheet '{name}' of {path} is empty. Put the header row and data in it.")
        header = [str(h) for h in rows[0]]
        return pd.DataFrame(rows[1:], columns=header, dtype=str), name
    raise UserError(
        f"The local measures file {path} is not a CSV or .xlsx file. Save it as CSV (see {_TEMPLATE})."
    )


def parse_month(text: pd.Series) -> pd.Series:
    """Each month text as the first day of its month (NaT when not a month).

    Accepts ``2024-09``, ``2024-09-01``, ``2024-09-30``, ``01/09/2024``, ``30/09/2024``,
    ``Sep 2024`` and ``September 2024``; a full date must be the first or last day of a month.
    """
    s = text.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    ym = s.str.fullmatch(r"\d{4}-\d{1,2}")
    out[ym] = pd.to_datetime(s[ym] + "-01", format="%Y-%m-%d", errors="coerce")
    named = s.str.fullmatch(r"[A-Za-z]{3,9}\.? \d{4}")
    for fmt in ("%b %Y", "%B %Y"):
        todo = named & out.isna()
        out[todo] = pd.to_datetime(s[todo].str.replace(".", "", regex=False), format=fmt, errors="coerce")
    for pattern, fmt in ((r"\d{4}-\d{1,2}-\d{1,2}", "%Y-%m-%d"), (r"\d{1,2}/\d{1,2}/\d{4}", "%d/%m/%Y")):
        full = s.str.fullmatch(pattern)
        day = pd.to_datetime(s[full], format=fmt, errors="coerce")
        ok = day.notna() & ((day.dt.day == 1) | day.dt.is_month_end)
        out[day[ok].index] = day[ok].dt.to_period("M").dt.to_timestamp()
    return out


def _numbers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from text (thousands commas allowed); and a mask of non-blank cells that are not numbers."""
    s = text.astype(str).str.strip().str.replace(",", "", regex=False)
    blank = s.isin(["", "nan", "None"])
    num = pd.to_numeric(s.where(~blank), errors="coerce")
    return num, ~blank & num.isna()


def _fail(path: Path, sheet: str, row: int, column: str, problem: str, fix: str) -> UserError:
    where = f"{path}" + (f", sheet '{sheet}'" if sheet else "")
    return UserError(f"Local measures file {where}, row {row}, column '{column}': {problem}. {fix}")


def read_local_measures(
    path: str | Path,
    declared: Mapping[str, str] | None = None,
    period_end: pd.Timestamp | None = None,
    sheet: str | None = None,
) -> dq.ReadResult:
    """Read and check the local measures file (module docstring).

    ``declared`` maps each declared measure key to its kind (None: no declarations known, as in
    ``cscbook validate`` without parameters); ``period_end`` excludes later months.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"The local measures file {path} does not exist. Check local_measures.file in the "
                        f"parameters (a template is in {_TEMPLATE}).")  # fmt: skip
    raw, sheet_name = _read_raw(path, sheet)
    headers = {_norm(c): c for c in raw.columns}
    personal = [c for n, c in headers.items() if n and n != "team" and PERSONAL.search(n)]
    if personal:
        raise UserError(
            f"Local measures file {path}: the column '{personal[0]}' could identify a person (a name, worker, "
            "ID, email, date of birth or postcode). The file must hold only aggregate figures: delete the "
            f"column and keep measure, month, numerator, denominator, value and team (see {_TEMPLATE})."
        )
    missing = [c for c in ("measure", "month") if c not in headers]
    has_value = "value" in headers
    has_pair = "numerator" in headers and "denominator" in headers
    if missing or not (has_value or has_pair):
        need = missing or ["value (or numerator and denominator)"]
        raise UserError(f"Local measures file {path} has no column {' or '.join(repr(c) for c in need)} in its "
                        f"header row (it has {', '.join(map(str, raw.columns))}). Use the headers of {_TEMPLATE}.")  # fmt: skip
    df = pd.DataFrame(
        {c: (raw[headers[c]] if c in headers else "") for c in ["measure", "month", "team", *NUMBERS]}
    )
    df = df.fillna("").astype(str).apply(lambda col: col.str.strip())
    df["_file"], df["_sheet"], df["_row"] = str(path), sheet_name, np.arange(2, len(df) + 2)
    logs = [_unused_columns(path, sheet_name, [c for n, c in headers.items() if n and n not in COLUMNS])]
    df = df[(df[["measure", "month", *NUMBERS]] != "").any(axis=1)].copy()  # empty lines are not rows
    read = df.copy()

    def first(mask: pd.Series) -> int:
        return int(df.loc[mask, "_row"].iloc[0])

    blank = df["measure"] == ""
    if blank.any():
        raise _fail(path, sheet_name, first(blank), "measure", "the measure is blank",
                    "Give the measure's key on every row, as declared in the parameters.")  # fmt: skip
    df["measure"] = df["measure"].str.lower()
    df["month_raw"] = df["month"]
    df["month"] = parse_month(df["month"])
    bad = df["month"].isna()
    if bad.any():
        raise _fail(path, sheet_name, first(bad), "month", f"'{df.loc[bad, 'month_raw'].iloc[0]}' is not a month",
                    "Write the month as 2024-09 (or the first day of the month, 2024-09-01).")  # fmt: skip
    latest = pd.Timestamp.today().normalize() + pd.DateOffset(years=1)
    outside = (df["month"] < FIRST_MONTH) | (df["month"] > latest)
    if outside.any():
        raise _fail(path, sheet_name, first(outside), "month",
                    f"{df.loc[outside, 'month_raw'].iloc[0]} is outside the calendar the book covers "
                    f"(January 2000 to {latest:%B %Y})", "Check the year.")  # fmt: skip
    for c in NUMBERS:
        values, text = _numbers(df[c])
        if text.any():
            raise _fail(path, sheet_name, first(text), c, f"'{df.loc[text, c].iloc[0]}' is not a number",
                        "Write numbers only (no text, % sign or note): 85% as numerator and denominator, "
                        "or as a value of 85 with the unit in the parameters.")  # fmt: skip
        negative = values < 0
        if negative.any():
            raise _fail(path, sheet_name, first(negative), c, f"{values[negative].iloc[0]:g} is negative",
                        "Figures are counts, rates or averages of 0 or more.")  # fmt: skip
        df[c] = values.astype("float64")
    over = df["numerator"] > df["denominator"]
    if over.any():
        r = df[over].iloc[0]
        raise _fail(path, sheet_name, int(r["_row"]), "numerator",
                    f"the numerator ({r['numerator']:g}) is above the denominator ({r['denominator']:g})",
                    "The numerator counts the part of the denominator that meets the measure: check both.")  # fmt: skip
    kinds = pd.Series(df["measure"].map(declared or {}), index=df.index)
    pair = df["numerator"].notna() & df["denominator"].notna()
    half = df["numerator"].notna() != df["denominator"].notna()
    if half.any():
        col = "denominator" if df.loc[half, "denominator"].isna().iloc[0] else "numerator"
        raise _fail(path, sheet_name, first(half), col, "is blank beside its pair",
                    "A proportion needs both numerator and denominator.")  # fmt: skip
    needs_pair = kinds.eq("proportion") & ~pair
    if needs_pair.any():
        raise _fail(path, sheet_name, first(needs_pair), "numerator",
                    f"{df.loc[needs_pair, 'measure'].iloc[0]} is declared a proportion but the row has no numerator "
                    "and denominator", "Give both (e.g. agency posts and filled posts).")  # fmt: skip
    needs_value = kinds.notna() & kinds.ne("proportion") & df["value"].isna()
    empty = kinds.isna() & df["value"].isna() & ~pair
    if needs_value.any() or empty.any():
        m = needs_value | empty
        raise _fail(path, sheet_name, first(m), "value", f"{df.loc[m, 'measure'].iloc[0]} has no value on this row",
                    "Give the month's figure in the value column (or remove the row if it is not known).")  # fmt: skip
    dup = df.duplicated(["measure", "month", "team"], keep=False)
    if dup.any():
        d = df[dup].sort_values("_row")
        r = d.iloc[0]
        other = int(
            d[(d["measure"] == r["measure"]) & (d["month"] == r["month"]) & (d["team"] == r["team"])][
                "_row"
            ].iloc[1]
        )
        team = f", team '{r['team']}'" if r["team"] else ""
        raise _fail(path, sheet_name, int(r["_row"]), "measure",
                    f"rows {int(r['_row'])} and {other} both give {r['measure']} for {r['month']:%B %Y}{team}",
                    "Keep one row per measure, month and team.")  # fmt: skip

    log_kw = {"table": TABLE, "child_col": "_none"}
    if declared is not None:
        undeclared = ~df["measure"].isin(list(declared))
        logs.append(dq.issues(df, undeclared & ~df.duplicated("measure"), column="measure", reason=UNDECLARED,
                              severity=dq.WARNING, **log_kw))  # fmt: skip
    is_prop = kinds.eq("proportion") | (kinds.isna() & pair)
    logs.append(dq.issues(df, is_prop & (df["denominator"] == 0), column="denominator", reason=ZERO_DENOMINATOR,
                          severity=dq.WARNING, **log_kw))  # fmt: skip
    logs.append(dq.issues(df, is_prop & df["value"].notna(), column="value", reason=VALUE_IGNORED,
                          severity=dq.WARNING, **log_kw))  # fmt: skip
    df.loc[is_prop, "value"] = np.nan
    notes = []
    accounted = dq.accounting(TABLE, read, df, [str(path)])  # later months are kept for later quarters
    if period_end is not None:
        later = df["month"] > pd.Timestamp(period_end)
        if later.any():
            first_m, last_m = df.loc[later, "month"].min(), df.loc[later, "month"].max()
            n = int(later.sum())
            notes.append(f"{n:,} row{'s' if n != 1 else ''} for months {AFTER_PERIOD} ({first_m:%B %Y} to {last_m:%B %Y}) "
                         "are left for later quarters (no look-ahead).")  # fmt: skip
        df = df[~later]
    kept = df.sort_values(["measure", "team", "month"], kind="stable")
    table = kept[COLUMNS].reset_index(drop=True)
    res = dq.ReadResult({TABLE: table}, dq.concat_logs(logs), accounted)
    res.notes += notes + gaps(table, list(declared) if declared is not None else None)
    return res


def _unused_columns(path: Path, sheet: str, columns: list[str]) -> pd.DataFrame:
    if not columns:
        return dq.empty_log()
    frame = pd.DataFrame({"_file": str(path), "_sheet": sheet, "_row": 1, "c": [str(c) for c in columns]})
    return dq.issues(frame, pd.Series(True, index=frame.index), column="header", reason=UNUSED_COLUMN,
                     severity=dq.WARNING, table=TABLE, values=frame["c"], child_col="_none")  # fmt: skip


def gaps(table: pd.DataFrame, declared: list[str] | None) -> list[str]:
    """Notes: each declared measure absent from the file, and months missing inside a measure's span."""
    notes = []
    present = set(table["measure"])
    for key in declared or []:
        if key not in present:
            notes.append(
                f"Measure '{key}' is declared in the parameters but has no rows in the local measures file."
            )
    for (measure, team), part in table.groupby(["measure", "team"], sort=True):
        months = pd.DatetimeIndex(part["month"])
        span = pd.date_range(months.min(), months.max(), freq="MS")
        gap = span.difference(months)
        if len(gap):
            where = f" (team '{team}')" if team else ""
            listed = ", ".join(f"{m:%B %Y}" for m in gap[:6]) + (" ..." if len(gap) > 6 else "")
            notes.append(f"Measure '{measure}'{where} has no row for {listed}: shown as a gap.")
    return notes


def local_sheet(path: Path) -> str | None:
    """The local measures sheet of a file: '' for a CSV whose header has 'measure' and 'month'
    columns, the first such sheet of a workbook, None when the file is not a local measures file."""
    suffix = path.suffix.lower()
    if not path.is_file() or suffix not in (".csv", ".xlsx", ".xlsm"):
        return None
    try:
        if suffix == ".csv":
            first = read_text_file(path)[0].split("\n", 1)[0]
            header = first.split(_delimiter(first, path)[0])
            return "" if {"measure", "month"} <= {_norm(h) for h in header} else None
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for ws in wb.worksheets:
                header = next(ws.iter_rows(max_row=1, values_only=True), ())
                if {"measure", "month"} <= {_norm(h) for h in header if h is not None}:
                    return ws.title
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 - not ours to read: the other readers explain what is wrong
        return None
    return None


def is_local_measures_file(path: Path) -> bool:
    """True for a CSV, or a workbook with a sheet, whose header has 'measure' and 'month' columns."""
    return local_sheet(path) is not None


def split_paths(paths: list[str | Path]) -> tuple[list[Path], list[str | Path]]:
    """The local measures files among ``paths`` (files named directly), and the other paths."""
    local = [Path(p) for p in paths if is_local_measures_file(Path(p))]
    return local, [p for p in paths if Path(p) not in local]


def validate_files(files: list[Path], params_file: str | None) -> list[tuple[str, dq.ReadResult]]:
    """``cscbook validate`` for local measures files: checked against the declarations and period
    end of ``params_file`` when given (``--params``), otherwise on their own (undeclared measures
    then cannot be found)."""
    from cscbook.config.params import load_params

    params = load_params(params_file) if params_file else None
    out = []
    for f in files:
        sheet = local_sheet(f) or None
        if params is None:
            res = read_local_measures(f, sheet=sheet)
            res.notes.append(
                "Measures not checked against their declarations: add --params params/<quarter>.yaml."
            )
        else:
            declared = {k: s.kind for k, s in params.local_measures.measures.items()}
            res = read_local_measures(f, declared, params.period_end, params.local_measures.sheet or sheet)
        out.append((f"Local measures {f.name}", res))
    return out


def read_for_params(params: Params) -> dq.ReadResult:
    """The local measures file named in the parameters, checked against their declarations."""
    lm = params.local_measures
    declared = {k: s.kind for k, s in lm.measures.items()}
    return read_local_measures(lm.file, declared, params.period_end, lm.sheet)
