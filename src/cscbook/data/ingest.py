"""Read Ofsted Annex A extracts into the canonical tables (annexa_spec.LISTS 1-9).

An input path is an xlsx workbook with one sheet per list (``List 1``, ``List_1``, ``list 1``,
``List1``, ``List 1 - Contacts`` ...), a folder of one CSV per list (the list number is taken
from the file name: ``List 1.csv``, ``list_1_contacts.csv``, ``Annex A List 3 Referrals.csv``),
or a folder holding such workbooks. Several paths are merged (with a note naming the sources
of each list read from more than one); exact duplicate rows (after mapping to canonical
values) are kept once and the repeats logged as ``duplicate``.

Reading (each choice is stated in the notes that ``cscbook validate`` prints):

- CSV text: UTF-8 (with or without BOM), UTF-16 with or without BOM (Excel's "Unicode
  text"), else Windows-1252; CR-only and mixed line endings; comma, semicolon, tab or pipe
  delimited; title lines above the header skipped (as in workbooks). Binary data named
  ``.csv`` is refused;
- workbooks: hidden sheets and sheets named like old copies (``List 3 (old)``, ``Copy of
  List 3``, ``List 3 (2)``) are skipped with a note; merged cells in the data are filled down
  their first column with a warning; formula cells without a saved value are reported; the
  stored used range is ignored (only rows holding data are read);
- headers match the template header, any alias in ``annexa_spec`` or the canonical name,
  ignoring case, spacing, punctuation (curly or straight apostrophes and quotes, doubled
  brackets, a dropped ``?``); columns not in the spec are ignored and named in the notes.

Cleaning rules (each problem is written to the data-quality log, see ``cscbook.data.dq``):

- blanks: empty, ``-``, ``#N/A``, ``N/A``, ``NA``, ``NULL``, ``None``;
- dates: real spreadsheet dates, ISO ``yyyy-mm-dd`` (or ``/``), Excel serial numbers (45292
  is 2024-01-01), month names, and numeric day/month dates whose order is decided per column
  and file/sheet (``date_orders``): UK ``dd/mm/yyyy`` unless the values only make sense as US
  ``mm/dd/yyyy``; a column whose values decide both ways is refused (never a silent swap), and
  so is a column of real dates (all days 12 or less) beside text dates of one order (Excel
  opened a CSV of the other order). Two-digit years follow ``CENTURY_RULE``;
- codes: the canonical code, its label, the template spelling, with or without the letter
  prefix (``b) Female``, ``Female``, ``F``; ``q) 6: Police``, ``6: Police``, ``6``);
- ages: a fractional age (6.138) is read as completed years (6), with a note; an age outside
  ``AGE_RANGE`` is blanked (``warning``); identifiers like ``7287.0`` lose the ``.0`` (note);
- a row without a child identifier or whose list's key date (e.g. the referral date) is
  blank, unparseable or implausible is excluded (``error``); an unparseable or implausible
  optional date or an unmapped code becomes blank and the row is kept (``warning``). A date
  is implausible before 1990 or after the extract date (today, unless given; an expected date
  of birth may lie up to ``DOB_FUTURE_DAYS`` later);
- impossible chronology: an end before its start (assessment authorised before it started,
  CIN episode, CP plan, period in care or early help assessment ending before it starts)
  excludes the row (``error``); any date before the date of birth, on every list, is kept and
  flagged (``warning``: pre-birth work with an expected date of birth is real practice); an
  ICPC before the s47 start is kept and flagged (the measure excludes it).

Unusable input (missing file, wrong file type, corrupt workbook, binary CSV, no list found, a
required column missing, duplicated headers, a required date column that is all text, a date
column mixing day/month orders) raises ``UserError`` with one paragraph naming file, sheet,
column and row.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.config.errors import UserError
from cscbook.config.params import resolve_path
from cscbook.data import annexa_spec, dq
from cscbook.data.annexa_spec import START_DATE
from cscbook.data.codes import CodeList

BLANKS = {"", "-", "--", "#n/a", "n/a", "na", "null", "none", "nan", "nat", "#value!", "#ref!"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
LISTS_READ = tuple(range(1, 10))

# The key date of each list: a row without it is unusable for that list's measures.
KEY_DATE: dict[str, str | None] = {**START_DATE, "care_leavers": None}

# (table, earlier column, later column, severity): later < earlier is impossible chronology.
CHRONOLOGY = [
    ("contacts", "date_of_birth", "contact_date", dq.WARNING),
    ("early_help", "date_of_birth", "eh_start_date", dq.WARNING),
    ("early_help", "eh_start_date", "eh_completion_date", dq.ERROR),
    ("referrals", "date_of_birth", "referral_date", dq.WARNING),
    ("assessments", "date_of_birth", "assessment_start_date", dq.WARNING),
    ("assessments", "assessment_start_date", "assessment_authorised_date", dq.ERROR),
    ("s47", "s47_start_date", "icpc_date", dq.WARNING),
    ("cin", "cin_start_date", "cin_closure_date", dq.ERROR),
    ("cp_plans", "cp_start_date", "cp_end_date", dq.ERROR),
    ("cla", "cla_start_date", "cla_end_date", dq.ERROR),
]


# --------------------------------------------------------------------------- text helpers


def norm_key(text: object) -> str:
    """Lower-case alphanumeric words of ``text``: the tolerant key for headers and labels."""
    s = str(text).casefold().replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def _cell_text(v: object) -> object:
    """One raw cell as text (or NA): integral floats lose '.0', dates become ISO."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return pd.NA
    if isinstance(v, bool):
        return "Y" if v else "N"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        if hasattr(v, "hour") and (v.hour, v.minute, v.second) == (0, 0, 0):
            return v.date().isoformat() if hasattr(v, "date") else v.isoformat()
        return v.isoformat()
    s = str(v).strip()
    return pd.NA if s.casefold() in BLANKS else s


def to_text(values: pd.Series) -> pd.Series:
    """Raw cells (strings, numbers, datetimes) as stripped text, blanks as NA (vectorised by unique value)."""
    s = pd.Series(values, copy=False)
    if s.empty:
        return s.astype("object")
    if isinstance(s.dtype, pd.CategoricalDtype) or (
        pd.api.types.is_string_dtype(s.dtype) and s.dtype != object
    ):
        # Text already (a CSV read as pandas strings): clean each distinct value once; every cell
        # then points at one shared string (8 bytes a cell, not a string object each).
        rows, uniq = pd.factorize(s, use_na_sentinel=True)
        uniq = pd.Series(np.asarray(uniq, dtype=object), dtype=object)
        if pd.api.types.infer_dtype(uniq, skipna=False) == "string":
            stripped = uniq.str.strip()
            text = stripped.where(~stripped.str.casefold().isin(BLANKS), pd.NA).to_numpy(dtype=object)
        else:
            text = np.array([_cell_text(c) for c in uniq], dtype=object)
        return pd.Series(np.append(text, pd.NA)[rows], index=s.index, dtype="object")
    uniq = pd.unique(s.to_numpy(dtype=object))
    mapping = {u: _cell_text(u) for u in uniq}
    return s.astype("object").map(mapping).astype("object")


# --------------------------------------------------------------------------- dates

# Day and month in either order with a 4- or 2-digit year: 05/03/2024, 5-3-24, 05.03.2024.
_NUMERIC_DATE = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T][\d:.]*)?$"
TWO_DIGIT_PIVOT = 30  # two-digit years 00-29 are 2000-2029, 30-99 are 1930-1999 (Excel's rule)
CENTURY_RULE = "two-digit years 00-29 are read as 2000-2029 and 30-99 as 1930-1999 (Excel's rule)"
DMY, MDY = "dmy", "mdy"


@dataclass(frozen=True)
class OrderEvidence:
    """What a column's numeric dates say about their order (counts of rows)."""

    day_first: int  # first number above 12: only day/month makes sense
    month_first: int  # second number above 12: only month/day makes sense
    two_digit_years: int

    @property
    def order(self) -> str | None:
        """``dmy``, ``mdy``, ``None`` (no value decides) or ``ambiguous`` (values decide both ways).

        The order that fits more rows wins when the other fits no more than 1 row in 50 of the
        deciding rows (a few typos); those rows are then unparseable.
        """
        d, m = self.day_first, self.month_first
        if d == 0 and m == 0:
            return None
        if min(d, m) * 50 <= d + m:
            return DMY if d >= m else MDY
        return "ambiguous"


def order_evidence(text: pd.Series) -> OrderEvidence:
    """Count the rows of a text date column that only make sense day-first or month-first."""
    s = pd.Series(text, copy=False).dropna()
    if s.empty:
        return OrderEvidence(0, 0, 0)
    counts = s.astype("str").value_counts(sort=False)
    parts = counts.index.to_series().str.extract(_NUMERIC_DATE)
    ok = parts[0].notna().to_numpy()
    if not ok.any():
        return OrderEvidence(0, 0, 0)
    first = parts.loc[ok, 0].astype(int).to_numpy()
    second = parts.loc[ok, 1].astype(int).to_numpy()
    short = (parts.loc[ok, 2].str.len() == 2).to_numpy()
    n = counts.to_numpy()[ok]
    return OrderEvidence(
        int(n[(first > 12) & (second <= 12)].sum()),
        int(n[(second > 12) & (first <= 12)].sum()),
        int(n[short].sum()),
    )


def distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row -> index of its distinct value, -1 when blank; the distinct non-blank values): work on
    the few distinct values of a large column once, then spread the answers with ``answers[rows]``
    (append the blank answer to ``answers`` so that -1 picks it)."""
    return pd.factorize(pd.Series(values, copy=False).to_numpy(dtype=object), use_na_sentinel=True)


def parse_dates(text: pd.Series, order: str = DMY) -> tuple[pd.Series, pd.Series]:
    """Parse text dates; returns (datetime64[ns] Series, mask of non-blank values that failed).

    Accepts ISO ``yyyy-mm-dd`` (also ``/`` or ``.``, with an optional time), numeric dates in
    ``order`` (``dmy``: ``dd/mm/yyyy``; ``mdy``: US ``mm/dd/yyyy``; ``/``, ``-`` or ``.``; a
    two-digit year follows ``CENTURY_RULE``), Excel serial day numbers (1927 to 2119) and, as
    a last resort, month names (``1 Jan 2024``, ``January 1, 2024``). Dates outside
    1900-2100 count as unparseable.
    """
    s = pd.Series(text, copy=False)
    rows, uniq = distinct(s)
    if not len(uniq):
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]"), pd.Series(False, index=s.index)
    u = pd.Series(uniq, dtype=object).astype("str")
    parsed = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")

    iso = u.str.extract(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T][\d:.]*)?$")
    num = u.str.extract(_NUMERIC_DATE)
    for frame, cols in ((iso, (0, 1, 2)), (num, (2, 1, 0) if order == DMY else (2, 0, 1))):
        ok = frame[0].notna()
        if ok.any():
            year = frame.loc[ok, cols[0]].astype(int)
            short = frame.loc[ok, cols[0]].str.len() == 2
            year = year.where(~short, year + np.where(year < TWO_DIGIT_PIVOT, 2000, 1900))
            parts = pd.DataFrame(
                {
                    "year": year,
                    "month": frame.loc[ok, cols[1]].astype(int),
                    "day": frame.loc[ok, cols[2]].astype(int),
                }
            )
            parsed.loc[ok] = pd.to_datetime(parts, errors="coerce").astype("datetime64[ns]")
    serial = u.str.fullmatch(r"\d{5}(?:\.\d+)?") & parsed.isna()
    if serial.any():
        days = pd.to_numeric(u[serial], errors="coerce")
        days = days.where((days >= 10000) & (days <= 80000))
        parsed.loc[serial] = (pd.Timestamp("1899-12-30") + pd.to_timedelta(days.round(), unit="D")).astype(
            "datetime64[ns]"
        )
    rest = parsed.isna() & u.str.contains(r"[A-Za-z]", regex=True) & u.str.contains(r"\d{4}", regex=True)
    if rest.any():
        for fmt in (
            "%d %B %Y",
            "%d %b %Y",
            "%d-%b-%Y",
            "%d-%B-%Y",
            "%B %d, %Y",
            "%b %d, %Y",
            "%B %d %Y",
            "%b %d %Y",
        ):
            todo = parsed.isna() & rest
            if not todo.any():
                break
            parsed.loc[todo] = pd.to_datetime(u[todo], format=fmt, errors="coerce").astype("datetime64[ns]")
    parsed = parsed.where((parsed >= pd.Timestamp("1900-01-01")) & (parsed <= pd.Timestamp("2100-12-31")))
    answers = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    out = pd.Series(answers[rows], index=s.index, dtype="datetime64[ns]")
    bad = pd.Series(rows >= 0, index=s.index) & out.isna()
    return out, bad


# --------------------------------------------------------------------------- codes

_PREFIX = re.compile(r"^\(?[a-z]{1,2}\d?\)\s*", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?::|\s[-\u2013\u2014]\s)\s*")


_LOOKUPS: dict[tuple, tuple[dict[str, str], dict[str, str]]] = {}


def _code_lookup(codelist: CodeList) -> tuple[dict[str, str], dict[str, str]]:
    """(code keys, label keys) for a code list; codes win over labels."""
    cache_key = (codelist.name, tuple(codelist.labels.items()), tuple(codelist.template.items()))
    if cache_key in _LOOKUPS:
        return _LOOKUPS[cache_key]
    labels: dict[str, str] = {}
    for code, label in codelist.labels.items():
        labels[norm_key(label)] = code
        tmpl = codelist.template.get(code, "")
        labels[norm_key(tmpl)] = code
        labels[norm_key(_PREFIX.sub("", tmpl))] = code
        labels[norm_key(f"{code} {label}")] = code
    codes_ = {norm_key(code): code for code in codelist.labels}
    _LOOKUPS[cache_key] = (codes_, labels)
    return codes_, labels


def _map_one(value: str, codelist: CodeList) -> object:
    codes_, labels = _code_lookup(codelist)
    key = norm_key(value)
    if key in codes_:
        return codes_[key]
    if key in labels:
        return labels[key]
    stripped = _PREFIX.sub("", value.strip())
    key = norm_key(stripped)
    if key in codes_:
        return codes_[key]
    if key in labels:
        return labels[key]
    parts = _SPLIT.split(stripped, maxsplit=1)
    if len(parts) == 2:
        first, rest = norm_key(parts[0]), norm_key(parts[1])
        if first in codes_:
            return codes_[first]
        if rest in labels:
            return labels[rest]
    return pd.NA


def map_codes(text: pd.Series, codelist: CodeList) -> tuple[pd.Series, pd.Series]:
    """Map text to canonical codes (categorical over ``codelist.codes``); returns (codes, unmapped mask)."""
    s = pd.Series(text, copy=False)
    rows, uniq = distinct(s)
    position = {c: i for i, c in enumerate(codelist.codes)}
    found = np.array([position.get(_map_one(str(u), codelist), -1) for u in uniq] + [-1], dtype="int64")
    out = pd.Series(pd.Categorical.from_codes(found[rows], categories=codelist.codes), index=s.index)
    return out, pd.Series((rows >= 0) & (found[rows] < 0), index=s.index)


def parse_ints(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers as Int64; returns (values, mask of non-blank values that are not whole numbers)."""
    s = pd.Series(text, copy=False).astype("object")
    present = s.notna()
    num = pd.to_numeric(s.where(present).astype("str").str.strip(), errors="coerce")
    whole = num.notna() & (num == num.round())
    out = pd.Series(pd.array(num.where(whole).round(), dtype="Int64"), index=s.index)
    return out, present & ~whole


def as_id(text: pd.Series) -> pd.Series:
    """Identifiers and free text as pandas ``str`` (NA for blanks)."""
    return pd.Series(text, copy=False).astype("object").astype("str").where(pd.Series(text).notna())


# --------------------------------------------------------------------------- reading files


@dataclass
class Source:
    """One list's rows from one sheet or CSV: raw header and text cells."""

    file: str
    sheet: str
    header: list[str]
    data: pd.DataFrame  # positional columns, text cells (NA for blank)
    first_row: int  # spreadsheet row number of data.iloc[0]
    row_numbers: np.ndarray | None = None  # spreadsheet row number of each data row, when not consecutive


def list_number(name: str) -> int | None:
    """The Annex A list number in a sheet or file name (``List_3``, ``Annex A list 3 referrals``)."""
    m = re.search(r"(?:^|[^a-z])list[\s_.\-]*(\d{1,2})(?!\d)", name, re.IGNORECASE)
    return int(m.group(1)) if m else None


# A sheet or file named like a superseded copy: "List 3 (old)", "Copy of List 3", "List 3 (2)".
OLD_COPY = re.compile(
    r"\b(old|copy|backup|bak|archived?|previous|prev|superseded|draft|obsolete|do not use)\b|\(\d+\)\s*$",
    re.IGNORECASE,
)


def _binary_error(path: Path) -> UserError:
    return UserError(
        f"The file {path} is named .csv but is not a text CSV file (it holds binary data, or it is an Excel, "
        "Word or PDF file renamed). Save the list from Excel as 'CSV UTF-8 (comma delimited)' or give the "
        ".xlsx workbook instead."
    )


def decode_text(data: bytes, path: Path) -> tuple[str, list[str]]:
    """Bytes of a text file as text with ``\\n`` line ends, and notes on how it was read.

    Encodings: UTF-8 (with or without BOM), UTF-16 with a BOM or without one (little- or
    big-endian, recognised by its zero bytes; Excel's "Unicode text"), else Windows-1252.
    CR-only (old Mac) and mixed line endings are read as ordinary lines. UserError for
    binary data.
    """
    notes: list[str] = []
    head = data[:4000]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        enc, label = "utf-16", "UTF-16 with a byte-order mark (Excel 'Unicode text')"
    elif len(head) >= 4 and head[1::2].count(0) > 0.4 * len(head[1::2]) and head[0::2].count(0) == 0:
        enc, label = "utf-16-le", "UTF-16 little-endian without a byte-order mark"
    elif len(head) >= 4 and head[0::2].count(0) > 0.4 * len(head[0::2]) and head[1::2].count(0) == 0:
        enc, label = "utf-16-be", "UTF-16 big-endian without a byte-order mark"
    else:
        enc, label = "utf-8-sig", ""
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        if enc != "utf-8-sig":
            raise _binary_error(path) from None
        text = data.decode("cp1252", errors="replace")
        label = "not UTF-8, read as Windows-1252 (cp1252)"
    if label:
        notes.append(f"{path}: {label}.")
    sample = text[:4000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in sample or controls > max(2, len(sample) // 100):
        raise _binary_error(path)
    if "\r" in text:
        crlf = text.count("\r\n")
        lone_cr = text.count("\r") - crlf
        if lone_cr:
            kind = (
                "mixed (CR, CRLF and LF)" if crlf or text.count("\n") > crlf else "CR only (old Mac format)"
            )
            notes.append(f"{path}: line endings are {kind}; each was read as a line break.")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, notes


def read_text_file(path: Path) -> tuple[str, list[str]]:
    """A CSV file's text (see ``decode_text``); UserError if empty, unreadable or binary."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(
            f"The file {path} could not be read ({exc.strerror or exc}). Check that it exists and "
            "that you may read it."
        ) from None
    if not data.strip():
        raise UserError(f"The file {path} is empty. Export the list again with its header row and data.")
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or data[:5] == b"%PDF-":
        raise UserError(
            f"The file {path} is named .csv but is not a text CSV file (it looks like an Excel, Word or PDF "
            "file). Save it as 'CSV (comma delimited)' or give the .xlsx workbook instead."
        )
    return decode_text(data, path)


_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def _delimiter(text: str, path: Path) -> tuple[str, list[str]]:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0 or counts[","] >= counts[best]:
        return ",", []
    return best, [f"{path}: read as {_DELIMITERS[best]}-delimited (not comma)."]


def _csv_header(text: str, path: Path, number: int | None) -> tuple[str, int, list[str]]:
    """(delimiter, index of the header line, notes): the delimiter and line among the first ten that
    match most of list ``number``'s template headers (title rows above the header are skipped)."""
    if number is not None:
        lines = text.split("\n", 10)[:10]
        best: tuple[int, str, int] = (0, ",", 0)
        for sep in _DELIMITERS:
            try:
                rows = list(csv.reader(lines, delimiter=sep))
            except csv.Error:
                continue
            scores = _header_scores(rows, number)
            if scores and max(scores) > best[0]:
                best = (max(scores), sep, int(np.argmax(scores)))
        if best[0] > 0:
            _, sep, h = best
            notes = [] if sep == "," else [f"{path}: read as {_DELIMITERS[sep]}-delimited (not comma)."]
            if h:
                notes.append(
                    f"{path}: the header is on line {h + 1}; the {h} line(s) above it (a title) were skipped."
                )
            return sep, h, notes
    sep, notes = _delimiter(text, path)
    return sep, 0, notes


def read_csv_source(path: Path, sheet: str = "", number: int | None = None) -> tuple[Source, list[str]]:
    """Read one CSV as text cells with its raw header; UserError if unreadable.

    With ``number`` (the Annex A list), title lines above the template header are skipped.
    """
    text, notes = read_text_file(path)
    sep, h, more = _csv_header(text, path, number)
    notes += more
    data = io.BytesIO(text.encode("utf-8"))  # a StringIO would hold 4 bytes a character
    del text
    try:
        raw = pd.read_csv(
            data,
            encoding="utf-8",
            sep=sep,
            header=None,
            skiprows=h,
            dtype=str,  # pandas strings (Arrow): compact; to_text shares one object per distinct value
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise UserError(
            f"The file {path} could not be read as a CSV file ({exc}). Check that every row has the same "
            "number of fields as the header, that text containing the delimiter is quoted, and re-export it "
            "as 'CSV (comma delimited)'."
        ) from None
    except pd.errors.EmptyDataError:
        raise UserError(f"The file {path} is empty. Export the list again with its header row.") from None
    header = [str(h).strip() for h in raw.iloc[0].tolist()]
    body = raw.iloc[1:].reset_index(drop=True)
    body = body.apply(to_text) if not body.empty else body.astype("object")
    return Source(str(path), sheet, header, body, h + 2), notes


def _open_workbook(path: Path):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        OSError,
        EOFError,
        ValueError,
        zlib.error,
    ) as exc:
        raise UserError(
            f"The workbook {path} could not be opened ({type(exc).__name__}: {exc}). It may be truncated, "
            "corrupt, password-protected or not an .xlsx file. Open it in Excel, save it again as "
            "'Excel Workbook (*.xlsx)' and retry, or export each list as CSV."
        ) from None


def _col_index(letters: bytes | str) -> int:
    """0-based column index of a spreadsheet column name (A -> 0, AB -> 27)."""
    n = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _col_letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        out = chr(65 + r) + out
    return out


_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]+)(\d+)"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>'
)


def sheet_xml_extras(xml: bytes) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int]]]:
    """Merged ranges (first col, first row, last col, last row; 0-based cols, sheet rows) and
    formula cells with no saved value (col, row) in a worksheet's XML."""
    merges = []
    if b"<mergeCell " in xml:
        merges = [(_col_index(a), int(r1), _col_index(b), int(r2)) for a, r1, b, r2 in _MERGE.findall(xml)]
    formulas = []
    if b"<f" in xml:
        formulas = [(_col_index(c), int(r)) for c, r in _FORMULA_NO_VALUE.findall(xml)]
    return merges, formulas


def _sheet_rows(ws) -> tuple[list[tuple], list[int]]:
    """The non-empty rows of a read-only worksheet and their sheet row numbers.

    The stored used range is ignored (``reset_dimensions``): a sheet formatted down to row
    1,048,576 is read to its last row with data without making a million empty rows.
    """
    ws.reset_dimensions()
    rows: list[tuple] = []
    numbers: list[int] = []
    for i, r in enumerate(ws.iter_rows(values_only=True), start=1):
        if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in r):
            rows.append(r)
            numbers.append(i)
    return rows, numbers


def _fill_merged(
    body: pd.DataFrame, numbers: np.ndarray, merges, header: list[str], where: str, n: int
) -> list[str]:
    """Fill each merged block's value down its first column (in place); one warning note per block."""
    notes = []
    pos = {num: i for i, num in enumerate(numbers.tolist())}
    for c1, r1, c2, r2 in merges:
        if r2 <= r1 or c1 >= body.shape[1] or r1 not in pos:
            continue
        below = [pos[r] for r in range(r1 + 1, r2 + 1) if r in pos]
        if not below:
            continue
        value = body.iat[pos[r1], c1]
        body.iloc[below, c1] = value
        name = header[c1] if c1 < len(header) and header[c1] else f"column {_col_letter(c1)}"
        notes.append(
            f"Warning: {where} (List {n}): merged cells {_col_letter(c1)}{r1}:{_col_letter(c2)}{r2} in column "
            f"'{name}' were filled down with '{value}' ({len(below)} row(s) below the first). Check that this "
            "is right, and unmerge the cells in Excel."
        )
    return notes


def read_workbook_sources(path: Path, lists: Iterable[int] = LISTS_READ) -> tuple[list[Source], list[str]]:
    """The Annex A list sheets of a workbook as sources; UserError if none or unreadable.

    Hidden sheets and sheets named like old copies are skipped with a note; merged cells are
    filled down with a warning; formula cells without a saved value are reported.
    """
    wb = _open_workbook(path)
    notes: list[str] = []
    sources: list[Source] = []
    wanted = set(lists)
    archive = zipfile.ZipFile(path)
    try:
        names = list(wb.sheetnames)
        found = 0
        for ws in wb.worksheets:
            n = list_number(ws.title)
            if n is None:
                notes.append(f"{path}: sheet '{ws.title}' is not an Annex A list and was ignored.")
                continue
            found += 1
            if n not in wanted:
                notes.append(
                    f"{path}: sheet '{ws.title}' (List {n}) is not used by the book and was skipped."
                )
                continue
            if getattr(ws, "sheet_state", "visible") != "visible":
                notes.append(
                    f"{path}: sheet '{ws.title}' is hidden and was skipped. If it holds the current List {n}, "
                    "unhide it in Excel (and hide or delete the old one)."
                )
                continue
            if OLD_COPY.search(ws.title):
                notes.append(
                    f"{path}: sheet '{ws.title}' looks like an old copy of List {n} and was skipped. If it is the "
                    f"current list, rename it 'List {n}'."
                )
                continue
            rows, numbers = _sheet_rows(ws)
            if not rows:
                sources.append(Source(str(path), ws.title, [], pd.DataFrame(), 2))
                continue
            h = _header_row(rows[:10], annexa_spec.LISTS[n])
            header = ["" if v is None else str(v).strip() for v in rows[h]]
            width = len(header)
            body = pd.DataFrame(
                [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows[h + 1 :]], dtype=object
            )
            row_numbers = np.asarray(numbers[h + 1 :], dtype="int64")
            where = f"{path}, sheet '{ws.title}'"
            if h:
                notes.append(
                    f"{where}: the header is on row {numbers[h]}; the row(s) above it (a title) were skipped."
                )
            worksheet_path = getattr(ws, "_worksheet_path", None)
            if worksheet_path and not body.empty:
                merges, formulas = sheet_xml_extras(archive.read(worksheet_path.lstrip("/")))
                notes += _fill_merged(body, row_numbers, merges, header, where, n)
                formulas = [(c, r) for c, r in formulas if r > numbers[h] and c < width]
                if formulas:
                    c, r = formulas[0]
                    notes.append(
                        f"Warning: {where}: {len(formulas)} formula cell(s) have no saved value and read as blank "
                        f"(first {_col_letter(c)}{r}, column '{header[c]}'). Open the workbook in Excel, let it "
                        "calculate and save it (or paste the values), then run again."
                    )
            body = body.apply(to_text) if not body.empty else body
            sources.append(Source(str(path), ws.title, header, body, int(numbers[h]) + 1, row_numbers))
    except UserError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, zlib.error) as exc:
        raise UserError(
            f"The workbook {path} is damaged and could not be read to the end ({type(exc).__name__}: {exc}). "
            "It may be truncated: copy it again or open it in Excel and save it again as .xlsx."
        ) from None
    finally:
        wb.close()
        archive.close()
    if not names:
        raise UserError(
            f"The workbook {path} has no sheets. Give the Annex A workbook with sheets List 1 to List 11."
        )
    if found == 0:
        raise UserError(
            f"The workbook {path} has no Annex A list sheets (its sheets are: {', '.join(names)}). Annex A "
            "sheets are named 'List 1' to 'List 11' (or 'List_1', 'List 1 - Contacts'); rename the sheets "
            "or check that this is the Annex A workbook."
        )
    return sources, notes


def _header_scores(rows: list, number: int) -> list[int]:
    lookup = _header_lookup(number)
    return [sum(norm_key(v) in lookup for v in r if v is not None) for r in rows]


def _header_row(rows: list[tuple], lst: annexa_spec.AnnexAList) -> int:
    """Index of the row (among the first few) that matches most template headers."""
    scores = _header_scores(rows, lst.number)
    best = int(np.argmax(scores)) if scores else 0
    return best if scores and scores[best] > 0 else 0


@cache
def _header_lookup(number: int) -> dict[str, str]:
    lst = annexa_spec.LISTS[number]
    lookup: dict[str, str] = {}
    for col in lst.columns:
        for h in (col.name, *col.aliases, col.header):
            lookup[norm_key(h)] = col.name
    return lookup


def _where(src: Source) -> str:
    return f"file {src.file}, sheet '{src.sheet}'" if src.sheet else f"file {src.file}"


def map_source(src: Source, number: int) -> tuple[pd.DataFrame, list[str]]:
    """A source's rows with canonical column names (text) and provenance; UserError on bad headers."""
    lst = annexa_spec.LISTS[number]
    lookup = _header_lookup(number)
    notes: list[str] = []
    where = _where(src)
    if not src.header or all(h == "" for h in src.header):
        raise UserError(
            f"List {number} ({lst.title}) in {where} is empty: it has no header row. Export the list "
            "with the template headers in the first row (an empty list still needs its headers)."
        )
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for pos, h in enumerate(src.header):
        if h == "":
            continue
        name = lookup.get(norm_key(h))
        if name is None:
            ignored.append(h)
            continue
        if name in positions:
            other = src.header[positions[name]]
            raise UserError(
                f"List {number} ({lst.title}) in {where} has duplicated headers: columns "
                f"{positions[name] + 1} ('{other}') and {pos + 1} ('{h}') both mean "
                f"'{lst.column(name).header}'. Delete or rename one of them so that each template column "
                "appears once."
            )
        positions[name] = pos
    missing = [c for c in lst.columns if c.required and c.name not in positions]
    if missing:
        col = missing[0]
        close = difflib.get_close_matches(
            norm_key(col.header), [norm_key(h) for h in ignored], n=1, cutoff=0.4
        )
        closest = next((h for h in ignored if close and norm_key(h) == close[0]), None)
        hint = f" The closest header found is '{closest}'." if closest else ""
        others = f" (also missing: {', '.join(repr(c.header) for c in missing[1:])})" if missing[1:] else ""
        raise UserError(
            f"List {number} ({lst.title}) in {where} has no column '{col.header}', which the book "
            f"needs{others}.{hint} Rename the header to the template's '{col.header}' (or one of its "
            "accepted variants) and run again."
        )
    if ignored:
        notes.append(
            f"{where}: List {number} columns not in the template were ignored: {', '.join(ignored)}."
        )
    n = len(src.data)
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    for col in lst.columns:
        if col.name in positions and positions[col.name] < src.data.shape[1]:
            frame[col.name] = src.data.iloc[:, positions[col.name]].to_numpy(dtype=object)
        else:
            frame[col.name] = pd.Series(pd.NA, index=frame.index, dtype="object")
    blank = frame.isna().all(axis=1)
    frame["_file"] = src.file
    frame["_sheet"] = src.sheet
    frame["_row"] = (
        src.row_numbers if src.row_numbers is not None else np.arange(n, dtype="int64") + src.first_row
    )
    return frame.loc[~blank].reset_index(drop=True), notes


# --------------------------------------------------------------------------- cleaning

EARLIEST_DATE = pd.Timestamp("1990-01-01")  # no child or care leaver's date is earlier
AGE_COLUMNS = {"age_years"}  # whole years; a fractional age is read as completed years
AGE_RANGE = (0, 30)  # ages outside this are implausible (care leavers are up to 25, older by the extract)
DOB_FUTURE_DAYS = 300  # an expected date of birth (unborn child) may lie up to this far after the extract


def _where_group(file: str, sheet: str) -> str:
    return f"file {file}, sheet '{sheet}'" if sheet else f"file {file}"


def date_orders(
    raw: pd.DataFrame, lst: annexa_spec.AnnexAList
) -> tuple[dict[tuple[str, str, str], str], list[str]]:
    """The day/month order of every date column of every file/sheet, and notes.

    A column whose values only make sense month-first (a second number above 12) is US
    order; one whose values only make sense day-first is UK order; a column that no value
    decides follows the other date columns of the same file/sheet when they agree, else UK
    order. UserError when a column's values decide both ways (or the sheet's columns
    disagree and an undecided column holds swappable dates): never a silent swap.
    """
    orders: dict[tuple[str, str, str], str] = {}
    notes: list[str] = []
    date_cols = [c for c in lst.columns if c.kind == "date"]
    for (file, sheet), grp in raw.groupby(["_file", "_sheet"], sort=True):
        where = _where_group(file, sheet)
        evidence = {c.name: order_evidence(grp[c.name]) for c in date_cols}
        for c in date_cols:
            ev = evidence[c.name]
            if ev.order == "ambiguous":
                rows = grp[c.name].astype("str").str.extract(_NUMERIC_DATE)
                first, second = pd.to_numeric(rows[0]), pd.to_numeric(rows[1])
                d_row = grp.loc[(first > 12) & (second <= 12)].iloc[0]
                m_row = grp.loc[(second > 12) & (first <= 12)].iloc[0]
                raise UserError(
                    f"In {where}, column '{c.header}' mixes day/month and month/day dates: row {d_row['_row']} "
                    f"holds '{d_row[c.name]}' (only possible as day/month) and row {m_row['_row']} holds "
                    f"'{m_row[c.name]}' (only possible as month/day), {ev.day_first} and {ev.month_first} rows "
                    "of each. The order cannot be told, so no date of this column is read. Export the column "
                    "again in one format (dd/mm/yyyy or yyyy-mm-dd) and run again."
                )
            if ev.order in (DMY, MDY):
                _excel_converted_check(grp, c, ev, where)
        decided = {ev.order for ev in evidence.values() if ev.order in (DMY, MDY)}
        undecided = []
        for c in date_cols:
            ev = evidence[c.name]
            order = ev.order
            if order is None:
                if len(decided) == 1:
                    order = next(iter(decided))
                elif len(decided) > 1 and _swappable(grp[c.name]):
                    raise UserError(
                        f"In {where}, column '{c.header}' has dates whose order cannot be told (day and month "
                        "are both 12 or less), and the other date columns of this sheet disagree (some are "
                        "day/month, some month/day). Export the dates as yyyy-mm-dd (or dd/mm/yyyy "
                        "throughout) and run again."
                    )
                else:
                    order = DMY
                    if not decided and _swappable(grp[c.name]):
                        undecided.append(f"'{c.header}'")
            orders[(file, sheet, c.name)] = order
            if order == MDY and grp[c.name].notna().any():
                how = (
                    "its values only make sense that way"
                    if ev.order == MDY
                    else "the sheet's other dates are"
                )
                notes.append(
                    f"{where}: column '{c.header}' is in US order (month/day/year) and was read as such "
                    f"({how}). Check the export settings."
                )
            if ev.two_digit_years:
                notes.append(
                    f"{where}: column '{c.header}' has {ev.two_digit_years} date(s) with a two-digit year; "
                    f"{CENTURY_RULE}."
                )
        if undecided:
            notes.append(
                f"{where}: no date in column(s) {', '.join(undecided)} tells day/month from month/day (every day "
                "is 12 or less), so they were read as day/month, the template's order. If the system exports "
                "month/day, export the dates as yyyy-mm-dd."
            )
    return orders, notes


EXCEL_SWAP_MIN = 10  # real dates needed before "all days 12 or less" counts as evidence of a swap


def _excel_converted_check(grp: pd.DataFrame, c: annexa_spec.Column, ev: OrderEvidence, where: str) -> None:
    """UserError when a column holds text dates of one order beside real dates that all have a day
    of 12 or less: the mark of Excel opening a CSV written in the other order (it converts the
    dates it can, day and month swapped, and leaves the rest as text)."""
    counts = grp[c.name].dropna().astype("str").value_counts(sort=False)  # each distinct date once
    iso = counts.index.to_series().str.extract(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]|$)")
    found = iso[0].notna().to_numpy()
    n_iso = int(counts.to_numpy()[found].sum())
    if n_iso < EXCEL_SWAP_MIN or not (iso.loc[found, 2].astype(int) <= 12).all():
        return
    order = "day/month" if ev.order == DMY else "month/day"
    raise UserError(
        f"In {where}, column '{c.header}' holds {n_iso} spreadsheet dates, every one with a day of 12 or "
        f"less, beside {max(ev.day_first, ev.month_first)} text dates that only make sense as {order}. This is "
        "what Excel does when it opens a CSV written in the other date order: it turns the dates it can into "
        "dates with day and month swapped and leaves the rest as text. Give cscbook the CSV file as the system "
        "exported it (without opening and saving it in Excel), or export the dates as yyyy-mm-dd."
    )


def _swappable(text: pd.Series) -> bool:
    """True when some numeric date reads differently day-first and month-first."""
    parts = text.dropna().astype("str").str.extract(_NUMERIC_DATE)
    first, second = pd.to_numeric(parts[0]), pd.to_numeric(parts[1])
    return bool(((first != second) & (first <= 12) & (second <= 12)).any())


def _parse_date_column(raw: pd.DataFrame, name: str, orders: dict) -> tuple[pd.Series, pd.Series]:
    """Parse a date column group by group (file/sheet), each in its own day/month order."""
    keys = pd.MultiIndex.from_frame(raw[["_file", "_sheet"]])
    groups = {(f, s, orders.get((f, s, name), DMY)) for f, s in keys.unique()}
    if len({g[2] for g in groups}) <= 1:
        return parse_dates(raw[name], next(iter(groups))[2] if groups else DMY)
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    bad = pd.Series(False, index=raw.index)
    for f, s, order in groups:
        rows = (raw["_file"] == f) & (raw["_sheet"] == s)
        p, b = parse_dates(raw.loc[rows, name], order)
        parsed.loc[rows] = p
        bad.loc[rows] = b
    return parsed, bad


def parse_ages(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Ages in whole years as Int64: a fractional age (6.138) is read as completed years (6).

    Returns (ages, mask of non-numbers, mask of fractional values).
    """
    s = pd.Series(text, copy=False).astype("object")
    present = s.notna()
    num = pd.to_numeric(s.where(present).astype("str").str.strip(), errors="coerce")
    fractional = num.notna() & (num != num.round())
    out = pd.Series(pd.array(np.floor(num), dtype="Int64"), index=s.index)
    return out, present & num.isna(), fractional


def normalise_ids(ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Identifiers with a spreadsheet's number format undone (``7287.0`` -> ``7287``); returns (ids, changed)."""
    s = pd.Series(ids, copy=False)
    changed = s.str.fullmatch(r"\d+\.0+").fillna(False).astype(bool)
    if changed.any():
        s = s.where(~changed, s.str.replace(r"\.0+$", "", regex=True))
    return s, changed


def _chronology(lst: annexa_spec.AnnexAList) -> list[tuple[str, str, str]]:
    """(earlier, later, severity) pairs checked on a list: the fixed pairs plus date of birth
    before every other date column (a warning: pre-birth work with an expected date of birth)."""
    pairs = [(e, late, sev) for tbl, e, late, sev in CHRONOLOGY if tbl == lst.table]
    have = {(e, late) for e, late, _ in pairs}
    dates = [c.name for c in lst.columns if c.kind == "date"]
    if "date_of_birth" in dates:
        pairs += [
            ("date_of_birth", c, dq.WARNING)
            for c in dates
            if c != "date_of_birth" and ("date_of_birth", c) not in have
        ]
    return pairs


def clean_list(
    number: int,
    raw: pd.DataFrame,
    files: list[str] | None = None,
    notes: list[str] | None = None,
    extract_date: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Canonical table, log and accounting for one list from its mapped raw rows (all sources).

    ``notes`` (when given) receives what was read in a particular way (US date order, two-digit
    years, fractional ages, identifiers like ``7287.0``). ``extract_date`` (default today) is
    the latest plausible event date.
    """
    lst = annexa_spec.LISTS[number]
    table = lst.table
    notes = notes if notes is not None else []
    latest = (
        pd.Timestamp(extract_date).normalize()
        if extract_date is not None
        else pd.Timestamp.today().normalize()
    )
    logs: list[pd.DataFrame] = []
    out = pd.DataFrame(index=raw.index)
    error = pd.Series(False, index=raw.index)
    key = KEY_DATE[table]
    orders, more = date_orders(raw, lst)
    notes += more

    for col in lst.columns:
        values = raw[col.name]
        if col.kind == "date":
            parsed, bad = _parse_date_column(raw, col.name, orders)
            if col.required:
                all_text_check(raw, col.name, col.header, parsed, bad)
            sev = dq.ERROR if col.name == key else dq.WARNING
            logs.append(
                dq.issues(raw, bad, column=col.name, reason=dq.UNPARSEABLE_DATE, severity=sev, table=table)
            )
            limit = latest + pd.Timedelta(days=DOB_FUTURE_DAYS) if col.name == "date_of_birth" else latest
            odd = (parsed < EARLIEST_DATE) | (parsed > limit)
            if odd.any():
                text = values.astype("str") + np.where(
                    parsed < EARLIEST_DATE, " (before 1990)", f" (after the extract date {latest:%Y-%m-%d})"
                )
                logs.append(
                    dq.issues(
                        raw,
                        odd,
                        column=col.name,
                        reason=dq.IMPLAUSIBLE_DATE,
                        severity=sev,
                        table=table,
                        values=text,
                    )
                )
                parsed = parsed.where(~odd)
            if sev == dq.ERROR:
                error |= bad | odd
            out[col.name] = parsed
        elif col.kind == "code":
            mapped, bad = map_codes(values, col.codelist)
            logs.append(
                dq.issues(
                    raw, bad, column=col.name, reason=dq.UNMAPPED_CODE, severity=dq.WARNING, table=table
                )
            )
            out[col.name] = mapped
        elif col.name in AGE_COLUMNS:
            ages, bad, fractional = parse_ages(values)
            logs.append(
                dq.issues(
                    raw, bad, column=col.name, reason=dq.UNPARSEABLE_NUMBER, severity=dq.WARNING, table=table
                )
            )
            odd = ((ages < AGE_RANGE[0]) | (ages > AGE_RANGE[1])).fillna(False).astype(bool)
            logs.append(
                dq.issues(
                    raw, odd, column=col.name, reason=dq.IMPLAUSIBLE_VALUE, severity=dq.WARNING, table=table
                )
            )
            ages = ages.mask(odd)
            if fractional.any():
                example = values[fractional].iloc[0]
                notes.append(
                    f"List {number} ({table}): {int(fractional.sum())} age(s) in '{col.header}' have a fraction "
                    f"(e.g. {example}) and were read as completed years ({int(float(example))})."
                )
            out[col.name] = ages
        elif col.kind == "int":
            ints, bad = parse_ints(values)
            logs.append(
                dq.issues(
                    raw, bad, column=col.name, reason=dq.UNPARSEABLE_NUMBER, severity=dq.WARNING, table=table
                )
            )
            out[col.name] = ints
        else:
            ids = as_id(values)
            if col.kind == "id":
                ids, changed = normalise_ids(ids)
                if changed.any():
                    notes.append(
                        f"List {number} ({table}): {int(changed.sum())} identifier(s) in '{col.header}' ended in "
                        f"'.0' (a number format), e.g. '{values[changed].iloc[0]}', and were read without it."
                    )
            out[col.name] = ids

    for name in ("child_id", key):
        if name is None:
            continue
        miss = raw[name].isna()
        logs.append(
            dq.issues(raw, miss, column=name, reason=dq.MISSING_REQUIRED, severity=dq.ERROR, table=table)
        )
        error |= miss

    for early, late, sev in _chronology(lst):
        bad = (out[late] < out[early]).fillna(False)
        if not bad.any():
            continue
        text = (
            late
            + " "
            + out[late].dt.strftime("%Y-%m-%d").fillna("")
            + " before "
            + early
            + " "
            + out[early].dt.strftime("%Y-%m-%d").fillna("")
        )
        logs.append(
            dq.issues(
                raw, bad, column=late, reason=dq.IMPOSSIBLE_CHRONOLOGY, severity=sev, table=table, values=text
            )
        )
        if sev == dq.ERROR:
            error |= bad

    cols = [c.name for c in lst.columns]
    kept = out.loc[~error]
    dup = kept.duplicated(subset=cols, keep="first")
    logs.append(
        dq.issues(
            raw.loc[kept.index],
            dup,
            column="",
            reason=dq.DUPLICATE,
            severity=dq.INFO,
            table=table,
            values=pd.Series("exact repeat of an earlier row", index=kept.index),
        )
    )
    kept = kept.loc[~dup]
    acc = dq.accounting(table, raw, raw.loc[kept.index], files)
    sort_by = [c for c in (key, "child_id") if c]
    final = kept.sort_values(sort_by, kind="stable", na_position="last")[cols].reset_index(drop=True)
    return final, dq.concat_logs(logs), acc


def all_text_check(raw: pd.DataFrame, name: str, header: str, parsed: pd.Series, bad: pd.Series) -> None:
    """UserError when a required date column of a sheet/file holds no date and text in most rows."""
    if raw.empty:
        return
    stats = (
        pd.DataFrame(
            {"_file": raw["_file"], "_sheet": raw["_sheet"], "bad": bad, "ok": parsed.notna(), "n": 1}
        )
        .groupby(["_file", "_sheet"], sort=True)[["bad", "ok", "n"]]
        .sum()
    )
    hit = stats[(stats["ok"] == 0) & (stats["bad"] > 0) & (stats["bad"] * 2 >= stats["n"])]
    if hit.empty:
        return
    file, sheet = hit.index[0]
    first = raw.loc[bad & (raw["_file"] == file) & (raw["_sheet"] == sheet)].iloc[0]
    where = f"file {file}, sheet '{sheet}'" if sheet else f"file {file}"
    raise UserError(
        f"In {where}, column '{header}' has no readable date in any row (row {first['_row']} holds "
        f"'{first[name]}'). Dates must be real spreadsheet dates, dd/mm/yyyy or yyyy-mm-dd; check that "
        "the column holds dates and not text, and that the headers are not shifted."
    )


# --------------------------------------------------------------------------- entry point


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the files inside named folders (recursively, sorted)."""
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_symlink() and not path.exists():
            resolve_path(path, "path")  # a loop: UserError
            raise UserError(
                f"The path {path} is a symbolic link to {path.readlink()}, which does not exist. "
                "Fix the link or give the real file or folder."
            )
        if not path.exists():
            raise UserError(
                f"The path {path} does not exist. Check the file or folder name (and the params file)."
            )
        if path.is_dir():
            files += sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith((".", "~$")))
        else:
            files.append(path)
    return files


@dataclass(frozen=True)
class CsvList:
    """A CSV file holding one list, read only when that list is cleaned (``load_source``), so
    one list's text is in memory at a time rather than the whole extract's."""

    path: Path
    number: int


def load_source(item: Source | CsvList) -> tuple[Source, list[str]]:
    """The source itself (a workbook's sheet, read already) or the CSV read now."""
    return read_csv_source(item.path, number=item.number) if isinstance(item, CsvList) else (item, [])


def _label(item: Source | CsvList) -> tuple[str, str]:
    return (str(item.path), "") if isinstance(item, CsvList) else (item.file, item.sheet)


def annex_a_sources(paths: Iterable[str | Path]) -> tuple[dict[int, list[Source | CsvList]], list[str]]:
    """Find every Annex A list source under the paths (workbooks read now, CSV files when used)."""
    by_list: dict[int, list[Source | CsvList]] = {}
    notes: list[str] = []
    for p in paths:
        path = Path(p)
        files = expand_paths([path])
        explicit = not path.is_dir()
        n_found = 0
        for f in files:
            suffix = f.suffix.lower()
            if suffix in XLSX_SUFFIXES:
                sources, more = read_workbook_sources(f)
                notes += more
                for s in sources:
                    by_list.setdefault(list_number(s.sheet) or 0, []).append(s)
                n_found += 1
            elif suffix == ".csv" and list_number(f.stem) is not None:
                n = list_number(f.stem)
                if n not in LISTS_READ:
                    notes.append(f"{f}: List {n} is not used by the book and was skipped.")
                    n_found += 1
                    continue
                if OLD_COPY.search(f.stem):
                    notes.append(
                        f"{f}: looks like an old copy of List {n} and was skipped. If it is the current list, "
                        f"rename it 'List {n}.csv'."
                    )
                    n_found += 1
                    continue
                by_list.setdefault(n, []).append(CsvList(f, n))
                n_found += 1
            elif explicit:
                raise UserError(_wrong_type(f))
            elif suffix in {".xls", ".csv"}:
                notes.append(f"{f}: not an Annex A list (no 'List N' in its name) and was ignored.")
        if n_found == 0:
            raise UserError(
                f"No Annex A lists were found in {path}. Give an .xlsx workbook with sheets 'List 1' to "
                "'List 11', or a folder of CSV files whose names contain the list number ('List 1.csv')."
            )
    return by_list, notes


def _wrong_type(f: Path) -> str:
    if f.suffix.lower() == ".xls":
        return (
            f"The file {f} is an old-format Excel (.xls) workbook, which cannot be read. Open it in Excel "
            "and save it as 'Excel Workbook (*.xlsx)'."
        )
    if f.suffix.lower() == ".csv":
        return (
            f"The file {f} is a CSV file but its name does not say which Annex A list it holds. Rename it "
            "to include the list number, e.g. 'List 3 Referrals.csv', or put the lists in one folder."
        )
    return (
        f"The file {f} is not an Annex A extract (a {f.suffix or 'file without an extension'}). Give the "
        "Annex A workbook (.xlsx), a folder of list CSV files, or SSDA903 CSV files."
    )


def read_annex_a(paths: list[str | Path], extract_date: pd.Timestamp | None = None) -> dq.ReadResult:
    """Read Annex A workbooks/folders into canonical tables (lists 1-9) with log and accounting.

    Tables are named as in ``annexa_spec`` (contacts, early_help, referrals, ...); a list not
    found in any path is absent from ``tables`` and named in ``missing``. See the module
    docstring for the cleaning rules. ``extract_date`` (default today) is the latest plausible
    event date.
    """
    by_list, notes = annex_a_sources(paths)
    missing = [f"List {n} ({annexa_spec.LISTS[n].table})" for n in LISTS_READ if n not in by_list]
    tables: dict[str, pd.DataFrame] = {}
    logs: list[pd.DataFrame] = []
    accounts: list[pd.DataFrame] = []
    for number in LISTS_READ:
        sources = by_list.pop(number, None)  # let each list's raw text go once it is cleaned
        if not sources:
            continue
        frames = []
        for item in sources:
            src, more = load_source(item)
            notes += more
            frame, more = map_source(src, number)
            notes += more
            frames.append(frame)
            del src
        labels = [_label(item) for item in sources]
        if len(sources) > 1:
            named = "; ".join(_where_group(f, sh) for f, sh in labels)
            notes.append(
                f"List {number} was read from {len(sources)} sources ({named}): their rows were merged and exact "
                "repeats kept once. If one of them is an old copy, remove it."
            )
        raw = pd.concat(frames, ignore_index=True)
        del frames
        table, log, acc = clean_list(number, raw, [f for f, _ in labels], notes, extract_date)
        del raw
        tables[annexa_spec.LISTS[number].table] = table
        logs.append(log)
        accounts.append(acc)
    return dq.ReadResult(tables, dq.concat_logs(logs), dq.concat_accounting(accounts), notes, missing)
