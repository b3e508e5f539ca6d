"""The re-referral models: helpers on hand examples, fits on data with known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.measures.rereferral_model import (
    LOGIT_COLUMNS,
    auc,
    average_marginal_effects,
    calibration_table,
    fit_cox,
    fit_logistic,
)
from cscbook.measures.rr_design import collapse_levels, design_matrix


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


def test_team_included_unless_it_follows_the_ending():
    d, _ = simulate(3000, seed=8)
    rng = np.random.default_rng(0)
    for var, levels in {"ethnicity_group": ["White", "Asian"], "disability": ["N", "Y"],
                        "primary_need": ["N1", "N4"], "source": ["Police", "Schools"]}.items():  # fmt: skip
        d[var] = rng.choice(levels, len(d))
    # A team unrelated to the ending: included, with the largest team as reference.
    d["team"] = rng.choice(["North", "South", "South"], len(d))
    fit = fit_logistic(d)
    assert fit.ok and "team[North]" in set(fit.table.term)
    # One team closes every CP plan (and 2% of the rest), the front door the others: team
    # nearly follows the ending, so it is left out with a note.
    cp_team = (d.ended == "after_cp_plan") | (rng.random(len(d)) < 0.02)
    d["team"] = np.where(cp_team, "CP team", "Front door")
    fit = fit_logistic(d)
    assert fit.ok and not any(t.startswith("team[") for t in fit.table.term)
    assert any(n.startswith("Team: left out") for n in fit.notes)
