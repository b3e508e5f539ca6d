"""Did the intervention work? Interrupted time series (segmented) regression of monthly counts.

Model (statsmodels GLM, Poisson mean, log link) for month t = 0, 1, ...:

    log E[count_t] = [log(population_t)] + b0 + b1 t + seasonal(t) + b2 post_t + b3 (t - t0) post_t

- ``post_t`` is 1 from the first month that starts on or after the intervention date (t0);
  a mid-month date counts from the next month;
- ``seasonal(t)``: month-of-year Fourier terms sin/cos(2 pi k m / 12), k = 1, 2 (m = calendar month);
- an offset log(population_t) only when a monthly population series is given (a constant
  population would only shift b0, so none is used then);
- other intervention dates may be adjusted for with their own level and slope terms.

**Inference.** Always quasi-Poisson: the variance is the dispersion (Pearson chi2 / df) times
the mean, whatever the dispersion, and intervals and p-values use the t distribution with the
residual degrees of freedom. **Autocorrelation**: the lag-1 autocorrelation of the Pearson
residuals and a Ljung-Box test to lag 6 are reported, and autocorrelation is allowed for by
multiplying the covariance by the residuals' long-run variance ratio
1 + 2 sum_{k=1..6} (1 - k / 7) r_k (Bartlett weights, as Newey-West; r_k the lag-k
autocorrelation) when it is above 1: the variance inflation of a coefficient on a persistent
regressor (a step) under correlated errors. (Seeded simulations of 72 months, step at month
36, 400 series each: false-positive rate of the step test 5.8% with Poisson counts, 4.3% with
overdispersion, 6.8% with AR(1) correlation 0.5 in the log rate; quasi-Poisson without the
allowance 9.0% there.)

**Effects.** ``exp(b2)`` is the step in the first month after the date (0.8 = 20% fewer than
the pre-trend predicts), ``exp(b3)`` the change in the monthly trend. The *cumulative* effect
is the ratio of the model's total over all post-period months to the total it predicts with
the intervention terms set to 0 (the counterfactual), with a delta-method interval on the log
scale; ``count_difference`` is the difference of those totals.

**Checks.** ``power`` simulates the series from the fitted counterfactual (gamma-Poisson with
the fitted dispersion) with a sustained step of a given rate ratio and refits: the share of
simulations whose step interval excludes 1. ``placebo`` refits at every earlier month with
enough data either side, on the data cut before the real date: a sound method finds a step at
about 5% of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cscbook.methods.fit_errors import FIT_ERRORS

MIN_PRE, MIN_POST = 12, 6
LAGS = 6


def first_post_month(months: pd.DatetimeIndex, date: pd.Timestamp) -> int:
    """Index of the first month starting on or after ``date`` (len(months) if none)."""
    return int(np.searchsorted(months.to_numpy(), np.datetime64(pd.Timestamp(date)), side="left"))


def design(
    months: pd.DatetimeIndex, date: pd.Timestamp, adjust_for: tuple[pd.Timestamp, ...] = ()
) -> pd.DataFrame:
    """Design matrix: const, time, sin1, cos1, sin2, cos2, level, slope (+ level_i, slope_i per adjuster)."""
    t = np.arange(len(months), dtype=float)
    m = months.month.to_numpy() - 1  # month of year, so seasonality is calendar-aligned
    x = pd.DataFrame({"const": 1.0, "time": t}, index=months)
    for k in (1, 2):
        x[f"sin{k}"] = np.sin(2 * np.pi * k * m / 12)
        x[f"cos{k}"] = np.cos(2 * np.pi * k * m / 12)
    for i, d in enumerate((date, *adjust_for)):
        t0 = first_post_month(months, d)
        post = (t >= t0).astype(float)
        suffix = "" if i == 0 else f"_{i}"
        x[f"level{suffix}"] = post
        x[f"slope{suffix}"] = post * (t - t0)
    return x


def autocorrelations(r: np.ndarray, lags: int = LAGS) -> np.ndarray:
    """Lag-k autocorrelations sum(r_t r_{t-k}) / sum(r_t^2), k = 1..lags, of residuals r (centred)."""
    r = np.asarray(r, dtype=float) - np.mean(r)
    den = float(np.sum(r**2))
    if den <= 0:
        return np.zeros(lags)
    return np.array([np.sum(r[k:] * r[:-k]) / den for k in range(1, lags + 1)])


def long_run_inflation(r: np.ndarray, lags: int = LAGS) -> float:
    """max(1, 1 + 2 sum_{k=1..lags} (1 - k / (lags + 1)) rho_k): the Bartlett-weighted long-run
    variance ratio of residuals r (rho_k their lag-k autocorrelations)."""
    rho = autocorrelations(r, lags)
    w = 1 - np.arange(1, lags + 1) / (lags + 1)
    return max(1.0, float(1 + 2 * np.sum(w * rho)))


@dataclass
class ITSResult:
    """An interrupted time series fit. ``table()`` gives the one-row summary saved to CSV."""

    name: str
    date: pd.Timestamp
    fitted: bool
    message: str = ""
    method: str = ""
    dispersion: float = np.nan
    autocorrelation: float = np.nan
    ljung_box_p: float = np.nan
    inflation: float = np.nan
    rate_ratio: float = np.nan
    ci_low: float = np.nan
    ci_high: float = np.nan
    p_value: float = np.nan
    slope_ratio: float = np.nan
    slope_ci_low: float = np.nan
    slope_ci_high: float = np.nan
    slope_p_value: float = np.nan
    cumulative_ratio: float = np.nan
    cumulative_ci_low: float = np.nan
    cumulative_ci_high: float = np.nan
    cumulative_p_value: float = np.nan
    count_difference: float = np.nan
    months_before: int = 0
    months_after: int = 0
    power: float = np.nan
    power_rate_ratio: float = np.nan
    series: pd.DataFrame = field(default_factory=pd.DataFrame)
    placebo: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self) -> pd.DataFrame:
        cols = ["method", "dispersion", "autocorrelation", "ljung_box_p", "inflation", "rate_ratio", "ci_low",
                "ci_high", "p_value", "slope_ratio", "slope_ci_low", "slope_ci_high", "slope_p_value",
                "cumulative_ratio", "cumulative_ci_low", "cumulative_ci_high", "cumulative_p_value",
                "count_difference", "months_before", "months_after", "power_rate_ratio", "power"]  # fmt: skip
        row = {"intervention": self.name, "date": self.date, "fitted": self.fitted} | {
            c: getattr(self, c) for c in cols
        }
        if not self.placebo.empty:
            row |= {
                "placebo_dates": len(self.placebo),
                "placebo_steps_found": int(self.placebo["step_found"].sum()),
            }
        row["message"] = self.message
        return pd.DataFrame([row])

    @property
    def step_found(self) -> bool:
        """True when the 95% interval of the first-month step excludes 1."""
        return bool(self.fitted and (self.ci_high < 1 or self.ci_low > 1))

    @property
    def cumulative_found(self) -> bool:
        """True when the 95% interval of the cumulative post-period ratio excludes 1."""
        return bool(self.fitted and (self.cumulative_ci_high < 1 or self.cumulative_ci_low > 1))


def _ratio(b: float, se: float, tq: float, df: float) -> tuple[float, float, float, float]:
    """exp(b) with its t interval and two-sided t p-value."""
    p = float(2 * stats.t.sf(abs(b / se), df)) if se > 0 else np.nan
    return float(np.exp(b)), float(np.exp(b - tq * se)), float(np.exp(b + tq * se)), p


def _fit(y: np.ndarray, x: pd.DataFrame, offset: np.ndarray | None):
    """Quasi-Poisson fit, covariance widened for autocorrelation: (result, covariance, dispersion,
    lag-1 autocorrelation, inflation)."""
    import statsmodels.api as sm

    res = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(scale="X2", use_t=True)
    resid = np.asarray(res.resid_pearson)
    r = float(autocorrelations(resid, 1)[0])
    infl = long_run_inflation(resid)
    return res, np.asarray(res.cov_params()) * infl, float(res.scale), r, infl


def fit_its(
    monthly: pd.DataFrame,
    count: str,
    date: pd.Timestamp,
    population: pd.Series | None = None,
    name: str = "intervention",
    adjust_for: tuple[pd.Timestamp, ...] = (),
) -> ITSResult:
    """Segmented quasi-Poisson regression of ``monthly[count]`` around ``date`` (see the module).

    ``monthly`` has a ``month`` column (first day of month); ``population`` an optional monthly
    population (same length) used as an offset. Needs 12 months before and 6 after; otherwise
    returns ``fitted=False`` with the reason. ``series`` in the result has month, observed,
    fitted, counterfactual (expected counts without the intervention terms; NaN before the date).
    """
    from statsmodels.stats.diagnostic import acorr_ljungbox

    date = pd.Timestamp(date)
    months = pd.DatetimeIndex(monthly["month"])
    y = monthly[count].to_numpy(dtype=float)
    t0 = first_post_month(months, date)
    n_pre, n_post = t0, len(months) - t0
    base = ITSResult(name, date, False, months_before=n_pre, months_after=n_post)
    if n_pre < MIN_PRE or n_post < MIN_POST:
        base.message = (
            f"Not enough data around {date:%d %B %Y}: {n_pre} months before and {n_post} after "
            f"(at least {MIN_PRE} and {MIN_POST} are needed)."
        )
        return base
    if population is not None and np.ndim(population) == 0:
        raise TypeError("population must be a monthly series (a constant population is no offset); pass None")
    adjust = tuple(
        d for d in adjust_for if MIN_PRE <= first_post_month(months, d) < len(months) and d != date
    )
    x = design(months, date, adjust)
    offset = None if population is None else np.log(np.asarray(population, dtype=float))
    try:
        res, cov, dispersion, r, infl = _fit(y, x, offset)
    except FIT_ERRORS as exc:  # a degenerate series (e.g. all zeros) is reported, not fatal
        base.message = f"The model could not be fitted ({type(exc).__name__})."
        return base
    if not np.isfinite(dispersion) or dispersion <= 0:
        base.message = "The model could not be fitted (no variation left to estimate the dispersion)."
        return base
    df = float(res.df_resid)
    tq = float(stats.t.ppf(0.975, df))
    b = np.asarray(res.params)
    se = np.sqrt(np.diag(cov))
    j = {c: i for i, c in enumerate(x.columns)}
    step = _ratio(b[j["level"]], se[j["level"]], tq, df)
    slope = _ratio(b[j["slope"]], se[j["slope"]], tq, df)
    no_int = x.copy()
    no_int[["level", "slope"]] = 0.0
    off = 0.0 if offset is None else offset
    mu = np.exp(x.to_numpy() @ b + off)
    mu0 = np.exp(no_int.to_numpy() @ b + off)
    post = np.arange(len(y)) >= t0
    # log(sum mu / sum mu0): gradient = sum(mu x) / sum(mu) - sum(mu0 x0) / sum(mu0) over post months.
    grad = (mu[post] @ x.to_numpy()[post]) / mu[post].sum() - (mu0[post] @ no_int.to_numpy()[post]) / mu0[
        post
    ].sum()
    cum = _ratio(float(np.log(mu[post].sum() / mu0[post].sum())), float(np.sqrt(max(grad @ cov @ grad, 0.0))),
                 tq, df)  # fmt: skip
    lb = acorr_ljungbox(np.asarray(res.resid_pearson), lags=[LAGS])
    series = pd.DataFrame(
        {"month": months, "observed": y, "fitted": mu, "counterfactual": np.where(post, mu0, np.nan)}
    )
    return ITSResult(
        name=name, date=date, fitted=True,
        method="quasi-Poisson, t intervals" + (f", widened x{np.sqrt(infl):.2f} for autocorrelation" if infl > 1 else ""),
        dispersion=dispersion, autocorrelation=r, ljung_box_p=float(lb["lb_pvalue"].iloc[0]), inflation=infl,
        rate_ratio=step[0], ci_low=step[1], ci_high=step[2], p_value=step[3],
        slope_ratio=slope[0], slope_ci_low=slope[1], slope_ci_high=slope[2], slope_p_value=slope[3],
        cumulative_ratio=cum[0], cumulative_ci_low=cum[1], cumulative_ci_high=cum[2], cumulative_p_value=cum[3],
        count_difference=float(mu[post].sum() - mu0[post].sum()),
        months_before=n_pre, months_after=n_post, series=series,
    )  # fmt: skip


def power(r: ITSResult, rate_ratio: float = 0.8, sims: int = 200, seed: int = 0,
          adjust_for: tuple[pd.Timestamp, ...] = ()) -> float:  # fmt: skip
    """Share of ``sims`` series simulated from ``r``'s counterfactual (pre-trend and seasonality
    carried through the whole series) with a sustained step ``rate_ratio`` from the date, whose
    refitted step interval excludes 1. Counts are gamma-Poisson with variance = dispersion x mean
    (Poisson when the dispersion is 1 or less). NaN when ``r`` is not fitted."""
    if not r.fitted:
        return float("nan")
    rng = np.random.default_rng(seed)
    s = r.series
    months = pd.DatetimeIndex(s["month"])
    x = design(months, r.date, adjust_for)
    t0 = first_post_month(months, r.date)
    # The counterfactual over the whole series: the fit before the date, the no-change line after.
    base = np.where(np.arange(len(s)) < t0, s["fitted"], s["counterfactual"]).astype(float)
    mu = base * np.where(np.arange(len(s)) >= t0, rate_ratio, 1.0)
    phi = max(r.dispersion, 1.0)
    found = 0
    for _ in range(sims):
        lam = rng.gamma(mu / (phi - 1), phi - 1) if phi > 1 else mu
        y = rng.poisson(lam).astype(float)
        try:
            res, cov, *_ = _fit(y, x, None)
        except FIT_ERRORS:  # a degenerate draw counts as not found
            continue
        j = list(x.columns).index("level")
        se = float(np.sqrt(cov[j, j]))
        tq = float(stats.t.ppf(0.975, res.df_resid))
        found += abs(float(res.params.iloc[j])) > tq * se
    return found / sims


def with_power(r: ITSResult, rate_ratio: float = 0.8, sims: int = 200, seed: int = 0,
               adjust_for: tuple[pd.Timestamp, ...] = ()) -> ITSResult:  # fmt: skip
    """``r`` with ``power`` (see :func:`power`) and ``power_rate_ratio`` filled in."""
    r.power = power(r, rate_ratio, sims, seed, adjust_for)
    r.power_rate_ratio = rate_ratio
    return r


PLACEBO_COLUMNS = ["date", "rate_ratio", "ci_low", "ci_high", "p_value", "step_found"]


def placebo(monthly: pd.DataFrame, count: str, date: pd.Timestamp, population: pd.Series | None = None,
            adjust_for: tuple[pd.Timestamp, ...] = ()) -> pd.DataFrame:  # fmt: skip
    """The same model at every month before ``date`` with 12+ months before and 6+ after it, on
    the data cut before ``date`` (so the real change cannot leak in). Columns: date, rate_ratio,
    ci_low, ci_high, p_value, step_found (95% interval excludes 1)."""
    months = pd.DatetimeIndex(monthly["month"])
    cut = first_post_month(months, pd.Timestamp(date))
    pre = monthly.iloc[:cut]
    pop = None if population is None else pd.Series(population).iloc[:cut]
    earlier = tuple(d for d in adjust_for if pd.Timestamp(d) < pd.Timestamp(date))
    rows = []
    for i in range(MIN_PRE, cut - MIN_POST + 1):  # a few dozen small fits
        r = fit_its(pre, count, months[i], pop, "placebo", adjust_for=earlier)
        if r.fitted:
            rows.append((months[i], r.rate_ratio, r.ci_low, r.ci_high, r.p_value, r.step_found))
    return pd.DataFrame(rows, columns=PLACEBO_COLUMNS)


def with_placebo(r: ITSResult, monthly: pd.DataFrame, count: str, population: pd.Series | None = None,
                 adjust_for: tuple[pd.Timestamp, ...] = ()) -> ITSResult:  # fmt: skip
    """``r`` with its placebo table (see :func:`placebo`) filled in."""
    r.placebo = placebo(monthly, count, r.date, population, adjust_for)
    return r


def _pct(ratio: float) -> str:
    change = (ratio - 1) * 100
    return f"{abs(change):.0f}% {'fewer' if change < 0 else 'more'}"


def describe(r: ITSResult, what: str = "children starting care") -> str:
    """The finding in words for a director: first-month step and cumulative effect with intervals,
    whether either can be told apart from chance, the power, autocorrelation and placebo dates."""
    if not r.fitted:
        return r.message
    text = (
        f"In the first month after {r.name.replace('_', ' ')} began ({r.date:%B %Y}) there were about "
        f"{_pct(r.rate_ratio)} {what} than the earlier trend and seasonal pattern predicted (rate ratio "
        f"{r.rate_ratio:.2f}, 95% interval {r.ci_low:.2f} to {r.ci_high:.2f}). Over all {r.months_after} months "
        f"since, the model's total is {abs(r.cumulative_ratio - 1) * 100:.0f}% "
        f"{'lower' if r.cumulative_ratio < 1 else 'higher'} than it predicts without the change "
        f"(ratio {r.cumulative_ratio:.2f}, 95% interval {r.cumulative_ci_low:.2f} to {r.cumulative_ci_high:.2f}; "
        f"{abs(r.count_difference):,.0f} {'fewer' if r.count_difference < 0 else 'more'} in total)."
    )
    if r.step_found or r.cumulative_found:
        text += " This change is unlikely to be chance (a 95% interval excludes no change)."
    else:
        text += (
            " Both intervals include no change, so the data cannot show that the service changed the number."
        )
    text += (
        f" Month-to-month correlation left in the model's errors: {r.autocorrelation:.2f} at one month (Ljung-Box "
        f"test to 6 months p = {r.ljung_box_p:.2f}); "
        + (
            f"the intervals are widened {np.sqrt(r.inflation):.2f}-fold for it."
            if r.inflation > 1
            else "it does not widen the intervals (no net positive correlation)."
        )
    )
    if np.isfinite(r.power):
        text += (
            f" With this much data, a sustained {_pct(r.power_rate_ratio).replace('fewer', 'fall').replace('more', 'rise')}"
            f" would be detected about {100 * r.power:.0f}% of the time (simulation)."
        )
    if not r.placebo.empty:
        k, m = int(r.placebo["step_found"].sum()), len(r.placebo)
        text += (
            f" At {k} of {m} earlier dates with no change (placebo dates, data cut before {r.date:%B %Y}) the same "
            f"method found a step (about {0.05 * m:.0f} expected by chance)."
        )
    return text
