"""The book's measures, declared once each (see ``cscbook.measures.registry``).

Each declaration names the measure's definition and source (DEFINITIONS.md) and points at the
one function that computes its monthly series. Modules that declare further measures are
imported at the end of this file, so ``registry.all_measures()`` sees them all.
"""

from __future__ import annotations

import functools

import pandas as pd

from cscbook.config.params import Params
from cscbook.config.periods import month_start
from cscbook.measures import front_door as fd
from cscbook.measures.care_leavers import care_leaver_outcomes
from cscbook.measures.caseloads import ENGLAND_KEY, TOTAL, caseloads, has_allocation, open_cases
from cscbook.measures.cic_episodes import care_data
from cscbook.measures.cic_flows import add_rates, monthly_flows
from cscbook.measures.registry import Measure, NotAvailable, Tables, register
from cscbook.measures.rereferrals import referral_flags, rereferral_rates
from cscbook.measures.shared import once_per_run
from cscbook.measures.social_workers import social_worker_counts

FRONT_DOOR = "Front door"
REREFERRALS = "Re-referrals"
CHILDREN_IN_CARE = "Children in care"
CASELOADS = "Caseloads"


# ----------------------------------------------------------------------------- front door
@once_per_run
def front_door_series(tables: Tables, params: Params) -> dict[str, pd.DataFrame]:
    """Every front-door monthly series (``front_door.monthly_series``), computed once per run."""
    return fd.monthly_series(dict(tables), params.period_end)


def _front_door(key: str):
    def compute(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        series = front_door_series(tables, params)
        if key not in series:
            if key == "contact_decision_1wd":
                return NotAvailable("needs a 'Date of Contact Decision' column in Annex A List 1 (contacts)")
            return NotAvailable("needs " + " and ".join(f"Annex A {t}" for t in fd.SOURCES[key]))
        return series[key]

    return compute


_FD_DEFINITIONS = {
    "contacts": ("Annex A List 1 rows, one per child per contact date and source (exact repeats removed), "
                 "counted in the month of the contact.", "Annex A List 1", ("contacts",), True),
    "referrals": ("Annex A List 3 rows (referrals, including those ending in no further action), counted in "
                  "the month of the referral (CIN census definition).", "Annex A List 3", ("referrals",), True),
    "contact_referral_30d": ("Share of contacts followed by a referral of the same child within 30 calendar days; "
                             "a contact counts once its 30 days have passed by the period end.",
                             "Annex A Lists 1 and 3 (a fixed 30-day window, as peer tools use)",
                             ("contacts", "referrals"), False),
    "contact_decision_1wd": ("Share of contacts with a decision within 1 working day of receipt (Working "
                             "Together: decide the type of response within one working day).",
                             "Annex A List 1, optional 'Date of Contact Decision' column",
                             ("contacts.contact_decision_date",), True),
    "assessment_45wd": ("Assessments authorised within 45 working days of the assessment starting, by month of "
                        "authorisation (DfE, CIN census; validation rule 8670Q).", "Annex A List 4",
                        ("assessments",), True),
    "assessment_45wd_from_referral": ("Assessments authorised within 45 working days of the referral (Working "
                                      "Together: 'from the point of referral').", "Annex A Lists 3 and 4",
                                      ("assessments", "referrals"), False),
    "s47_icpc_15wd": ("Initial child protection conferences within 15 working days of the start of the section 47 "
                      "enquiry, by month of conference (DfE table C4; rule 8675Q).", "Annex A List 5", ("s47",), True),
    "s47": ("Section 47 enquiries started, by month of start.", "Annex A List 5", ("s47",), False),
    "icpc": ("Initial child protection conferences held, by month of conference.", "Annex A List 5", ("s47",), False),
    "second_cp_plan": ("Child protection plans starting in the month for children previously on a plan, however "
                       "long ago (DfE table D3): 'Number of Previous Child Protection Plans' above 0.",
                       "Annex A List 7", ("cp_plans.cp_start_date", "cp_plans.previous_cp_plans"), True),
    "cp_plans_open": ("Children on a child protection plan at the end of each month.", "Annex A List 7",
                      ("cp_plans.cp_start_date",), True),
}  # fmt: skip

for _key, (_definition, _source, _needs, _headline) in _FD_DEFINITIONS.items():
    _spec = fd.MEASURES[_key]
    register(Measure(
        key=_key, label=_spec.label, definition=_definition, source=_source, needs=_needs, kind=_spec.kind,
        compute=_front_door(_key), unit={"proportion": "%", "stock": "children"}.get(_spec.kind, "count"),
        higher_is_better=_spec.higher_is_better, target_key=_spec.target_key, england_key=_spec.england_key,
        chapter=FRONT_DOOR, headline=_headline, complete_until=functools.partial(fd.complete_until, _key),
    ))  # fmt: skip


# ----------------------------------------------------------------------------- re-referrals
def rereferral_series(tables: Tables, params: Params) -> pd.DataFrame:
    """Re-referrals within 12 months (DfE) by month of referral: numerator and denominator."""
    rates = rereferral_rates(referral_flags(tables["referrals"], params.period_end), "month")
    return pd.DataFrame({"month": rates["period"], "numerator": rates["rereferrals_12m"],
                         "denominator": rates["referrals"]})  # fmt: skip


register(Measure(
    key="rereferral_12m", label="Re-referrals within 12 months",
    definition=("Referrals in the period that came within 12 months (365 days) of a previous referral of the same "
                "child, as a share of all referrals in the period, counted per referral (DfE). Where the extract "
                "does not reach 12 months back, List 3's 'Number of Referrals in Last 12 Months' is used."),
    source="Annex A List 3; DfE Children in need statistics", needs=("referrals",), kind="proportion",
    compute=rereferral_series, unit="%", higher_is_better=False, target_key="rereferral_12m",
    england_key="rereferral_12m", chapter=REREFERRALS, headline=True,
))  # fmt: skip


# ----------------------------------------------------------------------------- children in care
@once_per_run
def care_flows(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
    """Month-end numbers in care, starts and ceases with the rate per 10,000 (computed once per run)."""
    data = care_data(dict(tables), params.period_end)
    if data.source == "none":
        return NotAvailable("needs SSDA903 episodes or Annex A List 8 (children in care)")
    return add_rates(monthly_flows(data.episodes, params.period_end, data.start), params.population_0_17)


def _flow(column: str):
    def compute(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        flows = care_flows(tables, params)
        if isinstance(flows, NotAvailable):
            return flows
        return flows[["month"]].assign(value=flows[column])

    return compute


_CARE_NEEDS = ("cla_episodes|cla",)
register(Measure(
    key="cla_in_care", label="Children in care at month end",
    definition=("Children with an episode of care that started on or before the date and had not ceased by it "
                "(SSDA903: DECOM <= date and DEC blank or after it)."),
    source="SSDA903 episodes (Annex A List 8 when there is no SSDA903)", needs=_CARE_NEEDS, kind="stock",
    compute=_flow("in_care"), unit="children", chapter=CHILDREN_IN_CARE, headline=True,
))  # fmt: skip
register(Measure(
    key="cla_rate_per_10k", label="Children in care per 10,000 children",
    definition="Children in care at month end / population aged 0-17 (ONS mid-year estimate, a parameter) x 10,000.",
    source="SSDA903 episodes; ONS mid-year population estimate", needs=_CARE_NEEDS, kind="rate",
    compute=_flow("rate_per_10k"), unit="per 10,000", higher_is_better=False, target_key="cla_rate_per_10k",
    england_key="cla_rate_per_10k", chapter=CHILDREN_IN_CARE, headline=True,
))  # fmt: skip
register(Measure(
    key="cla_starts", label="Children starting to be looked after",
    definition=("Starts of a period of care in the month: the first episode of a period (RNE = S, or no episode "
                "for the child the day before)."),
    source="SSDA903 episodes", needs=_CARE_NEEDS, kind="count", compute=_flow("starts"), unit="children",
    chapter=CHILDREN_IN_CARE, headline=True,
))  # fmt: skip


register(Measure(
    key="cla_ceases", label="Children ceasing to be looked after",
    definition=("Ends of a period of care in the month: the last episode of a period (DEC with a reason other than "
                "X1, which closes an episode but not the period)."),
    source="SSDA903 episodes", needs=_CARE_NEEDS, kind="count", compute=_flow("ceases"), unit="children",
    chapter=CHILDREN_IN_CARE,
))  # fmt: skip


def _social_workers(column: str):
    def compute(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
        data = care_data(dict(tables), params.period_end)
        counts = social_worker_counts(tables.get("social_worker_episodes"), data.episodes, params.period_end)
        if not counts.available:
            return NotAvailable("needs the SSDA903 social worker episodes (collected from 2023-24) covering the "
                                f"12 months to the period end ({counts.reason.removeprefix('not available: ')})")  # fmt: skip
        return pd.DataFrame({"month": [month_start(params.period_end)], "numerator": [getattr(counts, column)],
                             "denominator": [counts.denominator]})  # fmt: skip

    return compute


register(Measure(
    key="cla_3plus_social_workers", label="Children in care with 3 or more social workers in the last 12 months",
    definition=("Children in care at the period end (short breaks excluded) who had 3 or more different social "
                "workers in the 12 months to it, as a share of all children in care then (DfE National Framework "
                "indicator; children with no social worker episode recorded stay in the denominator)."),
    source="SSDA903 social worker episodes (collected from 2023-24)", needs=("social_worker_episodes", "cla_episodes"),
    kind="proportion", compute=_social_workers("three_or_more"), unit="%", higher_is_better=False,
    chapter=CHILDREN_IN_CARE, headline=True, snapshot=True,
))  # fmt: skip
register(Measure(
    key="cla_one_social_worker", label="Children in care with one social worker in the last 12 months",
    definition=("Children in care at the period end (short breaks excluded) who had exactly one social worker in the "
                "12 months to it, as a share of all children in care then."),
    source="SSDA903 social worker episodes (collected from 2023-24)", needs=("social_worker_episodes", "cla_episodes"),
    kind="proportion", compute=_social_workers("exactly_one"), unit="%", higher_is_better=True,
    chapter=CHILDREN_IN_CARE, snapshot=True,
))  # fmt: skip


def care_leavers_eet(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
    """Care leavers aged 19-21 in EET at the period end over ALL care leavers of that age (DfE basis)."""
    t = care_leaver_outcomes(tables["care_leavers"], params.period_end).set_index("age_group")
    if pd.isna(t.loc["19-21", "eet"]):
        return NotAvailable("needs the 'Activity' column in Annex A List 9 (care leavers)")
    return pd.DataFrame({"month": [month_start(params.period_end)], "numerator": [int(t.loc["19-21", "eet"])],
                         "denominator": [int(t.loc["19-21", "care_leavers"])]})  # fmt: skip


register(Measure(
    key="care_leavers_eet", label="Care leavers aged 19-21 in education, employment or training",
    definition=("Care leavers aged 19-21 at the period end whose activity is education, employment or training "
                "(F1-F5, P1-P5, including the legacy F3/P3), over ALL care leavers of that age, in touch or not, "
                "as DfE publishes it."),
    source="Annex A List 9; DfE Children looked after in England (care leavers)", needs=("care_leavers.in_touch", "care_leavers.activity"),
    kind="proportion", compute=care_leavers_eet, unit="%", higher_is_better=True, target_key="care_leavers_eet",
    england_key="care_leavers_eet", chapter=CHILDREN_IN_CARE, headline=True, snapshot=True,
))  # fmt: skip


# ----------------------------------------------------------------------------- caseloads
def average_caseload(tables: Tables, params: Params) -> pd.DataFrame | NotAvailable:
    """Average open cases per allocated worker at the period end (all teams)."""
    if not has_allocation(dict(tables)):
        return NotAvailable("needs the allocated worker columns in Annex A Lists 6-9")
    table = caseloads(open_cases(dict(tables), params.period_end))
    mean = table.loc[table["team"] == TOTAL, "mean"].iloc[0]
    return pd.DataFrame({"month": [month_start(params.period_end)], "value": [round(float(mean), 1)]})


register(Measure(
    key="average_caseload", label="Average caseload per allocated worker (children, at the period end)",
    definition=("Open cases (children in need, on a plan, in care, care leavers aged 21 or under) allocated to a "
                "worker at the period end, averaged over allocated workers."),
    source="Annex A Lists 6-9 (allocated worker)", needs=("cin|cp_plans|cla|care_leavers",), kind="mean",
    compute=average_caseload, unit="children", higher_is_better=False, target_key="caseload_per_worker", england_key=ENGLAND_KEY, chapter=CASELOADS,
    headline=True, snapshot=True,
))  # fmt: skip
import cscbook.measures.practice  # noqa: F401,E402
