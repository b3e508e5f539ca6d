"""Parameter errors through the real command line: exit status 2, the key named, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cscbook.config.params import load_params

GOOD = """\
authority: "Testshire (synthetic)"
synthetic: true
period_end: 2024-12-31
annex_a: [data/annex_a]
population_0_17: 1000
targets: {assessment_45wd: 0.85}
interventions: [{name: edge_of_care, date: 2023-04-01, description: test}]
disclosure: {min_cell: 5}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "params").mkdir()
    (tmp_path / "data" / "annex_a").mkdir(parents=True)
    return tmp_path


def write(project: Path, text: str) -> Path:
    path = project / "params" / "q.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cscbook.cli", "run", str(path), "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_good_file_loads(project: Path) -> None:
    p = load_params(write(project, GOOD))
    assert p.quarter == "2024-25-Q3"
    assert p.annex_a == ((project / "data" / "annex_a").resolve(),)
    assert p.interventions[0].date == pytest.importorskip("pandas").Timestamp("2023-04-01")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("population_0_17: 1000", "population_0_17: 1000\ncolour: blue"), "colour"),  # unknown key
        (("population_0_17: 1000", "population_0_17: many"), "population_0_17"),  # wrong type
        (("annex_a: [data/annex_a]", "annex_a: [data/not_there]"), "annex_a"),  # missing file
        (("period_end: 2024-12-31", "period_end: 2024-02-30"), "period_end"),  # impossible date
        (("period_end: 2024-12-31", "period_end: 2024-13-31"), "period_end"),  # impossible month
        (("period_end: 2024-12-31", "period_end: 2024-11-30"), "period_end"),  # not a quarter end
        (("date: 2023-04-01", "date: 2023-02-29"), "interventions[0].date"),  # impossible date
        (("assessment_45wd: 0.85", "assessment_45wd: 85"), "targets.assessment_45wd"),  # not a proportion
        (("min_cell: 5", "min_cell: five"), "disclosure.min_cell"),
    ],
)
def test_bad_parameter_exits_2_naming_the_key(project: Path, change: tuple[str, str], key: str) -> None:
    old, new = change
    assert old in GOOD
    res = run_cli(write(project, GOOD.replace(old, new)))
    assert res.returncode == 2, res.stderr
    assert f"'{key}'" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert res.stderr.startswith("cscbook run: ")


def test_missing_parameter_file(tmp_path: Path) -> None:
    res = run_cli(tmp_path / "params" / "nope.yaml")
    assert res.returncode == 2
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_repository_parameter_files_are_valid(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    q4 = load_params(root / "params" / "example.yaml")
    assert (
        q4.quarter == "2024-25-Q4"
        and q4.synthetic
        and q4.authority == "Westmere (synthetic example authority)"
    )
    # the previous quarter's file differs only in its period end and its own extract (made by make synth-quarters)
    (tmp_path / "params").mkdir()
    text = (
        (root / "params" / "2024-25-Q3.yaml")
        .read_text()
        .replace("data/local/synthetic/2024-12-31/", f"{root}/data/synthetic/")
    )
    (tmp_path / "params" / "q3.yaml").write_text(
        text.replace("data/synthetic/local_measures", f"{root}/data/synthetic/local_measures")
    )
    q3 = load_params(tmp_path / "params" / "q3.yaml")
    assert q3.quarter == "2024-25-Q3" and q3.targets == q4.targets


@pytest.mark.parametrize(
    ("date", "says"),
    [
        ("2024-02-30", "February 2024 has 29 days"),
        ("2025-02-30", "February 2025 has 28 days"),
        ("2024-13-31", "There is no month 13"),
        ("2024-12-32", "December 2024 has 31 days"),
    ],
)
def test_impossible_date_says_which_part_is_wrong(project: Path, date: str, says: str) -> None:
    res = run_cli(write(project, GOOD.replace("period_end: 2024-12-31", f"period_end: {date}")))
    assert res.returncode == 2
    assert says in res.stderr.replace("\n", " ")


def test_every_problem_in_a_parameter_file_is_reported_at_once(project: Path) -> None:
    text = (
        GOOD.replace("population_0_17: 1000", "population_0_17: 1000\ncolour: blue")
        .replace("period_end: 2024-12-31", "period_end: 2025-02-30")
        .replace("annex_a: [data/annex_a]", "annex_a: [data/not_there]")
    )
    res = run_cli(write(project, text))
    assert res.returncode == 2
    err = res.stderr.replace("\n", " ")
    assert "has 3 problems" in err
    assert "'colour'" in err and "'period_end'" in err and "'annex_a'" in err
    assert "Traceback" not in res.stderr


def test_duplicate_keys_are_refused_at_any_depth(project: Path) -> None:
    from cscbook.config.errors import UserError

    with pytest.raises(UserError, match=r"key 'period_end' is given twice \(lines 3 and 9\)"):
        load_params(write(project, GOOD + "period_end: 2025-03-31\n"))
    with pytest.raises(UserError, match="key 'assessment_45wd' is given twice"):
        load_params(
            write(
                project,
                GOOD.replace("{assessment_45wd: 0.85}", "{assessment_45wd: 0.85, assessment_45wd: 0.9}"),
            )
        )
    # The same key in two different mappings is not a duplicate.
    assert (
        load_params(
            write(
                project, GOOD.replace("description: test", "description: test}, {name: b, date: 2024-01-01")
            )
        )
        .interventions[1]
        .name
        == "b"
    )


def test_non_utf8_file_and_utf8_bom(project: Path) -> None:
    from cscbook.config.errors import UserError

    path = project / "params" / "q.yaml"
    path.write_bytes(GOOD.replace("Testshire", "Testshire \u00a3").encode("cp1252"))
    with pytest.raises(UserError, match="is not UTF-8 text"):
        load_params(path)
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert load_params(path).authority == "Testshire (synthetic)"


def test_symlink_loop_is_a_user_error(project: Path) -> None:
    import os

    from cscbook.config.errors import UserError

    os.symlink(project / "params" / "b.yaml", project / "params" / "a.yaml")
    os.symlink(project / "params" / "a.yaml", project / "params" / "b.yaml")
    with pytest.raises(UserError, match="loops back on itself"):
        load_params(project / "params" / "a.yaml")
    os.symlink(project / "data" / "y", project / "data" / "x")
    os.symlink(project / "data" / "x", project / "data" / "y")
    with pytest.raises(UserError, match="key 'annex_a'"):
        load_params(write(project, GOOD.replace("data/annex_a", "data/x")))
