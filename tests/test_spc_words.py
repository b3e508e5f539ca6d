"""Sentences about control charts and tests (``cscbook.report.signal_words``) on hand-made charts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.methods import spc
from cscbook.report import signal_words as sw

T = pd.Timestamp


def months(n: int, start: str = "2019-04-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


def chart(last3: list[float]) -> spc.ChartResult:
    # baseline: 12 months alternating 10 and 14 (centre 12, limits 1.36 and 22.64), then three judged months
    return spc.control_chart(pd.Series([10, 14] * 6 + last3, index=months(15), dtype=float), seasonal="none")


def test_month_list():
    assert sw.month_list([T("2024-10-01"), T("2024-11-01"), T("2024-12-01")]) == "October to December 2024"
    assert sw.month_list([T("2024-12-01"), T("2024-08-01")]) == "August and December 2024"
    assert (
        sw.month_list([T("2023-11-01"), T("2023-12-01"), T("2024-01-01")]) == "November 2023 to January 2024"
    )
    assert sw.month_list([T("2023-12-01"), T("2024-02-01")]) == "December 2023 and February 2024"
    assert sw.month_list([]) == ""


def test_flagged_month_and_rule_named_with_direction_only_when_supported():
    c = chart([30, 12, 12])
    assert sw.chart_sentence(c, higher_is_better=True) == (
        "On the control chart (limits from April 2019 to March 2020, not seasonally adjusted), April 2020 was "
        "above the upper control limit. This is evidence of an improvement (special-cause improvement)."
    )
    assert sw.chart_sentence(c, higher_is_better=False).endswith(
        "This is evidence of a deterioration (special-cause concern)."
    )
    neither = sw.chart_sentence(c, higher_is_better=None)
    assert "improvement" not in neither and "deterioration" not in neither
    assert neither.endswith(
        "This is an unusual change (special-cause variation); neither direction is better for this measure."
    )


def test_nothing_flagged_is_no_clear_change():
    text = sw.chart_sentence(chart([12, 13, 11]), higher_is_better=True)
    assert text == (
        "On the control chart (limits from April 2019 to March 2020, not seasonally adjusted) no month "
        "of April to June 2020 is unusual: no clear change (common-cause variation)."
    )


def test_flags_on_both_sides_give_no_direction():
    text = sw.chart_sentence(chart([30, 12, -10]), higher_is_better=True)
    assert "April 2020 was above the upper control limit" in text
    assert "June 2020 was below the lower control limit" in text
    assert "no clear change in one direction" in text
    assert "improvement" not in text and "deterioration" not in text


def test_run_named_with_its_months():
    # 12 months at 10/14, then 16/20 for 6 months, the last 3 judged. Baseline: the 15 months before the period
    # judged, centre (144 + 52) / 15 = 13.07; the 14 in March 2020 and the six months at 16/20 above it make a run
    # of 7; the months judged are inside the limits
    values = pd.Series([10, 14] * 6 + [16, 20] * 3, index=months(18), dtype=float)
    c = spc.control_chart(values, seasonal="none")
    text = sw.chart_sentence(c, higher_is_better=False)
    assert (
        "July to September 2020 were part of a run of 7 or more months above the average. This is evidence of "
        "a deterioration"
    ) in text


def test_not_assessed_says_why():
    values = pd.Series([10, 14] * 12, index=months(24), dtype=float)
    c = spc.control_chart(values, seasonal="none", change_dates=["2020-08-01"])
    assert sw.chart_sentence(c, True).startswith(
        "The control chart cannot judge January to March 2021: 5 months"
    )


def test_stock_sentences():
    rising = spc.stock_chart(pd.Series(500 + 2.0 * np.arange(30), index=months(30)))
    text = sw.chart_sentence(rising, higher_is_better=True)
    assert text.startswith("This is a stock (a number on a date)")
    assert "rising (an improvement) by about 2.0 a month" in text
    assert "rising by about 2.0 a month" in sw.chart_sentence(rising, higher_is_better=None)
    # no trend (a symmetric zig-zag): the slope's interval includes 0 -> no clear change, no direction word
    flat = spc.stock_chart(pd.Series([500.0, 510.0] * 15, index=months(30)))
    text = sw.chart_sentence(flat, higher_is_better=True)
    assert "which includes no change: no clear change" in text
    assert "rising" not in text and "falling" not in text and "improvement" not in text


def test_test_phrase_needs_a_corrected_p_value_below_005():
    assert sw.test_phrase(0.9, 0.8, 0.01, True) == "up (an improvement)"
    assert sw.test_phrase(0.9, 0.8, 0.01, False) == "up (a deterioration)"
    assert sw.test_phrase(0.7, 0.8, 0.049, True) == "down (a deterioration)"
    assert sw.test_phrase(0.9, 0.8, 0.01, None) == "up"
    # ICPC timeliness on the synthetic authority: p = 0.44 -> no clear change, never "up (an improvement)"
    assert sw.test_phrase(0.75, 0.70, 0.44, True) == "no clear change"
    assert sw.test_phrase(0.75, np.nan, 0.01, True) == "not tested"


def test_false_alarm_sentences():
    base = chart([12, 13, 11])
    one = spc.ChartResult(
        frame=base.frame,
        chart_type="xmr",
        judged_start=base.judged_start,
        judged_end=base.judged_end,
        assessed=True,
        false_alarm_rate=0.08,
    )
    assert sw.false_alarm_sentence(one) == (
        "With no real change, this chart would still flag at least one month of "
        "a period like this 8% of the time (about 1 in 12)."
    )
    two = spc.ChartResult(
        frame=base.frame,
        chart_type="p",
        judged_start=base.judged_start,
        judged_end=base.judged_end,
        assessed=True,
        false_alarm_rate=0.2,
    )
    stock = spc.stock_chart(pd.Series(500 + 2.0 * np.arange(30), index=months(30)))
    one_tenth = spc.ChartResult(
        frame=base.frame,
        chart_type="xmr",
        judged_start=base.judged_start,
        judged_end=base.judged_end,
        assessed=True,
        false_alarm_rate=0.1,
    )
    # 1 - 0.9 x 0.8 = 0.28; the stock is not counted
    assert sw.table_false_alarm_sentence([one_tenth, two, stock]) == (
        "Each chart judged here would flag a quarter with no real change 10% to 20% of the time; across the 2 "
        "charts, at least one would show a signal by chance 28% of the time (stocks are not judged)."
    )
    assert sw.false_alarm_sentence(stock).startswith("A stock is not given a signal")


@pytest.mark.parametrize("values", [[30, 12, 12], [12, 13, 11], [30, 12, -10]])
def test_words_never_claim_a_direction_the_reading_does_not(values):
    c = chart(values)
    for hib in (True, False, None):
        text = sw.chart_sentence(c, hib)
        reading = c.reading(hib)
        claims = "improvement" in text.replace("special-cause improvement", "") or "deterioration" in text
        assert claims == (reading in (spc.IMPROVEMENT_TEXT, spc.CONCERN_TEXT))
