"""Tests of the shared contract modules: code lists, the Annex A spec, outputs, references."""

from __future__ import annotations

import pandas as pd
import pytest

from cscbook import codes
from cscbook.annexa_spec import LISTS, PERSONAL_COLUMNS, TABLES
from cscbook.disclosure import suppress_small
from cscbook.outputs import check_no_personal_columns
from cscbook.reference import benchmark


def test_template_spellings_match_ofsted_examples():
    # DEFINITIONS.md quotes these template spellings.
    assert codes.SEX.template["F"] == "b) Female"
    assert codes.SOURCE.template["6"] == "q) 6: Police"
    assert codes.ETHNICITY.template["WBRI"] == "a) WBRI"
    assert codes.PLACEMENT_PROVIDER.template["PR4"].endswith("PR4: Private provision")


@pytest.mark.parametrize("codelist", list(codes.ALL_CODE_LISTS.values()), ids=lambda c: c.name)
def test_every_code_has_a_label_and_a_unique_template(codelist):
    assert set(codelist.labels) == set(codelist.template)
    assert len(set(codelist.template.values())) == len(codelist.template)


def test_groupings_cover_their_code_lists():
    assert set(codes.PLACEMENT_GROUP) == set(codes.PLACEMENT_TYPE.codes)
    assert set(codes.PROVIDER_GROUP) == set(codes.PLACEMENT_PROVIDER.codes)
    assert set(codes.SOURCE_GROUP) == set(codes.SOURCE.codes)
    assert set(codes.ETHNICITY_GROUP) == set(codes.ETHNICITY.codes)
    # Every reason ceased except X1 (which closes an episode, not a period of care) is grouped.
    assert set(codes.REASON_CEASED_GROUP) == set(codes.REASON_EPISODE_CEASED.codes) - {"X1"}


def test_eet_follows_definitions():
    assert codes.EET_ACTIVITY == {"F1", "F2", "F4", "F5", "P1", "P2", "P4", "P5"}


def test_spec_names_are_unique_snake_case_and_tables_map_back():
    for lst in LISTS.values():
        names = [c.name for c in lst.columns]
        assert len(names) == len(set(names)), lst.table
        assert all(n == n.lower() and " " not in n for n in names)
        assert TABLES[lst.table] is lst
        assert lst.columns[0].name == "child_id"
        for col in lst.columns:
            assert (col.kind == "code") == (col.codelist is not None), col.name


def test_privacy_guard_refuses_personal_columns():
    check_no_personal_columns(pd.DataFrame({"month": [1], "count": [3]}), "ok")
    for col in PERSONAL_COLUMNS:
        with pytest.raises(ValueError, match=col):
            check_no_personal_columns(pd.DataFrame({col: ["x"]}), "bad")


def test_suppress_small_keeps_zero_and_large_counts():
    df = pd.DataFrame({"group": list("abcd"), "n": [0, 1, 4, 5]})
    out = suppress_small(df, ["n"], min_cell=5)
    assert out["n"].isna().tolist() == [False, True, True, False]
    assert out.loc[0, "n"] == 0 and out.loc[3, "n"] == 5


def test_benchmark_uses_latest_year_not_after_period_end():
    # December 2024 is in the year ending March 2025, which is not yet published then: use 2024.
    assert benchmark("rereferral_12m", pd.Timestamp("2024-12-31")) == pytest.approx(0.224)
    assert benchmark("cla_rate_per_10k", pd.Timestamp("2025-03-31")) == 67
    assert benchmark("cla_rate_per_10k", pd.Timestamp("2016-03-31")) is None
