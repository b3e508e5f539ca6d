"""Children in care: who is in care and where they live, on a date, with small counts suppressed.

A snapshot is one row per child in care on a date (their latest open episode), with grouped
characteristics and no identifier. Breakdowns count children by one characteristic; counts
of 1 to ``min_cell - 1`` are suppressed, and a second cell where needed so the first cannot
be recovered from the total (``suppress_breakdown``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.data import codes
from cscbook.measures.cic_episodes import age_years, as_string, open_episodes_on
from cscbook.methods.disclosure import suppressed_mask

AGE_BANDS = ["Under 1", "1-4", "5-9", "10-15", "16-17"]
_AGE_EDGES = [0, 1, 5, 10, 16, 18]
# IN/OUT: the same postcode area as home (SSDA903, see cic_episodes.placement_location) or,
# with Annex A alone, List 8's placement location (inside or outside the authority).
LOCATION_LABELS = {"IN": "Close to home", "OUT": "Away from the home area"}
NOT_KNOWN = "Not known"
BREAKDOWNS = {
    "age_band": "Age band",
    "legal_status": "Legal status",
    "placement_group": "Placement type",
    "provider_group": "Placement provider",
    "location": "Placement location",
    "uasc": "Unaccompanied asylum-seeking",
}
# The characteristics shown at each 31 March as well as at the period end (SSDA903 only).
OVER_TIME = ("placement_group", "location", "provider_group", "age_band")


def age_band(dob: pd.Series, on: pd.Timestamp) -> pd.Series:
    """Age band (under 1, 1-4, 5-9, 10-15, 16-17) in whole years on date ``on``; NA if unknown."""
    return pd.cut(age_years(dob, on), _AGE_EDGES, right=False, labels=AGE_BANDS).astype("string")


def snapshot(e: pd.DataFrame, on: pd.Timestamp) -> pd.DataFrame:
    """One row per child in care on ``on`` (latest open episode) with the grouped characteristics.

    Columns: age_band, sex, legal_status, placement_group (codes.PLACEMENT_GROUP),
    provider_group (codes.PROVIDER_GROUP), location (inside/outside), uasc; unknown
    values are "Not known". No identifier is returned.
    """
    cur = open_episodes_on(e, on)
    out = pd.DataFrame(
        {
            "age_band": age_band(cur["date_of_birth"], on) if "date_of_birth" in cur else pd.NA,
            "sex": as_string(cur["sex"]) if "sex" in cur else pd.NA,
            "legal_status": cur["legal_status"].map(
                lambda c: f"{c}: {codes.LEGAL_STATUS.labels.get(c, c)}", na_action="ignore"
            ),
            "placement_group": cur["placement_type"].map(codes.PLACEMENT_GROUP),
            "provider_group": cur["placement_provider"].map(codes.PROVIDER_GROUP),
            "location": as_string(cur["location"]).map(LOCATION_LABELS),
            "uasc": as_string(cur["uasc"]).map({"Y": "UASC", "N": "Not UASC"}),
        }
    ).astype("string")
    return out.fillna(NOT_KNOWN).reset_index(drop=True)


def suppress_breakdown(df: pd.DataFrame, count: str, group: str | None, min_cell: int) -> pd.DataFrame:
    """Primary and secondary suppression of a breakdown.

    Counts 1..min_cell-1 become NA (and their percent). When a group then has exactly one
    suppressed cell, the next smallest non-zero cell is suppressed too so it cannot be
    recovered from the total.
    """
    out = df.copy()
    small = suppressed_mask(out[count], min_cell)
    keys = pd.Series(0, index=out.index) if group is None else out[group]
    n_small = small.groupby(keys).transform("sum")
    candidates = out[count].where(~small & (out[count] > 0) & (n_small == 1))
    rank = candidates.groupby(keys).rank(method="first")
    secondary = rank.eq(1)
    hide = small | secondary
    out[count] = out[count].astype("Float64").mask(hide)
    if "percent" in out:
        out["percent"] = out["percent"].astype("Float64").mask(hide)
    return out


def _category_order(by: str) -> list[str]:
    """The order categories of ``by`` are shown in (others follow alphabetically)."""
    if by == "age_band":
        return [*AGE_BANDS, NOT_KNOWN]
    if by == "placement_group":
        return [*dict.fromkeys(codes.PLACEMENT_GROUP.values()), NOT_KNOWN]
    if by == "provider_group":
        return ["In-house", "Independent", "Other", NOT_KNOWN]
    if by == "location":
        return [*LOCATION_LABELS.values(), NOT_KNOWN]
    return []


def breakdown(snap: pd.DataFrame, by: str, min_cell: int) -> pd.DataFrame:
    """children and percent by one characteristic of a snapshot, small counts suppressed."""
    order = _category_order(by)
    counts = snap[by].value_counts()
    cats = [c for c in order if c in counts.index] + sorted(c for c in counts.index if c not in order)
    out = pd.DataFrame({"category": cats, "children": counts.reindex(cats).to_numpy(dtype="int64")})
    total = out["children"].sum()
    out["percent"] = (100 * out["children"] / total).round(0) if total else np.nan
    return suppress_breakdown(out, "children", None, min_cell)


def breakdowns_over_time(e: pd.DataFrame, dates: list[pd.Timestamp], by: str, min_cell: int) -> pd.DataFrame:
    """date, category, children, percent for each date (suppressed per date)."""
    parts = []
    for d in dates:  # one snapshot per reporting date (a handful), not per record
        b = breakdown(snapshot(e, d), by, min_cell)
        b.insert(0, "date", d)
        parts.append(b)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def who_table(snap: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """characteristic, category, children, percent: every breakdown of ``BREAKDOWNS`` that has a known value."""
    return pd.concat(
        [breakdown(snap, col, min_cell).assign(characteristic=label) for col, label in BREAKDOWNS.items()
         if not (snap[col] == NOT_KNOWN).all()],
        ignore_index=True,
    )[["characteristic", "category", "children", "percent"]]  # fmt: skip


def who_over_time(
    e: pd.DataFrame, snap: pd.DataFrame, dates: list[pd.Timestamp], min_cell: int
) -> pd.DataFrame:
    """date, category, children, percent, characteristic at each date for ``OVER_TIME`` (those known in ``snap``)."""
    return pd.concat(
        [breakdowns_over_time(e, dates, col, min_cell).assign(characteristic=BREAKDOWNS[col])
         for col in OVER_TIME if not (snap[col] == NOT_KNOWN).all()],
        ignore_index=True,
    )  # fmt: skip
