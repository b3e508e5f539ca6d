"""End-to-end: build the example book from scratch with the real command line, then inspect it.

The book is built once per session into a temporary project (its own reports/ and figures/),
from the repository's notebooks and params/example.yaml with the extract paths made absolute,
with Sphinx warnings as errors (CSCBOOK_STRICT=1).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
import yaml

from cscbook.book.pipeline import toc_files
from cscbook.data import annexa_spec

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
SYNTH = ROOT / "data" / "synthetic"
QUARTER = "2024-25-Q4"
# every notebook chapter listed in _toc.yml (the summary and appendices included)
CHAPTERS = tuple(
    Path(f).name
    for f in toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")))
    if f.startswith("notebooks/") and (ROOT / f"{f}.ipynb").is_file()
)


def cli(*args: str, cwd: Path = ROOT, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "CSCBOOK_STRICT": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cscbook.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=env,
    )


class _Page(HTMLParser):
    """Images (with alt text) and the text inside notebook output areas of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict] = []
        self.output_text: list[str] = []
        self._depth = 0  # div depth inside a cell_output area (0 = outside)
        self.stderr_outputs = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        if tag == "div":
            cls = a.get("class") or ""
            if "stderr" in cls:
                self.stderr_outputs += 1
            if self._depth:
                self._depth += 1
            elif "cell_output" in cls:
                self._depth = 1

    def handle_endtag(self, tag):
        if tag == "div" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.output_text.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_run_prints_index_last_and_saves_timings(book) -> None:
    lines = book["result"].stdout.strip().splitlines()
    assert lines[-1] == str(book["html"] / "index.html")
    timings = json.loads((book["reports"] / "timings.json").read_text())
    assert set(timings["stages"]) == {
        "validate parameters",
        "read and check data",
        "compute measures",
        "execute notebooks",
        "build book",
        "tables workbook",
        "PDFs",
    }
    assert "00_summary.ipynb" in timings["notebooks"]


def test_snapshot_measures_have_last_quarter_from_the_history(book) -> None:
    """Q3's book published care leavers' EET and the average caseload; Q4's summary shows them as last quarter."""
    table = pd.read_csv(book["reports"] / "tables" / "summary_headline_measures.csv").set_index("key")
    for key in ("care_leavers_eet", "average_caseload"):
        assert pd.notna(table.loc[key, "this_quarter"]) and pd.notna(table.loc[key, "last_quarter"]), key
    history = pd.read_parquet(book["proj"] / "data" / "local" / "history" / "measures_history.parquet")
    assert set(history["quarter"]) == {"2024-25-Q3", "2024-25-Q4"}
    assert not set(history.columns) & {"child_id", "date_of_birth", "allocated_worker"}
    measures = pd.read_csv(book["reports"] / "tables" / "measures.csv")
    assert {
        "key",
        "period",
        "value",
        "numerator",
        "denominator",
        "ci_low",
        "ci_high",
        "target",
        "england",
        "direction",
        "signal",
    } <= set(measures.columns)


def test_every_toc_page_exists_and_chapters_show_captioned_figures(book) -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    expected = [f for f in toc_files(toc) if (ROOT / f"{f}.ipynb").is_file() or (ROOT / f"{f}.md").is_file()]
    assert {"index", "notebooks/00_summary", "methods", "notebooks/90_data_quality"} <= set(expected)
    for f in expected:
        assert (book["html"] / f"{f}.html").is_file(), f
    for name in CHAPTERS:
        if not 0 < int(name[:2]) < 90:  # the summary and appendices are tables and words
            continue
        page = parse(book["html"] / "notebooks" / f"{name}.html")
        figures = [im for im in page.images if "_images" in (im.get("src") or "")]
        assert figures, f"{name}: no figures"
        html = (book["html"] / "notebooks" / f"{name}.html").read_text()
        assert "<figcaption" in html, f"{name}: figures without captions"


def test_every_image_has_alt_text(book) -> None:
    for path in sorted(book["html"].rglob("*.html")):
        for im in parse(path).images:
            if "_images" in (im.get("src") or ""):
                assert (im.get("alt") or "").strip(), f"{path.name}: image {im.get('src')} has no alt text"


def test_no_code_errors_or_warnings_in_the_book(book) -> None:
    for path in sorted(book["html"].rglob("*.html")):
        page = parse(path)
        text = " ".join(page.output_text)
        for word in ("Traceback", "Error", "Exception"):
            assert word not in text, f"{path.name}: '{word}' in an output area"
        assert page.stderr_outputs == 0, f"{path.name}: stderr output shown"
        html = path.read_text(encoding="utf-8")
        assert "Traceback" not in html
        assert "<IPython.core.display" not in html and "&lt;IPython.core.display" not in html, path.name
        assert "object at 0x" not in html, f"{path.name}: a raw object repr"
        assert "load_context" not in html and "params_file" not in html, f"{path.name}: code is visible"
    assert not (book["html"] / "_sources").exists(), "notebook sources are downloadable"
    for nb_path in sorted((book["reports"] / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out["output_type"] != "error", nb_path.name
                assert not (
                    out["output_type"] == "stream"
                    and out.get("name") == "stderr"
                    and "Traceback" in out.get("text", "")
                ), nb_path.name


def test_tables_workbook(book) -> None:
    csvs = sorted((book["reports"] / "tables").glob("*.csv"))
    assert csvs
    wb = openpyxl.load_workbook(book["reports"] / "tables.xlsx", read_only=True)
    assert len(wb.sheetnames) == len(csvs) + 1
    assert all(len(s) <= 31 for s in wb.sheetnames)


# ----------------------------------------------------------------------------- privacy


def _personal_values() -> dict[str, set[str]]:
    """Child identifiers, dates of birth (dd/mm/yyyy and ISO), worker names and postcodes in the raw extract."""
    headers: dict[str, str] = {}
    for lst in annexa_spec.LISTS.values():
        for col in lst.columns:
            if col.name in annexa_spec.PERSONAL_COLUMNS:
                for h in (col.header, *col.aliases):
                    headers[h.strip().lower()] = col.name
    headers.update(
        {
            "child": "child_id",
            "dob": "date_of_birth",
            "home_post": "home_postcode",
            "pl_post": "placement_postcode",
            "urn": "placement_urn",
        }
    )
    found: dict[str, set[str]] = {k: set() for k in ("id", "dob", "worker", "postcode", "urn")}
    for csv in sorted(SYNTH.rglob("*.csv")):
        raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
        for col in raw.columns:
            name = headers.get(str(col).strip().lower())
            values = {v.strip() for v in raw[col] if v and v.strip()}
            if name == "child_id":
                found["id"] |= values
            elif name == "date_of_birth":
                dates = pd.to_datetime(
                    pd.Series(sorted(values)), dayfirst=True, errors="coerce", format="mixed"
                ).dropna()
                # ISO dates that are also month starts or ends are the book's period labels: not checked.
                marker = dates.dt.is_month_start | dates.dt.is_month_end
                found["dob"] |= set(dates.dt.strftime("%d/%m/%Y")) | set(
                    dates[~marker].dt.strftime("%Y-%m-%d")
                )
            elif name in {"allocated_worker", "personal_advisor"}:
                # "CE01 Sasha Vellacott": the whole value and the name without the team code
                found["worker"] |= values | {v.split(" ", 1)[1] for v in values if " " in v}
            elif name in {"home_postcode", "placement_postcode"}:
                found["postcode"] |= {v for v in values if len(v) >= 3 and set(v) != {"X"}}
            elif name == "placement_urn":
                found["urn"] |= {v for v in values if set(v) != {"X"}}
    return found


def _png_text(path: Path) -> str:
    """The text chunks (tEXt, zTXt, iTXt) of a PNG file."""
    data = path.read_bytes()
    pos, out = 8, []
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt":
            out.append(body.decode("latin-1"))
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            out.append(key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
        elif kind == b"iTXt":
            out.append(body.decode("utf-8", "replace"))
        pos += 12 + length
    return "\n".join(out)


def _outputs_text(book: dict) -> dict[str, str]:
    texts: dict[str, str] = {}
    for p in sorted(book["html"].rglob("*")):
        if p.suffix in {".html", ".txt", ".js"} and p.is_file():
            texts[str(p)] = p.read_text(encoding="utf-8", errors="replace")
    for p in sorted((book["reports"] / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(p, as_version=4)
        # text outputs only: base64 image data would match short strings by chance
        texts[str(p)] = json.dumps(
            [
                {k: v for k, v in o.get("data", {}).items() if not k.startswith("image/")}
                | {"text": o.get("text", "")}
                for c in nb.cells
                for o in c.get("outputs", [])
            ]
        )
    for p in sorted((book["reports"] / "tables").glob("*.csv")):
        texts[str(p)] = p.read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(book["reports"] / "tables.xlsx", read_only=True)
    texts["tables.xlsx"] = "\n".join(
        "\t".join("" if v is None else str(v) for v in row)
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
    )
    for root in (book["proj"] / "figures" / QUARTER, book["html"] / "_images"):
        for p in sorted(root.glob("*.png")) if root.is_dir() else []:
            texts[str(p)] = _png_text(p)
    return texts


def test_no_personal_data_in_any_output(book) -> None:
    personal = _personal_values()
    assert personal["id"] and personal["dob"], "the extract's identifier columns were not found"
    texts = _outputs_text(book)
    assert any(k.endswith(".png") for k in texts) or not any((book["proj"] / "figures").glob("*/*.png"))
    for where, text in texts.items():
        tokens = set(re.findall(r"[\w/-]+", text)) | set(re.findall(r"[A-Za-z0-9]+", text))
        tokens |= set(re.findall(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", text))
        for kind, values in personal.items():
            # values shorter than 3 characters would match ordinary words and numbers
            if kind == "worker":
                hits = sorted(v for v in values if len(v) >= 3 and v in text)
            else:
                hits = sorted(v for v in tokens & values if len(v) >= 3)
            assert not hits, f"{kind} {hits[:3]} found in {where}"


def test_record_level_cache_is_kept_out_of_the_reports_folder(book) -> None:
    # reports/<quarter>/ is what gets shared; the canonical tables (child ids, dates of birth)
    # are cached in the git-ignored data/local/cache/<quarter>/ instead.
    assert not list(book["reports"].rglob("*.parquet"))
    assert list((book["proj"] / "data" / "local" / "cache" / QUARTER).glob("*.parquet"))


# ----------------------------------------------------------------------------- failure keeps the last book

_TOC = "format: jb-book\nroot: index\nchapters:\n  - file: notebooks/01_ok\n  - file: notebooks/02_flaky\n"


def _notebook(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell('params_file = "../params/example.yaml"')
    p.metadata["tags"] = ["parameters", "remove-cell"]
    title = nbformat.v4.new_markdown_cell(f"# {path.stem}")
    c = nbformat.v4.new_code_cell(body)
    c.metadata["tags"] = ["remove-input"]
    nb.cells = [p, title, c]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_failing_notebook_keeps_the_last_good_book(tmp_path: Path) -> None:
    from conftest import valid_workbook

    (tmp_path / "params").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "data").mkdir()
    valid_workbook(tmp_path / "data" / "annex_a.xlsx")
    (tmp_path / "params" / "example.yaml").write_text(
        'authority: "Testshire"\nsynthetic: true\nperiod_end: 2024-03-31\nannex_a: [data/annex_a.xlsx]\n'
        "population_0_17: 1000\nnotebook_timeout: 60\n"
    )
    (tmp_path / "_toc.yml").write_text(_TOC)
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "index.md").write_text("# $authority\n\n$quarter_title\n")
    _notebook(
        tmp_path / "notebooks" / "01_ok.ipynb",
        "from pathlib import Path\nd = Path('../reports/2023-24-Q4/tables')\nd.mkdir(parents=True, exist_ok=True)\n"
        "(d / 't.csv').write_text('second run' if Path('../FAIL').exists() else 'first run')\nprint('ok')",
    )
    _notebook(
        tmp_path / "notebooks" / "02_flaky.ipynb",
        "from pathlib import Path\nif Path('../FAIL').exists():\n    raise ValueError('planted failure')\nprint(1)",
    )
    params = str(tmp_path / "params" / "example.yaml")
    first = cli("run", params, "--quiet")
    assert first.returncode == 0, first.stderr[-2000:]
    index = tmp_path / "reports" / "2023-24-Q4" / "_build" / "html" / "index.html"
    assert first.stdout.strip().splitlines()[-1] == str(index)
    before = index.read_text()

    (tmp_path / "FAIL").write_text("")
    second = cli("run", params, "--quiet")
    assert second.returncode == 2
    err = second.stderr
    assert "02_flaky.ipynb" in err and "cell 3" in err.replace("\n", " ") and "planted failure" in err
    assert "Traceback" not in err
    saved = tmp_path / "reports" / "2023-24-Q4" / "failed-run" / "notebooks" / "02_flaky.ipynb"
    assert str(saved) in err.replace("\n", "") and saved.is_file()
    assert index.read_text() == before  # the last good book is untouched
    # and so are its tables: the failed run's partial tables are discarded
    assert (tmp_path / "reports" / "2023-24-Q4" / "tables" / "t.csv").read_text() == "first run"
    assert not list((tmp_path / "reports" / "2023-24-Q4").glob(".tables-previous"))
    assert not list((tmp_path / "reports" / "2023-24-Q4").glob(".book-*"))  # no temporary folders left
