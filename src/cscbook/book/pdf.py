"""The committee paper and the whole book as A4 PDFs, typeset with Typst.

Written by ``cscbook run`` beside the book:

- ``reports/<quarter>/<quarter>-committee-paper.pdf``: a cover (authority, quarter, period,
  date, protective marking and, for the example, SYNTHETIC DATA); the executive summary (key
  messages, headline measures table); then each chapter's key figures with their captions;
- ``reports/<quarter>/<quarter>-book.pdf``: every page of the book in reading order.

Every page carries a running header (authority, quarter, protective marking) and a footer
(page N of M, marking, SYNTHETIC DATA when the data are synthetic). Headings stay with what
follows them, table rows never split across pages and header rows repeat on each page.

Why Typst (the ``typst`` package on PyPI): a wheel for Linux, macOS and Windows with the
typesetter and its default fonts inside, so it installs with the other pinned dependencies
(no browser, LaTeX or system library), typesets A4 with running headers, page counts, sticky
headings and repeating table headers natively, and gives the same PDF on every machine.

Inputs are the quarter's outputs, never the raw data: the headline table
(``tables/summary_headline_measures.csv``, the executive summary's table of registry measures), the key
messages (``tables/summary_key_messages.csv``), and the built HTML book (figures with their
captions, and every page for the whole-book PDF). The content goes to Typst as JSON, so no
text from the data is ever read as Typst markup.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from bs4 import BeautifulSoup, NavigableString, Tag

from cscbook.config.params import Params
from cscbook.report import format as fmt

KEY_MESSAGES = "summary_key_messages.csv"
HEADLINE = "summary_headline_measures.csv"
HEADLINE_COLUMNS = ["label", "chapter", "kind", "unit", "this_quarter", "last_quarter", "year_ago",
                    "target", "england", "direction", "signal"]  # fmt: skip
# The figures a committee sees first, by their label in the chapters (HTML id); a chapter
# with none of these found shows its first two figures.
KEY_FIGURES: dict[str, tuple[str, ...]] = {
    "notebooks/01_front_door": ("fd-contacts", "fd-referrals", "fd-assessment", "fd-icpc", "fd-second-cp"),
    "notebooks/02_rereferrals": ("fig-rr-rate",),
    "notebooks/03_children_in_care": ("fig-cic-flows", "fig-cic-forecast"),
    "notebooks/04_caseloads": ("cl-figure",),
}
_SPACE = re.compile(r"\s+")
_TEMPLATE = Path(__file__).with_name("paper.typ")


def pdf_paths(params: Params) -> list[Path]:
    """[committee paper, whole book] for the quarter, in ``reports/<quarter>/``."""
    r = params.reports_dir
    return [r / f"{params.quarter}-committee-paper.pdf", r / f"{params.quarter}-book.pdf"]


# --------------------------------------------------------------------------- inputs


def fmt_value(value: Any, kind: str, unit: str) -> str:
    """A headline value as the book prints it (``report.format.value``): 85.0%, 98.3 per 10,000, 3,047."""
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return "n/a"
    return fmt.value(float(value), kind, "" if pd.isna(unit) else str(unit))


def headline_table(tables_dir: Path) -> pd.DataFrame:
    """The headline measures, one row per measure, columns ``HEADLINE_COLUMNS``: the executive
    summary's table (``summary_headline_measures.csv``, made from the run's registry measures and the
    measures history), so the paper shows exactly what the book shows. Empty when it does not exist.
    """
    path = Path(tables_dir) / HEADLINE
    if path.is_file():
        return pd.read_csv(path).reindex(columns=HEADLINE_COLUMNS)
    return pd.DataFrame(columns=HEADLINE_COLUMNS)


def key_messages(tables_dir: Path) -> tuple[list[str], str | None]:
    """(messages in order, None) from ``summary_key_messages.csv``; ([], a note) when it is missing."""
    path = Path(tables_dir) / KEY_MESSAGES
    if not path.is_file():
        return [], (f"The key messages were not available when this paper was made ({path.name} was not "
                    "written by the executive summary); see the executive summary of the book.")  # fmt: skip
    msgs = pd.read_csv(path, keep_default_na=False)["message"].astype(str).str.strip()
    return [m for m in msgs if m], None


def headline_rows(table: pd.DataFrame) -> list[list[str]]:
    """Rows of printed strings: measure, this quarter, last quarter, a year ago, target, England, direction, signal."""
    rows = []
    for r in table.itertuples(index=False):
        kind, unit = str(r.kind), str(r.unit)
        rows.append([
            str(r.label),
            *(fmt_value(getattr(r, c), kind, unit) for c in ("this_quarter", "last_quarter", "year_ago", "target",
                                                               "england")),
            "" if pd.isna(r.direction) else str(r.direction),
            "" if pd.isna(r.signal) else str(r.signal),
        ])  # fmt: skip
    return rows


# --------------------------------------------------------------------------- HTML to blocks


def _runs(tag: Tag | NavigableString, strong: bool = False, emph: bool = False) -> list[dict[str, Any]]:
    """Inline text of ``tag`` as runs {text, strong, emph}; header links and hidden parts left out."""
    if isinstance(tag, NavigableString):
        text = _SPACE.sub(" ", str(tag))
        return [{"text": text, "strong": strong, "emph": emph}] if text.strip() or text == " " else []
    if (
        not isinstance(tag, Tag)
        or tag.name in ("script", "style")
        or "headerlink" in (tag.get("class") or [])
    ):
        return []
    if tag.get("aria-hidden") == "true":
        return []
    strong = strong or tag.name in ("strong", "b", "th")
    emph = emph or tag.name in ("em", "i")
    out: list[dict[str, Any]] = []
    for child in tag.children:
        if isinstance(child, Tag) and child.name == "br":
            out.append({"text": " ", "strong": strong, "emph": emph})
        else:
            out += _runs(child, strong, emph)
    return out


def _plain(tag: Tag) -> str:
    return _SPACE.sub(" ", "".join(r["text"] for r in _runs(tag))).strip()


def _table(tag: Tag) -> dict[str, Any]:
    caption = tag.find("caption")
    head_rows = tag.select("thead tr")
    body_rows = tag.select("tbody tr") or [tr for tr in tag.find_all("tr") if tr not in head_rows]
    header = [[_plain(c) for c in tr.find_all(["th", "td"])] for tr in head_rows]
    body = [[_plain(c) for c in tr.find_all(["th", "td"])] for tr in body_rows]
    width = max([len(r) for r in header + body] or [1])
    pad = [r + [""] * (width - len(r)) for r in header + body]
    return {"type": "table", "caption": _plain(caption) if caption else "", "header": pad[: len(header)],
            "body": pad[len(header):], "columns": width}  # fmt: skip


def _figure(tag: Tag, html_page: Path) -> dict[str, Any] | None:
    img = tag if tag.name == "img" else tag.find("img")
    if img is None or not img.get("src") or img["src"].startswith("data:"):
        return None
    src = (html_page.parent / img["src"]).resolve()
    if not src.is_file():
        return None
    cap = tag.find("figcaption") if tag.name == "figure" else None
    number = cap.find(class_="caption-number") if cap else None
    text = cap.find(class_="caption-text") if cap else None
    from PIL import Image

    with Image.open(src) as im:
        ratio = im.size[1] / max(im.size[0], 1)
    return {"type": "figure", "src": str(src), "alt": img.get("alt", ""), "id": tag.get("id", ""), "ratio": ratio,
            "number": _plain(number) if number else "", "caption": _plain(text or cap) if cap else ""}  # fmt: skip


def page_blocks(html_page: Path) -> list[dict[str, Any]]:
    """The content of one built HTML page (its ``article``) as typesetting blocks, in order.

    Block types: heading (level, text), para (runs), list (ordered, items of runs), table
    (caption, header, body, columns), figure (src, alt, number, caption), note (title, runs).
    """
    soup = BeautifulSoup(Path(html_page).read_text(encoding="utf-8"), "html.parser")
    article = soup.find("article") or soup.body
    blocks: list[dict[str, Any]] = []

    def walk(node: Tag) -> None:
        for child in node.children:
            if not isinstance(child, Tag):
                continue
            name, classes = child.name, child.get("class") or []
            if name in ("script", "style", "nav") or "toctree-wrapper" in classes:
                continue
            if name in ("h1", "h2", "h3", "h4", "h5"):
                blocks.append({"type": "heading", "level": int(name[1]), "text": _plain(child)})
            elif name == "p":
                runs = _runs(child)
                if "".join(r["text"] for r in runs).strip():
                    blocks.append({"type": "para", "runs": runs})
            elif name in ("ul", "ol"):
                items = [_runs(li) for li in child.find_all("li", recursive=False)]
                blocks.append({"type": "list", "ordered": name == "ol", "items": items})
            elif name == "table":
                blocks.append(_table(child))
            elif name in ("figure", "img"):
                fig = _figure(child, Path(html_page))
                if fig:
                    blocks.append(fig)
            elif name == "div" and "admonition" in classes:
                title = child.find(class_="admonition-title")
                if title is not None:
                    title.extract()
                blocks.append(
                    {"type": "note", "title": _plain(title) if title else "Note", "runs": _runs(child)}
                )
            elif name == "pre":
                blocks.append(
                    {"type": "para", "runs": [{"text": child.get_text(), "strong": False, "emph": False}]}
                )
            elif name == "div" and "math" in classes:
                blocks.append(
                    {"type": "para", "runs": [{"text": _plain(child), "strong": False, "emph": True}]}
                )
            else:
                walk(child)

    if article is not None:
        walk(article)
    return blocks


def book_pages(html_dir: Path, toc: dict) -> list[tuple[str, Path]]:
    """(toc entry, built HTML page) in reading order, for pages that were built."""
    from cscbook.book.pipeline import toc_files

    out = []
    for entry in toc_files(toc):
        page = Path(html_dir) / f"{entry}.html"
        if page.is_file():
            out.append((entry, page))
    return out


def key_figures(pages: list[tuple[str, Path]]) -> list[dict[str, Any]]:
    """Each chapter's key figures (``KEY_FIGURES``, else its first two) under the chapter's title."""
    blocks: list[dict[str, Any]] = []
    for entry, page in pages:
        if not re.match(r"notebooks/0[1-8]", entry):
            continue
        content = page_blocks(page)
        figures = [b for b in content if b["type"] == "figure"]
        wanted = KEY_FIGURES.get(entry, ())
        chosen = [f for f in figures if f["id"] in wanted] or figures[:2]
        if not chosen:
            continue
        title = next((b["text"] for b in content if b["type"] == "heading" and b["level"] == 1), entry)
        blocks.append({"type": "heading", "level": 2, "text": title})
        blocks += chosen
    return blocks


# --------------------------------------------------------------------------- typesetting


def _document(params: Params, kind: str, blocks: list[dict[str, Any]], built: dt.datetime) -> dict[str, Any]:
    return {
        "kind": kind,
        "authority": params.authority,
        "quarter_title": params.quarter_title,
        "period_end": f"{params.period_end:%-d %B %Y}",
        "date": f"{built:%-d %B %Y}",
        "marking": params.protective_marking,
        "synthetic": bool(params.synthetic),
        "title": "Children's services quarterly improvement report"
        if kind == "paper"
        else "Children's services quarterly improvement book",
        "blocks": blocks,
    }


def typeset(document: dict[str, Any], out: Path) -> Path:
    """Typeset ``document`` (see ``_document``) with ``paper.typ`` into the PDF ``out``.

    Images are copied beside the JSON (Typst reads files only inside its root folder). The
    PDF is written to a temporary name and renamed, so a failure leaves no half file.
    """
    import typst

    work = Path(tempfile.mkdtemp(prefix="cscbook-typst-"))
    try:
        doc = json.loads(json.dumps(document))
        for i, block in enumerate(doc["blocks"]):
            if block["type"] == "figure":
                name = f"img{i}{Path(block['src']).suffix}"
                shutil.copy2(block["src"], work / name)
                block["src"] = name
        (work / "content.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        shutil.copy2(_TEMPLATE, work / "main.typ")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        typst.compile(str(work / "main.typ"), output=str(tmp), root=str(work))
        os.replace(tmp, out)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def paper_blocks(params: Params, pages: list[tuple[str, Path]]) -> list[dict[str, Any]]:
    """The committee paper after its cover: summary, key messages, headline table, key figures."""
    tables = params.tables_dir
    messages, note = key_messages(tables)
    head = headline_table(tables)
    blocks: list[dict[str, Any]] = [
        {"type": "heading", "level": 1, "text": "Executive summary"},
        {"type": "para", "runs": [{"text": (
            f"This paper summarises the quarterly improvement report for {params.authority} for "
            f"{params.quarter_title}, to {params.period_end:%-d %B %Y}: the headline measures this quarter "
            "against last quarter, a year ago, the local target and England, the key messages the numbers "
            "support, and the key figures of each chapter. Definitions and methods are in the full book."),
            "strong": False, "emph": False}]},
        {"type": "heading", "level": 2, "text": "Key messages"},
    ]  # fmt: skip
    if messages:
        blocks.append({"type": "list", "ordered": True,
                       "items": [[{"text": m, "strong": False, "emph": False}] for m in messages]})  # fmt: skip
    else:
        blocks.append({"type": "note", "title": "Key messages not available",
                       "runs": [{"text": note or "", "strong": False, "emph": False}]})  # fmt: skip
    blocks.append({"type": "heading", "level": 2, "text": "Headline measures"})
    if head.empty:
        blocks.append({"type": "para", "runs": [{"text": "No headline table was produced this quarter.",
                                                  "strong": False, "emph": False}]})  # fmt: skip
    else:
        header = [
            "Measure",
            "This quarter",
            "Last quarter",
            "A year ago",
            "Target",
            "England",
            "Direction",
            "Signal",
        ]
        blocks.append({"type": "table", "caption": "Headline measures", "header": [header],
                       "body": headline_rows(head), "columns": len(header), "widths": "headline"})  # fmt: skip
    figures = key_figures(pages)
    if figures:
        blocks.append({"type": "pagebreak"})
        blocks.append({"type": "heading", "level": 1, "text": "Key figures from each chapter"})
        blocks += figures
    return blocks


def write_pdfs(params: Params, html_dir: Path, built: dt.datetime | None = None) -> list[Path]:
    """Write the committee paper and the whole-book PDF; return their paths."""
    built = built or dt.datetime.now()
    toc_path = Path(html_dir).parents[1] / "_toc.yml"
    from cscbook.book.pipeline import source_root

    toc = yaml.safe_load(
        (toc_path if toc_path.is_file() else source_root(params) / "_toc.yml").read_text("utf-8")
    )
    pages = book_pages(html_dir, toc)
    paper, book = pdf_paths(params)
    typeset(_document(params, "paper", paper_blocks(params, pages), built), paper)
    everything: list[dict[str, Any]] = []
    for _, page in pages:
        everything += page_blocks(page) + [{"type": "pagebreak"}]
    typeset(_document(params, "book", everything[:-1], built), book)
    return [paper, book]
