"""Read SSDA903 (children looked after return) CSV files into canonical tables.

Tables: ``cla_header`` (child_id, sex M/F, date_of_birth, ethnicity), ``cla_episodes``
(child_id, episode_start, episode_end (NaT when open), reason_new_episode, legal_status,
category_of_need, placement_type, placement_provider, reason_episode_ceased,
reason_place_change, home_postcode, placement_postcode, urn; sorted by child_id,
episode_start), when a UASC file is given ``cla_uasc`` (child_id, sex, date_of_birth,
uasc_ceased_date) and, when a social worker episodes file is given (collected from 2023-24),
``social_worker_episodes`` (child_id, sw_id, sw_decom, sw_dec (NaT when open), sw_reason).

Inputs are CSV files or folders of them, for one or more collection years. A file's kind
comes from its columns (``file_kind``): episodes have CHILD and DECOM; UASC files CHILD and
DUC; social worker episodes CHILD and SW_ID; header files CHILD, SEX and DOB. The other
files an authority exports (AD1, placed for adoption, missing, reviews, OC2, OC3, PrevPerm,
deprivation of liberty orders) are recognised, counted and noted, not used. A file with no
rows (blank, or a header row only) is skipped with a note; other CSVs in a folder are ignored
(and noted).

Collection year (``2024`` = 2023-24, the year ending 31 March 2024): from the file name
(``2023-24`` or ``2024``) or else the names of the folders above it, checked against the
file's contents (the collection year of its latest DECOM/DEC or SW_DECOM/SW_DEC); a mismatch
is noted, and a file holding dates after its named year is read as the later year (a year's
file cannot hold them). Files with no year in their name take it from their dates; with
neither, they sort first, in path order.

Each year's specification (``codes.SSDA903_*``, DEFINITIONS.md): SEX 1/2 until 2023-24 and
M/F/U from 2024-25 (U, not known, is read as blank); placement codes K3 from 2024-25, Z11-Z14
from 2025-26, H5/P2/Z1 until 2024-25 and P2 not after 28 October 2023; social worker episodes
from 2023-24. A code valid only in another year is read as it is and logged as a warning
(``code from another collection year``), never dropped.

Merge rules across collection years:

1. The same episode (same CHILD and DECOM) in several files: the version from the latest
   collection year is kept (its DEC/REC may close an episode that was open the year before);
   earlier versions are logged (``duplicate`` when identical, ``superseded by a later
   collection year`` otherwise; severity ``info``). Two different versions in the same
   collection year: the later row in file order is kept and the other logged as an
   ``error`` ``duplicate`` (conflicting versions).
2. Header, UASC rows: one per child; social worker episodes: one per CHILD and SW_DECOM; the
   latest collection year's version, by the same rule.
3. An episode with no CHILD, or a blank or unparseable DECOM or an unparseable DEC, is
   excluded (``error``); an episode ending before it starts is excluded as ``impossible
   chronology``. Social worker episodes likewise with SW_DECOM and SW_DEC.
4. Overlap: when an episode starts (DECOM) before the previous episode of the same child has
   ended (DEC later than that DECOM, or DEC blank), the earlier episode is ended at the later
   DECOM (a blank REC becomes X1, "episode ceases and new episode begins on the same day")
   and logged as an ``overlapping episode`` warning.
5. The last open episode (DEC blank) stays open: ``episode_end`` is NaT.

Cross-checks, logged as warnings and never dropping a row: episodes of a child with no header
row, a header row with no episodes, a date of birth after an episode's DECOM, a reason
episode ceased (REC) on an open episode (DEC blank).

Dates are dd/mm/yyyy (ISO and Excel serial numbers are also accepted).
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
SW_EPISODE_COLUMNS = {
    "child_id": ("CHILD", "id", None, True),
    "sw_id": ("SW_ID", "str", None, True),
    "sw_decom": ("SW_DECOM", "date", None, True),
    "sw_dec": ("SW_DEC", "date", None, True),
    "sw_reason": ("SW_REASON", "code", codes.SW_REASON, False),
}
SPECS = {"cla_episodes": EPISODE_COLUMNS, "cla_header": HEADER_COLUMNS, "cla_uasc": UASC_COLUMNS,
         "social_worker_episodes": SW_EPISODE_COLUMNS}  # fmt: skip
KEYS = {"cla_episodes": ["child_id", "episode_start"], "cla_header": ["child_id"], "cla_uasc": ["child_id"],
        "social_worker_episodes": ["child_id", "sw_decom"]}  # fmt: skip
# table -> (start, end) date columns: both excluded when unparseable, and end before start
CHRONOLOGY = {
    "cla_episodes": ("episode_start", "episode_end"),
    "social_worker_episodes": ("sw_decom", "sw_dec"),
}
OPTIONAL_TABLES = {"cla_uasc", "social_worker_episodes"}
LABELS = {"cla_episodes": "episodes", "cla_header": "header", "cla_uasc": "UASC",
          "social_worker_episodes": "social worker episodes"}  # fmt: skip
SEX_CATEGORIES = ["M", "F"]
# auxiliary files recognised but not used by the book: kind -> (label, columns that identify it)
AUXILIARY = {
    "ad1": ("AD1 (adoption)", {"DATE_INT", "DATE_MATCH"}),
    "placed_for_adoption": ("placed for adoption", {"DATE_PLACED"}),
    "missing": ("missing", {"MIS_START"}),
    "reviews": ("reviews", {"REVIEW"}),
    "oc2": ("OC2 (outcomes)", {"SDQ_SCORE", "HEALTH_CHECK", "CONVICTED"}),
    "oc3": ("OC3 (care leavers)", {"IN_TOUCH", "ACTIV"}),
    "prev_perm": ("PrevPerm (previous permanence)", {"PREV_PERM"}),
    "deprivation_of_liberty": ("deprivation of liberty orders", {"DOLO_START"}),
}
# data-quality log reasons of this reader
OTHER_YEAR_CODE = "code from another collection year"
NO_HEADER = "episodes without a header row"
NO_EPISODES = "header without episodes"
DOB_AFTER_DECOM = "date of birth after DECOM"
REC_ON_OPEN = "REC on an open episode"


def _col_key(h: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", str(h).strip().upper()).strip("_")


def file_kind(columns: list[str]) -> str | None:
    """The canonical table a file feeds (``cla_episodes``, ``cla_uasc``, ``social_worker_episodes``,
    ``cla_header``), an ``AUXILIARY`` kind, or None, from its column names."""
    cols = {_col_key(c) for c in columns}
    if "CHILD" not in cols:
        return None
    if "DECOM" in cols:
        return "cla_episodes"
    if "DUC" in cols:
        return "cla_uasc"
    if "SW_ID" in cols or "SW_DECOM" in cols:
        return "social_worker_episodes"
    for kind, (_label, marks) in AUXILIARY.items():
        if cols & marks:
            return kind
    if {"SEX", "DOB"} <= cols:
        return "cla_header"
    return None


def date_year(d: pd.Series) -> pd.Series:
    """Collection year (ending 31 March) of each date: 2024 for 1 April 2023 to 31 March 2024."""
    return (d.dt.year + (d.dt.month >= 4).astype("Int64")).astype("Int64")


def content_year(src, kind: str) -> int:
    """Collection year of a file's latest DECOM/DEC (episodes) or SW_DECOM/SW_DEC; 0 when none."""
    cols = {"cla_episodes": ("DECOM", "DEC"), "social_worker_episodes": ("SW_DECOM", "SW_DEC")}.get(kind)
    if not cols or src.data.empty:
        return 0
    keys = [_col_key(h) for h in src.header]
    latest = pd.NaT
    for c in cols:
        if c in keys and keys.index(c) < src.data.shape[1]:
            parsed, _bad = parse_dates(src.data.iloc[:, keys.index(c)])
            if parsed.notna().any():
                latest = parsed.max() if pd.isna(latest) else max(latest, parsed.max())
    if pd.isna(latest):
        return 0
    return int(latest.year + (latest.month >= 4))


def is_blank_file(path: Path) -> bool:
    """True for a file holding nothing but whitespace (and a byte-order mark)."""
    data = path.read_bytes()[:4096]
    if len(data) == 4096:
        return False
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        data = data.replace(bom, b"")
    return not data.replace(b"\x00", b"").strip()


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
        close = difflib.get_close_matches(
            missing[0], [k for k in positions if k not in known], n=1, cutoff=0.5
        )
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


def _sex(v: pd.Series, year: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Canonical sex, unmapped mask and other-year mask, by each row's collection year."""
    text = v.astype("object").where(v.notna()).map(lambda x: str(x).strip().upper() if pd.notna(x) else x)
    every: dict[str, str | None] = {}
    for table in codes.SSDA903_SEX_CODES.values():
        every.update(table)
    known = text.isin(list(every))
    mapped = text.map(lambda x: every.get(x) if isinstance(x, str) else None)
    this_year = pd.Series(
        [y == 0 or (isinstance(x, str) and x in codes.SSDA903_SEX_CODES.get(int(y), every))
         for x, y in zip(text, year, strict=True)],
        index=v.index,
    )  # fmt: skip
    key = mapped.where(mapped.isin(SEX_CATEGORIES))
    out = pd.Series(pd.Categorical(key, categories=SEX_CATEGORIES), index=v.index)
    return out, v.notna() & ~known, known & ~this_year


def placement_other_year(place: pd.Series, year: pd.Series, start: pd.Series, end: pd.Series) -> pd.Series:
    """Placement codes outside their collection years (``codes.SSDA903_PLACEMENT_YEARS``), and P2
    for an episode open after 28 October 2023. Rows of unknown year (0) are not checked."""
    first = place.map(lambda c: codes.SSDA903_PLACEMENT_YEARS.get(c, (None, None))[0]).astype("Float64")
    last = place.map(lambda c: codes.SSDA903_PLACEMENT_YEARS.get(c, (None, None))[1]).astype("Float64")
    y = year.astype("Float64")
    out = (y > 0) & ((first.notna() & (y < first)) | (last.notna() & (y > last)))
    p2_day = pd.Timestamp(codes.SSDA903_P2_LAST_DAY)
    late_p2 = place.eq("P2") & (y > p2_day.year) & (end.isna() | (end > p2_day)) & start.notna()
    return (out | late_p2).fillna(False).astype(bool)


def _convert(raw: pd.DataFrame, table: str) -> tuple[pd.DataFrame, pd.Series, list[pd.DataFrame]]:
    """Typed columns, an error mask and the log entries for one table's raw rows."""
    spec = SPECS[table]
    out = pd.DataFrame(index=raw.index)
    error = pd.Series(False, index=raw.index)
    logs = []
    fatal_dates = CHRONOLOGY.get(table, ())
    for name, (dfe, kind, codelist, required) in spec.items():
        v = raw[name]
        if kind == "date":
            parsed, bad = parse_dates(v)
            if required:
                all_text_check(raw, name, dfe, parsed, bad)
            fatal = name in fatal_dates
            sev = dq.ERROR if fatal else dq.WARNING
            logs.append(
                dq.issues(
                    raw, bad, column=dfe, values=v, reason=dq.UNPARSEABLE_DATE, severity=sev, table=table
                )
            )
            if fatal:
                error |= bad
            out[name] = parsed
        elif kind == "code":
            mapped, bad = map_codes(v, codelist)
            logs.append(
                dq.issues(
                    raw, bad, column=dfe, values=v, reason=dq.UNMAPPED_CODE, severity=dq.WARNING, table=table
                )
            )
            out[name] = mapped
        elif kind == "sex":
            mapped, bad, other = _sex(v, raw["_year"])
            logs.append(
                dq.issues(
                    raw, bad, column=dfe, values=v, reason=dq.UNMAPPED_CODE, severity=dq.WARNING, table=table
                )
            )
            label = raw["_year"].map(lambda y: codes.ssda903_year_label(int(y)) if y else "")
            logs.append(dq.issues(raw, other, column=dfe, values=v.astype("str") + " in a " + label + " file",
                                  reason=OTHER_YEAR_CODE, severity=dq.WARNING, table=table))  # fmt: skip
            out[name] = mapped
        else:
            out[name] = as_id(v)
    if table == "cla_episodes":
        other = placement_other_year(out["placement_type"].astype("object"), raw["_year"], out["episode_start"],
                                     out["episode_end"])  # fmt: skip
        label = raw["_year"].map(lambda y: codes.ssda903_year_label(int(y)) if y else "")
        logs.append(dq.issues(raw, other, column="PLACE", values=raw["placement_type"].astype("str") + " in a " + label
                              + " file", reason=OTHER_YEAR_CODE, severity=dq.WARNING, table=table))  # fmt: skip
    for name in KEYS[table]:
        miss = raw[name].isna()
        logs.append(
            dq.issues(
                raw,
                miss,
                column=spec[name][0],
                values=raw[name],
                reason=dq.MISSING_REQUIRED,
                severity=dq.ERROR,
                table=table,
            )
        )
        error |= miss
    if table in CHRONOLOGY:
        start, end = CHRONOLOGY[table]
        bad = (out[end] < out[start]).fillna(False)
        text = (
            spec[end][0]
            + " "
            + out[end].dt.strftime("%d/%m/%Y").fillna("")
            + " before "
            + spec[start][0]
            + " "
            + out[start].dt.strftime("%d/%m/%Y").fillna("")
        )
        logs.append(
            dq.issues(
                raw,
                bad,
                column=spec[end][0],
                values=text,
                reason=dq.IMPOSSIBLE_CHRONOLOGY,
                severity=dq.ERROR,
                table=table,
            )
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
    same = (
        kept_rows.astype("object").fillna("<NA>").astype(str)
        == drop_rows.astype("object").fillna("<NA>").astype(str)
    ).all(axis=1)
    same.index = d.index
    year_dropped = raw.loc[d.index, "_year"]
    year_kept = pd.Series(raw.loc[d["_kept_idx"].to_numpy(), "_year"].to_numpy(), index=d.index)
    kept_where = (
        raw.loc[d["_kept_idx"].to_numpy(), "_file"].astype(str).to_numpy()
        + " row "
        + raw.loc[d["_kept_idx"].to_numpy(), "_row"].astype(str).to_numpy()
    )
    kept_where = pd.Series(kept_where, index=d.index)
    r = raw.loc[d.index]
    key_col = SPECS[table][keys[-1]][0]
    logs = [
        dq.issues(
            r,
            same,
            column=key_col,
            values="same as " + kept_where,
            reason=dq.DUPLICATE,
            severity=dq.INFO,
            table=table,
        ),
        dq.issues(
            r,
            ~same & (year_dropped < year_kept),
            column=key_col,
            values="later version: " + kept_where,
            reason=dq.SUPERSEDED,
            severity=dq.INFO,
            table=table,
        ),
        dq.issues(
            r,
            ~same & (year_dropped >= year_kept),
            column=key_col,
            values="conflicting version in the same collection year; kept " + kept_where,
            reason=dq.DUPLICATE,
            severity=dq.ERROR,
            table=table,
        ),
    ]
    return kept.index, logs


def _resolve_overlaps(ep: pd.DataFrame, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """End each episode no later than the next episode's start for the same child (rule 4)."""
    ep = ep.sort_values(["child_id", "episode_start"], kind="stable")
    next_start = ep.groupby("child_id", sort=False)["episode_start"].shift(-1)
    overlap = next_start.notna() & (ep["episode_end"].isna() | (ep["episode_end"] > next_start))
    text = (
        "ended at next DECOM "
        + next_start.dt.strftime("%d/%m/%Y").fillna("")
        + " (DEC was "
        + ep["episode_end"].dt.strftime("%d/%m/%Y").fillna("blank")
        + ")"
    )
    log = dq.issues(
        raw.loc[ep.index],
        overlap,
        column="DEC",
        values=text,
        reason=dq.OVERLAPPING_EPISODE,
        severity=dq.WARNING,
        table="cla_episodes",
    )
    ep = ep.copy()
    ep.loc[overlap, "episode_end"] = next_start[overlap]
    fill_x1 = overlap & ep["reason_episode_ceased"].isna()
    ep.loc[fill_x1, "reason_episode_ceased"] = "X1"
    return ep, log


def _cross_checks(
    tables: dict[str, pd.DataFrame], raws: dict[str, pd.DataFrame], kept_raw: dict[str, pd.Index]
) -> list[pd.DataFrame]:
    """Header-episode cross-checks (module docstring), as warnings on the rows concerned."""
    if "cla_episodes" not in tables or "cla_header" not in tables:
        return []
    ep, hd = tables["cla_episodes"], tables["cla_header"]
    ep_raw = raws["cla_episodes"].loc[kept_raw["cla_episodes"]]
    hd_raw = raws["cla_header"].loc[kept_raw["cla_header"]]
    ep_ids = ep["child_id"].astype("string").to_numpy()
    hd_ids = hd["child_id"].astype("string").to_numpy()
    no_header = ~pd.Series(ep_ids).isin(hd_ids).to_numpy()
    first_of_child = ~pd.Series(ep_ids).duplicated().to_numpy()
    no_eps = ~pd.Series(hd_ids).isin(ep_ids).to_numpy()
    dob = pd.Series(ep_ids).map(pd.Series(hd["date_of_birth"].to_numpy(), index=hd_ids)).to_numpy()
    dob = pd.Series(pd.to_datetime(dob), index=ep.index)
    after = (dob > ep["episode_start"]).fillna(False).to_numpy()
    rec_open = (ep["episode_end"].isna() & ep["reason_episode_ceased"].notna()).to_numpy()
    ep_raw = ep_raw.set_axis(ep.index)
    hd_raw = hd_raw.set_axis(hd.index)
    dob_text = ("DOB " + dob.dt.strftime("%d/%m/%Y").fillna("") + " after DECOM "
                + ep["episode_start"].dt.strftime("%d/%m/%Y").fillna(""))  # fmt: skip
    return [
        dq.issues(
            ep_raw,
            no_header & first_of_child,
            column="CHILD",
            reason=NO_HEADER,
            severity=dq.WARNING,
            table="cla_episodes",
        ),
        dq.issues(
            hd_raw, no_eps, column="CHILD", reason=NO_EPISODES, severity=dq.WARNING, table="cla_header"
        ),
        dq.issues(
            ep_raw,
            after,
            column="DECOM",
            values=dob_text,
            reason=DOB_AFTER_DECOM,
            severity=dq.WARNING,
            table="cla_episodes",
        ),
        dq.issues(
            ep_raw, rec_open, column="REC", reason=REC_ON_OPEN, severity=dq.WARNING, table="cla_episodes"
        ),
    ]


def _file_year(f: Path, src, kind: str, notes: list[str]) -> int:
    """Collection year of a file from its name (or folders) and contents; mismatches noted."""
    named = collection_year(f)
    found = content_year(src, kind)
    if named and found and found > named:
        notes.append(
            f"{f}: its name says collection year {codes.ssda903_year_label(named)} but it holds dates in "
            f"{codes.ssda903_year_label(found)}; read as {codes.ssda903_year_label(found)}. Check the file's name "
            "and that it is the right year's export."
        )
        return found
    if named and found and found < named:
        notes.append(
            f"{f}: its name says collection year {codes.ssda903_year_label(named)} but its latest date is in "
            f"{codes.ssda903_year_label(found)} (no episode started or ended in {codes.ssda903_year_label(named)}); "
            f"read as {codes.ssda903_year_label(named)}. Check that it is the right year's export."
        )
        return named
    if not named and found:
        notes.append(
            f"{f}: no collection year in its name or folder; {codes.ssda903_year_label(found)} from its dates."
        )
        return found
    if not named:
        notes.append(f"{f}: no collection year in its name or folder; treated as the earliest year.")
    return named


def read_ssda903(paths: list[str | Path]) -> dq.ReadResult:
    """Read SSDA903 files (header, episodes, UASC, social worker episodes; others noted) for one
    or more collection years, merged and cross-checked by the module's rules."""
    files = expand_paths(paths)
    explicit = {Path(p) for p in paths}
    notes: list[str] = []
    raws: dict[str, list[pd.DataFrame]] = {t: [] for t in SPECS}
    sources: dict[str, list[str]] = {t: [] for t in SPECS}
    n_files = 0
    for seq, f in enumerate(files):
        if f.suffix.lower() != ".csv":
            if f in explicit:
                raise UserError(
                    f"The file {f} is not an SSDA903 CSV file. Give the SSDA903 header and episodes files "
                    "as CSV (DfE column names CHILD, DECOM, ...) or a folder of them."
                )
            continue
        if is_blank_file(f):
            notes.append(f"{f}: empty (no header row, no rows); skipped.")
            n_files += 1
            continue
        src, more = read_csv_source(f)
        kind = file_kind(src.header)
        if kind is None:
            if f in explicit:
                raise UserError(
                    f"The file {f} is not an SSDA903 header or episodes file: its columns "
                    f"({', '.join(src.header[:8])}) do not include CHILD with DECOM (episodes) or CHILD, SEX "
                    "and DOB (header). Check the file, or use the DfE SSDA903 column names."
                )
            notes.append(f"{f}: not an SSDA903 file the book knows; ignored.")
            continue
        n_files += 1
        notes += more
        if kind in AUXILIARY:
            notes.append(
                f"{f}: SSDA903 {AUXILIARY[kind][0]} file ({len(src.data)} rows); not used by the book."
            )
            continue
        if src.data.empty or src.data.isna().all(axis=None):
            notes.append(f"{f}: SSDA903 {LABELS[kind]} file with a header row only (no rows); skipped.")
            continue
        year = _file_year(f, src, kind, notes)
        first = codes.SSDA903_TABLE_FROM.get(kind)
        if first and year and year < first:
            notes.append(
                f"{f}: DfE collects {LABELS[kind]} from {codes.ssda903_year_label(first)}, but this file "
                f"is for {codes.ssda903_year_label(year)}; read all the same."
            )
        raws[kind].append(_frame(src, kind, year, seq))
        sources[kind].append(src.file)
    if not any(raws.values()) and not n_files:
        raise UserError(
            f"No SSDA903 files were found in {', '.join(str(p) for p in paths)}. Give the header and episodes "
            "CSV files (DfE column names CHILD, SEX, DOB / CHILD, DECOM, DEC, ...) or a folder of them."
        )
    tables: dict[str, pd.DataFrame] = {}
    logs: list[pd.DataFrame] = []
    accounts: list[pd.DataFrame] = []
    missing = []
    all_raw: dict[str, pd.DataFrame] = {}
    kept_raw: dict[str, pd.Index] = {}
    for table, frames in raws.items():
        if not frames:
            if table not in OPTIONAL_TABLES:
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
        kept = kept.sort_values(KEYS[table], kind="stable")
        all_raw[table], kept_raw[table] = raw, kept.index
        tables[table] = kept[list(SPECS[table])].reset_index(drop=True)
    logs += _cross_checks(tables, all_raw, kept_raw)
    return dq.ReadResult(tables, dq.concat_logs(logs), dq.concat_accounting(accounts), notes, missing)
