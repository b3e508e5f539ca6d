"""The regional report's pieces on hand-made measures tables (cscbook.report.region)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cscbook.config.params import Params
from cscbook.config.region import RegionParams
from cscbook.measures.registry import get
from cscbook.report.region import (
    NOT_RANKED,
    compare,
    md,
    outlier_words,
    quarter_rows,
    rank_sentence,
    regional_trend,
    table_cells,
)

END = pd.Timestamp("2024-12-31")


def _region(names: list[str], pops: list[int], min_cell: int = 5) -> RegionParams:
    root = Path("/nonexistent")
    auths = tuple(Params(authority=n, period_end=END, annex_a=(), ssda903=(), population_0_17=p, project_root=root,
                         source_file=root / "r.yaml") for n, p in zip(names, pops, strict=True))  # fmt: skip
    return RegionParams("R", END, auths, root, root / "r.yaml", min_cell=min_cell)


def _table(key: str, rows: list[tuple]) -> pd.DataFrame:
    """Quarter rows (authority, numerator, denominator, value) for the quarter ending END, plus a
    row for last quarter that must be ignored."""
    out = []
    for name, num, den, value in rows:
        base = {"authority": name, "key": key, "period_type": "quarter", "numerator": num, "denominator": den,
                "value": value, "ci_low": np.nan, "ci_high": np.nan}  # fmt: skip
        out.append({**base, "period_end": "2024-12-31"})
        out.append({**base, "period_end": "2024-09-30", "value": 0.99})
    return pd.DataFrame(out)


def test_small_counts_are_withheld_and_unavailable_said_so():
    m = get("rereferral_12m")
    region = _region(["A", "B", "C", "D", "E"], [1000] * 5)
    t = _table(m.key, [("A", 40, 100, 0.4), ("B", 3, 10, 0.3), ("C", 7, 10, 0.7), ("D", 0, 20, 0.0),
                       ("E", np.nan, np.nan, np.nan)])  # fmt: skip
    rows = quarter_rows(t, m, region).set_index("authority")
    # B: 3 re-referrals (< 5) withheld; C: 7 of 10, so 3 not re-referred (< 5) withheld; D: 0 is not disclosive
    assert list(rows["shown"]) == [True, False, False, True, False]
    assert rows.loc["B", "note"] == "withheld: a count below 5"
    assert rows.loc["E", "note"] == "not available in this extract"
    assert rows.loc["A", "value"] == 0.4  # this quarter's row, not last quarter's


def test_a_rate_per_10000_uses_the_population_and_a_poisson_interval():
    m = get("cla_rate_per_10k")
    region = _region(["A", "B", "C"], [10_000, 20_000, 40_000])
    t = _table(
        m.key, [("A", np.nan, np.nan, 90.0), ("B", np.nan, np.nan, 95.0), ("C", np.nan, np.nan, 100.0)]
    )
    rows = quarter_rows(t, m, region).set_index("authority")
    # 90 per 10,000 of 10,000 children = 90 children; 95 per 10,000 of 20,000 = 190; 100 of 40,000 = 400
    assert list(rows["numerator"]) == [90, 190, 400]
    assert rows.loc["A", "value"] == pytest.approx(0.009)  # per child
    # exact Poisson 95% interval for 90 events: chi2(0.025, 180) / 2 = 72.37 to chi2(0.975, 182) / 2 = 110.63
    assert rows.loc["A", "ci_low"] * 10_000 == pytest.approx(72.37, abs=0.01)
    assert rows.loc["A", "ci_high"] * 10_000 == pytest.approx(110.63, abs=0.01)


def test_outliers_named_in_words_with_better_or_worse():
    # as tests/test_funnel_limits.py: 7 authorities at 200/400 and one at 280/400, which is above the
    # 99.8% limits; re-referrals: higher is worse
    m = get("rereferral_12m")
    names = [f"U{i}" for i in range(8)]
    region = _region(names, [1000] * 8)
    t = _table(m.key, [(n, 200, 400, 0.5) for n in names[:7]] + [("U7", 280, 400, 0.7)])
    res, rows = compare(quarter_rows(t, m, region), m)
    words = outlier_words(res, rows, m)
    assert words.startswith(
        "Outside the 99.8% limits around the regional value of 52.5%: U7 70.0%, above (worse)."
    )
    ranks = rows.set_index("authority")
    assert ranks.loc["U7", "rank"] == 8 and ranks.loc["U7", "rank_low"] == 8  # the worst, certainly
    assert (
        ranks.loc["U0", "rank_low"] == 1 and ranks.loc["U0", "rank_high"] == 7
    )  # the other seven: any order


def test_every_authority_within():
    m = get("assessment_45wd")
    region = _region(["A", "B", "C"], [1000] * 3)
    t = _table(m.key, [("A", 80, 100, 0.8), ("B", 160, 200, 0.8), ("C", 240, 300, 0.8)])
    res, rows = compare(quarter_rows(t, m, region), m)
    assert outlier_words(res, rows, m).startswith("Every authority is within the 99.8% limits around the "
                                                  "regional value of 80.0%")  # fmt: skip


def test_markdown_escaping_of_names_and_messages():
    assert md("St. Helens") == "St. Helens"
    assert md("Brighton & Hove") == "Brighton \\& Hove"
    assert md("A|B *x* $1 [y](z) {r}") == "A\\|B \\*x\\* \\$1 \\[y\\](z) \\{r\\}"
    assert md("- x") == "\\- x" and md("12. Foo") == "12\\. Foo" and md("> q") == "\\> q"
    assert md("two\nlines") == "two lines"


def test_a_measure_where_neither_direction_is_better_is_not_ranked():
    # contacts leading to a referral: neither more nor fewer is better (higher_is_better None).
    # 7 authorities at 200/400 and U7 at 280/400 (above the 99.8% limits, as in the test above)
    m = get("contact_referral_30d")
    assert m.higher_is_better is None
    names = [f"U{i}" for i in range(8)]
    t = _table(m.key, [(n, 200, 400, 0.5) for n in names[:7]] + [("U7", 280, 400, 0.7)])
    res, rows = compare(quarter_rows(t, m, _region(names, [1000] * 8)), m)
    assert rows[["rank", "rank_low", "rank_high"]].isna().all().all()
    words = outlier_words(res, rows, m)
    assert "U7 70.0%, above." in words and "better" not in words and "worse" not in words
    cells = table_cells(rows, m)
    assert list(cells["Authority"]) == ["U7", *names[:7]]  # by value, highest first; ties by name
    assert set(cells["Rank (95% interval)"]) == {NOT_RANKED}
    assert "not ranked" in rank_sentence(m)
    # the same numbers on re-referrals (lower is better): ranked, lowest first, and called worse
    r = get("rereferral_12m")
    res, rows = compare(quarter_rows(t.assign(key=r.key), r, _region(names, [1000] * 8)), r)
    assert "U7 70.0%, above (worse)" in outlier_words(res, rows, r)
    assert list(table_cells(rows, r)["Authority"]) == [*names[:7], "U7"]


def test_a_withheld_authority_is_listed_last_and_out_of_the_ranks():
    # re-referrals (lower is better): A 40%, C 60%, D 50%, E 45% of 100; B 3 of 7 (42.9%) withheld; F none.
    # Shown best first: A, E, D, C; then B and F by name with only the reason. Ranked among the four shown, so A is
    # 1, E 2 (with B ranked, E would be 3 and B's place would give its value away).
    m = get("rereferral_12m")
    region = _region(["A", "B", "C", "D", "E", "F"], [1000] * 6)
    t = _table(m.key, [("A", 40, 100, 0.4), ("B", 3, 7, 3 / 7), ("C", 60, 100, 0.6), ("D", 50, 100, 0.5),
                       ("E", 45, 100, 0.45), ("F", np.nan, np.nan, np.nan)])  # fmt: skip
    _, rows = compare(quarter_rows(t, m, region), m)
    cells = table_cells(rows, m)
    assert list(cells["Authority"]) == ["A", "E", "D", "C", "B", "F"]
    assert [v.split(" ")[0] for v in cells["Rank (95% interval)"][:4]] == ["1", "2", "3", "4"]
    assert list(cells.iloc[4]) == ["B", "withheld", "", "", "not compared: a count below 5", ""]
    assert list(cells.iloc[5]) == ["F", "not available", "", "", "not compared: not in this extract", ""]
    assert list(cells["Value"][:4]) == ["40.0%", "45.0%", "50.0%", "60.0%"]


def test_regional_trend_of_a_rate_is_per_child_and_withholds_small_counts():
    # December 2024: A 90 per 10,000 of 10,000 children (90 children), B 100 of 20,000 (200),
    # C 30 of 1,000 (3 children: withheld, so not in the median or range)
    m = get("cla_rate_per_10k")
    region = _region(["A", "B", "C"], [10_000, 20_000, 1_000])
    t = pd.DataFrame({"authority": ["A", "B", "C"], "key": m.key, "period_type": "month",
                      "period_start": "2024-12-01", "value": [90.0, 100.0, 30.0]})  # fmt: skip
    trend = regional_trend(t, m, region).iloc[0]
    assert trend["authorities"] == 2
    assert trend["median"] == pytest.approx(0.0095)
    assert (trend["low"], trend["high"]) == (pytest.approx(0.009), pytest.approx(0.010))
