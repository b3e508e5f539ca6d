"""The synthetic authority's SSDA903 return for each collection year, as DfE specifies it.

The world's episodes are the case record; the return is what the authority submits after
checking it against DfE's validation rules (``scripts/dfe_validate_903.py``). Annex A is
written from the case record unchanged. What the return changes (``submitted_episodes``):

- postcodes are full (fictional) postcodes (``geography``): the child's home postcode is fixed
  per child, each placement has its own; placed with parents (P1) is at the home postcode;
- the reason for a placement change (REASON_PLACE_CHANGE) sits on the episode that ends with
  the change (``CARPL`` where the case record has none, e.g. a move to an adoptive placement);
- a legal-status change and a move on the same day (RNE T) become two episodes: the legal
  change (RNE L) that day and the move (RNE P) the next day; placed for adoption with the
  current foster carers (A3/A5 after U1-U6) is RNE U at the foster carers' address instead, and
  A3/A5 from any other placement becomes A4/A6;
- police protection (L1) lasting more than 72 hours is recorded as an emergency protection
  order (L2); a special guardianship order to former foster carers (E45/E46) made when the
  child was not fostered becomes one to other carers (E47/E48);
- Ofsted URNs only for placement types that have them (``XXXXXXX`` otherwise); the authority's
  own provision (PR1) placed outside Westmere in a non-foster placement is other LA provision (PR2);
- independent living (P2) ends on 28 October 2023, when supported accommodation (H5) becomes
  Ofsted-registered (a URN from then on) and replaces it (``end_independent_living``).

By collection year: SEX 1/2 until 2023-24 and M/F from 2024-25; the social worker episodes file
from 2023-24. A UASC file every year (Westmere's synthetic world has no
unaccompanied asylum-seeking children, so it holds only its header row).

Social worker episodes (``social_worker_history``): each child in care has a named social
worker from the day care starts; changes arrive at random (Poisson, ``SW_CHANGES_PER_YEAR``,
the same every year: no trend); a child who leaves and returns within the record keeps the
history (the worker who held the case in between counts), and the case stays with the worker
for 4-12 weeks after the child leaves care. No change and no closure falls in 26-31 March
(``not_late_march``). Ids are ``SW`` + 6 digits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.synth import geography
from cscbook.synth.allocation import unit
from cscbook.synth.days import day, to_dt64

SW_CHANGES_PER_YEAR = 0.75
SW_REASONS = {"LEFTRL": 0.35, "MANAGE": 0.2, "TSPROC": 0.2, "ORGRST": 0.08, "ABSENC": 0.07, "CHCHAN": 0.04,
              "PCCHAN": 0.02, "OTHERS": 0.04}  # fmt: skip
FIRST_SW_REASON = "FCONTA"
URN_NOT_APPLICABLE = ("P1", "P3", "R1", "R2", "R5", "T0", "T1", "T2", "T3", "T4", "Z1")
FOSTER_OR_ADOPTION = ("A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6", "K3")
P2_LAST_DAY = "2023-10-28"
SEX_MF_FROM = 2025  # collection year ending 31 March 2025
SW_FROM = 2024
CLOSURE_DAYS = (28, 84)


def _prev(e: pd.DataFrame, col: str) -> pd.Series:
    return e.groupby("period", sort=False)[col].shift(1)


def split_same_day_changes(e: pd.DataFrame) -> pd.DataFrame:
    """RNE T (legal status and placement the same day): placed for adoption with the current
    foster carers (A3/A5 after U1-U6) becomes RNE U at the same address; otherwise RNE L that
    day, then RNE P the next day (A5 not from foster care becomes A6)."""
    place_cols = ["placement_type", "provider", "pl_post", "urn", "_placement"]
    before = e.copy()
    for c in place_cols:
        before[c] = _prev(e, c)
    t = e["rne"].eq("T")
    same_carer = (
        t
        & e["placement_type"].isin(["A3", "A5"])
        & before["placement_type"].str.startswith("U").fillna(False)
    )
    e = e.copy()
    e.loc[same_carer, "rne"] = "U"
    e.loc[same_carer, "pl_post"] = before.loc[same_carer, "pl_post"]
    e.loc[same_carer, "_placement"] = before.loc[same_carer, "_placement"].astype(np.int64)
    split = (t & ~same_carer).to_numpy()
    if not split.any():
        return e
    e.loc[split & e["placement_type"].eq("A5").to_numpy(), "placement_type"] = "A6"
    e.loc[split & e["placement_type"].eq("A3").to_numpy(), "placement_type"] = "A4"
    legal = e.loc[split].copy()
    for c in place_cols:
        legal[c] = before.loc[split, c].to_numpy()
    legal["_placement"] = legal["_placement"].astype(np.int64)
    legal["rne"] = "L"
    legal["dec"] = legal["decom"] + 1
    legal["rec"] = "X1"
    move = e.loc[split].copy()
    move["rne"] = "P"
    move["decom"] = move["decom"] + 1
    out = pd.concat([e.loc[~split], legal, move], ignore_index=True)
    return out.sort_values(["period", "decom"], kind="stable").reset_index(drop=True)


def end_independent_living(e: pd.DataFrame) -> pd.DataFrame:
    """From 28 October 2023 independent living (P2) ends and supported accommodation (H5) is
    registered with Ofsted: a P2 or H5 episode running past that day ends on it (X1) and an H5
    episode at the same address starts (RNE P: a change of placement, reason OTHER); one starting later is H5 from the
    start. ``submitted_episodes`` gives H5 episodes from that day an Ofsted URN."""
    cut = day(P2_LAST_DAY)
    supported = e["placement_type"].isin(["P2", "H5"])
    e = e.copy()
    e.loc[supported & (e["decom"] >= cut), "placement_type"] = "H5"
    span = (supported & (e["decom"] < cut) & ((e["dec"] < 0) | (e["dec"] > cut))).to_numpy()
    if not span.any():
        return e
    before = e.loc[span].copy()
    before["dec"], before["rec"] = cut, "X1"
    after = e.loc[span].copy()
    after["decom"], after["rne"], after["placement_type"], after["reason_place_change"] = (
        cut,
        "P",
        "H5",
        "OTHER",
    )
    out = pd.concat([e.loc[~span], before, after], ignore_index=True)
    return out.sort_values(["period", "decom"], kind="stable").reset_index(drop=True)


def submitted_episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """The world's episodes as the return records them (see the module docstring); uncensored."""
    e = episodes.sort_values(["period", "decom"], kind="stable").reset_index(drop=True).copy()
    e["_placement"] = e.groupby("period").cumcount().where(e["rne"].isin(["S", "P", "T"]))
    e["_placement"] = e.groupby("period")["_placement"].ffill().astype(np.int64)
    e = split_same_day_changes(e)
    e = end_independent_living(e)
    # police protection lasts at most 72 hours
    run = (e["legal"].ne(_prev(e, "legal"))).groupby(e["period"]).cumsum()
    grp = [e["period"], run]
    run_end = e["dec"].where(e["dec"] >= 0, np.iinfo(np.int64).max).groupby(grp).transform("max")
    run_start = e["decom"].groupby(grp).transform("min")
    e.loc[e["legal"].eq("L1") & (run_end - run_start > 3), "legal"] = "L2"
    # SGO to former foster carers only from foster care
    fostered = e["placement_type"].str.startswith("U")
    e["rec"] = (
        e["rec"].mask(e["rec"].eq("E45") & ~fostered, "E47").mask(e["rec"].eq("E46") & ~fostered, "E48")
    )
    # reason for the placement change on the episode that ends with it
    nxt_rne = e.groupby("period", sort=False)["rne"].shift(-1)
    nxt_reason = e.groupby("period", sort=False)["reason_place_change"].shift(-1)
    moves = nxt_rne.isin(["P", "B", "U"])
    e["reason_place_change"] = np.where(moves, nxt_reason.fillna("CARPL"), "")
    # postcodes
    home = geography.full_postcode(e["home_post"].to_numpy(), e["child"].to_numpy(), 300)
    key = e["period"].to_numpy(dtype=np.int64) * 64 + e["_placement"].to_numpy(dtype=np.int64)
    place = geography.full_postcode(e["pl_post"].to_numpy(), key, 310)
    again = geography.full_postcode(e["pl_post"].to_numpy(), key, 320)
    place = np.where(place == home, again, place)
    p1 = e["placement_type"].eq("P1").to_numpy()
    p1_starts = pd.Series(p1 & e["rne"].isin(["S", "P"]).to_numpy()).groupby(e["period"].to_numpy()).cumsum()
    first_p1 = p1 & (p1_starts.to_numpy() == 1)
    own_home = geography.full_postcode(e["home_post"].to_numpy(), key, 330)
    e["home_post"] = home
    e["pl_post"] = np.where(first_p1, home, np.where(p1, np.where(own_home == home, again, own_home), place))
    inside = e["pl_post"].str.startswith(geography.WESTMERE_AREA)
    e["urn"] = e["urn"].mask(e["placement_type"].isin(URN_NOT_APPLICABLE), "XXXXXXX")
    # supported accommodation is registered with Ofsted from 28 October 2023 (a URN from then on)
    urn = np.char.add("SC", (500000 + np.floor(unit(key, 340) * 99999).astype(np.int64)).astype(str))
    registered = e["placement_type"].eq("H5") & (e["decom"] >= day(P2_LAST_DAY))
    e["urn"] = np.where(registered, urn, e["urn"].to_numpy())
    own_outside = e["provider"].eq("PR1") & ~inside & ~e["placement_type"].isin(FOSTER_OR_ADOPTION)
    e["provider"] = e["provider"].mask(own_outside, "PR2")
    return e


def social_worker_history(periods: pd.DataFrame, sim_end: int, seed: int) -> pd.DataFrame:
    """Social worker episodes (child, sw_id, sw_decom, sw_dec (-1 open), sw_reason) from each
    child's first day in care to the end of their last period (open while in care)."""
    rng = np.random.default_rng([seed, 903])
    p = periods.groupby("child").agg(
        first=("start", "min"), end=("end", lambda s: -1 if (s < 0).any() else s.max())
    )
    p = p.reset_index()
    last = np.where(p["end"].to_numpy() >= 0, p["end"].to_numpy(), sim_end)
    span = np.maximum(last - p["first"].to_numpy(), 0)
    n = rng.poisson(SW_CHANGES_PER_YEAR * span / 365.25)
    child = np.repeat(p["child"].to_numpy(), n)
    lo = np.repeat(p["first"].to_numpy(), n)
    when = lo + 1 + np.floor(rng.random(len(child)) * np.maximum(np.repeat(span, n) - 1, 1)).astype(np.int64)
    changes = pd.DataFrame({"child": child, "start": not_late_march(when)})
    firsts = pd.DataFrame({"child": p["child"].to_numpy(), "start": p["first"].to_numpy()})
    sw = (pd.concat([firsts.assign(first=True), changes.assign(first=False)], ignore_index=True)
          .drop_duplicates(["child", "start"]).sort_values(["child", "start"], kind="stable").reset_index(drop=True))  # fmt: skip
    nxt = sw.groupby("child")["start"].shift(-1)
    end = p.set_index("child")["end"].reindex(sw["child"]).to_numpy()
    end = np.where(end >= 0, case_closure(end, unit(sw["child"].to_numpy(), 350)), -1)
    sw["sw_dec"] = np.where(nxt.notna(), nxt.fillna(-1).to_numpy(), end).astype(np.int64)
    codes, probs = list(SW_REASONS), np.array(list(SW_REASONS.values()))
    reason = np.array(codes, dtype=object)[rng.choice(len(codes), size=len(sw), p=probs / probs.sum())]
    sw["sw_reason"] = np.where(sw["first"], FIRST_SW_REASON, reason)
    sw["sw_id"] = np.char.add("SW", np.char.zfill((100000 + np.floor(unit(np.arange(len(sw)) + seed, 77) * 899999)
                                                   .astype(np.int64)).astype(str), 6))  # fmt: skip
    return sw.rename(columns={"start": "sw_decom"})[["child", "sw_id", "sw_decom", "sw_dec", "sw_reason"]]


def not_late_march(d: np.ndarray) -> np.ndarray:
    """Days in the last six days of March moved to 1 April: DfE rule SW11b reads a social worker
    episode that ends then as one whose successor is missing, so the synthetic authority makes
    no worker change and closes no case in those days."""
    d = np.asarray(d, dtype=np.int64)
    dt = pd.DatetimeIndex(to_dt64(d))
    late = (dt.month == 3) & (dt.day >= 26)
    return np.where(late, d + (31 - dt.day.to_numpy()) + 1, d)


def case_closure(care_end: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The day the social worker's episode ends after the child leaves care: the case closes
    ``CLOSURE_DAYS`` later (uniform ``u`` in [0, 1)), not in the last days of March."""
    lo, hi = CLOSURE_DAYS
    d = np.asarray(care_end, dtype=np.int64) + lo + np.floor(np.asarray(u) * (hi - lo + 1)).astype(np.int64)
    return not_late_march(d)


def year_window(y: int, as_at: int) -> tuple[int, int]:
    """First and last day of the collection year starting 1 April ``y`` (last day capped at the extract)."""
    return day(f"{y}-04-01"), min(day(f"{y + 1}-03-31"), as_at)


def year_episodes(e: pd.DataFrame, y: int, as_at: int) -> pd.DataFrame:
    """Episodes open at any time in collection year y, DEC/REC blank when they end after it."""
    ys, ye = year_window(y, as_at)
    e = e[(e["decom"] <= ye) & ((e["dec"] < 0) | (e["dec"] >= ys))].copy()
    still = (e["dec"] < 0) | (e["dec"] > ye)
    e.loc[still, "dec"] = -1
    e.loc[still, "rec"] = ""
    e.loc[still, "reason_place_change"] = ""
    return e


def year_sw_episodes(sw: pd.DataFrame, children: np.ndarray, y: int, as_at: int) -> pd.DataFrame:
    """Social worker episodes of the given children open at any time in collection year y."""
    ys, ye = year_window(y, as_at)
    s = sw[
        sw["child"].isin(children) & (sw["sw_decom"] <= ye) & ((sw["sw_dec"] < 0) | (sw["sw_dec"] >= ys))
    ].copy()
    s.loc[(s["sw_dec"] < 0) | (s["sw_dec"] > ye), "sw_dec"] = -1
    return s


def sex_code(sex: np.ndarray, end_year: int) -> np.ndarray:
    """SEX as the collection year ending 31 March ``end_year`` codes it: 1/2 before 2024-25, M/F after."""
    sex = np.asarray(sex, dtype=object)
    if end_year >= SEX_MF_FROM:
        return np.where(sex == "M", "M", "F")
    return np.where(sex == "M", "1", "2")
