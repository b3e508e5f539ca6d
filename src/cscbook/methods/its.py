"""Did the intervention work? Interrupted time series (segmented) regression of monthly counts.

Model (statsmodels GLM, Poisson family, log link) for month t = 0, 1, ...:

    log E[count_t] = log(population) + b0 + b1 t + seasonal(t) + b2 post_t + b3 (t - t0) post_t

- ``post_t`` is 1 from the first month that starts on or after the intervention date (t0);
  a mid-month date counts from the next month;
- ``seasonal(t)``: month-of-year Fourier terms sin/cos(2 pi k t / 12), k = 1, 2;
- offset log(population aged 0-17) (constant unless a monthly population is given);
- other intervention dates may be adjusted for with their own level and slope terms.

``exp(b2)`` is the level change as a rate ratio (0.8 = 20% fewer a month straight after
the date than the pre-trend predicts), ``exp(b3)`` the change in the monthly trend.
When the Poisson fit is overdispersed (Pearson chi2 / df > 1.5) the model is refitted as
quasi-Poisson (``scale='X2'``): same estimates, standard errors inflated by the
dispersion. The counterfactual is the fitted model with the intervention terms set to 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

OVERDISPERSION = 1.5
MIN_PRE, MIN_POST = 12, 6


def first_post_month(months: pd.DatetimeIndex, date: pd.Timestamp) -> int:
    """Index of the first month starting on or after ``date`` (len(months) if none)."""
    return int(np.searchsorted(months.to_numpy(), np.datetime64(pd.Timestamp(date)), side="left"))


def design(months: pd.DatetimeIndex, date: pd.Timestamp, adjust_for: tuple[pd.Timestamp, ...] = ()) -> pd.DataFrame:
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


@dataclass
class ITSResult:
    """An interrupted time series fit. ``table()`` gives the one-row summary saved to CSV."""

    name: str
    date: pd.Timestamp
    fitted: bool
    message: str = ""
    method: str = ""
    dispersion: float = np.nan
    rate_ratio: float = np.nan
    ci_low: float = np.nan
    ci_high: float = np.nan
    p_value: float = np.nan
    slope_ratio: float = np.nan
    slope_ci_low: float = np.nan
    slope_ci_high: float = np.nan
    slope_p_value: float = np.nan
    months_before: int = 0
    months_after: int = 0
    series: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self) -> pd.DataFrame:
        cols = ["method", "dispersion", "rate_ratio", "ci_low", "ci_high", "p_value", "slope_ratio",
                "slope_ci_low", "slope_ci_high", "slope_p_value", "months_before", "months_after"]  # fmt: skip
        row = {"intervention": self.name, "date": self.date, "fitted": self.fitted} | {
            c: getattr(self, c) for c in cols
        }
        row["message"] = self.message
        return pd.DataFrame([row])

    @property
    def step_found(self) -> bool:
        """True when the 95% interval of the level change excludes 1."""
        return bool(self.fitted and (self.ci_high < 1 or self.ci_low > 1))


def fit_its(
    monthly: pd.DataFrame,
    count: str,
    date: pd.Timestamp,
    population: float | pd.Series,
    name: str = "intervention",
    adjust_for: tuple[pd.Timestamp, ...] = (),
) -> ITSResult:
    """Segmented Poisson (or quasi-Poisson) regression of ``monthly[count]`` around ``date``.

    ``monthly`` has a ``month`` column (first day of month). Needs 12 months before and
    6 after; otherwise returns ``fitted=False`` with the reason. ``series`` in the result has
    month, observed, fitted, counterfactual (expected counts without the intervention terms).
    """
    import statsmodels.api as sm

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
    adjust = tuple(d for d in adjust_for if MIN_PRE <= first_post_month(months, d) < len(months) and d != date)
    x = design(months, date, adjust)
    pop = population.to_numpy(dtype=float) if isinstance(population, pd.Series) else np.full(len(y), float(population))
    offset = np.log(pop)
    model = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
    try:
        res = model.fit()
    except Exception as exc:  # a degenerate series (e.g. all zeros) is reported, not fatal
        base.message = f"The model could not be fitted ({type(exc).__name__})."
        return base
    dispersion = float(res.pearson_chi2 / res.df_resid)
    method = "Poisson"
    if dispersion > OVERDISPERSION:
        res = model.fit(scale="X2")
        method = "quasi-Poisson (Pearson X2 scale)"
    ci = res.conf_int(alpha=0.05)
    no_int = x.copy()
    no_int[["level", "slope"]] = 0.0
    series = pd.DataFrame(
        {
            "month": months,
            "observed": y,
            "fitted": np.asarray(res.predict(x, offset=offset)),
            "counterfactual": np.asarray(res.predict(no_int, offset=offset)),
        }
    )
    series.loc[np.arange(len(series)) < t0, "counterfactual"] = np.nan
    return ITSResult(
        name=name,
        date=date,
        fitted=True,
        method=method,
        dispersion=dispersion,
        rate_ratio=float(np.exp(res.params["level"])),
        ci_low=float(np.exp(ci.loc["level", 0])),
        ci_high=float(np.exp(ci.loc["level", 1])),
        p_value=float(res.pvalues["level"]),
        slope_ratio=float(np.exp(res.params["slope"])),
        slope_ci_low=float(np.exp(ci.loc["slope", 0])),
        slope_ci_high=float(np.exp(ci.loc["slope", 1])),
        slope_p_value=float(res.pvalues["slope"]),
        months_before=n_pre,
        months_after=n_post,
        series=series,
    )


def describe(r: ITSResult, what: str = "children starting care") -> str:
    """The finding in words for a director."""
    if not r.fitted:
        return r.message
    change = (r.rate_ratio - 1) * 100
    direction = "fewer" if change < 0 else "more"
    sure = (
        "This change is unlikely to be chance (the 95% interval excludes no change)."
        if r.step_found
        else "The interval includes no change, so the data cannot show that the service changed the number."
    )
    return (
        f"After {r.name.replace('_', ' ')} began ({r.date:%B %Y}), there were about {abs(change):.0f}% "
        f"{direction} {what} each month than the earlier trend and seasonal pattern predicted "
        f"(rate ratio {r.rate_ratio:.2f}, 95% interval {r.ci_low:.2f} to {r.ci_high:.2f}). {sure}"
    )
