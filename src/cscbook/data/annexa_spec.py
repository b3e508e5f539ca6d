"""Ofsted Annex A template: each list's sheet, template headers and canonical columns.

This is the contract between the raw Annex A files and the rest of cscbook. A column is
described by its template header (as Ofsted's template spells it), the canonical
snake_case name used downstream, its kind and, for coded columns, its code list.

Kinds: ``id`` (string identifier), ``str``, ``date``, ``int``, ``code`` (mapped through
``codes``). ``required`` columns must be present for the list to be usable; optional
columns become blank when absent. ``extra`` columns are not in the template but are
exported by many systems and used when present (e.g. the contact decision date).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cscbook.data import codes


@dataclass(frozen=True)
class Column:
    header: str
    name: str
    kind: str
    codelist: codes.CodeList | None = None
    required: bool = True
    aliases: tuple[str, ...] = ()
    extra: bool = False


@dataclass(frozen=True)
class AnnexAList:
    number: int
    table: str
    title: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def sheet(self) -> str:
        return f"List {self.number}"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _person(disability: bool = True) -> tuple[Column, ...]:
    cols = [
        Column("Child Unique ID", "child_id", "id", aliases=("Child ID", "Child Unique Identifier", "CHILD")),
        Column("Gender", "sex", "code", codes.SEX, aliases=("Sex",)),
        Column("Ethnicity", "ethnicity", "code", codes.ETHNICITY),
        Column("Date of Birth", "date_of_birth", "date", aliases=("DOB",)),
        Column("Age of Child (Years)", "age_years", "int", required=False, aliases=("Age", "Age of Child")),
    ]
    if disability:
        cols.append(
            Column(
                "Does the Child have a Disability",
                "disability",
                "code",
                codes.YES_NO_UNKNOWN,
                required=False,
                aliases=("Disability", "Disabled"),
            )
        )
    return tuple(cols)


_ALLOCATION = (
    Column("Allocated Team", "allocated_team", "str", required=False, aliases=("Team",)),
    Column("Allocated Worker", "allocated_worker", "str", required=False, aliases=("Worker",)),
)
# Optional columns real systems export for the practice standards (not in Ofsted's template).
_PLAN = Column(
    "Date of Latest Plan",
    "latest_plan_date",
    "date",
    required=False,
    extra=True,
    aliases=("Latest Plan Date", "Date of Last Plan", "Plan Date", "Date Plan Last Updated"),
)
_FRONT_DOOR_DATES = (
    Column(
        "Date of Strategy Discussion",
        "strategy_discussion_date",
        "date",
        required=False,
        extra=True,
        aliases=("Strategy Discussion Date", "Date of Strategy Meeting", "Strategy Meeting Date"),
    ),
    Column(
        "Date Child Seen",
        "child_seen_date",
        "date",
        required=False,
        extra=True,
        aliases=("Date Child First Seen", "Date First Seen", "Child Seen Date", "Date of First Visit"),
    ),
)

LISTS: dict[int, AnnexAList] = {
    1: AnnexAList(
        1,
        "contacts",
        "Contacts",
        _person(disability=False)
        + (
            Column("Date of Contact", "contact_date", "date", aliases=("Contact Date",)),
            Column(
                "Contact Source",
                "contact_source",
                "code",
                codes.SOURCE,
                aliases=("Source of Contact", "Source"),
            ),
            Column(
                "Date of Contact Decision",
                "contact_decision_date",
                "date",
                required=False,
                extra=True,
                aliases=("Contact Decision Date", "Decision Date"),
            ),
        ),
    ),
    2: AnnexAList(
        2,
        "early_help",
        "Early help",
        _person(disability=False)
        + (
            Column(
                "Assessment Start Date",
                "eh_start_date",
                "date",
                aliases=("Early Help Assessment Start Date", "EH Assessment Start Date"),
            ),
            Column(
                "Assessment Completion Date",
                "eh_completion_date",
                "date",
                required=False,
                aliases=("Early Help Assessment Completion Date", "EH Assessment Completion Date"),
            ),
            Column(
                "Organisation Completing Assessment",
                "eh_organisation",
                "str",
                required=False,
                aliases=("Organisation Completing Early Help Assessment",),
            ),
        ),
    ),
    3: AnnexAList(
        3,
        "referrals",
        "Referrals",
        _person(disability=False)
        + (
            Column("Date of Referral", "referral_date", "date", aliases=("Referral Date",)),
            Column(
                "Referral Source", "referral_source", "code", codes.SOURCE, aliases=("Source of Referral",)
            ),
            Column("Referral NFA?", "referral_nfa", "code", codes.YES_NO, aliases=("Referral NFA", "NFA")),
            Column(
                "Number of Referrals in Last 12 Months",
                "referrals_last_12m",
                "int",
                required=False,
                aliases=("Number of Referrals in the Last 12 Months", "Referrals in Last 12 Months"),
            ),
            Column(
                "Primary Need Code",
                "primary_need",
                "code",
                codes.PRIMARY_NEED,
                required=False,
                extra=True,
                aliases=("Primary Need",),
            ),
        )
        + _FRONT_DOOR_DATES
        + _ALLOCATION,
    ),
    4: AnnexAList(
        4,
        "assessments",
        "Assessments",
        _person()
        + (
            Column(
                "Continuous Assessment Start Date",
                "assessment_start_date",
                "date",
                aliases=("Assessment Start Date",),
            ),
            Column(
                "Child Seen During Continuous Assessment",
                "child_seen",
                "code",
                codes.YES_NO_UNKNOWN,
                required=False,
            ),
            Column(
                "Continuous Assessment Date of Authorisation",
                "assessment_authorised_date",
                "date",
                aliases=(
                    "Assessment Authorisation Date",
                    "Assessment Date of Authorisation",
                    "Date of Authorisation",
                ),
            ),
            Column(
                "Was the child assessed as requiring LA children's social care support?",
                "requires_support",
                "code",
                codes.YES_NO_UNKNOWN,
                required=False,
            ),
        )
        + _ALLOCATION,
    ),
    5: AnnexAList(
        5,
        "s47",
        "Section 47 enquiries and initial child protection conferences",
        _person()
        + (
            Column(
                "Strategy discussion initiating Section 47 Enquiry Start Date",
                "s47_start_date",
                "date",
                aliases=("Section 47 Enquiry Start Date", "S47 Start Date"),
            ),
            Column(
                "Was an Initial Child Protection Conference deemed unnecessary?",
                "icpc_unnecessary",
                "code",
                codes.YES_NO,
                required=False,
            ),
            Column(
                "Date of Initial Child Protection Conference", "icpc_date", "date", aliases=("ICPC Date",)
            ),
            Column(
                "Did the Initial Child Protection Conference Result in a Child Protection Plan",
                "icpc_resulted_in_plan",
                "code",
                codes.YES_NO,
                required=False,
            ),
            Column(
                "Number of Section 47 Enquiries in the last 12 months", "s47_last_12m", "int", required=False
            ),
            Column("Number of ICPCs in the last 12 months", "icpcs_last_12m", "int", required=False),
        )
        + _ALLOCATION,
    ),
    6: AnnexAList(
        6,
        "cin",
        "Children in need",
        _person()
        + (
            Column("CIN Start Date", "cin_start_date", "date"),
            Column(
                "Primary Need Code", "primary_need", "code", codes.PRIMARY_NEED, aliases=("Primary Need",)
            ),
            Column("Date Child Was Last Seen", "last_seen_date", "date", required=False),
            Column("CIN Closure Date", "cin_closure_date", "date", aliases=("CIN End Date",)),
            Column("Reason for Closure", "closure_reason", "code", codes.CIN_CLOSURE_REASON, required=False),
            Column("Case Status", "case_status", "code", codes.CASE_STATUS, required=False),
        )
        + _ALLOCATION
        + (_PLAN,),
    ),
    7: AnnexAList(
        7,
        "cp_plans",
        "Child protection plans",
        _person()
        + (
            Column(
                "Child Protection Plan Start Date", "cp_start_date", "date", aliases=("CP Plan Start Date",)
            ),
            Column(
                "Initial Category of Abuse", "initial_category", "code", codes.ABUSE_CATEGORY, required=False
            ),
            Column(
                "Latest Category of Abuse", "latest_category", "code", codes.ABUSE_CATEGORY, required=False
            ),
            Column("Date of the Last Statutory Visit", "last_visit_date", "date", required=False),
            Column("Was the Child Seen Alone?", "seen_alone", "code", codes.YES_NO_UNKNOWN, required=False),
            Column("Date of latest review conference", "latest_review_date", "date", required=False),
            Column("Child Protection Plan End Date", "cp_end_date", "date", aliases=("CP Plan End Date",)),
            Column(
                "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months (Y/N)",
                "epo_last_6m",
                "code",
                codes.YES_NO,
                required=False,
            ),
            Column(
                "Number of Previous Child Protection Plans",
                "previous_cp_plans",
                "int",
                aliases=("Number of Previous CP Plans",),
            ),
        )
        + _ALLOCATION
        + (_PLAN,),
    ),
    8: AnnexAList(
        8,
        "cla",
        "Children in care",
        _person()[:5]
        + (
            Column(
                "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
                "uasc",
                "code",
                codes.YES_NO,
                required=False,
                aliases=("UASC",),
            ),
        )
        + _person()[5:]
        + (
            Column(
                "Date Started to be Looked After",
                "cla_start_date",
                "date",
                aliases=("Date Started to be Looked After",),
            ),
            Column(
                "Child's Category of Need", "category_of_need", "code", codes.PRIMARY_NEED, required=False
            ),
            Column(
                "Is this a second or subsequent period of being a Looked After Child within the last 12 months (Y/N)",
                "second_period_12m",
                "code",
                codes.YES_NO,
                required=False,
            ),
            Column("Start date of current legal status", "legal_status_start_date", "date", required=False),
            Column("Child's Legal Status", "legal_status", "code", codes.LEGAL_STATUS),
            Column("Date of Latest Statutory Review", "latest_review_date", "date", required=False),
            Column("Date of Last Social Work Visit", "last_visit_date", "date", required=False),
            Column(
                "What is the permanence plan for this child?",
                "permanence_plan",
                "code",
                codes.PERMANENCE_PLAN,
                required=False,
            ),
            Column("Date of Last IRO Visit / Contact to the Child", "last_iro_date", "date", required=False),
            Column("Date of Last Health Assessment", "last_health_date", "date", required=False),
            Column("Date of Last Dental Check", "last_dental_date", "date", required=False),
            Column(
                "Number of Placements in the Last 12 months", "placements_last_12m", "int", required=False
            ),
            Column("Date Ceased to be Looked After", "cla_end_date", "date"),
            Column(
                "Reason Ceased to be Looked After",
                "reason_ceased",
                "code",
                codes.REASON_EPISODE_CEASED,
                required=False,
            ),
            Column("Start Date of Most Recent Placement", "placement_start_date", "date", required=False),
            Column("Placement Type", "placement_type", "code", codes.PLACEMENT_TYPE),
            Column(
                "Placement Provider", "placement_provider", "code", codes.PLACEMENT_PROVIDER, required=False
            ),
            Column("Placement Postcode", "placement_postcode", "str", required=False),
            Column("URN of Placement", "placement_urn", "str", required=False),
            Column(
                "Placement Location", "placement_location", "code", codes.PLACEMENT_LOCATION, required=False
            ),
            Column("LA of Placement", "la_of_placement", "str", required=False),
            Column(
                "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months",
                "missing_episodes_12m",
                "int",
                required=False,
            ),
            Column(
                "Number of Episodes the Child has been 'Absent' from their Placement in the last 12 months",
                "absent_episodes_12m",
                "int",
                required=False,
            ),
        )
        + _ALLOCATION
        + (_PLAN,),
    ),
    9: AnnexAList(
        9,
        "care_leavers",
        "Care leavers",
        _person()[:5]
        + (
            Column(
                "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
                "uasc",
                "code",
                codes.YES_NO,
                required=False,
            ),
        )
        + _person()[5:]
        + _ALLOCATION
        + (
            Column("Allocated Personal Advisor", "personal_advisor", "str", required=False),
            Column(
                "Eligibility Category", "eligibility", "code", codes.CARE_LEAVER_ELIGIBILITY, required=False
            ),
            Column("Latest Pathway Plan Review Date", "pathway_review_date", "date", required=False),
            Column("LA in Touch", "in_touch", "code", codes.IN_TOUCH),
            Column("Latest Date of Contact", "latest_contact_date", "date", required=False),
            Column("Type of Accommodation", "accommodation", "code", codes.ACCOMMODATION, required=False),
            Column(
                "Suitability of Accommodation",
                "accommodation_suitability",
                "code",
                codes.SUITABILITY,
                required=False,
            ),
            Column("Activity Status", "activity", "code", codes.ACTIVITY, required=False),
        ),
    ),
}

TABLES: dict[str, AnnexAList] = {lst.table: lst for lst in LISTS.values()}

# The date each list's row starts on (its key event). A row without it cannot be counted,
# and a row starting after a period end was not known at that period end. List 9 (care
# leavers) is a snapshot with no start date.
START_DATE: dict[str, str] = {
    "contacts": "contact_date",
    "early_help": "eh_start_date",
    "referrals": "referral_date",
    "assessments": "assessment_start_date",
    "s47": "s47_start_date",
    "cin": "cin_start_date",
    "cp_plans": "cp_start_date",
    "cla": "cla_start_date",
}

# Columns that identify a child or a worker: never shown in any output.
PERSONAL_COLUMNS = (
    "child_id",
    "date_of_birth",
    "allocated_worker",
    "personal_advisor",
    "placement_postcode",
    "home_postcode",
    "placement_urn",
)
