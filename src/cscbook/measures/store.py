"""Saving the run's measure results once, and reading them in every notebook.

``cscbook run`` computes every measure once (``compute.compute_all``) and saves the tidy table
beside the cached canonical tables, stamped with the inputs' fingerprint and a digest of the
code. A notebook's ``load_results(ctx)`` reads them when the stamp matches, and otherwise (a
notebook run on its own, as nbval does, or after the code changed) computes them itself.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from cscbook.data.context import Context, data_dir, fingerprint
from cscbook.measures.compute import MeasureResults, compute_all
from cscbook.measures.local import declared_measures
from cscbook.measures.registry import Measure, NotAvailable, all_measures

RESULTS_FILE = "_measures.parquet"
CHARTS_FILE = (
    "_measure_charts.pickle"  # the judged control charts (aggregates), so chapters draw the same charts
)
STAMP_FILE = "_measures_stamp.json"
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def code_digest() -> str:
    """A digest of every cscbook source file's path, size and modification time."""
    digest = hashlib.sha256()
    for f in sorted(PACKAGE_ROOT.rglob("*.py")):
        st = f.stat()
        digest.update(f"{f.relative_to(PACKAGE_ROOT)}|{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def _stamp(ctx: Context) -> str:
    return f"{fingerprint(ctx.params)}:{code_digest()}"


def save_results(results: MeasureResults, ctx: Context) -> Path:
    """Save the results table for the notebooks of this run (record-level cache folder)."""
    out = data_dir(ctx.params)
    out.mkdir(parents=True, exist_ok=True)
    results.table.to_parquet(out / RESULTS_FILE, index=False)
    with open(out / CHARTS_FILE, "wb") as fh:
        pickle.dump(results.charts, fh)
    (out / STAMP_FILE).write_text(json.dumps({"stamp": _stamp(ctx)}))
    return out / RESULTS_FILE


def results_from_table(
    table: pd.DataFrame, period_end: pd.Timestamp, extra: Iterable[Measure] = ()
) -> MeasureResults:
    """Rebuild ``MeasureResults`` (series and unavailable measures) from a saved table; ``extra``:
    measures beyond the registry's (the local measures declared in the parameters)."""
    measures = {m.key: m for m in [*all_measures(), *extra]}
    out = MeasureResults(pd.Timestamp(period_end), {k: measures[k] for k in table["key"].unique() if k in measures},
                         table=table)  # fmt: skip
    for key, rows in table.groupby("key", sort=False):
        if not bool(rows["available"].iloc[0]):
            out.unavailable[key] = NotAvailable(
                str(rows["note"].iloc[0]).removeprefix("Not available in this extract: ").rstrip(".")
            )
            continue
        months = rows[rows["period_type"] == "month"]
        if months.empty:  # a snapshot: this quarter's value at the period end's month
            this = rows[(rows["period_type"] == "quarter") & (rows["period_end"] == rows["period_end"].max())]
            months = this.assign(period_start=this["period_end"].dt.to_period("M").dt.to_timestamp())
        series = months.rename(columns={"period_start": "month"})[
            ["month", "value", "numerator", "denominator"]
        ]
        out.series[key] = series.reset_index(drop=True)
    return out


def load_results(ctx: Context) -> MeasureResults:
    """This run's measure results: saved by ``cscbook run`` for these inputs and code, else computed now."""
    src = data_dir(ctx.params)
    stamp = src / STAMP_FILE
    if (
        stamp.is_file()
        and (src / RESULTS_FILE).is_file()
        and json.loads(stamp.read_text()).get("stamp") == _stamp(ctx)
    ):
        table = pd.read_parquet(src / RESULTS_FILE)
        results = results_from_table(table, ctx.params.period_end, declared_measures(ctx.params))
        if (src / CHARTS_FILE).is_file():
            with open(src / CHARTS_FILE, "rb") as fh:
                results.charts = pickle.load(fh)  # our own cache, stamped with these inputs and this code
        return results
    return compute_all(ctx.tables, ctx.params)
