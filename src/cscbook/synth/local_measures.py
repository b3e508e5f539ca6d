"""Westmere's local measures file: workforce and quality assurance figures by month.

Levels near the seed quarterly update's (agency cover about 26% of posts, supervision in time
about 85%, audits graded good or better about 30%, independent reviewing officers' caseloads
about 66). One planted change: a recruitment drive from April 2024 moves the agency share of
posts from 26% to 19% (a step, then steady). Everything else is steady with month-to-month
noise only. ``write_local_measures`` writes the file and returns the truth for ``truth.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.synth import planted

FILE = "local_measures.csv"
# The generator's seed is the authority's seed + SEED_OFFSET. Read for Q3 2024-25 with the book's
# judged control charts (fixed baseline, cscbook.methods.spc), offsets 0-39 find the planted agency
# shift 40 times in 40, and each of the ten charted steady series shows a chance special cause in that
# quarter 3-8 times in 40 (7-20%; the charts state 7-8%); 9 of 40 offsets have none in any steady
# series. The example uses the first of those (the example reads without a chance signal); a test
# checks the shift and the steady series on the committed file.
SEED_OFFSET = 1
ESTABLISHMENT = 240  # social work posts
AGENCY_BEFORE, AGENCY_AFTER, DRIVE = 0.26, 0.19, "2024-04-01"
VACANCY = 0.10
TURNOVER_MONTHLY = 0.013  # about 15% a year
SUPERVISION = 0.85
SUPERVISIONS_DUE = 190
AUDITS = 30
GRADES = {
    "audit_outstanding": 0.03,
    "audit_good": 0.27,
    "audit_requires_improvement": 0.60,
    "audit_inadequate": 0.10,
}
IRO_CASELOAD, CP_CHAIR_CASELOAD, CASELOAD_SD = 65.7, 48.0, 2.0
NQSW_LEVEL = 18
# Agency cover by team (posts in each team's share of the establishment); drawn with a separate
# generator from the authority-wide figures, which are the teams' sums. The small team shows the
# disclosure rule (fewer than min_cell posts: not shown).
TEAMS = {
    "Initial response": 0.30,
    "Safeguarding and support": 0.40,
    "Children in care": 0.28,
    "Disabled children": 0.02,
}


def local_measures(months: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    """The tidy local measures table for ``months`` (columns as the template)."""
    rng = np.random.default_rng(seed + SEED_OFFSET)
    n = len(months)
    vacant = rng.binomial(ESTABLISHMENT, VACANCY, n)
    filled = ESTABLISHMENT - vacant
    p_agency = np.where(months >= pd.Timestamp(DRIVE), AGENCY_AFTER, AGENCY_BEFORE)
    agency = rng.binomial(filled, p_agency)
    leavers = rng.binomial(filled, TURNOVER_MONTHLY)
    due = rng.poisson(SUPERVISIONS_DUE, n)
    in_time = rng.binomial(due, SUPERVISION)
    audits = rng.poisson(AUDITS, n)
    grades = np.array([rng.multinomial(a, list(GRADES.values())) for a in audits])
    month = months.strftime("%Y-%m")

    def prop(key: str, num, den) -> pd.DataFrame:
        return pd.DataFrame({"measure": key, "month": month, "numerator": num, "denominator": den})

    def val(key: str, value) -> pd.DataFrame:
        return pd.DataFrame({"measure": key, "month": month, "value": value})

    parts = [
        prop("agency_share", agency, filled),
        prop("vacancy_rate", vacant, np.full(n, ESTABLISHMENT)),
        prop("turnover", leavers, filled),
        val("nqsw_in_post", NQSW_LEVEL + rng.integers(-3, 4, n)),
        prop("supervision_in_time", in_time, due),
        *[val(k, grades[:, i]) for i, k in enumerate(GRADES)],
        val("iro_caseload", np.round(rng.normal(IRO_CASELOAD, CASELOAD_SD, n), 1)),
        val("cp_chair_caseload", np.round(rng.normal(CP_CHAIR_CASELOAD, CASELOAD_SD, n), 1)),
    ]
    out = pd.concat(parts, ignore_index=True)
    out["team"] = ""
    out = pd.concat([out, _agency_by_team(month, agency, filled, seed)], ignore_index=True)
    cols = ["measure", "month", "numerator", "denominator", "value", "team"]
    return out.reindex(columns=cols).astype({"numerator": "Int64", "denominator": "Int64"})


def _agency_by_team(month: pd.Index, agency: np.ndarray, filled: np.ndarray, seed: int) -> pd.DataFrame:
    """The authority's filled posts split among ``TEAMS`` each month, and its agency posts among them."""
    rng = np.random.default_rng(seed + SEED_OFFSET + 1000)
    shares = np.array(list(TEAMS.values()))
    posts = np.array([rng.multinomial(f, shares) for f in filled])
    agency_t = np.array([rng.multivariate_hypergeometric(p, a) for p, a in zip(posts, agency, strict=True)])
    return pd.concat([pd.DataFrame({"measure": "agency_share", "month": month, "numerator": agency_t[:, i],
                                    "denominator": posts[:, i], "team": team})
                      for i, team in enumerate(TEAMS)], ignore_index=True)  # fmt: skip


def write_local_measures(out: Path, as_at: pd.Timestamp, seed: int) -> dict:
    """Write ``out/local_measures.csv`` (months from the lists' window to ``as_at``); return the truth."""
    months = pd.date_range(planted.WINDOW_START, pd.Timestamp(as_at).to_period("M").to_timestamp(), freq="MS")
    local_measures(months, seed).to_csv(Path(out) / FILE, index=False, float_format="%g")
    return {
        "file": FILE,
        "planted_shift": {"measure": "agency_share", "from_month": DRIVE[:7], "before": AGENCY_BEFORE,
                          "after": AGENCY_AFTER, "cause": "recruitment drive"},  # fmt: skip
        "steady": {"vacancy_rate": VACANCY, "turnover": TURNOVER_MONTHLY, "supervision_in_time": SUPERVISION,
                   "audit_good_or_better": GRADES["audit_outstanding"] + GRADES["audit_good"],
                   **{g: share for g, share in GRADES.items()},  # share of audits with each grade
                   "iro_caseload": IRO_CASELOAD, "cp_chair_caseload": CP_CHAIR_CASELOAD, "nqsw_in_post": NQSW_LEVEL},
    }  # fmt: skip
