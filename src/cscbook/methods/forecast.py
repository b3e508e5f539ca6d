"""Forecasts of monthly series (a month-end stock, or monthly counts) with calibrated prediction intervals.

Candidates are statsmodels models: exponential smoothing (``ETSModel``, additive errors:
level only; plus damped trend for a stock, or additive monthly seasonality for counts when
there are 3+ years to fit on) and one SARIMAX: for a stock, ARIMA(1,1,0) with drift
(``SARIMAX(order=(1, 1, 0), trend='c')``: the constant is on the differenced series, so the
level changes by a constant drift a month; ``trend='t'`` there would be a quadratic in the
level); for counts, ARIMA(1,0,0) with a constant and month-of-year Fourier terms.

**Rolling-origin backtest.** From every ``step``-th month from month ``min_train`` on, each
model is refitted on the data before that origin and forecasts 1 to ``horizon`` months
ahead (as far as the data go). Each forecast error is standardised by the model's own
forecast standard deviation (``z = (actual - mean) / sd``, sd read off the model's 95%
interval).

**Calibration (no look-ahead, never narrowing).** At an origin, the interval for horizon
band b (1-3, 4-6, 7-12 months; later months join 7-12) is the model's interval widened by

    factor = max(1, q_level(|z|) / z_level)

where q_level is the ``ceil((m + 1) level)``-th smallest of the m standardised errors in
band b whose actual value was known before the origin (a split-conformal quantile; the
largest when there are too few), and z_level the normal quantile (1.2816 at 80%, 1.9600 at
95%). With fewer than ``MIN_ERRORS`` such errors the model's own interval is used. The
forecast that is published uses every backtest error.

**Scores and choice.** Origins in the first ``burn_in`` months of the backtest only supply
errors; the later ("scored") origins give: MAPE (%, actuals > 0), MAE, the 80% interval
score (Gneiting and Raftery 2007: width + (2 / 0.2) x the distance by which the actual falls
outside; lower is better, and it penalises intervals that are too narrow), and coverage (%
of actuals inside the calibrated 80% and 95% intervals; the model's own, uncalibrated
coverage beside it), pooled and by horizon band. The model used is the candidate with the
lowest mean 80% interval score. Two naive benchmarks are scored the same way and shown
beside (last value; same month last year), with intervals from the spread of their past
changes.

Convergence and estimation warnings are suppressed while fitting and recorded in the
result (``warnings``). Forecast intervals below zero are cut at zero (counts).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cscbook.methods.fit_errors import FIT_ERRORS

Z80, Z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)
COLUMNS = ["mean", "lo80", "hi80", "lo95", "hi95"]
NAIVE = ("Naive (last value)", "Seasonal naive (same month last year)")
BANDS = ("1-3", "4-6", "7-12")
MIN_ERRORS = 6
SD_FLOOR = 1e-6  # a model that claims no uncertainty is standardised against this

Model = Callable[[np.ndarray, int], pd.DataFrame]


def band(h: np.ndarray | int) -> np.ndarray:
    """Horizon band label of months-ahead ``h`` (1-based): '1-3', '4-6', '7-12' (13+ join '7-12')."""
    h = np.asarray(h)
    return np.select([h <= 3, h <= 6], [BANDS[0], BANDS[1]], BANDS[2])


def _frame(mean, sd80, sd95=None) -> pd.DataFrame:
    sd95 = sd80 if sd95 is None else sd95
    mean = np.asarray(mean, dtype=float)
    return pd.DataFrame(
        {"mean": mean, "lo80": mean - Z80 * sd80, "hi80": mean + Z80 * sd80,
         "lo95": mean - Z95 * sd95, "hi95": mean + Z95 * sd95}
    )  # fmt: skip


def naive_last(y: np.ndarray, h: int) -> pd.DataFrame:
    """Last value carried forward; sd of one-step changes x sqrt(steps)."""
    sd = np.std(np.diff(y), ddof=1) if len(y) > 2 else 0.0
    return _frame(np.repeat(y[-1], h), sd * np.sqrt(np.arange(1, h + 1)))


def naive_seasonal(y: np.ndarray, h: int) -> pd.DataFrame:
    """Same month last year; sd of 12-month changes x sqrt(years ahead)."""
    k = np.arange(h)
    mean = y[len(y) - 12 + (k % 12)]
    diffs = y[12:] - y[:-12]
    sd = np.std(diffs, ddof=1) if len(diffs) > 1 else 0.0
    return _frame(mean, sd * np.sqrt(k // 12 + 1))


def _ets(trend: str | None, damped: bool, seasonal: str | None) -> Model:
    def fit(y: np.ndarray, h: int) -> pd.DataFrame:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        series = pd.Series(y.astype(float), index=pd.date_range("2000-01-01", periods=len(y), freq="MS"))
        model = ETSModel(
            series, error="add", trend=trend, damped_trend=damped, seasonal=seasonal,
            seasonal_periods=12 if seasonal else None,
        )  # fmt: skip
        res = model.fit(disp=False, maxiter=200)
        pred = res.get_prediction(start=len(y), end=len(y) + h - 1)  # exact intervals (additive errors)
        f80, f95 = pred.summary_frame(alpha=0.2), pred.summary_frame(alpha=0.05)
        return pd.DataFrame(
            {"mean": f80["mean"].to_numpy(), "lo80": f80["pi_lower"].to_numpy(), "hi80": f80["pi_upper"].to_numpy(),
             "lo95": f95["pi_lower"].to_numpy(), "hi95": f95["pi_upper"].to_numpy()}
        )  # fmt: skip

    return fit


def fourier(t: np.ndarray, k: int = 2) -> np.ndarray:
    """Month-of-year terms sin/cos(2 pi j t / 12), j = 1..k, for month positions t."""
    return np.column_stack([f(2 * np.pi * j * t / 12) for j in range(1, k + 1) for f in (np.sin, np.cos)])


def _sarimax(order, trend, seasonal_terms: int = 0) -> Model:
    def fit(y: np.ndarray, h: int) -> pd.DataFrame:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        n = len(y)
        exog = fourier(np.arange(n), seasonal_terms) if seasonal_terms else None
        future = fourier(np.arange(n, n + h), seasonal_terms) if seasonal_terms else None
        res = SARIMAX(y.astype(float), exog=exog, order=order, trend=trend).fit(disp=False, maxiter=100)
        fc = res.get_forecast(h, exog=future)
        c80, c95 = np.asarray(fc.conf_int(alpha=0.2)), np.asarray(fc.conf_int(alpha=0.05))
        return pd.DataFrame(
            {"mean": np.asarray(fc.predicted_mean), "lo80": c80[:, 0], "hi80": c80[:, 1],
             "lo95": c95[:, 0], "hi95": c95[:, 1]}
        )  # fmt: skip

    return fit


def arima_drift() -> Model:
    """ARIMA(1,1,0) with drift: (1 - phi B)(dy_t - c') = e_t, dy_t = y_t - y_{t-1}; the level moves
    by the drift c' = c / (1 - phi) a month in the long run (statsmodels SARIMAX, ``trend='c'``)."""
    return _sarimax((1, 1, 0), "c")


def candidates(n: int, kind: str) -> dict[str, Model]:
    """The statistical candidates that can be fitted on ``n`` months (the backtest's shortest
    training length); ``kind`` is 'stock' or 'count'."""
    models: dict[str, Model] = {"ETS (level only)": _ets(None, False, None)}
    if kind == "stock" and n >= 24:
        models["ETS (damped trend)"] = _ets("add", True, None)
    if kind == "count" and n >= 36:
        models["ETS (level + monthly seasonality)"] = _ets(None, False, "add")
    if kind == "stock":
        models["ARIMA(1,1,0) with drift"] = arima_drift()
    elif n >= 24:
        models["ARIMA(1,0,0) with month-of-year terms"] = _sarimax((1, 0, 0), "c", seasonal_terms=2)
    else:
        models["ARIMA(1,0,0)"] = _sarimax((1, 0, 0), "c")
    return models


def benchmarks(n: int) -> dict[str, Model]:
    """The naive benchmarks for a training length ``n`` (same month last year from 24 months)."""
    out: dict[str, Model] = {NAIVE[0]: naive_last}
    if n >= 24:
        out[NAIVE[1]] = naive_seasonal
    return out


@dataclass
class ForecastResult:
    """A forecast and the evidence for it.

    forecast: month, mean, lo80, hi80, lo95, hi95 (calibrated; ``horizon`` months after the last
    month); backtest: model, role (candidate/benchmark), mape, mae, interval_score80,
    coverage80, coverage95 (calibrated, %), raw_coverage80, raw_coverage95 (the model's own
    intervals, %), n (forecast-actual pairs scored), origins (scored), failed_fits, chosen;
    coverage: the same coverages by model and horizon band; factors: the chosen model's
    calibration factors by band (band, factor80, factor95, errors); warnings: model -> list
    of recorded warnings.
    """

    series: str
    chosen: str | None
    forecast: pd.DataFrame
    backtest: pd.DataFrame
    warnings: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    factors: pd.DataFrame = field(default_factory=pd.DataFrame)


def _run(model: Model, y: np.ndarray, h: int, log: Counter) -> pd.DataFrame:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = model(y, h)
    for w in caught:
        log[f"{w.category.__name__}: {str(w.message).splitlines()[0][:120]}"] += 1
    return out


def forecast_sd(f: pd.DataFrame) -> np.ndarray:
    """The forecast standard deviation implied by a normal 95% interval: (hi95 - lo95) / (2 x 1.96)."""
    return np.maximum((f["hi95"].to_numpy() - f["lo95"].to_numpy()) / (2 * Z95), SD_FLOOR)


def backtest_records(y: np.ndarray, models: dict[str, Model], horizon: int = 12, step: int = 1,
                     min_train: int = 24) -> pd.DataFrame:  # fmt: skip
    """Every backtest forecast: model, origin (index of the first month forecast), h (1-based),
    target (index of the month forecast = origin + h - 1), actual, mean, sd, lo80, hi80, lo95,
    hi95 (the model's own intervals). Origins: ``min_train``, ``min_train + step``, ... < len(y).

    ``attrs``: 'warnings' (model -> Counter), 'failed' (model -> fits that raised).
    """
    n = len(y)
    origins = list(range(min_train, n, step))
    parts, logs, failed = [], {}, {}
    for name, model in models.items():  # a few models x a few dozen origins
        log: Counter = Counter()
        failed[name] = 0
        for o in origins:
            k = min(horizon, n - o)
            try:
                f = _run(model, y[:o], k, log)
            except FIT_ERRORS:  # a fit that fails at one origin is counted, not fatal
                failed[name] += 1
                continue
            parts.append(f[COLUMNS].assign(model=name, origin=o, h=np.arange(1, k + 1), target=o + np.arange(k),
                                           actual=y[o : o + k], sd=forecast_sd(f)))  # fmt: skip
        logs[name] = log
    cols = ["model", "origin", "h", "target", "actual", "mean", "sd", *COLUMNS[1:]]
    out = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    out.attrs.update(warnings=logs, failed=failed)
    return out


def conformal_factor(abs_z: np.ndarray, level: float, min_errors: int = MIN_ERRORS) -> float:
    """Interval widening factor from past |standardised errors|: max(1, q / z_level), with q the
    ``ceil((m + 1) level)``-th smallest of the m errors (the largest if that is beyond m);
    1 when m < ``min_errors``."""
    m = len(abs_z)
    if m < min_errors:
        return 1.0
    k = min(int(np.ceil((m + 1) * level)), m)
    q = float(np.sort(abs_z)[k - 1])
    return max(1.0, q / stats.norm.ppf(0.5 + level / 2))


def factors_at(
    rec: pd.DataFrame, origin: int, min_errors: int = MIN_ERRORS
) -> dict[str, tuple[float, float, int]]:
    """Calibration factors (80%, 95%, errors used) by band at ``origin``, from the errors of the
    records ``rec`` (one model) whose month was known before it (target < origin)."""
    known = rec.loc[rec["target"] < origin]
    z = (np.abs(known["actual"] - known["mean"]) / known["sd"]).to_numpy()
    b = band(known["h"].to_numpy())
    return {
        lab: (
            conformal_factor(z[b == lab], 0.8, min_errors),
            conformal_factor(z[b == lab], 0.95, min_errors),
            int((b == lab).sum()),
        )  # fmt: skip
        for lab in BANDS
    }


def calibrate(rec: pd.DataFrame, min_errors: int = MIN_ERRORS) -> pd.DataFrame:
    """``rec`` (one model's backtest records) with calibrated intervals c_lo80, c_hi80, c_lo95, c_hi95:
    at each origin, each band's interval widened by its factor from earlier errors only."""
    out = rec.copy()
    f80 = np.ones(len(out))
    f95 = np.ones(len(out))
    b = band(out["h"].to_numpy())
    for o in out["origin"].unique():  # a few dozen origins
        fac = factors_at(rec, o, min_errors)
        at = (out["origin"] == o).to_numpy()
        for lab, (a, c, _) in fac.items():
            sel = at & (b == lab)
            f80[sel], f95[sel] = a, c
    m, sd = out["mean"].to_numpy(), out["sd"].to_numpy()
    half80 = np.maximum(Z80 * sd * f80, (out["hi80"] - out["lo80"]).to_numpy() / 2)
    half95 = np.maximum(Z95 * sd * f95, (out["hi95"] - out["lo95"]).to_numpy() / 2)
    return out.assign(c_lo80=m - half80, c_hi80=m + half80, c_lo95=m - half95, c_hi95=m + half95)


def interval_score(actual, lo, hi, alpha: float) -> np.ndarray:
    """Interval score of a central (1 - alpha) interval: (hi - lo) + (2 / alpha)(lo - y) if y < lo
    + (2 / alpha)(y - hi) if y > hi (Gneiting and Raftery 2007). Same units as y; lower is better."""
    y, lo, hi = (np.asarray(a, dtype=float) for a in (actual, lo, hi))
    return (hi - lo) + (2 / alpha) * np.clip(lo - y, 0, None) + (2 / alpha) * np.clip(y - hi, 0, None)


def _scores(r: pd.DataFrame) -> dict:
    """Scores of calibrated backtest records ``r``."""
    y, m = r["actual"].to_numpy(), r["mean"].to_numpy()
    pos = y > 0

    def inside(lo, hi):
        return 100 * float(np.mean((y >= r[lo].to_numpy()) & (y <= r[hi].to_numpy())))

    return {
        "mape": 100 * float(np.mean(np.abs(y - m)[pos] / y[pos])) if pos.any() else np.nan,
        "mae": float(np.mean(np.abs(y - m))),
        "interval_score80": float(np.mean(interval_score(y, r["c_lo80"], r["c_hi80"], 0.2))),
        "coverage80": inside("c_lo80", "c_hi80"),
        "coverage95": inside("c_lo95", "c_hi95"),
        "raw_coverage80": inside("lo80", "hi80"),
        "raw_coverage95": inside("lo95", "hi95"),
        "n": len(r),
        "origins": int(r["origin"].nunique()),
    }


def score(
    records: pd.DataFrame, burn_in: int = 12, min_errors: int = MIN_ERRORS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest summary per model and per model x horizon band, on origins at least ``burn_in``
    months after the first (earlier origins supply calibration errors only).

    Returns (summary: model, mape, mae, interval_score80, coverage80, coverage95,
    raw_coverage80, raw_coverage95, n, origins; by_band: the same by model and band).
    """
    rows, band_rows = [], []
    if records.empty:
        return pd.DataFrame(columns=["model", "n"]), pd.DataFrame(columns=["model", "band", "n"])
    first = records["origin"].min()
    for name, rec in records.groupby("model", sort=False):
        cal = calibrate(rec, min_errors)
        cal = cal.loc[cal["origin"] >= first + burn_in]
        if cal.empty:
            rows.append({"model": name, "n": 0, "origins": 0})
            continue
        rows.append({"model": name, **_scores(cal)})
        for lab, part in cal.groupby(band(cal["h"].to_numpy()), sort=True):
            band_rows.append({"model": name, "band": lab, **_scores(part)})
    return pd.DataFrame(rows), pd.DataFrame(band_rows)


def backtest(y: np.ndarray, models: dict[str, Model], horizon: int = 12, step: int = 1, min_train: int = 24,
             burn_in: int = 12) -> pd.DataFrame:  # fmt: skip
    """Rolling-origin backtest summary (see :func:`score`), with ``failed_fits`` per model;
    ``attrs['records']`` holds every forecast, ``attrs['by_band']`` the scores by band."""
    rec = backtest_records(y, models, horizon, step, min_train)
    summary, by_band = score(rec, burn_in)
    cols = ["model", "mape", "mae", "interval_score80", "coverage80", "coverage95", "raw_coverage80",
            "raw_coverage95", "n", "origins"]  # fmt: skip
    summary = pd.DataFrame({"model": list(models)}).merge(
        summary.reindex(columns=cols), on="model", how="left"
    )
    summary[["n", "origins"]] = summary[["n", "origins"]].fillna(0).astype(int)
    summary["failed_fits"] = summary["model"].map(rec.attrs["failed"]).astype(int)
    summary.attrs.update(warnings=rec.attrs["warnings"], records=rec, by_band=by_band)
    return summary


def forecast_series(
    monthly: pd.DataFrame,
    value: str,
    kind: str,
    horizon: int = 12,
    step: int = 1,
    min_train: int = 24,
    burn_in: int = 12,
) -> ForecastResult:
    """Forecast ``monthly[value]`` (monthly rows, column ``month`` = first day) ``horizon`` months ahead.

    kind: 'stock' (month-end number) or 'count' (monthly count). Needs at least
    ``min_train + burn_in`` months (36 by default: 24 to fit, 12 to test); with less, no forecast
    is made and ``message`` says why.
    """
    y = monthly[value].to_numpy(dtype=float)
    months = pd.DatetimeIndex(monthly["month"])
    n = len(y)
    empty = pd.DataFrame(columns=["month", *COLUMNS])
    if n < min_train + burn_in:
        return ForecastResult(value, None, empty, pd.DataFrame(), {},
                              f"Only {n} months of data: at least {min_train + burn_in} are needed to fit and "
                              "test a forecast.")  # fmt: skip
    cands, bench = candidates(min_train, kind), benchmarks(min_train)
    bt = backtest(y, {**cands, **bench}, horizon, step, min_train, burn_in)
    bt.insert(1, "role", np.where(bt["model"].isin(list(bench)), "benchmark", "candidate"))
    recorded = {
        m: [f"{k} (x{v})" for k, v in sorted(c.items())] for m, c in bt.attrs["warnings"].items() if c
    }
    by_band = bt.attrs["by_band"]
    scored = bt.loc[(bt["role"] == "candidate") & bt["n"].gt(0)]
    if scored.empty:
        return ForecastResult(value, None, empty, bt, recorded, "No candidate model could be fitted.",
                              by_band)  # fmt: skip
    chosen = str(scored.sort_values(["interval_score80", "model"], kind="mergesort").iloc[0]["model"])
    bt["chosen"] = bt["model"] == chosen
    log: Counter = Counter()
    f = _run(cands[chosen], y, horizon, log)
    if log:
        recorded.setdefault(chosen, []).extend(f"final fit: {k} (x{v})" for k, v in sorted(log.items()))
    rec = bt.attrs["records"]
    fac = factors_at(rec.loc[rec["model"] == chosen], n)
    f = widen(f, [fac[b][:2] for b in band(np.arange(1, horizon + 1))])
    f[COLUMNS] = f[COLUMNS].clip(lower=0)
    f.insert(0, "month", pd.date_range(months[-1] + pd.offsets.MonthBegin(1), periods=horizon, freq="MS"))
    factors = pd.DataFrame(
        [(b, *v) for b, v in fac.items()], columns=["band", "factor80", "factor95", "errors"]
    )
    return ForecastResult(value, chosen, f, bt, recorded, coverage=by_band, factors=factors)


def widen(f: pd.DataFrame, factors: list[tuple[float, float]]) -> pd.DataFrame:
    """Forecast ``f`` with each row's 80% and 95% half-widths (from its 95% interval's sd) multiplied
    by that row's (factor80, factor95); an interval is never narrowed."""
    sd = forecast_sd(f)
    f80, f95 = (np.array([x[i] for x in factors]) for i in (0, 1))
    m = f["mean"].to_numpy()
    h80 = np.maximum(Z80 * sd * f80, (f["hi80"] - f["lo80"]).to_numpy() / 2)
    h95 = np.maximum(Z95 * sd * f95, (f["hi95"] - f["lo95"]).to_numpy() / 2)
    return f.assign(lo80=m - h80, hi80=m + h80, lo95=m - h95, hi95=m + h95)


NOMINAL = {"coverage80": (70.0, 90.0), "coverage95": (88.0, 99.0)}


def coverage_shortfall(result: ForecastResult) -> list[str]:
    """Plain words for each coverage (pooled or by horizon band) of the chosen model outside
    70-90% (80% interval) or 88-99% (95% interval) in the backtest; empty when all are inside."""
    if result.chosen is None:
        return []
    out = []
    cov = (
        result.coverage.loc[result.coverage["model"] == result.chosen] if not result.coverage.empty else None
    )
    row = result.backtest.set_index("model").loc[result.chosen]
    checks = [("all horizons", row)] + (
        [] if cov is None else [(f"{r.band} months ahead", r) for _, r in cov.iterrows()]
    )
    for where, r in checks:
        for col, (lo, hi) in NOMINAL.items():
            level = col[-2:]
            if r[col] < lo:
                out.append(
                    f"its {level}% range held the actual value only {r[col]:.0f}% of the time ({where})"
                )
            elif r[col] > hi:
                out.append(f"its {level}% range held the actual value {r[col]:.0f}% of the time ({where}), "
                           "so it is wider than it needs to be")  # fmt: skip
    return out


def describe(result: ForecastResult, what: str, unit: str = "") -> str:
    """Sentences for a director: the expected range at the horizon, how the ranges did in testing
    (pooled and by horizon band) and, plainly, any shortfall."""
    if result.chosen is None:
        return result.message
    last = result.forecast.iloc[-1]
    row = result.backtest.set_index("model").loc[result.chosen]
    naive = result.backtest.loc[result.backtest["role"] == "benchmark"].set_index("model")
    beat = bool((naive["interval_score80"] > row["interval_score80"]).all()) if not naive.empty else True
    cov = result.coverage.loc[result.coverage["model"] == result.chosen].set_index("band")
    bands = ", ".join(f"{cov.loc[b, 'coverage80']:.0f}% at {b} months ahead" for b in BANDS if b in cov.index)
    text = (
        f"By {last['month']:%B %Y} we expect {what} to be about {last['mean']:,.0f}{unit}, most likely between "
        f"{last['lo80']:,.0f} and {last['hi80']:,.0f} (80% range), and between "
        f"{last['lo95']:,.0f} and {last['hi95']:,.0f} (95% range). In a test on {int(row['origins'])} past "
        f"forecasts this method was off by {row['mape']:.0f}% on average; its 80% range held the actual value "
        f"{row['coverage80']:.0f}% of the time ({bands}) and its 95% range {row['coverage95']:.0f}%."
    )
    short = coverage_shortfall(result)
    if short:
        text += (" **The ranges did not perform as stated in testing**: " + "; ".join(short)
                 + ". Read the ranges as a rough guide.")  # fmt: skip
    if not beat:
        text += " It did not beat simply repeating recent values, so treat it as a rough guide."
    return text
