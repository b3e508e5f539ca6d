"""Read SSDA903 (children looked after return) CSV files into canonical tables.

Tables: ``cla_header`` (child_id, sex M/F, date_of_birth, ethnicity), ``cla_episodes``
(child_id, episode_start, episode_end (NaT when open), reason_new_episode, legal_status,
category_of_need, placement_type, placement_provider, reason_episode_ceased,
reason_place_change, home_postcode, placement_postcode, urn; sorted by child_id,
episode_start) and, when a UASC file is given, ``cla_uasc`` (child_id, sex,
date_of_birth, uasc_ceased_date).

Inputs are CSV files or folders of them, for one or more collection years. A file's kind
comes from its columns: episodes have CHILD and DECOM; UASC files have CHILD and DUC;
header files have CHILD, SEX and DOB; other CSVs in a folder are ignored (and noted). The
collection year comes from the file name (``2023-24`` or ``2024`` is the year ending
31 March 2024) or else from the names of the folders above it; files without a year sort
first, in path order.

Merge rules across collection years:

1. The same episode (same CHILD and DECOM) in several files: the version from the latest
   collection year is kept (its DEC/REC may close an episode that was open the year before);
   earlier versions are logged (``duplicate`` when identical, ``superseded by a later
   collection year`` otherwise; severity ``info``). Two different versions in the same
   collection year: the later row in file order is kept and the other logged as an
   ``error`` ``duplicate`` (conflicting versions).
2. Header and UASC rows: one per child, the latest collection year's version, by the same rule.
3. An episode with no CHILD, or a blank or unparseable DECOM or an unparseable DEC, is
   excluded (``error``); an episode ending before it starts is excluded as ``impossible
   chronology``.
4. Overlap: when an episode starts (DECOM) before the previous episode of the same child has
   ended (DEC later than that DECOM, or DEC blank), the earlier episode is ended at the later
   DECOM (a blank REC becomes X1, "episode ceases and new episode begins on the same day")
   and logged as an ``overlapping episode`` warning.
5. The last open episode (DEC blank) stays open: ``episode_end`` is NaT.

Dates are dd/mm/yyyy (ISO and Excel serial numbers are also accepted); SEX 1/2 -> M/F.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.config.errors import UserError
from cscbook.data import codes, dq
from cscbook.data.ingest import all_text_check, as_id, expand_paths, map_codes, parse_dates, read_csv_source

# canonical name: (DfE column, kind, code list or None, required)
EPISODE_COLUMNS: dict[str, tuple[str, str, codes.CodeList | None, bool]] = {
    "child_id": ("CHILD", "id", None, True),
    "episode_start": ("DECOM", "date", None, True),
    "episode_end": ("DEC", "date", None, True),
    "reason_new_episode": ("RNE", "code", codes.REASON_NEW_EPISODE, False),
    "legal_status": ("LS", "code", codes.LEGAL_STATUS, False),
    "category_of_need": ("CIN", "code", codes.PRIMARY_NEED, False),
    "placement_type": ("PLACE", "code", codes.PLACEMENT_TYPE, False),
    "placement_provider": ("PLACE_PROVIDER", "code", codes.PLACEMENT_PROVIDER, False),
    "reason_episode_ceased": ("REC", "code", codes.REASON_EPISODE_CEASED, False),
    "reason_place_change": ("REASON_PLACE_CHANGE", "str", None, False),
    "home_postcode": ("HOME_POST", "str", None, False),
    "placement_postcode": ("PL_POST", "str", None, False),
    "urn": ("URN", "str", None, False),
}
HEADER_COLUMNS = {
    "child_id": ("CHILD", "id", None, True),
    "sex": ("SEX", "sex", None, True),
    "date_of_birth": ("DOB", "date", None, True),
    "ethnicity": ("ETHNIC", "code", codes.ETHNICITY, False),
}
UASC_COLUMNS = {
    "child_id": ("CHILD", "id", None, True),
    "sex": ("SEX", "sex", None, False),
    "date_of_birth": ("DOB", "date", None, False),
    "uasc_ceased_date": ("DUC", "date", None, True),
}
SPECS = {"cla_episodes": EPISODE_COLUMNS, "cla_header": HEADER_COLUMNS, "cla_uasc": UASC_COLUMNS}
KEYS = {"cla_episodes": ["child_id", "episode_start"], "cla_header": ["child_id"], "cla_uasc": ["child_id"]}
SEX_CATEGORIES = ["M", "F"]


def _col_key(h: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", str(h).strip().upper()).strip("_")


def file_kind(columns: list[str]) -> str | None:
    """``cla_episodes``, ``cla_uasc``, ``cla_header`` or None, from a file's column names."""
    cols = {_col_key(c) for c in columns}
    if "CHILD" not in cols:
        return None
    if "DECOM" in cols:
        return "cla_episodes"
    if "DUC" in cols:
        return "cla_uasc"
    if {"SEX", "DOB"} <= cols:
        return "cla_header"
    return None


def collection_year(path: Path) -> int:
    """Collection year (ending 31 March) from the file name or its folders; 0 when none is found."""
    for part in [path.stem, *[p.name for p in path.parents]]:
        m = re.search(r"(?<!\d)(20\d{2})\s*[-_/ ]\s*(\d{2})(?!\d)", part)
        if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
            return int(m.group(1)) + 1
        m = re.search(r"(?<!\d)(20\d{2})(?!\d)", part)
        if m:
            return int(m.group(1))
    return 0


def _frame(src, table: str, year: int, seq: int) -> pd.DataFrame:
    """Rename a source's columns to canonical names; UserError for missing or duplicated columns."""
    spec = SPECS[table]
    keys = [_col_key(h) for h in src.header]
    positions: dict[str, int] = {}
    for pos, k in enumerate(keys):
        if k in positions:
            raise UserError(
                f"The SSDA903 file {src.file} has the column {k} twice (columns {positions[k] + 1} and "
                f"{pos + 1}). Delete one of them so that each column appears once."
            )
        positions[k] = pos
    missing = [dfe for dfe, _, _, req in spec.values() if req and dfe not in positions]
    if missing:
        known = {dfe for dfe, *_ in spec.values()}
        close = difflib.get_close_matches(missing[0], [k for k in positions if k not in known], n=1, cutoff=0.5)
        hint = f" The closest column found is '{src.header[positions[close[0]]]}'." if close else ""
        raise UserError(
            f"The SSDA903 {table.replace('cla_', '')} file {src.file} has no column {missing[0]}, which the "
            f"book needs.{hint} Use the DfE SSDA903 column names ({', '.join(d for d, *_ in spec.values())})."
        )
    n = len(src.data)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    for name, (dfe, *_rest) in spec.items():
        if dfe in positions and positions[dfe] < src.data.shape[1]:
            out[name] = src.data.iloc[:, positions[dfe]].to_numpy(dtype=object)
        else:
            out[name] = pd.Series(pd.NA, index=out.index, dtype="object")
    blank = out.isna().all(axis=1)
    out["_file"] = src.file
    out["_sheet"] = ""
    out["_row"] = np.arange(n, dtype="int64") + src.first_row
    out["_year"] = year
    out["_seq"] = seq * 10_000_000 + np.arange(n, dtype="int64")
    return out.loc[~blank].reset_index(drop=True)


def _convert(raw: pd.DataFrame, table: str) -> tuple[pd.DataFrame, pd.Series, list[pd.DataFrame]]:
    """Typed columns, an error mask and the log entries for one table's raw rows."""
    spec = SPECS[table]
    out = pd.DataFrame(index=raw.index)
    error = pd.Series(False, index=raw.index)
    logs = []
    for name, (dfe, kind, codelist, required) in spec.items():
        v = raw[name]
        if kind == "date":
            parsed, bad = parse_dates(v)
            if required:
                all_text_check(raw, name, dfe, parsed, bad)
            fatal = name in ("episode_start", "episode_end")
            sev = dq.ERROR if fatal else dq.WARNING
            logs.append(dq.issues(raw, bad, column=dfe, values=v, reason=dq.UNPARSEABLE_DATE, severity=sev, table=table))
            if fatal:
                error |= bad
            out[name] = parsed
        elif kind == "code":
            mapped, bad = map_codes(v, codelist)
            logs.append(dq.issues(raw, bad, column=dfe, values=v, reason=dq.UNMAPPED_CODE, severity=dq.WARNING, table=table))
            out[name] = mapped
        elif kind == "sex":
            key = v.astype("object").where(v.notna()).map(
                lambda x: codes.SSDA903_SEX.get(str(x).strip(), str(x).strip().upper()[:1]) if pd.notna(x) else x
            )
            key = key.where(key.isin(SEX_CATEGORIES))
            mapped = pd.Series(pd.Categorical(key, categories=SEX_CATEGORIES), index=v.index)
            bad = v.notna() & mapped.isna()
            logs.append(dq.issues(raw, bad, column=dfe, values=v, reason=dq.UNMAPPED_CODE, severity=dq.WARNING, table=table))
            out[name] = mapped
        else:
            out[name] = as_id(v)
    for name in KEYS[table]:
        miss = raw[name].isna()
        logs.append(
            dq.issues(raw, miss, column=spec[name][0], values=raw[name], reason=dq.MISSING_REQUIRED,
                      severity=dq.ERROR, table=table)
        )
        error |= miss
    if table == "cla_episodes":
        bad = (out["episode_end"] < out["episode_start"]).fillna(False)
        text = (
            "DEC " + out["episode_end"].dt.strftime("%d/%m/%Y").fillna("") + " before DECOM "
            + out["episode_start"].dt.strftime("%d/%m/%Y").fillna("")
        )
        logs.append(
            dq.issues(raw, bad, column="DEC", values=text, reason=dq.IMPOSSIBLE_CHRONOLOGY, severity=dq.ERROR,
                      table=table)
        )
        error |= bad
    return out, error, logs


def _resolve_versions(
    typed: pd.DataFrame, raw: pd.DataFrame, table: str
) -> tuple[pd.Index, list[pd.DataFrame]]:
    """Index of the rows kept (latest collection year per key) and log entries for the others."""
    cols = list(SPECS[table])
    keys = KEYS[table]
    order = raw.loc[typed.index].sort_values(["_year", "_seq"], kind="stable").index
    t = typed.loc[order]
    keep_mask = ~t.duplicated(subset=keys, keep="last")
    kept = t.loc[keep_mask]
    dropped = t.loc[~keep_mask]
    if dropped.empty:
        return kept.index, []
    # Compare each dropped row with the kept version of its key.
    ref = kept[keys].reset_index(names="_kept_idx")
    d = dropped[keys].reset_index(names="_idx").merge(ref, on=keys, how="left")
    d = d.set_index("_idx")
    kept_rows = typed.loc[d["_kept_idx"].to_numpy(), cols].reset_index(drop=True)
    drop_rows = typed.loc[d.index, cols].reset_index(drop=True)
    same = (kept_rows.astype("object").fillna("<NA>").astype(str) == drop_rows.astype("object").fillna("<NA>").astype(str)).all(axis=1)
    same.index = d.index
    year_dropped = raw.loc[d.index, "_year"]
    year_kept = pd.Series(raw.loc[d["_kept_idx"].to_numpy(), "_year"].to_numpy(), index=d.index)
    kept_where = (
        raw.loc[d["_kept_idx"].to_numpy(), "_file"].astype(str).to_numpy() + " row "
        + raw.loc[d["_kept_idx"].to_numpy(), "_row"].astype(str).to_numpy()
    )
    kept_where = pd.Series(kept_where, index=d.index)
    r = raw.loc[d.index]
    key_col = SPECS[table][keys[-1]][0]
    logs = [
        dq.issues(r, same, column=key_col, values="same as " + kept_where, reason=dq.DUPLICATE,
                  severity=dq.INFO, table=table),
        dq.issues(r, ~same & (year_dropped < year_kept), column=key_col, values="later version: " + kept_where,
                  reason=dq.SUPERSEDED, severity=dq.INFO, table=table),
        dq.issues(r, ~same & (year_dropped >= year_kept), column=key_col,
                  values="conflicting version in the same collection year; kept " + kept_where,
                  reason=dq.DUPLICATE, severity=dq.ERROR, table=table),
    ]
    return kept.index, logs


def _resolve_overlaps(ep: pd.DataFrame, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """End each episode no later than the next episode's start for the same child (rule 4)."""
    ep = ep.sort_values(["child_id", "episode_start"], kind="stable")
    next_start = ep.groupby("child_id", sort=False)["episode_start"].shift(-1)
    overlap = next_start.notna() & (ep["episode_end"].isna() | (ep["episode_end"] > next_start))
    text = (
        "ended at next DECOM " + next_start.dt.strftime("%d/%m/%Y").fillna("") + " (DEC was "
        + ep["episode_end"].dt.strftime("%d/%m/%Y").fillna("blank") + ")"
    )
    log = dq.issues(raw.loc[ep.index], overlap, column="DEC", values=text, reason=dq.OVERLAPPING_EPISODE,
                    severity=dq.WARNING, table="cla_episodes")
    ep = ep.copy()
    ep.loc[overlap, "episode_end"] = next_start[overlap]
    fill_x1 = overlap & ep["reason_episode_ceased"].isna()
    ep.loc[fill_x1, "reason_episode_ceased"] = "X1"
    return ep, log


def read_ssda903(paths: list[str | Path]) -> dq.ReadResult:
    """Read SSDA903 header/episodes(/UASC) CSVs for one or more years, merged by the module's rules."""
    files = expand_paths(paths)
    notes: list[str] = []
    raws: dict[str, list[pd.DataFrame]] = {t: [] for t in SPECS}
    sources: dict[str, list[str]] = {t: [] for t in SPECS}
    for seq, f in enumerate(files):
        if f.suffix.lower() != ".csv":
            if f in [Path(p) for p in paths]:
                raise UserError(
                    f"The file {f} is not an SSDA903 CSV file. Give the SSDA903 header and episodes files "
                    "as CSV (DfE column names CHILD, DECOM, ...) or a folder of them."
                )
            continue
        src, more = read_csv_source(f)
        kind = file_kind(src.header)
        if kind is None:
            if f in [Path(p) for p in paths]:
                raise UserError(
                    f"The file {f} is not an SSDA903 header or episodes file: its columns "
                    f"({', '.join(src.header[:8])}) do not include CHILD with DECOM (episodes) or CHILD, SEX "
                    "and DOB (header). Check the file, or use the DfE SSDA903 column names."
                )
            notes.append(f"{f}: not an SSDA903 header, episodes or UASC file; ignored.")
            continue
        notes += more
        year = collection_year(f)
        if year == 0:
            notes.append(f"{f}: no collection year in its name or folder; treated as the earliest year.")
        raws[kind].append(_frame(src, kind, year, seq))
        sources[kind].append(src.file)
    if not any(raws.values()):
        raise UserError(
            f"No SSDA903 files were found in {', '.join(str(p) for p in paths)}. Give the header and episodes "
            "CSV files (DfE column names CHILD, SEX, DOB / CHILD, DECOM, DEC, ...) or a folder of them."
        )
    tables: dict[str, pd.DataFrame] = {}
    logs: list[pd.DataFrame] = []
    accounts: list[pd.DataFrame] = []
    missing = []
    for table, frames in raws.items():
        if not frames:
            if table != "cla_uasc":
                missing.append(f"SSDA903 {table}")
            continue
        raw = pd.concat(frames, ignore_index=True)
        typed, error, tlogs = _convert(raw, table)
        logs += tlogs
        kept_idx, vlogs = _resolve_versions(typed.loc[~error], raw, table)
        logs += vlogs
        kept = typed.loc[kept_idx]
        if table == "cla_episodes":
            kept, olog = _resolve_overlaps(kept, raw)
            logs.append(olog)
        accounts.append(dq.accounting(table, raw, raw.loc[kept.index], sources[table]))
        out = kept.sort_values(KEYS[table], kind="stable")[list(SPECS[table])].reset_index(drop=True)
        tables[table] = out
    return dq.ReadResult(tables, dq.concat_logs(logs), dq.concat_accounting(accounts), notes, missing)
