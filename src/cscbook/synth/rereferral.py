"""Planted re-referral model (contract /tmp/rr_contract.md): logistic on closed involvements.

P(referral within 365 days of closure) = expit(intercept + sum of planted log odds ratios);
the re-referral's contact falls on day 1..355 after closure (decision within 5 working
days, so the referral is on day 1..365); children not re-referred may come back later (day
366+) at a low background rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.data import codes
from cscbook.synth import planted
from cscbook.synth.days import age_years


def age_band(age: np.ndarray) -> np.ndarray:
    return np.select([age <= 4, age <= 9, age <= 15], ["0-4", "5-9", "10-15"], "16-17")


def log_odds(closed: pd.DataFrame) -> np.ndarray:
    """Planted log odds for closed involvements (columns ended, closure, dob, need, source, sex,
    disability)."""
    age = age_years(closed["dob"].to_numpy(), closed["closure"].to_numpy())
    terms = {
        "ended": closed["ended"].to_numpy(),
        "age_band": age_band(age),
        "primary_need": closed["need"].to_numpy(),
        "source": pd.Series(closed["source"]).map(codes.SOURCE_GROUP).to_numpy(),
        "sex": closed["sex"].to_numpy(),
        "disability": closed["disability"].to_numpy(),
    }
    eta = np.full(len(closed), planted.RR_INTERCEPT)
    for term, ratio in planted.RR_ODDS_RATIOS.items():
        var, level = term[:-1].split("[", 1)
        eta = eta + np.where(terms[var] == level, np.log(ratio), 0.0)
    if planted.CHARACTER.rereferral_odds != 1.0:  # a synthetic region's authority (planted.Character)
        eta = eta + np.log(planted.CHARACTER.rereferral_odds)
    return eta


def draw_return_contacts(rng: np.random.Generator, closed: pd.DataFrame) -> np.ndarray:
    """Contact day of the next referral for each closed involvement (-1 when none)."""
    n = len(closed)
    p = 1.0 / (1.0 + np.exp(-log_odds(closed)))
    back = rng.random(n) < p
    soon = 1 + np.floor(355 * rng.random(n) ** 1.5).astype(np.int64)
    later = 366 + np.floor(rng.exponential(350, size=n)).astype(np.int64)
    bg = rng.random(n) < planted.RR_BACKGROUND_P
    gap = np.where(back, soon, np.where(bg, later, -1))
    return np.where(gap > 0, closed["closure"].to_numpy() + gap, -1)
