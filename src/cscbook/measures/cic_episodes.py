"""Children in care: the episodes every measure works on, and periods of care.

Definitions follow DEFINITIONS.md "Children in care":

- a start is the first episode of a period of care: ``reason_new_episode == 'S'``, or no
  episode of the same child ends on the day it starts (``start_flags``);
- a cease is the last episode of a period of care: an ``episode_end`` whose
  ``reason_episode_ceased`` is not X1 (X1 closes an episode, not a period of care)
  (``cease_flags``).

Two sources are accepted (``care_data``). SSDA903 (``cla_episodes`` with ``cla_header``)
gives the whole history. Annex A List 8 (``cla``: one row per period of care, with the
latest legal status and placement) is turned into one pseudo-episode per period
(``episodes_from_list8``) and gives the same counts for the window the list covers; its
characteristics are those at the extract date.

Everything is "as at" a date (``as_at``): episodes starting after it are ignored and
episodes ending after it are treated as open (no look-ahead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscbook.config.calendar import age_in_years

EPISODE_COLUMNS = [
    "child_id", "episode_start", "episode_end", "reason_new_episode", "legal_status",
    "placement_type", "placement_provider", "reason_episode_ceased",
]  # fmt: skip
CODED_COLUMNS = (
    "reason_new_episode",
    "legal_status",
    "placement_type",
    "placement_provider",
    "reason_episode_ceased",
)


def as_string(s: pd.Series) -> pd.Series:
    """A coded column as pandas "string" (categoricals and objects alike), NA kept."""
    return s.astype("object").where(s.notna(), None).astype("string")


def age_years(dob: pd.Series, on: pd.Timestamp) -> pd.Series:
    """Age in whole years on ``on`` (the birthday counts on the day); NaN when the date of birth is missing."""
    return age_in_years(dob, on).astype("float64")


# --------------------------------------------------------------------------------------
# Preparing the episodes
# --------------------------------------------------------------------------------------


def as_at(episodes: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Episodes as known at ``when``: later starts dropped, later ends (and reasons) blanked."""
    e = episodes.loc[episodes["episode_start"] <= when].copy()
    late = e["episode_end"] > when
    e.loc[late, "episode_end"] = pd.NaT
    if "reason_episode_ceased" in e:
        e["reason_episode_ceased"] = as_string(e["reason_episode_ceased"]).mask(late)
    return e


def prepare_episodes(
    episodes: pd.DataFrame,
    header: pd.DataFrame | None = None,
    uasc: pd.DataFrame | None = None,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """SSDA903 episodes sorted by child and start, coded columns as strings, with header fields.

    Adds ``date_of_birth`` and ``sex`` from ``cla_header`` (when given), ``uasc`` ('Y' for
    children in ``cla_uasc``, else 'N'; NA when no UASC table) and ``location``
    (``IN``/``OUT`` by postcode area, see ``placement_location``).
    """
    e = episodes.copy()
    for col in EPISODE_COLUMNS:
        if col not in e:
            e[col] = pd.NaT if col in ("episode_start", "episode_end") else pd.NA
    for col in CODED_COLUMNS:
        e[col] = as_string(e[col])
    e["child_id"] = e["child_id"].astype("string")
    if as_of is not None:
        e = as_at(e, as_of)
    e = e.sort_values(["child_id", "episode_start", "episode_end"], na_position="last", kind="mergesort")
    if header is not None and not header.empty:
        h = header.drop_duplicates("child_id", keep="last").copy()
        h["child_id"] = h["child_id"].astype("string")
        keep = [c for c in ("child_id", "date_of_birth", "sex") if c in h]
        e = e.drop(columns=[c for c in keep if c != "child_id" and c in e]).merge(
            h[keep], on="child_id", how="left"
        )
    if "date_of_birth" not in e:
        e["date_of_birth"] = pd.NaT
    if uasc is not None and "child_id" in uasc:
        ids = set(uasc["child_id"].astype("string").dropna())
        e["uasc"] = np.where(e["child_id"].isin(ids), "Y", "N")
    elif "uasc" not in e:
        e["uasc"] = pd.NA
    if "location" not in e:
        if "home_postcode" in e and "placement_postcode" in e:
            e["location"] = placement_location(e["home_postcode"], e["placement_postcode"])
        else:
            e["location"] = pd.NA
    return e.reset_index(drop=True)


def episodes_from_list8(cla: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Annex A List 8 as one pseudo-episode per period of care.

    ``episode_start = cla_start_date``, ``episode_end = cla_end_date``, reason new episode S,
    reason ceased from the list (NA when ended without a reason: still counted as a cease).
    Exact repeats of a child's period (same start) are kept once (the last row).
    Legal status, placement, provider, location (List 8 ``placement_location``) and UASC
    are the list's latest values.
    """
    c = cla.drop_duplicates(["child_id", "cla_start_date"], keep="last")
    out = pd.DataFrame(
        {
            "child_id": c["child_id"].astype("string"),
            "episode_start": c["cla_start_date"],
            "episode_end": c["cla_end_date"],
            "reason_new_episode": "S",
            "legal_status": c.get("legal_status"),
            "placement_type": c.get("placement_type"),
            "placement_provider": c.get("placement_provider"),
            "reason_episode_ceased": c.get("reason_ceased"),
            "date_of_birth": c.get("date_of_birth"),
            "sex": c.get("sex"),
            "uasc": as_string(c["uasc"]) if "uasc" in c else pd.NA,
            "location": as_string(c["placement_location"]) if "placement_location" in c else pd.NA,
            "placement_start_date": c.get("placement_start_date"),
            "placements_last_12m": c.get("placements_last_12m"),
        }
    )
    out = out.loc[out["episode_start"].notna()]
    return prepare_episodes(out, as_of=as_of)


def postcode_area(postcode: pd.Series) -> pd.Series:
    """The postcode area: the letters that open the outward code ('LS12 3AB' -> 'LS')."""
    return postcode.astype("string").str.upper().str.strip().str.extract(r"^([A-Z]{1,2})\d", expand=False)


def placement_location(home_postcode: pd.Series, placement_postcode: pd.Series) -> pd.Series:
    """IN when the placement's postcode area equals the home postcode's area, else OUT; NA if either is missing.

    An approximation of "placed inside the authority" (SSDA903 has no local-authority-of-
    placement field in the canonical table): a postcode area is larger than most authorities.
    """
    home, place = postcode_area(home_postcode), postcode_area(placement_postcode)
    out = pd.Series(
        np.where(home.eq(place).fillna(False).to_numpy(dtype=bool), "IN", "OUT"),
        index=home.index,
        dtype="string",
    )
    return out.mask(home.isna() | place.isna())


def coverage_start(e: pd.DataFrame) -> pd.Timestamp:
    """First month the extract covers completely: the first day of the month of the earliest end date.

    An SSDA903 year or an Annex A list holds every child in care at any time in its window,
    so the earliest recorded end lies just after the window opens; before it, children who
    left are missing and counts would be too low. With no end dates, the earliest start.
    """
    ends = e["episode_end"].dropna()
    first = ends.min() if not ends.empty else e["episode_start"].min()
    return pd.Timestamp(first.year, first.month, 1)


@dataclass
class CareData:
    """The episodes the chapter works on and where they came from.

    source: "ssda903", "list8" or "none"; start: first month fully covered.
    """

    episodes: pd.DataFrame
    source: str
    start: pd.Timestamp | None


def care_data(tables: dict[str, pd.DataFrame], period_end: pd.Timestamp) -> CareData:
    """SSDA903 episodes when present (with header and UASC), else Annex A List 8, else nothing."""
    eps = tables.get("cla_episodes")
    if eps is not None and not eps.empty:
        e = prepare_episodes(eps, tables.get("cla_header"), tables.get("cla_uasc"), as_of=period_end)
        cla = tables.get("cla")
        if e["uasc"].isna().all() and cla is not None and "uasc" in cla and cla["uasc"].notna().any():
            ids = set(cla.loc[as_string(cla["uasc"]).eq("Y").fillna(False), "child_id"].astype("string"))
            e["uasc"] = np.where(e["child_id"].isin(ids), "Y", "N")
        if not e.empty:
            return CareData(e, "ssda903", coverage_start(e))
    cla = tables.get("cla")
    if cla is not None and not cla.empty:
        e = episodes_from_list8(cla, as_of=period_end)
        if not e.empty:
            return CareData(e, "list8", coverage_start(e))
    return CareData(pd.DataFrame(columns=EPISODE_COLUMNS), "none", None)


# --------------------------------------------------------------------------------------
# Starts, ceases, periods of care
# --------------------------------------------------------------------------------------


def start_flags(e: pd.DataFrame) -> pd.Series:
    """True for episodes that start a period of care: RNE S, or the child's previous episode does not end that day."""
    prev_end = e.groupby("child_id", sort=False)["episode_end"].shift()
    s_code = e["reason_new_episode"].eq("S").fillna(False).astype(bool)
    continued = prev_end.eq(e["episode_start"]).fillna(False).astype(bool)
    return pd.Series(s_code.to_numpy() | ~continued, index=e.index)


def cease_flags(e: pd.DataFrame) -> pd.Series:
    """True for episodes that end a period of care: an end date with reason ceased not X1."""
    return e["episode_end"].notna() & ~e["reason_episode_ceased"].eq("X1").fillna(False).astype(bool)


def period_number(e: pd.DataFrame) -> pd.Series:
    """Each episode's period of care, numbered 1, 2, ... within the child (episodes sorted by child and start)."""
    return start_flags(e).astype(int).groupby(e["child_id"]).cumsum()


def open_episodes_on(e: pd.DataFrame, on: pd.Timestamp) -> pd.DataFrame:
    """Each child's latest episode open on ``on`` (start <= on and (end NaT or end > on)): one row per child in care."""
    a = as_at(e, on)
    active = a.loc[(a["episode_start"] <= on) & (a["episode_end"].isna() | (a["episode_end"] > on))]
    return active.drop_duplicates("child_id", keep="last")


def periods_of_care(e: pd.DataFrame, period_end: pd.Timestamp) -> pd.DataFrame:
    """One row per period of care: period_start, period_end (NaT if still in care), reason_ceased.

    A period opens at a start episode (``start_flags``) and runs to the end of the last
    episode before the next start. Child identifiers are kept for internal joins only.
    """
    a = as_at(e, period_end)
    a = a.assign(_pid=period_number(a).to_numpy())
    first = a.drop_duplicates(["child_id", "_pid"], keep="first")
    last = a.drop_duplicates(["child_id", "_pid"], keep="last")  # NA-aware: the last episode's own values
    return pd.DataFrame(
        {
            "child_id": first["child_id"].to_numpy(),
            "period_start": first["episode_start"].to_numpy(),
            "period_end": last["episode_end"].to_numpy(),
            "reason_ceased": last["reason_episode_ceased"].to_numpy(),
        }
    )
