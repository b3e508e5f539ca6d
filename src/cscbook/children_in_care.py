"""Children in care: numbers and flows, who and where, stability, care leavers.

Definitions follow DEFINITIONS.md "Children in care" and "Care leavers":

- in care on date d: an episode with ``episode_start <= d`` and (``episode_end`` is NaT or
  ``episode_end > d``); counted once per child;
- a start is the first episode of a period of care: ``reason_new_episode == 'S'``, or no
  episode of the same child ends on the day it starts;
- a cease is the last episode of a period of care: an ``episode_end`` whose
  ``reason_episode_ceased`` is not X1 (X1 closes an episode, not a period of care);
- rate per 10,000 = children in care / population aged 0-17 x 10,000.

Two sources are accepted. SSDA903 (``cla_episodes`` with ``cla_header``) gives the whole
history. Annex A List 8 (``cla``: one row per period of care, with the latest legal status
and placement) is turned into one pseudo-episode per period (``episodes_from_list8``) and
gives the same counts for the window the list covers; its characteristics are those at
the extract date, so breakdowns from it are shown at the period end only.

Everything is "as at" the period end: episodes starting after it are ignored and
episodes ending after it are treated as open (no look-ahead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscbook import codes, reference
from cscbook.disclosure import suppressed_mask
from cscbook.headline import HeadlineMeasure

AGE_BANDS = ["Under 1", "1-4", "5-9", "10-15", "16-17"]
_AGE_EDGES = [0, 1, 5, 10, 16, 18]
LOCATION_LABELS = {"IN": "Inside the authority", "OUT": "Outside the authority"}
NOT_KNOWN = "Not known"
# Placement changes: a new episode with these reasons starts a new placement; L (legal
# status change only) continues the placement.
NEW_PLACEMENT_RNE = {"S", "P", "T", "U", "B"}
ADOPTION_PLACEMENTS = {"A3", "A4", "A5", "A6"}
SHORT_BREAKS = {"V3", "V4"}

EPISODE_COLUMNS = [
    "child_id", "episode_start", "episode_end", "reason_new_episode", "legal_status",
    "placement_type", "placement_provider", "reason_episode_ceased",
]  # fmt: skip


# --------------------------------------------------------------------------------------
# Preparing the episodes
# --------------------------------------------------------------------------------------


def _str(s: pd.Series) -> pd.Series:
    """A coded column as pandas "string" (categoricals and objects alike), NA kept."""
    return s.astype("object").where(s.notna(), None).astype("string")


def as_at(episodes: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Episodes as known at ``when``: later starts dropped, later ends (and reasons) blanked."""
    e = episodes.loc[episodes["episode_start"] <= when].copy()
    late = e["episode_end"] > when
    e.loc[late, "episode_end"] = pd.NaT
    if "reason_episode_ceased" in e:
        e["reason_episode_ceased"] = _str(e["reason_episode_ceased"]).mask(late)
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
    for col in ("reason_new_episode", "legal_status", "placement_type", "placement_provider",
                "reason_episode_ceased"):
        e[col] = _str(e[col])
    e["child_id"] = e["child_id"].astype("string")
    if as_of is not None:
        e = as_at(e, as_of)
    e = e.sort_values(["child_id", "episode_start", "episode_end"], na_position="last", kind="mergesort")
    if header is not None and not header.empty:
        h = header.drop_duplicates("child_id", keep="last").copy()
        h["child_id"] = h["child_id"].astype("string")
        keep = [c for c in ("child_id", "date_of_birth", "sex") if c in h]
        e = e.drop(columns=[c for c in keep if c != "child_id" and c in e]).merge(h[keep], on="child_id", how="left")
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
            "uasc": _str(c["uasc"]) if "uasc" in c else pd.NA,
            "location": _str(c["placement_location"]) if "placement_location" in c else pd.NA,
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
    out = pd.Series(np.where(home.eq(place).fillna(False).to_numpy(dtype=bool), "IN", "OUT"), index=home.index, dtype="string")
    return out.mask(home.isna() | place.isna())


# --------------------------------------------------------------------------------------
# Numbers and flows
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


def in_care_on(e: pd.DataFrame, dates: pd.DatetimeIndex | list) -> pd.Series:
    """Number of distinct children in care on each date (start <= d and (end NaT or end > d))."""
    d = pd.DatetimeIndex(dates).to_numpy()
    if e.empty:
        return pd.Series(0, index=pd.DatetimeIndex(dates), dtype="int64")
    start = e["episode_start"].to_numpy()[:, None]
    end = e["episode_end"].to_numpy()[:, None]
    active = (start <= d[None, :]) & (np.isnat(end) | (end > d[None, :]))
    child = pd.factorize(e["child_id"])[0]
    per_child = pd.DataFrame(active).groupby(child).any()
    return pd.Series(per_child.sum(axis=0).to_numpy(dtype="int64"), index=pd.DatetimeIndex(dates))


def coverage_start(e: pd.DataFrame) -> pd.Timestamp:
    """First month the extract covers completely: the first day of the month of the earliest end date.

    An SSDA903 year or an Annex A list holds every child in care at any time in its window,
    so the earliest recorded end lies just after the window opens; before it, children who
    left are missing and counts would be too low. With no end dates, the earliest start.
    """
    ends = e["episode_end"].dropna()
    first = ends.min() if not ends.empty else e["episode_start"].min()
    return pd.Timestamp(first.year, first.month, 1)


def monthly_flows(e: pd.DataFrame, period_end: pd.Timestamp, start: pd.Timestamp | None = None) -> pd.DataFrame:
    """Month by month: month (first day), in_care (at month end), starts, ceases.

    Months run from ``start`` (default ``coverage_start``) to the period end.
    """
    e = as_at(e, period_end)
    start = coverage_start(e) if start is None else pd.Timestamp(start.year, start.month, 1)
    months = pd.date_range(start, period_end, freq="MS")
    month_ends = months + pd.offsets.MonthEnd(0)
    starts = e.loc[start_flags(e), "episode_start"].dt.to_period("M")
    ceases = e.loc[cease_flags(e), "episode_end"].dt.to_period("M")
    periods = months.to_period("M")
    out = pd.DataFrame(
        {
            "month": months,
            "in_care": in_care_on(e, month_ends).to_numpy(),
            "starts": starts.value_counts().reindex(periods, fill_value=0).to_numpy(dtype="int64"),
            "ceases": ceases.value_counts().reindex(periods, fill_value=0).to_numpy(dtype="int64"),
        }
    )
    return out


def add_rates(flows: pd.DataFrame, population: int) -> pd.DataFrame:
    """Adds rate_per_10k (in care per 10,000 children aged 0-17) and starts_per_10k."""
    out = flows.copy()
    out["rate_per_10k"] = out["in_care"] / population * 10_000
    out["starts_per_10k"] = out["starts"] / population * 10_000
    return out


def stock_identity_breaks(flows: pd.DataFrame) -> pd.DataFrame:
    """Months where in(t) != in(t-1) + starts(t) - ceases(t): month, expected, observed, difference.

    The first month has no previous count and is not checked. A break means the episodes
    disagree with themselves (e.g. a period ending with X1 and no next episode, a new
    episode coded S the day an X1 episode ended, overlapping episodes).
    """
    expected = flows["in_care"].shift() + flows["starts"] - flows["ceases"]
    out = pd.DataFrame(
        {
            "month": flows["month"],
            "expected": expected.astype("Int64"),
            "observed": flows["in_care"].astype("Int64"),
        }
    ).iloc[1:]
    out["difference"] = out["observed"] - out["expected"]
    return out.loc[out["difference"] != 0].reset_index(drop=True)


def financial_year(d: pd.Series) -> pd.Series:
    """Financial year label of each date: 2024-05-01 -> '2024-25'."""
    y = d.dt.year - (d.dt.month < 4).astype(int)
    return y.astype("Int64").astype("string") + "-" + ((y + 1) % 100).astype("Int64").astype("string").str.zfill(2)


def annual_flows(flows: pd.DataFrame, population: int) -> pd.DataFrame:
    """Financial years fully covered by ``flows``: year, in_care at 31 March, starts, ceases, rates per 10,000."""
    f = flows.assign(year=financial_year(flows["month"]))
    g = f.groupby("year", sort=True)
    out = g.agg(months=("month", "size"), starts=("starts", "sum"), ceases=("ceases", "sum"),
                in_care_31_march=("in_care", "last"))  # fmt: skip
    out = out.loc[out["months"] == 12].drop(columns="months").reset_index()
    out["rate_per_10k"] = (out["in_care_31_march"] / population * 10_000).round(1)
    out["starts_per_10k"] = (out["starts"] / population * 10_000).round(1)
    return out


def benchmarks(period_end: pd.Timestamp) -> pd.DataFrame:
    """England and statistical-neighbour benchmarks for the latest published year.

    England starts per 10,000 is derived: England starts x rate / number in care (DfE
    publishes the rate and the count, not the population).
    """
    rows = []
    for area in ("England", "Statistical neighbours (median)"):
        rate = reference.benchmark("cla_rate_per_10k", period_end, area)
        starts = reference.benchmark("cla_starts_per_10k", period_end, area)
        if area == "England" and starts is None:
            n_starts = reference.benchmark("cla_starts", period_end, area)
            n_stock = reference.benchmark("cla_at_31_march", period_end, area)
            if None not in (n_starts, n_stock, rate):
                starts = round(n_starts * rate / n_stock, 1)
        rows.append({"area": area, "rate_per_10k": rate, "starts_per_10k": starts})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# Who and where
# --------------------------------------------------------------------------------------


def age_band(dob: pd.Series, on: pd.Timestamp) -> pd.Series:
    """Age band (under 1, 1-4, 5-9, 10-15, 16-17) in whole years on date ``on``; NA if unknown."""
    years = on.year - dob.dt.year - ((dob.dt.month > on.month) | ((dob.dt.month == on.month) & (dob.dt.day > on.day)))
    return pd.cut(years, _AGE_EDGES, right=False, labels=AGE_BANDS).astype("string")


def age_years(dob: pd.Series, on: pd.Timestamp) -> pd.Series:
    """Age in whole years on ``on``."""
    return on.year - dob.dt.year - ((dob.dt.month > on.month) | ((dob.dt.month == on.month) & (dob.dt.day > on.day)))


def snapshot(e: pd.DataFrame, on: pd.Timestamp) -> pd.DataFrame:
    """One row per child in care on ``on`` (latest open episode) with the grouped characteristics.

    Columns: age_band, sex, legal_status, placement_group (codes.PLACEMENT_GROUP),
    provider_group (codes.PROVIDER_GROUP), location (inside/outside), uasc; unknown
    values are "Not known". No identifier is returned.
    """
    a = as_at(e, on)
    active = a.loc[(a["episode_start"] <= on) & (a["episode_end"].isna() | (a["episode_end"] > on))]
    cur = active.drop_duplicates("child_id", keep="last")
    out = pd.DataFrame(
        {
            "age_band": age_band(cur["date_of_birth"], on) if "date_of_birth" in cur else pd.NA,
            "sex": _str(cur["sex"]) if "sex" in cur else pd.NA,
            "legal_status": cur["legal_status"].map(lambda c: f"{c}: {codes.LEGAL_STATUS.labels.get(c, c)}", na_action="ignore"),
            "placement_group": cur["placement_type"].map(codes.PLACEMENT_GROUP),
            "provider_group": cur["placement_provider"].map(codes.PROVIDER_GROUP),
            "location": _str(cur["location"]).map(LOCATION_LABELS),
            "uasc": _str(cur["uasc"]).map({"Y": "UASC", "N": "Not UASC"}),
        }
    ).astype("string")
    return out.fillna(NOT_KNOWN).reset_index(drop=True)


BREAKDOWNS = {
    "age_band": "Age band",
    "legal_status": "Legal status",
    "placement_group": "Placement type",
    "provider_group": "Placement provider",
    "location": "Placement location",
    "uasc": "Unaccompanied asylum-seeking",
}


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


def breakdown(snap: pd.DataFrame, by: str, min_cell: int) -> pd.DataFrame:
    """children and percent by one characteristic of a snapshot, small counts suppressed."""
    order = _category_order(by)
    counts = snap[by].value_counts()
    cats = [c for c in order if c in counts.index] + sorted(c for c in counts.index if c not in order)
    out = pd.DataFrame({"category": cats, "children": counts.reindex(cats).to_numpy(dtype="int64")})
    total = out["children"].sum()
    out["percent"] = (100 * out["children"] / total).round(0) if total else np.nan
    return suppress_breakdown(out, "children", None, min_cell)


def _category_order(by: str) -> list[str]:
    if by == "age_band":
        return [*AGE_BANDS, NOT_KNOWN]
    if by == "placement_group":
        return [*dict.fromkeys(codes.PLACEMENT_GROUP.values()), NOT_KNOWN]
    if by == "provider_group":
        return ["In-house", "Independent", "Other", NOT_KNOWN]
    if by == "location":
        return [*LOCATION_LABELS.values(), NOT_KNOWN]
    return []


def breakdowns_over_time(e: pd.DataFrame, dates: list[pd.Timestamp], by: str, min_cell: int) -> pd.DataFrame:
    """date, category, children, percent for each date (suppressed per date)."""
    parts = []
    for d in dates:  # one snapshot per reporting date (a handful), not per record
        b = breakdown(snapshot(e, d), by, min_cell)
        b.insert(0, "date", d)
        parts.append(b)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def reporting_dates(start: pd.Timestamp, period_end: pd.Timestamp) -> list[pd.Timestamp]:
    """Each 31 March on or after ``start`` (month end) and before the period end, then the period end."""
    first = start + pd.offsets.MonthEnd(0)
    marches = [d for d in pd.date_range(first, period_end, freq="YE-MAR") if d < period_end]
    return [*marches, period_end]


def reasons_ceased(e: pd.DataFrame, period_end: pd.Timestamp, start: pd.Timestamp, min_cell: int) -> pd.DataFrame:
    """Ceases by financial year and reason group (codes.REASON_CEASED_GROUP), plus the 12 months to the period end.

    Columns: period, reason, children, percent. Small counts suppressed.
    """
    a = as_at(e, period_end)
    c = a.loc[cease_flags(a) & (a["episode_end"] >= start)]
    reason = c["reason_episode_ceased"].map(codes.REASON_CEASED_GROUP).fillna(NOT_KNOWN)
    year = financial_year(c["episode_end"])
    last12 = c["episode_end"] > period_end - pd.DateOffset(years=1)
    frames = [pd.DataFrame({"period": year, "reason": reason})]
    frames.append(pd.DataFrame({"period": "12 months to " + f"{period_end:%d %b %Y}", "reason": reason[last12]}))
    long = pd.concat(frames, ignore_index=True)
    # Keep only complete financial years (after the coverage start) and the 12-month window.
    complete = {
        fy for fy in long["period"].unique()
        if fy[:4].isdigit() and pd.Timestamp(int(fy[:4]), 4, 1) >= start
        and pd.Timestamp(int(fy[:4]) + 1, 3, 31) <= period_end
    }  # fmt: skip
    long = long.loc[long["period"].isin(complete) | long["period"].str.startswith("12 months")]
    order = [*dict.fromkeys(codes.REASON_CEASED_GROUP.values()), NOT_KNOWN]
    table = long.groupby(["period", "reason"]).size().rename("children").reset_index()
    full = pd.MultiIndex.from_product([table["period"].unique(), order], names=["period", "reason"])
    table = table.set_index(["period", "reason"]).reindex(full, fill_value=0).reset_index()
    table = table.loc[~((table["reason"] == NOT_KNOWN) & (table["children"] == 0))]
    table["percent"] = (100 * table["children"] / table.groupby("period")["children"].transform("sum")).round(0)
    return suppress_breakdown(table.reset_index(drop=True), "children", "period", min_cell)


# --------------------------------------------------------------------------------------
# Periods of care and time in care
# --------------------------------------------------------------------------------------


def periods_of_care(e: pd.DataFrame, period_end: pd.Timestamp) -> pd.DataFrame:
    """One row per period of care: period_start, period_end (NaT if still in care), reason_ceased.

    A period opens at a start episode (``start_flags``) and runs to the end of the last
    episode before the next start. Child identifiers are kept for internal joins only.
    """
    a = as_at(e, period_end)
    pid = start_flags(a).astype(int).groupby(a["child_id"]).cumsum()
    a = a.assign(_pid=pid.to_numpy())
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


def time_in_care(e: pd.DataFrame, period_end: pd.Timestamp, start: pd.Timestamp) -> pd.DataFrame:
    """Per period of care that began on or after ``start``: entry_year, months (in care), left (bool).

    Months = days / (365.25 / 12); periods still open at the period end are censored there.
    """
    p = periods_of_care(e, period_end)
    p = p.loc[p["period_start"] >= start]
    end = p["period_end"].fillna(period_end)
    return pd.DataFrame(
        {
            "entry_year": financial_year(p["period_start"]),
            "months": ((end - p["period_start"]).dt.days / (365.25 / 12)).to_numpy(),
            "left": p["period_end"].notna().to_numpy(),
        }
    )


def km_by_entry_year(tic: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Kaplan-Meier (statsmodels SurvfuncRight) of time in care by financial year of entry.

    Returns a summary (entry_year, entries, left, median_months (NA if not reached),
    still_in_care_6m/12m/24m as percentages, NA beyond follow-up) and the curves
    (entry_year -> DataFrame months, still_in_care).
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    rows, curves = [], {}
    for year, g in tic.groupby("entry_year", sort=True):  # one fit per entry year
        sf = SurvfuncRight(g["months"].to_numpy(), g["left"].astype(int).to_numpy())
        t, s = np.r_[0.0, sf.surv_times], np.r_[1.0, sf.surv_prob]
        curves[str(year)] = pd.DataFrame({"months": t, "still_in_care": s})
        followed = g["months"].max()

        def at(m: float, t=t, s=s, followed=followed) -> float:
            return float(s[np.searchsorted(t, m, side="right") - 1]) * 100 if m <= followed else np.nan

        below = np.nonzero(s <= 0.5)[0]
        rows.append(
            {
                "entry_year": str(year),
                "entries": len(g),
                "left": int(g["left"].sum()),
                "median_months": round(float(t[below[0]]), 1) if below.size else np.nan,
                "still_in_care_6m": round(at(6), 0),
                "still_in_care_12m": round(at(12), 0),
                "still_in_care_24m": round(at(24), 0),
            }
        )
    return pd.DataFrame(rows), curves


# --------------------------------------------------------------------------------------
# Stability
# --------------------------------------------------------------------------------------


def placements(e: pd.DataFrame, period_end: pd.Timestamp) -> pd.DataFrame:
    """One row per placement: child_id, placement_start, placement_end, placement_type, period_start.

    A placement begins at the start of a period of care or at an episode whose reason
    for a new episode is P, T, U or B; an episode with reason L (change of legal status
    only) continues the placement. For a child placed for adoption (A3-A6), the adoptive
    placement counts from the start of the placement before it when that was with the
    same carer (DfE long-term stability rule, simplified: the previous placement of the
    same period).
    """
    a = as_at(e, period_end).reset_index(drop=True)
    new_period = start_flags(a)
    pid = new_period.astype(int).groupby(a["child_id"]).cumsum()
    new_place = new_period | a["reason_new_episode"].isin(NEW_PLACEMENT_RNE).fillna(False).astype(bool)
    plid = new_place.astype(int).groupby(a["child_id"]).cumsum()
    a = a.assign(_pid=pid.to_numpy(), _plid=plid.to_numpy())
    a["period_start"] = a.groupby(["child_id", "_pid"])["episode_start"].transform("min")
    first = a.drop_duplicates(["child_id", "_plid"], keep="first")
    last = a.drop_duplicates(["child_id", "_plid"], keep="last")  # NA-aware, unlike groupby "last"
    out = pd.DataFrame(
        {
            "child_id": first["child_id"].to_numpy(),
            "placement_start": first["episode_start"].to_numpy(),
            "placement_end": last["episode_end"].to_numpy(),
            "placement_type": last["placement_type"].to_numpy(),
            "period_start": first["period_start"].to_numpy(),
            "_pid": first["_pid"].to_numpy(),
        }
    )
    prev_start = out.groupby(["child_id", "_pid"])["placement_start"].shift()
    adoption = out["placement_type"].isin(ADOPTION_PLACEMENTS).fillna(False).astype(bool)
    out["stability_start"] = out["placement_start"].mask(adoption & prev_start.notna(), prev_start)
    return out.drop(columns=["_pid"])


def stability_on(e: pd.DataFrame, on: pd.Timestamp) -> dict:
    """DfE placement stability at ``on`` (normally 31 March) from SSDA903 episodes.

    - short term: children in care on ``on`` with 3 or more placements in the 12 months
      ending ``on`` (placements overlapping the year, including the one open at its start);
    - long term: children under 16 on ``on``, in care continuously for 2.5 years or more,
      who have been in the same placement for 2 years or more (adoptive placements count
      with the placement before them).
    Children whose latest legal status is a short-break code (V3, V4) are excluded, as DfE does.
    """
    year_start = on - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    a = as_at(e, on)
    active = a.loc[a["episode_end"].isna() | (a["episode_end"] > on)]
    current = active.drop_duplicates("child_id", keep="last")
    current = current.loc[~current["legal_status"].isin(SHORT_BREAKS).fillna(False).astype(bool)]
    pl = placements(a, on)
    in_year = pl.loc[(pl["placement_start"] <= on) & (pl["placement_end"].isna() | (pl["placement_end"] >= year_start))]
    n_pl = in_year.groupby("child_id").size()
    n_cur = n_pl.reindex(current["child_id"]).fillna(0)
    short_n = len(current)
    short_3 = int((n_cur >= 3).sum())

    cur_pl = pl.loc[pl["placement_end"].isna()].drop_duplicates("child_id", keep="last").set_index("child_id")
    cur_pl = cur_pl.reindex(current["child_id"])
    age = age_years(current["date_of_birth"], on).to_numpy() if "date_of_birth" in current else np.full(len(current), np.nan)
    age_known = ~pd.isna(age)
    under16 = pd.Series(age, dtype="Float64").lt(16).fillna(False).to_numpy(dtype=bool)
    long_care = (cur_pl["period_start"] <= on - pd.DateOffset(months=30)).to_numpy()
    same2y = (cur_pl["stability_start"] <= on - pd.DateOffset(years=2)).to_numpy()
    elig = under16 & long_care
    return {
        "date": on,
        "in_care": short_n,
        "three_plus_placements": short_3,
        "three_plus_pct": round(100 * short_3 / short_n, 1) if short_n else np.nan,
        "long_term_eligible": int(elig.sum()) if age_known.any() else pd.NA,
        "same_placement_2y": int((elig & same2y).sum()) if age_known.any() else pd.NA,
        "same_placement_2y_pct": round(100 * (elig & same2y).sum() / elig.sum(), 1)
        if age_known.any() and elig.sum()
        else np.nan,
    }


def stability_list8(e: pd.DataFrame, on: pd.Timestamp) -> dict:
    """The two stability measures at ``on`` from Annex A List 8 pseudo-episodes.

    Short term uses ``placements_last_12m`` (>= 3); long term uses the period start
    (cla_start_date) and the start of the most recent placement (``placement_start_date``).
    NA when the list lacks those columns.
    """
    snap = as_at(e, on)
    cur = snap.loc[snap["episode_end"].isna() | (snap["episode_end"] > on)].drop_duplicates("child_id", keep="last")
    cur = cur.loc[~cur["legal_status"].isin(SHORT_BREAKS).fillna(False).astype(bool)]
    n = len(cur)
    res = {"date": on, "in_care": n, "three_plus_placements": pd.NA, "three_plus_pct": np.nan,
           "long_term_eligible": pd.NA, "same_placement_2y": pd.NA, "same_placement_2y_pct": np.nan}  # fmt: skip
    if "placements_last_12m" in cur and cur["placements_last_12m"].notna().any():
        k = int((cur["placements_last_12m"].astype("Float64") >= 3).fillna(False).sum())
        res.update(three_plus_placements=k, three_plus_pct=round(100 * k / n, 1) if n else np.nan)
    if "placement_start_date" in cur and cur["placement_start_date"].notna().any():
        under16 = age_years(cur["date_of_birth"], on).astype("Float64").lt(16).fillna(False)
        elig = under16 & (cur["episode_start"] <= on - pd.DateOffset(months=30))
        same = elig & (cur["placement_start_date"] <= on - pd.DateOffset(years=2)).fillna(False)
        res.update(long_term_eligible=int(elig.sum()), same_placement_2y=int(same.sum()),
                   same_placement_2y_pct=round(100 * same.sum() / elig.sum(), 1) if elig.sum() else np.nan)  # fmt: skip
    return res


def stability_table(e: pd.DataFrame, period_end: pd.Timestamp, start: pd.Timestamp, source: str) -> pd.DataFrame:
    """Stability at each 31 March whose year is covered by the data, and for the 12 months to the period end."""
    if source == "list8":
        return pd.DataFrame([stability_list8(e, period_end)])
    first_full = start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
    dates = [d for d in reporting_dates(start, period_end) if d >= first_full]
    return pd.DataFrame([stability_on(e, d) for d in dates])  # a handful of dates


# --------------------------------------------------------------------------------------
# Care leavers
# --------------------------------------------------------------------------------------


def care_leaver_outcomes(cl: pd.DataFrame, period_end: pd.Timestamp, min_cell: int = 0) -> pd.DataFrame:
    """Care leavers (Annex A List 9) aged 17-18 and 19-21 at the period end.

    age from date of birth (``age_years`` column when no date). in touch: LA in touch = YES.
    EET: activity in codes.EET_ACTIVITY among those in touch; suitable accommodation:
    suitability = SUITABLE among those in touch. England figure (19-21 EET) beside it.
    """
    dob_age = age_years(cl["date_of_birth"], period_end) if "date_of_birth" in cl else pd.Series(pd.NA, index=cl.index)
    age = dob_age.astype("Float64")
    if "age_years" in cl:
        age = age.fillna(cl["age_years"].astype("Float64"))
    group = pd.Series(pd.NA, index=cl.index, dtype="string")
    group = group.mask(age.between(17, 18).fillna(False), "17-18").mask(age.between(19, 21).fillna(False), "19-21")
    in_touch = _str(cl["in_touch"]).eq("YES").fillna(False)
    eet = in_touch & _str(cl["activity"]).isin(codes.EET_ACTIVITY).fillna(False) if "activity" in cl else None
    suit = (
        in_touch & _str(cl["accommodation_suitability"]).eq("SUITABLE").fillna(False)
        if "accommodation_suitability" in cl
        else None
    )
    d = pd.DataFrame({"age_group": group, "in_touch": in_touch,
                      "eet": eet if eet is not None else pd.NA,
                      "suitable": suit if suit is not None else pd.NA})  # fmt: skip
    d = d.loc[d["age_group"].notna()]
    rows = []
    england = reference.benchmark("care_leavers_eet", period_end)
    for ag in ("17-18", "19-21"):
        g = d.loc[d["age_group"] == ag]
        n_touch = int(g["in_touch"].sum())
        row = {"age_group": ag, "care_leavers": len(g), "in_touch": n_touch}
        for col in ("eet", "suitable"):
            if g[col].isna().all() and len(g):
                row[col], row[f"{col}_pct"] = pd.NA, np.nan
            else:
                k = int(g[col].astype(bool).sum())
                row[col], row[f"{col}_pct"] = k, round(100 * k / n_touch, 1) if n_touch else np.nan
        row["england_eet_pct"] = round(100 * england, 0) if (england is not None and ag == "19-21") else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    if min_cell:
        for col in ("eet", "suitable"):
            hide = suppressed_mask(out[col].astype("Float64"), min_cell).fillna(False) | suppressed_mask(
                (out["in_touch"] - out[col].astype("Float64")), min_cell
            ).fillna(False)
            out[col] = out[col].astype("Float64").mask(hide)
            out[f"{col}_pct"] = out[f"{col}_pct"].astype("Float64").mask(hide)
    return out


# --------------------------------------------------------------------------------------
# The chapter's inputs and headline measures
# --------------------------------------------------------------------------------------


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
            ids = set(cla.loc[_str(cla["uasc"]).eq("Y").fillna(False), "child_id"].astype("string"))
            e["uasc"] = np.where(e["child_id"].isin(ids), "Y", "N")
        if not e.empty:
            return CareData(e, "ssda903", coverage_start(e))
    cla = tables.get("cla")
    if cla is not None and not cla.empty:
        e = episodes_from_list8(cla, as_of=period_end)
        if not e.empty:
            return CareData(e, "list8", coverage_start(e))
    return CareData(pd.DataFrame(columns=EPISODE_COLUMNS), "none", None)


def headline_measures(ctx) -> list[HeadlineMeasure]:
    """Children in care (stock), rate per 10,000 (stock), starts (count), care leavers 19-21 in EET."""
    p = ctx.params
    data = care_data(ctx.tables, p.period_end)
    out: list[HeadlineMeasure] = []
    if data.source != "none":
        flows = add_rates(monthly_flows(data.episodes, p.period_end, data.start), p.population_0_17)
        eng_rate = reference.benchmark("cla_rate_per_10k", p.period_end)
        out += [
            HeadlineMeasure(
                "cla_in_care",
                f"Children in care at month end (England rate {eng_rate:.0f} per 10,000)" if eng_rate else
                "Children in care at month end",
                "stock", flows[["month"]].assign(value=flows["in_care"]), None, None, None, "children",
                "children_in_care",
            ),
            HeadlineMeasure(
                "cla_rate_per_10k", "Children in care per 10,000 children", "stock",
                flows[["month"]].assign(value=flows["rate_per_10k"].round(1)), None, eng_rate,
                p.targets.get("cla_rate_per_10k"), "per 10,000", "children_in_care",
            ),
            HeadlineMeasure(
                "cla_starts", "Children starting to be looked after", "count",
                flows[["month"]].assign(value=flows["starts"]), None, None, None, "children", "children_in_care",
            ),
        ]  # fmt: skip
    cl = ctx.tables.get("care_leavers")
    if cl is not None and not cl.empty:
        t = care_leaver_outcomes(cl, p.period_end).set_index("age_group")
        if t.loc["19-21", "eet"] is not pd.NA:
            month = pd.Timestamp(p.period_end.year, p.period_end.month, 1)
            monthly = pd.DataFrame({"month": [month], "numerator": [int(t.loc["19-21", "eet"])],
                                    "denominator": [int(t.loc["19-21", "in_touch"])]})  # fmt: skip
            out.append(
                HeadlineMeasure(
                    "care_leavers_eet", "Care leavers aged 19-21 in education, employment or training",
                    "proportion", monthly, True, reference.benchmark("care_leavers_eet", p.period_end),
                    p.targets.get("care_leavers_eet"), "", "children_in_care",
                )
            )  # fmt: skip
    return out


# --------------------------------------------------------------------------------------
# The chapter: everything the notebook shows, computed once
# --------------------------------------------------------------------------------------

SOURCE_LABELS = {
    "ssda903": "SSDA903 episodes (the children looked after return)",
    "list8": "Annex A List 8 (children in care), one row per period of care",
}


@dataclass
class Chapter:
    """All results of the children-in-care chapter (aggregates only, no identifiers)."""

    source: str
    start: pd.Timestamp
    period_end: pd.Timestamp
    population: int
    flows: pd.DataFrame
    annual: pd.DataFrame
    benchmarks: pd.DataFrame
    identity_breaks: pd.DataFrame
    who: pd.DataFrame
    who_over_time: pd.DataFrame
    reasons: pd.DataFrame
    km_summary: pd.DataFrame
    km_curves: dict
    stability: pd.DataFrame
    care_leavers: pd.DataFrame | None
    forecasts: dict
    its: list
    seconds: dict


def build_chapter(ctx, horizon: int = 12, backtest_step: int = 3) -> Chapter | None:
    """Compute the chapter from a Context; None when neither SSDA903 nor List 8 is present.

    ``backtest_step``: months between forecast-backtest origins over the last 24 months.

    Care leavers (List 9) are included when present (``care_leaver_outcomes`` works on its own
    when there are no care data).
    """
    import time

    from cscbook import forecast, its

    p = ctx.params
    data = care_data(ctx.tables, p.period_end)
    if data.source == "none":
        return None
    e, start, end, pop, mc = data.episodes, data.start, p.period_end, p.population_0_17, p.min_cell
    clock = {}
    t0 = time.perf_counter()
    flows = add_rates(monthly_flows(e, end, start), pop)
    annual = annual_flows(flows, pop)
    breaks = stock_identity_breaks(flows)
    snap = snapshot(e, end)
    who = pd.concat(
        [breakdown(snap, col, mc).assign(characteristic=label) for col, label in BREAKDOWNS.items()
         if not (snap[col] == NOT_KNOWN).all()],
        ignore_index=True,
    )[["characteristic", "category", "children", "percent"]]  # fmt: skip
    if data.source == "ssda903":
        dates = reporting_dates(start, end)
        over = pd.concat(
            [breakdowns_over_time(e, dates, col, mc).assign(characteristic=BREAKDOWNS[col])
             for col in ("placement_group", "location", "provider_group", "age_band")
             if not (snap[col] == NOT_KNOWN).all()],
            ignore_index=True,
        )  # fmt: skip
    else:
        over = pd.DataFrame(columns=["date", "category", "children", "percent", "characteristic"])
    reasons = reasons_ceased(e, end, start, mc)
    km_summary, km_curves = km_by_entry_year(time_in_care(e, end, start))
    stab = stability_table(e, end, start, data.source)
    clock["measures"] = time.perf_counter() - t0
    cl = ctx.tables.get("care_leavers")
    leavers = care_leaver_outcomes(cl, end, mc) if cl is not None and not cl.empty else None

    t0 = time.perf_counter()
    fcs = {
        "in_care": forecast.forecast_series(flows, "in_care", "stock", horizon, step=backtest_step),
        "starts": forecast.forecast_series(flows, "starts", "count", horizon, step=backtest_step),
    }
    clock["forecast"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dates_all = tuple(iv.date for iv in p.interventions)
    fits = [
        its.fit_its(flows, "starts", iv.date, pop, iv.name, adjust_for=tuple(d for d in dates_all if d != iv.date))
        for iv in p.interventions
    ]
    clock["its"] = time.perf_counter() - t0
    return Chapter(data.source, start, end, pop, flows, annual, benchmarks(end), breaks, who, over, reasons,
                   km_summary, km_curves, stab, leavers, fcs, fits, clock)  # fmt: skip


def _rounded(df: pd.DataFrame, digits: int) -> pd.DataFrame:
    num = df.select_dtypes("number").columns
    return df.assign(**{c: df[c].round(digits) for c in num})


def forecast_warnings(ch: Chapter) -> pd.DataFrame:
    """Warnings recorded (and suppressed) while fitting the forecast models: series, model, warning."""
    rows = [{"series": k, "model": m, "warning": w} for k, r in ch.forecasts.items()
            for m, ws in r.warnings.items() for w in ws]  # fmt: skip
    return pd.DataFrame(rows, columns=["series", "model", "warning"])


def save_outputs(ch: Chapter, params) -> list:
    """Write every table the chapter shows to reports/<quarter>/tables/children_in_care_*.csv."""
    from cscbook.outputs import save_table

    f = ch.forecasts
    tables = {
        "monthly": ch.flows.assign(rate_per_10k=ch.flows["rate_per_10k"].round(2),
                                   starts_per_10k=ch.flows["starts_per_10k"].round(3)),  # fmt: skip
        "annual": ch.annual,
        "benchmarks": ch.benchmarks,
        "identity_breaks": ch.identity_breaks,
        "who_where": ch.who,
        "who_where_over_time": ch.who_over_time,
        "reasons_ceased": ch.reasons,
        "time_in_care": ch.km_summary,
        "stability": ch.stability,
        "forecast_in_care": _rounded(f["in_care"].forecast, 1),
        "forecast_starts": _rounded(f["starts"].forecast, 1),
        "forecast_backtest": pd.concat(
            [r.backtest.assign(series=k) for k, r in f.items() if not r.backtest.empty], ignore_index=True
        ).pipe(_rounded, 2) if any(not r.backtest.empty for r in f.values()) else pd.DataFrame(),
    }  # fmt: skip
    if ch.care_leavers is not None:
        tables["care_leavers"] = ch.care_leavers
    warned = forecast_warnings(ch)
    if not warned.empty:
        tables["forecast_warnings"] = warned
    for r in ch.its:
        tables[f"its_{r.name}"] = _rounded(r.table(), 4)
        if r.fitted:
            tables[f"its_{r.name}_series"] = _rounded(r.series, 3)
    return [save_table(df, params, f"children_in_care_{name}") for name, df in tables.items()]


# --------------------------------------------------------------------------------------
# Words and figures
# --------------------------------------------------------------------------------------


def key_numbers(ch: Chapter) -> dict:
    """The numbers the text quotes: latest stock and rate, a year ago, starts/ceases in the last 12 months."""
    f = ch.flows
    last = f.iloc[-1]
    year_ago = f.loc[f["month"] == last["month"] - pd.DateOffset(years=1)]
    l12 = f.iloc[-12:]
    p12 = f.iloc[-24:-12] if len(f) >= 24 else None
    bench = ch.benchmarks.set_index("area")
    return {
        "in_care": int(last["in_care"]),
        "rate": float(last["rate_per_10k"]),
        "in_care_year_ago": int(year_ago["in_care"].iloc[0]) if not year_ago.empty else None,
        "starts_12m": int(l12["starts"].sum()),
        "ceases_12m": int(l12["ceases"].sum()),
        "starts_prev_12m": int(p12["starts"].sum()) if p12 is not None else None,
        "ceases_prev_12m": int(p12["ceases"].sum()) if p12 is not None else None,
        "england_rate": bench.loc["England", "rate_per_10k"],
        "sn_rate": bench.loc["Statistical neighbours (median)", "rate_per_10k"],
        "months": len(f),
    }


def numbers_message(ch: Chapter) -> str:
    """A short paragraph on the numbers in care, rate and flows."""
    k = key_numbers(ch)
    text = (
        f"At {ch.period_end:%d %B %Y}, **{k['in_care']:,} children were in care**, "
        f"{k['rate']:.0f} per 10,000 children aged 0-17"
    )
    comps = []
    if not pd.isna(k["england_rate"]):
        comps.append(f"England {k['england_rate']:.0f}")
    if not pd.isna(k["sn_rate"]):
        comps.append(f"statistical neighbours {k['sn_rate']:.0f}")
    text += f" ({', '.join(comps)})." if comps else "."
    if k["in_care_year_ago"] is not None:
        diff = k["in_care"] - k["in_care_year_ago"]
        text += (f" A year earlier there were {k['in_care_year_ago']:,}: "
                 f"{'an increase' if diff > 0 else 'a fall' if diff < 0 else 'no change'}"
                 f"{f' of {abs(diff):,}' if diff else ''}.")  # fmt: skip
    text += (f" In the last 12 months {k['starts_12m']:,} children started to be looked after and "
             f"{k['ceases_12m']:,} stopped")  # fmt: skip
    if k["starts_prev_12m"] is not None:
        text += f" (the 12 months before: {k['starts_prev_12m']:,} and {k['ceases_prev_12m']:,})"
    text += "."
    return text


def identity_message(ch: Chapter) -> str:
    if ch.identity_breaks.empty:
        return (f"Check: in every month from {ch.flows['month'].iloc[1]:%B %Y} the number in care equals the "
                "previous month's number plus starts minus ceases, so the counts are consistent.")  # fmt: skip
    n = len(ch.identity_breaks)
    net = int(ch.identity_breaks["difference"].sum())
    return (f"**Data-quality finding:** in {n} month{'s' if n > 1 else ''} the number in care does not equal "
            f"last month's number plus starts minus ceases (net difference {net:+d}). This usually means an "
            "episode ended with X1 (\"episode ends, new one begins\") and no new episode follows, a period "
            "restarting with reason S on the day the last one ended, or overlapping episodes. The months are "
            "listed below; the records should be checked in the case management system.")  # fmt: skip


def stability_message(ch: Chapter) -> str:
    s = ch.stability.iloc[-1]
    parts = [f"At {pd.Timestamp(s['date']):%d %B %Y}:"]
    if not pd.isna(s["three_plus_pct"]):
        parts.append(f"{s['three_plus_pct']:.0f}% of children in care had three or more placements in the previous "
                     "12 months.")  # fmt: skip
    if not pd.isna(s["same_placement_2y_pct"]):
        parts.append(f"Of under-16s in care for two and a half years or more, {s['same_placement_2y_pct']:.0f}% "
                     "had lived in the same placement for at least two years.")  # fmt: skip
    return " ".join(parts) if len(parts) > 1 else "Placement stability cannot be computed from this extract."


def plot_flows(ch: Chapter):
    """Two panels: month-end number in care (with England and neighbours' rates as numbers) and starts/ceases."""
    import matplotlib.pyplot as plt

    from cscbook.outputs import PALETTE

    f = ch.flows
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 6.2), sharex=True)
    a1.plot(f["month"], f["in_care"], color=PALETTE[0], lw=2, label="Children in care (month end)")
    for (area, style), colour in zip((("England", "--"), ("Statistical neighbours (median)", "-.")),
                                     (PALETTE[7], PALETTE[4]), strict=True):  # fmt: skip
        rate = ch.benchmarks.set_index("area").loc[area, "rate_per_10k"]
        if rate is not None and not pd.isna(rate):
            a1.axhline(rate * ch.population / 10_000, ls=style, color=colour, lw=1,
                       label=f"{area} rate ({rate:.0f} per 10,000) for our population")  # fmt: skip
    a1.set_ylabel("Children")
    a1.set_title("Children in care")
    a1.legend(fontsize=8, loc="lower left")
    roll_s = f["starts"].rolling(12, min_periods=12).mean()
    roll_c = f["ceases"].rolling(12, min_periods=12).mean()
    a2.plot(f["month"], f["starts"], color=PALETTE[1], lw=0.8, alpha=0.6)
    a2.plot(f["month"], f["ceases"], color=PALETTE[2], lw=0.8, alpha=0.6)
    a2.plot(f["month"], roll_s, color=PALETTE[1], lw=2.2, label="Starts (12-month average)")
    a2.plot(f["month"], roll_c, color=PALETTE[2], lw=2.2, label="Ceases (12-month average)")
    a2.set_ylabel("Children a month")
    a2.set_title("Starting and leaving care")
    a2.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_over_time(ch: Chapter, characteristic: str):
    """Stacked percentages of one characteristic at each 31 March and the period end."""
    import matplotlib.pyplot as plt

    from cscbook.outputs import PALETTE

    d = ch.who_over_time.loc[ch.who_over_time["characteristic"] == characteristic]
    wide = d.pivot_table(index="date", columns="category", values="percent", aggfunc="first", sort=False)
    wide = wide.fillna(0)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    bottom = np.zeros(len(wide))
    labels = [f"{x:%b %Y}" for x in wide.index]
    for i, col in enumerate(wide.columns):
        ax.bar(labels, wide[col].to_numpy(dtype=float), bottom=bottom, color=PALETTE[i % len(PALETTE)], label=col)
        bottom += wide[col].to_numpy(dtype=float)
    ax.set_ylabel("% of children in care")
    ax.set_ylim(0, 100)
    ax.set_title(characteristic)
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    return fig


def plot_km(ch: Chapter):
    """Kaplan-Meier curves of time in care by year of entry."""
    import matplotlib.pyplot as plt

    from cscbook.outputs import PALETTE

    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, (year, c) in enumerate(ch.km_curves.items()):
        ax.step(c["months"], 100 * c["still_in_care"], where="post", color=PALETTE[i % len(PALETTE)], label=year)
    ax.set_xlabel("Months since coming into care")
    ax.set_ylabel("% still in care")
    ax.set_ylim(0, 101)
    ax.set_xlim(0, 48)
    ax.set_title("How long children stay in care, by year they came in")
    ax.legend(title="Came into care", fontsize=8)
    fig.tight_layout()
    return fig


def plot_forecasts(ch: Chapter):
    """History (last 36 months) and 12-month forecast with 80% and 95% intervals, for stock and starts."""
    import matplotlib.pyplot as plt

    from cscbook.outputs import PALETTE

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, (key, title) in zip(axes, (("in_care", "Children in care (month end)"),
                                       ("starts", "Children starting care a month")), strict=True):  # fmt: skip
        hist = ch.flows.iloc[-36:]
        ax.plot(hist["month"], hist[key], color=PALETTE[0], lw=1.6, label="Actual")
        r = ch.forecasts[key]
        if r.chosen is not None:
            fc = r.forecast
            ax.fill_between(fc["month"], fc["lo95"], fc["hi95"], color=PALETTE[5], alpha=0.25, label="95% interval")
            ax.fill_between(fc["month"], fc["lo80"], fc["hi80"], color=PALETTE[5], alpha=0.45, label="80% interval")
            ax.plot(fc["month"], fc["mean"], color=PALETTE[3], lw=1.6, ls="--", label="Forecast")
        ax.set_title(title, fontsize=11)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    axes[0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot_its(r, what: str = "Children starting care a month"):
    """Observed monthly counts, the fitted model and the counterfactual without the intervention."""
    import matplotlib.pyplot as plt

    from cscbook.outputs import PALETTE

    s = r.series
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(s["month"], s["observed"], "o", ms=3, color=PALETTE[7], alpha=0.6, label="Observed")
    ax.plot(s["month"], s["fitted"], color=PALETTE[0], lw=2, label="Model")
    ax.plot(s["month"], s["counterfactual"], color=PALETTE[1], lw=2, ls="--", label="Expected without the change")
    ax.axvline(r.date, color=PALETTE[3], lw=1)
    ax.set_ylabel(what)
    ax.set_title(f"{r.name.replace('_', ' ').capitalize()} ({r.date:%B %Y})")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# Display tables for the book (rounded, plain-English headers)
# --------------------------------------------------------------------------------------


def _int(s: pd.Series) -> pd.Series:
    return s.astype("Float64").round(0).astype("Int64")


def annual_display(ch: Chapter) -> pd.DataFrame:
    a = ch.annual
    return pd.DataFrame(
        {
            "Year (April-March)": a["year"],
            "In care at 31 March": _int(a["in_care_31_march"]),
            "Per 10,000 children": a["rate_per_10k"].round(0).astype("Int64"),
            "Started care": _int(a["starts"]),
            "Left care": _int(a["ceases"]),
            "Starts per 10,000": a["starts_per_10k"].round(0).astype("Int64"),
        }
    )


def benchmark_display(ch: Chapter) -> pd.DataFrame:
    k = key_numbers(ch)
    ours = pd.DataFrame({"area": [f"This authority (12 months to {ch.period_end:%B %Y})"],
                         "rate_per_10k": [k["rate"]],
                         "starts_per_10k": [k["starts_12m"] / ch.population * 10_000]})  # fmt: skip
    b = pd.concat([ours, ch.benchmarks], ignore_index=True)
    b = b.loc[b[["rate_per_10k", "starts_per_10k"]].notna().any(axis=1)]  # not yet published: left out
    return pd.DataFrame(
        {
            "": b["area"],
            "Children in care per 10,000": b["rate_per_10k"].astype("Float64").round(0).astype("Int64"),
            "Starts in a year per 10,000": b["starts_per_10k"].astype("Float64").round(0).astype("Int64"),
        }
    )


def who_display(ch: Chapter) -> pd.DataFrame:
    w = ch.who
    return pd.DataFrame(
        {"Characteristic": w["characteristic"].where(w["characteristic"].ne(w["characteristic"].shift()), ""),
         "Group": w["category"], "Children": _int(w["children"]).astype("string").fillna("*"),
         "%": _int(w["percent"]).astype("string").fillna("*")}
    )  # fmt: skip


def reasons_display(ch: Chapter, years: int = 2) -> pd.DataFrame:
    r = ch.reasons
    periods = list(dict.fromkeys(r["period"]))
    fy = sorted(p for p in periods if not p.startswith("12 months"))[-years:]
    keep = fy + [p for p in periods if p.startswith("12 months")]
    cell = r["children"].astype("Float64").round(0).astype("Int64").astype("string").fillna("*") + " (" + \
        r["percent"].astype("Float64").round(0).astype("Int64").astype("string").fillna("*") + "%)"  # fmt: skip
    wide = r.assign(cell=cell.str.replace("* (*%)", "*", regex=False)).pivot(index="reason", columns="period", values="cell")
    order = [x for x in dict.fromkeys(r["reason"]) if x in wide.index]
    out = wide.loc[order, [p for p in keep if p in wide.columns]].reset_index().rename(columns={"reason": "Reason left care"})
    out.columns.name = None
    return out


def km_display(ch: Chapter) -> pd.DataFrame:
    k = ch.km_summary
    return pd.DataFrame(
        {
            "Came into care (April-March)": k["entry_year"],
            "Children": _int(k["entries"]),
            "Left by period end": _int(k["left"]),
            "Median months in care": k["median_months"].astype("Float64").round(0).astype("Int64"),
            "% still in care after 6 months": _int(k["still_in_care_6m"]),
            "after 12 months": _int(k["still_in_care_12m"]),
            "after 24 months": _int(k["still_in_care_24m"]),
        }
    )


def stability_display(ch: Chapter) -> pd.DataFrame:
    s = ch.stability
    return pd.DataFrame(
        {
            "Date": [f"{pd.Timestamp(d):%d %b %Y}" for d in s["date"]],
            "In care": _int(s["in_care"]),
            "3+ placements in the year": _int(s["three_plus_placements"]),
            "% with 3+ placements": s["three_plus_pct"].astype("Float64").round(0).astype("Int64"),
            "Under 16, in care 2.5+ years": _int(s["long_term_eligible"]),
            "Same placement 2+ years": _int(s["same_placement_2y"]),
            "% same placement 2+ years": s["same_placement_2y_pct"].astype("Float64").round(0).astype("Int64"),
        }
    )


def leavers_display(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Age": t["age_group"],
            "Care leavers": _int(t["care_leavers"]),
            "In touch": _int(t["in_touch"]),
            "In education, employment or training": _int(t["eet"]),
            "% of those in touch": t["eet_pct"].astype("Float64").round(0).astype("Int64"),
            "England %": t["england_eet_pct"].astype("Float64").round(0).astype("Int64"),
            "In suitable accommodation": _int(t["suitable"]),
            "% suitable": t["suitable_pct"].astype("Float64").round(0).astype("Int64"),
        }
    )


def backtest_display(ch: Chapter) -> pd.DataFrame:
    names = {"in_care": "Children in care", "starts": "Starts a month"}
    parts = []
    for key, r in ch.forecasts.items():
        if r.backtest.empty:
            continue
        b = r.backtest
        parts.append(
            pd.DataFrame(
                {
                    "Series": names[key],
                    "Method": b["model"] + np.where(b.get("chosen", False), " (used)", ""),
                    "Average % error": b["mape"].round(0).astype("Int64"),
                    "Average error (children)": b["mae"].round(1),
                    "Actual inside 80% range (%)": b["coverage80"].round(0).astype("Int64"),
                    "Actual inside 95% range (%)": b["coverage95"].round(0).astype("Int64"),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def its_display(ch: Chapter) -> pd.DataFrame:
    rows = []
    for r in ch.its:
        rows.append(
            {
                "Change": r.name.replace("_", " "),
                "Date": f"{r.date:%d %b %Y}",
                "Months before / after": f"{r.months_before} / {r.months_after}",
                "Model": r.method or "not fitted",
                "Starts after vs expected (rate ratio, 95% interval)": (
                    f"{r.rate_ratio:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f})" if r.fitted else ""),
                "Change in monthly trend (ratio, 95% interval)": (
                    f"{r.slope_ratio:.3f} ({r.slope_ci_low:.3f} to {r.slope_ci_high:.3f})" if r.fitted else ""),
            }
        )  # fmt: skip
    return pd.DataFrame(rows)
