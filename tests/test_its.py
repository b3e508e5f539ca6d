"""Interrupted time series on simulated Poisson data with and without a planted step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.methods import its

MONTHS = pd.date_range("2018-04-01", periods=72, freq="MS")
STEP_DATE = pd.Timestamp("2021-04-01")  # month index 36
POP = 50_000


def simulate(seed: int, rate_ratio: float = 1.0, slope: float = 0.0, overdispersion: float = 0.0) -> pd.DataFrame:
    """Monthly counts: 15 a month, mild seasonality, a level step (and slope) from STEP_DATE.

    With ``overdispersion`` > 0 the counts are gamma-Poisson (negative binomial) with that
    squared coefficient of variation of the monthly rate.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(len(MONTHS))
    post = (MONTHS >= STEP_DATE).astype(float)
    mu = 15 * np.exp(0.15 * np.sin(2 * np.pi * (MONTHS.month - 1) / 12) + np.log(rate_ratio) * post
                     + slope * post * (t - 36))  # fmt: skip
    if overdispersion:
        mu = mu * rng.gamma(1 / overdispersion, overdispersion, len(mu))
    return pd.DataFrame({"month": MONTHS, "starts": rng.poisson(mu)})


def test_design_by_hand():
    x = its.design(MONTHS[:40], STEP_DATE)
    assert x["level"].tolist() == [0.0] * 36 + [1.0] * 4
    assert x["slope"].tolist() == [0.0] * 36 + [0.0, 1.0, 2.0, 3.0]
    # Mid-month dates count from the next month.
    assert its.first_post_month(MONTHS, pd.Timestamp("2021-04-15")) == 37


def test_planted_step_is_recovered():
    r = its.fit_its(simulate(11, rate_ratio=0.6), "starts", STEP_DATE, POP, "edge_of_care")
    assert r.fitted and r.method == "Poisson"
    assert r.ci_low < 0.6 < r.ci_high
    assert r.step_found
    assert r.ci_low <= r.rate_ratio <= r.ci_high
    # The counterfactual after the date is higher than the fit (a fall was planted).
    post = r.series.loc[r.series.month >= STEP_DATE]
    assert (post["counterfactual"] > post["fitted"]).mean() > 0.9
    assert r.series.loc[r.series.month < STEP_DATE, "counterfactual"].isna().all()
    t = r.table()
    assert {"rate_ratio", "ci_low", "ci_high"} <= set(t.columns)
    assert "fewer" in its.describe(r)


def test_no_step_where_none_planted():
    r = its.fit_its(simulate(12), "starts", STEP_DATE, POP)
    assert r.ci_low < 1 < r.ci_high
    assert not r.step_found


def test_overdispersion_switches_to_quasi_poisson():
    df = simulate(13, rate_ratio=0.6, overdispersion=0.15)
    r = its.fit_its(df, "starts", STEP_DATE, POP)
    assert r.dispersion > its.OVERDISPERSION
    assert r.method.startswith("quasi-Poisson")
    assert r.ci_low < 0.6 < r.ci_high


def test_too_little_data_is_explained():
    r = its.fit_its(simulate(1).iloc[:40], "starts", STEP_DATE, POP)
    assert not r.fitted and "months" in r.message
    assert its.describe(r) == r.message


def test_adjusting_for_another_intervention():
    # A step at month 36 and the null date at month 54: the null date alone would pick up
    # nothing only if the earlier step is modelled.
    df = simulate(14, rate_ratio=0.6)
    null = pd.Timestamp("2022-10-01")
    r = its.fit_its(df, "starts", null, POP, adjust_for=(STEP_DATE,))
    assert r.ci_low < 1 < r.ci_high


@pytest.mark.slow
def test_interval_coverage_over_seeds():
    hits = 0
    for s in range(200):
        r = its.fit_its(simulate(s, rate_ratio=0.75), "starts", STEP_DATE, POP)
        hits += r.ci_low < 0.75 < r.ci_high
    assert 0.90 <= hits / 200 <= 0.99
