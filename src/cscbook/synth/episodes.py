"""SSDA903 episodes of each period of care: legal status and placement changes.

Episodes within a period are contiguous (each starts the day the previous ends, which ends
with reason X1); the first has RNE S, later ones L (legal status only), P (placement only)
or T (both). Placement types are drawn by age at the placement start (H5 and P2 only from
16, children's homes from 11, placed with parents only under a care order) and children
adopted are placed for adoption (A5/A6) under a placement order (E1) before the order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.synth import steps

LEGAL_AT_START = {
    "emergency": {"L1": 0.45, "L2": 0.2, "V2": 0.35},
    "s20": {"V2": 0.75, "C1": 0.25},
    "cp": {"C1": 0.8, "V2": 0.2},
    "stock": {"C2": 0.72, "V2": 0.18, "C1": 0.10},
}
PLACE_UNDER_16 = {"U6": 0.40, "U4": 0.25, "U3": 0.10, "U1": 0.05, "K2": 0.12, "P1": 0.04, "R1": 0.02,
                  "S1": 0.02}  # fmt: skip
PLACE_16 = {"H5": 0.35, "U4": 0.20, "U6": 0.15, "K2": 0.15, "U1": 0.05, "P2": 0.05, "P1": 0.05}
RESIDENTIAL = ("K1", "K2", "R1", "S1")
OUTSIDE = {
    "BS16": "South Gloucestershire", "BS4": "Bristol", "BA2": "Bath and North East Somerset",
    "TA6": "Somerset", "EX4": "Devon", "GL1": "Gloucestershire", "SN2": "Swindon",
    "CF10": "Cardiff", "B12": "Birmingham", "PL4": "Plymouth", "BH8": "Bournemouth, Christchurch and Poole",
    "SP1": "Wiltshire",
}  # fmt: skip
N_HOMES = 40


def _legal_events(rng, p: pd.DataFrame, last: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Legal status changes (period, date, legal) and each period's legal status at start."""
    n = len(p)
    start = p["start"].to_numpy()
    kind = np.where(p["initial_stock"].to_numpy(), "stock", p["route"].to_numpy())
    legal0 = np.empty(n, dtype=object)
    for k, opts in LEGAL_AT_START.items():
        m = kind == k
        legal0[m] = steps.choice(rng, opts, int(m.sum()))
    legal0 = legal0.astype(str)
    emergency = np.isin(legal0, ["L1", "L2"])
    after_em = np.where(rng.random(n) < 0.6, "C1", "V2")
    em_date = start + rng.integers(1, 9, size=n)
    v2_to_c1 = ((legal0 == "V2") | (emergency & (after_em == "V2"))) & (rng.random(n) < 0.25)
    base_v2 = np.where(emergency, em_date, start)
    c1_date = np.select(
        [legal0 == "C1", emergency & (after_em == "C1"), v2_to_c1],
        [start, em_date, base_v2 + rng.integers(30, 366, size=n)],
        -1,
    )
    c2_date = np.where(c1_date >= 0, c1_date + rng.integers(120, 331, size=n), -1)
    reason = p["reason"].to_numpy()
    adopt = np.isin(reason, ["E11", "E12"])
    e1_date = np.where(adopt, np.maximum(start + 60, last - rng.integers(120, 331, size=n)), -1)
    ev = pd.DataFrame(
        {
            "period": np.concatenate([p["period"].to_numpy()] * 4),
            "date": np.concatenate([np.where(emergency, em_date, -1), c1_date, c2_date, e1_date]),
            "legal": np.concatenate([after_em, np.full(n, "C1"), np.full(n, "C2"), np.full(n, "E1")]),
        }
    )
    ev = ev[(ev["date"] > np.tile(start, 4)) & (ev["date"] < np.tile(last, 4))]
    # nothing but the placement order after it
    e1 = pd.Series(np.where(adopt, e1_date, np.iinfo(np.int64).max), index=p["period"].to_numpy())
    ev = ev[(ev["legal"] == "E1") | (ev["date"].to_numpy() < e1.reindex(ev["period"]).to_numpy())]
    return ev, legal0, e1


def _placement_types(rng, age_days: np.ndarray, legal: np.ndarray, adoption: np.ndarray) -> np.ndarray:
    n = len(age_days)
    young = steps.choice(rng, PLACE_UNDER_16, n)
    young = np.where(np.isin(young, RESIDENTIAL) & (age_days < 11 * 365.25), "U6", young)
    old = steps.choice(rng, PLACE_16, n)
    t = np.where(age_days >= 16 * 365.25, old, young)
    t = np.where((t == "P1") & ~np.isin(legal, ["C1", "C2"]), "U6", t)
    return np.where(adoption, np.where(rng.random(n) < 0.4, "A5", "A6"), t)


def build_episodes(rng: np.random.Generator, p: pd.DataFrame, sim_end: int) -> pd.DataFrame:
    """Episodes for periods (period, child, start, end (-1 open), dob, reason, route,
    initial_stock, district). Returns one row per episode with DfE-coded columns and day numbers."""
    last = np.where(p["end"].to_numpy() >= 0, p["end"].to_numpy(), sim_end + 1)
    start = p["start"].to_numpy()
    legal_ev, legal0, e1 = _legal_events(rng, p, last)
    # placement moves: Poisson(0.25 + 0.3 per year in care), uniformly inside the period
    years = (last - start) / 365.25
    moves = rng.poisson(0.25 + 0.3 * years)
    pid = np.repeat(p["period"].to_numpy(), moves)
    lo, hi = np.repeat(start + 1, moves), np.repeat(last - 1, moves)
    mdate = lo + np.floor(rng.random(len(pid)) * np.maximum(hi - lo, 0)).astype(np.int64)
    mv = pd.DataFrame({"period": pid, "date": mdate})
    mv = mv[(mv["date"] > lo) & (mv["date"] < np.repeat(last, moves))]
    mv = mv[mv["date"].to_numpy() < e1.reindex(mv["period"]).to_numpy()]
    first = pd.DataFrame({"period": p["period"].to_numpy(), "date": start, "legal": legal0, "place": True,
                          "first": True})  # fmt: skip
    ev = pd.concat(
        [
            first,
            legal_ev.assign(place=legal_ev["legal"] == "E1", first=False),
            mv.assign(legal=None, place=True, first=False),
        ],
        ignore_index=True,
    )
    ev = (
        ev.groupby(["period", "date"], sort=True)
        .agg(legal=("legal", "last"), place=("place", "any"), first=("first", "any"),
             legal_changed=("legal", "count"))
        .reset_index()
    )  # fmt: skip
    ev["legal_changed"] = (ev["legal_changed"] > 0) & ~ev["first"]
    ev["legal"] = ev["legal"].ffill()
    info = p.set_index("period")
    ev = ev.join(info[["child", "dob", "end", "reason", "district", "need"]], on="period")
    ev["rne"] = np.select(
        [ev["first"], ev["legal_changed"] & ev["place"], ev["legal_changed"]], ["S", "T", "L"], "P"
    )
    n = len(ev)
    age = (ev["date"] - ev["dob"]).to_numpy()
    adoption = (ev["legal"].to_numpy() == "E1") & ev["legal_changed"].to_numpy()
    ptype = _placement_types(rng, age, ev["legal"].to_numpy(), adoption)
    provider = np.select(
        [np.isin(ptype, ["U1", "U2", "U3"]), np.isin(ptype, ["U4", "U5", "U6"]), ptype == "K2",
         ptype == "H5", ptype == "P1", np.isin(ptype, ["A5", "A6"])],
        [np.full(n, "PR1"), np.where(rng.random(n) < 0.6, "PR1", "PR4"),
         np.where(rng.random(n) < 0.2, "PR1", "PR4"), np.where(rng.random(n) < 0.6, "PR4", "PR5"),
         np.full(n, "PR0"), np.where(rng.random(n) < 0.7, "PR1", "PR2")],
        "PR4",
    )  # fmt: skip
    inside_p = np.where(np.isin(ptype, RESIDENTIAL), 0.25, np.where(provider == "PR1", 0.85, 0.45))
    inside = rng.random(n) < inside_p
    outside_codes = np.array(list(OUTSIDE))
    home = "WM" + ev["district"].astype(str).to_numpy()
    pl_post = np.where(
        inside,
        "WM" + pd.Series(rng.integers(1, 23, size=n)).astype(str).to_numpy(),
        outside_codes[rng.integers(0, len(outside_codes), size=n)],
    )
    pl_post = np.where(ptype == "P1", home, pl_post)
    urn = np.where(
        np.isin(ptype, RESIDENTIAL),
        "SC" + pd.Series(480000 + rng.integers(0, N_HOMES, size=n) * 37).astype(str).to_numpy(),
        "XXXXXXX",
    )
    ev["placement_type"] = np.where(ev["place"], ptype, None)
    ev["provider"] = np.where(ev["place"], provider, None)
    ev["pl_post"] = np.where(ev["place"], pl_post, None)
    ev["urn"] = np.where(ev["place"], urn, None)
    for c in ("placement_type", "provider", "pl_post", "urn"):
        ev[c] = ev[c].ffill()
    ev["home_post"] = home
    ev["reason_place_change"] = np.where(
        (ev["rne"].isin(["P", "T"])) & ~adoption,
        steps.choice(rng, {"CARPL": 0.35, "CLOSE": 0.15, "PLACE": 0.25, "CHILD": 0.15, "OTHER": 0.10}, n),
        None,
    )
    nxt = ev.groupby("period")["date"].shift(-1)
    is_last = nxt.isna().to_numpy()
    ev["dec"] = np.where(is_last, ev["end"].to_numpy(), nxt.fillna(-1).to_numpy()).astype(np.int64)
    ev["rec"] = np.where(is_last, ev["reason"].to_numpy(), "X1")
    ev["rec"] = np.where(ev["dec"] < 0, "", ev["rec"])
    return ev.rename(columns={"date": "decom"})
