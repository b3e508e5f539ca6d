"""Children in care by number of social workers in 12 months (measures.social_workers).

Hand-made fixture, answers worked out by hand. On 31 March 2025 the window is 1 April 2024 to
31 March 2025.

- A in care since 2022; SW1 ended 31/03/2024 (the day before the window), SW2 from then: 1 worker.
- B in care since 1/6/2024; SW3, SW4, then SW3 again: 2 distinct workers.
- C in care since 2023; SW5 ends on 1/4/2024 (the window's first day: counts), SW6, SW7: 3.
- D on a short break (V3) on the day: not in the denominator although it had 4 workers.
- E left care on 1/2/2025: not in care on the day.
- F in care, no social worker episode: in the denominator, not recorded.
- G an episode with no SW_ID, then SW8; SW9 starts after the day: 2.
- H SW11, SW12, and SW13 starting on the day itself: 3.

Denominator 6 (A B C F G H), three or more 2 (C H), exactly one 1 (A), not recorded 1 (F).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import EPISODE_HEADERS, HEADER_HEADERS, write_csv

from cscbook.data.ssda903 import read_ssda903
from cscbook.measures.social_workers import (
    covered_from,
    social_worker_counts,
    social_worker_series,
    window_start,
    workers_per_child,
)

T = pd.Timestamp
ON = T("2025-03-31")


def _episodes() -> pd.DataFrame:
    rows = [
        ("A", "2022-01-01", None, "C2"), ("B", "2024-06-01", None, "C1"), ("C", "2023-01-01", None, "C2"),
        ("D", "2024-01-01", None, "V3"), ("E", "2024-01-01", "2025-02-01", "C2"), ("F", "2024-05-01", None, "V2"),
        ("G", "2024-10-01", None, "C1"), ("H", "2024-07-01", None, "C2"),
    ]  # fmt: skip
    return pd.DataFrame(
        {
            "child_id": [r[0] for r in rows],
            "episode_start": pd.to_datetime([r[1] for r in rows]),
            "episode_end": pd.to_datetime([r[2] for r in rows]),
            "legal_status": [r[3] for r in rows],
            "reason_episode_ceased": [None, None, None, None, "E4A", None, None, None],
        }
    )


SW_ROWS = [
    ("A", "SW1", "2022-01-01", "2024-03-31"), ("A", "SW2", "2024-03-31", None),
    ("B", "SW3", "2024-06-01", "2024-09-01"), ("B", "SW4", "2024-09-01", "2025-01-10"), ("B", "SW3", "2025-01-10", None),
    ("C", "SW5", "2023-01-01", "2024-04-01"), ("C", "SW6", "2024-04-01", "2024-12-01"), ("C", "SW7", "2024-12-01", None),
    ("D", "SW20", "2024-01-01", "2024-05-01"), ("D", "SW21", "2024-05-01", "2024-08-01"),
    ("D", "SW22", "2024-08-01", "2024-11-01"), ("D", "SW23", "2024-11-01", None),
    ("E", "SW30", "2024-01-01", "2024-06-01"), ("E", "SW31", "2024-06-01", "2024-09-01"),
    ("E", "SW32", "2024-09-01", "2025-02-01"),
    ("G", None, "2024-10-01", "2025-01-01"), ("G", "SW8", "2025-01-01", "2025-04-02"), ("G", "SW9", "2025-04-02", None),
    ("H", "SW11", "2024-07-01", "2025-02-01"), ("H", "SW12", "2025-02-01", "2025-03-31"), ("H", "SW13", "2025-03-31", None),
]  # fmt: skip


def _sw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "child_id": [r[0] for r in SW_ROWS],
            "sw_id": pd.Series([r[1] for r in SW_ROWS], dtype="str").where(
                pd.Series([r[1] for r in SW_ROWS]).notna()
            ),
            "sw_decom": pd.to_datetime([r[2] for r in SW_ROWS]),
            "sw_dec": pd.to_datetime([r[3] for r in SW_ROWS]),
            "sw_reason": "MANAGE",
        }
    )


def test_window_and_coverage():
    assert window_start(ON) == T("2024-04-01")
    assert window_start(T("2024-03-31")) == T("2023-04-01")
    assert covered_from(_sw()) == T("2023-04-01")  # earliest SW_DEC 31/03/2024 is in 2023-24


def test_workers_per_child():
    n = workers_per_child(_sw(), pd.Series(list("ABCFGH")), ON)
    assert n.to_dict() == {"A": 1, "B": 2, "C": 3, "F": 0, "G": 2, "H": 3}
    # with no episode lacking an SW_ID (G's removed): the others unchanged
    named = _sw().loc[lambda d: d["child_id"] != "G"]
    assert workers_per_child(named, pd.Series(list("ABCFH")), ON).to_dict() == {
        "A": 1,
        "B": 2,
        "C": 3,
        "F": 0,
        "H": 3,
    }


def test_counts_on_31_march():
    c = social_worker_counts(_sw(), _episodes(), ON)
    assert c.available and c.reason == ""
    assert (c.denominator, c.three_or_more, c.exactly_one, c.not_recorded) == (6, 2, 1, 1)
    assert c.share_three_or_more == pytest.approx(2 / 6) and c.share_exactly_one == pytest.approx(1 / 6)


def test_not_available_before_2023_24_or_without_episodes():
    early = social_worker_counts(_sw(), _episodes(), T("2024-03-30"))
    assert not early.available and "collected from 2023-24" in early.reason
    assert early.share_three_or_more != early.share_three_or_more  # NaN
    assert social_worker_counts(_sw(), _episodes(), T("2024-03-31")).available
    none = social_worker_counts(None, _episodes(), ON)
    assert not none.available and "no SSDA903 social worker episodes" in none.reason
    # only a 2024-25 file (earliest SW_DEC in 2024-25): the 12 months to 30/3/2025 start before it
    later = _sw().loc[lambda d: d["sw_dec"].isna() | (d["sw_dec"] >= T("2024-09-01"))]
    assert covered_from(later) == T("2024-04-01")
    c = social_worker_counts(later, _episodes(), T("2025-03-30"))
    assert not c.available and "start in the collection year from 01 April 2024" in c.reason


def test_series():
    s = social_worker_series(_sw(), _episodes(), [T("2024-03-30"), ON])
    assert s["available"].tolist() == [False, True]
    assert s.loc[1, ["denominator", "three_or_more", "exactly_one"]].tolist() == [6, 2, 1]


def test_from_real_ssda903_files(tmp_path: Path):
    """The same children through real CSV files and the reader: the same answer."""
    eps = _episodes()
    fmt = "%d/%m/%Y"
    ep_rows = [[r.child_id, r.episode_start.strftime(fmt), "S", r.legal_status, "N1", "U4", "PR1",
                r.episode_end.strftime(fmt) if pd.notna(r.episode_end) else "", r.reason_episode_ceased or "", "",
                "AB1 2CD", "AB1 3CD", "XXXXXXX"] for r in eps.itertuples()]  # fmt: skip
    write_csv(tmp_path / "episodes_2024-25.csv", EPISODE_HEADERS, ep_rows)
    write_csv(tmp_path / "header_2024-25.csv", HEADER_HEADERS,
              [[c, "M", "01/01/2012", "WBRI", "", "", ""] for c in eps["child_id"]])  # fmt: skip
    sw_rows = [[c, "01/01/2012", i or "", pd.Timestamp(a).strftime(fmt), pd.Timestamp(b).strftime(fmt) if b else "",
                "MANAGE"] for c, i, a, b in SW_ROWS]  # fmt: skip
    write_csv(tmp_path / "sw_episodes_2024-25.csv", ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"],
              sw_rows)  # fmt: skip
    res = read_ssda903([tmp_path])
    sw = res.tables["social_worker_episodes"]
    assert len(sw) == len(SW_ROWS)
    c = social_worker_counts(sw, res.tables["cla_episodes"], ON)
    assert (c.denominator, c.three_or_more, c.exactly_one, c.not_recorded) == (6, 2, 1, 1)
