"""Comparing two proportions (pooled two-sample z-test)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def two_proportion_test(k1, n1, k2, n2) -> tuple[np.ndarray, np.ndarray]:
    """z statistic and two-sided p-value of k1/n1 - k2/n2 under a pooled binomial null.

    Vectorised over arrays; NaN where either group is empty or the pooled share is 0 or 1
    (no variation: no evidence of a difference).
    """
    k1, n1, k2, n2 = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (k1 + k2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (k1 / n1 - k2 / n2) / se
    z = np.where((n1 > 0) & (n2 > 0) & (se > 0), z, np.nan)
    return z, np.where(np.isfinite(z), 2 * stats.norm.sf(np.abs(z)), np.nan)
