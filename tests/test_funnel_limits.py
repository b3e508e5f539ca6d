"""Funnel-plot limits (cscbook.methods.funnel), against answers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cscbook.methods.funnel import dispersion, funnel, rank_intervals


def test_exact_binomial_limit_is_interpolated_between_counts():
    # Binomial(10, 0.5): F(7) = 968/1024, F(8) = 1013/1024; the 97.5% point is in count 8's step:
    # alpha = (F(8) - 0.975) / (F(8) - F(7)) = 0.32444, limit = (8 + 1/2 - alpha) / 10 = 0.817556
    names = ["a", "b", "c"]
    res = funnel(names, [5, 5, 5], [10, 10, 10])
    assert res.target == 0.5 and res.adjustment == "none"
    alpha = (1013 / 1024 - 0.975) / (45 / 1024)
    assert res.units["hi95"].iloc[0] == pytest.approx((8.5 - alpha) / 10, abs=1e-9)
    assert res.units["hi95"].iloc[0] == pytest.approx(0.817556, abs=1e-6)
    # symmetric: the 2.5% point is 1 - the 97.5% point for p = 0.5 (F(1) = 11/1024, F(2) = 56/1024)
    assert res.units["lo95"].iloc[0] == pytest.approx(
        (2.5 - (56 / 1024 - 0.025) / (45 / 1024)) / 10, abs=1e-9
    )
    assert res.units["lo95"].iloc[0] == pytest.approx(1 - (8.5 - alpha) / 10, abs=1e-9)
    # 8 of 10 is inside the 95% limits: P(Y > 8) + P(Y = 8) / 2 = 0.0327 > 0.025
    assert (res.units["position"] == "within").all()


def test_exact_poisson_limit_for_a_rate():
    # 3 units of 200 with 2 events each: rate 0.01, expected 2 at n = 200. Poisson(2) cdf at 4 and 5:
    # e^-2 (1 + 2 + 2 + 4/3 + 2/3) = 7 e^-2, and + 4/15 e^-2. limit = (5 + 1/2 - alpha) / 200
    res = funnel(["a", "b", "c"], [2, 2, 2], [200, 200, 200], kind="rate")
    f4, f5 = 7 * math.exp(-2), (7 + 4 / 15) * math.exp(-2)
    alpha = (f5 - 0.975) / (f5 - f4)
    assert res.units["hi95"].iloc[0] == pytest.approx((5.5 - alpha) / 200, abs=1e-12)
    assert res.units["hi95"].iloc[0] == pytest.approx(0.02634, abs=1e-5)


def test_dispersion_winsorises_and_tests_against_chi_square():
    # z = -2..2: the 10th/90th percentiles are -1.6 and 1.6, phi = (2 x 2.56 + 2) / 5 = 1.424;
    # I phi = 7.12 on 4 df: p = e^-3.56 (1 + 3.56)
    phi, p = dispersion(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
    assert phi == pytest.approx(1.424)
    assert p == pytest.approx(math.exp(-3.56) * 4.56, rel=1e-9)


def test_overdispersed_units_get_dersimonian_laird_limits():
    # 5 units of 100 at 0.3 ... 0.7: target 0.5, s = 0.05, z = -4, -2, 0, 2, 4; winsorised at +/-3.2,
    # phi = (2 x 10.24 + 8) / 5 = 5.696; equal weights w = 400: tau^2 = (5 phi - 4) / (5w - w) = 0.0153
    res = funnel(list("abcde"), [30, 40, 50, 60, 70], [100] * 5)
    assert res.phi == pytest.approx(5.696)
    assert res.overdispersed and res.adjustment == "additive"
    assert res.tau2 == pytest.approx((5 * 5.696 - 4) / 1600)
    half = 3.090232 * math.sqrt(0.0025 + res.tau2)  # 0.41229
    assert res.units["hi998"].iloc[0] == pytest.approx(0.5 + half, abs=1e-5)
    assert res.units["lo998"].iloc[0] == pytest.approx(0.5 - half, abs=1e-5)
    assert res.outside("99.8").empty and res.outside("95").empty  # 95%: 0.5 +/- 0.2615
    assert "DerSimonian-Laird" in res.method and "overdispersion" in res.method
    # multiplicative: 0.5 +/- 1.96 x sqrt(5.696) x 0.05 = 0.5 +/- 0.2339: 0.3 and 0.7 still inside
    mult = funnel(list("abcde"), [30, 40, 50, 60, 70], [100] * 5, adjustment="multiplicative")
    assert mult.units["hi95"].iloc[0] == pytest.approx(0.5 + 1.959964 * math.sqrt(5.696) * 0.05, abs=1e-5)
    assert "sqrt(5.70)" in mult.method


def test_one_outlier_is_named_and_does_not_widen_the_limits():
    # 7 units at 200/400 and one at 280/400: target 1680/3200 = 0.525, s = 0.024968;
    # z = -1.0013 (x7) and 7.009; the outlier is winsorised to -1.0013 + 0.3 x 8.0103 = 1.4018,
    # phi = (7 x 1.0026 + 1.9650) / 8 = 1.1229: I phi = 8.98 on 7 df, p = 0.25, not overdispersed.
    names = [f"u{i}" for i in range(8)]
    res = funnel(names, [200] * 7 + [280], [400] * 8)
    assert res.target == pytest.approx(0.525)
    assert res.phi == pytest.approx(1.1229, abs=1e-3)
    assert not res.overdispersed and res.adjustment == "none"
    assert list(res.outside("99.8")["name"]) == ["u7"]
    assert res.units.set_index("name").loc["u7", "position"] == "above"
    assert set(res.units.set_index("name").loc[names[:7], "position"]) == {"within"}
    # the exact 99.8% upper limit at 400 is near the normal 0.525 + 3.09 x 0.02497 = 0.602
    assert res.units["hi998"].iloc[0] == pytest.approx(0.602, abs=0.005)
    assert "no overdispersion" in res.method


def test_limits_narrow_as_the_denominator_grows():
    res = funnel(["a", "b", "c"], [20, 40, 80], [100, 200, 400])
    lim = res.limits(np.array([50, 500, 5000]))
    width = (lim["hi998"] - lim["lo998"]).to_numpy()
    assert width[0] > width[1] > width[2] > 0


def test_zero_denominators_take_no_part_and_too_few_units_is_an_error():
    res = funnel(["a", "b", "c", "d"], [5, 5, 5, 0], [10, 10, 10, 0])
    assert list(res.units["name"]) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="at least 3"):
        funnel(["a", "b"], [1, 2], [10, 10])


def test_rank_intervals():
    # two identical units: each ranked 1.5, and the simulation puts each first about half the time
    r = rank_intervals(["a", "b"], [50, 50], [100, 100])
    assert list(r["rank"]) == [1.5, 1.5]
    assert list(r["rank_low"]) == [1, 1] and list(r["rank_high"]) == [2, 2]
    # three units far apart with large denominators: the ranks are certain; lower is better reverses them
    r = rank_intervals(["a", "b", "c"], [1000, 5000, 9000], [10000] * 3, higher_is_better=False)
    assert list(r["rank"]) == [1, 2, 3]
    assert list(r["rank_low"]) == [1, 2, 3] and list(r["rank_high"]) == [1, 2, 3]


def test_no_events_anywhere_gives_no_outlier():
    res = funnel(["a", "b", "c"], [0, 0, 0], [10, 20, 30])
    assert res.target == 0 and not res.overdispersed
    # count 0 has probability 1, spread over [-1/2, 1/2]: the 99.9% point is 0.5 - 0.001, over n
    assert list(res.units["hi998"]) == pytest.approx([0.499 / 10, 0.499 / 20, 0.499 / 30])
    assert (res.units["lo998"] == 0).all() and (res.units["position"] == "within").all()
