"""SPC rules on hand-made series; every expected answer worked out by hand in the comments."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

from cscbook.methods import spc
from cscbook.report import spc_plots

matplotlib.use("Agg")


def months(n: int, start: str = "2023-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


# ----------------------------------------------------------------------------- XmR limits
def test_xmr_centre_and_limits_by_hand():
    # values 10 14 12 8 10 12: mean 66/6 = 11; moving ranges 4 2 4 2 2 -> mean 14/5 = 2.8
    # limits 11 -/+ 2.66 * 2.8 = 11 -/+ 7.448 -> 3.552, 18.448
    chart = spc.xmr(pd.Series([10, 14, 12, 8, 10, 12], index=months(6)))
    assert chart["centre"].tolist() == pytest.approx([11.0] * 6)
    assert chart["lcl"].iloc[0] == pytest.approx(3.552)
    assert chart["ucl"].iloc[0] == pytest.approx(18.448)
    assert not chart["special_cause"].any()
    assert list(chart.columns[:8]) == [
        "value", "centre", "lcl", "ucl", "outside_limits", "run", "trend", "special_cause",
    ]  # fmt: skip


def test_xmr_baseline_points_and_outside_limits():
    # baseline = first 6 points (as above): centre 11, ucl 18.448; 30 is above, 3 is below 3.552
    chart = spc.xmr(pd.Series([10, 14, 12, 8, 10, 12, 30, 3], index=months(8)), baseline=6)
    assert chart["centre"].iloc[-1] == pytest.approx(11.0)
    assert chart["outside_limits"].tolist() == [False] * 6 + [True, True]
    assert chart["direction"].tolist()[-2:] == [1, -1]
    assert chart["special_cause"].tolist() == chart["outside_limits"].tolist()


def test_xmr_baseline_mask_equals_count():
    values = pd.Series([10, 14, 12, 8, 10, 12, 30, 3], index=months(8))
    mask = [True] * 6 + [False] * 2
    a = spc.xmr(values, baseline=mask)
    b = spc.xmr(values, baseline=6)
    pd.testing.assert_frame_equal(a, b)


def test_xmr_lower_bound_floors_lcl():
    # values 1 5 1 5: mean 3, mR 4 -> lcl 3 - 10.64 < 0 -> floored at 0
    chart = spc.xmr(pd.Series([1, 5, 1, 5]), lower_bound=0)
    assert chart["lcl"].tolist() == [0.0] * 4
    assert chart["ucl"].iloc[0] == pytest.approx(3 + 2.66 * 4)


def test_xmr_recalculate_at_change_point():
    # segment 1: 10 12 10 12 -> centre 11, mR 2 -> 11 -/+ 5.32; segment 2: 20 22 20 22 -> 21 -/+ 5.32
    idx = months(8)
    chart = spc.xmr(pd.Series([10, 12, 10, 12, 20, 22, 20, 22], index=idx), recalculate_at=[idx[4]])
    assert chart["centre"].tolist() == pytest.approx([11] * 4 + [21] * 4)
    assert chart["ucl"].tolist() == pytest.approx([16.32] * 4 + [26.32] * 4)
    assert chart["segment"].tolist() == [0] * 4 + [1] * 4
    assert not chart["special_cause"].any()
    # without the change point the overall mean is 16 and the moving ranges 2 2 2 8 2 2 2 -> 20/7
    whole = spc.xmr(pd.Series([10, 12, 10, 12, 20, 22, 20, 22], index=idx))
    assert whole["centre"].iloc[0] == pytest.approx(16.0)


def test_xmr_missing_values_are_skipped():
    # NaN ignored: values 10 14 12 -> mean 12, moving ranges over valid neighbours 4 2 -> 3
    chart = spc.xmr(pd.Series([10, np.nan, 14, 12]))
    assert chart["centre"].iloc[0] == pytest.approx(12.0)
    assert chart["ucl"].iloc[0] == pytest.approx(12 + 2.66 * 3)
    assert not chart["special_cause"].iloc[1]


def test_xmr_empty_and_single_point():
    empty = spc.xmr(pd.Series([], dtype=float))
    assert empty.empty
    one = spc.xmr(pd.Series([5.0]))
    assert one["centre"].iloc[0] == 5.0
    assert math.isnan(one["ucl"].iloc[0])  # no moving range
    assert not one["special_cause"].iloc[0]
    assert spc.describe_signal(empty, True) == "common cause variation"


# ----------------------------------------------------------------------------- run rule
def test_run_of_seven_above_centre_flags_every_point():
    centre = np.full(9, 10.0)
    values = np.array([9, 11, 12, 11, 13, 12, 11, 12, 9], dtype=float)  # points 1..7 above: 7 points
    assert spc.run_rule(values, centre).tolist() == [False] + [True] * 7 + [False]


def test_run_of_six_is_not_a_run():
    centre = np.full(8, 10.0)
    values = np.array([9, 11, 12, 11, 13, 12, 11, 9], dtype=float)  # 6 above
    assert not spc.run_rule(values, centre).any()


def test_point_on_centre_line_breaks_a_run():
    centre = np.full(8, 10.0)
    # 3 above, one ON the centre, 4 above: no run of 7
    values = np.array([11, 12, 11, 10, 13, 12, 11, 12], dtype=float)
    assert not spc.run_rule(values, centre).any()


def test_run_below_centre_through_xmr_with_baseline():
    # baseline 10 14 12 8 10 12: centre 11, limits 3.552..18.448. Then 7 points at 9 or 10 (below 11)
    values = [10, 14, 12, 8, 10, 12, 9, 10, 9, 10, 9, 10, 9]
    chart = spc.xmr(pd.Series(values, index=months(13)), baseline=6)
    # point 5 (12) is above; points 6..12 are below: a run of 7
    assert chart["run"].tolist() == [False] * 6 + [True] * 7
    assert chart["direction"].tolist()[-1] == -1
    assert spc.describe_signal(chart, higher_is_better=True) == "special cause concern"
    assert spc.describe_signal(chart, higher_is_better=False) == "special cause improvement"
    assert spc.describe_signal(chart, higher_is_better=None) == "special cause variation"


def test_run_not_broken_by_missing_value():
    centre = 10.0
    values = pd.Series([11, 12, np.nan, 11, 13, 12, 11, 12, 5, 15, 5, 15])
    chart = spc.xmr(values, baseline=[False] * 8 + [True] * 4)
    # baseline 5 15 5 15 -> centre 10; points 0,1,3..7 (7 valid points) are above 10
    assert chart["centre"].iloc[0] == pytest.approx(centre)
    assert chart["run"].tolist() == [True, True, False, True, True, True, True, True] + [False] * 4


# ----------------------------------------------------------------------------- trend rule
def test_trend_of_six_rising_flags_every_point():
    values = np.array([5, 1, 2, 3, 4, 5, 6, 2], dtype=float)  # points 1..6 rise: 6 points
    assert spc.trend_rule(values).tolist() == [False] + [True] * 6 + [False]
    assert spc.trend_direction(values)[1:7].tolist() == [1] * 6


def test_trend_of_six_falling():
    values = np.array([9, 8, 7, 6, 5, 4], dtype=float)
    assert spc.trend_rule(values).all()
    assert (spc.trend_direction(values) == -1).all()


def test_five_rising_is_not_a_trend():
    assert not spc.trend_rule(np.array([1, 2, 3, 4, 5], dtype=float)).any()


def test_equal_consecutive_values_break_a_trend():
    # 1 2 3 | 3 4 5 6: the repeat splits the rise into 3 and 4 points
    assert not spc.trend_rule(np.array([1, 2, 3, 3, 4, 5, 6], dtype=float)).any()


def test_trend_in_chart_gives_direction():
    # a steady rise, well inside wide limits set by a noisy baseline
    values = [10, 30, 10, 30, 10, 30, 15, 16, 17, 18, 19, 20]
    chart = spc.xmr(pd.Series(values, index=months(12)), baseline=6)
    # centre 20, mR 20 -> limits -33.2 .. 73.2; points 6..11 rise (15..20); point 5 (30) -> 15 falls
    assert chart["trend"].tolist() == [False] * 6 + [True] * 6
    assert not chart["outside_limits"].any()
    assert spc.describe_signal(chart, higher_is_better=True) == "special cause improvement"


# ----------------------------------------------------------------------------- p-chart
def test_p_chart_varying_limits_by_hand():
    # p-bar = (5 + 10 + 15) / (50 + 100 + 100) = 30 / 250 = 0.12
    # n = 50: sigma = sqrt(0.12 * 0.88 / 50) = sqrt(0.002112) = 0.0459565; 3 sigma = 0.1378695
    #   ucl = 0.2578695, lcl = 0.12 - 0.1378695 < 0 -> 0
    # n = 100: sigma = sqrt(0.001056) = 0.0324962; 3 sigma = 0.0974885 -> 0.0225115, 0.2174885
    chart = spc.p_chart(pd.Series([5, 10, 15]), pd.Series([50, 100, 100]))
    assert chart["value"].tolist() == pytest.approx([0.1, 0.1, 0.15])
    assert chart["centre"].tolist() == pytest.approx([0.12] * 3)
    assert chart["ucl"].tolist() == pytest.approx([0.2578695, 0.2174885, 0.2174885], abs=1e-6)
    assert chart["lcl"].tolist() == pytest.approx([0.0, 0.0225115, 0.0225115], abs=1e-6)
    assert chart["numerator"].tolist() == [5, 10, 15]


def test_p_chart_upper_limit_clipped_to_one():
    # p-bar = 19/20 = 0.95; n = 10: 3 sqrt(0.0475 / 10) = 0.206761 -> ucl 1.1568 -> 1
    chart = spc.p_chart(pd.Series([9, 10]), pd.Series([10, 10]))
    assert chart["ucl"].tolist() == [1.0, 1.0]
    assert chart["lcl"].iloc[0] == pytest.approx(0.95 - 0.206761, abs=1e-6)


def test_p_chart_zero_denominator_is_missing():
    chart = spc.p_chart(pd.Series([0, 3, 6]), pd.Series([0, 10, 10]))
    # p-bar = 9 / 20 = 0.45 from the two valid points
    assert math.isnan(chart["value"].iloc[0])
    assert chart["centre"].iloc[1] == pytest.approx(0.45)
    assert not chart["special_cause"].iloc[0]


def test_p_chart_shift_detected_outside_limits_with_baseline():
    # baseline: 6 months of 60/100 -> p-bar 0.6, 3 sigma = 3 sqrt(0.24/100) = 0.146969 -> ucl 0.746969
    num = pd.Series([60] * 6 + [80], index=months(7))
    den = pd.Series([100] * 7, index=months(7))
    chart = spc.p_chart(num, den, baseline=6)
    assert chart["ucl"].iloc[-1] == pytest.approx(0.746969, abs=1e-6)
    assert chart["outside_limits"].tolist() == [False] * 6 + [True]
    assert spc.describe_signal(chart, higher_is_better=True) == "special cause improvement"
    assert spc.describe_signal(chart, higher_is_better=False) == "special cause concern"


def test_describe_signal_common_cause_when_latest_point_ordinary():
    # point 6 above the limits but the latest point (60%) is ordinary
    num = pd.Series([60] * 6 + [80, 60], index=months(8))
    chart = spc.p_chart(num, pd.Series([100] * 8, index=months(8)), baseline=6)
    assert chart["special_cause"].iloc[6]
    assert spc.describe_signal(chart, higher_is_better=True) == "common cause variation"


def test_plot_spc_draws_and_colours_points():
    import matplotlib.pyplot as plt

    from cscbook.report.outputs import CONCERN, IMPROVEMENT, NEUTRAL

    num = pd.Series([60] * 6 + [80, 40], index=months(8))
    chart = spc.p_chart(num, pd.Series([100] * 8, index=months(8)), baseline=6)
    assert spc_plots.point_colours(chart, True) == [NEUTRAL] * 6 + [IMPROVEMENT, CONCERN]
    fig = spc_plots.plot_spc(
        chart, "Assessments on time", "% of assessments", target=0.85, higher_is_better=True, percent=True
    )
    ax = fig.axes[0]
    assert ax.get_title() == "Assessments on time"
    assert ax.get_ylabel() == "% of assessments"
    plt.close(fig)
