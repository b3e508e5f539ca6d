"""The SSDA903 reader: kinds, years, cross-year merge rules, overlaps and accounting."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import EPISODE_HEADERS, HEADER_HEADERS, episode, write_csv

from cscbook.config.errors import UserError
from cscbook.data.ssda903 import collection_year, file_kind, read_ssda903

T = pd.Timestamp


def _header_row(child: str, sex: str = "1", dob: str = "01/02/2010", ethnic: str = "WBRI") -> list[str]:
    return [child, sex, dob, ethnic, "", "", ""]


@pytest.fixture
def two_years(tmp_path: Path) -> Path:
    """Two collection years.

    2023-24: child A open episode from 1 May 2023; child B two episodes, the first repeated exactly.
    2024-25: child A's episode now closed 1 Jun 2024 (E4A); child B a third episode starting
    1 Aug 2023 while the second (from 1 Jul 2023) is still open -> overlap; child D ends before
    it starts; child E has text in DECOM.
    """
    for y in ("2023-24", "2024-25"):
        (tmp_path / y).mkdir()
    write_csv(tmp_path / "2023-24" / "header.csv", HEADER_HEADERS, [_header_row("A"), _header_row("B", "2")])
    write_csv(
        tmp_path / "2024-25" / "header.csv",
        HEADER_HEADERS,
        [_header_row("A"), _header_row("C", "9", ethnic="XX")],
    )
    write_csv(
        tmp_path / "2023-24" / "episodes.csv",
        EPISODE_HEADERS,
        [
            episode("A", "01/05/2023"),  # row 2, superseded by 2024-25 row 2
            episode("B", "01/06/2023", "01/07/2023", "X1"),  # row 3
            episode("B", "01/07/2023", rne="P"),  # row 4, exact duplicate of row 5
            episode("B", "01/07/2023", rne="P"),  # row 5
        ],
    )
    write_csv(
        tmp_path / "2024-25" / "episodes.csv",
        EPISODE_HEADERS,
        [
            episode("A", "01/05/2023", "01/06/2024", "E4A"),  # row 2
            episode("B", "01/08/2023", rne="P"),  # row 3
            episode("D", "01/08/2023", "01/07/2023", "E8"),  # row 4: impossible chronology
            episode("E", "pending"),  # row 5: unparseable DECOM
        ],
    )
    return tmp_path


def test_file_kind_and_year():
    assert file_kind(EPISODE_HEADERS) == "cla_episodes"
    assert file_kind(["child", "sex", "dob", "ethnic"]) == "cla_header"
    assert file_kind(["CHILD", "SEX", "DOB", "DUC"]) == "cla_uasc"
    assert file_kind(["Child Unique ID", "Gender"]) is None
    assert collection_year(Path("ssda903/episodes_2023-24.csv")) == 2024
    assert collection_year(Path("ssda903/2022_23/header.csv")) == 2023
    assert collection_year(Path("ssda903/2025/episodes.csv")) == 2025
    assert collection_year(Path("episodes.csv")) == 0


def test_merge_rules(two_years):
    res = read_ssda903([two_years])
    ep = res.tables["cla_episodes"]
    assert ep[["child_id", "episode_start"]].values.tolist() == [
        ["A", T("2023-05-01")], ["B", T("2023-06-01")], ["B", T("2023-07-01")], ["B", T("2023-08-01")],
    ]  # fmt: skip
    # A: the later year's version closes the episode.
    assert ep.loc[0, "episode_end"] == T("2024-06-01") and ep.loc[0, "reason_episode_ceased"] == "E4A"
    # B: the open second episode is ended at the third's start, with X1; the third stays open.
    assert ep.loc[2, "episode_end"] == T("2023-08-01") and ep.loc[2, "reason_episode_ceased"] == "X1"
    assert pd.isna(ep.loc[3, "episode_end"]) and pd.isna(ep.loc[3, "reason_episode_ceased"])
    log = res.log
    by = {(Path(f).parent.name, r, reason): sev for f, r, reason, sev in
          zip(log["file"], log["row"], log["reason"], log["severity"], strict=True)}  # fmt: skip
    assert by[("2023-24", 2, "superseded by a later collection year")] == "info"
    assert by[("2023-24", 4, "duplicate")] == "info"
    assert by[("2023-24", 5, "overlapping episode")] == "warning"
    assert by[("2024-25", 4, "impossible chronology")] == "error"
    assert by[("2024-25", 5, "unparseable date")] == "error"
    acc = res.accounting.set_index(["table", "file"])
    assert acc["rows_read"].sum() == 12  # 8 episode rows + 4 header rows
    assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_excluded"]).all()
    ep_acc = acc.loc["cla_episodes"]
    assert ep_acc["rows_kept"].sum() == 4 and ep_acc["rows_excluded"].sum() == 4


def test_header_sex_and_latest_version(two_years):
    hd = read_ssda903([two_years]).tables["cla_header"]
    assert hd["child_id"].tolist() == ["A", "B", "C"]
    assert hd["sex"].tolist()[:2] == ["M", "F"] and pd.isna(hd["sex"].iloc[2])  # SEX 9 is not 1/2
    assert hd["date_of_birth"].iloc[0] == T("2010-02-01")  # dd/mm/yyyy
    assert pd.isna(hd["ethnicity"].iloc[2])


def test_overlap_with_closed_episode(tmp_path):
    # First episode 1 Jan-1 Mar 2024 (E8) but the next starts 1 Feb: ended at 1 Feb, REC kept.
    write_csv(tmp_path / "episodes_2024.csv", EPISODE_HEADERS,
              [episode("A", "01/01/2024", "01/03/2024", "E8"), episode("A", "01/02/2024", "01/04/2024", "E4A")])  # fmt: skip
    ep = read_ssda903([tmp_path]).tables["cla_episodes"]
    assert ep["episode_end"].tolist() == [T("2024-02-01"), T("2024-04-01")]
    assert ep["reason_episode_ceased"].tolist() == ["E8", "E4A"]


def test_missing_required_column(tmp_path):
    headers = [h for h in EPISODE_HEADERS if h != "DEC"] + ["DEC_DATE"]
    rows = [episode("A", "01/01/2024")[:7] + episode("A", "01/01/2024")[8:] + [""]]
    write_csv(tmp_path / "episodes.csv", headers, rows)
    with pytest.raises(UserError, match="no column DEC.*closest column found is 'DEC_DATE'"):
        read_ssda903([tmp_path / "episodes.csv"])


def test_not_ssda903(tmp_path):
    write_csv(tmp_path / "other.csv", ["Name", "Value"], [["a", "1"]])
    with pytest.raises(UserError, match="not an SSDA903"):
        read_ssda903([tmp_path / "other.csv"])
    with pytest.raises(UserError, match="No SSDA903 files"):
        read_ssda903([tmp_path])


def test_every_excluded_episode_is_in_the_log(two_years):
    res = read_ssda903([two_years])
    acc = res.accounting
    dropped = res.log[res.log["severity"].isin(["error", "info"])]
    per_table = dropped.drop_duplicates(["table", "file", "row"]).groupby("table").size()
    excluded = acc.groupby("table")["rows_excluded"].sum()
    assert per_table.reindex(excluded.index, fill_value=0).tolist() == excluded.tolist()
    assert acc.groupby("table")["rows_kept"].sum().to_dict() == {t: len(df) for t, df in res.tables.items()}


# ---- collection years, auxiliary files, cross-checks --------------------------------------------

SW_HEADERS = ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"]


def _reasons(res, reason: str) -> list[tuple[str, int, str]]:
    log = res.log[res.log["reason"] == reason]
    return sorted(
        zip(log["file"].map(lambda f: Path(f).name), log["row"].astype(int), log["severity"], strict=True)
    )


def test_empty_and_auxiliary_files_are_noted_not_refused(tmp_path):
    write_csv(tmp_path / "header_2024-25.csv", HEADER_HEADERS, [_header_row("A", "M")])
    write_csv(tmp_path / "episodes_2024-25.csv", EPISODE_HEADERS, [episode("A", "01/05/2024")])
    (tmp_path / "ad1_2024-25.csv").write_text("\n")  # an AD1 holding only a newline
    write_csv(tmp_path / "uasc_2024-25.csv", ["CHILD", "SEX", "DOB", "DUC"], [])  # header row only
    write_csv(
        tmp_path / "missing_2024-25.csv",
        ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
        [["A", "01/02/2010", "M", "01/06/2024", "02/06/2024"], ["A", "01/02/2010", "A", "01/07/2024", ""]],
    )
    write_csv(
        tmp_path / "reviews_2024-25.csv",
        ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
        [["A", "01/02/2010", "01/06/2024", "PN1"]],
    )
    res = read_ssda903([tmp_path])
    assert set(res.tables) == {"cla_header", "cla_episodes"} and res.missing == []
    notes = "\n".join(res.notes)
    assert "ad1_2024-25.csv: empty (no header row, no rows); skipped." in notes
    assert "uasc_2024-25.csv: SSDA903 UASC file with a header row only (no rows); skipped." in notes
    assert "missing_2024-25.csv: SSDA903 missing file (2 rows); not used by the book." in notes
    assert "reviews_2024-25.csv: SSDA903 reviews file (1 rows); not used by the book." in notes
    # the same empty AD1 named directly beside the episodes is not a reason to refuse either
    res2 = read_ssda903([tmp_path / "episodes_2024-25.csv", tmp_path / "ad1_2024-25.csv"])
    assert len(res2.tables["cla_episodes"]) == 1


def test_social_worker_episodes_table(tmp_path):
    write_csv(tmp_path / "sw_episodes_2023-24.csv", SW_HEADERS, [
        ["A", "01/02/2010", "SW1", "01/05/2023", "01/09/2023", "FCONTA"],
        ["A", "01/02/2010", "SW2", "01/09/2023", "", "LEFTRL"],
        ["B", "01/02/2010", "SW3", "pending", "", "MANAGE"],  # row 4: unparseable SW_DECOM
    ])  # fmt: skip
    write_csv(tmp_path / "sw_episodes_2024-25.csv", SW_HEADERS, [
        ["A", "01/02/2010", "SW2", "01/09/2023", "01/06/2024", "LEFTRL"],  # closes the open one
        ["A", "01/02/2010", "SW4", "01/06/2024", "", "XXXXX"],  # row 3: unknown reason, kept
        ["C", "01/02/2010", "SW5", "01/08/2024", "01/07/2024", "MANAGE"],  # row 4: ends before it starts
    ])  # fmt: skip
    write_csv(
        tmp_path / "sw_episodes_2022-23.csv",
        SW_HEADERS,
        [["D", "01/02/2010", "SW6", "01/05/2022", "", "MANAGE"]],
    )
    res = read_ssda903([tmp_path])
    sw = res.tables["social_worker_episodes"]
    assert sw[["child_id", "sw_id"]].values.tolist() == [
        ["A", "SW1"],
        ["A", "SW2"],
        ["A", "SW4"],
        ["D", "SW6"],
    ]
    assert sw.loc[1, "sw_dec"] == T("2024-06-01") and pd.isna(sw.loc[2, "sw_reason"])
    assert _reasons(res, "superseded by a later collection year") == [("sw_episodes_2023-24.csv", 3, "info")]
    assert _reasons(res, "unparseable date") == [("sw_episodes_2023-24.csv", 4, "error")]
    assert _reasons(res, "impossible chronology") == [("sw_episodes_2024-25.csv", 4, "error")]
    assert _reasons(res, "unmapped code") == [("sw_episodes_2024-25.csv", 3, "warning")]
    assert any(
        "DfE collects social worker episodes from 2023-24, but this file is for 2022-23" in n
        for n in res.notes
    )
    acc = res.accounting.set_index("table").loc["social_worker_episodes"]
    assert acc["rows_read"].sum() == 7 and acc["rows_kept"].sum() == 4 and acc["rows_excluded"].sum() == 3


def test_year_from_name_and_contents(tmp_path):
    # named 2022-23 but its dates run into 2023-24: read as 2023-24, so it supersedes the real 2022-23 file
    (tmp_path / "a").mkdir()
    write_csv(tmp_path / "a" / "episodes_2022-23.csv", EPISODE_HEADERS, [episode("A", "01/05/2022")])
    write_csv(
        tmp_path / "episodes_2022-23.csv", EPISODE_HEADERS, [episode("A", "01/05/2022", "01/06/2023", "E4A")]
    )
    write_csv(tmp_path / "episodes.csv", EPISODE_HEADERS, [episode("B", "01/05/2024")])  # no year in the name
    # named 2025-26, nothing later than 2023-24: kept as 2025-26, with a note
    write_csv(tmp_path / "episodes_2025-26.csv", EPISODE_HEADERS, [episode("C", "01/05/2023")])
    res = read_ssda903([tmp_path])
    notes = "\n".join(res.notes)
    assert ("episodes_2022-23.csv: its name says collection year 2022-23 but it holds dates in 2023-24; "
            "read as 2023-24") in notes  # fmt: skip
    assert "episodes.csv: no collection year in its name or folder; 2024-25 from its dates." in notes
    assert ("episodes_2025-26.csv: its name says collection year 2025-26 but its latest date is in 2023-24 (no "
            "episode started or ended in 2025-26); read as 2025-26") in notes  # fmt: skip
    ep = res.tables["cla_episodes"].set_index("child_id")
    assert ep.loc["A", "episode_end"] == T("2023-06-01")
    assert _reasons(res, "superseded by a later collection year") == [("episodes_2022-23.csv", 2, "info")]
    assert (
        res.log.loc[res.log["reason"] == "superseded by a later collection year", "file"]
        .iloc[0]
        .endswith("a/episodes_2022-23.csv")
    )


def test_codes_by_collection_year(tmp_path):
    write_csv(tmp_path / "header_2022-23.csv", HEADER_HEADERS, [_header_row("A", "M"), _header_row("B", "2")])
    write_csv(
        tmp_path / "header_2024-25.csv",
        HEADER_HEADERS,
        [_header_row("C", "1"), _header_row("D", "F"), _header_row("E", "U"), _header_row("F", "9")],
    )
    write_csv(tmp_path / "episodes_2023-24.csv", EPISODE_HEADERS, [
        episode("A", "01/05/2023", place="K3"),  # row 2: K3 only from 2024-25
        episode("B", "01/05/2023", "01/09/2023", "E8", place="P2"),  # row 3: P2 ended before 28/10/2023
        episode("B", "01/11/2023", place="P2"),  # row 4: P2 open after 28/10/2023
    ])  # fmt: skip
    write_csv(tmp_path / "episodes_2024-25.csv", EPISODE_HEADERS, [
        episode("C", "01/05/2024", place="K3"),  # row 2: fine
        episode("D", "01/05/2024", place="Z11"),  # row 3: Z11 only from 2025-26
        episode("E", "01/05/2024", place="H5"),  # row 4: fine until 2024-25
    ])  # fmt: skip
    write_csv(tmp_path / "episodes_2025-26.csv", EPISODE_HEADERS, [episode("F", "01/05/2025", place="H5")])
    res = read_ssda903([tmp_path])
    other = _reasons(res, "code from another collection year")
    assert other == [
        ("episodes_2023-24.csv", 2, "warning"), ("episodes_2023-24.csv", 4, "warning"),
        ("episodes_2024-25.csv", 3, "warning"), ("episodes_2025-26.csv", 2, "warning"),
        ("header_2022-23.csv", 2, "warning"), ("header_2024-25.csv", 2, "warning"),
    ]  # fmt: skip
    hd = res.tables["cla_header"].set_index("child_id")["sex"]
    assert hd[["A", "B", "C", "D"]].tolist() == ["M", "F", "M", "F"]  # other-year codes read, not dropped
    assert pd.isna(hd["E"]) and pd.isna(hd["F"])  # U (not known) is blank; 9 is unmapped
    assert _reasons(res, "unmapped code") == [("header_2024-25.csv", 5, "warning")]
    ep = res.tables["cla_episodes"].set_index("child_id")
    assert ep.loc["D", "placement_type"] == "Z11" and ep.loc["A", "placement_type"] == "K3"
    assert len(res.tables["cla_episodes"]) == 7


def test_header_episode_cross_checks_flag_and_keep(tmp_path):
    write_csv(tmp_path / "header_2024-25.csv", HEADER_HEADERS, [
        _header_row("A", "M", dob="01/02/2010"),
        _header_row("B", "M", dob="01/06/2024"),  # row 3: born after DECOM 01/05/2024
        _header_row("C", "F"),  # row 4: no episodes
    ])  # fmt: skip
    write_csv(tmp_path / "episodes_2024-25.csv", EPISODE_HEADERS, [
        episode("A", "01/05/2024", rec="E4A"),  # row 2: REC on an open episode
        episode("B", "01/05/2024"),  # row 3: DOB after DECOM
        episode("D", "01/05/2024", "01/06/2024", "X1"),  # row 4: no header row (logged once)
        episode("D", "01/06/2024", rne="P"),  # row 5
    ])  # fmt: skip
    res = read_ssda903([tmp_path])
    assert _reasons(res, "episodes without a header row") == [("episodes_2024-25.csv", 4, "warning")]
    assert _reasons(res, "header without episodes") == [("header_2024-25.csv", 4, "warning")]
    assert _reasons(res, "date of birth after DECOM") == [("episodes_2024-25.csv", 3, "warning")]
    assert _reasons(res, "REC on an open episode") == [("episodes_2024-25.csv", 2, "warning")]
    assert len(res.tables["cla_episodes"]) == 4 and len(res.tables["cla_header"]) == 3  # nothing dropped
    assert res.log.loc[res.log["reason"] == "date of birth after DECOM", "value"].iloc[0] == (
        "DOB 01/06/2024 after DECOM 01/05/2024"
    )


def test_file_kinds_of_every_ssda903_file():
    assert file_kind(SW_HEADERS) == "social_worker_episodes"
    assert file_kind(["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
                      "LS_ADOPTR"]) == "ad1"  # fmt: skip
    assert file_kind(["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK"]) == "oc2"
    assert file_kind(["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"]) == "oc3"
    assert file_kind(["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"]) == "prev_perm"
    assert file_kind(["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"]) == (
        "placed_for_adoption"
    )
    assert file_kind(["CHILD", "DOB", "DOLO_START", "DOLO_END"]) == "deprivation_of_liberty"


def test_cli_validate_folder_with_an_empty_ad1(tmp_path):
    """The real command line: a folder whose AD1 holds only a newline is read, with a note."""
    from conftest import run_cli

    write_csv(tmp_path / "header_2024-25.csv", HEADER_HEADERS, [_header_row("A", "M")])
    write_csv(tmp_path / "episodes_2024-25.csv", EPISODE_HEADERS, [episode("A", "01/05/2024")])
    (tmp_path / "ad1_2024-25.csv").write_text("\n")
    run = run_cli("validate", str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ad1_2024-25.csv: empty (no header row, no rows); skipped." in run.stdout
    assert "Traceback" not in run.stderr and "The data are usable." in run.stdout
