"""The children-in-care chapter end to end on simulated episodes (no files): SSDA903 alone,
Annex A List 8 alone, a small authority, and nothing at all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cscbook.config.params import Intervention, Params
from cscbook.data.context import Context
from cscbook.measures.cic_episodes import periods_of_care, prepare_episodes
from cscbook.measures.compute import compute_all
from cscbook.report.cic_chapter import build_chapter, save_outputs
from cscbook.report.cic_display import backtest_display, coverage_display, its_display, placebo_display
from cscbook.report.cic_plots import plot_flows, plot_forecasts, plot_km, plot_placebo

PERIOD_END = pd.Timestamp("2024-12-31")
STEP = pd.Timestamp("2022-04-01")


def simulate_episodes(
    seed: int, per_month: float, rate_ratio: float = 0.8
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Periods of care starting as a Poisson process (rate x rate_ratio from STEP), lasting
    exponential(30 months), each split into 1-3 episodes joined by X1; SSDA903-style window:
    only episodes still open on or after 1 April 2019. Returns (episodes, header)."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2012-04-01", "2025-03-01", freq="MS")
    lam = np.where(months >= STEP, per_month * rate_ratio, per_month)
    n = rng.poisson(lam)
    start = np.repeat(months.to_numpy(), n) + pd.to_timedelta(rng.integers(0, 28, n.sum()), "D").to_numpy()
    k = len(start)
    dur = pd.to_timedelta(rng.exponential(30 * 30.4, k).round() + 1, "D").to_numpy()
    end = start + dur
    child = np.array([f"C{i:05d}" for i in range(k)])
    # Split each period into up to 3 episodes at random fractions.
    n_ep = rng.integers(1, 4, k)
    rows = np.repeat(np.arange(k), n_ep)
    j = np.concatenate([np.arange(m) for m in n_ep])
    frac = np.sort(rng.uniform(0, 1, (k, 2)), axis=1)
    cuts = np.column_stack([np.zeros(k), frac, np.ones(k)])
    s_f = cuts[rows, np.minimum(j, n_ep[rows] - 1) * 0 + j]
    e_f = np.where(j == n_ep[rows] - 1, 1.0, cuts[rows, j + 1])
    span = (end - start)[rows].astype("timedelta64[D]").astype(float)
    ep_start = start[rows] + (s_f * span).astype("timedelta64[D]")
    ep_end = start[rows] + (e_f * span).astype("timedelta64[D]")
    last = j == n_ep[rows] - 1
    ep = pd.DataFrame(
        {
            "child_id": child[rows],
            "episode_start": pd.to_datetime(ep_start),
            "episode_end": pd.to_datetime(ep_end),
            "reason_new_episode": np.where(j == 0, "S", rng.choice(["P", "L", "T", "B"], len(rows))),
            "legal_status": rng.choice(["C1", "C2", "V2", "E1"], len(rows)),
            "placement_type": rng.choice(["U4", "U6", "K2", "P1", "H5", "A5"], len(rows)),
            "placement_provider": rng.choice(["PR1", "PR4", "PR5"], len(rows)),
            "reason_episode_ceased": np.where(
                last, rng.choice(["E4A", "E11", "E45", "E8", "E5"], len(rows)), "X1"
            ),
            "home_postcode": rng.choice(["WM1 1AA", "WM2 2BB"], len(rows)),
            "placement_postcode": rng.choice(["WM3 3CC", "BX1 1ZZ"], len(rows)),
        }
    )
    ep = ep.loc[ep["episode_end"] >= pd.Timestamp("2019-04-01")]
    ep = ep.loc[ep["episode_start"] <= pd.Timestamp("2025-03-31")]
    ep.loc[ep["episode_end"] > pd.Timestamp("2025-03-31"), ["episode_end", "reason_episode_ceased"]] = [
        pd.NaT,
        None,
    ]
    dob = pd.to_datetime(start) - pd.to_timedelta(rng.integers(0, 17 * 365, k), "D")
    header = pd.DataFrame({"child_id": child, "date_of_birth": dob, "sex": rng.choice(["M", "F"], k)})
    header = header.loc[header["child_id"].isin(ep["child_id"])]
    return ep.sort_values(["child_id", "episode_start"]).reset_index(drop=True), header.reset_index(drop=True)


def list8_from(ep: pd.DataFrame, header: pd.DataFrame) -> pd.DataFrame:
    """Annex A List 8 for the 12 months to the period end: one row per period of care."""
    e = prepare_episodes(ep, header, as_of=PERIOD_END)
    periods = periods_of_care(e, PERIOD_END)
    last = e.drop_duplicates("child_id", keep="last").set_index("child_id")
    keep = periods["period_end"].isna() | (periods["period_end"] > PERIOD_END - pd.DateOffset(years=1))
    p = periods.loc[keep]
    return pd.DataFrame(
        {
            "child_id": p["child_id"].to_numpy(),
            "date_of_birth": last.loc[p["child_id"], "date_of_birth"].to_numpy(),
            "cla_start_date": p["period_start"].to_numpy(),
            "cla_end_date": p["period_end"].to_numpy(),
            "reason_ceased": p["reason_ceased"].to_numpy(),
            "legal_status": last.loc[p["child_id"], "legal_status"].to_numpy(),
            "placement_type": last.loc[p["child_id"], "placement_type"].to_numpy(),
            "placement_location": np.where(np.arange(len(p)) % 3 == 0, "OUT", "IN"),
            "uasc": np.where(np.arange(len(p)) % 20 == 0, "Y", "N"),
        }
    )


def care_leavers(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "date_of_birth": pd.Timestamp("2003-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n), "D"),
            "in_touch": rng.choice(["YES", "NO"], n, p=[0.9, 0.1]),
            "activity": rng.choice(["F1", "F2", "G5", "G4", "P4"], n),
            "accommodation_suitability": rng.choice(["SUITABLE", "UNSUITABLE"], n, p=[0.85, 0.15]),
        }
    )


def make_ctx(tmp_path, tables, population=53_000) -> Context:
    params = Params(
        authority="Test", period_end=PERIOD_END, annex_a=(), ssda903=(), population_0_17=population,
        project_root=tmp_path, source_file=tmp_path / "p.yaml",
        interventions=(Intervention("edge_of_care", STEP),), min_cell=5,
    )  # fmt: skip
    return Context(params, tables, pd.DataFrame(), pd.DataFrame())


# Four backtest origins and 20 power simulations: the methods themselves are tested in
# test_forecast.py and test_its.py.
FAST = {"backtest_step": 12, "power_sims": 20}


@pytest.fixture(scope="module")
def sim():
    return simulate_episodes(1, per_month=16)


@pytest.fixture(scope="module")
def built(sim, tmp_path_factory):
    ep, header = sim
    ctx = make_ctx(tmp_path_factory.mktemp("cic"), {"cla_episodes": ep, "cla_header": header})
    return ctx, build_chapter(ctx, **FAST)


def test_ssda903_alone(built):
    ctx, ch = built
    tmp_path = ctx.params.project_root
    assert ch.source == "ssda903"
    assert ch.start == pd.Timestamp("2019-04-01")
    assert ch.identity_breaks.empty
    assert ch.flows["month"].iloc[-1] == pd.Timestamp("2024-12-01")
    # The planted step in starts (0.8 from April 2022) is inside the ITS interval.
    r = ch.its[0]
    assert r.fitted and r.ci_low < 0.8 < r.ci_high
    assert set(ch.forecasts) == {"in_care", "starts"}
    assert all(res.chosen for res in ch.forecasts.values())
    assert not ch.stability.empty and ch.stability["three_plus_pct"].notna().all()
    paths = save_outputs(ch, ctx.params)
    names = {p.name for p in paths}
    assert "children_in_care_its_edge_of_care.csv" in names
    its_table = pd.read_csv(
        tmp_path / "reports" / ctx.params.quarter / "tables" / "children_in_care_its_edge_of_care.csv"
    )
    assert {"rate_ratio", "ci_low", "ci_high", "cumulative_ratio", "cumulative_ci_low", "cumulative_ci_high",
            "autocorrelation", "ljung_box_p", "power", "placebo_dates"} <= set(its_table.columns)  # fmt: skip
    assert {
        "children_in_care_its_edge_of_care_placebo.csv",
        "children_in_care_forecast_coverage.csv",
    } <= names
    # Placebo dates: every month from the 12th to 6 months before the real date (April 2022, month 36).
    assert len(r.placebo) == 36 - 12 - 6 + 1 and (r.placebo["date"] < STEP).all()
    shown = its_display(ch).iloc[0]
    assert shown["Placebo dates with a step"].endswith("of 19")
    assert shown["Power for a sustained 20% fall"].endswith("%")
    assert set(placebo_display(ch)["Step found"]) <= {"yes", "no"}
    cov = coverage_display(ch)
    assert list(cov["Months ahead"]) == ["1-3", "4-6", "7-12"] * 2
    assert (cov["80% range widened x"] >= 1).all()
    assert "(used)" in " ".join(backtest_display(ch)["Method"])
    for p in paths:  # no personal data in any table
        cols = set(pd.read_csv(p).columns) if p.stat().st_size > 1 else set()
        assert not cols & {"child_id", "date_of_birth", "home_postcode", "placement_postcode"}
    res = compute_all(ctx.tables, ctx.params)
    assert {"cla_in_care", "cla_rate_per_10k", "cla_starts"} <= set(res.series)
    assert res.series["cla_in_care"]["value"].iloc[-1] == ch.flows["in_care"].iloc[-1]


def test_same_answer_twice(tmp_path, built):
    ctx, a = built
    b = build_chapter(make_ctx(tmp_path, ctx.tables), **FAST)
    pd.testing.assert_frame_equal(a.flows, b.flows)
    pd.testing.assert_frame_equal(a.forecasts["starts"].forecast, b.forecasts["starts"].forecast)
    pd.testing.assert_frame_equal(a.its[0].table(), b.its[0].table())


@pytest.mark.slow
def test_default_settings_are_fast_enough(tmp_path, sim):
    ep, header = sim
    ch = build_chapter(make_ctx(tmp_path, {"cla_episodes": ep, "cla_header": header}))
    assert sum(ch.seconds.values()) < 20


def test_list8_alone(tmp_path, sim, built):
    ep, header = sim
    cla = list8_from(ep, header)
    ctx = make_ctx(tmp_path, {"cla": cla, "care_leavers": care_leavers()})
    ch = build_chapter(ctx, **FAST)
    assert ch.source == "list8"
    # 12 months of List 8 give the same month-end numbers as the episodes for those months.
    full = built[1]
    tail = full.flows.set_index("month").loc[ch.flows["month"], "in_care"]
    assert (tail.to_numpy() == ch.flows["in_care"].to_numpy()).all()
    assert ch.identity_breaks.empty
    # Too short to forecast or to test the intervention: explained, not crashed.
    assert ch.forecasts["in_care"].chosen is None and ch.forecasts["in_care"].message
    assert not ch.its[0].fitted and ch.its[0].message
    assert "Placement location" in set(ch.who["characteristic"])
    assert ch.care_leavers is not None
    res = compute_all(ctx.tables, ctx.params)
    assert res.quarter_row("care_leavers_eet")["higher_is_better"] is True
    assert "care_leavers_eet" in res.series
    save_outputs(ch, ctx.params)


def test_small_authority(tmp_path):
    ep, header = simulate_episodes(2, per_month=1.5)
    ctx = make_ctx(tmp_path, {"cla_episodes": ep, "cla_header": header}, population=5_000)
    ch = build_chapter(ctx, **FAST)
    assert ch.flows["in_care"].iloc[-1] < 100
    # Small counts are suppressed in breakdowns (1-4 never shown).
    shown = ch.who["children"].dropna()
    assert not shown.between(1, 4).any()
    assert ch.identity_breaks.empty
    for fig in (plot_flows(ch), plot_km(ch), plot_forecasts(ch), plot_placebo(ch.its[0])):
        assert fig is not None


def test_nothing_present(tmp_path):
    ctx = make_ctx(tmp_path, {})
    assert build_chapter(ctx) is None
    res = compute_all(ctx.tables, ctx.params)
    assert {"cla_in_care", "cla_rate_per_10k", "cla_starts", "care_leavers_eet"} <= set(res.unavailable)


def test_stock_flow_check_for_the_data_quality_appendix(built, tmp_path):
    from cscbook.report.data_quality import stock_flow_check

    ctx, ch = built
    check = stock_flow_check(compute_all(ctx.tables, ctx.params), ctx.tables)
    assert isinstance(check, pd.DataFrame) and len(check) == 1
    row = check.iloc[0]
    # every month after the first is checked; the simulated episodes are consistent
    assert row["months checked"] == len(ch.flows) - 1
    assert row["months that do not balance"] == 0
    assert row["months that balance"] == row["months checked"]
    empty = make_ctx(tmp_path, {})
    none = stock_flow_check(compute_all(empty.tables, empty.params), empty.tables)  # no care data: says why
    assert none.startswith("The stock-flow check is not available") and "SSDA903 episodes" in none
