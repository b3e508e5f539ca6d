"""The committee paper and whole-book PDFs: A4, page count, running header and page numbers on
every page, repeated table headers, a rendered page that is not blank (real Typst, pypdf, PDFium)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pypdf  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402
import pytest  # noqa: E402

from cscbook.book import pdf  # noqa: E402
from cscbook.config.params import load_params  # noqa: E402

A4 = (595.28, 841.89)  # points
BUILT = dt.datetime(2025, 1, 20, 10, 0)
QUARTER_TITLE = "Q3 2024-25 (October to December 2024)"  # the hand-made Testshire quarter
EXAMPLE_TITLE = "Q4 2024-25 (January to March 2025)"  # the example book


def _params(tmp_path: Path, extra: str = ""):
    (tmp_path / "params").mkdir(exist_ok=True)
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "x.csv").write_text("a,b\n1,2\n")
    (tmp_path / "params" / "q.yaml").write_text(
        'authority: "Testshire"\nsynthetic: true\nperiod_end: 2024-12-31\nannex_a: [data]\npopulation_0_17: 1000\n'
        + extra
    )
    return load_params(tmp_path / "params" / "q.yaml")


def _headline(tables: Path) -> None:
    tables.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "key": ["contacts", "assessment_45wd"], "label": ["Contacts", "Assessments within 45 working days"],
        "chapter": ["Front door", "Front door"], "kind": ["count", "proportion"], "unit": ["count", ""],
        "this_quarter": [3112, 0.811808], "last_quarter": [2984, 0.757491], "year_ago": [2845, None],
        "target": [None, 0.85], "england": [None, 0.857], "direction": ["up", "improving"],
        "signal": ["common cause variation", "special cause improvement"],
    }).to_csv(tables / "summary_headline_measures.csv", index=False)  # fmt: skip


def _book(root: Path, rows: int = 0) -> Path:
    """A tiny built book: a landing page and one chapter with a figure (and a long table)."""
    html = root / "_build" / "html"
    (html / "notebooks").mkdir(parents=True)
    (html / "_images").mkdir()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(np.arange(12), np.arange(12) ** 1.5, color="#0072B2", linewidth=3)
    fig.savefig(html / "_images" / "trend.png", dpi=80)
    plt.close(fig)
    (html / "index.html").write_text(
        "<html><body><article><h1>Testshire book</h1><p>Intro with <strong>bold</strong> text.</p>"
        "</article></body></html>"
    )
    long = "words " * 160  # wraps over several lines: a row that must not be split across pages
    body = "".join(f"<tr><th>Team {i}</th><td>{i} {long if i % 7 == 0 else ''}end{i}</td></tr>"
                   for i in range(rows))  # fmt: skip
    table = (f"<table><caption>Table 1: Long</caption><thead><tr><th>Team name</th><th>Children</th></tr></thead>"
             f"<tbody>{body}</tbody></table>") if rows else ""  # fmt: skip
    (html / "notebooks" / "01_front_door.html").write_text(
        "<html><body><article><h1>The front door</h1><p>Words.</p>"
        '<figure id="fd-contacts"><img alt="Contacts rose" src="../_images/trend.png"/>'
        '<figcaption><p><span class="caption-number">Fig. 1 </span><span class="caption-text">Contacts each month.'
        f'</span><a class="headerlink" href="#">#</a></p></figcaption></figure>{table}</article></body></html>'
    )
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n  - file: notebooks/01_front_door\n"
    )
    return html


def _pages(path: Path) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(path).pages]


def _assert_a4_with_header_and_numbers(path: Path, marking: str = "OFFICIAL") -> list[str]:
    reader = pypdf.PdfReader(path)
    texts = [p.extract_text() for p in reader.pages]
    for i, page in enumerate(reader.pages, start=1):
        assert float(page.mediabox.width) == pytest.approx(A4[0], abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(A4[1], abs=0.5)
        text = texts[i - 1]
        assert "Testshire" in text and QUARTER_TITLE in text, f"page {i} has no running header"
        assert f"Page {i} of {len(texts)}" in text, f"page {i} has no page number"
        assert marking in text and "SYNTHETIC DATA" in text
    return texts


def _ink(path: Path, page: int) -> float:
    """Share of pixels that are not white on a page rendered at 72 dpi."""
    image = pdfium.PdfDocument(str(path))[page].render(scale=1).to_numpy()
    return float((image[..., :3].min(axis=2) < 200).mean())


def test_committee_paper_cover_summary_and_key_figures(tmp_path: Path) -> None:
    params = _params(tmp_path, "protective_marking: OFFICIAL-SENSITIVE\n")
    _headline(params.tables_dir)
    pd.DataFrame({"message": ["Assessments improved to 81.2%.", "Contacts rose."]}).to_csv(
        params.tables_dir / "summary_key_messages.csv", index=False
    )
    html = _book(params.reports_dir)
    paper, book = pdf.write_pdfs(params, html, BUILT)
    assert paper.name == "2024-25-Q3-committee-paper.pdf" and book.name == "2024-25-Q3-book.pdf"
    texts = _assert_a4_with_header_and_numbers(paper, "OFFICIAL-SENSITIVE")
    # cover, the executive summary (messages and table), the key figures: three pages
    assert len(texts) == 3
    cover = texts[0]
    assert "Period ending 31 December 2024" in cover and "20 January 2025" in cover
    assert "Protective marking" in cover and "SYNTHETIC DATA" in cover
    summary = texts[1]
    assert (
        summary.index("Key messages")
        < summary.index("Assessments improved to 81.2%.")
        < summary.index("Headline measures")
    )
    assert "81.2%" in summary and "85.0%" in summary and "85.7%" in summary and "3,112" in summary
    assert "Contacts each month." in texts[2] and "The front door" in texts[2]
    assert _ink(paper, 2) > 0.01  # the figure page is drawn, not blank


def test_paper_says_when_key_messages_are_missing(tmp_path: Path) -> None:
    params = _params(tmp_path)
    _headline(params.tables_dir)
    html = _book(params.reports_dir)
    paper, _ = pdf.write_pdfs(params, html, BUILT)
    text = " ".join(_pages(paper)).replace("\n", " ")
    assert "Key messages not available" in text and "summary_key_messages.csv" in text


def test_whole_book_repeats_table_headers_across_pages(tmp_path: Path) -> None:
    params = _params(tmp_path)
    html = _book(params.reports_dir, rows=120)
    _, book = pdf.write_pdfs(params, html, BUILT)
    texts = _assert_a4_with_header_and_numbers(book)
    with_rows = [t for t in texts if "Team 5" in t or "Team 60" in t or "Team 119" in t]
    assert len(texts) >= 4 and len(with_rows) >= 2  # cover, intro, chapter, the table over 2+ pages
    for t in texts:
        if any(f"Team {i}\n" in t or f"Team {i} " in t for i in range(120)):
            assert "Team name" in t, "a page of the table has no header row"
    flat = [t.replace("\n", " ") for t in texts]
    for i in range(0, 120, 7):  # a long row starts and ends on the same page
        first = next(n for n, t in enumerate(flat) if f"Team {i} {i} words" in t)
        assert f"end{i}" in flat[first], f"row {i} is split across pages"
    assert "Testshire book" in texts[1] and "Intro with bold text." in texts[1]
    assert _ink(book, len(texts) - 1) > 0.005


def test_headline_table_is_the_executive_summarys(tmp_path: Path) -> None:
    """The paper shows the summary's table (registry measures with last quarter from the history), not
    a re-reading of measures.csv, whose rows are by month and quarter."""
    tables = tmp_path / "tables"
    _headline(tables)
    pd.DataFrame({"key": ["x"], "label": ["Measure X"], "period_type": ["month"], "period": ["2024-10"],
                  "value": [0.5]}).to_csv(tables / "measures.csv", index=False)  # fmt: skip
    assert pdf.headline_table(tables)["label"].tolist() == ["Contacts", "Assessments within 45 working days"]


def test_fmt_value() -> None:
    assert pdf.fmt_value(0.849886, "proportion", "") == "85.0%"
    assert pdf.fmt_value(98.3019, "rate", "per 10,000") == "98.3 per 10,000"  # as the book prints it
    assert pdf.fmt_value(3047, "count", "count") == "3,047"
    assert pdf.fmt_value(None, "count", "") == "n/a" and pdf.fmt_value(float("nan"), "count", "") == "n/a"


def test_protective_marking_defaults_and_is_checked(tmp_path: Path) -> None:
    assert _params(tmp_path).protective_marking == "OFFICIAL"
    from cscbook.config.errors import UserError

    with pytest.raises(UserError, match="protective_marking"):
        _params(tmp_path, 'protective_marking: " "\n')


@pytest.mark.e2e
def test_run_writes_both_pdfs_beside_the_book(book) -> None:
    paper = book["reports"] / "2024-25-Q4-committee-paper.pdf"
    whole = book["reports"] / "2024-25-Q4-book.pdf"
    for path in (paper, whole):
        reader = pypdf.PdfReader(path)
        for i, page in enumerate(reader.pages, start=1):
            text = page.extract_text()
            assert float(page.mediabox.width) == pytest.approx(A4[0], abs=0.5)
            assert "Westmere" in text and EXAMPLE_TITLE in text and f"Page {i} of {len(reader.pages)}" in text
    texts = _pages(paper)
    assert "SYNTHETIC DATA" in texts[0] and "OFFICIAL" in texts[0]
    assert "Key messages" in texts[1] and "Key messages not available" not in texts[1]
    assert len(texts) >= 4 and _ink(paper, 3) > 0.01
