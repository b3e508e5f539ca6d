"""Every reader output validates against its pandera schema; the schemas catch wrong tables."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest
from conftest import EPISODE_HEADERS, HEADER_HEADERS, episode, write_csv

from cscbook.data import annexa_spec
from cscbook.data.ingest import read_annex_a
from cscbook.data.schemas import schemas, validate_table
from cscbook.data.ssda903 import read_ssda903


def test_schema_for_every_table():
    assert set(schemas()) == {lst.table for lst in annexa_spec.LISTS.values()} | {
        "cla_header", "cla_episodes", "cla_uasc", "social_worker_episodes"}  # fmt: skip


def test_annex_a_outputs_validate(workbook):
    res = read_annex_a([workbook])
    for name, df in res.tables.items():
        validate_table(name, df)


def test_ssda903_outputs_validate(tmp_path):
    write_csv(tmp_path / "header_2024.csv", HEADER_HEADERS, [["A", "1", "01/01/2010", "WBRI", "", "", ""]])
    write_csv(tmp_path / "episodes_2024.csv", EPISODE_HEADERS, [episode("A", "01/01/2024", "01/02/2024", "X1"),
                                                                 episode("A", "01/02/2024", rne="P")])  # fmt: skip
    write_csv(
        tmp_path / "uasc_2024.csv", ["CHILD", "SEX", "DOB", "DUC"], [["A", "1", "01/01/2010", "01/01/2028"]]
    )
    res = read_ssda903([tmp_path])
    assert set(res.tables) == {"cla_header", "cla_episodes", "cla_uasc"}
    for name, df in res.tables.items():
        validate_table(name, df)


def test_schema_rejects_wrong_tables(workbook):
    ref = read_annex_a([workbook]).tables["referrals"]
    bad_code = ref.copy()
    bad_code["sex"] = bad_code["sex"].astype("str")
    with pytest.raises(pandera.errors.SchemaError):
        validate_table("referrals", bad_code)
    with pytest.raises(pandera.errors.SchemaError):
        validate_table("referrals", ref.drop(columns=["referral_source"]))
    us_dates = ref.copy()
    us_dates["referral_date"] = us_dates["referral_date"].astype("datetime64[us]")
    with pytest.raises(pandera.errors.SchemaError):
        validate_table("referrals", us_dates)
    no_id = ref.copy()
    no_id.loc[0, "child_id"] = pd.NA
    with pytest.raises(pandera.errors.SchemaError):
        validate_table("referrals", no_id)


def test_context_refuses_a_malformed_cache(tmp_path):
    """A cached table that does not match its schema fails loudly, naming the table and the fix."""
    from conftest import list_rows, write_xlsx

    from cscbook.config.errors import UserError
    from cscbook.config.params import load_params
    from cscbook.data.context import data_dir, load_context, read_all, save_context

    write_xlsx(tmp_path / "annex.xlsx", {"List 3": list_rows(3), "Notes": (["x"], [[1]])})
    (tmp_path / "q.yaml").write_text(
        "authority: T\nperiod_end: 2024-12-31\nannex_a: [annex.xlsx]\npopulation_0_17: 9\n"
    )
    params = load_params(tmp_path / "q.yaml")
    ctx = read_all(params)
    save_context(ctx)
    cached = load_context(tmp_path / "q.yaml")
    assert len(cached.tables["referrals"]) == 3  # a good cache loads, with the reader's notes
    assert cached.read_notes == ctx.read_notes and "sheet 'Notes' is not an Annex A list" in ctx.read_notes[0]
    bad = ctx.tables["referrals"].copy()
    bad["sex"] = bad["sex"].astype("str")
    bad.to_parquet(data_dir(params) / "referrals.parquet", index=False)
    with pytest.raises(UserError, match=r"table 'referrals', column 'sex' saved in .* delete the folder"):
        load_context(tmp_path / "q.yaml")


def test_check_tables_names_a_missing_column():
    from cscbook.config.errors import UserError
    from cscbook.data.context import check_tables

    ref = pd.DataFrame({c.name: pd.Series(dtype="str") for c in annexa_spec.LISTS[3].columns})
    with pytest.raises(UserError, match="'referrals'.*referral_date|referral_date.*'referrals'"):
        check_tables({"referrals": ref.drop(columns=["referral_date"])}, "read now", "Report it.")
