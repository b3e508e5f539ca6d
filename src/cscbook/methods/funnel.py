"""Funnel plots for comparing units of different sizes (Spiegelhalter 2005, Stat Med 24:1185-1202).

Each unit i has a count ``y_i`` out of a denominator ``n_i``: for a proportion, events among
``n_i`` cases (value y/n); for a rate, events per ``n_i`` units of exposure (e.g. children
aged 0-17; value y/n, times ``per`` when shown). The target is the pooled value of all units,
theta0 = sum(y) / sum(n), and the funnel gives, for any denominator n, the range a unit whose
true value is theta0 would fall in with probability 95% or 99.8% (two-sided).

Without overdispersion the limits are exact: binomial (proportions) or Poisson (rates)
quantiles of theta0 at size n, interpolated between whole counts as in the paper's appendix
but with each count's probability spread over +/- 1/2 around it (a continuity correction: the
appendix's formula, spread over [r - 1, r], shifts both limits down by half a count, so a count
with a 5% upper tail would be called outside the 95% limit), so that they are smooth in n,
symmetric where the distribution is, and honest for small n. A unit is *outside* when its value is
strictly beyond the limit at its own denominator.

Overdispersion: the z-scores z_i = (y_i/n_i - theta0) / s_i, with s_i^2 = theta0(1 - theta0)/n_i
(proportions) or theta0/n_i (rates), are winsorised at their 10th and 90th percentiles (so an
outlier does not widen every limit), and phi = mean(z_w^2). Under the binomial/Poisson model
I * phi ~ chi-square(I - 1), I units; when that test rejects at ``DISPERSION_ALPHA`` (5%, as the
control charts) the units are overdispersed and the limits allow for it:

- "additive" (default; DerSimonian-Laird random effects): tau^2 = (I phi - (I - 1)) /
  (sum w - sum w^2 / sum w), w_i = 1/s_i^2; limits theta0 +/- z sqrt(s^2 + tau^2);
- "multiplicative": limits theta0 +/- z sqrt(phi) s.

Normal limits for proportions are clipped to [0, 1] and for rates at 0. ``FunnelResult.method``
states in words which limits were used and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

DISPERSION_ALPHA = 0.05
WINSOR = 0.10  # z-scores winsorised at the 10th and 90th percentiles
LEVELS = {"95": 0.95, "99.8": 0.998}
KINDS = ("proportion", "rate")


@dataclass(frozen=True)
class FunnelResult:
    """Funnel limits for one measure over a set of units (see the module docstring).

    ``units``: one row per unit with name, numerator, denominator, value, z (binomial/Poisson
    z-score), lo95/hi95/lo998/hi998 (limits at the unit's own denominator) and ``position``
    ("above", "below" or "within" the 99.8% limits; "above95"/"below95" when only outside 95%).
    """

    kind: str
    target: float
    phi: float
    dispersion_p: float
    overdispersed: bool
    adjustment: str  # "none", "additive" or "multiplicative"
    tau2: float
    units: pd.DataFrame

    @property
    def method(self) -> str:
        """The limits in words, with the dispersion test."""
        base = "binomial" if self.kind == "proportion" else "Poisson"
        test = f"dispersion ratio {self.phi:.2f}, p = {self.dispersion_p:.3f}"
        if self.adjustment == "none":
            return f"Exact {base} limits around the pooled value (no overdispersion found: {test})."
        how = (
            f"random-effects (additive, DerSimonian-Laird, between-unit SD {np.sqrt(self.tau2):.3g})"
            if self.adjustment == "additive"
            else f"multiplicative (limits widened by sqrt({self.phi:.2f}))"
        )
        return f"Limits widened for overdispersion, {how}: the units differ more than chance alone ({test})."

    def outside(self, level: str = "99.8") -> pd.DataFrame:
        """Units outside the limits at ``level`` ("95" or "99.8"), above then below, by value."""
        lo, hi = self.units[f"lo{level.replace('.', '')}"], self.units[f"hi{level.replace('.', '')}"]
        v = self.units["value"]
        out = self.units[(v > hi) | (v < lo)]
        return out.sort_values("value", ascending=False)

    def limits(self, denominators: np.ndarray | pd.Series) -> pd.DataFrame:
        """The funnel's limits at each denominator (for drawing): n, lo95, hi95, lo998, hi998."""
        n = np.asarray(denominators, dtype=float)
        out = {"n": n}
        for name, level in LEVELS.items():
            lo, hi = _limits(self.kind, self.target, n, level, self.adjustment, self.phi, self.tau2)
            out[f"lo{name.replace('.', '')}"], out[f"hi{name.replace('.', '')}"] = lo, hi
        return pd.DataFrame(out)


def _se(kind: str, target: float, n: np.ndarray) -> np.ndarray:
    var = target * (1 - target) if kind == "proportion" else target
    with np.errstate(divide="ignore"):
        return np.sqrt(var / n)


def _exact(kind: str, target: float, n: np.ndarray, p: float) -> np.ndarray:
    """The p-quantile of y/n, y ~ Binomial(n, target) or Poisson(n target), interpolated between
    whole counts (Spiegelhalter 2005, appendix, with the continuity correction of the module
    docstring): (r_p + 1/2 - alpha) / n with r_p the smallest count whose cdf is at least p and
    alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1))."""
    dist = (
        stats.binom(np.round(n).astype(np.int64), target)
        if kind == "proportion"
        else stats.poisson(n * target)
    )
    r = dist.ppf(p)
    f_r, f_below = dist.cdf(r), dist.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(f_r > f_below, (f_r - p) / (f_r - f_below), 0.0)
    return (r + 0.5 - alpha) / n


def _limits(kind, target, n, level, adjustment, phi, tau2) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - level) / 2
    if adjustment == "none":
        lo, hi = _exact(kind, target, n, tail), _exact(kind, target, n, 1 - tail)
    else:
        s = _se(kind, target, n)
        half = stats.norm.ppf(1 - tail) * (
            np.sqrt(s**2 + tau2) if adjustment == "additive" else np.sqrt(phi) * s
        )
        lo, hi = target - half, target + half
    lo = np.maximum(lo, 0.0)
    hi = np.minimum(hi, 1.0) if kind == "proportion" else hi
    return lo, hi


def dispersion(z: np.ndarray, winsor: float = WINSOR) -> tuple[float, float]:
    """phi (mean squared winsorised z-score) and the p-value of I phi against chi-square(I - 1)."""
    z = np.asarray(z, dtype=float)
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    zw = np.clip(z, lo, hi)
    phi = float(np.mean(zw**2))
    i = len(z)
    return phi, float(stats.chi2.sf(i * phi, i - 1))


def funnel(
    names,
    numerators,
    denominators,
    kind: str = "proportion",
    adjustment: str = "additive",
    alpha: float = DISPERSION_ALPHA,
) -> FunnelResult:
    """Funnel limits and positions for units (module docstring). ``adjustment``: "additive" or
    "multiplicative", used only when overdispersion is found; units with a zero or missing
    denominator take no part. Needs at least 3 units."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if adjustment not in ("additive", "multiplicative"):
        raise ValueError(f"adjustment must be 'additive' or 'multiplicative', not {adjustment!r}")
    df = pd.DataFrame({"name": list(names), "numerator": np.asarray(numerators, dtype=float),
                       "denominator": np.asarray(denominators, dtype=float)})  # fmt: skip
    df = df[df["denominator"] > 0].reset_index(drop=True)
    if len(df) < 3:
        raise ValueError("a funnel plot needs at least 3 units with a denominator")
    y, n = df["numerator"].to_numpy(), df["denominator"].to_numpy()
    target = float(y.sum() / n.sum())
    df["value"] = y / n
    s = _se(kind, target, n)
    with np.errstate(divide="ignore", invalid="ignore"):  # a pooled value of 0 (or 1): no spread, z = 0
        df["z"] = np.where(s > 0, (df["value"] - target) / s, 0.0)
    phi, p = dispersion(df["z"].to_numpy())
    over = bool(p < alpha and phi > 1)
    tau2 = 0.0
    if over and adjustment == "additive":
        w = 1 / s**2
        tau2 = max(0.0, (len(df) * phi - (len(df) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    used = adjustment if over else "none"
    for name, level in LEVELS.items():
        lo, hi = _limits(kind, target, n, level, used, phi, tau2)
        df[f"lo{name.replace('.', '')}"], df[f"hi{name.replace('.', '')}"] = lo, hi
    v = df["value"]
    df["position"] = np.select(
        [v > df["hi998"], v < df["lo998"], v > df["hi95"], v < df["lo95"]],
        ["above", "below", "above95", "below95"], "within",
    )  # fmt: skip
    return FunnelResult(kind, target, phi, p, over, used, tau2, df)


def rank_intervals(
    names,
    numerators,
    denominators,
    kind: str = "proportion",
    higher_is_better: bool = True,
    draws: int = 2000,
    seed: int = 1,
    level: float = 0.95,
) -> pd.DataFrame:
    """Each unit's rank (1 = best) with its uncertainty by simulation.

    Values are drawn from each unit's Jeffreys posterior (Beta(y + 1/2, n - y + 1/2) for a
    proportion, Gamma(y + 1/2) / n for a rate), ranked in every draw; the interval is the
    central ``level`` range of the simulated ranks. Returns name, rank (of the observed
    values, ties by average), rank_low, rank_high. Deterministic in ``seed``.
    """
    y, n = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    rng = np.random.default_rng(seed)
    shape = (draws, len(y))
    if kind == "proportion":
        sims = rng.beta(y + 0.5, n - y + 0.5, size=shape)
    else:
        sims = rng.gamma(y + 0.5, size=shape) / n
    sign = -1.0 if higher_is_better else 1.0
    ranks = stats.rankdata(sign * sims, axis=1)
    tail = (1 - level) / 2
    lo, hi = np.quantile(ranks, [tail, 1 - tail], axis=0, method="inverted_cdf")
    observed = stats.rankdata(sign * (y / n))
    return pd.DataFrame({"name": list(names), "rank": observed, "rank_low": lo.astype(int),
                         "rank_high": hi.astype(int)})  # fmt: skip
