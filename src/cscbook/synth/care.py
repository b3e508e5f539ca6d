"""Children in care: periods of care (starts, steered ceasing), their back-stories and exits.

Planted: starts are Poisson at ``CLA_STARTS_PER_YEAR`` a year just before ``EDGE_OF_CARE_DATE``,
growing by ``CLA_STARTS_TREND`` a year, with a step (rate ratio ``EDGE_OF_CARE_RATE_RATIO``)
at that date; the number in care is steered towards
``CLA_STOCK_POINTS`` by the daily number of discretionary exits. Children leave care at the
latest on their 18th birthday.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.synth import front_door, planted, steps
from cscbook.synth.days import add_wd, add_years, day, interp_points, sub_wd

ENTRY_AGES = [((0, 1), 0.21), ((1, 5), 0.15), ((5, 10), 0.17), ((10, 16), 0.37), ((16, 17.6), 0.10)]
STOCK_AGES = [((0.2, 1), 0.04), ((1, 5), 0.14), ((5, 10), 0.20), ((10, 16), 0.40), ((16, 17.9), 0.22)]
ROUTE_P = {"emergency": 0.25, "s20": 0.35, "cp": 0.40}
CARE_NEED_P = {"N1": 0.66, "N2": 0.04, "N3": 0.03, "N4": 0.09, "N5": 0.10, "N6": 0.03, "N8": 0.05}


def start_rate(days: np.ndarray) -> np.ndarray:
    """Planted expected starts per day (before scaling): log-linear trend times the step."""
    t0 = day(planted.EDGE_OF_CARE_DATE)
    trend = planted.CLA_STARTS_TREND ** ((np.asarray(days) - t0) / 365.25)
    step = np.where(days >= t0, planted.EDGE_OF_CARE_RATE_RATIO, 1.0)
    return planted.CLA_STARTS_PER_YEAR / 365.25 * trend * step


def poisson_counts(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Poisson counts with means ``lam`` by inversion of one uniform each.

    The same seed gives counts that move monotonically with the rates (common random numbers),
    so recalibrating a rate does not redraw the noise.
    """
    from scipy.stats import poisson

    return np.maximum(poisson.ppf(rng.random(len(lam)), lam), 0).astype(np.int64)  # ppf(0) is -1


def simulate_periods(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """Periods of care: start, end (-1 if open at the end of the simulation), dob, stock flag.

    A daily loop with array operations: starts arrive, 18th birthdays force exits, and the
    discretionary exits are Poisson around (starts - target slope + (stock - target) / 30).
    """
    days = front_door.sim_days()
    t0 = int(days[0])
    target = interp_points(days, planted.CLA_STOCK_POINTS) * scale
    slope = np.gradient(target)
    # initial stock
    n0 = int(round(target[0]))
    age0 = front_door.draw_age_days(rng, n0, STOCK_AGES)
    elapsed = np.minimum(np.floor(rng.exponential(2.5, size=n0) * 365.25), age0 - 30).astype(np.int64)
    elapsed = np.maximum(elapsed, 1)
    starts = [t0 - elapsed]
    dobs = [t0 - age0]
    counts = poisson_counts(rng, start_rate(days) * scale)
    new_ages = front_door.draw_age_days(rng, int(counts.sum()), ENTRY_AGES)
    new_starts = np.repeat(days, counts)
    starts.append(new_starts)
    dobs.append(new_starts - new_ages)
    start = np.concatenate(starts)
    dob = np.concatenate(dobs)
    n = len(start)
    b18 = add_years(dob, 18)
    end = np.full(n, -1, dtype=np.int64)
    forced = np.zeros(n, dtype=bool)
    active = np.arange(n0)
    first_new = n0
    offsets = np.concatenate([[0], np.cumsum(counts)]) + n0
    for i, d in enumerate(days):
        if counts[i]:
            active = np.concatenate([active, np.arange(offsets[i], offsets[i + 1])])
        due = b18[active] <= d
        if due.any():
            gone = active[due]
            end[gone] = b18[gone]
            forced[gone] = True
            active = active[~due]
        s = len(active)
        lam = start_rate(np.array([d]))[0] * scale - slope[i] + (s - target[i]) / 30.0 - due.sum()
        k = min(rng.poisson(max(lam, 0.0)), s)
        if k:
            tic = d - start[active]
            age = d - dob[active]
            w = np.where(tic < 90, 2.0, 1.0) * np.where(age > 16 * 365, 0.4, 1.0) * (tic > 0)
            if w.sum() <= 0:
                continue
            k = min(k, int((w > 0).sum()))
            pick = rng.choice(s, size=k, replace=False, p=w / w.sum())
            end[active[pick]] = d
            active = np.delete(active, pick)
    del first_new
    return pd.DataFrame(
        {"period": np.arange(n), "start": start, "end": end, "dob": dob, "aged_out": forced,
         "initial_stock": np.arange(n) < n0}
    )  # fmt: skip


def exit_reasons(rng: np.random.Generator, p: pd.DataFrame) -> np.ndarray:
    """Reason ceased for each closed period (by age at entry, time in care and age at exit)."""
    n = len(p)
    age_in = (p["start"] - p["dob"]).to_numpy() / 365.25
    age_out = (p["end"] - p["dob"]).to_numpy() / 365.25
    tic = (p["end"] - p["start"]).to_numpy()
    at18 = steps.choice(rng, {"E17": 0.3, "E5": 0.4, "E6": 0.1, "E8": 0.2}, n)
    young = steps.choice(
        rng, {"E11": 0.45, "E12": 0.05, "E45": 0.06, "E47": 0.18, "E4A": 0.2, "E41": 0.06}, n
    )
    older = steps.choice(
        rng,
        {
            "E4A": 0.48,
            "E4B": 0.06,
            "E13": 0.05,
            "E41": 0.06,
            "E45": 0.04,
            "E46": 0.02,
            "E47": 0.08,
            "E48": 0.02,
            "E3": 0.03,
            "E8": 0.12,
            "E16": 0.01,
            "E2": 0.003,
        },
        n,
    )
    sixteen = steps.choice(rng, {"E4A": 0.35, "E13": 0.1, "E5": 0.25, "E6": 0.1, "E8": 0.2}, n)
    reason = np.where(age_out >= 16, sixteen, np.where((age_in < 4) & (tic >= 365), young, older))
    reason = np.where(p["aged_out"].to_numpy(), at18, reason)
    return np.where(p["end"].to_numpy() < 0, "", reason)


def backstories(rng: np.random.Generator, p: pd.DataFrame) -> pd.DataFrame:
    """How each child came into care: route and the dates of referral, s47, ICPC and plan.

    Routes: emergency (referral 0-2 days before, s47 with ICPC deemed unnecessary), s20 after an
    assessment (referral 30-300 days before), or from a child protection plan (plan of 60-600
    days ending on the day of entry). Routes that would start before birth become emergencies.
    """
    n = len(p)
    c = p["start"].to_numpy()
    dob = p["dob"].to_numpy()
    route = steps.choice(rng, ROUTE_P, n)
    lag_s20 = rng.integers(30, 301, size=n)
    cp_len = rng.integers(60, 601, size=n)
    cp_start = c - cp_len
    s47_cp = steps.s47_before(rng, cp_start)
    ref_cp = s47_cp - rng.integers(0, 6, size=n)
    ref = np.select([route == "s20", route == "cp"], [c - lag_s20, ref_cp], c - rng.integers(0, 3, size=n))
    route = np.where(ref < dob + 7, "emergency", route)
    ref = np.where(route == "emergency", np.maximum(c - rng.integers(0, 3, size=n), dob), ref)
    s47 = np.where(route == "cp", s47_cp, np.where(route == "emergency", ref, -1))
    icpc = np.where(route == "cp", cp_start, -1)
    a_start = add_wd(ref, rng.choice(3, size=n, p=[0.6, 0.3, 0.1]))
    a_start = np.where(route == "emergency", ref, a_start)
    return pd.DataFrame(
        {"period": p["period"].to_numpy(), "route": route, "referral": ref, "a_start": a_start,
         "a_auth": steps.assessment_authorised(rng, a_start), "s47": s47, "icpc": icpc,
         "cp_start": np.where(route == "cp", cp_start, -1), "need": steps.choice(rng, CARE_NEED_P, n)}
    )  # fmt: skip


def check_before(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b))


__all__ = ["simulate_periods", "exit_reasons", "backstories", "sub_wd"]
