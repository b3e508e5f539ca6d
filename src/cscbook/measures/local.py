"""Local measures as registry measures: one ``Measure`` per declaration in the parameters.

The declarations (``cscbook.config.local_measures``) say each measure's label, kind, unit,
better direction, target, definition and source; the figures come from the canonical table
``local_measures`` (``cscbook.data.local_measures``). A measure's monthly series is its
authority-wide rows (blank team); with only team rows, proportions, counts and stocks are
summed over teams and rates and means are not available (they cannot be added up). Months
missing inside the series' span are kept as gaps (NaN), so charts show them.

Control charts (``Measure.chart``), decided by what a month's figure is:

- ``"p"``: a proportion of the month's own events (supervisions due in the month, audits done
  in the month): binomial variation around a level is the right model, so a p-chart;
- ``"xmr"``: counts of the month's events, rates and means, and proportions counted on a date
  (agency share of posts at the month end): the month-to-month movement is not binomial
  sampling (the same posts carry over from month to month), so an XmR chart whose limits come
  from the observed month-to-month movement (NHS Making Data Count's default);
- ``None``: a stock (a count on a date) gets no signal, as in the registry.

The four audit grades, when declared, add ``audit_good_or_better``: audits graded outstanding
or good / all audits graded in the month (a p-chart; higher is better).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.config.errors import UserError
from cscbook.config.local_measures import AUDIT_GOOD_OR_BETTER, AUDIT_GRADES, LocalMeasureSpec
from cscbook.config.params import Params
from cscbook.measures.registry import Measure, NotAvailable, Tables, all_measures

CHAPTER = "Workforce and quality of practice"
TABLE = "local_measures"
NO_FILE = "needs the local measures file (local_measures.file in the parameters)"


def chart_kind(kind: str, on_date: bool) -> str | None:
    """The control chart for a local measure of ``kind`` (module docstring)."""
    if kind == "stock":
        return None
    if kind == "proportion" and not on_date:
        return "p"
    return "xmr"


def monthly_series(table: pd.DataFrame | None, key: str, kind: str) -> pd.DataFrame | NotAvailable:
    """The measure's monthly series from the canonical table (module docstring)."""
    if table is None or table.empty:
        return NotAvailable(NO_FILE)
    rows = table[table["measure"] == key]
    if rows.empty:
        return NotAvailable(f"needs rows for '{key}' in the local measures file")
    cols = ["numerator", "denominator"] if kind == "proportion" else ["value"]
    whole = rows[rows["team"].fillna("") == ""]
    if whole.empty:
        if kind in ("rate", "mean"):
            return NotAvailable(f"needs the authority-wide figure for '{key}' (rows with a blank team)")
        whole = rows.groupby("month", as_index=False)[cols].sum(min_count=1)
    series = whole.set_index(pd.to_datetime(whole["month"]))[cols].astype("float64").sort_index()
    span = pd.date_range(series.index.min(), series.index.max(), freq="MS", name="month")
    return series.reindex(span).reset_index()


def _compute(key: str, kind: str):
    def compute(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        return monthly_series(tables.get(TABLE), key, kind)

    return compute


def good_or_better(table: pd.DataFrame | None) -> pd.DataFrame | NotAvailable:
    """Audits graded outstanding or good (numerator) of all audits graded (denominator), by month.

    A month counts only when all four grades have a figure (a zero is a figure).
    """
    parts = [monthly_series(table, g, "count") for g in AUDIT_GRADES]
    for p in parts:
        if isinstance(p, NotAvailable):
            return p
    wide = pd.concat([p.set_index("month")["value"].rename(g) for p, g in zip(parts, AUDIT_GRADES, strict=True)],
                     axis=1).sort_index()  # fmt: skip
    complete = wide.notna().all(axis=1)
    num = (wide["audit_outstanding"] + wide["audit_good"]).where(complete)
    den = wide.sum(axis=1).where(complete)
    out = pd.DataFrame({"numerator": num, "denominator": den}).rename_axis("month").reset_index()
    out.loc[out["denominator"].isna(), "numerator"] = np.nan
    return out


def _measure(spec: LocalMeasureSpec) -> Measure:
    return Measure(
        key=spec.key, label=spec.label, definition=spec.definition, source=spec.source, needs=(TABLE,),
        kind=spec.kind, compute=_compute(spec.key, spec.kind), unit=spec.unit,  # type: ignore[arg-type]
        higher_is_better=spec.higher_is_better, target_key=spec.key if spec.target is not None else None,
        england_key=spec.england, chapter=CHAPTER, headline=spec.headline and spec.key not in AUDIT_GRADES,
        chart=chart_kind(spec.kind, spec.on_date), on_date=spec.on_date,
    )  # fmt: skip


def declared_measures(params: Params) -> list[Measure]:
    """The local measures declared in the parameters, as registry measures (module docstring).

    A declared key that is already a registry measure is an error (UserError).
    """
    specs = params.local_measures.measures
    taken = {m.key for m in all_measures()} & set(specs)
    if taken:
        raise UserError(f"Parameter file {params.source_file}: local measure '{sorted(taken)[0]}' has the key of "
                        "one of the book's own measures. Give it another key.")  # fmt: skip
    out: list[Measure] = [_measure(s) for s in specs.values()]
    if all(g in specs for g in AUDIT_GRADES):
        sources = sorted({specs[g].source for g in AUDIT_GRADES})
        out.append(Measure(
            key=AUDIT_GOOD_OR_BETTER, label="Audits graded good or better",
            definition="Case audits in the month graded outstanding or good, of all audits graded (outstanding, "
                       "good, requires improvement or inadequate).",
            source="; ".join(sources), needs=(TABLE,), kind="proportion",
            compute=lambda tables, params: good_or_better(tables.get(TABLE)), unit="%", higher_is_better=True,
            chapter=CHAPTER, headline=True, chart="p",
        ))  # fmt: skip
    return out
