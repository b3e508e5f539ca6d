"""Every planted number of the synthetic authority, in one place (truth.json is built from it).

Units: rates per year or per month as named; dates ISO; odds ratios on the odds scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

AUTHORITY = "Westmere (synthetic example authority)"
SIM_START = "2018-04-01"  # warm-up starts here
WINDOW_START = "2019-04-01"  # first day covered by the exported lists
SIM_END = "2025-03-31"  # the simulation always runs to here
POPULATION_0_17 = 53_000
POPULATION_ALL = 265_000

# --- front door -------------------------------------------------------------------------
# Planted monthly referral level (all referrals, fresh + re-referrals), piecewise linear
# between these month starts; seasonality multiplies it (school terms).
REFERRALS_MONTHLY_POINTS = [
    ("2018-04-01", 320.0),
    ("2023-06-01", 330.0),
    ("2024-01-01", 440.0),  # demand surge during 2023-24
    ("2024-02-01", 440.0),  # targeted-help change: ramp down from here
    ("2024-09-01", 235.0),
    ("2025-03-31", 235.0),
]
TARGETED_HELP_CHANGE = "2024-02-01"
# Share of referrals that arise as fresh (first) referrals; the rest come from journeys.
FRESH_SHARE = 0.63
CONTACTS_PER_REFERRAL = 2.6  # contacts that do not become referrals: (ratio - 1) x referrals
# Contact decision delay in working days (probabilities for 0, 1, 2, 3, 4, 5).
DECISION_DELAY_P = [0.55, 0.30, 0.07, 0.04, 0.02, 0.02]  # within 1 wd = 0.85, stationary
REFERRAL_NFA_P = 0.12

# Assessment timeliness (DfE: start to authorisation within 45 working days).
ASSESSMENT_45WD_POINTS = [
    ("2018-04-01", 0.64),
    ("2024-06-01", 0.64),
    ("2024-08-01", 0.84),
    ("2025-03-31", 0.84),
]
# s47 to ICPC within 15 working days: stationary (null series).
S47_ICPC_15WD_P = 0.80

# --- care -------------------------------------------------------------------------------
# Starts: expected per year just before the step, growing by CLA_STARTS_TREND a year
# (log-linear, before and after), times the rate ratio from the step on. Expected starts a
# year: 166 (2019-20), 175, 186, 197, then 168 (2023-24) and 177 (2024-25): the trend lets
# every year sit inside the 165-200 of a mid-sized unitary authority despite a 0.8 step.
CLA_STARTS_PER_YEAR = 203.0
CLA_STARTS_TREND = 1.06
EDGE_OF_CARE_DATE = "2023-04-01"
EDGE_OF_CARE_RATE_RATIO = 0.80
NULL_INTERVENTION_DATE = "2021-10-01"
# Target stock of children in care (piecewise linear; ceasing is steered towards it). The
# steering lags a rising target by about 5, so the realised stock at 31 March is about 495,
# 500, 505, 520 and 525 (2021-2025, 93-99 per 10,000), 530 in May 2024 and 515 in September.
# The first point is the initial stock (April 2018).
CLA_STOCK_POINTS = [
    ("2018-04-01", 483.0),
    ("2021-03-31", 499.0),
    ("2022-03-31", 500.0),
    ("2023-03-31", 504.0),
    ("2024-03-31", 519.0),
    ("2024-05-31", 535.0),
    ("2024-09-30", 520.0),
    ("2025-03-31", 528.0),
]

# --- re-referrals (logistic, see /tmp/rr_contract.md) -------------------------------------
RR_INTERCEPT = -0.95
RR_REFERENCE = {
    "ended": "nfa_at_referral",
    "age_band": "5-9",
    "primary_need": "N1",
    "source": "Police",
    "sex": "F",
    "disability": "N",
}
RR_ODDS_RATIOS = {
    "ended[after_assessment]": 1.4,
    "ended[stepped_down_early_help]": 0.75,
    "ended[after_cin_plan]": 0.6,
    "ended[after_cp_plan]": 1.8,
    "age_band[0-4]": 1.25,
    "age_band[10-15]": 1.35,
    "age_band[16-17]": 0.55,
    "primary_need[N2]": 0.5,
    "primary_need[N4]": 1.5,
    "primary_need[N5]": 1.7,
    "source[Schools]": 0.7,
    "source[Health]": 0.8,
    "source[Individual]": 1.6,
    "source[LA services]": 1.3,
    "sex[M]": 1.0,
    "disability[Y]": 1.0,
}
RR_NULL_TERMS = ["sex[M]", "disability[Y]"]
RR_BACKGROUND_P = 0.12  # not re-referred within 365 days: later referral (day 366+) probability


# --- a synthetic region: one authority's character (cscbook.synth.region) ----------------
@dataclass(frozen=True)
class Character:
    """Odds multipliers that make a simulated authority differ from Westmere: on the odds of a
    re-referral within 365 days of closure (``rereferral_odds``) and of an assessment being
    authorised within 45 working days (``assessment_45wd_odds``). 1 = no change: the default
    leaves the example authority byte-identical."""

    rereferral_odds: float = 1.0
    assessment_45wd_odds: float = 1.0


CHARACTER = Character()


@contextmanager
def character(c: Character) -> Iterator[None]:
    """Simulate with character ``c`` inside the block (restored afterwards, even on error)."""
    global CHARACTER
    before, CHARACTER = CHARACTER, c
    try:
        yield
    finally:
        CHARACTER = before
