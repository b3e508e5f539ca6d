"""``reports/<quarter>/tables.xlsx``: every table of the quarter in one workbook for performance teams.

The first sheet, ``Index``, lists every table: its sheet (a link), its title, the CSV it came
from and its size. Each table sheet has its header row frozen, columns sized to their
contents, and proportions (fractions 0-1) formatted as percentages (0.849886 shows as 85.0%,
the stored value stays exact). Sheet names are readable: the chapter prefix is shortened
("children_in_care_forecast_backtest" -> "CIC forecast backtest"), never cut mid-word.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

SHEET_MAX = 31
INDEX_SHEET = "Index"
PERCENT_FORMAT = "0.0%"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

# table-name prefix -> (short form for sheet names, chapter title for the index)
PREFIXES: dict[str, tuple[str, str]] = {
    "children_in_care_": ("CIC", "Children in care"),
    "front_door_": ("Front door", "Front door"),
    "rereferral_": ("Re-referral", "Re-referrals"),
    "summary_": ("Summary", "Executive summary"),
    "caseloads_": ("Caseloads", "Caseloads"),
    "dq_": ("DQ", "Data quality"),
    "measures": ("Measures", "Every measure"),
}
_FRACTION = re.compile(r"((^|_)(rate|conversion|coverage\d*|survival|proportion|share)|_value)$")
_CI = re.compile(r"^(?P<prefix>.*?)_?ci_(low|high)$")
_NOT_FRACTION = re.compile(r"numerator|denominator|count|^n$|_n$|workers|children|per_10k|pct|percent")


def _split(name: str) -> tuple[str, str, str]:
    """(short prefix, chapter title, rest of the name) for a table name."""
    for prefix, (short, chapter) in PREFIXES.items():
        if name.startswith(prefix):
            return short, chapter, name[len(prefix) :]
    return "", "", name


def table_title(name: str) -> str:
    """A readable title from a table name: ``front_door_funnel_quarter`` -> 'Front door: funnel quarter'."""
    _, chapter, rest = _split(name)
    words = rest.replace("_", " ").strip()
    if not chapter:
        return words[:1].upper() + words[1:]
    return f"{chapter}: {words}" if words else chapter


def sheet_names(names: list[str], reserved: tuple[str, ...] = (INDEX_SHEET,)) -> list[str]:
    """Readable Excel sheet names: chapter prefix shortened, spaces for underscores, at most 31
    characters cut at a word boundary, no ``[]:*?/\\``, unique (case-insensitive, '(2)' etc.)."""
    used = {r.lower() for r in reserved}
    out = []
    for name in names:
        short, _, rest = _split(name)
        text = (
            _BAD_SHEET_CHARS.sub("-", " ".join(p for p in (short, rest.replace("_", " ").strip()) if p))
            or "table"
        )
        if len(text) > SHEET_MAX:
            words, kept = text.split(" "), ""
            for w in words:
                if len(f"{kept} {w}".strip()) > SHEET_MAX:
                    break
                kept = f"{kept} {w}".strip()
            text = kept or text[:SHEET_MAX]
        candidate, i = text, 2
        while candidate.lower() in used:
            suffix = f" ({i})"
            candidate = text[: SHEET_MAX - len(suffix)].rstrip() + suffix
            i += 1
        used.add(candidate.lower())
        out.append(candidate)
    return out


def _in_unit_interval(s: pd.Series) -> bool:
    v = pd.to_numeric(s, errors="coerce").dropna()
    return pd.api.types.is_numeric_dtype(s) and not v.empty and bool(v.between(0, 1).all())


def percent_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Boolean frame: True where a cell holds a proportion (a fraction 0-1) to show as a percentage.

    With a ``kind`` column (the headline table, ``measures.csv``): every numeric cell of a row
    whose kind is ``proportion``, except numerators, denominators and counts. Otherwise whole
    columns named as a rate or proportion (``rate``, ``*_rate``, ``conversion``, ``coverage80``,
    ``survival``, ``*_value``) whose values all lie in 0-1, and their ``ci_low``/``ci_high``
    (same prefix) when those lie in 0-1 too. Columns in 0-100 (``*_pct``, ``percent``) are left.
    """
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    numeric = [
        c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not _NOT_FRACTION.search(str(c))
    ]
    if "kind" in df.columns:
        rows = df["kind"].astype("string").eq("proportion").fillna(False).to_numpy()
        for c in numeric:
            mask[c] = rows & pd.to_numeric(df[c], errors="coerce").between(0, 1).to_numpy()
        return mask
    fractions = [c for c in numeric if _FRACTION.search(str(c)) and _in_unit_interval(df[c])]
    for c in fractions:
        mask[c] = True
    for c in numeric:
        m = _CI.match(str(c))
        if m is None or not _in_unit_interval(df[c]):
            continue
        prefix = m.group("prefix")
        if any(
            f == f"{prefix}_rate" or (not prefix and f in ("rate", "survival", "value")) for f in fractions
        ):
            mask[c] = True
    return mask


def _read(path: Path) -> pd.DataFrame:
    """A saved table; one with no columns (a section with no data in this extract) reads as empty."""
    if not path.read_text(encoding="utf-8").strip():
        return pd.DataFrame()
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def tables_workbook(tables_dir: Path, out: Path) -> Path | None:
    """Every ``*.csv`` in ``tables_dir`` as one sheet of ``out``, after an ``Index`` sheet.

    Returns ``out``, or None when there is no table. Written to a temporary file and then
    renamed, so a failure never leaves half a workbook.
    """
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    tables_dir = Path(tables_dir)
    csvs = sorted(tables_dir.glob("*.csv")) if tables_dir.is_dir() else []
    if not csvs:
        return None
    names = sheet_names([p.stem for p in csvs])
    frames = [_read(p) for p in csvs]
    index = pd.DataFrame({
        "Sheet": names,
        "Title": [table_title(p.stem) for p in csvs],
        "CSV file": [f"tables/{p.name}" for p in csvs],
        "Rows": [len(f) for f in frames],
        "Columns": [f.shape[1] for f in frames],
    })  # fmt: skip
    tmp = out.with_name(out.name + ".tmp")
    with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        index.to_excel(xw, sheet_name=INDEX_SHEET, index=False)
        for df, sheet in zip(frames, names, strict=True):
            df.to_excel(xw, sheet_name=sheet, index=False)
        book = xw.book
        for i, sheet in enumerate(names, start=2):
            cell = book[INDEX_SHEET].cell(row=i, column=1)
            cell.hyperlink = f"#'{sheet}'!A1"
            cell.font = Font(color="0563C1", underline="single")
        for sheet, df in [(INDEX_SHEET, index), *zip(names, frames, strict=True)]:
            ws = book[sheet]
            ws.freeze_panes = "A2"
            for j, col in enumerate(df.columns, start=1):
                width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
                ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
            if sheet == INDEX_SHEET:
                continue
            pct = percent_cells(df).to_numpy()
            for r, c in zip(*pct.nonzero(), strict=True):
                ws.cell(row=int(r) + 2, column=int(c) + 1).number_format = PERCENT_FORMAT
    os.replace(tmp, out)
    return out
