"""Run DfE's SSDA903 validation rules (the ``csc-validator-be-903`` package) on each collection year.

Usage (from the repository root, with the project's virtualenv)::

    PYTHONPATH=src python scripts/dfe_validate_903.py [data/synthetic/ssda903] [--venv /work/venv-903]

The validator pins an old pandas, so it runs in its own virtualenv (created here on first use,
``--venv`` or ``$CSC903_VENV``, default ``/work/venv-903``), never in the project's. Files are
grouped by the collection year in their names (``episodes_2023-24.csv`` ...); each year runs
alone (no previous year's files) with the ruleset of that year (2022-23's for earlier years,
the first the package has). Prints the number of rows each rule flags per year and exits 1 when
any rule fires, 0 when none does. A rule that raises an exception (e.g. 231 in the 2024-25
ruleset reads a Header column ``UASC_STATUS`` that the package's own CSV reader names ``UASC``)
is listed with its exception and not counted as firing.

The validator finds each episode's local authority of placement (``PL_LA``, ``PL_LOCATION``)
by looking its postcodes up in the ONS postcode directory. The synthetic authority's postcodes
are fictional (Westmere's ``WM`` area does not exist; the inward codes of its out-of-area
placements are ones the directory does not hold), so this script adds them, with their
authorities, to the validator's directory (``cscbook.synth.geography.postcode_directory``)
before the rules run; nothing else about the rules is changed. For a real authority's files
give ``--la`` (its 9-character code) and ``--no-synthetic-postcodes``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "csc-validator-be-903==0.1.17"
DEFAULT_VENV = os.environ.get("CSC903_VENV", "/work/venv-903")
YEAR_RE = re.compile(r"(20\d{2})-(\d{2})")
FIRST_RULESET = 2023  # lac2022_23


def ruleset_for(end_year: int) -> str:
    """Validator ruleset module for the collection year ending 31 March ``end_year``."""
    y = max(end_year, FIRST_RULESET)
    return f"lac{y - 1}_{y % 100:02d}"


def files_by_year(folder: Path) -> dict[int, list[Path]]:
    """CSV files grouped by the collection year (end year) in their names."""
    out: dict[int, list[Path]] = {}
    for f in sorted(folder.glob("*.csv")):
        m = YEAR_RE.search(f.stem)
        if m:
            out.setdefault(int(m.group(1)) + 1, []).append(f)
    return out


# ---- inside the validator's virtualenv ---------------------------------------------------
def _inner(folder: Path, la: str, postcodes_csv: str | None, years: list[int] | None,
           details: str | None = None, with_previous: bool = False) -> dict:
    import importlib
    import logging

    logging.disable(logging.CRITICAL)
    import pandas as pd
    from lac_validator import datastore, lac_validator
    from lac_validator.utils import process_uploaded_files

    if postcodes_csv:
        extra = pd.read_csv(postcodes_csv, dtype={"pcd": str, "laua": str, "pcd_abbr": str})
        real = datastore.postcodes
        real.load_postcodes(sorted(set(extra["pcd"].str[0])))
        clash = extra[extra["pcd_abbr"].isin(set(real.dataframe["pcd_abbr"]))]
        if len(clash):
            raise SystemExit(f"synthetic postcodes that are real postcodes: {', '.join(clash['pcd'][:10])}")

        class _WithSynthetic:
            """The ONS directory the validator loads, plus the synthetic authority's postcodes."""

            def load_postcodes(self, letters):
                real.load_postcodes(letters)

            @property
            def dataframe(self):
                df = real.dataframe
                return pd.concat([df, extra.astype({c: df[c].dtype for c in extra.columns if c != "laua"})],
                                 ignore_index=True)

        datastore.postcodes = _WithSynthetic()
        la_rows = extra[["laua", "utla"]].drop_duplicates().rename(columns={"laua": "LTLA21CD", "utla": "UTLA21CD"})
        la_rows = la_rows[~la_rows["LTLA21CD"].isin(datastore.la_df["LTLA21CD"])]
        datastore.la_df = pd.concat([datastore.la_df, la_rows], ignore_index=True)
        extra = extra.drop(columns=["utla"])
    result = {}
    flagged = []
    by_year = files_by_year(folder)
    for end, files in by_year.items():
        if years and end not in years:
            continue
        module = importlib.import_module(f"lac_validator.rules.{ruleset_for(end)}")
        registry = module.registry
        given = {"This year": [str(f) for f in files]}
        if with_previous and end - 1 in by_year:
            given["Prev year"] = [str(f) for f in by_year[end - 1]]
        uploaded = process_uploaded_files(given)
        v = lac_validator.LacValidator(
            metadata={"collectionYear": str(end), "localAuthority": la}, files=uploaded, registry=registry
        )
        counts = {}
        for table, df in v.ds_results.items():
            if table == "metadata":
                continue
            for c in df.columns:
                if str(c).startswith("ERR_"):
                    n = int(df[c].fillna(False).astype(bool).sum())
                    if n:
                        counts[c[4:]] = counts.get(c[4:], 0) + n
                        rows = df.loc[df[c].fillna(False).astype(bool)].drop(
                            columns=[k for k in df.columns if str(k).startswith(("ERR_", "__"))])
                        flagged.append(rows.assign(year=end, table=table, rule=c[4:]))
        failed = {}
        for code in sorted(v.fails):  # why: the rule raised on these files (a defect of the rule or the data)
            try:
                registry[code].func(datastore.copy_datastore(datastore.create_datastore(v.dfs, dict(v.metadata))))
            except Exception as exc:  # noqa: BLE001 - reported, not handled
                failed[code] = f"{type(exc).__name__}: {exc}"
        result[f"{end - 1}-{end % 100:02d}"] = {
            "ruleset": ruleset_for(end), "files": [f.name for f in files], "fired": counts,
            "failed_to_run": failed, "skipped": len(v.skips), "ran": len(v.dones),
        }
    if details and flagged:
        pd.concat(flagged, ignore_index=True).to_csv(details, index=False)
    return result


# ---- outside -----------------------------------------------------------------------------
def ensure_venv(venv: Path) -> Path:
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(py), "-c", "import lac_validator"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "-q", PACKAGE], check=True)
    return py


def synthetic_directory(folder: Path, out: Path) -> tuple[Path, str]:
    """Write the directory of the synthetic postcodes in the folder's episodes files; return its
    path and Westmere's LA code."""
    import pandas as pd

    from cscbook.synth import geography

    pcs = []
    for f in sorted(folder.glob("episodes_*.csv")):
        df = pd.read_csv(f, dtype=str, usecols=["HOME_POST", "PL_POST"])
        pcs += [df["HOME_POST"], df["PL_POST"]]
    d = geography.postcode_directory(pd.concat(pcs, ignore_index=True) if pcs else pd.Series(dtype=str))
    d.to_csv(out, index=False)
    return out, geography.WESTMERE_LA_CODE


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default="data/synthetic/ssda903")
    ap.add_argument("--venv", default=DEFAULT_VENV)
    ap.add_argument("--la", default=None, help="the authority's 9-character code (default: Westmere's)")
    ap.add_argument("--no-synthetic-postcodes", action="store_true")
    ap.add_argument("--years", default="", help="end years to run, e.g. 2024,2025 (default all)")
    ap.add_argument("--json", default=None, help="also write the counts to this JSON file")
    ap.add_argument("--details", default=None, help="write every flagged row to this CSV file")
    ap.add_argument("--with-previous", action="store_true",
                    help="give each year's run the previous year's files too (rules comparing the two years)")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--postcodes", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    folder = Path(a.folder).resolve()
    years = [int(y) for y in a.years.split(",") if y]
    if a.inner:
        print(json.dumps(_inner(folder, a.la, a.postcodes, years, a.details, a.with_previous)))
        return 0
    if not files_by_year(folder):
        print(f"No SSDA903 CSV files with a collection year (e.g. episodes_2023-24.csv) in {folder}.", file=sys.stderr)
        return 2
    py = ensure_venv(Path(a.venv))
    with tempfile.TemporaryDirectory() as tmp:
        la = a.la
        cmd = [str(py), str(Path(__file__).resolve()), str(folder), "--inner", "--years", a.years]
        if not a.no_synthetic_postcodes:
            pc, westmere = synthetic_directory(folder, Path(tmp) / "postcodes.csv")
            la = la or westmere
            cmd += ["--postcodes", str(pc)]
        if not la:
            print("Give --la, the authority's 9-character code (e.g. E06000023).", file=sys.stderr)
            return 2
        cmd += ["--la", la]
        if a.details:
            cmd += ["--details", str(Path(a.details).resolve())]
        if a.with_previous:
            cmd += ["--with-previous"]
        run = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
    if run.returncode != 0:
        print(run.stderr[-3000:], file=sys.stderr)
        return 2
    result = json.loads(run.stdout.strip().splitlines()[-1])
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    total = 0
    for year, r in result.items():
        fired = r["fired"]
        total += len(fired)
        detail = ", ".join(f"{k} ({v})" for k, v in sorted(fired.items())) or "none"
        print(f"{year} [{r['ruleset']}, {r['ran']} rules ran, {r['skipped']} skipped]: {len(fired)} rules fired: {detail}")
        for code, why in r["failed_to_run"].items():
            print(f"    rule {code} could not run on these files ({why}); not counted as firing")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
