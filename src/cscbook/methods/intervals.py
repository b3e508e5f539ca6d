"""Confidence intervals for proportions and counts."""

from __future__ import annotations

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint


def wilson(numerator, denominator, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson interval (default 95%) for each numerator / denominator (NaN where the denominator is 0)."""
    num = np.atleast_1d(np.asarray(numerator, dtype=float))
    den = np.atleast_1d(np.asarray(denominator, dtype=float))
    low, high = np.full(len(num), np.nan), np.full(len(num), np.nan)
    ok = den > 0
    if ok.any():
        low[ok], high[ok] = proportion_confint(num[ok], den[ok], alpha=alpha, method="wilson")
    return low, high


def poisson_exact(count, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval (default 95%) for each Poisson count (NaN for missing counts)."""
    k = np.atleast_1d(np.asarray(count, dtype=float))
    low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
    high = stats.chi2.ppf(1 - alpha / 2, 2 * (k + 1)) / 2
    bad = ~np.isfinite(k)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)
