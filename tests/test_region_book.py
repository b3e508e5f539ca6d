"""The regional book built for real (jupyter-book, strict) from a hand-made measures table, then
looked at in headless Chromium at a phone's and a laptop's width, with axe-core.

Eight authorities on two measures with the same numbers: six at 200 of 400 (50%), Hexham at 280
of 400 (70%) and Barton at 3 of 7 (42.9%, withheld: a count below 5). Regional value: (6 x 200 +
280 + 3) / (7 x 400 + 7) = 1483 / 2807 = 52.8%. Binomial sd at 400 is sqrt(0.528 x 0.472 / 400) =
0.025, so the 99.8% limits are about 52.8% +/- 7.7 points: Hexham (z = 6.9) is above them, the
others (z = -1.13) within. Dispersion: z winsorised at the 10th/90th percentiles gives phi = 1.35,
8 x 1.35 = 10.8 against chi-square(7), p = 0.15: no widening. So exactly Hexham is outside, on
re-referrals (lower is better: "worse") and on contacts leading to a referral (neither direction
is better: not ranked, no "worse"). A ninth authority, Broken, failed to read; a tenth, Faulty, met
a fault in cscbook whose message quotes a child's identifier.

Never skipped (as tests/test_accessibility.py): Chromium, ChromeDriver and axe-core are part of
the test environment.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from cscbook.book import accessibility as a11y
from cscbook.book.region import build_book
from cscbook.config.params import Params
from cscbook.config.region import RegionParams
from cscbook.methods.intervals import wilson

END = pd.Timestamp("2024-12-31")
MEASURES = ("rereferral_12m", "contact_referral_30d")
SIX = ["Ashby", "Corby", "Denton", "Epping", "Fenwick", "Garston"]
PAGES = ["index", *MEASURES, "methods"]


def _table() -> pd.DataFrame:
    quarter = [(n, 200, 400) for n in SIX] + [("Hexham", 280, 400), ("Barton", 3, 7)]
    rows = []
    for key in MEASURES:
        for name, num, den in quarter:
            rows.append({"authority": name, "key": key, "period_type": "quarter", "period_start": "2024-10-01",
                         "period_end": "2024-12-31", "numerator": num, "denominator": den, "value": num / den})  # fmt: skip
        for month in pd.date_range("2024-07-01", "2024-12-01", freq="MS"):  # a trend: 50% to 70% each month
            for name, num, den in quarter[:-1]:
                rows.append({"authority": name, "key": key, "period_type": "month", "period_start": month,
                             "period_end": month + pd.offsets.MonthEnd(0), "numerator": num / 3,
                             "denominator": den / 3, "value": num / den})  # fmt: skip
    out = pd.DataFrame(rows)
    out["ci_low"], out["ci_high"] = wilson(out["numerator"].to_numpy(), out["denominator"].to_numpy())
    return out


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple[Path, float]:
    root = tmp_path_factory.mktemp("regionbook")
    names = [*SIX, "Hexham", "Barton", "Broken", "Faulty"]
    auths = tuple(Params(authority=n, period_end=END, annex_a=(), ssda903=(), population_0_17=10_000,
                         project_root=root, source_file=root / "r.yaml") for n in names)  # fmt: skip
    region = RegionParams("Test region", END, auths, root, root / "r.yaml", min_cell=5, measures=MEASURES,
                          synthetic=True)  # fmt: skip
    failures = pd.DataFrame({"authority": ["Broken", "Faulty"], "fault": [False, True],
                             "message": ["List 1.csv is not a table: fix it",
                                         "cscbook failed on this extract (ValueError: 'C1234' is not a date)"]})  # fmt: skip
    index, seconds = build_book(region, _table(), failures)
    return index.parent, seconds


def _soup(html: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def test_book_has_its_pages_and_builds_fast(book):
    html, seconds = book
    assert html.parts[-4:] == ("2024-25-Q3", "book", "_build", "html")
    assert all((html / f"{p}.html").is_file() for p in PAGES)
    assert seconds < 60  # about 2 s on the 2-core machine; the bound only catches a runaway build
    nav = [a.get_text(strip=True) for a in _soup(html, "index").select("nav.bd-docs-nav a")]
    assert nav == [
        "Re-referrals within 12 months",
        "Contacts leading to a referral within 30 days",
        "Methods",
    ]


def test_index_names_exactly_the_outliers_and_who_was_left_out(book):
    html, _ = book
    page = _soup(html, "index")
    findings = page.find("section", id="key-findings").find_all("li")
    assert [li.get_text(" ", strip=True) for li in findings] == [
        "Re-referrals within 12 months : Hexham 70.0%, above (worse).",
        "Contacts leading to a referral within 30 days : Hexham 70.0%, above.",
    ]
    text = page.get_text(" ", strip=True)
    assert "Synthetic data." in text
    assert "8 of 10 authorities compared" in text
    assert "Broken: List 1.csv is not a table: fix it" in text  # the extract's problem, as reported
    # a fault in cscbook may quote the data (a child's identifier here): readers are told only that it failed
    assert "Faulty: cscbook failed on this extract; the details for the analyst are in the run" in text
    assert "C1234" not in text


def test_measure_pages_show_table_figure_and_no_withheld_value(book):
    html, _ = book
    rr = _soup(html, "rereferral_12m")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in rr.select("table tbody tr")]
    assert [r[0] for r in rows] == [*SIX, "Hexham", "Barton"]  # best (lowest) first; withheld last
    assert rows[-1] == ["Barton", "withheld", "", "", "not compared: a count below 5", ""]
    assert rows[0][2] == "45.1% to 54.9%"  # Wilson 95% for 200 of 400
    assert rows[-2][4] == "above the 99.8% limits" and rows[-2][5].startswith("7 (")
    funnel = rr.find("img", src="_images/rereferral_12m_funnel.png")
    assert funnel["alt"].endswith("Outside the 99.8% limits: Hexham (above).")
    assert rr.find("img", src="_images/rereferral_12m_trend.png") is not None
    cr = _soup(html, "contact_referral_30d")
    ranks = {tr.find_all("td")[5].get_text(strip=True) for tr in cr.select("table tbody tr")[:-1]}
    assert ranks == {"not ranked: neither higher nor lower is better"}
    # Barton's 3 of 7 (42.9%) appears nowhere: not its value, not its interval, not its count
    for p in PAGES:
        text = _soup(html, p).get_text(" ", strip=True)
        assert "42.9" not in text and "Barton 3" not in text, p


def test_tables_scroll_in_their_own_box_on_a_phone_and_fit_a_laptop(book):
    html, _ = book
    measure = (html / "rereferral_12m.html").resolve().as_uri()
    for width in (390, 1366):
        with a11y.chromium(width) as driver:
            driver.get(measure)
            page_w, view_w = driver.execute_script(
                "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert page_w <= view_w, width  # the page itself never scrolls sideways
            box = driver.execute_script(
                "const b = document.querySelector('.cscbook-scroll');"
                "return [b.scrollWidth, b.clientWidth, getComputedStyle(b).overflowX,"
                " getComputedStyle(b.querySelector('td')).position]"
            )
            if width == 390:
                assert box[0] > box[1] and box[2] == "auto" and box[3] == "sticky"  # scrolls; names stay
            else:
                assert box[0] <= box[1], box  # the whole table is seen on a laptop


def test_no_accessibility_violations(book):
    html, _ = book
    found = a11y.audit(html)
    serious = found[found["impact"].isin(["serious", "critical"])]
    assert serious.empty, serious.to_string()
