"""Forecasts of monthly series (number in care, starts) with prediction intervals.

Candidates are three statsmodels models: exponential smoothing (``ETSModel``: level only;
plus damped trend for the number in care, or additive monthly seasonality for monthly
starts when there are 3+ years to fit on) and one
SARIMAX (ARIMA(1,1,0) with drift for the number in care; ARIMA(1,0,0) with Fourier
month-of-year terms for monthly starts). The model used is the one with the lowest MAPE in a rolling-origin backtest:
from each origin in the last ``window`` months the model is refitted on the data up to
the origin and forecasts 1 to ``horizon`` steps ahead (as far as the data go); the errors
and the share of actual values inside the 80% and 95% intervals (coverage) are pooled over
all origins and steps. Two naive benchmarks are scored the same way and shown beside
(last value; same month last year), with intervals from the spread of their past errors.

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

Z80, Z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)
COLUMNS = ["mean", "lo80", "hi80", "lo95", "hi95"]
NAIVE = ("Naive (last value)", "Seasonal naive (same month last year)")

Model = Callable[[np.ndarray, int], pd.DataFrame]


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


def candidates(n: int, kind: str) -> dict[str, Model]:
    """The statistical candidates for a series of length ``n``; ``kind`` is 'stock' or 'count'."""
    models: dict[str, Model] = {"ETS (level only)": _ets(None, False, None)}
    if kind == "stock" and n >= 24:
        models["ETS (damped trend)"] = _ets("add", True, None)
    if kind == "count" and n >= 36:
        models["ETS (level + monthly seasonality)"] = _ets(None, False, "add")
    if kind == "stock":
        models["ARIMA(1,1,0) with drift"] = _sarimax((1, 1, 0), "t")
    elif n >= 24:
        models["ARIMA(1,0,0) with month-of-year terms"] = _sarimax((1, 0, 0), "c", seasonal_terms=2)
    else:
        models["ARIMA(1,0,0)"] = _sarimax((1, 0, 0), "c")
    return models


def benchmarks(n: int) -> dict[str, Model]:
    out: dict[str, Model] = {NAIVE[0]: naive_last}
    if n >= 25:
        out[NAIVE[1]] = naive_seasonal
    return out


@dataclass
class ForecastResult:
    """A forecast and the evidence for it.

    forecast: month, mean, lo80, hi80, lo95, hi95 (``horizon`` months after the last month);
    backtest: model, role (candidate/benchmark), mape, mae, coverage80, coverage95, n
    (forecast-actual pairs), chosen (bool); warnings: model -> list of recorded warnings.
    """

    series: str
    chosen: str | None
    forecast: pd.DataFrame
    backtest: pd.DataFrame
    warnings: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""


def _run(model: Model, y: np.ndarray, h: int, log: Counter) -> pd.DataFrame:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = model(y, h)
    for w in caught:
        log[f"{w.category.__name__}: {str(w.message).splitlines()[0][:120]}"] += 1
    return out


def backtest(y: np.ndarray, models: dict[str, Model], horizon: int = 12, window: int = 24, step: int = 3,
             min_train: int = 24) -> pd.DataFrame:  # fmt: skip
    """Rolling-origin errors: for each model, mape (%, actuals > 0), mae, coverage80/95 (%), n.

    Origins are every ``step`` months over the last ``window`` months (each with at
    least ``min_train`` months to fit on); each forecasts up to ``horizon`` steps.
    """
    n = len(y)
    origins = [o for o in range(n - window, n, step) if o >= min_train]
    rows, logs = [], {}
    for name, model in models.items():  # a few models x a dozen origins
        errs, inside80, inside95, ape = [], [], [], []
        log: Counter = Counter()
        failed = 0
        for o in origins:
            k = min(horizon, n - o)
            try:
                f = _run(model, y[:o], k, log)
            except Exception:  # a fit that fails at one origin is counted, not fatal
                failed += 1
                continue
            actual = y[o : o + k]
            errs.append(actual - f["mean"].to_numpy())
            inside80.append((actual >= f["lo80"].to_numpy()) & (actual <= f["hi80"].to_numpy()))
            inside95.append((actual >= f["lo95"].to_numpy()) & (actual <= f["hi95"].to_numpy()))
            pos = actual > 0
            ape.append(np.abs(errs[-1][pos]) / actual[pos])
        logs[name] = log
        if not errs:
            rows.append({"model": name, "mape": np.nan, "mae": np.nan, "coverage80": np.nan,
                         "coverage95": np.nan, "n": 0, "failed_fits": failed})  # fmt: skip
            continue
        e = np.concatenate(errs)
        a = np.concatenate(ape)
        rows.append(
            {
                "model": name,
                "mape": 100 * float(np.mean(a)) if a.size else np.nan,
                "mae": float(np.mean(np.abs(e))),
                "coverage80": 100 * float(np.mean(np.concatenate(inside80))),
                "coverage95": 100 * float(np.mean(np.concatenate(inside95))),
                "n": int(e.size),
                "failed_fits": failed,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["warnings"] = logs
    out.attrs["origins"] = len(origins)
    return out


def forecast_series(
    monthly: pd.DataFrame, value: str, kind: str, horizon: int = 12, window: int = 24, step: int = 3
) -> ForecastResult:
    """Forecast ``monthly[value]`` (monthly rows, column ``month`` = first day) ``horizon`` months ahead.

    kind: 'stock' (month-end number in care) or 'count' (monthly starts). Needs at least 36
    months (24 to fit plus a backtest); with less, no forecast is made and ``message`` says why.
    """
    y = monthly[value].to_numpy(dtype=float)
    months = pd.DatetimeIndex(monthly["month"])
    n = len(y)
    if n < 36:
        return ForecastResult(value, None, pd.DataFrame(columns=["month", *COLUMNS]), pd.DataFrame(), {},
                              f"Only {n} months of data: at least 36 are needed to fit and test a forecast.")  # fmt: skip
    cands = candidates(n - min(window, n - 24), kind)
    bench = benchmarks(n - min(window, n - 24))
    bt = backtest(y, {**cands, **bench}, horizon, window, step)
    bt.insert(1, "role", np.where(bt["model"].isin(list(bench)), "benchmark", "candidate"))
    scored = bt.loc[(bt["role"] == "candidate") & bt["n"].gt(0)]
    key = "mape" if scored["mape"].notna().all() else "mae"
    recorded = {m: [f"{k} (x{v})" for k, v in sorted(c.items())] for m, c in bt.attrs["warnings"].items() if c}
    if scored.empty:
        return ForecastResult(value, None, pd.DataFrame(columns=["month", *COLUMNS]), bt, recorded,
                              "No candidate model could be fitted.")  # fmt: skip
    chosen = str(scored.sort_values([key, "model"], kind="mergesort").iloc[0]["model"])
    bt["chosen"] = bt["model"] == chosen
    log: Counter = Counter()
    f = _run(cands[chosen], y, horizon, log)
    if log:
        recorded.setdefault(chosen, []).extend(f"final fit: {k} (x{v})" for k, v in sorted(log.items()))
    f[COLUMNS] = f[COLUMNS].clip(lower=0)
    f.insert(0, "month", pd.date_range(months[-1] + pd.offsets.MonthBegin(1), periods=horizon, freq="MS"))
    return ForecastResult(value, chosen, f, bt, recorded)


def describe(result: ForecastResult, what: str, unit: str = "") -> str:
    """One or two sentences for a director: the expected range at the horizon and how sure."""
    if result.chosen is None:
        return result.message
    last = result.forecast.iloc[-1]
    row = result.backtest.set_index("model").loc[result.chosen]
    naive = result.backtest.loc[result.backtest["role"] == "benchmark"].set_index("model")
    beat = bool((naive["mape"] > row["mape"]).all()) if not naive.empty else True
    text = (
        f"By {last['month']:%B %Y} we expect {what} to be about {last['mean']:,.0f}{unit}, most likely between "
        f"{last['lo80']:,.0f} and {last['hi80']:,.0f} (80% interval), and between "
        f"{last['lo95']:,.0f} and {last['hi95']:,.0f} at 95%. In a test on the last two years this method "
        f"was off by {row['mape']:.0f}% on average; its 80% range held the actual value "
        f"{row['coverage80']:.0f}% of the time and its 95% range {row['coverage95']:.0f}%."
    )
    if not beat:
        text += " It did not beat simply repeating recent values, so treat it as a rough guide."
    return text
