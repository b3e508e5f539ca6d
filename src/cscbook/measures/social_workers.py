"""Children in care: how many social workers they had in the 12 months to a date.

DfE National Framework indicator "children in care with 3 or more social workers in the last
12 months" (and, beside it, the share with exactly one), from the SSDA903 social worker
episodes that DfE collects from 2023-24 (table ``social_worker_episodes``: child_id, sw_id,
sw_decom, sw_dec (NaT while open), sw_reason).

Definitions, for a date ``on`` (normally 31 March):

- denominator: children in care on ``on`` (an episode with DECOM <= on and DEC blank or
  after it), excluding those whose episode that day is a short break (legal status V3/V4),
  as DfE excludes them from its 31 March counts;
- the 12 months to ``on``: the 365 days ending on it (366 over a 29 February), i.e. from the
  day after the same date a year earlier;
- social workers of a child: distinct SW_ID among the child's social worker episodes that
  overlap those 12 months (SW_DECOM <= on and SW_DEC blank or on/after the window's first
  day); an episode without an SW_ID counts as one more worker;
- ``not_recorded``: children in the denominator with no social worker episode in the window
  (DfE rule SW01 makes this a data error); they stay in the denominator and count in neither
  numerator.

Not available (``available`` False, with the reason) without social worker episodes, or when
the 12 months start before 1 April 2023 or before the first collection year the episodes
cover (the collection year of the earliest SW_DEC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscbook.measures.cic_episodes import open_episodes_on

SW_COLLECTED_FROM = pd.Timestamp("2023-04-01")
SHORT_BREAKS = {"V3", "V4"}


@dataclass(frozen=True)
class SocialWorkerCounts:
    """Children in care on ``on`` by the number of social workers in the 12 months to it."""

    on: pd.Timestamp
    available: bool
    reason: str = ""
    denominator: int = 0
    three_or_more: int = 0
    exactly_one: int = 0
    not_recorded: int = 0

    @property
    def share_three_or_more(self) -> float:
        """three_or_more / denominator (NaN when not available or no child is in care)."""
        return self.three_or_more / self.denominator if self.available and self.denominator else float("nan")

    @property
    def share_exactly_one(self) -> float:
        """exactly_one / denominator (NaN when not available or no child is in care)."""
        return self.exactly_one / self.denominator if self.available and self.denominator else float("nan")


def window_start(on: pd.Timestamp) -> pd.Timestamp:
    """First day of the 12 months ending on ``on``: the day after the same date a year earlier."""
    return pd.Timestamp(on) - pd.DateOffset(years=1) + pd.Timedelta(days=1)


def covered_from(sw: pd.DataFrame) -> pd.Timestamp:
    """1 April of the first collection year the episodes cover: that of the earliest SW_DEC (a
    year's file holds every episode open in it, so its earliest end falls just after it opens);
    with no SW_DEC, that of the earliest SW_DECOM."""
    ends = sw["sw_dec"].dropna()
    first = ends.min() if not ends.empty else sw["sw_decom"].min()
    year = first.year if first.month >= 4 else first.year - 1
    return pd.Timestamp(year, 4, 1)


def unavailable_reason(sw: pd.DataFrame | None, on: pd.Timestamp) -> str:
    """Why the measure cannot be given for ``on`` ('' when it can)."""
    if sw is None or sw.empty:
        return ("not available: no SSDA903 social worker episodes in this extract (DfE collects them "
                "from 2023-24; give the social worker episodes file)")  # fmt: skip
    start = window_start(on)
    if start < SW_COLLECTED_FROM:
        return (f"not available for {on:%d %B %Y}: social worker episodes are collected from 2023-24, so the "
                "12 months to that date are not covered")  # fmt: skip
    if start < covered_from(sw):
        return (f"not available for {on:%d %B %Y}: the social worker episodes in this extract start in the "
                f"collection year from {covered_from(sw):%d %B %Y}")  # fmt: skip
    return ""


def workers_per_child(sw: pd.DataFrame, children: pd.Series, on: pd.Timestamp) -> pd.Series:
    """Distinct social workers of each child in the 12 months to ``on`` (0 when none), indexed by child_id."""
    on = pd.Timestamp(on)
    start = window_start(on)
    s = sw.assign(_c=sw["child_id"].astype("string"))
    s = s.loc[(s["sw_decom"] <= on) & (s["sw_dec"].isna() | (s["sw_dec"] >= start))]
    named = s.loc[s["sw_id"].notna()].groupby("_c")["sw_id"].nunique()
    unnamed = s.loc[s["sw_id"].isna()].groupby("_c").size()
    n = named.add(unnamed, fill_value=0)
    kids = pd.Index(pd.unique(children.astype("string")), name="child_id")
    return n.reindex(kids, fill_value=0).astype(np.int64)


def social_worker_counts(sw: pd.DataFrame | None, episodes: pd.DataFrame, on) -> SocialWorkerCounts:
    """Counts for children in care on ``on`` (see the module docstring)."""
    on = pd.Timestamp(on)
    reason = unavailable_reason(sw, on)
    if reason:
        return SocialWorkerCounts(on, False, reason)
    cur = open_episodes_on(episodes, on)
    if "legal_status" in cur:
        cur = cur.loc[~cur["legal_status"].astype("object").isin(SHORT_BREAKS)]
    n = workers_per_child(sw, cur["child_id"], on)
    return SocialWorkerCounts(
        on, True, "", denominator=len(n), three_or_more=int((n >= 3).sum()), exactly_one=int((n == 1).sum()),
        not_recorded=int((n == 0).sum()),
    )  # fmt: skip


def social_worker_series(sw: pd.DataFrame | None, episodes: pd.DataFrame, dates) -> pd.DataFrame:
    """One row per date: on, available, reason, denominator, three_or_more, exactly_one,
    not_recorded, share_three_or_more, share_exactly_one."""
    rows = []
    for d in dates:
        c = social_worker_counts(sw, episodes, d)
        rows.append({"on": c.on, "available": c.available, "reason": c.reason, "denominator": c.denominator,
                     "three_or_more": c.three_or_more, "exactly_one": c.exactly_one, "not_recorded": c.not_recorded,
                     "share_three_or_more": c.share_three_or_more, "share_exactly_one": c.share_exactly_one})  # fmt: skip
    return pd.DataFrame(rows)
