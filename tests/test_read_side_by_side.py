"""``read_all(side_by_side=True)``: the SSDA903 return read in a second process gives exactly what
reading one after the other gives, and its errors reach the user the same way."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from cscbook.config.errors import UserError
from cscbook.config.params import load_params
from cscbook.data import context

REPO = Path(__file__).resolve().parents[1]


def test_side_by_side_reads_the_same(monkeypatch):
    params = load_params(REPO / "params" / "example.yaml")
    one_after_other = context.read_all(params)
    monkeypatch.setattr(context, "SIDE_BY_SIDE_BYTES", 0)  # the example is small: read it side by side anyway
    both = context.read_all(params, side_by_side=True)
    assert sorted(both.tables) == sorted(one_after_other.tables)
    for name, table in one_after_other.tables.items():
        pd.testing.assert_frame_equal(both.tables[name], table, obj=name)
    pd.testing.assert_frame_equal(both.dq_log, one_after_other.dq_log)
    pd.testing.assert_frame_equal(both.accounting, one_after_other.accounting)
    assert both.read_notes == one_after_other.read_notes


def test_an_error_in_the_second_process_is_the_users_message(monkeypatch, tmp_path):
    bad = tmp_path / "ssda903"
    bad.mkdir()
    (bad / "header.csv").write_bytes(b"\x00\x01\x02 not a csv \xff")
    params = dataclasses.replace(load_params(REPO / "params" / "example.yaml"), ssda903=(bad,))
    monkeypatch.setattr(context, "SIDE_BY_SIDE_BYTES", 0)
    with pytest.raises(UserError) as side:
        context.read_all(params, side_by_side=True)
    with pytest.raises(UserError) as plain:
        context.read_all(params)
    assert str(side.value) == str(plain.value) and "header.csv" in str(side.value)
