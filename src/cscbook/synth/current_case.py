"""Each child's most specific open case on a day, from the simulated history (for allocations).

A case is open on day t from its start to its end inclusive: a row that closes on t still
holds the child that day, so a closed row shows the allocation it closed with. Most specific
first (``CASES``): in care (a period of care); child protection plan; care leaver (left care,
before the 22nd birthday); child in need plan (a CIN episode after its assessment was
authorised, with no s47 enquiry open); front door (a referral on its day, an assessment up to
and including its authorisation day, an open s47 enquiry, or a CIN episode until its
assessment is authorised).

Only the simulated history up to day t is used (starts on or before t; an end after t only
says the case was still open), so the answer for a day is the same in every extract made on
or after it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.synth.days import add_years

CASES = ("care", "cp", "leaver", "cin", "front door")
FOSTER_LONG_TERM = ["U1", "U4"]  # long-term foster placements (Fostering may hold these)
COLUMNS = ["case", "need", "days_in_care", "foster_long"]


def _open(start, end, t) -> np.ndarray:
    """Open on day t: started by t and not ended before t (end -1 = still open)."""
    start, end, t = np.asarray(start), np.asarray(end), np.asarray(t)
    return (start <= t) & ((end < 0) | (end >= t))


def _candidates(q: pd.DataFrame, table: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Every (query, row of ``table``) pair for the same child; columns i, t and ``cols``."""
    return q.merge(table[["child", *cols]], on="child")


def _care(q: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    m = _candidates(q, tables["periods"], ["period", "start", "end", "need"])
    m = m[_open(m["start"], m["end"], m["t"])]
    ep = tables["episodes"][["period", "decom", "placement_type"]].reset_index(drop=True)
    ep["_o"] = np.arange(len(ep))
    placed = m[["i", "t", "period"]].merge(ep, on="period")
    latest = placed[placed["decom"] <= placed["t"]].sort_values(["i", "_o"]).groupby("i").tail(1)
    ptype = latest.set_index("i")["placement_type"].reindex(m["i"]).to_numpy()
    return pd.DataFrame({"i": m["i"].to_numpy(), "rank": 0, "need": m["need"].to_numpy(),
                         "days_in_care": (m["t"] - m["start"]).to_numpy(),
                         "foster_long": pd.Series(ptype).isin(FOSTER_LONG_TERM).to_numpy()})  # fmt: skip


def _plans(q: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    m = _candidates(q, tables["cp"], ["ref", "start", "end"])
    m = m[_open(m["start"], m["end"], m["t"])]
    need = tables["referrals"].set_index("ref").loc[m["ref"], "need"].to_numpy()
    return pd.DataFrame({"i": m["i"].to_numpy(), "rank": 1, "need": need})


def _leavers(q: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    lv = tables["leavers"][["child", "dob", "left"]].assign(b22=lambda d: add_years(d["dob"].to_numpy(), 22))
    m = _candidates(q, lv, ["left", "b22"])
    m = m[(m["left"] <= m["t"]) & (m["t"] < m["b22"])]
    return pd.DataFrame({"i": m["i"].to_numpy(), "rank": 2, "need": ""})


def _cin(q: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    m = _candidates(q, tables["cin"], ["ref", "start", "closure", "auth", "need"])
    m = m[_open(m["start"], m["closure"], m["t"])].reset_index(drop=True)
    s47 = m[["ref", "t"]].reset_index(names="_m").merge(tables["s47"][["ref", "start", "end"]], on="ref")
    in_s47 = np.isin(np.arange(len(m)), s47.loc[_open(s47["start"], s47["end"], s47["t"]), "_m"].to_numpy())
    front = (m["t"] <= m["auth"]).to_numpy() | in_s47
    return pd.DataFrame({"i": m["i"].to_numpy(), "rank": np.where(front, 4, 3), "need": m["need"].to_numpy()})


def _front_door(q: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Referrals on their day, assessments up to their authorisation, open s47 enquiries."""
    hits = []
    for name, start, end in (("referrals", "referral", "referral"), ("assessments", "start", "auth"),
                             ("s47", "start", "end")):  # fmt: skip
        table = tables[name][["child", start, end]].set_axis(["child", "start", "end"], axis=1)
        m = _candidates(q, table, ["start", "end"])
        hits.append(m.loc[_open(m["start"], m["end"], m["t"]), "i"].to_numpy())
    return pd.DataFrame({"i": np.concatenate(hits), "rank": 4, "need": ""})


def current_cases(tables: dict[str, pd.DataFrame], child: np.ndarray, t: np.ndarray) -> pd.DataFrame:
    """For each query (child, day t), in order: ``case`` (one of ``CASES``, '' when none is
    open), its primary ``need``, ``days_in_care`` (0 unless in care) and ``foster_long`` (in
    care in a long-term foster placement, U1/U4)."""
    q = pd.DataFrame({"child": np.asarray(child, dtype=np.int64), "t": np.asarray(t, dtype=np.int64)})
    q["i"] = np.arange(len(q))
    parts = [f(q, tables) for f in (_care, _plans, _leavers, _cin, _front_door)]
    cands = pd.concat(parts, ignore_index=True).sort_values(["i", "rank"], kind="stable")
    best = cands.drop_duplicates("i").set_index("i").reindex(q["i"])
    rank = best["rank"].fillna(len(CASES)).astype(np.int64).to_numpy()
    return pd.DataFrame({
        "case": np.array([*CASES, ""], dtype=object)[rank],
        "need": best["need"].fillna("").astype(object).to_numpy(),
        "days_in_care": best["days_in_care"].fillna(0).astype(np.int64).to_numpy(),
        "foster_long": best["foster_long"].astype("boolean").fillna(False).astype(bool).to_numpy(),
    })  # fmt: skip
