"""``methods.survival.CoxPH``: the vectorised score residuals and cluster-robust covariance give
statsmodels PHReg's own numbers (the loop version is the reference), with tied event times,
censoring before the first event, clusters, strata and both tie methods."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg

from cscbook.methods.survival import cox_ph


def _data(n: int = 400, seed: int = 3):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.integers(0, 2, n), rng.integers(0, 3, n) == 1, rng.normal(size=n)]).astype(float)
    time = np.ceil(rng.exponential(60 * np.exp(-0.4 * x[:, 0] + 0.3 * x[:, 2]))).clip(
        1, 365
    )  # whole days: ties
    status = (rng.random(n) < 0.7).astype(int)
    time[:5], status[:5] = 0.5, 0  # censored before any event: no score residual (NaN), as PHReg
    groups = rng.integers(0, n // 3, n)  # children with several involvements
    strata = rng.integers(0, 2, n)
    return time, x, status, groups, strata


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("stratified", [False, True])
def test_same_numbers_as_statsmodels_phreg(ties, stratified):
    time, x, status, groups, strata = _data()
    kw = {"ties": ties, "strata": strata if stratified else None}
    ref = PHReg(time, x, status=status, **kw).fit(groups=groups)
    fast = cox_ph(time, x, status, **kw).fit(groups=groups)
    np.testing.assert_allclose(fast.params, ref.params, rtol=1e-12)
    ref_r, fast_r = ref.model.score_residuals(ref.params), fast.model.score_residuals(ref.params)
    assert np.isnan(fast_r[:5]).all() and np.array_equal(np.isnan(fast_r), np.isnan(ref_r))
    np.testing.assert_allclose(fast_r, ref_r, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.cov_params(), ref.cov_params(), rtol=1e-9)
    np.testing.assert_allclose(fast.bse, ref.bse, rtol=1e-9)
    if ties == "breslow":  # the (Breslow-form) residuals sum to the score, zero at the Breslow estimate
        assert np.abs(np.nansum(fast_r, axis=0)).max() < 1e-6 * len(time)


def test_entry_times_fall_back_to_statsmodels_loop():
    time, x, status, groups, _ = _data(150)
    entry = np.where(np.arange(150) % 4 == 0, np.minimum(time, 10.0) / 2, 0.0)
    ref = PHReg(time, x, status=status, entry=entry).fit(groups=groups)
    fast = cox_ph(time, x, status, entry=entry).fit(groups=groups)
    np.testing.assert_allclose(fast.bse, ref.bse, rtol=1e-12)
