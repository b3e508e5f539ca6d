"""pandera schemas of the canonical tables, generated from ``annexa_spec`` and ``ssda903``.

Dates are ``datetime64[ns]``, coded columns categoricals over the canonical codes, whole
numbers ``Int64``, identifiers and text pandas ``str``. Every column may be blank except
``child_id`` and each list's key date; tables are strict (exactly the canonical columns).
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.pandas as pa

from cscbook.data import annexa_spec, codes, ssda903
from cscbook.data.ingest import KEY_DATE


def _dtype(kind: str, codelist: codes.CodeList | None):
    if kind == "date":
        return "datetime64[ns]"
    if kind == "int":
        return "Int64"
    if kind == "code":
        return pd.CategoricalDtype(codelist.codes)
    if kind == "sex":
        return pd.CategoricalDtype(ssda903.SEX_CATEGORIES)
    return "str"


_NS = pa.Check(
    lambda s: str(s.dtype) == "datetime64[ns]", element_wise=False, error="dates must be datetime64[ns]"
)


def _column(kind: str, codelist: codes.CodeList | None, nullable: bool) -> pa.Column:
    checks = [_NS] if kind == "date" else []
    return pa.Column(_dtype(kind, codelist), nullable=nullable, checks=checks)


def _annex_a_schema(lst: annexa_spec.AnnexAList) -> pa.DataFrameSchema:
    key = KEY_DATE[lst.table]
    cols = {
        c.name: _column(c.kind, c.codelist, nullable=c.name not in ("child_id", key)) for c in lst.columns
    }
    return pa.DataFrameSchema(cols, strict=True, ordered=True, name=lst.table)


def _ssda903_schema(table: str) -> pa.DataFrameSchema:
    spec = ssda903.SPECS[table]
    cols = {
        name: _column(kind, cl, nullable=name not in ssda903.KEYS[table])
        for name, (_dfe, kind, cl, _req) in spec.items()
    }
    checks = []
    if table in ssda903.CHRONOLOGY:
        start, end = ssda903.CHRONOLOGY[table]
        checks.append(
            pa.Check(
                lambda df, s=start, e=end: df[e].isna() | (df[e] >= df[s]),
                error="episode ends before it starts",
            )
        )
    return pa.DataFrameSchema(
        cols, strict=True, ordered=True, name=table, checks=checks, unique=ssda903.KEYS[table]
    )


@cache
def schemas() -> dict[str, pa.DataFrameSchema]:
    """Schema of every canonical table by table name."""
    out = {lst.table: _annex_a_schema(lst) for lst in annexa_spec.LISTS.values()}
    out.update({t: _ssda903_schema(t) for t in ssda903.SPECS})
    return out


def validate_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate a canonical table against its schema (raises ``pandera.errors.SchemaError``)."""
    return schemas()[name].validate(df)
