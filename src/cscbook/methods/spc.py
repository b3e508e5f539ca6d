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

Judging one period (e.g. a quarter) as Making Data Count intends: ``control_chart`` (and
``judge_monthly`` for a tidy monthly frame) returns a ``ChartResult`` whose limits come from a
fixed baseline before the period judged (recalculated only at the change dates passed in),
after seasonal adjustment where 36+ months allow it, with Laney p' limits for overdispersed
proportions, and with the false-alarm rate of the chart stated; ``ChartResult.flagged`` names
the months of the period flagged and by which rule, ``ChartResult.reading`` gives the signal.
``stock_chart`` shows a stock with its trend and never gives it a signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

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
    """ "special cause improvement", "special cause concern" or "common cause variation".

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
    read as by ``describe_signal``; with none, "common cause variation". A ``ChartResult``
    (``control_chart``, ``stock_chart``) is read by ``ChartResult.reading`` over the period it
    judged (``start`` and ``end`` must fall in its first and last months).
    """
    if isinstance(chart, ChartResult):
        month = lambda d: pd.Timestamp(d).to_period("M")  # noqa: E731
        if (month(start), month(end)) != (month(chart.judged_start), month(chart.judged_end)):
            raise ValueError("a ChartResult is read over the period it judged")
        return chart.reading(higher_is_better)
    part = chart[(chart.index >= start) & (chart.index <= end)]
    special = part[part["special_cause"] & part["value"].notna()]
    if special.empty:
        return COMMON_TEXT
    return describe_signal(special.iloc[[-1]], higher_is_better)


# =========================================================================== judged charts
# Making Data Count practice for reading one period (e.g. a quarter) of a monthly series:
# limits from a fixed baseline before the period judged, recalculated only at known change
# dates; seasonality removed first where it can be estimated; Laney p' where proportions are
# overdispersed; stocks shown with their trend and never given a signal; and the chance that
# a stable process raises a signal in the period (the false-alarm rate) stated with the result.

BASELINE_MONTHS = 24  # limits come from the first 24 valid months of a segment (at most)
MIN_BASELINE = 12  # fewer baseline months before the period judged: the period is not assessed
SEASONAL_MIN_MONTHS = 36  # months before the period judged needed to estimate month effects
SEASONAL_ALPHA = 0.05  # "auto": adjust when the month effects are significant at this level
DISPERSION_ALPHA = 0.05  # "auto": Laney p' when the binomial is rejected at this level
D2 = 1.128  # mean moving range of two independent N(0, 1) points: sigma = mR-bar / d2
FALSE_ALARM_REPS = 4000
FALSE_ALARM_SEED = 20240401
TREND_MONTHS = 12  # a stock's trend line: the last 12 months up to the end of the period judged

NOT_ASSESSED_TEXT = "not assessed"
STOCK_TEXT = "not judged (a stock)"
RULE_WORDS = {
    "outside_limits": "outside the control limits",
    "run": f"part of a run of {RUN_LENGTH} or more months on one side of the average",
    "trend": f"part of {TREND_LENGTH} or more months rising or falling in a row",
}


@dataclass(frozen=True)
class ChartResult:
    """A control chart of a monthly series judged over one period (statsmodels-style results).

    ``frame`` (indexed by month, up to the end of the period judged; nothing later is used):
    ``observed`` (as recorded), ``value`` (the value judged: observed less the seasonal effect
    when adjusted), ``seasonal_effect``, ``centre``, ``lcl``, ``ucl``, the rule columns of
    ``xmr`` (``outside_limits``, ``run``, ``trend``, ``special_cause``, ``direction``),
    ``segment``, ``baseline`` (the month is one the limits come from) and ``judged`` (the
    month is in the period judged); proportions also ``numerator``, ``denominator``; stocks
    ``trend_line``.

    ``chart_type``: ``"xmr"``, ``"p"``, ``"laney_p"`` or ``"stock"`` (no limits, no signal).
    ``seasonal``: ``"adjusted"`` or ``"not adjusted"``, with the reason in ``seasonal_note``
    and the F-test p-value of the month effects in ``seasonal_p``. ``dispersion`` (proportions):
    Laney's sigma_z, the spread of the baseline months' z-scores (1 = binomial), and
    ``dispersion_p``, the chi-square test of the binomial on the baseline months.
    ``false_alarm_rate``: the probability that a stable process (no change, independent
    normal noise) flags at least one month of the period judged under the same rules,
    baseline and length, by simulation (``FALSE_ALARM_REPS`` seeded runs); 0 for stocks.
    """

    frame: pd.DataFrame
    chart_type: str
    judged_start: pd.Timestamp
    judged_end: pd.Timestamp
    assessed: bool
    note: str = ""
    baseline_start: pd.Timestamp | None = None
    baseline_end: pd.Timestamp | None = None
    n_baseline: int = 0
    change_dates: tuple[pd.Timestamp, ...] = ()
    seasonal: str = "not adjusted"
    seasonal_note: str = ""
    seasonal_p: float = float("nan")
    dispersion: float = float("nan")
    dispersion_p: float = float("nan")
    false_alarm_rate: float = float("nan")
    trend_per_month: float = float("nan")
    trend_ci: tuple[float, float] = (float("nan"), float("nan"))

    @property
    def signal_allowed(self) -> bool:
        """False for a stock: consecutive months are nearly the same number, so limits mean nothing."""
        return self.chart_type != "stock"

    def flagged(self) -> pd.DataFrame:
        """Months of the period judged that show special cause: month, value, direction, rules.

        ``rules`` is a tuple of rule names (keys of ``RULE_WORDS``) in the order outside the
        limits, run, trend. Empty for stocks and unassessed periods.
        """
        cols = ["month", "value", "observed", "direction", "rules"]
        if not self.assessed or not self.signal_allowed:
            return pd.DataFrame(columns=cols)
        f = self.frame[self.frame["judged"] & self.frame["special_cause"]]
        rules = [tuple(r for r in ("outside_limits", "run", "trend") if row[r]) for _, row in f.iterrows()]
        return pd.DataFrame(
            {
                "month": f.index,
                "value": f["value"].to_numpy(),
                "observed": f["observed"].to_numpy(),
                "direction": f["direction"].to_numpy(dtype=int),
                "rules": rules,
            }
        )[cols]

    def reading(self, higher_is_better: bool | None) -> str:
        """The period's signal: improvement / concern / variation / common cause / not assessed / stock.

        Special cause when any month of the period judged is flagged; improvement or concern
        only when every flagged month is on the same side and one direction is better;
        flagged months on both sides, or neither direction better, give "special cause
        variation".
        """
        if not self.signal_allowed:
            return STOCK_TEXT
        if not self.assessed:
            return NOT_ASSESSED_TEXT
        flags = self.flagged()
        if flags.empty:
            return COMMON_TEXT
        sides = set(np.sign(flags["direction"]).tolist()) - {0}
        if len(sides) != 1 or higher_is_better is None:
            return NEITHER_TEXT
        good = (sides.pop() > 0) == bool(higher_is_better)
        return IMPROVEMENT_TEXT if good else CONCERN_TEXT


def combined_false_alarm_rate(rates: Sequence[float]) -> float:
    """Chance of at least one false signal across charts: 1 - prod(1 - rate), independence assumed.

    Stocks (rate 0) and NaN (not assessed) contribute nothing.
    """
    r = np.asarray([x for x in rates if x is not None and not np.isnan(x)], dtype=float)
    return float(1 - np.prod(1 - r)) if len(r) else 0.0


# --------------------------------------------------------------------------- helpers
def _month_index(index: pd.Index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(pd.to_datetime(index))
    if not idx.is_monotonic_increasing or idx.has_duplicates:
        raise ValueError("a judged chart needs one row per month in time order")
    return idx


def _judged_bounds(idx: pd.DatetimeIndex, judged) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period judged: ``(start, end)``; default the last three months of the series."""
    if judged is None:
        if len(idx) == 0:
            raise ValueError("an empty series has no period to judge")
        return idx[max(len(idx) - 3, 0)], idx[-1]
    start, end = (pd.Timestamp(x) for x in judged)
    if end < start:
        raise ValueError(f"the period judged ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})")
    return start, end


def _seasonal_fit(
    y: np.ndarray, weights: np.ndarray, idx: pd.DatetimeIndex, pre: np.ndarray, segment: np.ndarray
):
    """Month-of-year effects estimated on the ``pre`` months (before the period judged).

    (W)LS of y on 11 month dummies, a linear trend and one level per segment. Returns the
    effect of each position's calendar month (centred to average 0 over the 12 months), the
    F-test p-value of the month dummies, and the linear map from y[pre] to the effect at
    every position (for the false-alarm simulation), or None when it cannot be estimated.
    """
    import statsmodels.api as sm

    months = idx.month.to_numpy()
    pm = months[pre]
    if pre.sum() < SEASONAL_MIN_MONTHS or np.bincount(pm, minlength=13)[1:].min() < 2:
        return None
    t = np.arange(len(y), dtype=float)
    dummies = (pm[:, None] == np.arange(2, 13)[None, :]).astype(float)  # January is the reference
    segs = np.unique(segment[pre])
    levels = (segment[pre][:, None] == segs[None, :]).astype(float)  # one intercept per segment
    x = np.column_stack([levels, (t[pre] - t[pre].mean()) / 12.0, dummies])
    fit = sm.WLS(y[pre], x, weights=weights[pre]).fit()
    k0 = levels.shape[1] + 1
    r = np.zeros((11, x.shape[1]))
    r[np.arange(11), k0 + np.arange(11)] = 1.0
    p_value = float(fit.f_test(r).pvalue)
    coef = np.r_[0.0, fit.params[k0:]]  # January 0, then Feb..Dec
    effects = coef - coef.mean()
    # linear map: effects = C @ B @ y_pre, B = (X'WX)^-1 X'W
    w = weights[pre]
    b = np.linalg.solve(x.T @ (x * w[:, None]), (x * w[:, None]).T)
    month_rows = np.vstack([np.zeros(b.shape[1]), b[k0:]])  # 12 x n_pre
    month_rows = month_rows - month_rows.mean(axis=0, keepdims=True)
    mapping = np.zeros((len(y), len(y)))
    mapping[:, np.flatnonzero(pre)] = month_rows[months - 1]
    return effects[months - 1], p_value, mapping


def _baseline_positions(
    valid: np.ndarray, segment: np.ndarray, before: np.ndarray, baseline_months: int
) -> np.ndarray:
    """Baseline mask: the first ``baseline_months`` valid months of each segment that are before the period judged."""
    ok = valid & before
    order = pd.Series(ok.astype(int)).groupby(segment).cumsum().to_numpy()
    return ok & (order <= baseline_months)


def _mean_moving_range(v: np.ndarray) -> float:
    return float(np.mean(np.abs(np.diff(v)))) if len(v) > 1 else float("nan")


# --------------------------------------------------------------------------- false alarms
def _run_flags(sign: np.ndarray, length: int) -> np.ndarray:
    """reps x n: True where the element is in a run of ``length`` or more equal non-zero signs."""
    reps, n = sign.shape
    fwd = np.ones((reps, n), dtype=int)
    bwd = np.ones((reps, n), dtype=int)
    for t in range(1, n):
        same = sign[:, t] == sign[:, t - 1]
        fwd[:, t] = np.where(same, fwd[:, t - 1] + 1, 1)
    for t in range(n - 2, -1, -1):
        same = sign[:, t] == sign[:, t + 1]
        bwd[:, t] = np.where(same, bwd[:, t + 1] + 1, 1)
    return (sign != 0) & (fwd + bwd - 1 >= length)


@lru_cache(maxsize=256)
def _false_alarm_cached(
    n: int,
    baseline: tuple[int, ...],
    judged: tuple[int, ...],
    estimate_sigma: bool,
    mapping_key: bytes | None,
    mapping_shape: tuple[int, int] | None,
    positions: tuple[int, ...] | None,
    reps: int,
    seed: int,
) -> float:
    rng = np.random.default_rng(seed)
    if mapping_key is None:
        z = rng.standard_normal((reps, n))
    else:
        mapping = np.frombuffer(mapping_key, dtype=float).reshape(mapping_shape)
        full = rng.standard_normal((reps, mapping_shape[1]))
        adjusted = full - full @ mapping.T
        z = adjusted[:, list(positions)]
    b = list(baseline)
    centre = z[:, b].mean(axis=1, keepdims=True)
    if estimate_sigma:
        sigma = np.abs(np.diff(z[:, b], axis=1)).mean(axis=1, keepdims=True) / D2
    else:
        sigma = np.ones((reps, 1))
    outside = np.abs(z - centre) > 3 * sigma
    run = _run_flags(np.sign(z - centre).astype(int), RUN_LENGTH)
    steps = np.sign(np.diff(z, axis=1)).astype(int)
    qualifying = _run_flags(steps, TREND_LENGTH - 1)
    trend = np.zeros_like(outside)
    trend[:, 1:] |= qualifying
    trend[:, :-1] |= qualifying
    flagged = (outside | run | trend)[:, list(judged)]
    return float(flagged.any(axis=1).mean())


def false_alarm_rate(
    n: int,
    baseline: Sequence[int],
    judged: Sequence[int],
    estimate_sigma: bool,
    mapping: np.ndarray | None = None,
    positions: Sequence[int] | None = None,
    reps: int = FALSE_ALARM_REPS,
    seed: int = FALSE_ALARM_SEED,
) -> float:
    """Chance that a stable process flags at least one of the ``judged`` points, by simulation.

    A segment of ``n`` points of independent N(0, 1) noise; the centre is the mean of the
    ``baseline`` positions; sigma is their mean moving range / 1.128 when ``estimate_sigma``
    (XmR, Laney p') and known (= 1, p-chart) otherwise; the three rules (3-sigma limits, run of
    7, trend of 6) over the whole segment. With ``mapping`` (seasonal adjustment), the noise
    of the whole series is adjusted as the chart adjusts it (``x - mapping @ x``) and the
    segment is its ``positions``. Seeded: the same arguments give the same answer.
    """
    if len(baseline) < 2 or not len(judged):
        return float("nan")
    key = shape = pos = None
    if mapping is not None:
        key, shape, pos = (
            np.ascontiguousarray(mapping, dtype=float).tobytes(),
            mapping.shape,
            tuple(positions),
        )
    return _false_alarm_cached(
        int(n),
        tuple(int(i) for i in baseline),
        tuple(int(i) for i in judged),
        bool(estimate_sigma),
        key,
        shape,
        pos,
        int(reps),
        int(seed),
    )


# --------------------------------------------------------------------------- the judged chart
def control_chart(
    values: pd.Series | None = None,
    *,
    numerator: pd.Series | None = None,
    denominator: pd.Series | None = None,
    judged: tuple | None = None,
    change_dates: Sequence = (),
    baseline_months: int = BASELINE_MONTHS,
    seasonal: str = "auto",
    laney: str = "auto",
    lower_bound: float | None = None,
    reps: int = FALSE_ALARM_REPS,
) -> ChartResult:
    """Judge one period of a monthly series on a control chart with a fixed baseline.

    Pass ``values`` (an XmR chart of a count or rate) or ``numerator`` and ``denominator``
    (a p-chart of a proportion), indexed by month (first day of the month) in time order.

    - the period judged is ``judged = (start, end)`` (default: the last three months); months
      after ``end`` are not used;
    - segments start at each of ``change_dates`` (known changes to the process) on or before
      ``end``; limits are never recalculated anywhere else;
    - the baseline of a segment is its first ``baseline_months`` valid months *before* the
      period judged; the months judged never enter it. A segment with fewer than
      ``MIN_BASELINE`` such months has no limits, and when that is the period's segment the
      period is not assessed (``assessed`` False, the reason in ``note``);
    - ``seasonal``: ``"auto"`` estimates month-of-year effects on the months before the
      period judged when there are at least 36 (each calendar month at least twice), by
      (weighted) least squares with a linear trend and one level per segment, and subtracts
      them when their F-test has p < 0.05; ``"adjust"`` subtracts them whatever the test says;
      ``"none"`` never adjusts. The rules are then applied to the adjusted values;
    - ``laney`` (proportions): ``"auto"`` uses Laney p' limits, p-bar +/- 3 sigma_z
      sqrt(p-bar (1 - p-bar) / n_i), when the baseline is overdispersed (sigma_z, the mean
      moving range of the baseline z-scores / 1.128, is above 1 and the chi-square test of
      the binomial has p < 0.05); ``"always"`` / ``"never"`` force the choice;
    - rules as ``xmr`` within each segment; ``lower_bound`` floors an XmR lower limit.
    """
    proportion = values is None
    if proportion:
        if numerator is None or denominator is None:
            raise ValueError("pass values (XmR) or numerator and denominator (p-chart)")
        num = pd.Series(numerator, dtype="Float64").astype(float)
        den = pd.Series(denominator, dtype="Float64").astype(float).set_axis(num.index)
        series = num
    else:
        series = pd.Series(values, dtype="Float64").astype(float)
    if seasonal not in ("auto", "adjust", "none"):
        raise ValueError(f"seasonal must be 'auto', 'adjust' or 'none', not {seasonal!r}")
    if laney not in ("auto", "always", "never"):
        raise ValueError(f"laney must be 'auto', 'always' or 'never', not {laney!r}")
    if baseline_months < MIN_BASELINE:
        raise ValueError(f"baseline_months must be at least {MIN_BASELINE}")
    idx = _month_index(series.index)
    start, end = _judged_bounds(idx, judged)
    keep = idx <= end
    idx = idx[keep]
    n = len(idx)
    if proportion:
        x = num.to_numpy(dtype=float)[keep]
        nn = den.to_numpy(dtype=float)[keep]
        valid = ~np.isnan(x) & ~np.isnan(nn) & (nn > 0)
        observed = np.full(n, np.nan)
        observed[valid] = x[valid] / nn[valid]
        weights = np.where(valid, nn, 0.0)
    else:
        observed = series.to_numpy(dtype=float)[keep]
        valid = ~np.isnan(observed)
        weights = valid.astype(float)
    judged_mask = (idx >= start) & (idx <= end)
    before = idx < start
    changes = (
        tuple(pd.Timestamp(c) for c in (change_dates or ()) if idx[0] < pd.Timestamp(c) <= end) if n else ()
    )
    segment = _segments(idx, list(changes))

    # seasonal adjustment, estimated on the months before the period judged only
    pre = valid & before
    effect = np.zeros(n)
    mapping = None
    s_p = float("nan")
    if seasonal == "none":
        s_state, s_note = "not adjusted", "seasonal adjustment not requested"
    else:
        fit = _seasonal_fit(np.where(valid, observed, 0.0), np.where(valid, weights, 0.0), idx, pre, segment)
        if fit is None:
            s_state = "not adjusted"
            s_note = (
                f"fewer than {SEASONAL_MIN_MONTHS} months before the period judged (each calendar month "
                f"at least twice): seasonality cannot be estimated"
            )
        else:
            eff, s_p, mp = fit
            if seasonal == "adjust" or s_p < SEASONAL_ALPHA:
                s_state, effect, mapping = "adjusted", eff, mp
                s_note = (
                    f"month-of-year effects estimated on the {int(pre.sum())} months before the period "
                    f"judged (F-test p = {s_p:.3g}) and removed before the rules were applied"
                )
            else:
                s_state = "not adjusted"
                s_note = f"no seasonal pattern detected in the months before the period judged (F-test p = {s_p:.2f})"
    value = np.where(valid, observed - effect, np.nan)

    base = _baseline_positions(valid, segment, before, baseline_months)
    centre = np.full(n, np.nan)
    lcl = np.full(n, np.nan)
    ucl = np.full(n, np.nan)
    judged_seg = int(segment[judged_mask][-1]) if judged_mask.any() else int(segment[-1]) if n else 0
    chart_type = "laney_p" if (proportion and laney == "always") else "p" if proportion else "xmr"
    dispersion = dispersion_p = float("nan")
    for s in np.unique(segment):
        in_seg = segment == s
        b = base & in_seg
        if b.sum() < MIN_BASELINE:
            continue
        if proportion:
            pbar = float(np.sum(value[b] * nn[b]) / np.sum(nn[b]))
            if not 0 < pbar < 1:
                centre[in_seg] = pbar
                lcl[in_seg] = ucl[in_seg] = pbar
                continue
            with np.errstate(invalid="ignore", divide="ignore"):
                sd = np.sqrt(pbar * (1 - pbar) / np.where(valid, nn, np.nan))
            zb = (value[b] - pbar) / sd[b]
            sigma_z = _mean_moving_range(zb) / D2
            chi2 = float(np.sum(zb**2))
            from scipy.stats import chi2 as chi2_dist

            p_disp = float(chi2_dist.sf(chi2, int(b.sum()) - 1))
            use = laney == "always" or (laney == "auto" and sigma_z > 1 and p_disp < DISPERSION_ALPHA)
            k = sigma_z if use else 1.0
            if s == judged_seg:
                dispersion, dispersion_p = sigma_z, p_disp
                chart_type = "laney_p" if use else "p"
            centre[in_seg] = pbar
            lcl[in_seg] = np.clip(pbar - 3 * k * sd[in_seg], 0, 1)
            ucl[in_seg] = np.clip(pbar + 3 * k * sd[in_seg], 0, 1)
        else:
            c = float(value[b].mean())
            mr = _mean_moving_range(value[b])
            centre[in_seg] = c
            lcl[in_seg] = c - XMR_CONSTANT * mr
            ucl[in_seg] = c + XMR_CONSTANT * mr
    if lower_bound is not None and not proportion:
        lcl = np.where(np.isnan(lcl), lcl, np.maximum(lcl, lower_bound))
    frame = pd.DataFrame(
        {"value": value, "centre": centre, "lcl": lcl, "ucl": ucl, "segment": segment},
        index=pd.DatetimeIndex(idx, name=series.index.name or "month"),
    )
    frame = _apply_rules(frame)
    frame.insert(0, "observed", observed)
    frame["seasonal_effect"] = np.where(valid, effect, np.nan)
    frame["baseline"] = base & ~np.isnan(centre)
    frame["judged"] = judged_mask
    if proportion:
        frame["numerator"] = x
        frame["denominator"] = nn

    seg_mask = segment == judged_seg
    b_seg = base & seg_mask
    assessed = bool(
        judged_mask.any() and b_seg.sum() >= MIN_BASELINE and not np.isnan(centre[judged_mask]).all()
    )
    note = ""
    if not judged_mask.any():
        note = "no month of the period judged is in the series"
    elif not assessed:
        since = f" since the change on {changes[judged_seg - 1]:%-d %B %Y}" if judged_seg > 0 else ""
        note = (
            f"{int(b_seg.sum())} months{since} before the period judged: at least {MIN_BASELINE} are needed "
            f"to set limits, so the period is not assessed"
        )
    far = float("nan")
    if assessed:
        seg_valid = np.flatnonzero(seg_mask & valid)
        local = {p: i for i, p in enumerate(seg_valid)}
        b_local = [local[p] for p in np.flatnonzero(b_seg)]
        j_local = [local[p] for p in np.flatnonzero(judged_mask & valid & seg_mask)]
        estimate = chart_type in ("xmr", "laney_p")
        if mapping is not None:
            all_valid = np.flatnonzero(valid)
            m = mapping[np.ix_(all_valid, all_valid)]
            pos = [int(np.searchsorted(all_valid, p)) for p in seg_valid]
            far = false_alarm_rate(len(seg_valid), b_local, j_local, estimate, m, pos, reps=reps)
        else:
            far = false_alarm_rate(len(seg_valid), b_local, j_local, estimate, reps=reps)
    bmonths = frame.index[frame["baseline"] & seg_mask]
    return ChartResult(
        frame=frame,
        chart_type=chart_type,
        judged_start=start,
        judged_end=end,
        assessed=assessed,
        note=note,
        baseline_start=bmonths[0] if len(bmonths) else None,
        baseline_end=bmonths[-1] if len(bmonths) else None,
        n_baseline=len(bmonths),
        change_dates=changes,
        seasonal=s_state,
        seasonal_note=s_note,
        seasonal_p=s_p,
        dispersion=dispersion,
        dispersion_p=dispersion_p,
        false_alarm_rate=far,
    )


def stock_chart(
    values: pd.Series, judged: tuple | None = None, trend_months: int = TREND_MONTHS
) -> ChartResult:
    """A stock (a count on a date, e.g. open at each month end): shown with its trend, never judged.

    Consecutive months of a stock are nearly the same number, so the moving range is tiny and
    control limits would flag most months; no limits and no signal are given. The trend is a
    least-squares line over the last ``trend_months`` months up to the end of the period
    judged, with a 95% interval for its slope (change per month) from Newey-West (HAC)
    standard errors, which allow for the months being correlated.
    """
    import statsmodels.api as sm

    series = pd.Series(values, dtype="Float64").astype(float)
    idx = _month_index(series.index)
    start, end = _judged_bounds(idx, judged)
    keep = idx <= end
    idx = idx[keep]
    v = series.to_numpy(dtype=float)[keep]
    n = len(v)
    frame = pd.DataFrame(
        {
            "observed": v,
            "value": v,
            "centre": np.nan,
            "lcl": np.nan,
            "ucl": np.nan,
            "outside_limits": False,
            "run": False,
            "trend": False,
            "special_cause": False,
            "direction": 0,
            "segment": 0,
            "seasonal_effect": 0.0,
            "baseline": False,
            "judged": (idx >= start) & (idx <= end),
            "trend_line": np.nan,
        },
        index=pd.DatetimeIndex(idx, name=series.index.name or "month"),
    )
    slope, ci = float("nan"), (float("nan"), float("nan"))
    recent = np.flatnonzero(~np.isnan(v))[-trend_months:] if n else np.array([], dtype=int)
    if len(recent) >= 6:
        t = (recent - recent[0]).astype(float)
        fit = sm.OLS(v[recent], sm.add_constant(t)).fit(cov_type="HAC", cov_kwds={"maxlags": 2})
        slope = float(fit.params[1])
        lo, hi = fit.conf_int(0.05)[1]
        ci = (float(lo), float(hi))
        frame.iloc[recent, frame.columns.get_loc("trend_line")] = fit.params[0] + fit.params[1] * t
    return ChartResult(
        frame=frame,
        chart_type="stock",
        judged_start=start,
        judged_end=end,
        assessed=False,
        note="a stock is shown with its trend and is not judged with control limits",
        false_alarm_rate=0.0,
        trend_per_month=slope,
        trend_ci=ci,
    )


def judge_monthly(monthly: pd.DataFrame, kind: str, judged: tuple | None = None, **kwargs) -> ChartResult:
    """``control_chart`` or ``stock_chart`` of a tidy monthly frame by the measure's kind.

    ``monthly``: columns month and value (``kind`` "count" or "stock") or month, numerator and
    denominator ("proportion"). Counts get an XmR chart floored at 0; stocks ``stock_chart``
    (``kwargs`` other than ``trend_months`` are ignored for stocks).
    """
    frame = monthly.assign(month=pd.to_datetime(monthly["month"])).sort_values("month").set_index("month")
    if kind == "stock":
        return stock_chart(
            frame["value"], judged=judged, **{k: v for k, v in kwargs.items() if k == "trend_months"}
        )
    if kind == "proportion":
        return control_chart(
            numerator=frame["numerator"], denominator=frame["denominator"], judged=judged, **kwargs
        )
    if kind == "count":
        kwargs.setdefault("lower_bound", 0)
        return control_chart(frame["value"], judged=judged, **kwargs)
    raise ValueError(f"unknown measure kind {kind!r}")
