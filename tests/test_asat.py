"""asat.restrict_tables on a hand-made fixture: what was known on 30 September 2024."""

from __future__ import annotations

import pandas as pd

from cscbook.data.asat import restrict_tables

T = pd.Timestamp


def _tables():
    cin = pd.DataFrame(
        {
            "child_id": ["a", "b", "c"],
            "date_of_birth": pd.to_datetime(["2015-01-01", "2024-12-01", "2010-05-05"]),
            "cin_start_date": pd.to_datetime(["2024-01-10", "2024-10-01", "2024-09-30"]),
            "cin_closure_date": pd.to_datetime(["2024-09-30", "2024-12-01", "2024-10-15"]),
            "closure_reason": pd.Categorical(["RC8", "RC7", "RC9"]),
            "case_status": pd.Categorical(["CLOSED", "CLOSED", "CLOSED"]),
            "last_seen_date": pd.to_datetime(["2024-09-01", "2024-11-01", "2024-10-10"]),
        }
    )
    episodes = pd.DataFrame(
        {
            "child_id": ["a", "a", "z"],
            "episode_start": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-11-01"]),
            "episode_end": pd.to_datetime(["2024-06-01", "2025-01-01", pd.NaT]),
            "reason_episode_ceased": pd.Categorical(["X1", "E4A", None]),
        }
    )
    header = pd.DataFrame({"child_id": ["a", "z"], "sex": ["M", "F"]})
    return {"cin": cin, "cla_episodes": episodes, "cla_header": header}


def test_rows_started_later_are_dropped_and_later_ends_blanked():
    out = restrict_tables(_tables(), T("2024-09-30"))
    cin = out["cin"]
    # b started 1 Oct 2024: unknown on 30 Sep. a closed ON the date: kept as closed.
    # c started on the date (kept) but closed later: closure, reason and status blank.
    assert cin["child_id"].tolist() == ["a", "c"]
    assert cin.loc[0, "cin_closure_date"] == T("2024-09-30")
    assert cin.loc[0, "closure_reason"] == "RC8"
    assert pd.isna(cin.loc[1, "cin_closure_date"])
    assert pd.isna(cin.loc[1, "closure_reason"])
    assert pd.isna(cin.loc[1, "case_status"])
    # other dates after the as-at date are blanked too (c last seen 10 Oct)
    assert pd.isna(cin.loc[1, "last_seen_date"])
    assert cin.loc[0, "last_seen_date"] == T("2024-09-01")


def test_episodes_and_header():
    out = restrict_tables(_tables(), T("2024-09-30"))
    ep = out["cla_episodes"]
    # z's episode starts 1 Nov 2024: dropped; a's second episode ends 1 Jan 2025: open on 30 Sep.
    assert ep["child_id"].tolist() == ["a", "a"]
    assert ep.loc[0, "episode_end"] == T("2024-06-01") and ep.loc[0, "reason_episode_ceased"] == "X1"
    assert pd.isna(ep.loc[1, "episode_end"]) and pd.isna(ep.loc[1, "reason_episode_ceased"])
    assert out["cla_header"]["child_id"].tolist() == ["a"]


def test_does_not_modify_inputs_and_keeps_date_of_birth():
    tables = _tables()
    out = restrict_tables(tables, T("2024-01-01"))
    assert len(tables["cin"]) == 3 and tables["cin"]["cin_closure_date"].notna().all()
    # nothing started by 1 Jan 2024 in cin; episodes: only a's first (open on that date)
    assert out["cin"].empty
    assert out["cla_episodes"]["episode_end"].isna().all()
    later = restrict_tables(tables, T("2030-01-01"))
    assert later["cin"]["date_of_birth"].equals(tables["cin"]["date_of_birth"])
    pd.testing.assert_frame_equal(later["cin"], tables["cin"])
