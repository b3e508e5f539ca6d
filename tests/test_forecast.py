"""Forecasts: the backtest arithmetic by hand, and real statsmodels fits on simulated series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.methods import forecast as fc


def test_backtest_arithmetic_by_hand():
    y = np.arange(40, dtype=float)  # y[t] = t
    bt = fc.backtest(y, {"naive": fc.naive_last}, horizon=3, window=4, step=2, min_train=24)
    # Origins 36 and 38. From 36 the forecast is y[35] = 35 for t = 36, 37, 38: errors 1, 2, 3.
    # From 38 (2 months left) it is 37 for t = 38, 39: errors 1, 2. MAE = 9 / 5 = 1.8.
    row = bt.iloc[0]
    assert row["n"] == 5
    assert row["mae"] == pytest.approx(1.8)
    expected_mape = 100 * np.mean([1 / 36, 2 / 37, 3 / 38, 1 / 38, 2 / 39])
    assert row["mape"] == pytest.approx(expected_mape)
    # Interval: sd of one-step changes is 0 (all changes are 1), so nothing is covered.
    assert row["coverage80"] == 0.0


def test_seasonal_naive_repeats_last_year():
    y = np.tile(np.arange(12, dtype=float), 3)
    f = fc.naive_seasonal(y, 14)
    assert list(f["mean"]) == [*range(12), 0.0, 1.0]
    assert (f["hi95"] - f["lo95"]).max() == 0  # exact seasonal pattern: no spread


def _monthly(values, start="2019-04-01"):
    return pd.DataFrame({"month": pd.date_range(start, periods=len(values), freq="MS"), "v": values})


def test_forecast_of_stable_counts_is_sensible():
    rng = np.random.default_rng(7)
    df = _monthly(rng.poisson(20, 60))
    res = fc.forecast_series(df, "v", "count", window=12, step=4)  # 3 origins: fast
    assert res.chosen is not None and res.chosen in set(res.backtest["model"])
    f = res.forecast
    assert len(f) == 12 and f["month"].iloc[0] == pd.Timestamp("2024-04-01")
    assert (f["lo95"] <= f["lo80"]).all() and (f["lo80"] <= f["mean"]).all()
    assert (f["mean"] <= f["hi80"]).all() and (f["hi80"] <= f["hi95"]).all()
    assert f["mean"].between(12, 28).all()
    # The 95% interval of a Poisson(20) series should be roughly +-9 around 20, not 0 wide.
    assert 10 < (f["hi95"] - f["lo95"]).iloc[0] < 30
    bt = res.backtest
    assert set(bt["role"]) == {"candidate", "benchmark"}
    assert bt["chosen"].sum() == 1
    assert bt.loc[bt["chosen"], "mape"].iloc[0] == bt.loc[bt["role"] == "candidate", "mape"].min()
    assert bt["coverage95"].between(0, 100).all()
    assert "expect" in fc.describe(res, "starts")


def test_trending_stock_forecast_follows_trend():
    rng = np.random.default_rng(3)
    stock = 400 + 2 * np.arange(48) + rng.normal(0, 3, 48)
    res = fc.forecast_series(_monthly(stock), "v", "stock", window=12, step=4)
    # After 48 months at +2 a month the level is ~494; a year on it should be above 494.
    assert res.forecast["mean"].iloc[-1] > 494
    assert res.forecast["lo95"].iloc[-1] < res.forecast["mean"].iloc[-1] < res.forecast["hi95"].iloc[-1]


def test_too_short_series_is_explained():
    res = fc.forecast_series(_monthly(np.ones(20)), "v", "count")
    assert res.chosen is None and "36" in res.message
    assert fc.describe(res, "starts") == res.message
