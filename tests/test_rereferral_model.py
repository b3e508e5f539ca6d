"""The re-referral models: helpers on hand examples, fits on data with known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.measures.rereferral_model import (
    LOGIT_COLUMNS,
    auc,
    average_marginal_effects,
    bh_adjust,
    calibration_table,
    drivers,
    fit_cox,
    fit_logistic,
    ph_check,
    validate_later,
)
from cscbook.measures.rr_design import (
    COVARIATES,
    MEDIATOR,
    SENSITIVITY,
    align_levels,
    collapse_levels,
    design_matrix,
)


def test_auc_mann_whitney_hand_example():
    # Positives score 0.9 and 0.4; negatives 0.4, 0.2, 0.1.
    # Pairs: 0.9 beats all 3 negatives (3); 0.4 ties 0.4 (0.5) and beats 0.2, 0.1 (2) -> 5.5 of 6.
    assert auc([1, 1, 0, 0, 0], [0.9, 0.4, 0.4, 0.2, 0.1]) == pytest.approx(5.5 / 6)
    assert auc([1, 0], [0.2, 0.8]) == 0.0
    assert auc([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert np.isnan(auc([1, 1], [0.1, 0.2]))


def test_ame_hand_example():
    # Variable x with levels ref, a, b; coefficients const -1, x[a] +1, x[b] +2.
    # AME of x[a]: everyone set to a -> expit(0) = 0.5; everyone set to ref -> expit(-1) = 0.268941;
    # difference 0.231059 = 23.1059 pp, whatever each row's own level (the row at b included).
    # AME of x[b]: expit(1) - expit(-1) = 0.731059 - 0.268941 = 0.462117 = 46.2117 pp.
    data = pd.DataFrame({"x": ["ref", "a", "b"]})
    X, groups = design_matrix(data, {"x": "ref"})
    assert list(X.columns) == ["const", "x[a]", "x[b]"]
    params = np.array([-1.0, 1.0, 2.0])
    got = average_marginal_effects(params, np.zeros((3, 3)), X, groups).set_index("term")
    assert got.loc["x[a]", "ame_pp"] == pytest.approx(23.1059, abs=1e-4)
    assert got.loc["x[b]", "ame_pp"] == pytest.approx(46.2117, abs=1e-4)
    assert got.loc["x[a]", "ci_low"] == pytest.approx(got.loc["x[a]", "ame_pp"])  # zero covariance
    # With a second covariate z (numeric, coefficient 1, values 0, 1, 2) the AME averages over rows:
    # x[a]: mean over z of expit(z) - expit(z - 1)
    #  = [(0.5 - 0.268941) + (0.731059 - 0.5) + (0.880797 - 0.731059)] / 3 = 0.611856 / 3 = 0.203952.
    data["z"] = [0.0, 1.0, 2.0]
    X, groups = design_matrix(data, {"x": "ref", "z": None})
    got = average_marginal_effects(np.array([-1.0, 1.0, 2.0, 1.0]), np.eye(4) * 0.01, X, groups)
    row = got.set_index("term").loc["x[a]"]
    assert row.ame_pp == pytest.approx(20.3952, abs=1e-3)
    assert row.ci_low < row.ame_pp < row.ci_high
    assert "z" not in set(got.term)


def test_calibration_deciles():
    p = np.linspace(0.01, 1.0, 100)
    y = (np.arange(100) % 2).astype(float)
    cal = calibration_table(y, p)
    assert list(cal.decile) == list(range(1, 11)) and (cal.involvements == 10).all()
    # Decile 1 holds p = 0.01..0.10 (mean 0.055) and y = 0,1,0,1,... (mean 0.5).
    assert cal.loc[0, "predicted"] == pytest.approx(0.055) and cal.loc[0, "observed"] == 0.5


def test_collapse_levels_merges_small_groups():
    # 'a' (100 rows, 30 events) and reference 'r' (100, 30) are big; 'b' (10, 3) and 'c' (15, 5) are
    # small (< 20 rows) and merge into 'Other' (25 rows, 8 events, 17 non-events: big enough).
    d = pd.DataFrame(
        {
            "v": ["r"] * 100 + ["a"] * 100 + ["b"] * 10 + ["c"] * 15,
            "y": [1] * 30 + [0] * 70 + [1] * 30 + [0] * 70 + [1] * 3 + [0] * 7 + [1] * 5 + [0] * 10,
        }
    )
    out, ref, notes = collapse_levels(d, "v", "r", "y")
    assert ref == "r" and sorted(out.v.unique()) == ["Other", "a", "r"] and len(out) == 225
    assert "merged" in notes[0]
    # 'Other' too small even together (10 rows): left out.
    out, ref, notes = collapse_levels(d[d.v != "c"], "v", "r", "y")
    assert len(out) == 200 and "left out" in notes[0]
    # The reference too small: the largest level becomes the reference.
    out, ref, notes = collapse_levels(d[d.v != "r"], "v", "r", "y")
    assert ref == "a" and "reference" in notes[0]


def simulate(n: int, seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """Involvement-level data from a known logistic model (children with 1-2 involvements)."""
    rng = np.random.default_rng(seed)
    true = {"ended[after_cp_plan]": 2.0, "ended[after_assessment]": 1.4, "age_band[16-17]": 0.6}
    ended = rng.choice(["nfa_at_referral", "after_assessment", "after_cp_plan"], n, p=[0.5, 0.3, 0.2])
    age = rng.choice(["0-4", "5-9", "10-15", "16-17"], n)
    sex = rng.choice(["F", "M"], n)
    lp = -1.3 + np.log(2.0) * (ended == "after_cp_plan") + np.log(1.4) * (ended == "after_assessment")
    lp = lp + np.log(0.6) * (age == "16-17")
    y = rng.random(n) < 1 / (1 + np.exp(-lp))
    days = np.where(ended == "nfa_at_referral", 0, rng.integers(10, 400, n))
    d = pd.DataFrame(
        {
            "child_id": [f"k{i // 2}" for i in range(n)],
            "ended": ended, "age_band": age, "sex": sex, "involvement_days": days,
            "previous_referrals": rng.integers(0, 4, n), "rereferred_12m": y.astype(int),
            "time": np.where(y, rng.integers(1, 366, n), 365).astype(float), "event": y.astype(int),
        }
    )  # fmt: skip
    return d, true


SPEC = {"ended": "nfa_at_referral", "age_band": "5-9", "sex": "F", "log_involvement_months": None}


def test_logistic_recovers_known_odds_ratios():
    d, true = simulate(4000, seed=11)
    fit = fit_logistic(d, SPEC)
    assert fit.ok, fit.notes
    assert list(fit.table.columns) == LOGIT_COLUMNS and "const" not in set(fit.table.term)
    t = fit.table.set_index("term")
    for term, or_ in true.items():
        assert t.loc[term, "ci_low"] < or_ < t.loc[term, "ci_high"], term
    # (Length of involvement is zero for every NFA, which widens the `ended` intervals.)
    assert t.loc["ended[after_cp_plan]", "p_value"] < 0.01
    assert t.loc["sex[M]", "ci_low"] < 1 < t.loc["sex[M]", "ci_high"]
    # Clustered by child: the covariance is not the model-based one.
    assert fit.result.cov_type == "cluster"
    p = 1 / (1 + np.exp(-(fit.X.to_numpy() @ fit.result.params.to_numpy())))
    assert 0.55 < auc(fit.y, p) < 0.75


def test_cox_runs_on_the_same_spec():
    d, _ = simulate(3000, seed=5)
    cox = fit_cox(d, SPEC)
    assert cox.ok, cox.notes
    t = cox.table.set_index("term")
    assert t.loc["ended[after_cp_plan]", "hazard_ratio"] > 1.3
    assert t.loc["ended[after_cp_plan]", "p_value"] < 0.001


def test_separation_and_tiny_data_give_notes_not_errors():
    d, _ = simulate(600, seed=3)
    # Every after_cp_plan involvement is re-referred: perfect separation for that level.
    d.loc[d.ended == "after_cp_plan", "rereferred_12m"] = 1
    fit = fit_logistic(d, SPEC, min_events=0, min_obs=0)
    assert not fit.ok and any("separation" in n.lower() or "unstable" in n.lower() for n in fit.notes)
    # With the default thresholds, the level has no non-events: merged/left out with a note, and fits.
    fit = fit_logistic(d, SPEC)
    assert fit.ok and any("How the involvement ended" in n for n in fit.notes)
    tiny = fit_logistic(d.head(8), SPEC)
    assert not tiny.ok and list(tiny.table.columns) == LOGIT_COLUMNS
    empty = fit_logistic(d.head(0), SPEC)
    assert not empty.ok and empty.notes
    assert not fit_cox(d.head(0), SPEC).ok


def test_chapter_on_a_tiny_extract_builds_with_notes(tmp_path):
    """The chapter never crashes: on the 12-referral fixture the model cannot be fitted."""
    from test_rereferrals import involvement_tables

    from cscbook.config.params import load_params
    from cscbook.measures.compute import compute_all
    from cscbook.report.rr_chapter import build_chapter, driver_message, rate_message, save_outputs

    tables = involvement_tables()
    ch = build_chapter(tables, pd.Timestamp("2024-06-30"))
    assert not ch.logit.ok and ch.logit.notes
    assert "could not be fitted" in driver_message(ch.logit)[0]
    assert "re-referrals within 12 months" in rate_message(ch, 0.224, None)
    (tmp_path / "params").mkdir()
    (tmp_path / "x").mkdir()
    (tmp_path / "params" / "q.yaml").write_text(
        "authority: T\nperiod_end: 2024-06-30\nannex_a: [x]\npopulation_0_17: 1000\n"
        "targets: {rereferral_12m: 0.2}\n"
    )
    params = load_params(tmp_path / "params" / "q.yaml")
    paths = save_outputs(ch, params)
    model = pd.read_csv(paths["model"])
    assert list(model.columns) == LOGIT_COLUMNS
    for p in paths.values():
        assert "child_id" not in pd.read_csv(p).columns
    res = compute_all(tables, params)
    row = res.quarter_row("rereferral_12m")
    assert row["kind"] == "proportion" and row["higher_is_better"] is False
    assert row["target"] == 0.2 and row["england"] == pytest.approx(0.224)  # year ending March 2024
    # The fixture's 12 referrals (no same-day duplicates); one re-referral: c1's 2022-09-01,
    # 184 days after 2022-03-01 (the others follow the child's previous referral by 366+ days).
    monthly = res.series["rereferral_12m"]
    assert monthly.numerator.sum() == 1 and monthly.denominator.sum() == 12


def _all_covariates(d: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    for var, levels in {"ethnicity_group": ["White", "Asian"], "disability": ["N", "Y"],
                        "primary_need": ["N1", "N4"], "source": ["Police", "Schools"]}.items():  # fmt: skip
        d[var] = rng.choice(levels, len(d))
    return d


def test_main_model_has_no_mediator_and_no_extract_date_team():
    assert MEDIATOR not in COVARIATES and SENSITIVITY == {**COVARIATES, MEDIATOR: None}
    d = _all_covariates(simulate(3000, seed=8)[0])
    d["team"] = np.random.default_rng(1).choice(["North", "South"], len(d))
    fit = fit_logistic(d)
    assert fit.ok and not any(t.startswith("team[") for t in fit.table.term)
    assert MEDIATOR not in set(fit.table.term)
    assert any(n.startswith("Team: not in the model") and "extract date" in n for n in fit.notes)
    sens = fit_logistic(d, SENSITIVITY)
    assert MEDIATOR in set(sens.table.term)


def test_team_included_unless_it_follows_the_ending():
    d, _ = simulate(3000, seed=8)
    rng = np.random.default_rng(0)
    d = _all_covariates(d)
    # A team unrelated to the ending, from a dated allocation history: included, with the
    # largest team as reference.
    d["team"] = rng.choice(["North", "South", "South"], len(d))
    fit = fit_logistic(d, team_dated=True)
    assert fit.ok and "team[North]" in set(fit.table.term)
    # One team closes every CP plan (and 2% of the rest), the front door the others: team
    # nearly follows the ending, so it is left out with a note.
    cp_team = (d.ended == "after_cp_plan") | (rng.random(len(d)) < 0.02)
    d["team"] = np.where(cp_team, "CP team", "Front door")
    fit = fit_logistic(d, team_dated=True)
    assert fit.ok and not any(t.startswith("team[") for t in fit.table.term)
    assert any(n.startswith("Team: left out") for n in fit.notes)


def test_benjamini_hochberg_by_hand():
    # p = 0.01, 0.04, 0.03, 0.20 (m = 4). Sorted 0.01, 0.03, 0.04, 0.20 times m / rank: 0.04, 0.06,
    # 0.0533, 0.20; monotone from the top: 0.04, 0.0533, 0.0533, 0.20.
    got = bh_adjust(np.array([0.01, 0.04, 0.03, 0.20]))
    assert got == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert np.isnan(bh_adjust(np.array([np.nan, 0.5]))[0]) and bh_adjust(np.array([np.nan, 0.5]))[1] == 0.5
    # drivers(): the terms under 0.05 after adjustment, highest odds ratio first.
    from cscbook.measures.rereferral_model import ModelFit

    t = pd.DataFrame({"term": ["a", "b", "c", "d"], "odds_ratio": [2.0, 0.5, 1.5, 1.1], "ci_low": 0.1,
                      "ci_high": 9.0, "p_value": [0.01, 0.04, 0.03, 0.20]})  # fmt: skip
    assert drivers(ModelFit(True, t))["term"].tolist() == ["a"]  # 0.04 only; b and c are 0.053


def test_align_levels_to_a_fitted_model():
    cols = ["const", "v[a]", "v[Other]"]
    d = pd.DataFrame({"v": ["r", "a", "b", None]})
    assert align_levels(d, cols, {"v": "r"})["v"].tolist() == ["r", "a", "Other", "Other"]
    # Without an 'Other' level, unknown levels go to the reference.
    assert align_levels(d, ["const", "v[a]"], {"v": "r"})["v"].tolist() == ["r", "a", "r", "r"]


def test_validation_on_later_closures():
    d, _ = simulate(4000, seed=21)
    d["closure"] = pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(len(d)) % 730, unit="D")
    v = validate_later(d, pd.Timestamp("2022-01-01"), SPEC)
    assert v.ok and v.n_fit + v.n_test == len(d) and v.n_test == (d.closure >= "2022-01-01").sum()
    assert 0.55 < v.auc_test < 0.75 and 0.55 < v.auc_fit < 0.75
    assert abs(v.predicted - v.observed) < 0.05  # same process in both periods: calibrated
    assert 0.5 < v.slope < 1.5
    assert v.calibration["involvements"].sum() == v.n_test
    none = validate_later(d, pd.Timestamp("2030-01-01"), SPEC)
    assert not none.ok and "later" in none.note


def _survival(n: int, seed: int, proportional: bool) -> pd.DataFrame:
    """Times to event (censored at 365 days) for groups a (reference) and b. Proportional: b has
    twice a's hazard (1/400 a day) throughout. Not: b has 4 times the hazard for 60 days, then 1/4."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b"], n)
    lam = np.full(n, 1 / 400)
    e1 = rng.exponential(1, n)
    if proportional:
        t = e1 / np.where(g == "b", 2 * lam, lam)
    else:
        h1 = np.where(g == "b", 4 * lam, lam)
        h2 = np.where(g == "b", lam / 4, lam)
        t = np.where(e1 < 60 * h1, e1 / h1, 60 + (e1 - 60 * h1) / h2)
    event = t <= 365
    return pd.DataFrame({"child_id": np.arange(n).astype(str), "g": g, "time": np.minimum(t, 365).round() + 1,
                         "event": event.astype(int), "involvement_days": 0})  # fmt: skip


def test_proportional_hazards_check():
    ok = ph_check(fit_cox(_survival(3000, 1, True), {"g": "a"}))
    assert list(ok.term) == ["g[b]"] and ok.loc[0, "p_value"] > 0.01
    bad = ph_check(fit_cox(_survival(3000, 2, False), {"g": "a"}))
    # b's hazard ratio falls from 4 to 1/4: its residuals fall with time.
    assert bad.loc[0, "correlation"] < -0.2 and bad.loc[0, "p_adjusted"] < 0.001


def test_methods_page_says_what_the_code_does():
    from pathlib import Path

    from cscbook.measures.rereferral_model import FDR

    text = " ".join((Path(__file__).resolve().parents[1] / "methods.md").read_text().split())
    assert (
        FDR == 0.05 and "Benjamini-Hochberg adjusted p-value over all the model's terms is below 0.05" in text
    )
    assert "characteristics recorded at referral" not in text
    assert "The team is not in the model" in text and "team" not in COVARIATES
    assert "only in a sensitivity analysis" in text and MEDIATOR not in COVARIATES
