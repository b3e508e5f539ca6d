"""Finishing the built HTML pages for every reader: tables, theme buttons, landmarks, alt text.

Run on each page after Jupyter Book has built it (``finish_book``), before the book is swapped
into place. Each step is a small function on a parsed page:

- ``tables``: pandas' index-name header row is merged into the header (no empty header cell
  from ``df.set_index(...)``; a still-empty corner cell gets hidden text "Row"); header
  cells get ``scope``; a table with no caption gets one ("Table N: <the section heading>");
  every table sits in a box that scrolls sideways on its own (keyboard-focusable, labelled)
  instead of pushing the page wider than a phone's screen;
- ``buttons``: a button whose accessible name (aria-label) does not contain its visible text
  gets its visible text as its name (the search button); icons inside the colour-mode button
  lose their ``title`` and are hidden from assistive technology (axe's
  label-content-name-mismatch);
- ``landmarks``: the primary sidebar (the book's title and contents) becomes a navigation
  landmark, so no content sits outside a landmark (axe's ``region``);
- ``alt_text``: a figure's alt text replaced by one written from its numbers, where a chapter
  supplied one (``figures/<quarter>/alt_text.json``: figure label -> text).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from cscbook.report.outputs import ALT_TEXT_DIR, ALT_TEXT_FILE

_SPACE = re.compile(r"\s+")


def _text(tag: Tag) -> str:
    """Visible text of ``tag``: aria-hidden descendants and headerlink anchors left out."""
    parts = []
    for s in tag.find_all(string=True):
        if any(
            p.get("aria-hidden") == "true"
            or "headerlink" in (p.get("class") or [])
            or p.name in ("script", "style")
            for p in s.parents
            if isinstance(p, Tag)
        ):
            continue
        parts.append(str(s))
    return _SPACE.sub(" ", "".join(parts)).strip()


def _is_empty_row(cells: list[Tag]) -> bool:
    return all(not _text(c) for c in cells)


def tables(soup: BeautifulSoup) -> int:
    """Accessible, phone-friendly tables (see module docstring); returns how many were changed."""
    n = 0
    for i, table in enumerate(soup.select("article table"), start=1):
        thead = table.find("thead")
        if thead is not None:
            rows = thead.find_all("tr", recursive=False)
            if len(rows) >= 2:
                first, last = rows[0].find_all(["th", "td"]), rows[-1].find_all(["th", "td"])
                if last and _text(last[0]) and _is_empty_row(last[1:]) and first and not _text(first[0]):
                    first[0].string = _text(last[0])
                    rows[-1].decompose()
            for th in thead.find_all("th"):
                th["scope"] = "col"
                if not _text(th):
                    th.clear()
                    hidden = soup.new_tag("span", attrs={"class": "visually-hidden"})
                    hidden.string = "Row"
                    th.append(hidden)
        for th in table.select("tbody th"):
            th["scope"] = "row"
        if table.find("caption") is None:
            caption = soup.new_tag("caption")
            heading = table.find_previous(["h1", "h2", "h3", "h4"])
            title = _text(heading) if heading is not None else ""
            caption.string = f"Table {i}: {title}" if title else f"Table {i}"
            table.insert(0, caption)
        parent = table.parent
        if not (isinstance(parent, Tag) and "cscbook-scroll" in (parent.get("class") or [])):
            label = _text(table.find("caption"))
            box = soup.new_tag(
                "div",
                attrs={"class": "cscbook-scroll", "role": "region", "tabindex": "0",
                       "aria-label": f"{label} (scrolls sideways)"},
            )  # fmt: skip
            table.wrap(box)
        n += 1
    return n


def buttons(soup: BeautifulSoup) -> int:
    """Accessible names that contain the visible text; icon titles out of the colour-mode button."""
    n = 0
    for icon in soup.select(".theme-switch-button i, .theme-switch-button span"):
        if icon.has_attr("title"):
            del icon["title"]
        icon["aria-hidden"] = "true"
        n += 1
    for el in soup.select("button[aria-label], a[aria-label]"):
        visible = _text(el)
        if visible and visible.lower() not in _SPACE.sub(" ", el["aria-label"]).lower():
            el["aria-label"] = visible
            n += 1
    return n


def landmarks(soup: BeautifulSoup) -> int:
    """The primary sidebar as a navigation landmark (it holds the book's title and contents)."""
    n = 0
    for side in soup.select("div.bd-sidebar-primary"):
        side["role"] = "navigation"
        side["aria-label"] = "Book contents"
        n += 1
    return n


def alt_text(soup: BeautifulSoup, alts: dict[str, str]) -> int:
    """Replace the alt text of ``<figure id=label>``'s image for every label in ``alts``."""
    n = 0
    for label, text in alts.items():
        fig = soup.find("figure", id=re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-"))
        img = fig.find("img") if fig is not None else None
        if img is not None and text:
            img["alt"] = text
            n += 1
    return n


def finish_page(html: str, alts: dict[str, str] | None = None) -> str:
    """One built page with every step above applied."""
    soup = BeautifulSoup(html, "html.parser")
    tables(soup)
    buttons(soup)
    landmarks(soup)
    if alts:
        alt_text(soup, alts)
    return str(soup)


def load_alt_text(figures_dir: Path) -> dict[str, str]:
    """Alt text written by the chapters from their numbers (figure label -> text), if any."""
    path = Path(figures_dir) / ALT_TEXT_FILE
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    out = {str(k): str(v) for k, v in data.items()}
    for one in sorted((Path(figures_dir) / ALT_TEXT_DIR).glob("*.json")):
        item = json.loads(one.read_text(encoding="utf-8"))
        out[str(item["label"])] = str(item["text"])
    return out


def finish_book(html_dir: Path, figures_dir: Path) -> int:
    """Apply ``finish_page`` to every page of a built book in place; returns the pages done."""
    alts = load_alt_text(figures_dir)
    pages = [p for p in Path(html_dir).rglob("*.html") if "_static" not in p.parts]
    for page in pages:
        page.write_text(finish_page(page.read_text(encoding="utf-8"), alts), encoding="utf-8")
    return len(pages)
