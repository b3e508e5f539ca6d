"""The re-referral models' design: covariates, reference levels, small levels merged, design
matrices and readers' labels of terms.

Term names are ``<variable>[<level>]`` (e.g. ``ended[after_cp_plan]``) for categorical
variables, compared with the reference level, and the variable name for numeric ones. The
models themselves are in ``cscbook.measures.rereferral_model``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.data import codes
from cscbook.measures.involvements import AGE_BANDS, ENDED_LABELS, ENDED_LEVELS

# Variable -> reference level (None: numeric). Order is the order of the model table.
# The main model has no mediators: the length of the involvement follows from how it ended (an
# NFA lasts 0 days) and sits between the ending and re-referral, so it is only in the
# sensitivity analysis (SENSITIVITY).
COVARIATES: dict[str, str | None] = {
    "ended": "nfa_at_referral",
    "age_band": "5-9",
    "sex": "F",
    "ethnicity_group": "White",
    "disability": "N",
    "primary_need": "N1",
    "source": "Police",
    "previous_referrals": None,
}
MEDIATOR = "log_involvement_months"
SENSITIVITY: dict[str, str | None] = {**COVARIATES, MEDIATOR: None}
LABELS = {
    "ended": "How the involvement ended",
    "age_band": "Age at closure",
    "sex": "Sex",
    "ethnicity_group": "Ethnic group",
    "disability": "Disability",
    "primary_need": "Primary need",
    "source": "Source of the opening referral",
    "team": "Team",
    "log_involvement_months": "Length of involvement (longer; on a log scale of months)",
    "previous_referrals": "Referrals in the previous 12 months (0-3)",
}
OTHER = "Other"
_ORDER = {"ended": ENDED_LEVELS, "age_band": AGE_BANDS}


def term_label(term: str) -> str:
    """A reader's label for a term: 'ended[after_cp_plan]' -> 'How the involvement ended: ...'."""
    if "[" not in term:
        return LABELS.get(term, term)
    var, lev = term[:-1].split("[", 1)
    if var == "ended":
        lev = ENDED_LABELS.get(lev, lev)
    elif var == "primary_need" and lev in codes.PRIMARY_NEED.labels:
        lev = f"{lev} {codes.PRIMARY_NEED.labels[lev].lower()}"
    elif var in {"sex", "disability"}:
        lev = {"M": "male", "F": "female", "Y": "yes", "N": "no", "U": "not recorded"}.get(lev, lev)
    return f"{LABELS.get(var, var)}: {lev}"


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


def align_levels(data: pd.DataFrame, columns: list[str], spec: dict[str, str | None]) -> pd.DataFrame:
    """``data`` (e.g. a later period) with each categorical variable of ``spec`` recoded to the
    levels a fitted model knows (its reference and the ``var[level]`` names in ``columns``):
    missing values become "Not recorded", and a level the model does not know becomes "Other"
    when the model has it, else the reference."""
    out = data.copy()
    for var, ref in spec.items():
        if ref is None:
            continue
        known = {ref} | {c[len(var) + 1 : -1] for c in columns if c.startswith(f"{var}[")}
        v = out[var].astype("object").where(out[var].notna(), "Not recorded").astype(str)
        out[var] = v.where(v.isin(known), OTHER if OTHER in known else ref)
    return out


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


def drop_aliased_terms(
    X: pd.DataFrame, groups: dict[str, list[str]], notes: list[str]
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """:func:`drop_aliased`, with the dropped terms taken out of ``groups`` (variables left
    without terms removed) and a note for readers appended to ``notes``."""
    X, dropped = drop_aliased(X)
    if dropped:
        notes.append(
            "Left out because they duplicate other terms exactly (the data cannot tell them apart): "
            + ", ".join(term_label(t) for t in dropped)
            + "."
        )
        groups = {v: [t for t in ts if t not in dropped] for v, ts in groups.items()}
        groups = {v: ts for v, ts in groups.items() if ts}
    return X, groups


def collapse_all(
    d: pd.DataFrame, spec: dict[str, str | None], outcome: str, min_obs: int, min_events: int
) -> tuple[pd.DataFrame, dict[str, str | None], list[str]]:
    """:func:`collapse_levels` for every categorical variable of ``spec``. Returns the data,
    the specification actually used (variables left out dropped, references as used) and
    the notes."""
    notes: list[str] = []
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
    if with_team and "team" in d and d["team"].nunique() > 1:
        spec["team"] = str(d["team"].astype(str).value_counts().idxmax())
    return collapse_all(d, spec, outcome, min_obs, min_events)
