"""Executive summary: the sentences and the ranking of key messages (the table is tested in test_registry)."""

from __future__ import annotations

import pandas as pd

from cscbook.report import summary

END = pd.Timestamp("2024-12-31")


def test_fmt_value() -> None:
    assert summary.fmt_value(0.8567, "proportion") == "85.7%"
    assert summary.fmt_value(1234.0, "count") == "1,234"
    assert summary.fmt_value(97.6, "stock", "per 10,000") == "97.6 per 10,000"
    assert (
        summary.fmt_value(101.2, "rate", "per 10,000") == "101.2 per 10,000"
    )  # one rule: one decimal if not whole
    assert summary.fmt_value(123.0, "stock") == "123"
    assert summary.fmt_value(None, "count") == "n/a"


def test_message_says_even_so_when_quarter_and_control_chart_disagree() -> None:
    # Lower is better; the quarter fell (an improvement) but the chart reads special-cause concern.
    row = pd.Series(
        {
            "label": "Re-referrals within 12 months",
            "kind": "proportion",
            "unit": "",
            "this_quarter": 0.307,
            "last_quarter": 0.343,
            "direction": "improving",
            "signal": "special cause concern",
            "target": None,
            "england": None,
        }
    )
    msg = summary.message(row)
    # the fall is not called an improvement: the chart does not support it
    assert "down from 34.3% last quarter." in msg and "an improvement" not in msg
    assert "Even so, the monthly control chart still shows special-cause concern" in msg
    row_ok = row.copy()
    row_ok["signal"] = "special cause improvement"
    assert "Even so" not in summary.message(row_ok)


def test_target_of_a_measure_with_no_better_direction_is_stated_not_judged() -> None:
    row = pd.Series(
        {
            "label": "Children in care per 10,000 children",
            "kind": "stock",
            "unit": "per 10,000",
            "this_quarter": 98.5,
            "last_quarter": 97.5,
            "direction": "up",
            "signal": "common cause variation",
            "target": 90.0,
            "england": None,
            "higher_is_better": None,
        }
    )
    msg = summary.message(row)
    assert "above the local planning figure of 90" in msg
    assert "misses" not in msg and "meets" not in msg


def test_comparisons_in_words_agree_with_the_numbers_shown() -> None:
    # 0.8566 and 0.857 both print as 85.7%: the sentence must not say "below England".
    row = pd.Series(
        {
            "label": "Assessments",
            "kind": "proportion",
            "unit": "",
            "this_quarter": 0.8566,
            "last_quarter": 0.85,
            "direction": "improving",
            "signal": "common cause variation",
            "target": 0.857,
            "england": 0.857,
            "higher_is_better": True,
        }
    )
    msg = summary.message(row)
    assert "the same as England (85.7%)" in msg
    assert "meets the local target of 85.7%" in msg


def test_missed_targets_come_before_neutral_demand_signals() -> None:
    # three measures: demand with a special-cause shift (neither direction better), a proportion
    # that misses its target with no signal, and one with special-cause improvement
    rows = pd.DataFrame(
        [
            {
                "key": "contacts",
                "label": "Contacts",
                "kind": "count",
                "unit": "",
                "this_quarter": 3000.0,
                "last_quarter": 2900.0,
                "year_ago": None,
                "target": None,
                "england": None,
                "higher_is_better": None,
                "direction": "up",
                "signal": "special cause variation",
            },
            {
                "key": "icpc",
                "label": "ICPCs in 15 days",
                "kind": "proportion",
                "unit": "",
                "this_quarter": 0.79,
                "last_quarter": 0.79,
                "year_ago": None,
                "target": 0.8,
                "england": None,
                "higher_is_better": True,
                "direction": "no change",
                "signal": "common cause variation",
            },
            {
                "key": "a45",
                "label": "Assessments",
                "kind": "proportion",
                "unit": "",
                "this_quarter": 0.83,
                "last_quarter": 0.7,
                "year_ago": None,
                "target": None,
                "england": None,
                "higher_is_better": True,
                "direction": "improving",
                "signal": "special cause improvement",
            },
        ]
    )
    msgs = summary.key_messages(rows)
    assert [m.split(":")[0] for m in msgs] == ["Assessments", "ICPCs in 15 days", "Contacts"]
