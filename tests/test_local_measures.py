"""Local measures: the tidy file, its declarations, registry measures, the chapter (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, run_cli, valid_workbook, write_xlsx

from cscbook.config.errors import UserError
from cscbook.config.params import load_params
from cscbook.data import dq
from cscbook.data.context import Context, read_all
from cscbook.data.local_measures import (
    UNDECLARED,
    ZERO_DENOMINATOR,
    parse_month,
    read_for_params,
)
from cscbook.measures.compute import compute_all
from cscbook.measures.local import chart_kind, declared_measures, good_or_better
from cscbook.measures.registry import NotAvailable
from cscbook.report import summary, workforce

HEADER = "measure,month,numerator,denominator,value,team\n"


def decl(kind: str, **kw) -> dict:
    return {
        "label": kw.pop("label", "A measure"),
        "kind": kind,
        "definition": "Defined.",
        "source": "HR",
        **kw,
    }


DECLARED = {
    "agency_share": decl(
        "proportion",
        label="Agency share",
        better="lower",
        target=0.15,
        on_date=True,
        england="sw_agency_rate",
    ),
    "audits_done": decl("count", label="Audits done"),
    "nqsw_in_post": decl("stock"),
    "turnover_per_100": decl("rate", better="lower"),
    "iro_caseload": decl("mean", better="lower"),
    "supervision": decl("proportion", label="Supervision", better="higher"),
}


def setup(tmp_path: Path, body: str, measures: dict | None = None, name: str = "local.csv") -> Path:
    """A local measures file, a tiny Annex A and a parameter file naming both; returns the parameter file."""
    (tmp_path / "params").mkdir(exist_ok=True)
    if name.endswith(".csv"):
        (tmp_path / name).write_text(HEADER + textwrap.dedent(body).strip() + "\n")
    valid_workbook(tmp_path / "annex_a.xlsx", lists=[1])
    raw = {"authority": "Testshire", "period_end": "2024-12-31", "annex_a": ["annex_a.xlsx"],
           "population_0_17": 1000,
           "local_measures": {"file": name, "measures": DECLARED if measures is None else measures}}  # fmt: skip
    path = tmp_path / "params" / "q.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


GOOD = """
agency_share,2024-10,10,100,,
agency_share,2024-11,12,100,,
agency_share,2024-12,14,100,,
audits_done,2024-10,,,3,
audits_done,2024-11,,,4,
audits_done,2024-12,,,5,
nqsw_in_post,2024-10,,,20,
nqsw_in_post,2024-11,,,21,
nqsw_in_post,2024-12,,,19,
turnover_per_100,2024-10,,,1.5,
turnover_per_100,2024-11,,,1.2,
turnover_per_100,2024-12,,,0.9,
iro_caseload,Oct 2024,,,60.5,
iro_caseload,01/11/2024,,,62,
iro_caseload,2024-12-31,,,64.5,
supervision,2024-10,8,10,,
supervision,2024-11,9,10,,
supervision,2024-12,10,10,,
"""


def results(params_file: Path):
    p = load_params(params_file)
    res = read_for_params(p)
    return p, res, compute_all(res.tables, p, keys=[m.key for m in declared_measures(p)])


# ----------------------------------------------------------------------------- reading and kinds
def test_each_kind_quarter_value(tmp_path: Path) -> None:
    p, res, r = results(setup(tmp_path, GOOD))
    assert r.value("supervision") == pytest.approx(27 / 30)  # (8+9+10) / (10+10+10): the quarter's events
    assert r.value("agency_share") == pytest.approx(14 / 100)  # on a date: the quarter's last month
    assert r.quarter_row("agency_share")[["numerator", "denominator"]].tolist() == [14, 100]
    assert r.value("audits_done") == 12  # 3 + 4 + 5: a count is the sum of its months
    assert r.value("nqsw_in_post") == 19  # a stock is its last month
    assert r.value("turnover_per_100") == pytest.approx(0.9)  # a rate: its last month
    assert r.value("iro_caseload") == pytest.approx(64.5)  # a mean: its last month (31/12 read as December)
    row = r.quarter_row("agency_share")
    assert row["target"] == 0.15 and row["england"] == pytest.approx(0.179)  # DfE agency rate, September 2023
    assert p.targets["agency_share"] == 0.15
    acc = res.accounting.iloc[0]
    assert (acc["rows_read"], acc["rows_kept"], acc["rows_excluded"]) == (18, 18, 0)
    assert res.log.empty


def test_months_in_every_spelling() -> None:
    got = parse_month(pd.Series(["2024-09", "2024-09-01", "2024-09-30", "01/09/2024", "Sep 2024", "September 2024",
                                 "2024-09-15", "2024-13", "Q2", ""]))  # fmt: skip
    assert list(got[:6]) == [pd.Timestamp("2024-09-01")] * 6
    assert got[6:].isna().all()  # a mid-month date, month 13, a quarter and a blank are not months


def test_missing_month_is_a_gap(tmp_path: Path) -> None:
    body = GOOD.replace("audits_done,2024-11,,,4,\n", "").replace("supervision,2024-11,9,10,,\n", "")
    p, res, r = results(setup(tmp_path, body))
    assert any("audits_done" in n and "November 2024" in n for n in res.notes)
    series = r.series["audits_done"].set_index("month")["value"]
    assert np.isnan(series[pd.Timestamp("2024-11-01")])  # kept as a gap, so the chart shows it
    assert r.value("audits_done") is None  # a count needs all three months
    assert r.value("supervision") == pytest.approx(18 / 20)  # a proportion uses the months it has


def test_zero_denominator_is_logged_and_has_no_percentage(tmp_path: Path) -> None:
    body = GOOD.replace("supervision,2024-11,9,10", "supervision,2024-11,0,0")
    p, res, r = results(setup(tmp_path, body))
    log = res.log[res.log["reason"] == ZERO_DENOMINATOR]
    assert list(log["row"]) == [18] and list(log["severity"]) == [dq.WARNING]
    month = r.series["supervision"].set_index("month").loc[pd.Timestamp("2024-11-01")]
    assert np.isnan(month["value"])
    assert r.value("supervision") == pytest.approx(18 / 20)


def test_declared_but_absent(tmp_path: Path) -> None:
    measures = {**DECLARED, "vacancy_rate": decl("proportion")}
    p, res, r = results(setup(tmp_path, GOOD, measures))
    assert isinstance(r.unavailable["vacancy_rate"], NotAvailable)
    assert "vacancy_rate" in r.unavailable["vacancy_rate"].reason
    assert any("vacancy_rate" in n and "no rows" in n for n in res.notes)
    row = r.table[r.table["key"] == "vacancy_rate"].iloc[0]
    assert not row["available"] and "Not available" in row["note"]


def test_in_file_but_not_declared_is_a_warning(tmp_path: Path) -> None:
    body = GOOD + "sickness_days,2024-10,,,3.5,\nsickness_days,2024-11,,,4,\n"
    params_file = setup(tmp_path, body)
    p, res, r = results(params_file)
    warn = res.log[res.log["reason"] == UNDECLARED]
    assert list(warn["value"]) == ["sickness_days"] and list(warn["severity"]) == [dq.WARNING]
    assert "sickness_days" not in r.measures
    proc = run_cli("validate", str(tmp_path / "local.csv"), "--params", str(params_file))
    assert proc.returncode == 0, proc.stderr
    assert UNDECLARED in proc.stdout and "The data are usable." in proc.stdout


def test_months_after_the_period_end_are_left_for_later(tmp_path: Path) -> None:
    body = GOOD + "audits_done,2025-01,,,9,\n"
    p, res, r = results(setup(tmp_path, body))
    assert "1 row for months after the period end (January 2025 to January 2025)" in res.notes[0]
    assert res.log.empty
    acc = res.accounting.iloc[0]
    assert (acc["rows_read"], acc["rows_kept"], acc["rows_excluded"]) == (
        19,
        19,
        0,
    )  # kept for later quarters
    assert len(res.tables["local_measures"]) == 18
    assert r.series["audits_done"]["month"].max() == pd.Timestamp("2024-12-01")


def test_team_rows_add_up_without_an_authority_row(tmp_path: Path) -> None:
    body = """
    agency_share,2024-12,5,40,,North
    agency_share,2024-12,7,60,,South
    iro_caseload,2024-12,,,60,North
    """
    p, res, r = results(setup(tmp_path, body))
    assert r.value("agency_share") == pytest.approx(12 / 100)
    assert "blank team" in r.unavailable["iro_caseload"].reason  # a mean cannot be added up


def test_xlsx_sheet(tmp_path: Path) -> None:
    rows = [["agency_share", "2024-10-01", 10, 100, None], ["agency_share", pd.Timestamp("2024-11-01"), 12, 100, None],
            ["agency_share", "2024-12", 14, 100, None]]  # fmt: skip
    write_xlsx(tmp_path / "local.xlsx", {"Notes": (["x"], [["y"]]),
                                         "local_measures": (["Measure", "Month", "Numerator", "Denominator", "Value"], rows)})  # fmt: skip
    params_file = setup(tmp_path, "", {"agency_share": DECLARED["agency_share"]}, name="local.xlsx")
    raw = yaml.safe_load(params_file.read_text())
    raw["local_measures"]["sheet"] = "local_measures"
    params_file.write_text(yaml.safe_dump(raw))
    p, res, r = results(params_file)
    assert r.value("agency_share") == pytest.approx(0.14)
    proc = run_cli("validate", str(tmp_path / "local.xlsx"))  # found on its sheet without the parameters
    assert proc.returncode == 0 and "3 rows read, 3 kept" in proc.stdout, proc.stderr


def test_xlsx_error_names_the_sheet(tmp_path: Path) -> None:
    rows = [["agency_share", "2024-10", 10, 100], ["agency_share", "2024-11", "ten", 100]]
    write_xlsx(
        tmp_path / "local.xlsx", {"local_measures": (["measure", "month", "numerator", "denominator"], rows)}
    )
    proc = run_cli("validate", str(tmp_path / "local.xlsx"))
    err = " ".join(proc.stderr.split())
    assert (
        proc.returncode == 2
        and "sheet 'local_measures', row 3, column 'numerator': 'ten' is not a number" in err
    )


# ----------------------------------------------------------------------------- refused through the CLI
BAD = [
    ("agency_share,2024-13,10,100,,", "row 2, column 'month'", "not a month"),
    ("agency_share,2024-10-15,10,100,,", "row 2, column 'month'", "not a month"),
    ("agency_share,1999-12,10,100,,", "row 2, column 'month'", "outside the calendar"),
    ("agency_share,2024-10,110,100,,", "row 2, column 'numerator'", "above the denominator"),
    ("audits_done,2024-10,,,85%,", "row 2, column 'value'", "'85%' is not a number"),
    ("audits_done,2024-10,,,three,", "row 2, column 'value'", "not a number"),
    ("audits_done,2024-10,,,-1,", "row 2, column 'value'", "negative"),
    ("agency_share,2024-10,,,0.2,", "row 2, column 'numerator'", "declared a proportion"),
    ("audits_done,2024-10,,,,", "row 2, column 'value'", "has no value"),
    (",2024-10,,,3,", "row 2, column 'measure'", "blank"),
    ("agency_share,2024-10,10,100,,\naudits_done,2024-10,,,3,\nagency_share,2024-10,11,100,,", "row 2, column 'measure'",
     "rows 2 and 4 both give agency_share for October 2024"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "where", "what"), BAD, ids=[b[2][:20] for b in BAD])
def test_malformed_file_exits_2_naming_file_row_and_column(
    tmp_path: Path, line: str, where: str, what: str
) -> None:
    params_file = setup(tmp_path, line)
    proc = run_cli("validate", str(tmp_path / "local.csv"), "--params", str(params_file))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    err = " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr
    assert "local.csv" in err
    assert where in err and what in err


@pytest.mark.parametrize("column", ["Worker name", "staff_id", "Email", "DOB", "Postcode", "ID"])
def test_a_column_that_could_identify_a_person_is_refused(tmp_path: Path, column: str) -> None:
    (tmp_path / "local.csv").write_text(f"measure,month,value,{column}\naudits_done,2024-10,3,x\n")
    proc = run_cli("validate", str(tmp_path / "local.csv"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"'{column}' could identify a person" in " ".join(proc.stderr.split())


def test_run_refuses_a_bad_local_file_before_any_notebook(tmp_path: Path) -> None:
    params_file = setup(tmp_path, "agency_share,2024-10,110,100,,")
    proc = run_cli("run", str(params_file), "--quiet")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "above the denominator" in proc.stderr
    assert not (tmp_path / "reports" / "2024-25-Q3" / "notebooks").exists()


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        (decl("ratio"), "kind' is 'ratio'"),
        (decl("proportion", target=85), "not a proportion between 0 and 1"),
        ({"kind": "count", "definition": "d", "source": "s"}, "label' is missing"),
        (decl("count", better="up"), "Use higher, lower or neither"),
    ],
)
def test_bad_declarations_exit_2(tmp_path: Path, declaration: dict, message: str) -> None:
    params_file = setup(tmp_path, GOOD, {"agency_share": declaration})
    proc = run_cli("run", str(params_file), "--quiet")
    assert proc.returncode == 2 and message in " ".join(proc.stderr.split())


def test_some_audit_grades_declared_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="audit_inadequate"):
        load_params(setup(tmp_path, GOOD, {**DECLARED, "audit_outstanding": decl("count")}))


# ----------------------------------------------------------------------------- registry and charts
def test_chart_by_what_a_month_holds() -> None:
    assert chart_kind("proportion", on_date=False) == "p"  # supervisions due in the month
    assert chart_kind("proportion", on_date=True) == "xmr"  # agency share of posts at month end
    assert chart_kind("count", on_date=False) == "xmr"
    assert chart_kind("mean", on_date=True) == "xmr"
    assert chart_kind("rate", on_date=False) == "xmr"
    assert chart_kind("stock", on_date=True) is None


def test_good_or_better_by_hand() -> None:
    months = pd.to_datetime(["2024-10-01", "2024-11-01"])
    grades = {"audit_outstanding": [1, 0], "audit_good": [3, 2], "audit_requires_improvement": [5, 6],
              "audit_inadequate": [1, np.nan]}  # fmt: skip
    table = pd.concat(
        [pd.DataFrame({"measure": k, "month": months, "team": "", "value": v}) for k, v in grades.items()]
    )
    got = good_or_better(table).set_index("month")
    assert got.loc["2024-10-01", "numerator"] == 4 and got.loc["2024-10-01", "denominator"] == 10
    assert np.isnan(got.loc["2024-11-01", "denominator"])  # a grade without a figure: month not counted


# ----------------------------------------------------------------------------- the synthetic authority
@pytest.fixture(scope="module")
def example():
    p = load_params(ROOT / "params" / "example.yaml")
    res = read_for_params(p)
    return p, compute_all(res.tables, p, keys=[m.key for m in declared_measures(p)])


def test_synthetic_file_finds_the_planted_shift_and_nothing_else(example) -> None:
    p, r = example
    truth = json.loads((ROOT / "data" / "synthetic" / "truth.json").read_text())["local_measures"]
    planted = truth["planted_shift"]["measure"]
    assert r.quarter_row(planted)["signal"] == "special cause improvement"
    series = r.series[planted].set_index("month")
    before = series.loc["2023-04-01":"2024-03-01"]
    after = series.loc["2024-04-01":"2024-12-01"]
    assert before["numerator"].sum() / before["denominator"].sum() > 0.24  # 26% planted before the drive
    assert after["numerator"].sum() / after["denominator"].sum() < 0.21  # 19% planted after it
    # Where nothing was planted a chart still flags a quarter by chance, at its stated false-alarm rate
    # (6-8% each here). The number of chance signals across the steady measures follows from those
    # rates (independent charts): no more may show a signal than that number reaches 95% of the time.
    steady = [r.quarter_row(key) for key in truth["steady"]]
    flagged = [row["key"] for row in steady if str(row["signal"]).startswith("special")]
    rates = [row["false_alarm_rate"] for row in steady if row["false_alarm_rate"] == row["false_alarm_rate"]]
    chance = np.array([1.0])  # distribution of the number of false alarms (Poisson-binomial)
    for x in rates:
        chance = np.convolve(chance, [1 - x, x])
    allowed = int(np.searchsorted(np.cumsum(chance), 0.95))
    assert allowed <= 2
    assert len(flagged) <= allowed, flagged


def test_synthetic_levels_near_the_seed_report(example) -> None:
    p, r = example

    def year(key: str) -> float:  # the 12 months to the period end
        s = r.series[key].set_index("month").loc["2024-01-01":"2024-12-01"]
        return (
            s["numerator"].sum() / s["denominator"].sum()
            if "numerator" in s and s["numerator"].notna().any()
            else s["value"].mean()
        )

    assert 0.82 <= year("supervision_in_time") <= 0.88  # 85% planted
    assert 0.25 <= year("audit_good_or_better") <= 0.35  # 30% planted
    assert 63 <= year("iro_caseload") <= 69  # 65.7 planted


# ----------------------------------------------------------------------------- the chapter without a file
def test_chapter_and_summary_without_a_local_measures_file(tmp_path: Path) -> None:
    params_file = setup(tmp_path, GOOD, {})
    raw = yaml.safe_load(params_file.read_text())
    del raw["local_measures"]
    params_file.write_text(yaml.safe_dump(raw))
    ctx = read_all(load_params(params_file))
    assert isinstance(ctx, Context) and "local_measures" not in ctx.tables
    results = compute_all(ctx.tables, ctx.params)
    chapter = workforce.build(ctx, results)
    assert "local_measures_template.csv" in chapter.markdown["wf_messages"]
    assert chapter.shown["wf_table"].empty and chapter.saved == {}
    assert set(chapter.figures) == {"wf_controls", "wf_audits"}  # placeholders that say why
    assert not workforce.gather(ctx, results).available
    table = summary.headline_table(results)
    assert not (table["chapter"] == "Workforce and quality of practice").any()
    assert summary.build(ctx, results).markdown["sum_key_messages"]


@pytest.mark.e2e
def test_notebooks_build_without_a_local_measures_file(tmp_path: Path) -> None:
    """The real chapter and summary notebooks execute (papermill) on parameters with no local measures."""
    params_file = setup(tmp_path, GOOD, {})
    raw = yaml.safe_load(params_file.read_text())
    del raw["local_measures"]
    params_file.write_text(yaml.safe_dump(raw))
    for name in ("06_workforce_quality", "00_summary"):
        out = tmp_path / f"{name}.ipynb"
        proc = subprocess.run(
            [sys.executable, "-m", "papermill", str(ROOT / "notebooks" / f"{name}.ipynb"), str(out),
             "-p", "params_file", str(params_file), "--cwd", str(ROOT / "notebooks")],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        if name.startswith("06"):
            assert "No local measures file is named in the parameters" in out.read_text()


def test_team_figures_follow_the_disclosure_minimum(tmp_path: Path) -> None:
    body = (
        GOOD
        + "agency_share,2024-12,1,3,,Tiny\nagency_share,2024-12,6,30,,Big\naudits_done,2024-12,,,2,Tiny\n"
    )
    ctx = read_all(load_params(setup(tmp_path, body)))
    ch = workforce.gather(ctx, compute_all(ctx.tables, ctx.params))
    teams = workforce.team_table(ch).set_index(["Measure", "Team"])["December 2024"]
    label = DECLARED["agency_share"]["label"]
    assert teams[(label, "Tiny")] == "not shown (fewer than 5)"  # 1 of 3 posts would describe one worker
    assert teams[(label, "Big")] == "20.0%"  # 6 / 30
    assert teams[(label, "Tiny")] == teams[(DECLARED["audits_done"]["label"], "Tiny")]  # a count of 2
    assert ch.results.value("agency_share") == pytest.approx(
        14 / 100
    )  # the authority-wide rows, not the teams
    defs = workforce.definitions(ch).set_index("Measure")["Control chart"]
    assert (
        defs["Agency share"] == "XmR chart" and defs["Supervision"] == "p-chart"
    )  # on a date; the month's events
    assert (
        (workforce.definitions(ch).set_index("Kind").loc["stock", "Control chart"])
        == "none (a count on a date)"
    )


def test_a_file_with_nothing_declared_says_so(tmp_path: Path) -> None:
    ctx = read_all(load_params(setup(tmp_path, GOOD, {})))
    ch = workforce.gather(ctx, compute_all(ctx.tables, ctx.params))
    assert not ch.available
    assert "none of the measures declared" in workforce.no_file_text(ctx.params)
    assert (ctx.dq_log["reason"] == UNDECLARED).sum() == 6  # one warning per undeclared measure


def test_semicolons_cp1252_and_an_unused_column(tmp_path: Path) -> None:
    text = "Measure;Month;Value;Notes\naudits_done;2024-10;3;caf\xe9 review\naudits_done;2024-11;4;\naudits_done;2024-12;5;\n"
    params_file = setup(tmp_path, "", {"audits_done": DECLARED["audits_done"]})
    (tmp_path / "local.csv").write_bytes(text.encode("cp1252"))
    p, res, r = results(params_file)
    assert r.value("audits_done") == 12
    assert list(res.log["reason"]) == ["column not used"] and list(res.log["value"]) == ["Notes"]


def test_compute_all_includes_declared_measures(tmp_path: Path) -> None:
    p = load_params(setup(tmp_path, GOOD))
    ctx = read_all(p)
    table = compute_all(ctx.tables, p).table  # every measure of the run, the book's own and the local ones
    quarter = table[(table["period_type"] == "quarter") & (table["period"] == "Q3 2024-25")].set_index("key")
    assert quarter.loc["agency_share", "value"] == pytest.approx(0.14)
    assert quarter.loc["agency_share", "chapter"] == "Workforce and quality of practice"
    assert "referrals" in quarter.index  # the registry's own measures are still there


def test_a_local_key_that_is_a_book_measure_is_refused(tmp_path: Path) -> None:
    p = load_params(setup(tmp_path, GOOD, {"referrals": decl("count")}))
    with pytest.raises(UserError, match="'referrals' has the key of one of the book's own measures"):
        declared_measures(p)


def test_caseloads_and_workforce_linked_in_words(tmp_path: Path) -> None:
    ctx = read_all(load_params(setup(tmp_path, GOOD)))
    ch = workforce.gather(ctx, compute_all(ctx.tables, ctx.params))
    assert ch.caseloads is None  # this Annex A has only List 1: no allocated workers
    assert workforce.caseload_link(ch) == (
        "At the end of December 2024 agency staff covered 14.0% of social work "
        "posts and independent reviewing officers held 64.5 children each."
    )


def test_summary_headline_table_carries_the_local_headline_measures(tmp_path: Path) -> None:
    p = load_params(setup(tmp_path, GOOD, {**DECLARED, "nqsw_in_post": decl("stock", headline=False)}))
    ctx = read_all(p)
    table = summary.headline_table(compute_all(ctx.tables, p)).set_index("key")
    assert table.loc["agency_share", "this_quarter"] == pytest.approx(0.14)
    assert (
        table.loc["agency_share", "target"] == 0.15
        and table.loc["agency_share", "chapter"] == workforce.CHAPTER
    )
    assert "nqsw_in_post" not in table.index  # declared headline: false


def test_audit_grades_stacked_by_month_with_alt_text_from_the_numbers(tmp_path: Path) -> None:
    grades = {"audit_outstanding": (1, 0), "audit_good": (3, 2), "audit_requires_improvement": (5, 6),
              "audit_inadequate": (1, 2)}  # fmt: skip
    body = "\n".join(f"{g},2024-{m},,,{v},"
                     for g, values in grades.items() for m, v in zip(("11", "12"), values, strict=True))  # fmt: skip
    p = load_params(setup(tmp_path, body, {g: decl("count") for g in grades}))
    ctx = read_all(p)
    ch = workforce.gather(ctx, compute_all(ctx.tables, p))
    shares = workforce.audit_shares(ch)
    assert (
        shares.loc["2024-12-01", "audit_good"] == pytest.approx(2 / 10)
        and shares.loc["2024-12-01", "audits"] == 10
    )
    assert workforce.audits_alt(ch).endswith(
        "in December 2024, of 10 audits: outstanding 0.0%, good 20.0%, "
        "requires improvement 60.0%, inadequate 20.0%."
    )
    assert ch.results.value("audit_good_or_better") == pytest.approx(
        (1 + 3 + 0 + 2) / 20
    )  # the quarter's audits
