"""The drivers model recovers the effects planted in the synthetic authority (truth.json).

Main drivers (`ended`, `age_band`, `primary_need`, `source` terms): the 95% interval should
cover the planted odds ratio. Null terms (`sex[M]`, `disability[Y]`): not significant at 5%.
With 14 planted main-driver terms, even a perfect model misses at least one 95% interval on a
given seed about half the time (1 - 0.95**14 = 0.51), so one seed is not a fair test of "all
cover": the committed example allows up to 2 misses (and every estimate must be on the planted
side of 1); the 95% coverage rate itself is checked over several seeds in the slow test. (The
example seed's source[Individual] estimate, 2.2 against 1.6 planted, is outside its 95%
interval; seeds 1-3 give 1.8, 1.5, 1.6.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cscbook.measures.involvements import closed_involvements, model_table
from cscbook.measures.rereferral_model import fit_logistic
from cscbook.report.rr_chapter import model_window

ROOT = Path(__file__).resolve().parents[1]
TRUTH = ROOT / "data" / "synthetic" / "truth.json"
MAIN = ("ended", "age_band", "primary_need", "source")


def _fit_at(tables: dict[str, pd.DataFrame], period_end: pd.Timestamp):
    inv = closed_involvements(tables, period_end).data
    first, last = model_window(period_end)
    mt = model_table(inv)
    mt = mt[(mt.closure >= first) & (mt.closure <= last)]
    return fit_logistic(mt)


def _has_truth() -> bool:
    return TRUTH.exists() and "rereferral" in json.loads(TRUTH.read_text())


def _truth(path: Path = TRUTH) -> dict:
    return json.loads(path.read_text())["rereferral"]


NO_TRUTH = (
    "data/synthetic/truth.json has no 'rereferral' section yet (the synthetic authority is being built)"
)


def _example_tables() -> tuple[dict[str, pd.DataFrame], pd.Timestamp]:
    """The example extract's canonical tables and period end (params/example.yaml).

    Uses the tables saved by ``cscbook run`` when fresh; if they cannot be read (another run
    may be rewriting them at this moment), reads the extract itself.
    """
    from cscbook.config.params import load_params
    from cscbook.data.context import load_context, read_all

    params = load_params(ROOT / "params" / "example.yaml")
    try:
        return load_context(params.source_file).tables, params.period_end
    except Exception:  # noqa: BLE001 - a half-written cache: fall back to the extract
        return read_all(params).tables, params.period_end


def _check_truth_contract(truth: dict) -> None:
    # The shared contract (/tmp/rr_contract.md): reference levels and the null terms.
    assert truth["reference_levels"]["ended"] == "nfa_at_referral"
    assert truth["reference_levels"]["age_band"] == "5-9"
    assert truth["reference_levels"]["primary_need"] == "N1"
    assert truth["reference_levels"]["source"] == "Police"
    assert truth["reference_levels"]["sex"] == "F"
    assert truth["reference_levels"]["disability"] == "N"
    assert set(truth["null_terms"]) == {"sex[M]", "disability[Y]"}
    assert all(truth["odds_ratios"][t] == 1.0 for t in truth["null_terms"])
    planted = [t for t, v in truth["odds_ratios"].items() if v != 1.0]
    assert {t.split("[")[0] for t in planted} == set(MAIN)
    assert all(0.4 <= v <= 2.6 for v in truth["odds_ratios"].values())


def _main_terms(truth: dict) -> dict[str, float]:
    return {t: v for t, v in truth["odds_ratios"].items() if t.split("[")[0] in MAIN}


@pytest.fixture(scope="module")
def example_fit():
    assert _has_truth(), NO_TRUTH
    tables, period_end = _example_tables()
    return _fit_at(tables, period_end), _truth()


def test_truth_follows_the_contract():
    assert _has_truth(), NO_TRUTH
    _check_truth_contract(_truth())


def test_example_recovers_planted_main_drivers(example_fit):
    fit, truth = example_fit
    assert fit.ok, fit.notes
    t = fit.table.set_index("term")
    main = _main_terms(truth)
    missing = sorted(set(main) - set(t.index))
    assert not missing, f"planted terms not estimated (merged or absent): {missing}"
    # Every estimate on the planted side of 1.
    wrong_side = [k for k, v in main.items() if np.sign(np.log(t.loc[k, "odds_ratio"])) != np.sign(np.log(v))]
    assert not wrong_side, wrong_side
    # The 95% intervals cover the planted odds ratios, allowing chance misses: with 14 terms,
    # 0.7 misses are expected and 3 or more have probability about 3%.
    missed = {k: (round(t.loc[k, "odds_ratio"], 2), v) for k, v in main.items()
              if not t.loc[k, "ci_low"] <= v <= t.loc[k, "ci_high"]}  # fmt: skip
    assert len(missed) <= 2, f"estimated vs planted odds ratios outside the 95% intervals: {missed}"


def test_example_finds_the_closed_after_cp_plan_driver(example_fit):
    """Without the involvement length (a mediator) in the main model the planted 'closed after a CP
    plan' driver (odds ratio 1.8) is found: its interval covers 1.8, excludes 1, and it is among the
    drivers after the Benjamini-Hochberg adjustment. (Measured: 1.65 (1.22-2.22); with the length
    added, 1.64 (0.98-2.77).)"""
    from cscbook.measures.rereferral_model import drivers

    fit, truth = example_fit
    row = fit.table.set_index("term").loc["ended[after_cp_plan]"]
    assert row["ci_low"] <= truth["odds_ratios"]["ended[after_cp_plan]"] <= row["ci_high"]
    assert row["ci_low"] > 1
    assert "ended[after_cp_plan]" in set(drivers(fit)["term"])
    assert not set(truth["null_terms"]) & set(drivers(fit)["term"])


def test_example_null_terms_not_significant(example_fit):
    fit, truth = example_fit
    t = fit.table.set_index("term")
    for term in truth["null_terms"]:
        assert term in t.index, term
        assert t.loc[term, "p_value"] >= 0.05, (term, t.loc[term].to_dict())
        assert t.loc[term, "ci_low"] <= 1 <= t.loc[term, "ci_high"]


@pytest.mark.slow
def test_coverage_over_several_seeds(tmp_path):
    """Over 6 seeds: 95% intervals cover the planted odds ratios at about the nominal rate, and
    the null terms are rarely significant (at most 2 of 12 null tests at 5%)."""
    from cscbook.data.ingest import read_annex_a
    from cscbook.data.ssda903 import read_ssda903
    from cscbook.synth import planted, simulate
    from cscbook.synth.export import write_extract

    period_end = pd.Timestamp("2024-12-31")
    cover, false_pos = [], 0
    for seed in range(1, 7):
        out = tmp_path / f"s{seed}"
        write_extract(simulate(seed=seed, scale=1.0), out, period_end)
        tables = dict(read_annex_a([out / "annex_a"]).tables)
        tables.update(read_ssda903([out / "ssda903"]).tables)
        fit = _fit_at(tables, period_end)
        assert fit.ok, (seed, fit.notes)
        t = fit.table.set_index("term")
        truth = _truth() if _has_truth() else None
        main = {k: v for k, v in planted.RR_ODDS_RATIOS.items() if k.split("[")[0] in MAIN}
        if truth is not None:
            assert _main_terms(truth) == main
        cover += [bool(t.loc[k, "ci_low"] <= v <= t.loc[k, "ci_high"]) for k, v in main.items()]
        false_pos += sum(bool(t.loc[k, "p_value"] < 0.05) for k in planted.RR_NULL_TERMS)
    rate = np.mean(cover)
    # 6 x 14 = 84 intervals; under 95% coverage (4.2 misses expected), 11 or more misses (< 87%
    # covered) has probability below 1%.
    assert rate >= 0.87, rate
    assert false_pos <= 2, false_pos
