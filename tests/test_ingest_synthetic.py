"""The readers on the committed synthetic example extract (it is committed: a missing one fails)."""

from __future__ import annotations

from conftest import ROOT

from cscbook.data.ingest import read_annex_a
from cscbook.data.schemas import validate_table
from cscbook.data.ssda903 import read_ssda903

SYNTH = ROOT / "data" / "synthetic"


def test_synthetic_extract_reads_cleanly():
    a = read_annex_a([SYNTH / "annex_a"])
    s = read_ssda903([SYNTH / "ssda903"])
    assert a.missing == [] and s.missing == []
    for res in (a, s):
        for name, df in res.tables.items():
            validate_table(name, df)
            assert len(df) > 0, name
        acc = res.accounting
        assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_excluded"]).all()
        # A clean export: at most 1 row in 1,000 excluded as an error, and no unmapped codes.
        errors = res.log[res.log["severity"] == "error"]
        assert len(errors) <= acc["rows_read"].sum() / 1000, errors.head().to_string()
        assert (res.log["reason"] != "unmapped code").all()
    # Headers: one per child; every child with an episode has a header.
    assert set(s.tables["cla_episodes"]["child_id"]) <= set(s.tables["cla_header"]["child_id"])


def test_synthetic_list_3_in_us_order_reads_identically(tmp_path):
    """The issue's example: List 3 exported as mm/dd/yyyy must give the same referrals, not 829 swapped."""
    import pandas as pd

    df = pd.read_csv(SYNTH / "annex_a" / "List 3.csv", dtype=str, keep_default_na=False)
    for c in ("Date of Birth", "Date of Referral"):
        df[c] = pd.to_datetime(df[c], format="%d/%m/%Y").dt.strftime("%m/%d/%Y")
    df.to_csv(tmp_path / "List 3.csv", index=False)
    uk = read_annex_a([SYNTH / "annex_a" / "List 3.csv"]).tables["referrals"]
    us = read_annex_a([tmp_path / "List 3.csv"])
    pd.testing.assert_frame_equal(uk, us.tables["referrals"])
    assert us.log.empty
