"""The Annex A reader on small hand-made xlsx and CSV files, clean and messy."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import list_rows, valid_workbook, write_csv, write_xlsx

from cscbook.config.errors import UserError
from cscbook.data import annexa_spec, codes
from cscbook.data.ingest import list_number, map_codes, parse_dates, read_annex_a


def test_parse_dates_all_formats():
    s = pd.Series(
        ["01/02/2024", "2024-01-05", "45292", "45292.0", "2024-03-04 00:00:00", "5.1.2024", "1 Jan 2024",
         pd.NA, "junk", "31/02/2024", "1850-01-01"],
        dtype=object,
    )  # fmt: skip
    out, bad = parse_dates(s)
    expected = [
        "2024-02-01",
        "2024-01-05",
        "2024-01-01",
        "2024-01-01",
        "2024-03-04",
        "2024-01-05",
        "2024-01-01",
    ]
    assert out.iloc[:7].tolist() == [pd.Timestamp(d) for d in expected]
    assert out.iloc[7:].isna().all()
    # Blank is not an error; text, an impossible day and a date before 1900 are.
    assert bad.tolist() == [False] * 8 + [True, True, True]
    assert str(out.dtype) == "datetime64[ns]"


@pytest.mark.parametrize(
    ("codelist", "values", "code"),
    [
        (codes.SEX, ["b) Female", "Female", "F", " female "], "F"),
        (codes.SOURCE, ["q) 6: Police", "6: Police", "6", "Police"], "6"),
        (codes.SOURCE, ["p1) 5D: LA Services", "5D"], "5D"),
        (
            codes.PLACEMENT_PROVIDER,
            ["PR4: Private provision", "PR4 - Private", "PR4", "f) PR4: Private provision"],
            "PR4",
        ),
        (codes.PRIMARY_NEED, ["N1 - Abuse or neglect", "N1", "Abuse or neglect", "abuse or NEGLECT"], "N1"),
        (codes.YES_NO, ["a) Yes", "Yes", "Y", "y"], "Y"),
        (codes.ETHNICITY, ["a) WBRI", "WBRI", "White British"], "WBRI"),
        (codes.PRIMARY_NEED, ["Child\u2019s disability", "Child's disability", "N2"], "N2"),
    ],
)
def test_map_codes_variants(codelist, values, code):
    out, bad = map_codes(pd.Series(values, dtype=object), codelist)
    assert out.tolist() == [code] * len(values)
    assert not bad.any()
    assert list(out.cat.categories) == codelist.codes


def test_map_codes_unmapped_and_blank():
    out, bad = map_codes(pd.Series(["Martian", pd.NA, "2A"], dtype=object), codes.SOURCE)
    assert out.isna().tolist() == [True, True, False]
    assert bad.tolist() == [True, False, False]


def test_list_number_from_names():
    assert [list_number(n) for n in ["List 1", "List_1", "list 1", "List1", "List 1 - Contacts"]] == [1] * 5
    assert list_number("Annex A List 3 Referrals") == 3
    assert list_number("list_10_adoption") == 10
    assert list_number("Playlist 3") is None
    assert list_number("Summary") is None


def test_clean_workbook_reads_every_list(workbook):
    res = read_annex_a([workbook])
    assert set(res.tables) == {annexa_spec.LISTS[n].table for n in range(1, 10)}
    for n in range(1, 10):
        lst = annexa_spec.LISTS[n]
        df = res.tables[lst.table]
        assert list(df.columns) == [c.name for c in lst.columns]
        assert len(df) == 3
    assert res.log.empty
    ref = res.tables["referrals"]
    # list_rows: child C0000..C0002, referral dates 2 Jan 2024 + i, source codes in order 1A, 1B, 1C.
    assert ref["child_id"].tolist() == ["C0000", "C0001", "C0002"]
    assert ref["referral_date"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03"),
                                             pd.Timestamp("2024-01-04")]  # fmt: skip
    assert ref["referral_source"].tolist() == ["1A", "1B", "1C"]
    assert ref["sex"].tolist() == ["M", "F", "U"]


def _messy_workbook(path):
    """Lists 1 and 3 with messy sheet names, headers and values; row numbers noted per row."""
    contacts = (
        ["child unique id", "Gender ", "Ethnicity", "Date of Birth", "Age", "Date of contact", "Source of Contact",
         "Notes"],
        [
            ["A1", "b) Female", "a) WBRI", dt.datetime(2015, 1, 1), 8, dt.datetime(2024, 1, 5), "q) 6: Police", "x"],  # row 2
            ["A2", "Female", "WBRI", "01/01/2015", "8", "05/01/2024", "6: Police", ""],  # row 3
            ["A3", "F", "White British", "2015-01-01", "#N/A", 45296, "6", ""],  # row 4: 45296 = 5 Jan 2024
            ["A4", "Martian", "WBRI", "-", "NULL", "2024-01-05", "Police", ""],  # row 5: unmapped sex
            ["", "M", "WBRI", "2015-01-01", "", "2024-01-05", "6", ""],  # row 6: no child id
            ["A6", "M", "WBRI", "2015-01-01", "", "not a date", "6", ""],  # row 7: key date unparseable
            [None, None, None, None, None, None, None, None],  # row 8: blank, not counted
        ],
    )  # fmt: skip
    referrals = (
        ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)", " DATE OF REFERRAL  ",
         "Referral Source", "Referral NFA", "Number of Referrals in Last 12 Months", "Allocated Team"],
        [
            ["B1", "M", "WBRI", "2015-01-01", 8, "10/01/2024", "2A", "a) Yes", 0, "Team 1"],
            ["B2", "M", "WBRI", "2025-01-01", 8, "10/01/2024", "2A", "N", 0, "Team 1"],  # before birth: warning
        ],
    )  # fmt: skip
    cla_headers, cla_rows = list_rows(8, 1)
    # Curly apostrophe, doubled bracket and dropped "?" in list 8 headers.
    cla_headers = [
        h.replace("Child's", "Child\u2019s").replace("(Y/N)", "(Y/N))").replace("child?", "child")
        for h in cla_headers
    ]
    wb = write_xlsx(path, {"List_1": contacts, "list 3": referrals, "List 8 - Children in care": (cla_headers, cla_rows),
                           "Cover": (["Title"], [["Annex A"]])})  # fmt: skip
    return wb


def test_messy_workbook(tmp_path):
    res = read_annex_a([_messy_workbook(tmp_path / "messy.xlsx")])
    c = res.tables["contacts"]
    # Rows 2-5 kept (row 5 with blank sex), rows 6 and 7 excluded, row 8 blank and not read.
    assert c["child_id"].tolist() == ["A1", "A2", "A3", "A4"]
    assert c["sex"].tolist()[:3] == ["F", "F", "F"] and pd.isna(c["sex"].iloc[3])
    assert set(c["contact_date"]) == {pd.Timestamp("2024-01-05")}
    assert c["contact_source"].tolist() == ["6"] * 4
    assert c["ethnicity"].tolist() == ["WBRI"] * 4
    assert c["age_years"].tolist()[:2] == [8, 8] and pd.isna(c["age_years"].iloc[2])
    assert c["contact_decision_date"].isna().all()  # optional extra column absent -> all blank
    log = res.log.set_index(["table", "row", "column"])
    assert log.loc[("contacts", 5, "sex"), "reason"] == "unmapped code"
    assert log.loc[("contacts", 5, "sex"), "severity"] == "warning"
    assert log.loc[("contacts", 6, "child_id"), "reason"] == "missing required value"
    assert log.loc[("contacts", 7, "contact_date"), "reason"] == "unparseable date"
    assert log.loc[("contacts", 7, "contact_date"), "severity"] == "error"
    assert log.loc[("referrals", 3, "referral_date"), "reason"] == "impossible chronology"
    assert log.loc[("referrals", 3, "referral_date"), "severity"] == "warning"
    assert (res.log["sheet"].loc[res.log["table"] == "contacts"] == "List_1").all()
    acc = res.accounting.set_index("table")
    assert acc.loc["contacts", ["rows_read", "rows_kept", "rows_excluded"]].tolist() == [6, 4, 2]
    r = res.tables["referrals"]
    assert r["referral_nfa"].tolist() == ["Y", "N"]
    assert len(res.tables["cla"]) == 1
    cla = res.tables["cla"]
    assert cla["category_of_need"].notna().all() and cla["second_period_12m"].notna().all()
    assert any("Notes" in n for n in res.notes)  # unknown column ignored and said so
    assert "List 2 (early_help)" in res.missing


def test_csv_folder_with_variant_names_and_encodings(tmp_path):
    folder = tmp_path / "extract"
    folder.mkdir()
    h1, r1 = list_rows(1, 2)
    write_csv(folder / "list_1_contacts.csv", h1, r1)
    h3, r3 = list_rows(3, 2)
    r3[0][h3.index("Allocated Team")] = "Team \u00a3 \u2019North\u2019"  # pound sign, curly quotes
    write_csv(folder / "Annex A List 3 Referrals.csv", h3, r3, encoding="cp1252")
    h4, r4 = list_rows(4, 2)
    write_csv(folder / "List 4.csv", h4, r4, sep=";")
    (folder / "readme.txt").write_text("not data")
    res = read_annex_a([folder])
    assert len(res.tables["contacts"]) == 2
    assert res.tables["referrals"]["allocated_team"].iloc[0] == "Team \u00a3 \u2019North\u2019"
    a = res.tables["assessments"]
    assert len(a) == 2 and a["assessment_start_date"].notna().all()
    assert any("semicolon" in n for n in res.notes)
    assert any("cp1252" in n for n in res.notes)
    assert res.log.empty


def test_merge_deduplicates_overlapping_extracts(tmp_path):
    h, rows = list_rows(3, 4)
    a = write_xlsx(tmp_path / "q1.xlsx", {"List 3": (h, rows[:3])})
    # The second extract repeats rows 1-2 (as CSV, codes spelt without prefixes) and adds row 3.
    b_dir = tmp_path / "q2"
    b_dir.mkdir()
    plain = [list(r) for r in rows[1:]]
    for r in plain:
        r[h.index("Gender")] = codes.SEX.labels[codes.SEX.codes[int(r[0][1:]) % 4]]
    write_csv(b_dir / "List 3.csv", h, plain)
    res = read_annex_a([a, b_dir])
    ref = res.tables["referrals"]
    assert ref["child_id"].tolist() == ["C0000", "C0001", "C0002", "C0003"]
    dups = res.log[res.log["reason"] == "duplicate"]
    # CSV rows 2 and 3 (children C0001 and C0002) repeat the workbook's rows.
    assert sorted(dups["row"].tolist()) == [2, 3] and (dups["severity"] == "info").all()
    acc = res.accounting
    assert acc["rows_read"].sum() == 6 and acc["rows_kept"].sum() == 4
    assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_excluded"]).all()


def test_chronology_errors_exclude_rows(tmp_path):
    h, rows = list_rows(4, 2)
    rows[1][h.index("Continuous Assessment Date of Authorisation")] = dt.datetime(2023, 1, 1)
    h7, rows7 = list_rows(7, 2)
    rows7[0][h7.index("Child Protection Plan End Date")] = dt.datetime(2020, 1, 1)
    res = read_annex_a([write_xlsx(tmp_path / "a.xlsx", {"List 4": (h, rows), "List 7": (h7, rows7)})])
    assert res.tables["assessments"]["child_id"].tolist() == ["C0000"]
    assert res.tables["cp_plans"]["child_id"].tolist() == ["C0001"]
    chron = res.log[res.log["reason"] == "impossible chronology"]
    assert sorted(zip(chron["table"], chron["row"], strict=True)) == [("assessments", 3), ("cp_plans", 2)]
    assert (chron["severity"] == "error").all()


def test_header_row_below_a_title(tmp_path):
    h, rows = list_rows(1, 2)
    path = write_xlsx(tmp_path / "t.xlsx", {"List 1": (["Annex A List 1: Contacts"], [[None], h, *rows])})
    res = read_annex_a([path])
    assert len(res.tables["contacts"]) == 2
    # Header on spreadsheet row 3, so data rows are 4 and 5.
    assert res.accounting["rows_read"].sum() == 2


def test_empty_list_with_headers_gives_empty_table(tmp_path):
    h, _ = list_rows(2, 0)
    res = read_annex_a([write_xlsx(tmp_path / "e.xlsx", {"List 2": (h, [])})])
    assert len(res.tables["early_help"]) == 0
    assert res.accounting["rows_read"].tolist() == [0]


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("missing_column", "has no column 'Date of Referral'"),
        ("duplicated", "duplicated headers"),
        ("text_dates", "no readable date"),
        ("no_lists", "no Annex A list sheets"),
    ],
)
def test_unusable_workbooks_raise_user_error(tmp_path, setup, fragment):
    h, rows = list_rows(3, 3)
    if setup == "missing_column":
        h = [("Referal Dte" if x == "Date of Referral" else x) for x in h]
    elif setup == "duplicated":
        h = h + ["Referral Date"]
        rows = [r + [r[h.index("Date of Referral")]] for r in rows]
    elif setup == "text_dates":
        for r in rows:
            r[h.index("Date of Referral")] = "pending"
    sheet = "Summary" if setup == "no_lists" else "List 3"
    path = write_xlsx(tmp_path / "bad.xlsx", {sheet: (h, rows)})
    with pytest.raises(UserError) as err:
        read_annex_a([path])
    assert fragment in str(err.value)
    assert "bad.xlsx" in str(err.value)


def test_missing_column_names_closest_header(tmp_path):
    h, rows = list_rows(3, 1)
    h = [("Referal Dte" if x == "Date of Referral" else x) for x in h]
    with pytest.raises(UserError, match="closest header found is 'Referal Dte'"):
        read_annex_a([write_xlsx(tmp_path / "bad.xlsx", {"List 3": (h, rows)})])


def test_reading_is_deterministic(tmp_path):
    path = valid_workbook(tmp_path / "w.xlsx", lists=[1, 3], n=5)
    a, b = read_annex_a([path]), read_annex_a([path])
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])


def test_every_excluded_row_is_in_the_log(tmp_path):
    """Nothing is silently dropped: excluded rows == rows with an error or info log entry."""
    res = read_annex_a([_messy_workbook(tmp_path / "m.xlsx")])
    acc = res.accounting
    assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_excluded"]).all()
    dropped = res.log[res.log["severity"].isin(["error", "info"])]
    per_table = dropped.drop_duplicates(["table", "file", "sheet", "row"]).groupby("table").size()
    excluded = acc.groupby("table")["rows_excluded"].sum()
    assert per_table.reindex(excluded.index, fill_value=0).tolist() == excluded.tolist()
    # Rows read = rows kept in the tables.
    assert acc.groupby("table")["rows_kept"].sum().to_dict() == {t: len(df) for t, df in res.tables.items()}


def test_row_numbers_follow_the_spreadsheet(tmp_path):
    h, rows = list_rows(1, 3)
    rows[2][h.index("Date of Contact")] = "unknown"  # the 3rd data row
    path = write_xlsx(tmp_path / "t.xlsx", {"List 1": (["Contacts extract"], [h, *rows])})
    res = read_annex_a([path])
    # Title on row 1, header on row 2, data on rows 3-5: the bad row is row 5.
    assert res.log[["row", "column", "reason"]].values.tolist() == [[5, "contact_date", "unparseable date"]]


# --------------------------------------------------------------------------- nothing misread in silence


def test_order_evidence_counts_rows_that_decide():
    from cscbook.data.ingest import order_evidence

    s = pd.Series(["13/01/2024", "13/01/2024", "01/02/2024", "2024-01-20", pd.NA, "05/30/24"], dtype=object)
    ev = order_evidence(s)
    assert (ev.day_first, ev.month_first, ev.two_digit_years) == (2, 1, 1)
    assert ev.order == "ambiguous"  # 1 of 3 deciding rows disagrees: more than 1 in 50
    assert order_evidence(pd.Series(["01/02/2024", "12/11/2024"])).order is None


def test_order_evidence_tolerates_a_typo_in_fifty():
    from cscbook.data.ingest import OrderEvidence

    assert OrderEvidence(49, 1, 0).order == "dmy"
    assert OrderEvidence(48, 1, 0).order == "ambiguous"
    assert OrderEvidence(0, 7, 0).order == "mdy"


def test_parse_dates_us_order_and_two_digit_years():
    s = pd.Series(
        ["01/02/2024", "12/31/2024", "3.4.24", "05-06-29", "05-06-30", "2024/07/08", "January 2, 2024"]
    )
    out, bad = parse_dates(s, "mdy")
    expected = [
        "2024-01-02",
        "2024-12-31",
        "2024-03-04",
        "2029-05-06",
        "1930-05-06",
        "2024-07-08",
        "2024-01-02",
    ]
    assert out.tolist() == [pd.Timestamp(d) for d in expected]
    assert not bad.any()
    uk, bad_uk = parse_dates(s, "dmy")
    assert uk.iloc[0] == pd.Timestamp("2024-02-01") and bool(bad_uk.iloc[1])  # 12/31 has no month 31


def test_decode_text_encodings_and_line_endings(tmp_path):
    from cscbook.data.ingest import decode_text

    text = "a,b\r\n\u00a3,2\r3,4\n"
    for data, note in [
        (text.encode("utf-16"), "byte-order mark"),
        (text.encode("utf-16-le"), "little-endian"),
        (text.encode("utf-16-be"), "big-endian"),
        (text.encode("cp1252"), "cp1252"),
        (b"\xef\xbb\xbf" + text.encode(), "mixed"),
    ]:
        out, notes = decode_text(data, tmp_path / "x.csv")
        assert out == "a,b\n\u00a3,2\n3,4\n", note
        assert any(note in n for n in notes), (note, notes)
    with pytest.raises(UserError, match="not a text CSV file"):
        decode_text(bytes(range(256)), tmp_path / "x.csv")


def test_normalise_ids_and_parse_ages():
    from cscbook.data.ingest import normalise_ids, parse_ages

    ids, changed = normalise_ids(pd.Series(["7287.0", "7288.00", "C12.0", "7289", pd.NA], dtype="str"))
    assert ids.tolist()[:4] == ["7287", "7288", "C12.0", "7289"] and pd.isna(ids.iloc[4])
    assert changed.tolist() == [True, True, False, False, False]
    ages, bad, frac = parse_ages(pd.Series(["6.138", "11.99", "7", "six", pd.NA, "-0.2"], dtype=object))
    assert ages.tolist()[:3] == [6, 11, 7] and ages.iloc[5] == -1
    assert bad.tolist() == [False, False, False, True, False, False]
    assert frac.tolist() == [True, True, False, False, False, True]


def test_sheet_xml_extras_finds_merges_and_formulas_without_values():
    from cscbook.data.ingest import sheet_xml_extras

    xml = (
        b'<sheetData><row r="2"><c r="B2"><f>1+1</f><v></v></c><c r="C2"><f>A1</f><v>3</v></c>'
        b'<c r="D2" t="str"><f t="shared" si="0"/></c></row></sheetData>'
        b'<mergeCells count="1"><mergeCell ref="L2:L11"/><mergeCell ref="AA3:AB4"/></mergeCells>'
    )
    merges, formulas = sheet_xml_extras(xml)
    assert merges == [(11, 2, 11, 11), (26, 3, 27, 4)]
    assert formulas == [(1, 2), (3, 2)]  # C2 has a saved value


def test_us_workbook_reads_like_uk_and_mixed_column_is_refused(tmp_path):
    h, rows = list_rows(3, 40)
    uk = read_annex_a([write_xlsx(tmp_path / "uk.xlsx", {"List 3": (h, rows)})])
    us_rows = [[v.strftime("%m/%d/%Y") if isinstance(v, dt.datetime) else v for v in r] for r in rows]
    us = read_annex_a([write_xlsx(tmp_path / "us.xlsx", {"List 3": (h, us_rows)})])
    pd.testing.assert_frame_equal(uk.tables["referrals"], us.tables["referrals"])
    # every date column of the list (referral date, optional dates, and date of birth following them)
    dates = sum(c.kind == "date" for c in annexa_spec.LISTS[3].columns if c.header in h)
    assert sum("US order" in n for n in us.notes) == dates
    us_rows[0][h.index("Date of Referral")] = "20/01/2024"
    us_rows[1][h.index("Date of Referral")] = "21/01/2024"
    with pytest.raises(UserError, match="mixes day/month and month/day"):
        read_annex_a([write_xlsx(tmp_path / "mixed.xlsx", {"List 3": (h, us_rows)})])


def test_dates_of_birth_after_any_event_and_implausible_values(tmp_path):
    h, rows = list_rows(8, 3)
    rows[0][h.index("Date of Birth")] = dt.datetime(2018, 1, 1)
    rows[0][h.index("Date Started to be Looked After")] = dt.datetime(2010, 5, 1)
    rows[1][h.index("Age of Child (Years)")] = 250
    rows[2][h.index("Date of Last Health Assessment")] = dt.datetime(2031, 1, 1)
    res = read_annex_a(
        [write_xlsx(tmp_path / "a.xlsx", {"List 8": (h, rows)})], extract_date=pd.Timestamp("2025-01-01")
    )
    cla = res.tables["cla"]
    assert len(cla) == 3
    log = res.log.set_index(["row", "column"])["reason"]
    assert log[(2, "cla_start_date")] == "impossible chronology"
    assert log[(3, "age_years")] == "implausible value"
    assert log[(4, "last_health_date")] == "implausible date"
    assert cla["age_years"].isna().sum() == 1 and cla["last_health_date"].isna().sum() == 1


def test_workbook_hidden_old_merged_and_sparse_rows(tmp_path):
    import openpyxl

    h, rows = list_rows(3, 4)
    team = h.index("Allocated Team")
    for i, r in enumerate(rows):
        r[team] = "North" if i == 0 else None
    h2, rows2 = list_rows(3, 5, first_day=50)
    path = write_xlsx(
        tmp_path / "a.xlsx", {"List 3": (h, rows), "List 3 (old)": (h2, rows2), "Hidden 3": (h2, rows2)}
    )
    wb = openpyxl.load_workbook(path)
    wb["Hidden 3"].title = "List_3"
    wb["List_3"].sheet_state = "hidden"
    ws = wb["List 3"]
    letter = openpyxl.utils.get_column_letter(team + 1)
    ws.merge_cells(f"{letter}2:{letter}5")
    ws.cell(1048576, 1).value = None
    ws.cell(1048576, 1).font = openpyxl.styles.Font(bold=True)  # used range to the last row
    wb.save(path)
    res = read_annex_a([path])
    ref = res.tables["referrals"]
    assert len(ref) == 4 and (ref["allocated_team"] == "North").all()
    assert any("merged cells" in n and "3 row(s) below" in n for n in res.notes)
    assert any("'List 3 (old)' looks like an old copy" in n for n in res.notes)
    assert any("'List_3' is hidden" in n for n in res.notes)
