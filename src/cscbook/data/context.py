"""What a chapter notebook works on: the quarter's parameters and canonical tables.

``cscbook run`` reads and checks the extracts once and saves the canonical tables (already
restricted to what was known at the period end) under ``data/local/cache/<quarter>/``
(git-ignored, never beside the book); a
notebook's first call, ``load_context(params_file)``, reads them from there, or reads the
extracts itself when run on its own (as nbval does).
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cscbook.config.errors import UserError
from cscbook.config.params import Params, load_params


@dataclass
class Context:
    params: Params
    tables: dict[str, pd.DataFrame]
    dq_log: pd.DataFrame
    accounting: pd.DataFrame
    read_notes: list[str] = field(default_factory=list)  # how the readers read the files (no child data)

    def table(self, name: str) -> pd.DataFrame | None:
        """A canonical table, or None when the extract does not have it."""
        return self.tables.get(name)


def data_dir(params: Params) -> Path:
    """Where the quarter's canonical tables are cached: record-level data, so kept out of
    ``reports/`` (which is shared) in the git-ignored ``data/local/cache/<quarter>/``."""
    return params.project_root / "data" / "local" / "cache" / params.quarter


SIDE_BY_SIDE_BYTES = 100 * 2**20  # extracts at least this large read their two returns side by side


def _extract_bytes(paths: tuple[Path, ...]) -> int:
    files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
    return sum(f.stat().st_size for f in files)


def read_all(params: Params, side_by_side: bool = False) -> Context:
    """Read every extract named in the parameters, restricted to what was known at period end.

    ``side_by_side`` (the quarterly run, on a machine with a core to spare): when the extracts hold
    at least ``SIDE_BY_SIDE_BYTES``, the SSDA903 return is read in a second process while Annex A is
    read in this one; the result is the same.
    """
    from cscbook.data.asat import restrict_tables
    from cscbook.data.ingest import read_annex_a
    from cscbook.data.ssda903 import read_ssda903

    tables: dict[str, pd.DataFrame] = {}
    logs, accounts, notes = [], [], []
    pending = None
    if (side_by_side and params.annex_a and params.ssda903 and (os.cpu_count() or 1) > 1
            and _extract_bytes(params.annex_a + params.ssda903) >= SIDE_BY_SIDE_BYTES):  # fmt: skip
        pool = ProcessPoolExecutor(max_workers=1)
        pending = pool.submit(read_ssda903, list(params.ssda903))
        pool.shutdown(wait=False)  # the worker ends once its one read is done
    if params.annex_a:
        try:
            res = read_annex_a(list(params.annex_a))
        except BaseException:
            if pending is not None:
                pending.cancel()
            raise
        notes += res.notes
        tables.update(res.tables)
        logs.append(res.log)
        accounts.append(res.accounting)
    if params.ssda903:
        res = pending.result() if pending is not None else read_ssda903(list(params.ssda903))
        notes += res.notes
        tables.update(res.tables)
        logs.append(res.log)
        accounts.append(res.accounting)
    if params.local_measures.file is not None:  # checked and cut at the period end by its reader
        from cscbook.data.local_measures import read_for_params

        res = read_for_params(params)
        tables.update(res.tables)
        logs.append(res.log)
        accounts.append(res.accounting)
    tables = restrict_tables(tables, params.period_end)
    check_tables(
        tables,
        "read from the extracts",
        "This is a fault in cscbook's reader, not in your extract: report it with the message above.",
    )
    log = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
    acc = pd.concat(accounts, ignore_index=True) if accounts else pd.DataFrame()
    return Context(params, tables, log, acc, notes)


def check_tables(tables: dict[str, pd.DataFrame], origin: str, fix: str) -> None:
    """Validate every canonical table against its pandera schema (``cscbook.data.schemas``).

    A table that does not match (a column missing or extra, a wrong dtype, a blank key, a
    code outside its list) raises UserError naming the table, the column and ``fix``, so that
    nothing downstream works on a malformed table.
    """
    import pandera.errors

    from cscbook.data.schemas import schemas

    known = schemas()
    for name, df in tables.items():
        schema = known.get(name)
        if schema is None:
            continue
        try:
            schema.validate(df)
        except pandera.errors.SchemaError as exc:
            column = (
                f", column '{exc.schema.name}'"
                if getattr(exc.schema, "name", None) not in (None, name)
                else ""
            )
            detail = " ".join(str(exc).split())
            detail = detail if len(detail) <= 300 else detail[:297] + "..."
            raise UserError(
                f"The canonical table '{name}'{column} {origin} does not match its schema ({detail}). {fix}"
            ) from None


def fingerprint(params: Params) -> str:
    """A digest of the parameter file and of every input file's name, size and modification time."""
    digest = hashlib.sha256(params.source_file.read_bytes())
    for root in (*params.annex_a, *params.ssda903, *filter(None, [params.local_measures.file])):
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for f in files:
            st = f.stat()
            digest.update(f"{f}|{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def save_context(ctx: Context) -> Path:
    """Save the canonical tables, the data-quality log and row accounting as parquet."""
    out = data_dir(ctx.params)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.parquet"):
        old.unlink()
    for name, df in ctx.tables.items():
        df.to_parquet(out / f"{name}.parquet", index=False)
    ctx.dq_log.to_parquet(out / "_dq_log.parquet", index=False)
    ctx.accounting.to_parquet(out / "_accounting.parquet", index=False)
    (out / "_read_notes.json").write_text(json.dumps(ctx.read_notes, indent=1))
    (out / "_fingerprint.json").write_text(json.dumps({"fingerprint": fingerprint(ctx.params)}))
    return out


def load_context(params_file: str | Path) -> Context:
    """The context for a notebook: the tables ``cscbook run`` saved for these exact inputs, else read now."""
    params = load_params(params_file)
    src = data_dir(params)
    stamp = src / "_accounting.parquet"
    saved = src / "_fingerprint.json"
    if (
        saved.exists()
        and stamp.exists()
        and json.loads(saved.read_text()).get("fingerprint") == fingerprint(params)
    ):
        tables = {
            p.stem: pd.read_parquet(p) for p in sorted(src.glob("*.parquet")) if not p.stem.startswith("_")
        }
        check_tables(
            tables,
            f"saved in {src}",
            f"The saved copy is damaged or was written by another cscbook version: "
            f"delete the folder {src} (it is rebuilt from the extracts) and run again.",
        )
        notes_file = src / "_read_notes.json"
        notes = json.loads(notes_file.read_text()) if notes_file.exists() else []
        return Context(
            params, tables, pd.read_parquet(src / "_dq_log.parquet"), pd.read_parquet(stamp), notes
        )
    return read_all(params)
