"""Accessibility: the finishing of built pages (hand-made HTML), and axe-core in headless Chromium
on hand-made pages and on every page of the built example book at 390 and 1366 px.

Never skipped: Chromium, ChromeDriver and axe-core are installed by ``make test`` (as root:
``apt-get install chromium chromium-driver``; ``npm ci`` for axe-core), so a machine without
them fails here rather than passing silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from cscbook.book import accessibility as a11y
from cscbook.book import html as finish

PANDAS_TABLE = """<html lang="en"><head><title>t</title></head><body><main><article>
<h2>Funnel</h2>
<table class="dataframe"><thead>
<tr><th></th><th>number</th><th>rate</th></tr>
<tr><th>stage</th><th></th><th></th></tr>
</thead><tbody><tr><th>Contacts</th><td>3,112</td><td>29%</td></tr></tbody></table>
<table><thead><tr><th></th><th>value</th></tr></thead><tbody><tr><th>a</th><td>1</td></tr></tbody></table>
</article></main></body></html>"""

BUTTONS = """<html lang="en"><head><title>t</title></head><body><main>
<button class="theme-switch-button" aria-label="Color mode"><i class="fa" title="Light"></i><i class="fa" title="Dark">
</i></button>
<button class="search-button-field" aria-label="Search"><span>Search</span> <kbd>Ctrl</kbd>+<kbd>K</kbd></button>
<button aria-label="Site navigation"><span class="fa-bars"></span></button>
</main></body></html>"""


def test_pandas_index_name_row_is_merged_and_tables_captioned_and_boxed() -> None:
    soup = BeautifulSoup(PANDAS_TABLE, "html.parser")
    assert finish.tables(soup) == 2
    first, second = soup.find_all("table")
    head = first.find("thead").find_all("tr")
    assert len(head) == 1 and [th.get_text() for th in head[0].find_all("th")] == ["stage", "number", "rate"]
    assert all(th["scope"] == "col" for th in head[0].find_all("th"))
    assert first.select_one("tbody th")["scope"] == "row"
    assert first.caption.get_text() == "Table 1: Funnel" and second.caption.get_text() == "Table 2: Funnel"
    corner = second.find("th")  # no index name: hidden text, never an empty header cell
    assert corner.get_text() == "Row" and corner.span["class"] == ["visually-hidden"]
    box = first.parent
    assert box["class"] == ["cscbook-scroll"] and box["role"] == "region" and box["tabindex"] == "0"
    assert box["aria-label"] == "Table 1: Funnel (scrolls sideways)"
    finish.tables(soup)  # a second pass changes nothing
    assert len(soup.select(".cscbook-scroll")) == 2 and len(soup.find_all("caption")) == 2


def test_buttons_are_named_by_their_visible_text() -> None:
    soup = BeautifulSoup(BUTTONS, "html.parser")
    finish.buttons(soup)
    theme, search, nav = soup.find_all("button")
    assert theme["aria-label"] == "Color mode"
    assert all(not i.has_attr("title") and i["aria-hidden"] == "true" for i in theme.find_all("i"))
    assert search["aria-label"] == "Search Ctrl+K"
    assert nav["aria-label"] == "Site navigation"  # icon only: the label stays


def test_sidebar_landmark_and_alt_text(tmp_path: Path) -> None:
    page = ('<div class="bd-sidebar-primary"><a>Title</a></div><article>'
            '<figure id="fd-contacts"><img alt="Line chart" src="x.png"/></figure></article>')  # fmt: skip
    (tmp_path / "alt_text.json").write_text(
        json.dumps({"fd_contacts": "Contacts rose above the usual range."})
    )
    out = BeautifulSoup(finish.finish_page(page, finish.load_alt_text(tmp_path)), "html.parser")
    assert out.find("div")["role"] == "navigation" and out.find("div")["aria-label"] == "Book contents"
    assert out.find("img")["alt"] == "Contacts rose above the usual range."
    assert finish.load_alt_text(tmp_path / "none") == {}


def _violations(tmp_path: Path, html: str, width: int) -> dict[str, str]:
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    found = a11y.audit(tmp_path, widths=(width,))
    return dict(zip(found["rule"], found["impact"], strict=True))


def test_axe_in_chromium_finds_problems_and_the_finishing_fixes_them(tmp_path: Path) -> None:
    before = _violations(tmp_path, BUTTONS.replace("</main>", PANDAS_TABLE.split("<main>")[1].split("</main>")[0]
                                                   + "</main>"), 390)  # fmt: skip
    assert before.get("label-content-name-mismatch") == "serious"
    assert "empty-table-header" in before
    fixed = finish.finish_page(
        BUTTONS.replace("<main>", "<main><article>").replace("</main>", "</article></main>")
    )
    fixed = finish.finish_page(fixed.replace("</article>", PANDAS_TABLE.split("<article>")[1].split("</article>")[0]
                                             + "</article>"))  # fmt: skip
    after = _violations(tmp_path, fixed, 390)
    assert "label-content-name-mismatch" not in after and "empty-table-header" not in after, after


def test_missing_axe_is_a_clear_message(tmp_path: Path) -> None:
    from cscbook.config.errors import UserError

    with pytest.raises(UserError, match="npm ci"):
        a11y.axe_script(tmp_path / "axe.min.js")


@pytest.mark.e2e
def test_every_page_of_the_book_has_no_serious_or_critical_violation(book) -> None:
    pages = a11y.book_pages(book["html"])
    assert len(pages) >= 8  # landing page, summary, chapters, appendices, search, index
    found = a11y.audit(book["html"])
    bad = found[found["impact"].isin(["serious", "critical"])]
    assert bad.empty, bad[["page", "width", "rule", "impact", "nodes", "example"]].to_string()
    # and the lesser problems this book once had stay fixed (content outside landmarks, empty
    # header cells from pandas index names, tables without captions)
    again = found[
        found["rule"].isin(["region", "empty-table-header", "table-fake-caption", "th-has-data-cells"])
    ]
    assert again.empty, again[["page", "width", "rule", "impact", "example"]].to_string()


def test_figures_are_legible_at_phone_width_with_no_legend_over_data(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    from cscbook.report import outputs

    fig, ax = plt.subplots(figsize=(9, 4))
    x = np.arange(60)
    ax.plot(x, 100 + x, label="average")
    ax.plot(x, 120 + x, "--", label="control limits")
    ax.legend(fontsize=8, loc="upper left")  # over the data
    ax.set_yticks([110, 140], ["Primary need: N4 family in acute stress and more words", "short"])
    ax.set_title("A title", fontsize=9)
    outputs.legible(fig)
    assert fig.get_size_inches()[0] <= outputs.FIGURE_WIDTH_IN
    floor = outputs.min_font_pt(outputs.FIGURE_WIDTH_IN)
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize"))]
    assert min(sizes) >= floor  # >= 12 px when the figure is shown 358 px wide
    assert ax.get_legend() is None and len(fig.legends) == 1
    renderer = fig.canvas.get_renderer()
    legend_box = fig.legends[0].get_window_extent(renderer)
    assert legend_box.y1 <= ax.get_tightbbox(renderer).y0 + 1  # under the axes and their labels
    assert "\n" in ax.get_yticklabels()[0].get_text()  # the long category label is wrapped
    out = tmp_path / "f.png"
    fig.savefig(out, dpi=100, bbox_inches="tight")
    width_in = Image.open(out).size[0] / 100
    assert min(sizes) * 358 / (72 * width_in) >= 12  # the smallest text, as drawn at phone width (px)
    assert outputs.legible(fig) is fig  # idempotent


def test_alt_text_states_the_message_of_a_control_chart(tmp_path: Path) -> None:
    import pandas as pd

    from cscbook.config.params import load_params
    from cscbook.report import outputs

    months = pd.date_range("2024-01-01", periods=12, freq="MS")
    # average 300, limits 250-350; June to December below the lower limit (special cause, down)
    value = [300, 310, 290, 305, 295, 240, 230, 235, 228, 220, 225, 232]
    chart = pd.DataFrame({"value": value, "centre": 300.0, "lcl": 250.0, "ucl": 350.0,
                          "special_cause": [False] * 5 + [True] * 7, "direction": [0] * 5 + [-1] * 7},
                         index=months)  # fmt: skip
    assert outputs.spc_alt_text(chart, "Referrals") == (
        "Referrals fell below the usual range from June to December 2024. "
        "Latest month (December 2024): 232; average 300."
    )
    calm = chart.assign(special_cause=False, direction=0)
    assert outputs.spc_alt_text(calm, "Referrals").startswith("Referrals stayed within the usual range")
    rate = chart.assign(value=[v / 1000 for v in value], centre=0.3, lcl=0.25, ucl=0.35)
    rate.loc[months[5:8], "value"] = 0.28  # a run below the average, inside the limits
    rate["special_cause"] = [False] * 5 + [True] * 3 + [False] * 4
    rate["direction"] = [0] * 5 + [-1] * 3 + [0] * 4
    assert outputs.spc_alt_text(rate, "Re-referrals", percent=True) == (
        "Re-referrals ran below the average from June to August 2024. "
        "Latest month (December 2024): 23.2%; average 30.0%."
    )
    (tmp_path / "params").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a\n1\n")
    (tmp_path / "params" / "q.yaml").write_text(
        'authority: "T"\nperiod_end: 2024-12-31\nannex_a: [data]\npopulation_0_17: 10\n'
    )
    params = load_params(tmp_path / "params" / "q.yaml")
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots()
    outputs.save_figure(fig, params, "front_door_referrals", alt="Referrals fell.", label="fd_referrals")
    assert (params.figures_dir / "front_door_referrals.png").is_file()
    outputs.record_alt_text(params, "fd_contacts", "Contacts  rose.\n")
    assert finish.load_alt_text(params.figures_dir) == {
        "fd_contacts": "Contacts rose.",
        "fd_referrals": "Referrals fell.",
    }


def test_alt_text_of_each_figure_is_its_own_file(tmp_path: Path) -> None:
    """Chapters run side by side: each figure's alt text is written whole to its own file, and the
    book build reads them all (a shared file read and rewritten by two kernels broke a run)."""
    from conftest import make_params

    from cscbook.report import outputs

    params = make_params(project_root=tmp_path)
    outputs.record_alt_text(params, "fd_contacts", "Contacts rose  above the usual range.")
    outputs.record_alt_text(params, "rr_fig_rate", "Re-referrals stayed within the usual range.")
    outputs.record_alt_text(params, "fd_contacts", "Contacts stayed within the usual range.")
    assert finish.load_alt_text(params.figures_dir) == {
        "fd_contacts": "Contacts stayed within the usual range.",
        "rr_fig_rate": "Re-referrals stayed within the usual range.",
    }
    assert not list(params.figures_dir.rglob("*.tmp"))
