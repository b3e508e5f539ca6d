"""Refresh the committed reference notebooks (nbval's expected outputs) on purpose.

``python -m cscbook.book.refresh_notebooks params/example.yaml`` (``make refresh-notebooks``)
reads the example extract once, then executes every notebook in ``notebooks/`` in place with
its default parameters (``params_file = "../params/example.yaml"``): no papermill injected
cell, no absolute paths, no execution timestamps, so the notebooks re-run and compare on a
fresh clone in any folder. Review the diff of the outputs before committing: every changed
number is a changed result.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from cscbook.book.pipeline import REPO_ROOT, notebook_order
from cscbook.config.errors import UserError
from cscbook.config.params import load_params

DEFAULT_PARAMS = "../params/example.yaml"


def clean_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop volatile metadata (execution timestamps, papermill records, widget state)."""
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in ("execution", "papermill", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)


def refresh(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place (kernel ``python3``, cwd its folder); return seconds taken."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            raise UserError(f"{path.name} carries papermill's injected-parameters cell; delete it and rerun.")
    t0 = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except Exception as exc:
        raise UserError(
            f"{path.name} failed while refreshing: {type(exc).__name__}: {str(exc)[-600:]}"
        ) from None
    clean_metadata(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - t0


def check_portable(path: Path, root: Path) -> None:
    """Refuse outputs that name the absolute project folder (they would not compare elsewhere)."""
    text = path.read_text(encoding="utf-8")
    if str(root) in text:
        raise UserError(
            f"{path.name} shows the absolute folder {root} in its outputs; show paths relative to the project."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cscbook.book.refresh_notebooks", description=__doc__)
    parser.add_argument("params", nargs="?", default="params/example.yaml")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="refresh only these notebooks (e.g. 00_summary)"
    )
    args = parser.parse_args(argv)
    saved_history = os.environ.get("CSCBOOK_HISTORY")
    os.environ["CSCBOOK_HISTORY"] = "none"  # reference outputs never depend on a local measures history
    try:
        from cscbook.data.context import read_all, save_context

        params = load_params(args.params)
        nb_dir = REPO_ROOT / "notebooks"
        expected = (nb_dir / DEFAULT_PARAMS).resolve()
        if params.source_file != expected:
            raise UserError(
                f"the reference notebooks are always refreshed with {expected} (their default parameters), "
                f"not {params.source_file}."
            )
        t0 = time.perf_counter()
        save_context(read_all(params))
        print(f"read and checked the extract: {time.perf_counter() - t0:.1f} s", flush=True)
        names = notebook_order([p.stem for p in sorted(nb_dir.glob("*.ipynb"))])
        if args.only:
            wanted = {Path(n).stem for n in args.only}
            missing = wanted - set(names)
            if missing:
                raise UserError(f"no notebook named {', '.join(sorted(missing))} in {nb_dir}.")
            names = [n for n in names if n in wanted]
        for name in names:
            path = nb_dir / f"{name}.ipynb"
            secs = refresh(path, params.notebook_timeout)
            check_portable(path, REPO_ROOT)
            print(f"  {path.name:<28} {secs:6.1f} s", flush=True)
    except UserError as exc:
        print(f"refresh_notebooks: {exc}", file=sys.stderr)
        return 2
    finally:
        if saved_history is None:
            os.environ.pop("CSCBOOK_HISTORY", None)
        else:
            os.environ["CSCBOOK_HISTORY"] = saved_history
    return 0


if __name__ == "__main__":
    sys.exit(main())
