"""What goes with re-referral: logistic and Cox models on closed involvements.

The unit is a closed involvement with a full 12 months of follow-up (see
``cscbook.rereferrals``). The outcome is a new referral 1 to 365 days after closure. The
logistic model (statsmodels GLM, Binomial, standard errors clustered by child) gives odds
ratios; average marginal effects turn them into percentage points; a Cox model (PHReg,
Efron ties) on time to re-referral within 365 days is a cross-check. These are associations
in routine data, not causes.

Term names are ``<variable>[<level>]`` (e.g. ``ended[after_cp_plan]``) for categorical
variables, compared with the reference level, and the variable name for numeric ones.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cscbook import codes
from cscbook.rereferrals import AGE_BANDS, ENDED_LEVELS

# Variable -> reference level (None: numeric). Order is the order of the model table.
COVARIATES: dict[str, str | None] = {
    "ended": "nfa_at_referral",
    "age_band": "5-9",
    "sex": "F",
    "ethnicity_group": "White",
    "disability": "N",
    "primary_need": "N1",
    "source": "Police",
    "log_involvement_months": None,
    "previous_referrals": None,
}
LABELS = {
    "ended": "How the involvement ended",
    "age_band": "Age at closure",
    "sex": "Sex",
    "ethnicity_group": "Ethnic group",
    "disability": "Disability",
    "primary_need": "Primary need",
    "source": "Source of the opening referral",
    "team": "Team",
    "log_involvement_months": "Length of involvement, log(1 + months)",
    "previous_referrals": "Referrals in the previous 12 months (0-3)",
}
OTHER = "Other"
_ORDER = {"ended": ENDED_LEVELS, "age_band": AGE_BANDS}


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


def model_data(inv: pd.DataFrame) -> pd.DataFrame:
    """Add the derived numeric covariate ``log_involvement_months`` = log(1 + days / 30)."""
    out = inv.copy()
    out["log_involvement_months"] = np.log1p(out["involvement_days"].astype(float) / 30.0)
    return out


def collapse_levels(
    data: pd.DataFrame,
    var: str,
    reference: str,
    outcome: str = "rereferred_12m",
    min_obs: int = 20,
    min_events: int = 5,
) -> tuple[pd.DataFrame, str | None, list[str]]:
    """Merge levels of ``var`` with fewer than ``min_obs`` rows or fewer than ``min_events``
    events (or non-events) into "Other"; drop the rows of an "Other" that is still too small.

    Returns the data, the reference level actually used (the largest level when the planned
    one is too small; None when the variable has fewer than two usable levels and should be
    left out) and notes in plain English.
    """
    notes: list[str] = []
    d = data.copy()
    d[var] = d[var].astype("object").where(d[var].notna(), "Not recorded").astype(str)
    y = d[outcome].astype(int)
    g = pd.DataFrame({"n": d.groupby(var).size(), "events": y.groupby(d[var]).sum()})
    g["non_events"] = g["n"] - g["events"]
    if len(g) < 2:
        only = str(g.index[0]) if len(g) else "nothing"
        return d, None, [f"{LABELS.get(var, var)}: every involvement has the same value ({only}); left out."]
    small = (g["n"] < min_obs) | (g["events"] < min_events) | (g["non_events"] < min_events)
    if small.get(reference, True):
        big = g[~small]
        if big.empty:
            return d, None, [f"{LABELS.get(var, var)}: no level has enough involvements; left out."]
        new_ref = str(big["n"].idxmax())
        notes.append(
            f"{LABELS.get(var, var)}: the usual reference '{reference}' has too few involvements or "
            f"re-referrals; '{new_ref}' is the reference instead."
        )
        reference = new_ref
        small = small & (g.index != reference)
    to_merge = sorted(str(x) for x in g.index[small])
    if to_merge:
        d.loc[d[var].isin(to_merge), var] = OTHER
        merged = d[var] == OTHER
        n_o, e_o = int(merged.sum()), int(y[merged].sum())
        if n_o < min_obs or e_o < min_events or n_o - e_o < min_events:
            d = d[~merged]
            notes.append(
                f"{LABELS.get(var, var)}: {n_o} involvements in small groups ({', '.join(to_merge)}) "
                "were too few even together and were left out of the model."
            )
        else:
            notes.append(
                f"{LABELS.get(var, var)}: small groups ({', '.join(to_merge)}) merged into '{OTHER}'."
            )
    if d[var].nunique() < 2:
        notes.append(f"{LABELS.get(var, var)}: only one level with enough data; left out.")
        return d, None, notes
    return d, reference, notes


def _levels(values: pd.Series, var: str, reference: str) -> list[str]:
    present = set(values.astype(str).unique())
    order = [x for x in _ORDER.get(var, ()) if x in present]
    rest = sorted(present - set(order) - {OTHER})
    levels = order + rest + ([OTHER] if OTHER in present else [])
    return [lev for lev in levels if lev != reference]


def design_matrix(
    data: pd.DataFrame, spec: dict[str, str | None]
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Treatment-coded design matrix with a constant; columns named ``var[level]``.

    ``spec`` maps a variable to its reference level (None for a numeric variable). Returns
    the matrix (float) and, per variable, its term names.
    """
    cols = {"const": np.ones(len(data))}
    groups: dict[str, list[str]] = {}
    for var, ref in spec.items():
        if ref is None:
            cols[var] = data[var].astype(float).to_numpy()
            groups[var] = [var]
            continue
        v = data[var].astype(str)
        terms = []
        for lev in _levels(v, var, ref):
            name = f"{var}[{lev}]"
            cols[name] = (v == lev).to_numpy(dtype=float)
            terms.append(name)
        groups[var] = terms
    return pd.DataFrame(cols, index=data.index), groups


def drop_aliased(X: pd.DataFrame, tol: float = 1e-8) -> tuple[pd.DataFrame, list[str]]:
    """Drop columns that are exact linear combinations of the columns before them.

    A column whose QR diagonal |R_jj| is below ``tol`` x the largest is aliased (e.g. a team
    that only works with one primary need). Columns are kept in order, so later variables
    (team) give way to earlier ones. Returns the matrix and the dropped column names.
    """
    if X.shape[1] == 0:
        return X, []
    r = np.linalg.qr(np.asarray(X, dtype=float), mode="r")
    diag = np.abs(np.diag(r))
    aliased = diag < tol * max(float(diag.max()), 1.0)
    dropped = [c for c, a in zip(X.columns, aliased, strict=True) if a]
    return X.drop(columns=dropped), dropped


def _drop_terms(X: pd.DataFrame, groups: dict[str, list[str]], notes: list[str]):
    X, dropped = drop_aliased(X)
    if dropped:
        notes.append(
            "Left out because they duplicate other terms exactly (the data cannot tell them apart): "
            + ", ".join(term_label(t) for t in dropped) + "."
        )
        groups = {v: [t for t in ts if t not in dropped] for v, ts in groups.items()}
        groups = {v: ts for v, ts in groups.items() if ts}
    return X, groups


def prepare(
    inv: pd.DataFrame,
    covariates: dict[str, str | None] | None = None,
    outcome: str = "rereferred_12m",
    min_obs: int = 20,
    min_events: int = 5,
    with_team: bool = False,
) -> tuple[pd.DataFrame, dict[str, str | None], list[str]]:
    """Model data with small levels merged; with ``with_team``, the team (reference: the
    largest) is added when it has several levels."""
    spec = dict(COVARIATES if covariates is None else covariates)
    d = model_data(inv) if "log_involvement_months" not in inv else inv.copy()
    notes: list[str] = []
    if with_team and "team" in d and d["team"].nunique() > 1:
        spec["team"] = str(d["team"].astype(str).value_counts().idxmax())
    final: dict[str, str | None] = {}
    for var, ref in spec.items():
        if ref is None:
            final[var] = None
            continue
        d, new_ref, n = collapse_levels(d, var, ref, outcome, min_obs, min_events)
        notes += n
        if new_ref is not None:
            final[var] = new_ref
    return d, final, notes


def _fail(notes: list[str], msg: str, columns: list[str]) -> ModelFit:
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


LOGIT_COLUMNS = ["term", "odds_ratio", "ci_low", "ci_high", "p_value"]


def fit_logistic(
    inv: pd.DataFrame,
    covariates: dict[str, str | None] | None = None,
    outcome: str = "rereferred_12m",
    min_obs: int = 20,
    min_events: int = 5,
) -> ModelFit:
    """Logistic regression of re-referral within 12 months on the covariates.

    statsmodels GLM (Binomial, logit link) with standard errors clustered by child. The
    table has columns term, odds_ratio, ci_low, ci_high (95%), p_value, without the
    intercept. A fit that fails, does not converge or shows separation returns ``ok=False``
    and a note; it never raises.

    With the default covariates, the team is added when it has several levels, unless it
    widens the intervals of the ``ended`` terms by more than ``TEAM_MAX_SE_RATIO`` (teams
    often follow how involvements end, e.g. the front door closes the NFAs, and then the
    model cannot separate the two); the note says which.
    """
    if inv is None or len(inv) == 0:
        return _fail([], "No closed involvements with 12 months of follow-up: the model was not fitted.", LOGIT_COLUMNS)
    base = _fit_logistic(inv, covariates, outcome, min_obs, min_events, with_team=False)
    if covariates is not None or "team" not in inv or inv["team"].nunique() < 2 or not base.ok:
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


TEAM_MAX_SE_RATIO = 1.5


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
        return _fail(notes, f"Too few involvements ({n}) or re-referrals ({ev}) to fit a model.", LOGIT_COLUMNS)
    X, groups = design_matrix(d, spec)
    X, groups = _drop_terms(X, groups, notes)
    if X.shape[1] >= n:
        return _fail(notes, "More model terms than involvements: the model was not fitted.", LOGIT_COLUMNS)
    clusters = pd.factorize(d["child_id"].astype(str))[0] if "child_id" in d else np.arange(n)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = sm.GLM(y, X, family=sm.families.Binomial()).fit(
                cov_type="cluster", cov_kwds={"groups": clusters}, maxiter=100
            )
    except (PerfectSeparationError, np.linalg.LinAlgError, ValueError) as exc:
        return _fail(notes, f"The model could not be fitted ({type(exc).__name__}: {exc}).", LOGIT_COLUMNS)
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


def predict(result, X: pd.DataFrame) -> np.ndarray:
    """Predicted probabilities from a fitted logistic model for design matrix ``X``."""
    return 1.0 / (1.0 + np.exp(-(np.asarray(X, dtype=float) @ np.asarray(result.params, dtype=float))))


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
        p0 = 1.0 / (1.0 + np.exp(-(X0 @ b)))
        for t, j in zip(terms, idx, strict=True):
            X1 = X0.copy()
            X1[:, j] = 1.0
            p1 = 1.0 / (1.0 + np.exp(-(X1 @ b)))
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
    out = df.groupby("decile").agg(involvements=("y", "size"), predicted=("p", "mean"), observed=("y", "mean"))
    return out.reset_index()


COX_COLUMNS = ["term", "hazard_ratio", "ci_low", "ci_high", "p_value"]


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
    from statsmodels.duration.hazard_regression import PHReg

    if inv is None or len(inv) == 0:
        return _fail([], "No closed involvements: the Cox model was not fitted.", COX_COLUMNS)
    d = model_data(inv) if "log_involvement_months" not in inv else inv.copy()
    d = d[d["time"] > 0].copy()
    event = ((d["event"] == 1) & (d["time"] <= horizon)).astype(int)
    d["_event12"] = event
    d["_time"] = d["time"].clip(upper=horizon).astype(float)
    notes: list[str] = []
    final: dict[str, str | None] = {}
    for var, ref in spec.items():
        if ref is None:
            final[var] = None
            continue
        d, new_ref, n = collapse_levels(d, var, ref, "_event12", min_obs, min_events)
        notes += n
        if new_ref is not None:
            final[var] = new_ref
    if len(d) < min_obs or d["_event12"].sum() < min_events:
        return _fail(notes, "Too few involvements or re-referrals for the Cox model.", COX_COLUMNS)
    X, groups = design_matrix(d, final)
    X, groups = _drop_terms(X, groups, notes)
    X = X.drop(columns="const")
    clusters = pd.factorize(d["child_id"].astype(str))[0]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = PHReg(d["_time"].to_numpy(), X, status=d["_event12"].to_numpy(), ties="efron").fit(
                groups=clusters
            )
    except (np.linalg.LinAlgError, ValueError) as exc:
        return _fail(notes, f"The Cox model could not be fitted ({type(exc).__name__}: {exc}).", COX_COLUMNS)
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


def term_label(term: str) -> str:
    """A reader's label for a term: 'ended[after_cp_plan]' -> 'How the involvement ended: ...'."""
    from cscbook.rereferrals import ENDED_LABELS

    if "[" not in term:
        return LABELS.get(term, term)
    var, lev = term[:-1].split("[", 1)
    if var == "ended":
        lev = ENDED_LABELS.get(lev, lev)
    elif var == "primary_need" and lev in codes.PRIMARY_NEED.labels:
        lev = f"{lev} {codes.PRIMARY_NEED.labels[lev].lower()}"
    return f"{LABELS.get(var, var)}: {lev}"


# ---------------------------------------------------------------------------
# The chapter: everything the notebook shows, computed once
# ---------------------------------------------------------------------------


@dataclass
class Chapter:
    """All tables, fits and notes of the re-referrals chapter for one period end."""

    period_end: pd.Timestamp
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    chart: pd.DataFrame
    list3_used: int
    definitions: pd.DataFrame
    involvement_notes: pd.DataFrame
    window: tuple[pd.Timestamp, pd.Timestamp]
    logit: ModelFit
    ame: pd.DataFrame
    calibration: pd.DataFrame
    auc: float
    km: pd.DataFrame
    km_summary: pd.DataFrame
    cox: ModelFit
    comparison: pd.DataFrame
    n_involvements: int = 0
    notes: list[str] = field(default_factory=list)


def model_window(period_end: pd.Timestamp, years: int = 2) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Closure dates of the model: the ``years`` years ending one year before the period end,
    so every involvement has a full 12 months (365 days) of follow-up by the period end
    (quarter ends are never 29 February, so closure + 365 days <= period end)."""
    last = pd.Timestamp(period_end) - pd.DateOffset(years=1)
    first = last - pd.DateOffset(years=years) + pd.Timedelta(days=1)
    return first, last


def definitions_table(quarterly: pd.DataFrame, n: int = 4) -> pd.DataFrame:
    """The DfE rate beside "any previous involvement" for the latest ``n`` quarters (percent)."""
    from cscbook.rereferrals import quarter_name

    q = quarterly.tail(n)
    return pd.DataFrame(
        {
            "Quarter": [quarter_name(p) for p in q["period"]],
            "Referrals": q["referrals"].to_numpy(),
            "Re-referrals within 12 months (DfE), %": (100 * q["rate_12m"]).round(1).to_numpy(),
            "Any previous referral in the extract, %": (100 * q["rate_any_previous"]).round(1).to_numpy(),
        }
    )


def compare_or_hr(logit: pd.DataFrame, cox: pd.DataFrame) -> pd.DataFrame:
    """Odds ratios (logistic) beside hazard ratios (Cox), term by term, rounded for reading."""
    a = logit.assign(**{"Odds ratio (95% CI)": _ci_text(logit, "odds_ratio")})[["term", "Odds ratio (95% CI)"]]
    b = cox.assign(**{"Hazard ratio (95% CI)": _ci_text(cox, "hazard_ratio")})[["term", "Hazard ratio (95% CI)"]]
    out = a.merge(b, on="term", how="left")
    out = pd.concat([out, b[~b["term"].isin(a["term"])]], ignore_index=True)
    out.insert(0, "Term", out["term"].map(term_label))
    return out.drop(columns="term").fillna("not estimated")


def _ci_text(t: pd.DataFrame, col: str) -> pd.Series:
    if t.empty:
        return pd.Series(dtype=str)
    return t[col].map("{:.2f}".format) + " (" + t["ci_low"].map("{:.2f}".format) + "-" + t["ci_high"].map(
        "{:.2f}".format
    ) + ")"


def build_chapter(
    tables: dict[str, pd.DataFrame], period_end: pd.Timestamp, months: int = 24, years: int = 2
) -> Chapter:
    """Rates (last ``months`` months), the drivers model (closures in :func:`model_window`),
    Kaplan-Meier and Cox (closures from the window's start to the period end)."""
    from cscbook import spc
    from cscbook.rereferrals import (
        closed_involvements,
        kaplan_meier,
        km_at,
        model_table,
        referral_flags,
        rereferral_rates,
    )

    period_end = pd.Timestamp(period_end)
    notes: list[str] = []
    refs = tables.get("referrals")
    refs = refs if refs is not None else pd.DataFrame(columns=["child_id", "referral_date"])
    flags = referral_flags(refs, period_end)
    first_month = (period_end.to_period("M") - (months - 1)).to_timestamp()
    monthly = rereferral_rates(flags, "month")
    monthly = monthly[monthly["period"] >= first_month].reset_index(drop=True)
    quarterly = rereferral_rates(flags, "quarter")
    quarterly = quarterly[quarterly["period"] >= first_month].reset_index(drop=True)
    chart = spc.p_chart(
        monthly.set_index("period")["rereferrals_12m"], monthly.set_index("period")["referrals"]
    )
    list3_used = int(monthly["list3_count_used"].sum())

    inv_res = closed_involvements(tables, period_end)
    inv = inv_res.data
    first, last = model_window(period_end, years)
    if inv.empty:
        mt = inv
        recent = inv
    else:
        mt = model_table(inv)
        mt = mt[(mt["closure"] >= first) & (mt["closure"] <= last)].reset_index(drop=True)
        recent = inv[inv["closure"] >= first].reset_index(drop=True)
    logit = fit_logistic(mt)
    ame = ame_table(logit)
    if logit.result is not None:
        p = predict(logit.result, logit.X)
        cal = calibration_table(logit.y, p)
        a = auc(logit.y, p)
    else:
        cal = pd.DataFrame(columns=["decile", "involvements", "predicted", "observed"])
        a = float("nan")
    km = kaplan_meier(recent) if len(recent) else kaplan_meier(pd.DataFrame(columns=["ended", "time", "event"]))
    km_summary = km_at(km) if not km.empty else pd.DataFrame()
    spec = logit.spec or dict(COVARIATES)
    cox = fit_cox(recent, spec) if len(recent) else _fail([], "No closed involvements.", COX_COLUMNS)
    return Chapter(
        period_end=period_end, monthly=monthly, quarterly=quarterly, chart=chart, list3_used=list3_used,
        definitions=definitions_table(quarterly), involvement_notes=inv_res.notes(), window=(first, last),
        logit=logit, ame=ame, calibration=cal, auc=a, km=km, km_summary=km_summary, cox=cox,
        comparison=compare_or_hr(logit.table, cox.table), n_involvements=len(mt), notes=notes,
    )  # fmt: skip


def save_outputs(ch: Chapter, params) -> dict[str, object]:
    """Write the chapter's tables under reports/<quarter>/tables/ (aggregates only)."""
    from cscbook.outputs import save_table

    paths = {}
    paths["model"] = save_table(ch.logit.table[LOGIT_COLUMNS], params, "rereferral_model")
    paths["monthly"] = save_table(ch.monthly, params, "rereferral_rates_monthly")
    paths["quarterly"] = save_table(ch.quarterly, params, "rereferral_rates_quarterly")
    paths["km"] = save_table(ch.km, params, "rereferral_km")
    paths["cox"] = save_table(ch.cox.table[COX_COLUMNS], params, "rereferral_cox")
    paths["ame"] = save_table(ch.ame, params, "rereferral_ame")
    paths["calibration"] = save_table(ch.calibration, params, "rereferral_calibration")
    return paths


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def plot_rate_chart(chart: pd.DataFrame, england: float | None, neighbours: float | None, target: float | None):
    """The monthly p-chart of the DfE re-referral rate with England and neighbour lines."""
    from matplotlib.lines import Line2D

    from cscbook import spc
    from cscbook.outputs import PALETTE

    fig = spc.plot_spc(
        chart, "Re-referrals within 12 months (DfE definition)", "% of referrals", target=target,
        higher_is_better=False, percent=True,
    )  # fmt: skip
    ax = fig.axes[0]
    handles = list(ax.get_legend().legend_handles) if ax.get_legend() else []

    for value, label, colour in ((england, "England", PALETTE[0]), (neighbours, "statistical neighbours", PALETTE[2])):
        if value is not None:
            ax.axhline(100 * value, color=colour, linewidth=1.2, linestyle="-.", zorder=1)
            handles.append(Line2D([], [], color=colour, linestyle="-.", label=label))
    ax.legend(handles=handles, loc="best", fontsize=9, frameon=False)
    return fig


def plot_forest(table: pd.DataFrame, ratio: str = "odds_ratio", title: str = "Odds ratios of re-referral"):
    """Forest plot: one row per term, point and 95% interval on a log scale, 1 marked."""
    import matplotlib.pyplot as plt

    from cscbook.outputs import NEUTRAL, PALETTE

    t = table.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(t) + 1.4))
    y = np.arange(len(t))
    sig = (t["ci_low"] > 1) | (t["ci_high"] < 1)
    colours = [PALETTE[3] if s and r > 1 else PALETTE[0] if s else NEUTRAL for s, r in zip(sig, t[ratio], strict=True)]
    ax.hlines(y, t["ci_low"], t["ci_high"], color=colours, linewidth=2)
    ax.scatter(t[ratio], y, color=colours, zorder=3, s=25)
    ax.axvline(1, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y, [term_label(x) for x in t["term"]], fontsize=9)
    ax.set_xlabel(f"{ratio.replace('_', ' ')} (log scale); right of 1: more re-referral")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    return fig


def plot_calibration(cal: pd.DataFrame):
    """Observed vs predicted share re-referred by decile of predicted risk, with the diagonal."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    top = float(max(cal["predicted"].max(), cal["observed"].max(), 0.01)) * 100 * 1.1
    ax.plot([0, top], [0, top], color="black", linewidth=0.8, linestyle="--", label="perfect calibration")
    ax.plot(100 * cal["predicted"], 100 * cal["observed"], marker="o", label="deciles of predicted risk")
    ax.set_xlabel("predicted re-referral within 12 months, %")
    ax.set_ylabel("observed, %")
    ax.set_title("Calibration of the model")
    ax.legend(frameon=False, fontsize=9)
    return fig


def plot_km(km: pd.DataFrame):
    """Kaplan-Meier curves shown as the cumulative share re-referred, by how involvements ended."""
    import matplotlib.pyplot as plt

    from cscbook.rereferrals import ENDED_LABELS, ENDED_LEVELS

    fig, ax = plt.subplots()
    groups = [g for g in ENDED_LEVELS if g in set(km["group"])] + sorted(set(km["group"]) - set(ENDED_LEVELS))
    for g in groups:
        d = km[km["group"] == g].sort_values("time")
        ax.step(d["time"], 100 * (1 - d["survival"]), where="post", label=ENDED_LABELS.get(g, g))
        ax.fill_between(d["time"], 100 * (1 - d["ci_high"]), 100 * (1 - d["ci_low"]), step="post", alpha=0.12)
    ax.set_xlim(0, 365)
    ax.set_xlabel("days since the involvement closed")
    ax.set_ylabel("% re-referred")
    ax.set_title("Time to re-referral, by how the involvement ended")
    ax.legend(frameon=False, fontsize=9)
    return fig


# ---------------------------------------------------------------------------
# Words from the numbers
# ---------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "not available" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def rate_message(
    ch: Chapter, england: float | None, neighbours: float | None, target: float | None = None
) -> str:
    """The headline sentence: the DfE rate this quarter against last quarter and benchmarks."""
    from cscbook import spc
    from cscbook.rereferrals import quarter_name

    q = ch.quarterly
    if q.empty:
        return "There are no referrals in the extract for this period."
    last = q.iloc[-1]
    text = (
        f"In {quarter_name(last['period'])}, {_pct(last['rate_12m'])} of referrals "
        f"({int(last['rereferrals_12m'])} of {int(last['referrals'])}) were re-referrals within 12 months "
        "of a previous referral (the DfE definition)"
    )
    if len(q) > 1:
        text += f", against {_pct(q.iloc[-2]['rate_12m'])} the quarter before"
    bench = []
    if england is not None:
        bench.append(f"England {_pct(england)}")
    if neighbours is not None:
        bench.append(f"statistical neighbours {_pct(neighbours)}")
    if bench:
        text += f" ({' and '.join(bench)} in the latest published year)"
    if target is not None:
        text += f"; the local target is {_pct(target)} or lower"
    signal = spc.describe_signal(ch.chart, higher_is_better=False)
    text += f". The monthly chart shows {signal}."
    return text


def definitions_message(ch: Chapter) -> str:
    """One sentence on why "any previous involvement" differs from the DfE measure."""
    if ch.quarterly.empty:
        return ""
    last = ch.quarterly.iloc[-1]
    return (
        f"Counting instead every referral for a child who had ANY earlier referral in the extract, however "
        f"long ago, gives {_pct(last['rate_any_previous'])} for the same quarter: that figure includes returns "
        "after many years and grows as the extract's history gets longer, so it is not comparable with the "
        "DfE 12-month figure, England or neighbours, and the two must not be mixed in one series."
    )


def driver_message(fit: ModelFit, alpha: float = 0.05) -> list[str]:
    """Plain-English lines: which characteristics go with more, and with less, re-referral."""
    if not fit.ok or fit.table.empty:
        return ["The drivers model could not be fitted reliably on this extract: " + " ".join(fit.notes)]
    t = fit.table[fit.table["p_value"] < alpha]
    more = t[t["odds_ratio"] > 1].sort_values("odds_ratio", ascending=False)
    less = t[t["odds_ratio"] < 1].sort_values("odds_ratio")

    def lst(d: pd.DataFrame) -> str:
        return "; ".join(f"{term_label(r.term)} (odds x{r.odds_ratio:.2f})" for r in d.itertuples())

    lines = []
    if not more.empty:
        lines.append(f"Higher odds of re-referral, compared with the reference group and other things equal: {lst(more)}.")
    if not less.empty:
        lines.append(f"Lower odds of re-referral: {lst(less)}.")
    if more.empty and less.empty:
        lines.append("No characteristic is clearly associated with re-referral at the 5% level.")
    return lines
