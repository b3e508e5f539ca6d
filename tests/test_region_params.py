"""Region parameter files (cscbook.config.region): validation with clear messages, exit 2 from the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cscbook.cli import main as cli_main
from cscbook.config.errors import UserError
from cscbook.config.region import load_region


def _project(tmp_path: Path, text: str) -> Path:
    for name in ("north", "south", "east"):
        (tmp_path / "data" / name / "annex_a").mkdir(parents=True)
    (tmp_path / "params").mkdir()
    path = tmp_path / "params" / "region.yaml"
    path.write_text(text)
    return path


GOOD = """
region: Test region
period_end: 2024-12-31
disclosure: {min_cell: 3}
workers: 1
measures: [rereferral_12m]
authorities:
  - {name: North, annex_a: data/north/annex_a, population_0_17: 1000}
  - {name: South, annex_a: data/south/annex_a, population_0_17: 2000, targets: {assessment_45wd: 0.8}}
  - {name: East, annex_a: [data/east/annex_a], population_0_17: 3000}
"""


def test_a_good_file_gives_one_params_per_authority(tmp_path):
    region = load_region(_project(tmp_path, GOOD))
    assert region.region == "Test region" and region.quarter == "2024-25-Q3"
    assert [a.authority for a in region.authorities] == ["North", "South", "East"]
    south = region.authorities[1]
    assert south.population_0_17 == 2000 and south.targets == {"assessment_45wd": 0.8}
    assert south.annex_a == ((tmp_path / "data" / "south" / "annex_a").resolve(),)
    assert south.period_end == pd.Timestamp("2024-12-31") and south.min_cell == 3
    assert region.measures == ("rereferral_12m",) and region.max_workers == 1
    assert region.reports_dir == tmp_path / "reports" / "region" / "2024-25-Q3"


def test_every_problem_is_reported_together_naming_its_key(tmp_path):
    bad = """
region: Test region
period_end: 2024-12-30
colour: blue
authorities:
  - {name: North, annex_a: data/north/annex_a, population_0_17: 0}
  - {name: North, annex_a: data/nowhere, population_0_17: 2000}
  - {name: East, population_0_17: 3000, targets: {assessment_45wd: 85}}
"""
    with pytest.raises(UserError) as exc:
        load_region(_project(tmp_path, bad))
    msg = str(exc.value)
    assert "region.yaml has 7 problems" in msg
    for part in ["key 'colour' is not a known region setting",
                 "key 'period_end' is 2024-12-30, not a quarter end",
                 "key 'authorities[0].population_0_17' must be a positive number of children",
                 "key 'authorities[1].name' repeats 'North' (authorities[0])",
                 "key 'authorities[1].annex_a' names data/nowhere, which does not exist",
                 "key 'authorities[2].annex_a' is missing (and so is 'ssda903')",
                 "key 'authorities[2].targets.assessment_45wd' is 85, not a proportion"]:  # fmt: skip
        assert part in msg, part


def test_an_authority_is_checked_as_a_quarters_parameter_file_is(tmp_path):
    """Keys of a quarter's file work inside an authority, with the same checks; the region-wide
    keys may not be set per authority."""
    text = GOOD.replace(
        "  - {name: East, annex_a: [data/east/annex_a], population_0_17: 3000}",
        "  - {name: East, annex_a: [data/east/annex_a], population_0_17: 3000, period_end: 2024-09-30,\n"
        "     practice_standards: {cla_visit_days: -1}, notebook_timeout: 0, interventions: [{name: x}]}",
    )
    with pytest.raises(UserError) as exc:
        load_region(_project(tmp_path, text))
    msg = str(exc.value)
    assert "has 4 problems" in msg
    for part in ["key 'authorities[2].period_end' is set once for the whole region",
                 "key 'authorities[2].practice_standards.cla_visit_days'",
                 "key 'authorities[2].notebook_timeout' must be a positive number of seconds",
                 "key 'authorities[2].interventions[0]' needs a name and a date"]:  # fmt: skip
        assert part in msg, part
    ok = load_region(_project(tmp_path / "ok", GOOD.replace("population_0_17: 3000}", "population_0_17: 3000, "
                                                            "practice_standards: {cla_visit_days: 28}}")))  # fmt: skip
    assert ok.authorities[2].practice_standards["cla_visit_days"] == 28
    assert ok.authorities[0].practice_standards["cla_visit_days"] == 42  # the default


def test_fewer_than_three_authorities_and_impossible_date(tmp_path):
    text = "region: R\nperiod_end: 2024-02-30\nauthorities:\n  - {name: A, annex_a: data/north/annex_a, population_0_17: 5}\n"
    with pytest.raises(UserError) as exc:
        load_region(_project(tmp_path, text))
    assert "must list at least 3 authorities" in str(exc.value)
    assert "February 2024 has 29 days" in str(exc.value)


def test_cli_exits_2_with_a_message_and_no_traceback(tmp_path, capsys):
    path = _project(tmp_path, GOOD.replace("measures: [rereferral_12m]", "measures: [no_such_measure]"))
    assert cli_main(["region", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cscbook region:" in err and "no_such_measure" in err and "Traceback" not in err
    assert cli_main(["region", str(tmp_path / "missing.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_run_region_takes_any_executor_and_reports_each_failure(tmp_path):
    # the three authorities' Annex A folders are empty: each fails with the reader's message, none stops the run
    from concurrent.futures import ThreadPoolExecutor

    from cscbook.book.region import run_region

    region = load_region(_project(tmp_path, GOOD))
    with ThreadPoolExecutor(max_workers=2) as pool:
        res = run_region(region, executor=pool)
    assert list(res.failures["authority"]) == ["North", "South", "East"]
    assert res.failures["message"].str.len().min() > 20
    assert res.table.empty and list(res.timings["authority"]) == ["North", "South", "East"]
