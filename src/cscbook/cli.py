"""The ``cscbook`` command: ``validate``, ``synth``, ``run``, ``region`` and ``synth-region``.

User errors (``UserError``) print one clear paragraph and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from cscbook.config.errors import UserError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cscbook", description="Children's services quarterly improvement book."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="Read Annex A and/or SSDA903 files and print a data-quality summary.")
    v.add_argument(
        "paths", nargs="+", help="Annex A workbooks (.xlsx), folders of CSVs, or SSDA903 CSV files/folders"
    )
    v.add_argument("--params", help="check local measures files against this parameter file's declarations")
    v.add_argument(
        "--log", help="write the full data-quality log (it names child identifiers) to this CSV file"
    )

    s = sub.add_parser("synth", help="Generate the synthetic example authority's extracts.")
    s.add_argument("--out", default="data/synthetic", help="output folder (default data/synthetic)")
    s.add_argument("--seed", type=int, default=20250331)
    s.add_argument(
        "--scale", type=float, default=1.0, help="multiplies the population (1 = example authority)"
    )
    s.add_argument("--as-at", default="2025-03-31", help="extract date: later events do not exist yet")
    s.add_argument("--xlsx", action="store_true", help="also write Annex A as one xlsx workbook")

    r = sub.add_parser("run", help="Run a quarter: check data, execute chapters, build the book.")
    r.add_argument("params", help="the quarter's parameter file, e.g. params/example.yaml")
    r.add_argument("--quiet", action="store_true", help="no progress display")

    g = sub.add_parser(
        "region", help="Compare many authorities' measures: funnel plots and a regional report."
    )
    g.add_argument("params", help="the region's parameter file, e.g. params/region_example.yaml")
    g.add_argument("--quiet", action="store_true", help="no progress display")
    g.add_argument(
        "--scheduler",
        help="run the authorities on a Dask cluster: its scheduler's address (tcp://host:8786), or 'local'",
    )

    sr = sub.add_parser(
        "synth-region", help="Generate a synthetic region of 8 authorities with planted outliers."
    )
    sr.add_argument("--out", default="data/local/synthetic_region", help="output folder")
    sr.add_argument("--seed", type=int, default=20250331)
    sr.add_argument(
        "--size", type=float, default=1.0, help="multiplies every authority's size (1 = 0.25 to 3x Westmere)"
    )
    sr.add_argument(
        "--authorities",
        type=int,
        default=0,
        help="a national-style region of this many authorities of realistic sizes (150: about 225x Westmere)",
    )
    sr.add_argument("--workers", type=int, default=2, help="processes")
    return parser


def _wrap(message: str) -> str:
    """A message wrapped at 100 columns, breaking only at spaces (paths and codes stay whole)."""
    return "\n".join(textwrap.wrap(message, width=100, break_on_hyphens=False, break_long_words=False))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            from cscbook.data.validate import main as run_command
        elif args.command == "synth":
            from cscbook.synth.cli import main as run_command
        elif args.command == "synth-region":
            from cscbook.synth.region import main as run_command
        elif args.command == "region":
            from cscbook.book.region import main as run_command
        else:
            from cscbook.book.pipeline import main as run_command
        return int(run_command(args) or 0)
    except UserError as exc:
        print(_wrap(f"cscbook {args.command}: {exc}"), file=sys.stderr)
        return 2
    except OSError as exc:
        # A file the user named that cannot be read or written (permissions, a folder given as a file ...).
        where = f" {exc.filename}" if exc.filename else ""
        print(
            _wrap(
                f"cscbook {args.command}: the file{where} could not be read or written ({exc.strerror or exc}). "
                "Check the path and its permissions, and run again."
            ),
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("cscbook: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
