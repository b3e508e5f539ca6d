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
    write_csv(tmp_path / "2024-25" / "header.csv", HEADER_HEADERS, [_header_row("A"), _header_row("C", "9", ethnic="XX")])
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
