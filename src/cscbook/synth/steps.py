"""Building blocks of a journey shared by the front-door and care modules (working days)."""

from __future__ import annotations

import numpy as np

from cscbook.synth import planted
from cscbook.synth.days import add_wd, interp_points, sub_wd

# Abuse categories at the start of a plan.
CATEGORY_P = {"NEG": 0.50, "EMO": 0.34, "PHY": 0.08, "SAB": 0.04, "MUL": 0.04}


def assessment_authorised(rng: np.random.Generator, start: np.ndarray) -> np.ndarray:
    """Authorisation day of assessments starting on ``start``.

    Planted: within 45 working days with probability ``ASSESSMENT_45WD_POINTS`` evaluated at
    the expected authorisation day (start + 40 working days); within: 8-45 wd (triangular,
    mode 38); late: 46 wd + exponential(mean 14 wd).
    """
    n = len(start)
    p = interp_points(add_wd(start, np.full(n, 40)), planted.ASSESSMENT_45WD_POINTS)
    k = planted.CHARACTER.assessment_45wd_odds  # a synthetic region's authority (planted.Character)
    if k != 1.0:
        p = k * p / (1 - p + k * p)
    within = rng.random(n) < p
    wd_in = np.floor(rng.triangular(8, 38, 46, size=n)).astype(np.int64)
    wd_late = 46 + np.floor(rng.exponential(14, size=n)).astype(np.int64)
    return add_wd(start, np.where(within, np.minimum(wd_in, 45), np.minimum(wd_late, 200)))


def icpc_working_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Working days from s47 start to ICPC: within 15 with probability 0.80 (stationary)."""
    within = rng.random(n) < planted.S47_ICPC_15WD_P
    return np.where(within, rng.integers(4, 16, size=n), rng.integers(16, 36, size=n))


def icpc_after(rng: np.random.Generator, s47: np.ndarray) -> np.ndarray:
    return add_wd(s47, icpc_working_days(rng, len(s47)))


def s47_before(rng: np.random.Generator, icpc: np.ndarray) -> np.ndarray:
    return sub_wd(icpc, icpc_working_days(rng, len(icpc)))


def categories(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Initial and latest category of abuse (latest differs for about 10% of plans)."""
    codes = np.array(list(CATEGORY_P))
    p = np.array(list(CATEGORY_P.values()))
    init = codes[rng.choice(len(codes), size=n, p=p)]
    other = codes[rng.choice(len(codes), size=n, p=p)]
    latest = np.where(rng.random(n) < 0.10, other, init)
    return init, latest


def choice(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    codes = np.array(list(options))
    p = np.array(list(options.values()), dtype=float)
    return codes[rng.choice(len(codes), size=n, p=p / p.sum())]
