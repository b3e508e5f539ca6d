"""No look-ahead: restrict canonical tables to what was known on a date.

``restrict_tables(tables, as_at)`` drops rows whose start event is after ``as_at`` and blanks
end dates after ``as_at`` together with the outcome that came with the end (reason ceased,
closure reason, plan outcome...). Any other date after ``as_at`` in a kept row (e.g. a
review or visit date) is blanked as well. Dates of birth are never touched. Tables it does
not know are returned unchanged (apart from the generic date rule).
"""

from __future__ import annotations

import pandas as pd

from cscbook.data.annexa_spec import START_DATE

# table -> start column (rows starting after as_at are dropped)
START = {**START_DATE, "cla_episodes": "episode_start", "social_worker_episodes": "sw_decom"}
# table -> {end date column: columns that are only known once it has happened}
END = {
    "contacts": {"contact_decision_date": []},
    "early_help": {"eh_completion_date": []},
    "assessments": {"assessment_authorised_date": ["requires_support"]},
    "s47": {"icpc_date": ["icpc_resulted_in_plan"]},
    "cin": {"cin_closure_date": ["closure_reason", "case_status"]},
    "cp_plans": {"cp_end_date": []},
    "cla": {"cla_end_date": ["reason_ceased"]},
    # SSDA903 records the reason for a placement change on the episode that ends with it
    "cla_episodes": {"episode_end": ["reason_episode_ceased", "reason_place_change"]},
    "social_worker_episodes": {"sw_dec": []},
}
NEVER = {"date_of_birth"}


def _blank(df: pd.DataFrame, mask: pd.Series, col: str) -> None:
    if col in df.columns and mask.any():
        df.loc[mask, col] = pd.NaT if pd.api.types.is_datetime64_any_dtype(df[col]) else pd.NA


def restrict_table(name: str, df: pd.DataFrame, as_at: pd.Timestamp) -> pd.DataFrame:
    """One canonical table as known on ``as_at`` (see module docstring)."""
    as_at = pd.Timestamp(as_at)
    out = df
    start = START.get(name)
    if start in out.columns:
        out = out[~(out[start] > as_at)]
    out = out.copy()
    for end, outcomes in END.get(name, {}).items():
        if end not in out.columns:
            continue
        late = out[end] > as_at
        for col in outcomes:
            _blank(out, late, col)
        _blank(out, late, end)
    for col in out.columns:
        if col in NEVER or col == start or not pd.api.types.is_datetime64_any_dtype(out[col]):
            continue
        _blank(out, out[col] > as_at, col)
    return out.reset_index(drop=True)


def restrict_tables(tables: dict[str, pd.DataFrame], as_at) -> dict[str, pd.DataFrame]:
    """All canonical tables as known on ``as_at``; ``cla_header`` keeps children still in
    ``cla_episodes`` (when both are present)."""
    as_at = pd.Timestamp(as_at)
    out = {name: restrict_table(name, df, as_at) for name, df in tables.items()}
    if "cla_header" in out and "cla_episodes" in out and "child_id" in out["cla_header"].columns:
        hdr = out["cla_header"]
        out["cla_header"] = hdr[hdr["child_id"].isin(out["cla_episodes"]["child_id"])].reset_index(drop=True)
    return out
