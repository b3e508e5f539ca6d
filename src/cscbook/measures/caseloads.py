"""Caseloads: open cases allocated to each worker on a date, summarised per team.

Definition (DEFINITIONS.md, as in the quarterly improvement update): a worker's caseload is
the number of children with an open case allocated to them on a date; it is averaged per
worker within each team, with its range (min-max). Open cases, from the Annex A lists:

- child in need: a List 6 episode with ``cin_start_date <= d`` and no closure, or one after d;
- child protection: a List 7 plan with ``cp_start_date <= d`` and no end, or one after d;
- in care: a List 8 period with ``cla_start_date <= d`` and no cease, or one after d;
- care leaver: every child on List 9 (a snapshot; its allocated worker, not the personal adviser).

A child counts once per worker, however many of these cases the worker holds for them (CIN
and CP plan together is one child); a child allocated to two workers counts for each.

Annex A records the team and worker **as at the extract date**, not as at ``d``: for the
period end of the extract this is the allocation on that date; for an earlier date it would
apply today's allocation to yesterday's cases, so only the period-end caseload is reported.
Each worker belongs to one team: the team of most of their open cases (ties: first in
alphabetical order). Workers appear only through their cases, so a worker with no open case
is not counted (the minimum caseload is at least 1). Worker identifiers never leave this
module's record-level tables: ``caseloads`` returns counts per team only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.config.calendar import age_in_years

# table -> (case type, start column, end column); order = most specific type first
SOURCES: dict[str, tuple[str, str | None, str | None]] = {
    "cla": ("in care", "cla_start_date", "cla_end_date"),
    "cp_plans": ("child protection plan", "cp_start_date", "cp_end_date"),
    "care_leavers": ("care leaver", None, None),
    "cin": ("child in need", "cin_start_date", "cin_closure_date"),
}
CASE_TYPES = tuple(v[0] for v in SOURCES.values())
TOTAL = "All teams"
OTHER_TEAMS = "Other teams (small teams combined)"
MIN_WORKERS = 2  # no row stands for fewer workers than this
MIN_WORKERS_FOR_RANGE = 5  # median and range (one worker's caseload at each end) shown from this many
NO_TEAM = "Team not recorded"
OPEN_COLUMNS = ["child_id", "allocated_team", "allocated_worker", "case_type", *CASE_TYPES]
TABLE_COLUMNS = ["team", "workers", "children", "cases", "mean", "median", "min", "max", "unallocated"]
ENGLAND_KEY = "average_caseload"  # data/reference/england.csv: DfE workforce caseload per case holder
CARE_LEAVER_MAX_AGE = 21  # the DfE care-leaver cohort is aged 17-21; older rows are past support


def _text(s: pd.Series) -> pd.Series:
    """Trimmed text with blanks (empty, whitespace) as NA."""
    s = s.astype("string").str.strip()
    return s.mask(s == "")


def _open_rows(df: pd.DataFrame, start: str | None, end: str | None, on_date: pd.Timestamp) -> pd.Series:
    """True for rows open on ``on_date``: started on or before it, not ended by it."""
    mask = pd.Series(True, index=df.index)
    if start is not None:
        s = pd.to_datetime(df[start])
        mask &= s.notna() & (s <= on_date)
    if end is not None:
        e = pd.to_datetime(df[end])
        mask &= e.isna() | (e > on_date)
    return mask


def open_cases(tables: dict[str, pd.DataFrame], on_date) -> pd.DataFrame:
    """One row per child per allocated worker with a case open on ``on_date``.

    Columns: child_id, allocated_team (the worker's team, see module docstring),
    allocated_worker (NA: unallocated), case_type (the most specific open case: in care,
    child protection plan, care leaver, child in need) and one boolean column per case type.
    A care leaver counts while aged 21 or under on the date (the DfE cohort); older List 9
    rows are past support.
    A child with no allocated worker on any open case appears once, with worker NA and the
    team of their most specific case; one who has a worker on any open case is allocated.
    Record-level: for computing only, never for output.
    """
    on_date = pd.Timestamp(on_date)
    parts = []
    for rank, (table, (case_type, start, end)) in enumerate(SOURCES.items()):
        df = tables.get(table)
        if df is None or df.empty:
            continue
        df = df.reindex(
            columns=list(
                dict.fromkeys(
                    [
                        "child_id",
                        "allocated_team",
                        "allocated_worker",
                        "date_of_birth",
                        *[c for c in (start, end) if c],
                    ]
                )
            )
        )
        is_open = _open_rows(df, start, end, on_date)
        if table == "care_leavers":
            is_open &= age_in_years(df["date_of_birth"], on_date).fillna(0) <= CARE_LEAVER_MAX_AGE
        rows = df.loc[is_open, ["child_id", "allocated_team", "allocated_worker"]]
        parts.append(rows.assign(case_type=case_type, _rank=rank))
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype="bool" if c in CASE_TYPES else "string") for c in OPEN_COLUMNS}
        )
    cases = pd.concat(parts, ignore_index=True)
    for c in ["child_id", "allocated_team", "allocated_worker"]:
        cases[c] = _text(cases[c])
    cases = cases[cases["child_id"].notna()]
    allocated = cases["allocated_worker"].notna()
    has_worker = cases.loc[allocated, "child_id"].unique()
    cases = cases[allocated | ~cases["child_id"].isin(has_worker)]

    flags = pd.get_dummies(cases["case_type"]).reindex(columns=list(CASE_TYPES), fill_value=False)
    keyed = pd.concat([cases, flags], axis=1).sort_values(["child_id", "allocated_worker", "_rank"])
    keys = ["child_id", "allocated_worker"]
    out = (
        keyed.groupby(keys, dropna=False, sort=True)
        .agg(
            allocated_team=("allocated_team", "first"),
            case_type=("case_type", "first"),
            **{t: (t, "max") for t in CASE_TYPES},
        )
        .reset_index()
    )

    teams = worker_teams(out)
    worker_team = out["allocated_worker"].map(teams)
    out["allocated_team"] = worker_team.where(out["allocated_worker"].notna(), out["allocated_team"])
    out["allocated_team"] = out["allocated_team"].fillna(NO_TEAM)
    return out[OPEN_COLUMNS].reset_index(drop=True)


def worker_teams(cases: pd.DataFrame) -> pd.Series:
    """Each allocated worker's team: the team of most of their cases (ties: alphabetical first)."""
    allocated = cases[cases["allocated_worker"].notna()]
    counts = (
        allocated.assign(allocated_team=allocated["allocated_team"].fillna(NO_TEAM))
        .groupby(["allocated_worker", "allocated_team"])
        .size()
        .rename("n")
        .reset_index()
    )
    counts = counts.sort_values(["allocated_worker", "n", "allocated_team"], ascending=[True, False, True])
    return counts.drop_duplicates("allocated_worker").set_index("allocated_worker")["allocated_team"]


def worker_caseloads(cases: pd.DataFrame) -> pd.DataFrame:
    """Per allocated worker: team and caseload (children). Record-level: never for output."""
    allocated = cases[cases["allocated_worker"].notna()]
    return allocated.groupby(["allocated_team", "allocated_worker"]).size().rename("caseload").reset_index()


def _summary(per_worker: pd.DataFrame, cases: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """workers, children, cases, mean, median, min, max, unallocated, grouped by ``by`` (or overall)."""
    allocated = cases[cases["allocated_worker"].notna()]
    unallocated = cases[cases["allocated_worker"].isna()]
    if by:
        load = per_worker.groupby(by)["caseload"]
        stats = load.agg(workers="size", cases="sum", mean="mean", median="median", min="min", max="max")
        children = allocated.groupby(by)["child_id"].nunique().rename("children")
        unalloc = unallocated.groupby(by)["child_id"].nunique().rename("unallocated")
        out = pd.concat([stats, children, unalloc], axis=1).reset_index()
    else:
        c = per_worker["caseload"]
        out = pd.DataFrame([{
            "workers": len(c), "cases": c.sum(), "mean": c.mean(), "median": c.median(),
            "min": c.min(), "max": c.max(), "children": allocated["child_id"].nunique(),
            "unallocated": unallocated["child_id"].nunique(),
        }])  # fmt: skip
    for col in ["workers", "cases", "children", "unallocated"]:
        out[col] = out[col].fillna(0).astype("int64")
    for col in ["min", "max"]:
        out[col] = out[col].astype("Int64")
    for col in ["mean", "median"]:
        out[col] = out[col].astype("float64")
    return out


def small_teams(workers_per_team: pd.Series, min_workers: int = MIN_WORKERS) -> list[str]:
    """Teams to report together as "Other teams", so that no row stands for fewer than ``min_workers``.

    Every team with fewer than ``min_workers`` workers; if those together still have fewer
    (one worker alone would be that person's caseload, and hiding the row would not help: it
    is the total minus the other rows), the smallest other teams (fewest workers, then
    alphabetical) join them until the combined row has ``min_workers`` or more.
    """
    size = workers_per_team.sort_index(kind="stable")
    small = list(size.index[size < min_workers])
    if small and size[small].sum() < min_workers:
        rest = size.drop(small)
        for team in sorted(rest.index, key=lambda t: (rest[t], str(t))):
            small.append(team)
            if size[small].sum() >= min_workers:
                break
    return small


def caseloads(cases: pd.DataFrame) -> pd.DataFrame:
    """Caseloads per team from ``open_cases``, with a last row for all teams together.

    Columns: team; workers (allocated workers with at least one open case); children (distinct
    children allocated in the team); cases (sum of the workers' caseloads: a child with two
    workers counts twice); mean, median, min, max caseload per worker (children); unallocated
    (children with open cases but no allocated worker). No worker is named.

    Disclosure (no row, and no difference between the total and the rows, shows one worker's
    caseload): teams with fewer than ``MIN_WORKERS`` workers are reported together as "Other
    teams", with the smallest other teams added when they alone would be one worker
    (``small_teams``); the median and range (min-max, each one worker's caseload) are shown
    only for rows of at least ``MIN_WORKERS_FOR_RANGE`` workers; a row (or a total) of fewer
    than ``MIN_WORKERS`` workers shows its worker count only.
    """
    per_worker = worker_caseloads(cases)
    size = per_worker.groupby("allocated_team")["allocated_worker"].nunique().rename("workers")
    small = small_teams(size)
    if small:
        cases = cases.assign(
            allocated_team=cases["allocated_team"].mask(cases["allocated_team"].isin(small), OTHER_TEAMS)
        )
        per_worker = per_worker.assign(
            allocated_team=per_worker["allocated_team"].mask(
                per_worker["allocated_team"].isin(small), OTHER_TEAMS
            )
        )
    teams = _summary(per_worker, cases, ["allocated_team"]).rename(columns={"allocated_team": "team"})
    teams = teams.assign(_other=teams["team"].eq(OTHER_TEAMS)).sort_values(["_other", "team"], kind="stable")
    teams = teams.drop(columns="_other")
    total = _summary(per_worker, cases, []).assign(team=TOTAL)
    out = pd.concat([teams, total], ignore_index=True)[TABLE_COLUMNS]
    return hide_small_rows(out)


def hide_small_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Blank what would show one worker's caseload (see ``caseloads``); worker counts stay."""
    out = table.copy()
    out[["min", "max"]] = out[["min", "max"]].astype("Int64")
    few = out["workers"] < MIN_WORKERS_FOR_RANGE
    out.loc[few, "median"] = np.nan
    out.loc[few, ["min", "max"]] = pd.NA
    alone = (out["workers"] > 0) & (out["workers"] < MIN_WORKERS)
    out.loc[alone, "mean"] = np.nan
    out[["children", "cases"]] = out[["children", "cases"]].astype("Int64")
    out.loc[alone, ["children", "cases"]] = pd.NA
    return out


def children_with_several_workers(cases: pd.DataFrame) -> int:
    """Children allocated to more than one worker (each counts in every worker's caseload)."""
    allocated = cases[cases["allocated_worker"].notna()]
    return int((allocated.groupby("child_id").size() > 1).sum())


def has_allocation(tables: dict[str, pd.DataFrame]) -> bool:
    """True when any list that defines an open case records an allocated worker."""
    for table in SOURCES:
        df = tables.get(table)
        if (
            df is not None
            and "allocated_worker" in df.columns
            and _text(df["allocated_worker"]).notna().any()
        ):
            return True
    return False
