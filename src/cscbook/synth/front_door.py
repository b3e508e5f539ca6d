"""The front door: contacts arriving (Poisson, school-term seasonality), sources and decisions.

Planted: the monthly referral level (``planted.REFERRALS_MONTHLY_POINTS``; the targeted-help
change ramps it down from February 2024). Not planted: contact decision timeliness
(``planted.DECISION_DELAY_P``, 85% within one working day throughout).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.config.calendar import bank_holidays
from cscbook.synth import planted
from cscbook.synth.days import add_wd, day, interp_points, to_dt64

SOURCE_P = {
    "1A": 0.05, "1B": 0.01, "1C": 0.015, "1D": 0.01, "2A": 0.19, "2B": 0.02,
    "3A": 0.03, "3B": 0.03, "3C": 0.01, "3D": 0.02, "3E": 0.03, "3F": 0.06,
    "4": 0.02, "5A": 0.04, "5B": 0.03, "5C": 0.03, "5D": 0.03, "6": 0.28,
    "7": 0.03, "8": 0.04, "9": 0.01, "10": 0.005,
}  # fmt: skip
# Month factors (school terms: quiet August and Christmas, busy autumn); mean 1.
MONTH_FACTOR = np.array([1.0, 0.98, 1.05, 0.95, 1.05, 1.05, 1.0, 0.78, 1.05, 1.08, 1.1, 0.91])
MONTH_FACTOR = MONTH_FACTOR / MONTH_FACTOR.mean()
NEED_P = {"N1": 0.45, "N2": 0.06, "N3": 0.04, "N4": 0.12, "N5": 0.17, "N6": 0.05, "N7": 0.02,
          "N8": 0.03, "N9": 0.04, "N0": 0.02}  # fmt: skip
# Age at referral: (low, high) years, probability.
REFERRAL_AGES = [((0, 1), 0.10), ((1, 5), 0.20), ((5, 10), 0.25), ((10, 16), 0.35), ((16, 17.5), 0.10)]


def sim_days() -> np.ndarray:
    return np.arange(day(planted.SIM_START), day(planted.SIM_END) + 1, dtype=np.int64)


def daily_weights(days: np.ndarray) -> np.ndarray:
    """Relative arrival rate by day: month factor x (weekday 1, weekend 0.2, bank holiday 0.3),
    normalised so each month's weights sum to 1 x the month factor."""
    dt = pd.to_datetime(to_dt64(days))
    w = np.where(dt.day_of_week < 5, 1.0, 0.2)
    w = np.where(np.isin(to_dt64(days), bank_holidays()), 0.3, w)
    month = dt.year * 12 + dt.month
    total = pd.Series(w).groupby(np.asarray(month)).transform("sum").to_numpy()
    return w / total * MONTH_FACTOR[np.asarray(dt.month) - 1]


def referral_level(days: np.ndarray) -> np.ndarray:
    """Planted referrals per month (before seasonality) on each day."""
    return interp_points(days, planted.REFERRALS_MONTHLY_POINTS)


def poisson_days(rng: np.random.Generator, days: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Arrival days of a Poisson process with the given expected count per day."""
    counts = rng.poisson(np.maximum(rate, 0.0))
    return np.repeat(days, counts)


def draw_source(rng: np.random.Generator, contact: np.ndarray) -> np.ndarray:
    """Contact source codes; schools contact far less in August and late December."""
    codes = np.array(list(SOURCE_P))
    p = np.array(list(SOURCE_P.values()))
    dt = pd.to_datetime(to_dt64(contact))
    holiday = np.asarray((dt.month == 8) | ((dt.month == 12) & (dt.day > 20)))
    p_hol = p * np.where(np.isin(codes, ["2A", "2B"]), 0.3, 1.0)
    out = np.empty(len(contact), dtype=object)
    for mask, pp in ((~holiday, p), (holiday, p_hol)):
        out[mask] = codes[rng.choice(len(codes), size=int(mask.sum()), p=pp / pp.sum())]
    return out.astype(str)


def decide(rng: np.random.Generator, contact: np.ndarray) -> np.ndarray:
    """Decision day: 0..5 working days after the contact (stationary)."""
    p = np.array(planted.DECISION_DELAY_P)
    delay = rng.choice(len(p), size=len(contact), p=p / p.sum())
    return add_wd(contact, delay)


def draw_need(rng: np.random.Generator, n: int) -> np.ndarray:
    codes = np.array(list(NEED_P))
    p = np.array(list(NEED_P.values()))
    return codes[rng.choice(len(codes), size=n, p=p / p.sum())]


def draw_age_days(rng: np.random.Generator, n: int, ages=REFERRAL_AGES) -> np.ndarray:
    """Age in days at an event, from banded probabilities, uniform within a band."""
    bands = np.array([b for b, _ in ages], dtype=float)
    p = np.array([q for _, q in ages])
    k = rng.choice(len(p), size=n, p=p / p.sum())
    years = bands[k, 0] + rng.random(n) * (bands[k, 1] - bands[k, 0])
    return np.floor(years * 365.25).astype(np.int64)


def fresh_referral_contacts(rng: np.random.Generator, scale: float) -> np.ndarray:
    """Contact days of fresh (first) referrals: the planted level x fresh share x seasonality."""
    days = sim_days()
    rate = referral_level(days) * planted.FRESH_SHARE * daily_weights(days) * scale
    return poisson_days(rng, days, rate)


def other_contacts(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """Contacts that do not become referrals; outcome early help or no further action.

    After the targeted-help change, contacts that would have been referred before (the gap
    between the January 2024 level and the planted level) arrive here and mostly go to early help.
    """
    days = sim_days()
    w = daily_weights(days) * scale
    base = (planted.CONTACTS_PER_REFERRAL - 1) * 330.0
    change = day(planted.TARGETED_HELP_CHANGE)
    diverted = np.where(days >= change, np.maximum(440.0 - referral_level(days), 0.0), 0.0)
    c_base = poisson_days(rng, days, base * w)
    c_div = poisson_days(rng, days, diverted * w)
    contact = np.concatenate([c_base, c_div])
    eh_p = np.concatenate([np.full(len(c_base), 0.22), np.full(len(c_div), 0.8)])
    order = np.argsort(contact, kind="stable")
    contact, eh_p = contact[order], eh_p[order]
    return pd.DataFrame({"contact": contact, "early_help": rng.random(len(contact)) < eh_p})
