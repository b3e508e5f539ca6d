"""What goes with re-referral: logistic and Cox models on closed involvements.

The unit is a closed involvement with a full 12 months of follow-up (see
``cscbook.measures.involvements``). The outcome is a new referral 1 to 365 days after closure. The
logistic model (statsmodels GLM, Binomial, standard errors clustered by child) gives odds
ratios; average marginal effects turn them into percentage points; a Cox model (PHReg,
Efron ties) on time to re-referral within 365 days is a cross-check, with a check of its
proportional-hazards assumption (:func:`ph_check`). These are associations in routine data,
not causes.

- **Main model without mediators**: the length of the involvement is only in a sensitivity
  analysis (``rr_design.SENSITIVITY``).
- **No team**: Annex A gives the team on the extract (for a real extract, the team at the
  extract date), not the team at closure, so the team is used only when ``team_dated`` says a
  dated allocation history gave it.
- **Drivers**: terms whose Benjamini-Hochberg adjusted p-value (over all the model's terms)
  is below 0.05 (:func:`drivers`): a 5% false discovery rate.
- **Discrimination and calibration on a later period** (:func:`validate_later`): the model
  is refitted on the earlier closures and tested on the later ones.

Covariates, reference levels, merging of small levels, design matrices and term names
(``<variable>[<level>]``) are in ``cscbook.measures.rr_design``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cscbook.measures.rr_design import collapse_all, design_matrix, drop_aliased_terms, model_data, prepare
from cscbook.methods.survival import cox_ph

LOGIT_COLUMNS = ["term", "odds_ratio", "ci_low", "ci_high", "p_value"]
COX_COLUMNS = ["term", "hazard_ratio", "ci_low", "ci_high", "p_value"]
TEAM_MAX_SE_RATIO = 1.5


@dataclass
class ModelFit:
    """A fitted (or failed) model: the term table, notes for readers, and what was used."""

    ok: bool
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    result: object | None = None
    X: pd.DataFrame | None = None
    y: np.ndarray | None = None
    groups: dict[str, list[str]] = field(default_factory=dict)
    n: int = 0
    events: int = 0
    spec: dict[str, str | None] = field(default_factory=dict)


def failed_fit(notes: list[str], msg: str, columns: list[str]) -> ModelFit:
    """A fit that did not happen: ``ok`` False, an empty table with ``columns``, the notes and ``msg``."""
    return ModelFit(False, pd.DataFrame(columns=columns), notes + [msg])


def _check_fit(res, names: list[str], caught: list) -> list[str]:
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    notes = []
    kinds = {type(w.message) for w in caught}
    if any(issubclass(k, PerfectSeparationWarning) for k in kinds):
        notes.append("Perfect separation: some group is always or never re-referred.")
    if any(issubclass(k, ConvergenceWarning) for k in kinds) or not getattr(res, "converged", True):
        notes.append("The model did not converge.")
    params = np.asarray(res.params, dtype=float)
    bse = np.asarray(res.bse, dtype=float)
    if not np.all(np.isfinite(params)) or not np.all(np.isfinite(bse)) or np.any(np.abs(params) > 15):
        notes.append("Some estimates are unstable (infinite or extreme), a sign of (quasi-)separation.")
    return notes


def fit_logistic(
    inv: pd.DataFrame,
    covariates: dict[str, str | None] | None = None,
    outcome: str = "rereferred_12m",
    min_obs: int = 20,
    min_events: int = 5,
    team_dated: bool = False,
) -> ModelFit:
    """Logistic regression of re-referral within 12 months on the covariates.

    statsmodels GLM (Binomial, logit link) with standard errors clustered by child. The
    table has columns term, odds_ratio, ci_low, ci_high (95%), p_value, without the
    intercept. A fit that fails, does not converge or shows separation returns ``ok=False``
    and a note; it never raises.

    The team is left out (with a note) unless ``team_dated`` says the ``team`` column is the
    team at closure from a dated allocation history. Then, with the default covariates, it is
    added when it has several levels, unless it widens the intervals of the ``ended`` terms
    by more than ``TEAM_MAX_SE_RATIO`` (teams often follow how involvements end, e.g. the
    front door closes the NFAs, and then the model cannot separate the two); the note says which.
    """
    if inv is None or len(inv) == 0:
        return failed_fit(
            [], "No closed involvements with 12 months of follow-up: the model was not fitted.", LOGIT_COLUMNS
        )
    base = _fit_logistic(inv, covariates, outcome, min_obs, min_events, with_team=False)
    if covariates is not None or "team" not in inv or inv["team"].nunique() < 2 or not base.ok:
        return base
    if not team_dated:
        base.notes.append(
            "Team: not in the model, because the extract gives each child's team at the extract date, not the "
            "team that held the involvement when it closed."
        )
        return base
    team = _fit_logistic(inv, covariates, outcome, min_obs, min_events, with_team=True)
    if not team.ok:
        base.notes.append("Team: left out because the model with team could not be fitted reliably.")
        return base
    ratio = _se_ratio(team.table, base.table, "ended[")
    if ratio > TEAM_MAX_SE_RATIO:
        base.notes.append(
            f"Team: left out because it largely follows how the involvement ended (with it, the intervals "
            f"for endings were up to {ratio:.1f} times wider), so the model could not separate the two."
        )
        return base
    return team


def _se(t: pd.DataFrame) -> pd.Series:
    return (np.log(t["ci_high"]) - np.log(t["ci_low"])) / (2 * 1.959964)


def _se_ratio(a: pd.DataFrame, b: pd.DataFrame, prefix: str) -> float:
    """Largest ratio of standard errors of the terms starting with ``prefix`` (a over b)."""
    sa, sb = _se(a.set_index("term")), _se(b.set_index("term"))
    common = [t for t in sa.index if t.startswith(prefix) and t in sb.index]
    if not common:
        return 1.0
    return float((sa[common] / sb[common]).max())


def _fit_logistic(inv, covariates, outcome, min_obs, min_events, with_team) -> ModelFit:
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    d, spec, notes = prepare(inv, covariates, outcome, min_obs, min_events, with_team=with_team)
    y = d[outcome].astype(int).to_numpy()
    n, ev = len(y), int(y.sum())
    if n < min_obs or ev < min_events or n - ev < min_events:
        return failed_fit(
            notes, f"Too few involvements ({n}) or re-referrals ({ev}) to fit a model.", LOGIT_COLUMNS
        )
    X, groups = design_matrix(d, spec)
    X, groups = drop_aliased_terms(X, groups, notes)
    if X.shape[1] >= n:
        return failed_fit(
            notes, "More model terms than involvements: the model was not fitted.", LOGIT_COLUMNS
        )
    clusters = pd.factorize(d["child_id"].astype(str))[0] if "child_id" in d else np.arange(n)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = sm.GLM(y, X, family=sm.families.Binomial()).fit(
                cov_type="cluster", cov_kwds={"groups": clusters}, maxiter=100
            )
    except (PerfectSeparationError, np.linalg.LinAlgError, ValueError) as exc:
        return failed_fit(
            notes, f"The model could not be fitted ({type(exc).__name__}: {exc}).", LOGIT_COLUMNS
        )
    problems = _check_fit(res, list(X.columns), caught)
    ci = np.asarray(res.conf_int(), dtype=float)
    table = pd.DataFrame(
        {
            "term": X.columns,
            "odds_ratio": np.exp(np.asarray(res.params, dtype=float)),
            "ci_low": np.exp(ci[:, 0]),
            "ci_high": np.exp(ci[:, 1]),
            "p_value": np.asarray(res.pvalues, dtype=float),
        }
    )
    table = table[table["term"] != "const"].reset_index(drop=True)
    ok = not problems
    return ModelFit(ok, table, notes + problems, res, X, y, groups, n, ev, spec)


def fit_cox(
    inv: pd.DataFrame,
    spec: dict[str, str | None],
    horizon: int = 365,
    min_obs: int = 20,
    min_events: int = 5,
) -> ModelFit:
    """Cox proportional hazards model of time to re-referral (statsmodels PHReg, Efron ties).

    Uses every closed involvement, followed from closure until the next referral, the
    period end, the 18th birthday or ``horizon`` days, whichever is first (censored at
    ``horizon`` so that it answers the same 12-month question as the logistic model).
    ``spec`` is the covariate specification used by the logistic model (same reference
    levels). Robust standard errors by child. Columns: term, hazard_ratio, ci_low, ci_high,
    p_value.
    """
    if inv is None or len(inv) == 0:
        return failed_fit([], "No closed involvements: the Cox model was not fitted.", COX_COLUMNS)
    d = model_data(inv) if "log_involvement_months" not in inv else inv.copy()
    d = d[d["time"] > 0].copy()
    event = ((d["event"] == 1) & (d["time"] <= horizon)).astype(int)
    d["_event12"] = event
    d["_time"] = d["time"].clip(upper=horizon).astype(float)
    d, final, notes = collapse_all(d, spec, "_event12", min_obs, min_events)
    if len(d) < min_obs or d["_event12"].sum() < min_events:
        return failed_fit(notes, "Too few involvements or re-referrals for the Cox model.", COX_COLUMNS)
    X, groups = design_matrix(d, final)
    X, groups = drop_aliased_terms(X, groups, notes)
    X = X.drop(columns="const")
    clusters = pd.factorize(d["child_id"].astype(str))[0]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = cox_ph(d["_time"].to_numpy(), X, d["_event12"].to_numpy(), ties="efron").fit(
                groups=clusters
            )
    except (np.linalg.LinAlgError, ValueError) as exc:
        return failed_fit(
            notes, f"The Cox model could not be fitted ({type(exc).__name__}: {exc}).", COX_COLUMNS
        )
    problems = _check_fit(res, list(X.columns), caught)
    params = np.asarray(res.params, dtype=float)
    se = np.asarray(res.bse, dtype=float)
    table = pd.DataFrame(
        {
            "term": X.columns,
            "hazard_ratio": np.exp(params),
            "ci_low": np.exp(params - 1.96 * se),
            "ci_high": np.exp(params + 1.96 * se),
            "p_value": 2 * stats.norm.sf(np.abs(params / se)),
        }
    )
    n = len(d)
    return ModelFit(not problems, table, notes + problems, res, X, d["_event12"].to_numpy(), groups, n,
                    int(d["_event12"].sum()))  # fmt: skip


# ---------------------------------------------------------------------------
# Reading a fitted logistic model: predictions, marginal effects, discrimination, calibration
# ---------------------------------------------------------------------------


def _expit(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)): log-odds to probability."""
    return 1.0 / (1.0 + np.exp(-z))


def predict(result, X: pd.DataFrame) -> np.ndarray:
    """Predicted probabilities from a fitted logistic model for design matrix ``X``."""
    return _expit(np.asarray(X, dtype=float) @ np.asarray(result.params, dtype=float))


def average_marginal_effects(
    params: np.ndarray, cov: np.ndarray, X: pd.DataFrame, groups: dict[str, list[str]]
) -> pd.DataFrame:
    """Average marginal effect of each categorical level, in percentage points.

    By finite differences: every observation is set to the level (its dummy 1, the
    variable's other dummies 0) and to the reference (all the variable's dummies 0); the
    effect is the mean difference of predicted probabilities x 100. The 95% interval uses
    the delta method with the model's covariance ``cov``. Numeric variables are left out.
    Columns: variable, term, ame_pp, ci_low, ci_high.
    """
    b = np.asarray(params, dtype=float)
    V = np.asarray(cov, dtype=float)
    rows = []
    for var, terms in groups.items():
        if len(terms) == 1 and terms[0] == var:
            continue
        idx = [X.columns.get_loc(t) for t in terms]
        X0 = np.asarray(X, dtype=float).copy()
        X0[:, idx] = 0.0
        p0 = _expit(X0 @ b)
        for t, j in zip(terms, idx, strict=True):
            X1 = X0.copy()
            X1[:, j] = 1.0
            p1 = _expit(X1 @ b)
            ame = float(np.mean(p1 - p0))
            grad = ((p1 * (1 - p1))[:, None] * X1 - (p0 * (1 - p0))[:, None] * X0).mean(axis=0)
            se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
            rows.append((var, t, 100 * ame, 100 * (ame - 1.96 * se), 100 * (ame + 1.96 * se)))
    return pd.DataFrame(rows, columns=["variable", "term", "ame_pp", "ci_low", "ci_high"])


def ame_table(fit: ModelFit) -> pd.DataFrame:
    """Average marginal effects (percentage points) of a fitted logistic model."""
    if fit.result is None:
        return pd.DataFrame(columns=["variable", "term", "ame_pp", "ci_low", "ci_high"])
    return average_marginal_effects(fit.result.params, fit.result.cov_params(), fit.X, fit.groups)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve by the Mann-Whitney formula.

    AUC = (R1 - n1 (n1 + 1) / 2) / (n1 n0), where R1 is the sum of the ranks of the
    positives' scores among all scores (ties get the average rank). It is the chance that
    a random positive scores higher than a random negative (ties count one half). NaN when
    either class is empty.
    """
    y = np.asarray(y).astype(bool)
    s = np.asarray(score, dtype=float)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = stats.rankdata(s)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed vs predicted re-referral by group of predicted risk (deciles by default).

    Observations are ranked by predicted probability (ties in order of appearance) and cut
    into ``bins`` groups of (nearly) equal size. Columns: decile (1 = lowest risk),
    involvements, predicted (mean), observed (share re-referred).
    """
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    order = np.argsort(p, kind="stable")
    dec = np.empty(len(p), dtype=int)
    dec[order] = (np.arange(len(p)) * bins) // max(len(p), 1) + 1
    df = pd.DataFrame({"decile": dec, "p": p, "y": y})
    out = df.groupby("decile").agg(
        involvements=("y", "size"), predicted=("p", "mean"), observed=("y", "mean")
    )
    return out.reset_index()


# ---------------------------------------------------------------------------
# Drivers (multiple testing), the later-period check and the proportional-hazards check
# ---------------------------------------------------------------------------

FDR = 0.05


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values: p_(i) x m / i, made monotone from the largest down,
    capped at 1 (m = number of p-values; NaN kept)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = len(q)
    if m == 0:
        return out
    order = np.argsort(q)
    adj = q[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(adj[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def drivers(fit: ModelFit, fdr: float = FDR) -> pd.DataFrame:
    """The model's terms with ``p_adjusted`` (Benjamini-Hochberg over all its terms) below ``fdr``,
    ordered by odds ratio (highest first). Columns: the model table's and p_adjusted."""
    t = fit.table.assign(p_adjusted=bh_adjust(fit.table["p_value"].to_numpy()) if len(fit.table) else [])
    return t[t["p_adjusted"] < fdr].sort_values("odds_ratio", ascending=False).reset_index(drop=True)


@dataclass
class Validation:
    """The model refitted on earlier closures and tested on later ones.

    split: first closure date of the test period; n_fit/n_test: involvements; auc_fit: AUC on
    the fitting data (in-sample); auc_test: AUC on the later closures; predicted/observed: mean
    predicted and observed re-referral in the later period; slope: calibration slope (logistic
    regression of the later outcome on the predicted log-odds; 1 is ideal, below 1 means
    predictions too extreme); calibration: deciles of the later period (``calibration_table``).
    """

    ok: bool
    note: str = ""
    split: pd.Timestamp | None = None
    n_fit: int = 0
    n_test: int = 0
    auc_fit: float = float("nan")
    auc_test: float = float("nan")
    predicted: float = float("nan")
    observed: float = float("nan")
    slope: float = float("nan")
    calibration: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["decile", "involvements", "predicted", "observed"])
    )


def validate_later(mt: pd.DataFrame, split: pd.Timestamp, covariates: dict[str, str | None] | None = None,
                   outcome: str = "rereferred_12m") -> Validation:  # fmt: skip
    """Fit the logistic model on the closures before ``split`` and test it on those from ``split``
    on (levels unknown to the fitted model recoded by ``rr_design.align_levels``)."""
    import statsmodels.api as sm

    from cscbook.measures.rr_design import align_levels, model_data

    split = pd.Timestamp(split)
    early, late = mt[mt["closure"] < split], mt[mt["closure"] >= split]
    fit = fit_logistic(early, covariates, outcome)
    if fit.result is None or not fit.ok or len(late) == 0:
        why = "no later closures" if len(late) == 0 else " ".join(fit.notes)
        return Validation(
            False, f"The later-period check could not be made: {why}", split, len(early), len(late)
        )
    test = align_levels(model_data(late), list(fit.X.columns), fit.spec)
    Xt, _ = design_matrix(test, fit.spec)
    Xt = Xt.reindex(columns=fit.X.columns, fill_value=0.0)
    y = test[outcome].astype(int).to_numpy()
    p = predict(fit.result, Xt)
    lp = np.log(p / (1 - p))
    try:
        slope = float(sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit().params[1])
    except Exception:  # noqa: BLE001 - a degenerate later period: no slope
        slope = float("nan")
    return Validation(True, "", split, fit.n, len(y), auc(fit.y, predict(fit.result, fit.X)), auc(y, p),
                      float(p.mean()), float(y.mean()), slope, calibration_table(y, p))  # fmt: skip


PH_COLUMNS = ["term", "correlation", "p_value", "p_adjusted"]


def ph_check(cox: ModelFit) -> pd.DataFrame:
    """Proportional-hazards check of a fitted Cox model: for each term, the correlation of its
    Schoenfeld residuals (at the event times) with the rank of the event time, with a t-test
    p-value (a time trend in the residuals means the hazard ratio changes with time) and the
    Benjamini-Hochberg adjusted p-value over the terms. Columns: term, correlation, p_value,
    p_adjusted (empty when the model was not fitted)."""
    if cox.result is None or cox.X is None:
        return pd.DataFrame(columns=PH_COLUMNS)
    res = np.asarray(cox.result.schoenfeld_residuals, dtype=float)
    time = np.asarray(cox.result.model.endog, dtype=float)
    ev = np.isfinite(res).all(axis=1) & (np.asarray(cox.result.model.status) == 1)
    r, t = res[ev], stats.rankdata(time[ev])
    rows = []
    for j, term in enumerate(cox.X.columns):
        x = r[:, j]
        if len(x) < 3 or np.std(x) == 0:
            rows.append((term, np.nan, np.nan))
            continue
        rho = float(np.corrcoef(x, t)[0, 1])
        tt = rho * np.sqrt((len(x) - 2) / max(1 - rho**2, 1e-12))
        rows.append((term, rho, float(2 * stats.t.sf(abs(tt), len(x) - 2))))
    out = pd.DataFrame(rows, columns=PH_COLUMNS[:3])
    out["p_adjusted"] = bh_adjust(out["p_value"].to_numpy())
    return out
