"""Statistical process control (SPC) charts as in NHS England's "Making Data Count".

Two charts:

- ``xmr(values)``: XmR (individuals) chart, used for counts. Centre line = mean of the
  baseline points; limits = mean +/- 2.66 x mean moving range (the moving range is the
  absolute difference between consecutive points).
- ``p_chart(numerator, denominator)``: p-chart, used for proportions. Centre line
  p-bar = sum(numerator) / sum(denominator) over the baseline; limits vary with each
  point's denominator n_i: p-bar +/- 3 x sqrt(p-bar (1 - p-bar) / n_i), clipped to [0, 1].

Both return one row per point with ``value, centre, lcl, ucl`` and boolean rule columns:

- ``outside_limits``: the point is above the upper or below the lower limit;
- ``run``: 7 or more consecutive points strictly on one side of the centre line (a point
  exactly on the centre line breaks the run); every point of the run is flagged;
- ``trend``: 6 or more consecutive points each strictly higher (or each strictly lower)
  than the one before (an equal value breaks the trend); every point of the trend is
  flagged;
- ``special_cause``: any of the above;

plus ``direction``: +1 where the special cause is on the high side, -1 on the low side,
0 where there is none (outside-limits first, then the side of a run, then the direction of
a trend).

``baseline`` (a number of points, or a boolean mask aligned with the values) fixes the
centre and limits on a baseline period; ``recalculate_at`` (index labels, e.g. month
Timestamps, of known changes) starts a new segment with its own centre and limits (and its
own baseline: the first ``baseline`` points of the segment, or the masked points in it).
Rules are evaluated within each segment. Missing values (NaN, or a zero denominator) are
not plotted, do not enter the calculations and do not break runs or trends.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

RUN_LENGTH = 7
TREND_LENGTH = 6
XMR_CONSTANT = 2.66

IMPROVEMENT_TEXT = "special cause improvement"
CONCERN_TEXT = "special cause concern"
COMMON_TEXT = "common cause variation"
NEITHER_TEXT = "special cause variation"

CHART_COLUMNS = [
    "value", "centre", "lcl", "ucl", "outside_limits", "run", "trend", "special_cause", "direction", "segment",
]  # fmt: skip


# --------------------------------------------------------------------------- rules
def _runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run id and run length for each element of an integer array (equal neighbours share a run)."""
    if len(flags) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    starts = np.r_[True, flags[1:] != flags[:-1]]
    run_id = np.cumsum(starts) - 1
    lengths = np.bincount(run_id)
    return run_id, lengths[run_id]


def run_rule(values: np.ndarray, centre: np.ndarray, length: int = RUN_LENGTH) -> np.ndarray:
    """True for every point in a run of ``length`` or more points strictly on one side of the centre."""
    values = np.asarray(values, dtype=float)
    side = np.sign(values - np.asarray(centre, dtype=float)).astype(int)
    side[np.isclose(values, centre, rtol=1e-12, atol=1e-12)] = 0
    _, run_len = _runs(side)
    return (side != 0) & (run_len >= length)


def trend_rule(values: np.ndarray, length: int = TREND_LENGTH) -> np.ndarray:
    """True for every point in ``length`` or more consecutive points each rising (or each falling)."""
    return trend_direction(values, length) != 0


def trend_direction(values: np.ndarray, length: int = TREND_LENGTH) -> np.ndarray:
    """+1 / -1 for points in a rising / falling trend (the point's step into or out of the trend)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    out = np.zeros(n, dtype=int)
    if n < 2:
        return out
    step = np.sign(np.diff(values)).astype(int)
    _, run_len = _runs(step)
    sign = np.where((step != 0) & (run_len >= length - 1), step, 0)
    out[1:] = sign
    out[:-1] = np.where(out[:-1] == 0, sign, out[:-1])
    return out


# --------------------------------------------------------------------------- segments
def _segments(index: pd.Index, recalculate_at: Sequence | None) -> np.ndarray:
    """Segment number of each position: 0 before the first change point, 1 after it, ..."""
    seg = np.zeros(len(index), dtype=int)
    for change in recalculate_at or []:
        if isinstance(index, pd.DatetimeIndex):
            pos = int(index.searchsorted(pd.Timestamp(change)))
        else:
            pos = int(index.get_indexer([change])[0])
            if pos < 0:
                raise ValueError(f"recalculate_at point {change!r} is not in the index")
        seg[pos:] += 1
    # renumber so that segments are 0..k-1 without gaps (change points beyond the end)
    _, seg = np.unique(seg, return_inverse=True)
    return seg


def _baseline_mask(n: int, segment: np.ndarray, valid: np.ndarray, baseline) -> np.ndarray:
    """Which points define the centre and limits (within each segment, valid points only)."""
    if baseline is None:
        mask = valid.copy()
    elif isinstance(baseline, int | np.integer) and not isinstance(baseline, bool):
        if baseline < 1:
            raise ValueError("baseline must be a positive number of points")
        order = pd.Series(valid.astype(int)).groupby(segment).cumsum().to_numpy()
        mask = valid & (order <= baseline)
    else:
        mask = np.asarray(baseline, dtype=bool) & valid
        if len(mask) != n:
            raise ValueError("a baseline mask must have one entry per point")
    # a segment with no baseline points uses all of its valid points
    has = pd.Series(mask).groupby(segment).transform("any").to_numpy()
    return np.where(has, mask, valid)


def _apply_rules(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the rule columns to a frame with value, centre, lcl, ucl, segment (per segment, valid points)."""
    n = len(frame)
    out = {k: np.zeros(n, dtype=bool) for k in ("outside_limits", "run", "trend")}
    direction = np.zeros(n, dtype=int)
    value = frame["value"].to_numpy(dtype=float)
    centre = frame["centre"].to_numpy(dtype=float)
    lcl = frame["lcl"].to_numpy(dtype=float)
    ucl = frame["ucl"].to_numpy(dtype=float)
    valid = ~np.isnan(value) & ~np.isnan(centre)
    seg = frame["segment"].to_numpy()
    above = valid & (value > ucl)
    below = valid & (value < lcl)
    out["outside_limits"] = above | below
    for s in np.unique(seg):
        pos = np.flatnonzero((seg == s) & valid)
        if len(pos) == 0:
            continue
        v, c = value[pos], centre[pos]
        out["run"][pos] = run_rule(v, c)
        tdir = trend_direction(v)
        out["trend"][pos] = tdir != 0
        side = np.sign(v - c).astype(int)
        d = tdir
        d = np.where(out["run"][pos], side, d)
        direction[pos] = d
    direction = np.where(above, 1, np.where(below, -1, direction))
    frame = frame.copy()
    for k, v in out.items():
        frame[k] = v
    frame["special_cause"] = out["outside_limits"] | out["run"] | out["trend"]
    frame["direction"] = direction
    return frame


# --------------------------------------------------------------------------- charts
def xmr(
    values: pd.Series,
    baseline: int | Sequence[bool] | None = None,
    recalculate_at: Sequence | None = None,
    lower_bound: float | None = None,
) -> pd.DataFrame:
    """XmR chart of a series (e.g. monthly counts), indexed like ``values``.

    centre = mean of the baseline points of the segment; mR = mean of the absolute
    differences between consecutive valid points, both in the baseline; limits =
    centre +/- 2.66 mR. ``lower_bound`` (e.g. 0 for counts) floors the lower limit.
    Columns: value, centre, lcl, ucl, outside_limits, run, trend, special_cause,
    direction, segment.
    """
    values = pd.Series(values, dtype="Float64").astype(float)
    n = len(values)
    v = values.to_numpy(dtype=float)
    valid = ~np.isnan(v)
    segment = _segments(values.index, recalculate_at)
    base = _baseline_mask(n, segment, valid, baseline)
    centre = np.full(n, np.nan)
    mr_bar = np.full(n, np.nan)
    for s in np.unique(segment):
        pos = np.flatnonzero((segment == s) & valid)
        if len(pos) == 0:
            continue
        b = base[pos]
        centre[segment == s] = v[pos][b].mean() if b.any() else np.nan
        mr = np.abs(np.diff(v[pos]))
        mr_base = b[1:] & b[:-1]
        mr_bar[segment == s] = mr[mr_base].mean() if mr_base.any() else np.nan
    lcl = centre - XMR_CONSTANT * mr_bar
    ucl = centre + XMR_CONSTANT * mr_bar
    if lower_bound is not None:
        lcl = np.maximum(lcl, lower_bound)
    frame = pd.DataFrame(
        {"value": v, "centre": centre, "lcl": lcl, "ucl": ucl, "segment": segment}, index=values.index
    )
    frame = _apply_rules(frame)
    return frame[CHART_COLUMNS]


def p_chart(
    numerator: pd.Series,
    denominator: pd.Series,
    baseline: int | Sequence[bool] | None = None,
    recalculate_at: Sequence | None = None,
) -> pd.DataFrame:
    """p-chart of proportions numerator / denominator, indexed like ``numerator``.

    centre p-bar = sum(numerator) / sum(denominator) over the baseline points of the
    segment; limits p-bar +/- 3 sqrt(p-bar (1 - p-bar) / n_i), clipped to [0, 1]. A point
    with a zero or missing denominator has value NaN and takes no part. Columns as
    ``xmr`` plus numerator and denominator.
    """
    num = pd.Series(numerator, dtype="Float64").astype(float)
    den = pd.Series(denominator, dtype="Float64").astype(float)
    den.index = num.index
    n_pts = len(num)
    x = num.to_numpy(dtype=float)
    nn = den.to_numpy(dtype=float)
    valid = ~np.isnan(x) & ~np.isnan(nn) & (nn > 0)
    value = np.full(n_pts, np.nan)
    value[valid] = x[valid] / nn[valid]
    segment = _segments(num.index, recalculate_at)
    base = _baseline_mask(n_pts, segment, valid, baseline)
    centre = np.full(n_pts, np.nan)
    for s in np.unique(segment):
        b = (segment == s) & base
        if b.any():
            centre[segment == s] = x[b].sum() / nn[b].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(centre * (1 - centre) / np.where(valid, nn, np.nan))
    lcl = np.clip(centre - 3 * sigma, 0, 1)
    ucl = np.clip(centre + 3 * sigma, 0, 1)
    frame = pd.DataFrame(
        {"value": value, "centre": centre, "lcl": lcl, "ucl": ucl, "segment": segment}, index=num.index
    )
    frame = _apply_rules(frame)
    frame = frame[CHART_COLUMNS]
    frame["numerator"] = x
    frame["denominator"] = nn
    return frame


# --------------------------------------------------------------------------- words
def latest_direction(chart: pd.DataFrame) -> int:
    """+1 / -1 / 0: the side of the special cause at the latest plotted point (0 if none)."""
    if chart is None or chart.empty:
        return 0
    shown = chart[chart["value"].notna()]
    if shown.empty or not bool(shown["special_cause"].iloc[-1]):
        return 0
    return int(shown["direction"].iloc[-1])


def describe_signal(chart: pd.DataFrame, higher_is_better: bool | None) -> str:
    """"special cause improvement", "special cause concern" or "common cause variation".

    Judged on the latest plotted point: a special cause there (outside the limits, part of
    the latest run or trend) on the good side is improvement, on the bad side concern.
    When neither direction is better (``higher_is_better=None``) a special cause gives
    "special cause variation".
    """
    d = latest_direction(chart)
    if d == 0:
        return COMMON_TEXT
    if higher_is_better is None:
        return NEITHER_TEXT
    good = d > 0 if higher_is_better else d < 0
    return IMPROVEMENT_TEXT if good else CONCERN_TEXT


def period_signal(
    chart: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, higher_is_better: bool | None
) -> str:
    """The book's one rule for "signal or noise" in a period (e.g. a quarter).

    The latest special-cause month in [start, end] of ``chart`` (indexed by month) decides,
    read as by ``describe_signal``; with none, "common cause variation".
    """
    part = chart[(chart.index >= start) & (chart.index <= end)]
    special = part[part["special_cause"] & part["value"].notna()]
    if special.empty:
        return COMMON_TEXT
    return describe_signal(special.iloc[[-1]], higher_is_better)
