"""Kaplan-Meier curves by group (statsmodels SurvfuncRight), with log-log 95% intervals.

The data have one row per subject: ``time`` (days from the start of follow-up to the event
or censoring) and ``event`` (1 = the event happened at ``time``, 0 = censored). The defaults
are the re-referrals chapter's: time from closure of an involvement to the next referral,
by how the involvement ended, over one year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KM_COLUMNS = ["group", "time", "n_at_risk", "survival", "ci_low", "ci_high"]


def loglog_interval(s: np.ndarray, se: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of a survival probability ``s`` (standard error ``se``) on the
    log(-log S) scale, as statsmodels' plot and most software. Where the transform is not
    defined (S = 0 or 1) the interval collapses to ``s``. Returns (low, high)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.log(-np.log(s))
        sel = se / (s * np.abs(np.log(s)))
        lo = np.exp(-np.exp(ll + z * sel))
        hi = np.exp(-np.exp(ll - z * sel))
    return np.where(np.isfinite(lo), lo, s), np.where(np.isfinite(hi), hi, s)


def step_at(times: np.ndarray, values: np.ndarray, at) -> np.ndarray:
    """A right-continuous step function (``values`` from each of the sorted ``times`` on) read
    at each point of ``at``: the value at the last time on or before it."""
    idx = np.searchsorted(np.asarray(times), np.asarray(at, dtype=float), side="right") - 1
    return np.asarray(values)[idx]


def kaplan_meier(inv: pd.DataFrame, by: str = "ended", max_days: int = 365) -> pd.DataFrame:
    """Kaplan-Meier estimates of staying event-free (un-re-referred), by group of ``by``.

    Time is days from the start of follow-up (closure) to the event (the next referral),
    censored (at the period end or the 18th birthday). Columns: group, time (days),
    n_at_risk, survival, ci_low, ci_high (95%, log-log), from day 0 to ``max_days``.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    rows = []
    for g, d in inv.groupby(by, sort=True, observed=True):
        if len(d) == 0:
            continue
        sf = SurvfuncRight(d["time"].to_numpy(dtype=float), d["event"].to_numpy(dtype=int))
        t = np.asarray(sf.surv_times, dtype=float)
        s = np.asarray(sf.surv_prob, dtype=float)
        lo, hi = loglog_interval(s, np.asarray(sf.surv_prob_se, dtype=float))
        keep = t <= max_days
        part = pd.DataFrame(
            {
                "group": str(g),
                "time": t[keep],
                "n_at_risk": np.asarray(sf.n_risk)[keep].astype(int),
                "survival": s[keep],
                "ci_low": lo[keep],
                "ci_high": hi[keep],
            }  # fmt: skip
        )
        start = pd.DataFrame({"group": [str(g)], "time": [0.0], "n_at_risk": [len(d)],
                              "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0]})  # fmt: skip
        rows.append(pd.concat([start, part[part["time"] > 0]], ignore_index=True))
    if not rows:
        return pd.DataFrame(columns=KM_COLUMNS)
    return pd.concat(rows, ignore_index=True)


def km_at(km: pd.DataFrame, days: tuple[int, ...] = (30, 90, 180, 365)) -> pd.DataFrame:
    """Share with the event (re-referred), 1 - survival, by each of ``days``, per group: a
    compact summary of :func:`kaplan_meier`."""
    out = {}
    for g, d in km.groupby("group", sort=False):
        d = d.sort_values("time")
        out[g] = 1 - step_at(d["time"].to_numpy(), d["survival"].to_numpy(), days)
    return pd.DataFrame(out, index=[f"by day {x}" for x in days]).T.rename_axis("group").reset_index()
