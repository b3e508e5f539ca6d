"""Care leavers (Annex A List 9): in touch, in education, employment or training, suitably housed.

Definitions follow DEFINITIONS.md "Care leavers": age at the period end (from the date of
birth, else the list's age); in touch = the authority is in touch (YES); EET = an activity in
``codes.EET_ACTIVITY`` among those in touch; suitable accommodation = SUITABLE among those in
touch. The DfE EET measure is for ages 19-21.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.data import codes, reference
from cscbook.measures.cic_episodes import age_years, as_string
from cscbook.methods.disclosure import suppressed_mask

AGE_GROUPS = ("17-18", "19-21")


def care_leaver_outcomes(cl: pd.DataFrame, period_end: pd.Timestamp, min_cell: int = 0) -> pd.DataFrame:
    """Care leavers (Annex A List 9) aged 17-18 and 19-21 at the period end.

    age from date of birth (``age_years`` column when no date). in touch: LA in touch = YES.
    EET: in touch and activity in codes.EET_ACTIVITY; suitable accommodation: in touch and
    suitability = SUITABLE. Percentages ``eet_pct`` and ``suitable_pct`` are on DfE's basis, of
    ALL care leavers of that age (in touch or not, as DfE publishes them); ``*_pct_in_touch`` are
    of those in touch. England figure (19-21 EET, DfE basis) beside it.
    With ``min_cell``, counts (and their complements among those in touch) of 1 to
    ``min_cell - 1`` are suppressed with their percentages.
    """
    dob_age = (
        age_years(cl["date_of_birth"], period_end)
        if "date_of_birth" in cl
        else pd.Series(pd.NA, index=cl.index)
    )
    age = dob_age.astype("Float64")
    if "age_years" in cl:
        age = age.fillna(cl["age_years"].astype("Float64"))
    group = pd.Series(pd.NA, index=cl.index, dtype="string")
    group = group.mask(age.between(17, 18).fillna(False), "17-18").mask(
        age.between(19, 21).fillna(False), "19-21"
    )
    in_touch = as_string(cl["in_touch"]).eq("YES").fillna(False)
    eet = (
        in_touch & as_string(cl["activity"]).isin(codes.EET_ACTIVITY).fillna(False)
        if "activity" in cl
        else None
    )
    suit = (
        in_touch & as_string(cl["accommodation_suitability"]).eq("SUITABLE").fillna(False)
        if "accommodation_suitability" in cl
        else None
    )
    d = pd.DataFrame({"age_group": group, "in_touch": in_touch,
                      "eet": eet if eet is not None else pd.NA,
                      "suitable": suit if suit is not None else pd.NA})  # fmt: skip
    d = d.loc[d["age_group"].notna()]
    rows = []
    england = reference.benchmark("care_leavers_eet", period_end)
    for ag in AGE_GROUPS:
        g = d.loc[d["age_group"] == ag]
        n_touch = int(g["in_touch"].sum())
        row = {"age_group": ag, "care_leavers": len(g), "in_touch": n_touch}
        for col in ("eet", "suitable"):
            if g[col].isna().all() and len(g):
                row[col], row[f"{col}_pct"] = pd.NA, np.nan
            else:
                k = int(g[col].astype(bool).sum())
                row[col], row[f"{col}_pct"] = k, round(100 * k / len(g), 1) if len(g) else np.nan
                row[f"{col}_pct_in_touch"] = round(100 * k / n_touch, 1) if n_touch else np.nan
        row["england_eet_pct"] = (
            round(100 * england, 0) if (england is not None and ag == "19-21") else np.nan
        )
        rows.append(row)
    out = pd.DataFrame(rows)
    if min_cell:
        for col in ("eet", "suitable"):
            hide = suppressed_mask(out[col].astype("Float64"), min_cell).fillna(False) | suppressed_mask(
                (out["in_touch"] - out[col].astype("Float64")), min_cell
            ).fillna(False)
            out[col] = out[col].astype("Float64").mask(hide)
            out[f"{col}_pct"] = out[f"{col}_pct"].astype("Float64").mask(hide)
            out[f"{col}_pct_in_touch"] = out[f"{col}_pct_in_touch"].astype("Float64").mask(hide)
    return out
