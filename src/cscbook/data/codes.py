"""Official code lists used by Annex A, the CIN census and SSDA903.

Each code list maps the canonical code (what the analysis uses) to its label, and to the
value exactly as Ofsted's Annex A template writes it (letter prefix included), which is
what the synthetic authority exports and what a clean extract looks like.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeList:
    """A code list: canonical codes, their labels and their Annex A template spellings."""

    name: str
    labels: dict[str, str]
    template: dict[str, str]

    @property
    def codes(self) -> list[str]:
        return list(self.labels)


def _lettered(items: list[tuple[str, str]], style: str = "code_label") -> dict[str, str]:
    """Template spellings 'a) CODE: Label' (style code_label) or 'a) Label' (style label)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = {}
    for i, (code, label) in enumerate(items):
        prefix = letters[i] if i < 26 else "z" + letters[i - 26]
        out[code] = f"{prefix}) {label}" if style == "label" else f"{prefix}) {code}: {label}"
    return out


def _make(name: str, items: list[tuple[str, str]], style: str = "code_label") -> CodeList:
    if style == "plain_dash":
        template = {c: f"{c} - {lab}" for c, lab in items}
    elif style == "plain_colon":
        template = {c: f"{c}: {lab}" for c, lab in items}
    else:
        template = _lettered(items, style)
    return CodeList(name, dict(items), template)


SEX = _make(
    "sex",
    [("M", "Male"), ("F", "Female"), ("U", "Not stated/recorded"), ("N", "Neither")],
    style="label",
)

YES_NO = _make("yes_no", [("Y", "Yes"), ("N", "No")], style="label")
YES_NO_UNKNOWN = _make("yes_no_unknown", [("Y", "Yes"), ("N", "No"), ("U", "Unknown")], style="label")

ETHNICITY = _make(
    "ethnicity",
    [
        ("WBRI", "White British"),
        ("WIRI", "White Irish"),
        ("WIRT", "Traveller of Irish heritage"),
        ("WOTH", "Any other White background"),
        ("WROM", "Gypsy/Roma"),
        ("MWBC", "White and Black Caribbean"),
        ("MWBA", "White and Black African"),
        ("MWAS", "White and Asian"),
        ("MOTH", "Any other Mixed background"),
        ("AIND", "Indian"),
        ("APKN", "Pakistani"),
        ("ABAN", "Bangladeshi"),
        ("AOTH", "Any other Asian background"),
        ("BCRB", "Caribbean"),
        ("BAFR", "African"),
        ("BOTH", "Any other Black background"),
        ("CHNE", "Chinese"),
        ("OOTH", "Any other ethnic group"),
        ("REFU", "Refused"),
        ("NOBT", "Information not yet obtained"),
    ],
    style="code_only",
)
# Annex A writes ethnicity as 'a) WBRI'.
ETHNICITY = CodeList(
    "ethnicity",
    ETHNICITY.labels,
    {c: t.split(":")[0] for c, t in ETHNICITY.template.items()},
)

ETHNICITY_GROUP = {
    "WBRI": "White", "WIRI": "White", "WIRT": "White", "WOTH": "White", "WROM": "White",
    "MWBC": "Mixed", "MWBA": "Mixed", "MWAS": "Mixed", "MOTH": "Mixed",
    "AIND": "Asian", "APKN": "Asian", "ABAN": "Asian", "AOTH": "Asian",
    "BCRB": "Black", "BAFR": "Black", "BOTH": "Black",
    "CHNE": "Other", "OOTH": "Other", "REFU": "Not known", "NOBT": "Not known",
}  # fmt: skip

SOURCE = _make(
    "source",
    [
        ("1A", "Individual - family member, relative or carer"),
        ("1B", "Individual - acquaintance"),
        ("1C", "Individual - self"),
        ("1D", "Individual - other"),
        ("2A", "Schools"),
        ("2B", "Education services"),
        ("3A", "Health services - GP"),
        ("3B", "Health services - health visitor"),
        ("3C", "Health services - school nurse"),
        ("3D", "Health services - other primary health services"),
        ("3E", "Health services - A&E"),
        ("3F", "Health services - other"),
        ("4", "Housing"),
        ("5A", "LA services - social care"),
        ("5B", "LA services - other internal"),
        ("5C", "LA services - external"),
        ("5D", "LA services - early help"),
        ("6", "Police"),
        ("7", "Other legal agency"),
        ("8", "Other"),
        ("9", "Anonymous"),
        ("10", "Unknown"),
    ],
)

# Ofsted's template letters 5D as 'p1)', so 6: Police is 'q) 6: Police'.
_SOURCE_LETTERS = [
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "p",
    "p1",
    "q",
    "r",
    "s",
    "t",
    "u",
]
SOURCE = CodeList(
    "source",
    SOURCE.labels,
    {
        c: f"{letter}) {c}: {lab.split(' - ')[0].title().replace('La ', 'LA ')}"
        for letter, (c, lab) in zip(_SOURCE_LETTERS, SOURCE.labels.items(), strict=True)
    },
)

# Broad source groups used in breakdowns (DfE publishes these groups).
SOURCE_GROUP = {
    "1A": "Individual", "1B": "Individual", "1C": "Individual", "1D": "Individual",
    "2A": "Schools", "2B": "Education services",
    "3A": "Health", "3B": "Health", "3C": "Health", "3D": "Health", "3E": "Health", "3F": "Health",
    "4": "Housing", "5A": "LA services", "5B": "LA services", "5C": "LA services",
    "5D": "LA services", "6": "Police", "7": "Other legal agency", "8": "Other",
    "9": "Anonymous", "10": "Unknown",
}  # fmt: skip

PRIMARY_NEED = _make(
    "primary_need",
    [
        ("N1", "Abuse or neglect"),
        ("N2", "Child's disability"),
        ("N3", "Parental disability or illness"),
        ("N4", "Family in acute stress"),
        ("N5", "Family dysfunction"),
        ("N6", "Socially unacceptable behaviour"),
        ("N7", "Low income"),
        ("N8", "Absent parenting"),
        ("N9", "Cases other than children in need"),
        ("N0", "Not stated"),
    ],
    style="plain_dash",
)

CIN_CLOSURE_REASON = _make(
    "cin_closure_reason",
    [
        ("RC1", "Adopted"),
        ("RC2", "Died"),
        ("RC3", "Child arrangements order"),
        ("RC4", "Special guardianship order"),
        ("RC5", "Transferred to services of another local authority"),
        ("RC6", "Transferred to adult social care services"),
        ("RC7", "Services ceased for any other reason, including child no longer in need"),
        ("RC8", "Case closed after assessment, no further action"),
        ("RC9", "Case closed after assessment, referred to early help"),
    ],
    style="plain_dash",
)

CASE_STATUS = _make(
    "case_status",
    [
        ("LAC", "Looked after child"),
        ("CPP", "Child Protection plan"),
        ("CINP", "Child in need plan"),
        ("ASMT", "Open assessment"),
        ("CLOSED", "Closed episode"),
    ],
    style="label",
)

ABUSE_CATEGORY = _make(
    "abuse_category",
    [
        ("NEG", "Neglect"),
        ("PHY", "Physical abuse"),
        ("SAB", "Sexual abuse"),
        ("EMO", "Emotional abuse"),
        ("MUL", "Multiple/not recommended"),
    ],
    style="label",
)

LEGAL_STATUS = _make(
    "legal_status",
    [
        ("C1", "Interim care order"),
        ("C2", "Full care order"),
        ("D1", "Freeing order granted"),
        ("E1", "Placement order granted"),
        ("V2", "Single period of accommodation under section 20"),
        ("V3", "Accommodated under an agreed series of short-term breaks, episodes recorded"),
        ("V4", "Accommodated under an agreed series of short-term breaks, agreements recorded"),
        ("L1", "Under police protection and in local authority accommodation"),
        ("L2", "Emergency protection order"),
        ("L3", "Under child assessment order and in local authority accommodation"),
        ("J1", "Remanded to local authority accommodation or youth detention accommodation"),
        ("J2", "Placed in local authority accommodation under PACE"),
        ("J3", "Sentenced to youth rehabilitation order"),
    ],
    style="plain_colon",
)

PLACEMENT_TYPE = _make(
    "placement_type",
    [
        ("U1", "Foster placement with relative or friend - long term fostering"),
        ("U2", "Foster placement with relative or friend who is also an approved adopter - FFA"),
        ("U3", "Foster placement with relative or friend - not long term or FFA"),
        ("U4", "Foster placement with other foster carer - long term fostering"),
        ("U5", "Foster placement with other foster carer who is also an approved adopter - FFA"),
        ("U6", "Foster placement with other foster carer - not long term or FFA"),
        ("A3", "Placed for adoption with consent with current foster carer"),
        ("A4", "Placed for adoption with consent not with current foster carer"),
        ("A5", "Placed for adoption with placement order with current foster carer"),
        ("A6", "Placed for adoption with placement order not with current foster carer"),
        ("P1", "Placed with own parent(s) or other person(s) with parental responsibility"),
        ("P2", "Independent living"),
        ("P3", "Residential employment"),
        ("H5", "Semi-independent living accommodation / supported accommodation"),
        ("K1", "Secure children's homes"),
        ("K2", "Children's homes"),
        ("R1", "Residential care home"),
        ("R2", "NHS/Health Trust or other establishment providing medical or nursing care"),
        ("R3", "Family centre or mother and baby unit"),
        ("R5", "Young offender institution or prison"),
        ("S1", "All residential schools"),
        ("T0", "Temporary placement"),
        ("T1", "Temporary periods in hospital"),
        ("T2", "Temporary absences of the child on holiday"),
        ("T3", "Temporary accommodation whilst normal foster carer is on holiday"),
        ("T4", "Temporary accommodation of seven days or less"),
        ("Z1", "Other placements"),
        # added by later SSDA903 collection years (see SSDA903_PLACEMENT_YEARS); appended so that
        # the Annex A template letters of the codes above do not move
        ("K3", "Supported accommodation"),
        ("Z11", "Other placement (Z11, from 2025-26)"),
        ("Z12", "Other placement (Z12, from 2025-26)"),
        ("Z13", "Other placement (Z13, from 2025-26)"),
        ("Z14", "Other placement (Z14, from 2025-26)"),
    ],
)

# DEFINITIONS.md placement type groups.
PLACEMENT_GROUP = {
    **{c: "Foster care" for c in ("U1", "U2", "U3", "U4", "U5", "U6")},
    **{c: "Children's homes and residential" for c in ("K1", "K2", "R1", "S1")},
    "P1": "Placed with parents",
    **{c: "Independent and supported living" for c in ("H5", "K3", "P2", "P3")},
    **{c: "Placed for adoption" for c in ("A3", "A4", "A5", "A6")},
    **{
        c: "Other" for c in ("R2", "R3", "R5", "T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14")
    },
}

PLACEMENT_PROVIDER = _make(
    "placement_provider",
    [
        ("PR0", "Parents or other person with parental responsibility"),
        ("PR1", "Own provision (by the LA)"),
        ("PR2", "Other LA provision"),
        ("PR3", "Other public provision"),
        ("PR4", "Private provision"),
        ("PR5", "Voluntary/third sector provision"),
    ],
)

PROVIDER_GROUP = {
    "PR0": "Other", "PR1": "In-house", "PR2": "Other", "PR3": "Other",
    "PR4": "Independent", "PR5": "Independent",
}  # fmt: skip

REASON_EPISODE_CEASED = _make(
    "reason_episode_ceased",
    [
        ("E11", "Adopted - application for an adoption order unopposed"),
        ("E12", "Adopted - consent dispensed with by the court"),
        ("E2", "Died"),
        ("E3", "Care taken over by another local authority in the UK"),
        ("E4A", "Returned home to live with parents or relatives - part of care planning"),
        ("E4B", "Returned home to live with parents or relatives - not part of care planning"),
        ("E13", "Left care to live with parents, relatives or other with no parental responsibility"),
        ("E41", "Residence order or child arrangements order granted"),
        ("E45", "Special guardianship order made to former foster carers who are relatives"),
        ("E46", "Special guardianship order made to former foster carers, other"),
        ("E47", "Special guardianship order made to carers, relatives or friends"),
        ("E48", "Special guardianship order made to carers, other"),
        ("E5", "Moved into independent living arrangement, supportive accommodation"),
        ("E6", "Moved into independent living arrangement, no formalised support"),
        ("E7", "Transferred to residential care funded by adult social services"),
        ("E9", "Sentenced to custody"),
        ("E14", "Accommodation on remand ended"),
        ("E15", "Age assessment determined child is aged 18 or over"),
        ("E16", "Child moved abroad"),
        ("E8", "Period of being looked after ceased for any other reason"),
        ("X1", "Episode ceases, and new episode begins on same day"),
        ("E17", "Aged 18 (or over) and remained with current carers (staying put)"),
    ],
)

# DEFINITIONS.md reason-ceased groups (X1 closes an episode, not a period of care).
REASON_CEASED_GROUP = {
    "E11": "Adopted", "E12": "Adopted",
    "E45": "Special guardianship order", "E46": "Special guardianship order",
    "E47": "Special guardianship order", "E48": "Special guardianship order",
    "E41": "Child arrangements order",
    "E4A": "Returned home", "E4B": "Returned home", "E13": "Returned home",
    "E5": "Aged 18 or independent living", "E6": "Aged 18 or independent living",
    "E17": "Aged 18 or independent living",
    "E2": "Other", "E3": "Other", "E7": "Other", "E8": "Other", "E9": "Other",
    "E14": "Other", "E15": "Other", "E16": "Other",
}  # fmt: skip

REASON_NEW_EPISODE = _make(
    "reason_new_episode",
    [
        ("S", "Started to be looked after"),
        ("L", "Change of legal status only"),
        ("P", "Change of placement only"),
        ("T", "Change of both legal status and placement at the same time"),
        ("U", "Change of legal status and placement, simultaneous (planned)"),
        ("B", "Change of placement and carer(s) only"),
    ],
)

PERMANENCE_PLAN = _make(
    "permanence_plan",
    [
        ("RETURN", "Return to family"),
        ("ADOPTION", "Adoption"),
        ("SGO_CAO", "SGO/CAO"),
        ("SUPPORTED_LIVING", "Supported living in the community"),
        ("LT_RESIDENTIAL", "Long-term residential placement"),
        ("LT_FOSTERING", "Long-term fostering"),
        ("OTHER", "other"),
    ],
    style="label",
)

PLACEMENT_LOCATION = _make("placement_location", [("IN", "In"), ("OUT", "Out")], style="label")

CARE_LEAVER_ELIGIBILITY = _make(
    "eligibility",
    [
        ("RELEVANT", "Relevant child"),
        ("FORMER_RELEVANT", "Former relevant child"),
        ("QUALIFYING", "Qualifying care leaver"),
        ("ELIGIBLE", "Eligible child"),
    ],
    style="label",
)

IN_TOUCH = _make(
    "in_touch",
    [
        ("YES", "Yes"),
        ("NO", "No"),
        ("DIED", "Died"),
        ("REFU", "Refu"),
        ("NREQ", "NREQ"),
        ("RHOM", "Rhom"),
    ],
    style="label",
)

ACCOMMODATION = _make(
    "accommodation",
    [
        ("B", "Parents/relatives"),
        ("C", "Community home/residential care"),
        ("D", "Semi-independent, transitional accommodation and self-contained accommodation"),
        ("E", "Supported lodgings"),
        ("G", "Abroad"),
        ("H", "Deported"),
        ("K", "Ordinary lodgings, without formal support"),
        ("R", "Residence not known"),
        ("S", "No fixed abode/homeless"),
        ("T", "Foyers and similar supported accommodation"),
        ("U", "Independent living"),
        ("V", "Emergency accommodation"),
        ("W", "Bed and breakfast"),
        ("X", "In custody"),
        ("Y", "Other accommodation"),
        ("Z", "With former foster carers"),
    ],
    style="plain_colon",
)

SUITABILITY = _make("suitability", [("SUITABLE", "Suitable"), ("UNSUITABLE", "Unsuitable")], style="label")

ACTIVITY = _make(
    "activity",
    [
        ("F1", "Full time in higher education"),
        ("P1", "Part time in higher education"),
        ("F2", "Full time in education other than higher"),
        ("P2", "Part time in education other than higher"),
        ("F3", "Full time in training or employment"),
        ("P3", "Part time in training or employment"),
        ("F4", "Young person engaged full time in an apprenticeship"),
        ("P4", "Young person engaged part time in an apprenticeship"),
        ("F5", "Young person engaged full time in training or employment (not apprenticeship)"),
        ("P5", "Young person engaged part time in training or employment (not apprenticeship)"),
        ("G4", "Not in education, employment or training - illness or disability"),
        ("G5", "Not in education, employment or training - other"),
        ("G6", "Not in education, employment or training - pregnancy or parenting"),
    ],
    style="plain_colon",
)

# EET activity: full time F1 F2 F4 F5, part time P1 P2 P4 P5, and the legacy codes F3/P3 (training or
# employment) that older extracts still carry (DEFINITIONS.md, care leavers).
EET_ACTIVITY = {"F1", "F2", "F3", "F4", "F5", "P1", "P2", "P3", "P4", "P5"}

# SSDA903 header SEX: 1 male, 2 female (M/F from 2024-25).
SSDA903_SEX = {"1": "M", "2": "F"}

# ---- SSDA903 by collection year (DEFINITIONS.md) ---------------------------------------------
# A collection year is named by the year its 31 March falls in: 2024 is 2023-24.
SSDA903_FIRST_YEAR, SSDA903_LAST_YEAR = 2020, 2027  # 2019-20 .. 2026-27
# SEX codes of a year's header file -> canonical sex (U, "not known", has no canonical code).
SSDA903_SEX_CODES = {
    **{y: {"1": "M", "2": "F"} for y in range(SSDA903_FIRST_YEAR, 2025)},
    **{y: {"M": "M", "F": "F", "U": None} for y in range(2025, SSDA903_LAST_YEAR + 1)},
}
# placement codes valid only in some years: code -> (first year, last year); None = open-ended.
# P2 is also invalid for any part of an episode after 28 October 2023 (SSDA903_P2_LAST_DAY).
SSDA903_PLACEMENT_YEARS: dict[str, tuple[int | None, int | None]] = {
    "K3": (2025, None),
    "H5": (None, 2025), "P2": (None, 2025), "Z1": (None, 2025),
    **{c: (2026, None) for c in ("Z11", "Z12", "Z13", "Z14")},
}  # fmt: skip
SSDA903_P2_LAST_DAY = "2023-10-28"
# auxiliary tables and the first year DfE collects them
SSDA903_TABLE_FROM = {"social_worker_episodes": 2024, "deprivation_of_liberty": 2027}

# Reason a social worker episode began (SSDA903 SW_REASON, from 2023-24). Labels paraphrase
# DfE's guidance; FCONTA marks a child's first social worker (no predecessor).
SW_REASON = _make(
    "sw_reason",
    [
        ("MANAGE", "Management decision"),
        ("FCONTA", "First social worker for this involvement"),
        ("LEFTRL", "Social worker left the role"),
        ("ORGRST", "Organisational restructure"),
        ("TSPROC", "Transfer between teams or processes"),
        ("ABSENC", "Social worker absence"),
        ("CHCHAN", "Child requested a change"),
        ("PCCHAN", "Parent or carer requested a change"),
        ("SWDIED", "Social worker died"),
        ("OTHERS", "Other"),
    ],
    style="plain_colon",
)


def ssda903_year_label(year: int) -> str:
    """'2023-24' for the collection year ending 31 March 2024."""
    return f"{year - 1}-{year % 100:02d}"


ALL_CODE_LISTS: dict[str, CodeList] = {
    c.name: c
    for c in (
        SEX, YES_NO, YES_NO_UNKNOWN, ETHNICITY, SOURCE, PRIMARY_NEED, CIN_CLOSURE_REASON,
        CASE_STATUS, ABUSE_CATEGORY, LEGAL_STATUS, PLACEMENT_TYPE, PLACEMENT_PROVIDER,
        REASON_EPISODE_CEASED, REASON_NEW_EPISODE, PERMANENCE_PLAN, PLACEMENT_LOCATION,
        CARE_LEAVER_ELIGIBILITY, IN_TOUCH, ACCOMMODATION, SUITABILITY, ACTIVITY, SW_REASON,
    )
}  # fmt: skip
