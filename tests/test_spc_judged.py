"""Judged control charts (``spc.control_chart``, ``spc.stock_chart``): fixed baselines, change dates,
seasonal adjustment, Laney p', stocks and the stated false-alarm rate.

Hand-worked cases first (answers in the comments), then seeded simulations: quick ones run in
the suite, larger ones are marked ``slow``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.methods import spc

T = pd.Timestamp
# the synthetic authority's school-term month factors (January..December), mean 1
SEASON = np.array([1.0, 0.98, 1.05, 0.95, 1.05, 1.05, 1.0, 0.78, 1.05, 1.08, 1.1, 0.91])
SEASON = SEASON / SEASON.mean()


def months(n: int, start: str = "2019-04-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


# ----------------------------------------------------------------------------- hand-worked
def test_limits_come_from_the_baseline_only_never_the_months_judged():
    # 12 months alternating 10, 14: centre 12, moving ranges all 4 -> limits 12 -/+ 2.66 x 4 = 1.36, 22.64.
    # The months judged (30, 12, 12) are not in the baseline: the centre stays 12 and 30 is above 22.64.
    values = pd.Series([10, 14] * 6 + [30, 12, 12], index=months(15), dtype=float)
    c = spc.control_chart(values, seasonal="none")
    assert c.assessed and c.chart_type == "xmr"
    assert (c.judged_start, c.judged_end) == (T("2020-04-01"), T("2020-06-01"))  # default: the last 3 months
    assert c.frame["centre"].tolist() == pytest.approx([12.0] * 15)
    assert c.frame["ucl"].iloc[0] == pytest.approx(22.64) and c.frame["lcl"].iloc[0] == pytest.approx(1.36)
    assert c.n_baseline == 12 and (c.baseline_start, c.baseline_end) == (T("2019-04-01"), T("2020-03-01"))
    assert not c.frame.loc[T("2020-04-01") :, "baseline"].any()
    flags = c.flagged()
    assert flags["month"].tolist() == [T("2020-04-01")]
    assert flags["rules"].tolist() == [("outside_limits",)] and flags["direction"].tolist() == [1]
    assert c.reading(higher_is_better=True) == spc.IMPROVEMENT_TEXT
    assert c.reading(higher_is_better=False) == spc.CONCERN_TEXT
    assert c.reading(higher_is_better=None) == spc.NEITHER_TEXT


def test_baseline_is_fixed_at_the_start_of_the_segment():
    # 30 months: 10/14 alternating for 24 months, then 16/20 for 6 months (judged: the last 3).
    # baseline_months=12: the first 12 months (not the 12 before the period judged): centre 12, ucl 22.64;
    # the months judged (20, 16, 20) are inside the limits.
    values = pd.Series([10, 14] * 12 + [16, 20] * 3, index=months(30), dtype=float)
    a = spc.control_chart(values, seasonal="none", baseline_months=12)
    assert a.n_baseline == 12 and a.baseline_end == T("2020-03-01")
    assert a.frame["centre"].iloc[-1] == pytest.approx(12.0)
    # the last six months 16 20 16 20 16 20 are above 12, the month before (14) too: a run of 7 -> flagged
    assert a.frame["run"].iloc[-7:].all() and not a.frame["run"].iloc[-8]
    assert a.flagged()["rules"].tolist() == [("run",)] * 3


def test_limits_recalculated_only_at_change_dates():
    # 14 months at 10/14, a change on 2020-06-01, then 14 months at 20/24 and 3 judged months (22, 22, 40).
    # Segment 2's baseline: its first 14 months (all before the period judged): centre 22, mR 4,
    # limits 22 -/+ 10.64 = 11.36, 32.64 -> 40 is above. Segment 1 keeps centre 12.
    values = pd.Series([10, 14] * 7 + [20, 24] * 7 + [22, 22, 40], index=months(31), dtype=float)
    c = spc.control_chart(values, seasonal="none", change_dates=["2020-06-01"])
    assert c.change_dates == (T("2020-06-01"),)
    assert c.frame["segment"].tolist() == [0] * 14 + [1] * 17
    assert c.frame["centre"].iloc[0] == pytest.approx(12.0) and c.frame["centre"].iloc[-1] == pytest.approx(
        22.0
    )
    assert c.frame["ucl"].iloc[-1] == pytest.approx(32.64)
    assert c.baseline_start == T("2020-06-01") and c.n_baseline == 14
    assert c.flagged()["month"].tolist() == [T("2021-10-01")]
    # without the change date, limits come from the first 24 months (14 at 10/14 and 10 at 20/24): no
    # recalculation anywhere else
    whole = spc.control_chart(values, seasonal="none")
    assert whole.frame["segment"].eq(0).all() and whole.n_baseline == 24
    # a change date later than the period judged is ignored (nothing after the period is used)
    later = spc.control_chart(values, seasonal="none", change_dates=["2030-01-01"])
    assert later.change_dates == ()


def test_change_too_recent_leaves_the_period_not_assessed():
    # a change 5 months before the period judged: 5 baseline months < 12 -> not assessed, and said why
    values = pd.Series([10, 14] * 12, index=months(24), dtype=float)
    c = spc.control_chart(values, seasonal="none", change_dates=["2020-08-01"])
    assert not c.assessed
    assert c.reading(True) == spc.NOT_ASSESSED_TEXT
    assert "5 months since the change on 1 August 2020" in c.note
    assert c.flagged().empty and np.isnan(c.false_alarm_rate)


def test_months_after_the_period_judged_are_not_used():
    values = pd.Series([10, 14] * 6 + [30, 12, 12, 500, 500], index=months(17), dtype=float)
    c = spc.control_chart(values, judged=("2020-04-01", "2020-06-01"), seasonal="none")
    assert c.frame.index[-1] == T("2020-06-01") and len(c.frame) == 15


def test_p_chart_centre_from_baseline_and_binomial_limits():
    # 12 baseline months of 20/100 (p-bar 0.2, sigma 0.04 -> limits 0.08, 0.32) and three judged months
    # 21/100, 20/100, 40/100: only the last is above 0.32. No between-month spread: sigma_z = 0 -> p-chart.
    num = pd.Series([20] * 12 + [21, 20, 40], index=months(15))
    den = pd.Series([100] * 15, index=months(15))
    c = spc.control_chart(numerator=num, denominator=den, seasonal="none")
    assert c.chart_type == "p" and c.dispersion == pytest.approx(0.0)
    assert c.frame["centre"].iloc[-1] == pytest.approx(0.2)
    assert c.frame["ucl"].iloc[-1] == pytest.approx(0.32) and c.frame["lcl"].iloc[-1] == pytest.approx(0.08)
    assert c.flagged()["month"].tolist() == [T("2020-06-01")]


def test_laney_p_prime_by_hand():
    # baseline: 12 months of n = 400 alternating 0.15 and 0.25 (60/400, 100/400): p-bar 0.2,
    # sigma_p = sqrt(0.2 x 0.8 / 400) = 0.02, z = -/+2.5, moving range of z = 5 -> sigma_z = 5 / 1.128 = 4.4326;
    # chi-square = 12 x 6.25 = 75 on 11 df (p far below 0.05) -> Laney p': limits 0.2 -/+ 3 x 4.4326 x 0.02
    # = 0.2 -/+ 0.26596 -> lcl clipped to 0, ucl 0.46596. A judged month at 0.40 is inside (the p-chart's
    # ucl 0.26 would have flagged it).
    num = pd.Series([60, 100] * 6 + [80, 80, 160], index=months(15))
    den = pd.Series([400] * 15, index=months(15))
    c = spc.control_chart(numerator=num, denominator=den, seasonal="none")
    assert c.chart_type == "laney_p"
    assert c.dispersion == pytest.approx(5 / 1.128)
    assert c.dispersion_p < 1e-6
    assert c.frame["ucl"].iloc[-1] == pytest.approx(0.2 + 3 * (5 / 1.128) * 0.02)
    assert c.frame["lcl"].iloc[-1] == 0.0
    assert c.flagged().empty
    plain = spc.control_chart(numerator=num, denominator=den, seasonal="none", laney="never")
    assert plain.chart_type == "p" and plain.frame["ucl"].iloc[-1] == pytest.approx(0.26)
    assert plain.flagged()["month"].tolist() == [T("2020-06-01")]


def test_mixed_sides_in_the_period_give_no_direction():
    values = pd.Series([10, 14] * 6 + [30, 12, -10], index=months(15), dtype=float)
    c = spc.control_chart(values, seasonal="none")
    assert c.flagged()["direction"].tolist() == [1, -1]
    assert c.reading(True) == spc.NEITHER_TEXT


def test_false_alarm_rate_matches_the_formula_for_one_point():
    # one point judged after a very long baseline (centre and sigma known): it is flagged when outside
    # 3 sigma (0.0027), ending a run of 7 on one side (2 x 0.5^7 = 0.0156) or a trend of 6 (5 steps one
    # way: 2 / 6! = 0.0028); overlaps about 0.0004 -> about 0.0207.
    rate = spc.false_alarm_rate(501, list(range(500)), [500], estimate_sigma=False, reps=20000)
    assert rate == pytest.approx(0.0207, abs=0.004)
    # more months judged, more chances: three months are flagged more often than one
    three = spc.false_alarm_rate(503, list(range(500)), [500, 501, 502], estimate_sigma=False, reps=20000)
    assert three > rate + 0.01
    # seeded: the same call gives the same answer
    assert spc.false_alarm_rate(501, list(range(500)), [500], False, reps=20000) == rate


def test_combined_false_alarm_rate():
    # 1 - (0.9 x 0.8) = 0.28; stocks (0) and not assessed (NaN) add nothing
    assert spc.combined_false_alarm_rate([0.1, 0.2, 0.0, float("nan")]) == pytest.approx(0.28)
    assert spc.combined_false_alarm_rate([]) == 0.0


# ----------------------------------------------------------------------------- stocks
def test_stock_has_a_trend_and_no_signal():
    # a stock rising by exactly 2 a month: slope 2, no limits, no flags, no false alarms
    values = pd.Series(500 + 2.0 * np.arange(30), index=months(30))
    c = spc.stock_chart(values)
    assert c.chart_type == "stock" and not c.signal_allowed and not c.assessed
    assert c.reading(True) == spc.STOCK_TEXT and c.flagged().empty
    assert c.false_alarm_rate == 0.0
    assert c.trend_per_month == pytest.approx(2.0)
    assert c.frame["trend_line"].iloc[-1] == pytest.approx(558.0)
    assert (
        c.frame["trend_line"].iloc[:18].isna().all() and c.frame["trend_line"].iloc[18:].notna().all()
    )  # last 12
    assert c.frame["centre"].isna().all()
    frame = pd.DataFrame({"month": months(30), "value": values.to_numpy()})
    assert spc.judge_monthly(frame, "stock").chart_type == "stock"


def test_autocorrelated_stock_carries_no_signal_where_xmr_would_flag():
    # AR(1) stock with autocorrelation 0.95 (seeded): an XmR chart flags most months; the stock chart none
    rng = np.random.default_rng(7)
    e = rng.normal(0, 5, 69)
    x = np.zeros(69)
    for t in range(1, 69):
        x[t] = 0.95 * x[t - 1] + e[t]
    values = pd.Series(500 + x, index=months(69))
    assert spc.xmr(values)["special_cause"].mean() > 0.4
    c = spc.judge_monthly(pd.DataFrame({"month": values.index, "value": values.to_numpy()}), "stock")
    assert c.reading(None) == spc.STOCK_TEXT and not c.frame["special_cause"].any()


# ----------------------------------------------------------------------------- simulations
def _flag_rate(make, reps: int, seed: int, **kwargs) -> tuple[float, float]:
    """Share of seeded series flagged in the period judged, and the mean stated false-alarm rate."""
    rng = np.random.default_rng(seed)
    flagged, stated = [], []
    for _ in range(reps):
        c = make(rng, **kwargs)
        flagged.append(not c.flagged().empty)
        stated.append(c.false_alarm_rate)
    return float(np.mean(flagged)), float(np.mean(stated))


def _stationary_count(rng, n: int = 69, seasonal: str = "none"):
    return spc.control_chart(pd.Series(100 + 10 * rng.standard_normal(n), index=months(n)), seasonal=seasonal)


def _stationary_share(rng, n: int = 69):
    den = pd.Series(rng.integers(150, 250, n), index=months(n))
    num = pd.Series(rng.binomial(den.to_numpy(), 0.8), index=months(n))
    return spc.control_chart(numerator=num, denominator=den, seasonal="none")


def _seasonal_count(rng, shift: float = 0.0, seasonal: str = "auto", n: int = 69):
    idx = months(n)
    mu = 850 * SEASON[idx.month - 1] * np.where(idx >= T("2024-06-01"), 1 + shift, 1.0)
    return spc.control_chart(
        pd.Series(rng.poisson(mu).astype(float), index=idx), seasonal=seasonal, lower_bound=0
    )


def test_stationary_counts_flag_at_the_stated_rate():
    # 69 stationary months, baseline the first 24, the last 3 judged: the stated rate (simulated) is
    # about 8% a quarter; 400 seeded series flag at that rate within sampling error (3 SE ~ 0.04)
    observed, stated = _flag_rate(_stationary_count, 400, seed=11)
    assert 0.05 < stated < 0.11
    assert observed == pytest.approx(stated, abs=0.045)


def test_stationary_proportions_flag_at_the_stated_rate():
    observed, stated = _flag_rate(_stationary_share, 300, seed=12)
    assert 0.04 < stated < 0.10
    assert observed == pytest.approx(stated, abs=0.05)


def test_seasonal_series_without_a_shift_is_not_flagged_beyond_the_stated_rate():
    # the book's seasonal pattern at 850 a month: adjusted before the rules, flags at the stated rate
    observed, stated = _flag_rate(_seasonal_count, 150, seed=13)
    assert observed == pytest.approx(stated, abs=0.08)
    c = _seasonal_count(np.random.default_rng(1))
    assert c.seasonal == "adjusted" and c.seasonal_p < 0.001
    # the month effects removed are the planted ones (850 x (factor - 1)), within a few contacts
    effects = c.frame.groupby(c.frame.index.month)["seasonal_effect"].first().to_numpy()
    assert np.abs(effects - 850 * (SEASON - 1)).max() < 25


def test_planted_shift_in_a_seasonal_series_is_flagged():
    # +8% from June 2024 (7 months to the end of December): caught almost always after adjustment,
    # almost never when the seasonal swing is left in the limits
    adjusted, _ = _flag_rate(_seasonal_count, 60, seed=14, shift=0.08)
    raw, _ = _flag_rate(_seasonal_count, 60, seed=14, shift=0.08, seasonal="none")
    assert adjusted > 0.85
    assert raw < 0.3


def test_short_series_is_not_seasonally_adjusted_and_says_why():
    c = _seasonal_count(np.random.default_rng(3), n=30)
    assert c.seasonal == "not adjusted" and "fewer than 36 months" in c.seasonal_note


def test_overdispersed_proportions_use_laney_and_hold_the_false_alarm_rate():
    # true rate varying month to month (sd 1.5 points) around 80%, n about 1000: the plain p-chart flags
    # often; Laney p' measures the spread (sigma_z ~ 1.2) and flags at about its stated rate
    def make(rng, laney="auto"):
        den = pd.Series(rng.integers(900, 1100, 69), index=months(69))
        p = np.clip(0.8 + 0.015 * rng.standard_normal(69), 0, 1)
        num = pd.Series(rng.binomial(den.to_numpy(), p), index=months(69))
        return spc.control_chart(numerator=num, denominator=den, seasonal="none", laney=laney)

    laney, stated = _flag_rate(make, 150, seed=15)
    plain, _ = _flag_rate(make, 150, seed=15, laney="never")
    assert laney == pytest.approx(stated, abs=0.07)
    assert plain > laney + 0.05
    c = make(np.random.default_rng(4))
    assert c.chart_type == "laney_p" and c.dispersion > 1.1 and c.dispersion_p < 0.05


@pytest.mark.slow
def test_stationary_flag_rate_large_simulation():
    observed, stated = _flag_rate(_stationary_count, 3000, seed=21)
    assert observed == pytest.approx(stated, abs=0.015)
    observed, stated = _flag_rate(_stationary_share, 2000, seed=22)
    assert observed == pytest.approx(stated, abs=0.02)
    observed, stated = _flag_rate(_seasonal_count, 1000, seed=23)
    assert observed == pytest.approx(stated, abs=0.03)


def test_methods_appendix_states_the_settings_the_code_uses():
    # Methods must describe what the code does: if a setting changes, this test says the text must change too
    from pathlib import Path

    text = " ".join((Path(__file__).resolve().parents[1] / "methods.md").read_text().split())
    assert spc.BASELINE_MONTHS == 24 and "first 24 months" in text
    assert spc.MIN_BASELINE == 12 and "(at least 12)" in text
    assert spc.SEASONAL_MIN_MONTHS == 36 and "36 or more months before the quarter judged" in text
    assert spc.SEASONAL_ALPHA == 0.05 and "F-test, p < 0.05" in text
    assert spc.DISPERSION_ALPHA == 0.05 and "sigma_z is above 1 and that test has p < 0.05" in text
    assert spc.FALSE_ALARM_REPS == 4000 and "4,000 seeded simulations" in text
    assert spc.TREND_MONTHS == 12 and "trend over the last 12 months" in text
    assert (
        (spc.RUN_LENGTH, spc.TREND_LENGTH) == (7, 6) and "run of 7 or more" in text and "trend of 6" in text
    )
    assert (
        "recalculated from that month" not in text
    )  # the old claim: limits are recalculated only at change dates
    assert "recalculated only at change dates" in text
