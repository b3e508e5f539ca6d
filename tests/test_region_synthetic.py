"""A small synthetic region end to end: generate, run every authority in a process pool, compare.

The region is the default 8 authorities at a quarter of their size (0.06 to 0.75 times
Westmere) so that it runs in the default suite; the planted outliers (truth.json) must be
exactly the authorities the funnel plots put outside the 99.8% limits.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from cscbook.book.region import main as region_main
from cscbook.config.region import load_region
from cscbook.measures.compute import TABLE_COLUMNS
from cscbook.report.region import compare, comparison_measures, quarter_rows
from cscbook.synth.region import default_specs, synth_region


@pytest.fixture(scope="module")
def region_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("region")
    synth_region(root / "data", default_specs(size=0.25), workers=2)
    # a ninth authority whose extract is broken: one list that is not a CSV table
    broken = root / "data" / "broken" / "annex_a"
    broken.mkdir(parents=True)
    (broken / "List 1.csv").write_bytes(b"\x00\x01 not a table \xff\xfe")
    spec = yaml.safe_load((root / "data" / "region.yaml").read_text())
    for a in spec["authorities"]:
        a["annex_a"], a["ssda903"] = f"data/{a['annex_a']}", f"data/{a['ssda903']}"
    spec["authorities"].append({"name": "Broken", "annex_a": "data/broken/annex_a", "population_0_17": 5000})
    (root / "params").mkdir()
    (root / "params" / "region.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


@pytest.fixture(scope="module")
def ran(region_dir):
    """``cscbook region`` run once (the command's main, in this process; its pool has 2 workers)."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = region_main(argparse.Namespace(params=str(region_dir / "params" / "region.yaml"), quiet=True))
    region = load_region(region_dir / "params" / "region.yaml")
    return region, rc, err.getvalue()


def test_failing_authority_is_reported_and_the_rest_go_on(ran):
    region, rc, err = ran
    assert rc == 1  # an authority was left out
    assert "Broken was left out" in err
    out = region.reports_dir
    failures = pd.read_csv(out / "failures.csv")
    assert list(failures["authority"]) == ["Broken"] and failures["message"].iloc[0]
    table = pd.read_csv(out / "measures_by_authority.csv")
    assert sorted(table["authority"].unique()) == [f"Authority {c}" for c in "ABCDEFGH"]
    # aggregates only: the measures table's columns, nothing record-level
    assert list(table.columns) == ["authority", *TABLE_COLUMNS]


def test_funnel_plots_name_exactly_the_planted_outliers(region_dir, ran):
    region, _, _ = ran
    res = argparse.Namespace(table=pd.read_csv(region.reports_dir / "measures_by_authority.csv"))
    truth = json.loads((region_dir / "data" / "truth.json").read_text())
    for m in comparison_measures(region):
        rows = quarter_rows(res.table, m, region)
        fres, rows = compare(rows, m)
        found = {(r.authority, r.position) for r in rows.itertuples() if r.position in ("above", "below")}
        planted = {(o["name"], o["position"]) for o in truth["planted_outliers"].get(m.key, [])}
        assert found == planted, (m.key, fres.units[["name", "value", "lo998", "hi998"]] if fres else None)
    assert truth["planted_outliers"]["rereferral_12m"] == [{"name": "Authority D", "position": "above"}]
    assert truth["planted_outliers"]["assessment_45wd"] == [{"name": "Authority B", "position": "below"}]


def test_region_book_names_the_outliers(region_dir, ran):
    out = region_dir / "reports" / "region" / "2024-25-Q3"
    html = out / "book" / "_build" / "html"
    index = BeautifulSoup((html / "index.html").read_text(), "html.parser")
    assert "Broken:" in index.get_text() and "8 of 9 authorities compared" in index.get_text()
    findings = [
        li.get_text(" ", strip=True) for li in index.find("section", id="key-findings").find_all("li")
    ]
    outside = [f for f in findings if not f.endswith("no authority outside the 99.8% limits.")]
    assert len(outside) == 2
    assert outside[0].startswith("Re-referrals within 12 months : Authority D ") and outside[0].endswith(
        "above (worse)."
    )
    assert outside[1].startswith("Assessments completed within 45 working days : Authority B ")
    assert outside[1].endswith("below (worse).")
    page = (html / "rereferral_12m.html").read_text()
    assert "Outside the 99.8% limits around the regional value" in page and "Authority D" in page
    assert (html / "_images" / "rereferral_12m_funnel.png").stat().st_size > 1000
    assert not (out / "index.html").exists()
    outliers = pd.read_csv(out / "outliers.csv").set_index("key")
    assert outliers.loc["rereferral_12m", "outside_99_8"] == "Authority D (above)"
    assert outliers.loc["assessment_45wd", "outside_99_8"] == "Authority B (below)"


def test_national_region_specs_are_realistic_and_plant_two_outliers():
    """The national region's authorities (cscbook synth-region --authorities 150), without generating them."""
    from cscbook.synth.region import national_specs, truth

    specs = national_specs(150)
    pops = pd.Series([s.population_0_17 for s in specs])
    assert len(specs) == 150 and len({s.slug for s in specs}) == 150 and len({s.seed for s in specs}) == 150
    assert abs(sum(s.scale for s in specs) - 225) < 0.1  # about 225 times Westmere in all
    assert (
        pops.min() > 5_000 and pops.max() <= 6.5 * 53_000
    )  # the smallest and largest English authorities' order
    info = truth(specs, "2025-03-31")
    assert info["planted_outliers"] == {"rereferral_12m": [{"name": "Authority 020", "position": "above"}],
                                        "assessment_45wd": [{"name": "Authority 010", "position": "below"}]}  # fmt: skip
    assert national_specs(150) == specs  # the same sizes and seeds every time


def test_synth_region_rejects_too_few_authorities(capsys):
    from cscbook.cli import main as cli_main

    assert cli_main(["synth-region", "--authorities", "2", "--out", "/nonexistent/x"]) == 2
    assert "--authorities must be 3 or more" in capsys.readouterr().err
