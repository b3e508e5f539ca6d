"""The re-referrals chapter: everything the notebook shows, computed once, written out and
put into words.

The notebook (``notebooks/02_rereferrals.ipynb``) imports this module as ``rm``; the figures
(``cscbook.report.rr_plots``) and term labels (``cscbook.measures.rr_design``) are reached through it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscbook.config.periods import quarter
from cscbook.measures.involvements import closed_involvements, model_table
from cscbook.measures.rereferral_model import (
    COX_COLUMNS,
    FDR,
    LOGIT_COLUMNS,
    PH_COLUMNS,
    ModelFit,
    Validation,
    ame_table,
    auc,
    calibration_table,
    drivers,
    failed_fit,
    fit_cox,
    fit_logistic,
    ph_check,
    predict,
    validate_later,
)
from cscbook.measures.rereferrals import quarter_name, referral_flags, rereferral_rates
from cscbook.measures.rr_design import COVARIATES, MEDIATOR, SENSITIVITY, term_label
from cscbook.methods import spc
from cscbook.methods.survival import kaplan_meier, km_at
from cscbook.report.rr_plots import plot_calibration, plot_forest, plot_km, plot_rate_chart  # noqa: F401 (for the notebook)


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
    sensitivity: ModelFit | None = None
    validation: Validation = field(default_factory=lambda: Validation(False, "Not run."))
    ph: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PH_COLUMNS))


def model_window(period_end: pd.Timestamp, years: int = 2) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Closure dates of the model: the ``years`` years ending one year before the period end,
    so every involvement has a full 12 months (365 days) of follow-up by the period end
    (quarter ends are never 29 February, so closure + 365 days <= period end)."""
    last = pd.Timestamp(period_end) - pd.DateOffset(years=1)
    first = last - pd.DateOffset(years=years) + pd.Timedelta(days=1)
    return first, last


def definitions_table(quarterly: pd.DataFrame, n: int = 4) -> pd.DataFrame:
    """The DfE rate beside "any previous involvement" for the latest ``n`` quarters (percent)."""
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
    a = logit.assign(**{"Odds ratio (95% CI)": _ci_text(logit, "odds_ratio")})[
        ["term", "Odds ratio (95% CI)"]
    ]
    b = cox.assign(**{"Hazard ratio (95% CI)": _ci_text(cox, "hazard_ratio")})[
        ["term", "Hazard ratio (95% CI)"]
    ]
    out = a.merge(b, on="term", how="left")
    out = pd.concat([out, b[~b["term"].isin(a["term"])]], ignore_index=True)
    out.insert(0, "Term", out["term"].map(term_label))
    return out.drop(columns="term").fillna("not estimated")


def _ci_text(t: pd.DataFrame, col: str) -> pd.Series:
    if t.empty:
        return pd.Series(dtype=str)
    return (
        t[col].map("{:.2f}".format)
        + " ("
        + t["ci_low"].map("{:.2f}".format)
        + "-"
        + t["ci_high"].map("{:.2f}".format)
        + ")"
    )


def _rates(
    refs: pd.DataFrame, period_end: pd.Timestamp, months: int | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Monthly and quarterly rates of the last ``months`` months (None: the whole extract, as the
    executive summary reads it), the monthly p-chart and the number of referrals judged from
    List 3's count."""
    flags = referral_flags(refs, period_end)
    monthly = rereferral_rates(flags, "month")
    first_month = (
        monthly["period"].min()
        if months is None or monthly.empty
        else (period_end.to_period("M") - (months - 1)).to_timestamp()
    )
    monthly = monthly[monthly["period"] >= first_month].reset_index(drop=True)
    quarterly = rereferral_rates(flags, "quarter")
    quarterly = quarterly[quarterly["period"] >= first_month].reset_index(drop=True)
    chart = spc.p_chart(
        monthly.set_index("period")["rereferrals_12m"], monthly.set_index("period")["referrals"]
    )
    list3_used = int(monthly["list3_count_used"].sum())
    return monthly, quarterly, chart, list3_used


def build_chapter(
    tables: dict[str, pd.DataFrame], period_end: pd.Timestamp, months: int | None = None, years: int = 2
) -> Chapter:
    """Rates (last ``months`` months; default the whole extract), the drivers model (closures in
    :func:`model_window`; main model without mediators, and with the involvement length as a
    sensitivity analysis), its check on later closures (refitted on the window's first
    ``years // 2`` years, tested on the rest), Kaplan-Meier and Cox with its proportional-hazards
    check (closures from the window's start to the period end)."""
    period_end = pd.Timestamp(period_end)
    notes: list[str] = []
    refs = tables.get("referrals")
    refs = refs if refs is not None else pd.DataFrame(columns=["child_id", "referral_date"])
    monthly, quarterly, chart, list3_used = _rates(refs, period_end, months)
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
    sensitivity = fit_logistic(mt, SENSITIVITY) if len(mt) else None
    validation = validate_later(mt, first + pd.DateOffset(years=max(years // 2, 1))) if len(mt) else Validation(
        False, "No closed involvements with 12 months of follow-up.")  # fmt: skip
    ame = ame_table(logit)
    if logit.result is not None:
        p = predict(logit.result, logit.X)
        cal = calibration_table(logit.y, p)
        a = auc(logit.y, p)
    else:
        cal = pd.DataFrame(columns=["decile", "involvements", "predicted", "observed"])
        a = float("nan")
    km = (
        kaplan_meier(recent)
        if len(recent)
        else kaplan_meier(pd.DataFrame(columns=["ended", "time", "event"]))
    )
    km_summary = km_at(km) if not km.empty else pd.DataFrame()
    spec = logit.spec or dict(COVARIATES)
    cox = fit_cox(recent, spec) if len(recent) else failed_fit([], "No closed involvements.", COX_COLUMNS)
    return Chapter(
        period_end=period_end, monthly=monthly, quarterly=quarterly, chart=chart, list3_used=list3_used,
        definitions=definitions_table(quarterly), involvement_notes=inv_res.notes(), window=(first, last),
        logit=logit, ame=ame, calibration=cal, auc=a, km=km, km_summary=km_summary, cox=cox,
        comparison=compare_or_hr(logit.table, cox.table), n_involvements=len(mt), notes=notes,
        sensitivity=sensitivity, validation=validation, ph=ph_check(cox),
    )  # fmt: skip


def output_tables(ch: Chapter) -> dict[str, pd.DataFrame]:
    """The chapter's tables for ``reports/<quarter>/tables/`` (aggregates only), by file name."""
    return {
        "rereferral_model": ch.logit.table[LOGIT_COLUMNS], "rereferral_rates_monthly": ch.monthly,
        "rereferral_rates_quarterly": ch.quarterly, "rereferral_km": ch.km,
        "rereferral_cox": ch.cox.table[COX_COLUMNS], "rereferral_ame": ch.ame,
        "rereferral_calibration": ch.calibration,
        "rereferral_drivers": drivers(ch.logit) if ch.logit.ok else pd.DataFrame(columns=[*LOGIT_COLUMNS, "p_adjusted"]),
        "rereferral_model_sensitivity": sensitivity_table(ch),
        "rereferral_calibration_later_period": ch.validation.calibration, "rereferral_cox_ph_check": ch.ph,
    }  # fmt: skip


def save_outputs(ch: Chapter, params) -> dict[str, object]:
    """Write ``output_tables`` under reports/<quarter>/tables/; the paths by short name."""
    from cscbook.report.outputs import save_table

    short = {"rereferral_model": "model", "rereferral_rates_monthly": "monthly", "rereferral_rates_quarterly": "quarterly",
             "rereferral_km": "km", "rereferral_cox": "cox", "rereferral_ame": "ame",
             "rereferral_calibration": "calibration", "rereferral_drivers": "drivers",
             "rereferral_model_sensitivity": "sensitivity", "rereferral_calibration_later_period": "calibration_later",
             "rereferral_cox_ph_check": "ph_check"}  # fmt: skip
    return {short[name]: save_table(df, params, name) for name, df in output_tables(ch).items()}


# ---------------------------------------------------------------------------
# Words from the numbers
# ---------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "not available" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def rate_message(
    ch: Chapter, england: float | None, neighbours: float | None, target: float | None = None, judged=None
) -> str:
    """The headline sentence: the DfE rate this quarter against last quarter and benchmarks, and what
    the control chart says: the run's judged chart (``judged``, a ``spc.ChartResult``) when given."""
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
    if judged is not None:
        from cscbook.report.signal_words import chart_sentence

        return f"{text}. {chart_sentence(judged, False, unit_is_percent=True)}"
    months = quarter(ch.period_end).months
    signal = spc.period_signal(ch.chart, months[0], months[-1], higher_is_better=False)
    text += f". This quarter the monthly chart shows {signal}."
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


def driver_message(fit: ModelFit, fdr: float = FDR) -> list[str]:
    """Plain-English lines: which characteristics go with more, and with less, re-referral, after
    allowing for testing every term (Benjamini-Hochberg, false discovery rate ``fdr``)."""
    if not fit.ok or fit.table.empty:
        return ["The drivers model could not be fitted reliably on this extract: " + " ".join(fit.notes)]
    t = drivers(fit, fdr)
    more = t[t["odds_ratio"] > 1].sort_values("odds_ratio", ascending=False)
    less = t[t["odds_ratio"] < 1].sort_values("odds_ratio")

    def lst(d: pd.DataFrame) -> str:
        return "; ".join(f"{term_label(r.term)} (odds x{r.odds_ratio:.2f})" for r in d.itertuples())

    lines = []
    if not more.empty:
        lines.append(
            f"Higher odds of re-referral, compared with the reference group and other things equal: {lst(more)}."
        )
    if not less.empty:
        lines.append(f"Lower odds of re-referral: {lst(less)}.")
    if more.empty and less.empty:
        lines.append(
            f"No characteristic is clearly associated with re-referral (of {len(fit.table)} terms tested)."
        )
    lines.append(
        f"These are the terms still clear after allowing for testing {len(fit.table)} terms at once "
        f"(Benjamini-Hochberg, {100 * fdr:.0f}% false discovery rate: about 1 in {round(1 / fdr)} listed could be chance)."
    )
    return lines


def sensitivity_table(ch: Chapter) -> pd.DataFrame:
    """Odds ratios (95% CI) of the main model beside the model with the length of involvement added."""
    main = ch.logit.table
    cols = ["Term", "Main model", "With length of involvement"]
    if ch.sensitivity is None or main.empty:
        return pd.DataFrame(columns=cols)
    a = main.assign(m=_ci_text(main, "odds_ratio"))[["term", "m"]]
    sens = ch.sensitivity.table
    b = (
        sens.assign(s=_ci_text(sens, "odds_ratio"))[["term", "s"]]
        if not sens.empty
        else pd.DataFrame(columns=["term", "s"])
    )
    out = a.merge(b, on="term", how="left")
    out = pd.concat([out, b[~b["term"].isin(a["term"])]], ignore_index=True)
    out.insert(0, "Term", out["term"].map(term_label))
    return out.drop(columns="term").set_axis(cols, axis=1).fillna("not in model")


def sensitivity_message(ch: Chapter) -> str:
    """How the endings' odds ratios move when the length of involvement is added."""
    if ch.sensitivity is None or not ch.sensitivity.ok or not ch.logit.ok:
        return ""
    a, b = ch.logit.table.set_index("term"), ch.sensitivity.table.set_index("term")
    term = "ended[after_cp_plan]"
    text = (
        "Sensitivity analysis: the length of the involvement is not in the main model, because it follows from "
        "how the involvement ended (a no-further-action referral lasts no time at all) and so would take away "
        "part of the endings' association with re-referral."
    )
    if term in a.index and term in b.index:
        text += (
            f" With it added, closing after a child protection plan has odds ratio {b.loc[term, 'odds_ratio']:.2f} "
            f"({b.loc[term, 'ci_low']:.2f}-{b.loc[term, 'ci_high']:.2f}), against {a.loc[term, 'odds_ratio']:.2f} "
            f"({a.loc[term, 'ci_low']:.2f}-{a.loc[term, 'ci_high']:.2f}) without it."
        )
    if MEDIATOR in b.index:
        text += (f" The length itself has odds ratio {b.loc[MEDIATOR, 'odds_ratio']:.2f} "
                 f"({b.loc[MEDIATOR, 'ci_low']:.2f}-{b.loc[MEDIATOR, 'ci_high']:.2f}) per unit of log(1 + months).")  # fmt: skip
    return text


def validation_message(ch: Chapter) -> str:
    """Discrimination and calibration on later closures than the fit, in words."""
    v = ch.validation
    if not v.ok:
        return v.note
    return (
        f"Tested on later closures: the model refitted on the {v.n_fit:,} involvements closed before "
        f"{v.split:%d %B %Y} and tested on the {v.n_test:,} closed from then on has an area under the ROC curve of "
        f"{v.auc_test:.2f} on the later closures ({v.auc_fit:.2f} on the ones it was fitted to; 0.5 is a coin toss, "
        f"1 is perfect). It predicted {100 * v.predicted:.1f}% re-referred in the later period, and "
        f"{100 * v.observed:.1f}% were (calibration slope {v.slope:.2f}; 1 is ideal). These characteristics separate "
        "families who come back from those who do not only partly, so the model is for understanding patterns, "
        "not for predicting individual families."
    )


def ph_message(ch: Chapter, fdr: float = FDR) -> str:
    """The Cox model's proportional-hazards check in words."""
    if ch.ph.empty:
        return ""
    bad = ch.ph[ch.ph["p_adjusted"] < fdr]
    text = (f"Proportional-hazards check (Schoenfeld residuals against time, {len(ch.ph)} terms, "
            "Benjamini-Hochberg): ")  # fmt: skip
    if bad.empty:
        return text + "no term's hazard ratio clearly changes over the year after closure."
    return text + (
        "the hazard ratio changes over the year after closure for "
        + "; ".join(term_label(t) for t in bad["term"])
        + ", so for these the Cox hazard ratio is an average over the year and the logistic odds ratio is the "
        "better summary."
    )
