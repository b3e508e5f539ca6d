"""Caseloads on a hand-made extract, with every answer worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from cscbook.measures import caseloads as cl
from cscbook.report import caseloads as cl_report
from cscbook.report.outputs import check_no_personal_columns

D = pd.Timestamp("2024-12-31")
NA = None


def _table(rows, cols, dates):
    df = pd.DataFrame(rows, columns=cols)
    for c in dates:
        df[c] = pd.to_datetime(df[c])
    return df


CIN = _table(
    [
        ("C1", "2024-06-01", NA, "Team A", "W1"),  # open; also on a CP plan with W1: counts once
        ("C2", "2024-01-10", "2024-11-30", "Team A", "W1"),  # closed before the date
        ("C3", "2024-03-01", "2024-12-31", "Team A", "W2"),  # closes on the date: not open
        ("C4", "2024-09-01", "2025-02-01", "Team A", "W2"),  # closes after the date: open
        ("C5", "2025-01-05", NA, "Team A", "W1"),  # starts after the date
        ("C6", "2024-10-01", NA, "Team B", ""),  # open, no worker: unallocated
        ("C7", "2024-02-02", NA, "Team B", "W3"),  # open; CP plan with another worker (W4)
        ("C15", "2024-04-04", NA, "Team B", "W3"),
        ("C16", "2024-04-04", NA, "Team A", NA),  # no worker here, but W4 holds the CP plan
        ("C17", "2024-08-08", NA, "Team A", " W1 "),  # stray spaces: still W1
    ],
    ["child_id", "cin_start_date", "cin_closure_date", "allocated_team", "allocated_worker"],
    ["cin_start_date", "cin_closure_date"],
)
CP = _table(
    [
        ("C1", "2024-07-01", NA, "Team A", "W1"),
        ("C7", "2024-05-01", NA, "Team B", "W4"),
        ("C8", "2024-01-01", "2024-12-31", "Team B", "W4"),  # ends on the date
        ("C16", "2024-05-05", NA, "Team B", "W4"),
    ],
    ["child_id", "cp_start_date", "cp_end_date", "allocated_team", "allocated_worker"],
    ["cp_start_date", "cp_end_date"],
)
CLA = _table(
    [
        ("C9", "2023-05-01", NA, "Team C", "W5"),
        ("C10", "2024-12-31", NA, "Team C", "W5"),  # started on the date: open
        ("C11", "2022-01-01", "2024-06-30", "Team C", "W5"),  # ceased
    ],
    ["child_id", "cla_start_date", "cla_end_date", "allocated_team", "allocated_worker"],
    ["cla_start_date", "cla_end_date"],
)
LEAVERS = pd.DataFrame(
    [
        ("C12", "Team C", "W5", "P9"),
        ("C13", "Team C", "W6", "P9"),
        ("C14", "Team A", "W3", "P9"),  # W3's other cases are in Team B: W3 counts in Team B
    ],
    columns=["child_id", "allocated_team", "allocated_worker", "personal_advisor"],
)
TABLES = {"cin": CIN, "cp_plans": CP, "cla": CLA, "care_leavers": LEAVERS}

# By hand, open on 31 December 2024 (child: worker):
#   W1 (Team A): C1 (CIN + CP, once), C17                 -> 2
#   W2 (Team A): C4                                       -> 1
#   W3 (Team B: 2 of 3 cases): C7, C15, C14 (care leaver) -> 3
#   W4 (Team B): C7 (CP), C16 (CP)                        -> 2
#   W5 (Team C): C9, C10, C12                             -> 3
#   W6 (Team C): C13                                      -> 1
#   unallocated: C6 (Team B)
EXPECTED = {
    # team: workers, children, cases, mean, median, min, max, unallocated
    # (median and range only for 5 or more workers: with 2, the mean and the minimum give both)
    "Team A": (2, 3, 3, 1.5, None, None, None, 0),
    "Team B": (2, 4, 5, 2.5, None, None, None, 1),
    "Team C": (2, 4, 4, 2.0, None, None, None, 0),
    cl.TOTAL: (6, 11, 12, 2.0, 2.0, 1, 3, 1),
}


def _row(r) -> tuple:
    return tuple(None if pd.isna(v) else v for v in (r.workers, r.children, r.cases, r.mean, r.median, r.min, r.max,
                                                      r.unallocated))  # fmt: skip


def test_open_cases_by_hand():
    oc = cl.open_cases(TABLES, D)
    pairs = set(zip(oc["child_id"], oc["allocated_worker"].fillna("-"), strict=True))
    assert pairs == {
        ("C1", "W1"), ("C17", "W1"), ("C4", "W2"), ("C7", "W3"), ("C15", "W3"), ("C14", "W3"),
        ("C7", "W4"), ("C16", "W4"), ("C9", "W5"), ("C10", "W5"), ("C12", "W5"), ("C13", "W6"),
        ("C6", "-"),
    }  # fmt: skip
    c1 = oc[oc["child_id"] == "C1"].iloc[0]
    assert c1["case_type"] == "child protection plan"
    assert c1["child in need"] and c1["child protection plan"] and not c1["in care"]
    assert oc.loc[oc["child_id"] == "C14", "allocated_team"].item() == "Team B"
    assert oc.loc[oc["child_id"] == "C6", "allocated_team"].item() == "Team B"


def test_closed_and_closing_on_the_date_are_not_open():
    ids = set(cl.open_cases(TABLES, D)["child_id"])
    assert not ids & {"C2", "C3", "C5", "C8", "C11"}
    # A day earlier C3 and C8 were still open, C10 had not started.
    earlier = set(cl.open_cases(TABLES, D - pd.Timedelta(days=1))["child_id"])
    assert {"C3", "C8"} <= earlier and "C10" not in earlier


def test_caseloads_per_team_by_hand():
    t = cl.caseloads(cl.open_cases(TABLES, D))
    assert list(t["team"]) == ["Team A", "Team B", "Team C", cl.TOTAL]
    got = {r.team: _row(r) for r in t.itertuples()}
    assert got == EXPECTED


def test_caseload_table_names_no_worker():
    t = cl.caseloads(cl.open_cases(TABLES, D))
    check_no_personal_columns(t, "caseloads_by_team")
    text = t.to_csv()
    assert not any(w in text for w in ["W1", "W2", "W3", "W4", "W5", "W6", "P9", "C1"])


def test_no_allocation_or_no_tables():
    assert cl.open_cases({}, D).empty
    t = cl.caseloads(cl.open_cases({}, D))
    assert list(t["team"]) == [cl.TOTAL] and t["workers"].item() == 0 and pd.isna(t["mean"].item())
    no_workers = {"cin": CIN.assign(allocated_worker=NA)}
    assert not cl.has_allocation(no_workers) and cl.has_allocation(TABLES)


def test_average_caseload_is_a_snapshot_measure():
    from conftest import make_params

    from cscbook.measures import registry
    from cscbook.measures.compute import compute_all

    m = registry.get("average_caseload")
    assert m.kind == "mean" and m.snapshot and m.higher_is_better is False and m.chapter == "Caseloads"
    res = compute_all(TABLES, make_params(D))
    assert res.value("average_caseload") == 2.0
    assert res.quarter_row("average_caseload")["england"] == 16.0  # DfE workforce, 30 September 2023
    assert res.value("average_caseload", "last") is None and res.value("average_caseload", "year_ago") is None
    none = compute_all({"cin": CIN.assign(allocated_worker=NA)}, make_params(D))
    assert "average_caseload" in none.unavailable
    assert "allocated worker" in none.unavailable["average_caseload"].reason


@pytest.mark.parametrize("missing", ["cin", "cp_plans", "cla", "care_leavers"])
def test_a_missing_list_only_drops_its_cases(missing):
    tables = {k: v for k, v in TABLES.items() if k != missing}
    oc = cl.open_cases(tables, D)
    full = cl.open_cases(TABLES, D)
    assert len(oc) < len(full)
    assert set(zip(oc["child_id"], oc["allocated_worker"].fillna("-"), strict=True)) <= set(
        zip(full["child_id"], full["allocated_worker"].fillna("-"), strict=True)
    ) | {("C16", "-")}  # without the CP list, C16 has no worker on any open case


def test_key_message_and_display_by_hand():
    oc = cl.open_cases(TABLES, D)
    t = cl.caseloads(oc)
    assert cl.children_with_several_workers(oc) == 1  # C7: W3 (CIN) and W4 (CP plan)
    assert cl_report.key_message(t, D, 1) == (
        "On 31 December 2024, 6 workers held open cases for 11 children: an average of 2.0 children per "
        "worker (range 1 to 3). The highest team average was Team B (2.5) and the lowest Team A (1.5). "
        "1 child was allocated to more than one worker and counted in each worker's caseload. "
        "1 child with an open case had no allocated worker."
    ).replace(" The highest", " England's average was 16.0 cases per case-holding social worker (DfE workforce "
              "statistics, latest 30 September; cases per full-time equivalent, so close to but not the same "
              "measure). The highest")  # fmt: skip
    shown = cl_report.display_table(t)
    assert shown["Range"].tolist() == ["", "", "", "1-3"]
    assert shown["Average caseload"].tolist() == ["1.5", "2.5", "2.0", "2.0"]
    fig = cl_report.plot_caseloads(t)
    assert [tick.get_text() for tick in fig.axes[0].get_yticklabels()] == ["Team C", "Team B", "Team A"]


def test_care_leavers_count_while_aged_21_or_under():
    on = pd.Timestamp("2024-12-31")
    leavers = pd.DataFrame(
        [
            ("L1", "Leaving Care", "W9", pd.Timestamp("2003-01-01")),  # 21 on the date (22 tomorrow): counts
            ("L2", "Leaving Care", "W9", pd.Timestamp("2002-12-31")),  # 22 today: past support
            ("L3", "Leaving Care", "W9", pd.NaT),  # age unknown: counted
        ],
        columns=["child_id", "allocated_team", "allocated_worker", "date_of_birth"],
    )
    cases = cl.open_cases({"care_leavers": leavers}, on)
    assert sorted(cases["child_id"]) == ["L1", "L3"]


def _cases(teams: dict[str, dict[str, int]]):
    """Open CIN cases from {team: {worker: children}} (each child distinct)."""
    rows = [(f"{w}-{i}", team, w) for team, ws in teams.items() for w, n in ws.items() for i in range(n)]
    df = pd.DataFrame(rows, columns=["child_id", "allocated_team", "allocated_worker"])
    return cl.open_cases({"cin": df.assign(cin_start_date=D - pd.Timedelta(days=10))}, D)


def test_a_lone_worker_is_combined_with_the_smallest_team_not_hidden():
    # Solo: 1 worker (W6, 4 children). On its own, or blanked but derivable from the total, it
    # would be W6's caseload; so it is combined with the smallest other team, Mid (2 workers).
    oc = _cases({"Big": {"W1": 3, "W2": 4, "W3": 5}, "Mid": {"W4": 2, "W5": 6}, "Solo": {"W6": 4}})
    t = cl.caseloads(oc).set_index("team")
    assert list(t.index) == ["Big", cl.OTHER_TEAMS, cl.TOTAL]
    other = t.loc[cl.OTHER_TEAMS]
    assert (other["workers"], other["children"], other["mean"]) == (3, 12, 4.0)  # (2 + 6 + 4) / 3
    assert pd.isna(other["min"]) and pd.isna(other["median"])  # 3 workers: no range
    assert (t.loc["Big", "workers"], t.loc["Big", "mean"]) == (3, 4.0)
    total = t.loc[cl.TOTAL]
    assert (total["workers"], total["children"], total["mean"]) == (6, 24, 4.0)
    # no row, and no total minus rows, stands for fewer than 2 workers
    assert (t["workers"] >= cl.MIN_WORKERS).all() and total["workers"] - t.loc[
        "Big", "workers"
    ] >= cl.MIN_WORKERS
    fig = cl_report.plot_caseloads(cl.caseloads(oc), england=16.0)
    ax = fig.axes[0]
    assert [tick.get_text() for tick in ax.get_yticklabels()] == [cl.OTHER_TEAMS, "Big"]
    assert [round(p.get_width(), 1) for p in ax.patches] == [4.0, 4.0]  # a bar for every row shown
    assert "England (16.0)" in [text.get_text() for text in ax.get_legend().get_texts()]


def test_small_teams_rule():
    sizes = pd.Series({"A": 1, "B": 1, "C": 5, "D": 2})
    assert cl.small_teams(sizes) == ["A", "B"]  # together 2 workers: enough
    assert cl.small_teams(pd.Series({"A": 1, "C": 5, "D": 2, "E": 2})) == [
        "A",
        "D",
    ]  # smallest, then alphabetical
    assert cl.small_teams(pd.Series({"C": 5, "D": 2})) == []


def test_one_worker_in_the_whole_authority_shows_no_caseload():
    t = cl.caseloads(_cases({"Solo": {"W1": 7}}))
    assert list(t["team"]) == [cl.OTHER_TEAMS, cl.TOTAL]
    assert t["workers"].tolist() == [1, 1] and t["children"].isna().all() and t["mean"].isna().all()
    assert "7" not in t.to_csv()
    text = cl_report.key_message(t, D, 0)
    assert text.startswith("Fewer than 2 workers held open cases on 31 December 2024") and "7" not in text


def test_alt_text_from_the_numbers():
    t = cl.caseloads(
        _cases({"Big": {"W1": 3, "W2": 4, "W3": 5}, "Mid": {"W4": 2, "W5": 6}, "Solo": {"W6": 4}})
    )
    assert cl_report.alt_text(t, 3.5) == (
        "Average caseload per worker across all teams: 4.0 children. By team, from 4.0 (Big) to 4.0 "
        f"({cl.OTHER_TEAMS}). England: 3.5; 2 of 2 teams are above it."
    )
    alone = cl.caseloads(_cases({"Solo": {"W1": 7}}))
    assert cl_report.alt_text(alone) == "Average caseload per worker: not shown (too few workers)."
