"""Practice standards' intervals: the ``practice_standards:`` parameters and their defaults.

Each default is the statutory (or, where there is none, a common local) timescale of
DEFINITIONS.md "Practice standards at the period end" and "Care leavers". Units are in the
key's name: ``_days`` calendar days, ``_wd`` working days, ``_months`` calendar months.
"""

from __future__ import annotations

from typing import Any

PRACTICE_STANDARDS: dict[str, tuple[int, str]] = {
    "cla_visit_days": (
        42,
        "children in care: social work visits at most 6 weeks apart (CPPCR Regs 2010, reg. 28)",
    ),
    "cla_visit_first_days": (7, "children in care: first visit within 1 week of starting care (reg. 28(2))"),
    "cla_visit_long_term_months": (
        3,
        "long-term fostering after its first year: visits at most 3 months apart (reg. 28(3))",
    ),
    "cla_review_first_wd": (20, "children in care: first review within 20 working days (reg. 33)"),
    "cla_review_second_months": (3, "children in care: second review within 3 months of the first (reg. 33)"),
    "cla_review_months": (6, "children in care: later reviews every 6 months (reg. 33)"),
    "cla_health_under5_months": (
        6,
        "health assessment every 6 months before the fifth birthday (statutory guidance 2015)",
    ),
    "cla_health_months": (
        12,
        "health assessment every 12 months from the fifth birthday (statutory guidance 2015)",
    ),
    "cla_iha_wd": (
        20,
        "initial health assessment within 20 working days of starting care (statutory guidance 2015)",
    ),
    "cla_dental_months": (12, "dental check within 12 months (SSDA903 OC2 convention)"),
    "cla_iro_months": (6, "independent reviewing officer contact within 6 months (local standard)"),
    "cla_plan_months": (6, "care plan updated within 6 months (local standard)"),
    "cp_review_first_months": (
        3,
        "child protection: first review conference within 3 months of the ICPC (Working Together 2023)",
    ),
    "cp_review_months": (
        6,
        "child protection: later review conferences every 6 months (Working Together 2023)",
    ),
    "cp_visit_wd": (10, "child protection: statutory visit within 10 working days (local standard)"),
    "cp_plan_months": (3, "child protection plan updated within 3 months (local standard)"),
    "cin_seen_wd": (20, "children in need: seen within 20 working days (local standard)"),
    "cin_plan_months": (3, "child in need plan updated within 3 months (local standard)"),
    "pathway_plan_months": (
        6,
        "pathway plan reviewed within 6 months (Care Leavers (England) Regs 2010, reg. 7)",
    ),
    "strategy_discussion_wd": (
        1,
        "strategy discussion within 1 working day of the referral (Working Together 2023)",
    ),
    "referral_visit_wd": (5, "child seen within 5 working days of the referral (local standard)"),
    "referral_visit_long_wd": (10, "child seen within 10 working days of the referral (local standard)"),
}
DEFAULTS: dict[str, int] = {k: v for k, (v, _) in PRACTICE_STANDARDS.items()}

# Targets for the practice measures (proportions), added to the parameters' known targets.
PRACTICE_TARGET_KEYS = {
    "cla_visits_in_time": "children in care visited within the statutory interval",
    "cla_reviews_in_time": "children in care reviewed in time",
    "cla_health_up_to_date": "children in care with an up-to-date health assessment",
    "cla_iha_20wd": "initial health assessments within 20 working days",
    "cp_reviews_in_time": "child protection plans reviewed in time",
    "cp_visits_in_time": "children on a child protection plan visited in time",
    "pathway_plan_18_21": "care leavers aged 18-21 with a pathway plan reviewed in the last 6 months",
    "strategy_discussion_1wd": "strategy discussions within 1 working day",
    "referral_visit_5wd": "referral visits within 5 working days",
}


def check_standards(raw: Any) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """The standards with defaults filled in, and problems as (key, problem, fix).

    Every value must be a whole number of 1 or more; an unknown key is a problem.
    """
    values = dict(DEFAULTS)
    problems: list[tuple[str, str, str]] = []
    if raw is None:
        return values, problems
    if not isinstance(raw, dict):
        return values, [
            ("practice_standards", "must be a mapping of standard to interval", "See params/example.yaml.")
        ]
    for k, v in raw.items():
        if k not in DEFAULTS:
            problems.append(
                (f"practice_standards.{k}", "is not a known standard", f"Known: {', '.join(DEFAULTS)}.")
            )
        elif not isinstance(v, int) or isinstance(v, bool) or v < 1:
            problems.append((f"practice_standards.{k}", f"is {v!r}, not a whole number of 1 or more",
                             f"The default is {DEFAULTS[k]}."))  # fmt: skip
        else:
            values[k] = v
    return values, problems
