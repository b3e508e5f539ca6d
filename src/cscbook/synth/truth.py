"""truth.json: the planted coefficients and change points, keyed by the names the chapters use.

Planted values come from ``planted`` (inputs of the simulation); ``realised`` values are
counted from the simulated history up to the extract date (what a perfect analysis would see).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.synth import planted
from cscbook.synth.days import day, to_dt64
from cscbook.synth.world import World


def _points(points):
    return [{"date": d, "value": v} for d, v in points]


def _monthly_referrals(world: World, as_at: int) -> dict[str, int]:
    r = world.tables["referrals"]["referral"].to_numpy()
    r = r[(r >= day(planted.WINDOW_START)) & (r <= as_at)]
    months = pd.Series(pd.to_datetime(to_dt64(r))).dt.strftime("%Y-%m")
    return {k: int(v) for k, v in months.value_counts().sort_index().items()}


def _stock(world: World, on: str) -> int:
    p = world.tables["periods"]
    d = day(on)
    return int(((p["start"] <= d) & ((p["end"] < 0) | (p["end"] > d))).sum())


def _social_workers(world: World, on: str) -> dict[str, float | int]:
    """Children in care on ``on`` by distinct social workers in the 12 months to it (history as
    the SSDA903 files record it)."""
    from cscbook.synth import ssda903

    p = world.tables["periods"]
    d = day(on)
    kids = p.loc[(p["start"] <= d) & ((p["end"] < 0) | (p["end"] > d)), "child"].unique()
    sw = ssda903.social_worker_history(p, day(planted.SIM_END), world.seed)
    start = day(pd.Timestamp(on) - pd.DateOffset(years=1) + pd.Timedelta(days=1))  # the 12 months to ``on``
    s = sw[sw["child"].isin(kids) & (sw["sw_decom"] <= d) & ((sw["sw_dec"] < 0) | (sw["sw_dec"] >= start))]
    n = s.groupby("child")["sw_id"].nunique().reindex(kids, fill_value=0)
    return {"children_in_care": int(len(kids)), "three_or_more": int((n >= 3).sum()),
            "exactly_one": int((n == 1).sum()), "share_three_or_more": round(float((n >= 3).mean()), 4),
            "share_exactly_one": round(float((n == 1).mean()), 4)}  # fmt: skip


def social_worker_truth(world: World, as_at: int) -> dict:
    from cscbook.synth import ssda903

    dates = [x for x in ("2024-03-31", "2025-03-31") if day(x) <= as_at]
    return {
        "measure": "children in care on 31 March with 3 or more (and exactly one) social workers in the 12 "
                   "months to it, from SSDA903 social worker episodes (collected from 2023-24)",
        "changes_per_year": ssda903.SW_CHANGES_PER_YEAR,
        "trend": "none: the same change rate every year",
        "expected_share_three_or_more_in_care_all_year": round(
            1 - float(np.exp(-ssda903.SW_CHANGES_PER_YEAR)) * (1 + ssda903.SW_CHANGES_PER_YEAR), 4),
        "expected_share_exactly_one_in_care_all_year": round(float(np.exp(-ssda903.SW_CHANGES_PER_YEAR)), 4),
        "note": "worker changes are Poisson over each child's time from first entering care (the case stays "
                "with a worker between periods and for 4-12 weeks after leaving); children who entered care "
                "during the 12 months have had less time to change worker, so realised shares sit below the "
                "all-year expectations. No changes or closures fall in 26-31 March (moved to 1 April)",
        "realised": {x: _social_workers(world, x) for x in dates},
    }  # fmt: skip


def rereferral_truth() -> dict:
    return {
        "outcome": "rereferral within 365 days of closure",
        "intercept_log_odds": planted.RR_INTERCEPT,
        "reference_levels": dict(planted.RR_REFERENCE),
        "odds_ratios": dict(planted.RR_ODDS_RATIOS),
        "null_terms": list(planted.RR_NULL_TERMS),
        "not_planted_variables": ["sex", "disability", "ethnicity_group", "involvement_days",
                                  "previous_referrals", "team"],
        "background_later_referral_probability": planted.RR_BACKGROUND_P,
        "note": "Odds ratios not listed are 1. Closures from which the child entered care, was "
                "transferred out (RC5) or reached 18 are not at risk and draw no re-referral.",
    }  # fmt: skip


def truth(world: World, as_at: pd.Timestamp) -> dict:
    """Everything planted, with dates and sizes, plus a few realised values up to ``as_at``."""
    a = day(as_at)
    monthly = _monthly_referrals(world, a)
    stock_dates = [d for d in ["2021-03-31", "2022-03-31", "2023-03-31", "2024-03-31", "2024-05-31",
                               "2024-09-30", "2025-03-31"] if day(d) <= a]  # fmt: skip
    p = world.tables["periods"]
    starts = p.loc[~p["initial_stock"] & (p["start"] <= a), "start"].to_numpy()
    step = day(planted.EDGE_OF_CARE_DATE)
    before = starts[(starts >= step - 730) & (starts < step)]
    after = starts[(starts >= step) & (starts < min(step + 730, a + 1))]
    years_after = max(min(730, a + 1 - step), 1) / 365.25
    return {
        "authority": planted.AUTHORITY,
        "synthetic": True,
        "seed": world.seed,
        "scale": world.scale,
        "as_at": str(pd.Timestamp(as_at).date()),
        "simulated_from": planted.SIM_START,
        "lists_cover_from": planted.WINDOW_START,
        "population_0_17": round(planted.POPULATION_0_17 * world.scale),
        "rereferral": rereferral_truth(),
        "assessment_45wd": {
            "measure": "assessments authorised within 45 working days of their start (DfE), by month of authorisation",
            "planted_points": _points(planted.ASSESSMENT_45WD_POINTS),
            "level_before": planted.ASSESSMENT_45WD_POINTS[0][1],
            "level_after": planted.ASSESSMENT_45WD_POINTS[-1][1],
            "change_start": planted.ASSESSMENT_45WD_POINTS[1][0],
            "change_end": planted.ASSESSMENT_45WD_POINTS[2][0],
            "note": "probability of being in time, evaluated at start + 40 working days; by month of "
            "authorisation about 0.64 to July 2024 rising to about 0.83 from September 2024",
        },  # fmt: skip
        "referrals_monthly": {
            "measure": "referrals (Annex A List 3 rows) per calendar month",
            "change_date": planted.TARGETED_HELP_CHANGE,
            "change": "targeted-help change: referrals ramp down from the change date to September 2024",
            "planted_points": _points(planted.REFERRALS_MONTHLY_POINTS),
            "fresh_share": planted.FRESH_SHARE,
            "note": "planted_points drive fresh referrals (divided by fresh_share); re-referrals follow "
            "journeys, so realised totals sit a little above the points after the change",
            "realised": monthly,
        },  # fmt: skip
        "cla_starts_step": {
            "name": "edge_of_care",
            "date": planted.EDGE_OF_CARE_DATE,
            "rate_ratio": planted.EDGE_OF_CARE_RATE_RATIO,
            "starts_per_year_before": planted.CLA_STARTS_PER_YEAR * world.scale,
            "starts_per_year_after": planted.CLA_STARTS_PER_YEAR
            * planted.EDGE_OF_CARE_RATE_RATIO
            * world.scale,
            "trend_per_year": planted.CLA_STARTS_TREND,
            "slope_ratio": 1.0,
            "realised_per_year_two_years_before": round(len(before) / 2, 1),
            "realised_per_year_after": round(len(after) / years_after, 1),
            "note": "starts are Poisson with a log-linear trend (x trend_per_year a year, unchanged by the "
            "step) and no seasonality; starts_per_year_before/after are the rates either side of "
            "the step date",
        },  # fmt: skip
        "interventions": [
            {
                "name": "edge_of_care",
                "date": planted.EDGE_OF_CARE_DATE,
                "rate_ratio": planted.EDGE_OF_CARE_RATE_RATIO,
            }
        ],
        "null_intervention_date": planted.NULL_INTERVENTION_DATE,
        "cla_stock": {
            "measure": "children in care on a date (SSDA903 episodes open on that date)",
            "planted_points": _points([(d, v * world.scale) for d, v in planted.CLA_STOCK_POINTS]),
            "peak": {"date": "2024-05-31", "value": 530 * world.scale},
            "realised": {d: _stock(world, d) for d in stock_dates},
        },
        "null_series": [
            {
                "name": "s47_icpc_15wd",
                "measure": "ICPC within 15 working days of the s47 start",
                "value": planted.S47_ICPC_15WD_P,
            },
            {
                "name": "contact_decision_1wd",
                "measure": "contact decisions within 1 working day",
                "value": float(sum(planted.DECISION_DELAY_P[:2])),
            },
        ],  # fmt: skip
        "social_workers": social_worker_truth(world, a),
        "as_at_dependent_columns": _as_at_dependent(),
        "practice": _practice(),
    }


def _practice() -> dict:
    from cscbook.synth.practice import truth as practice_truth

    return practice_truth()


def _as_at_dependent() -> dict[str, list[str]]:
    from cscbook.synth.export import AS_AT_DEPENDENT

    return {k: list(v) for k, v in AS_AT_DEPENDENT.items()}


__all__ = ["truth", "rereferral_truth", "np"]
