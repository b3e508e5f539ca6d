"""The committed notebooks keep the notebook contract (see the README and DESIGN.md)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_contract(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = code[0]
    assert "parameters" in first.metadata.get("tags", []), "first code cell must be the parameters cell"
    assert first.source.strip().startswith("params_file = "), "parameters cell holds only params_file"
    for i, cell in enumerate(code):
        tags = cell.metadata.get("tags", [])
        assert {"remove-input", "remove-cell"} & set(tags), f"code cell {i} would show code to readers"
        assert "injected-parameters" not in tags, "reference notebooks carry no injected parameters"
        # nbval executes with store_history=False, so IPython ignores a trailing ';' there:
        # a cell ending in ';' shows output under nbval that it did not show when refreshed.
        assert not cell.source.rstrip().endswith(";"), f"code cell {i} ends with ';' (assign to _ instead)"
    text = path.read_text()
    assert str(ROOT) not in text, "absolute project path in a committed notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_thin(path: Path):
    """A notebook holds parameters, one build call, glue and prose: no logic (DESIGN.md)."""
    nb = nbformat.read(path, as_version=4)
    lines = [
        ln
        for c in nb.cells
        if c.cell_type == "code"
        for ln in c.source.splitlines()
        if ln.strip() and not ln.strip().startswith("#")
    ]
    assert len(lines) <= 40, f"{len(lines)} lines of code"
    for ln in lines:
        words = ln.strip().split()
        assert words[0] not in {"def", "class", "for", "while", "try:", "with"}, (
            f"logic in the notebook: {ln!r}"
        )
