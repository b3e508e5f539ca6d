"""Tests of the shared contract modules: code lists, the Annex A spec, outputs, references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.data import codes
from cscbook.data.annexa_spec import LISTS, PERSONAL_COLUMNS, TABLES
from cscbook.data.reference import benchmark
from cscbook.methods.disclosure import suppress_small
from cscbook.report.outputs import check_no_personal_columns


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
    # F1-F5 full time and P1-P5 part time, with the legacy F3/P3 (training or employment) counted
    assert codes.EET_ACTIVITY == {"F1", "F2", "F3", "F4", "F5", "P1", "P2", "P3", "P4", "P5"}


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


def test_period_value_by_kind():
    from cscbook.config.periods import quarter
    from cscbook.measures.compute import period_value

    months = quarter(pd.Timestamp("2024-12-31")).months
    assert list(months.strftime("%Y-%m")) == ["2024-10", "2024-11", "2024-12"]
    start, end = months[0], pd.Timestamp("2024-12-31")
    m = pd.date_range("2024-09-01", periods=4, freq="MS")
    prop = pd.DataFrame({"month": m, "numerator": [1, 2, 3, 4], "denominator": [10, 10, 10, 10]})
    assert period_value(prop, "proportion", start, end)["value"] == pytest.approx(0.3)  # (2+3+4)/30
    count = pd.DataFrame({"month": m, "value": [5, 1, None, 3]})
    assert np.isnan(period_value(count, "count", start, end)["value"])  # November missing
    assert period_value(count.fillna(0), "count", start, end)["value"] == 4  # 1 + 0 + 3
    assert period_value(count, "stock", start, end)["value"] == 3  # December's value
