"""Planted practice compliance: the 'latest' visit, review, assessment and plan dates of Annex A.

Every open row of Lists 6-9 is in time for a standard with probability ``level(standard, on)
+ team shift`` (``on``: the extract date for open rows), drawn from a fixed hash of the row's
key, so an extract taken on a quarter end shows that quarter's compliance. A row in time gets a
latest date inside the standard's interval; one that is not gets a date past it (or none, when
that would be before the case opened). Reviews keep a schedule a few days inside the statutory
one (children in care: first at 25 days, second 88 days later, then every 178; child protection:
first at 84 days, then every 178) and a missed one leaves the previous review as the latest.

Planted (recorded in truth.json under ``practice``): the authority's level per standard; one
team clearly behind on every standard it holds (``TEAM_BEHIND``, ``TEAM_BEHIND_SHIFT``); one
standard improving over the last two quarters of the example (children in care reviewed in
time, ``IMPROVING``); no difference between the other teams. The front-door dates of List 3
(strategy discussion, child first seen) are drawn in working days from the referral.
"""

from __future__ import annotations

import numpy as np

from cscbook.synth.allocation import unit
from cscbook.synth.days import add_wd, day, interp_points, sub_wd

LEVELS: dict[str, float] = {
    "cla_visits": 0.92, "cla_health": 0.88, "cla_iha": 0.45, "cla_dental": 0.80, "cla_iro": 0.90,
    "cla_plan": 0.96, "cp_reviews": 0.97, "cp_visits": 0.88, "cp_plan": 0.76, "cin_seen": 0.85,
    "cin_plan": 0.90, "pathway_18_21": 0.87, "pathway_16_17": 0.40,
}  # fmt: skip
IMPROVING = {
    "cla_reviews": [("2018-04-01", 0.78), ("2024-06-30", 0.78), ("2024-12-31", 0.95), ("2025-03-31", 0.95)]
}
TEAM_BEHIND = "Children's Social Work North"
TEAM_BEHIND_SHIFT = -0.35
# Front door (List 3): working days from the referral, probabilities for 0, 1, 2, ... days.
STRATEGY_DELAY_P = [0.45, 0.35, 0.12, 0.08]  # within 1 working day: 0.80 (seed 001)
VISIT_DELAY_P = [
    0.10,
    0.25,
    0.22,
    0.15,
    0.09,
    0.06,
    0.04,
    0.03,
    0.02,
    0.02,
    0.01,
    0.01,
]  # <=5: 0.87, <=10: 0.99
SALT = {"cla_visits": 101, "cla_reviews": 103, "cla_health": 107, "cla_iha": 109, "cla_dental": 113,
        "cla_iro": 127, "cla_plan": 131, "cp_reviews": 137, "cp_visits": 139, "cp_plan": 149, "cin_seen": 151,
        "cin_plan": 157, "pathway_18_21": 163, "pathway_16_17": 163, "strategy": 167, "visit": 173}  # fmt: skip


def level(standard: str, on: np.ndarray) -> np.ndarray:
    """Planted share in time for a team on the authority's level, on each day ``on``."""
    if standard in IMPROVING:
        return interp_points(on, IMPROVING[standard])
    return np.full(len(np.atleast_1d(on)), LEVELS[standard])


def in_time(standard: str, key: np.ndarray, on: np.ndarray, team: np.ndarray) -> np.ndarray:
    """Whether each row is in time (probability: level + the team's shift, fixed per row)."""
    p = level(standard, on) + np.where(np.asarray(team) == TEAM_BEHIND, TEAM_BEHIND_SHIFT, 0.0)
    return unit(key, SALT[standard]) < np.clip(p, 0, 1)


def _gap(
    standard: str, key: np.ndarray, met: np.ndarray, within: np.ndarray, late: tuple[int, int]
) -> np.ndarray:
    """Days back from ``on``: 0..within when met, late[0]..late[1] when not."""
    u = unit(key, SALT[standard] + 1)
    return np.where(
        met, np.floor(u * (np.asarray(within) + 1)), late[0] + np.floor(u * (late[1] - late[0] + 1))
    ).astype(np.int64)


def days_back(standard: str, key, on, team, start, within, late, *, before_start: bool = False) -> np.ndarray:
    """Latest event ``on - gap`` (calendar days); -1 when not met and it would fall before ``start``
    (never done); a met date before ``start`` is moved to ``start`` unless ``before_start``."""
    met = in_time(standard, key, on, team)
    when = on - _gap(standard, key, met, within, late)
    if before_start:
        return when
    return np.where(when >= start, when, np.where(met, start, -1))


def working_days_back(standard: str, key, on, team, start, within: int, late: tuple[int, int]) -> np.ndarray:
    """As ``days_back`` in working days (met: 0..within-1 working days before ``on``)."""
    met = in_time(standard, key, on, team)
    k = _gap(standard, key, met, within - 1, late)
    when = sub_wd(on, k)
    return np.where(when >= start, when, np.where(met, start, -1))


def reviews(standard: str, key, on, team, start, first: int, second: int, cycle: int) -> np.ndarray:
    """Latest review on the schedule (``first``, ``second`` days after the start, then every ``cycle``);
    a missed one leaves the previous review (none before the first)."""
    tic = on - start
    latest = np.where(tic >= second, start + second + np.floor((tic - second) / cycle).astype(np.int64) * cycle,
                      np.where(tic >= first, start + first, -1))  # fmt: skip
    previous = np.where(latest >= start + second + cycle, latest - cycle,
                        np.where(latest == start + second, start + first, -1))  # fmt: skip
    met = in_time(standard, key, on, team)
    return np.where(met | (latest < 0), latest, previous)


def cla_health(key, on, team, start, dob) -> np.ndarray:
    """Latest health assessment: the initial one (working days after the start) in the first 120
    days in care, then a review assessment every 6 months under 5 and 12 months from 5."""
    tic = on - start
    iha_met = in_time("cla_iha", key, on, team)
    k = _gap("cla_iha", key, iha_met, 20, (22, 45))
    iha = add_wd(start, k)
    iha = np.where(iha <= on, iha, -1)
    under5 = on < dob + 5 * 365
    met = in_time("cla_health", key, on, team)
    u = unit(key, SALT["cla_health"] + 1)
    gap = np.where(
        met, np.floor(u * np.where(under5, 171, 351)), np.where(under5, 190, 372) + np.floor(u * 60)
    )
    review = on - gap.astype(np.int64)
    review = np.where(review >= start, review, np.where(met, start, -1))
    return np.where(tic <= 120, iha, review)


def front_door(
    referral: np.ndarray, key: np.ndarray, probs: list[float], salt: str, as_at: int
) -> np.ndarray:
    """A date ``k`` working days after each referral (k drawn from ``probs``); -1 after ``as_at``."""
    cum = np.cumsum(probs) / np.sum(probs)
    k = np.searchsorted(cum, unit(key, SALT[salt]), side="right")
    when = add_wd(referral, k)
    return np.where(when <= as_at, when, -1)


def truth() -> dict:
    """The planted practice compliance for truth.json."""
    return {
        "measure": "share of children due each practice standard who had it in time at the extract date",
        "levels": dict(LEVELS),
        "improving": {k: [{"date": d, "value": v} for d, v in pts] for k, pts in IMPROVING.items()},
        "improving_by_quarter_end": {
            k: {
                d: round(float(level(k, np.array([day(d)]))[0]), 3)
                for d in ("2024-06-30", "2024-09-30", "2024-12-31")
            }
            for k in IMPROVING
        },  # fmt: skip
        "team_behind": {"team": TEAM_BEHIND, "shift": TEAM_BEHIND_SHIFT},
        "other_teams": "no difference planted between the other teams",
        "strategy_discussion_1wd": round(float(sum(STRATEGY_DELAY_P[:2])), 3),
        "referral_visit_5wd": round(float(sum(VISIT_DELAY_P[:6])), 3),
        "referral_visit_10wd": round(float(sum(VISIT_DELAY_P[:11])), 3),
        "note": "levels are per row at the extract date; the book's denominators leave out children not yet due",
    }
