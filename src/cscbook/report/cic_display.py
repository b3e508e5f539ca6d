"""The children-in-care chapter in words and tables: the sentences the book quotes and the
display tables it shows (rounded whole numbers, plain-English headers, ``*`` for suppressed counts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.measures.cic_flows import per_10k
from cscbook.report.cic_chapter import POWER_RATE_RATIO, Chapter

SOURCE_LABELS = {
    "ssda903": "SSDA903 episodes (the children looked after return)",
    "list8": "Annex A List 8 (children in care), one row per period of care",
}


# --------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------


def key_numbers(ch: Chapter) -> dict:
    """The numbers the text quotes: latest stock and rate, a year ago, starts/ceases in the last 12 months."""
    f = ch.flows
    last = f.iloc[-1]
    year_ago = f.loc[f["month"] == last["month"] - pd.DateOffset(years=1)]
    l12 = f.iloc[-12:]
    p12 = f.iloc[-24:-12] if len(f) >= 24 else None
    bench = ch.benchmarks.set_index("area")
    return {
        "in_care": int(last["in_care"]),
        "rate": float(last["rate_per_10k"]),
        "in_care_year_ago": int(year_ago["in_care"].iloc[0]) if not year_ago.empty else None,
        "starts_12m": int(l12["starts"].sum()),
        "ceases_12m": int(l12["ceases"].sum()),
        "starts_prev_12m": int(p12["starts"].sum()) if p12 is not None else None,
        "ceases_prev_12m": int(p12["ceases"].sum()) if p12 is not None else None,
        "england_rate": bench.loc["England", "rate_per_10k"],
        "sn_rate": bench.loc["Statistical neighbours (median)", "rate_per_10k"],
        "months": len(f),
    }


def numbers_message(ch: Chapter) -> str:
    """A short paragraph on the numbers in care, rate and flows."""
    k = key_numbers(ch)
    text = (
        f"At {ch.period_end:%d %B %Y}, **{k['in_care']:,} children were in care**, "
        f"{k['rate']:.0f} per 10,000 children aged 0-17"
    )
    comps = []
    if not pd.isna(k["england_rate"]):
        comps.append(f"England {k['england_rate']:.0f}")
    if not pd.isna(k["sn_rate"]):
        comps.append(f"statistical neighbours {k['sn_rate']:.0f}")
    text += f" ({', '.join(comps)})." if comps else "."
    if k["in_care_year_ago"] is not None:
        diff = k["in_care"] - k["in_care_year_ago"]
        text += (f" A year earlier there were {k['in_care_year_ago']:,}: "
                 f"{'an increase' if diff > 0 else 'a fall' if diff < 0 else 'no change'}"
                 f"{f' of {abs(diff):,}' if diff else ''}.")  # fmt: skip
    text += (f" In the last 12 months {k['starts_12m']:,} children started to be looked after and "
             f"{k['ceases_12m']:,} stopped")  # fmt: skip
    if k["starts_prev_12m"] is not None:
        text += f" (the 12 months before: {k['starts_prev_12m']:,} and {k['ceases_prev_12m']:,})"
    text += "."
    return text


def identity_message(ch: Chapter) -> str:
    """Whether every month's count equals last month's plus starts minus ceases, and what a break means."""
    if ch.identity_breaks.empty:
        return (f"Check: in every month from {ch.flows['month'].iloc[1]:%B %Y} the number in care equals the "
                "previous month's number plus starts minus ceases, so the counts are consistent.")  # fmt: skip
    n = len(ch.identity_breaks)
    net = int(ch.identity_breaks["difference"].sum())
    return (f"**Data-quality finding:** in {n} month{'s' if n > 1 else ''} the number in care does not equal "
            f"last month's number plus starts minus ceases (net difference {net:+d}). This usually means an "
            "episode ended with X1 (\"episode ends, new one begins\") and no new episode follows, a period "
            "restarting with reason S on the day the last one ended, or overlapping episodes. The months are "
            "listed below; the records should be checked in the case management system.")  # fmt: skip


def stability_message(ch: Chapter) -> str:
    """The two stability measures at the latest date, in a sentence each."""
    s = ch.stability.iloc[-1]
    parts = [f"At {pd.Timestamp(s['date']):%d %B %Y}:"]
    if not pd.isna(s["three_plus_pct"]):
        parts.append(f"{s['three_plus_pct']:.0f}% of children in care had three or more placements in the previous "
                     "12 months.")  # fmt: skip
    if not pd.isna(s["same_placement_2y_pct"]):
        parts.append(f"Of under-16s in care for two and a half years or more, {s['same_placement_2y_pct']:.0f}% "
                     "had lived in the same placement for at least two years.")  # fmt: skip
    return " ".join(parts) if len(parts) > 1 else "Placement stability cannot be computed from this extract."


# --------------------------------------------------------------------------------------
# Display tables for the book
# --------------------------------------------------------------------------------------


def _int(s: pd.Series) -> pd.Series:
    """Rounded to a whole number (nullable Int64, NA kept)."""
    return s.astype("Float64").round(0).astype("Int64")


def _cell(s: pd.Series) -> pd.Series:
    """Rounded whole numbers as text, ``*`` where suppressed (NA)."""
    return _int(s).astype("string").fillna("*")


def annual_display(ch: Chapter) -> pd.DataFrame:
    """Financial years: in care at 31 March, starts, ceases and rates per 10,000."""
    a = ch.annual
    return pd.DataFrame(
        {
            "Year (April-March)": a["year"],
            "In care at 31 March": _int(a["in_care_31_march"]),
            "Per 10,000 children": _int(a["rate_per_10k"]),
            "Started care": _int(a["starts"]),
            "Left care": _int(a["ceases"]),
            "Starts per 10,000": _int(a["starts_per_10k"]),
        }
    )


def benchmark_display(ch: Chapter) -> pd.DataFrame:
    """This authority's rates per 10,000 beside England's and statistical neighbours' (when published)."""
    k = key_numbers(ch)
    ours = pd.DataFrame({"area": [f"This authority (12 months to {ch.period_end:%B %Y})"],
                         "rate_per_10k": [k["rate"]],
                         "starts_per_10k": [per_10k(k["starts_12m"], ch.population)]})  # fmt: skip
    b = pd.concat([ours, ch.benchmarks], ignore_index=True)
    b = b.loc[b[["rate_per_10k", "starts_per_10k"]].notna().any(axis=1)]  # not yet published: left out
    return pd.DataFrame(
        {
            "": b["area"],
            "Children in care per 10,000": _int(b["rate_per_10k"]),
            "Starts in a year per 10,000": _int(b["starts_per_10k"]),
        }
    )


def who_display(ch: Chapter) -> pd.DataFrame:
    """Who is in care at the period end: characteristic, group, children, %."""
    w = ch.who
    return pd.DataFrame(
        {"Characteristic": w["characteristic"].where(w["characteristic"].ne(w["characteristic"].shift()), ""),
         "Group": w["category"], "Children": _cell(w["children"]), "%": _cell(w["percent"])}
    )  # fmt: skip


def reasons_display(ch: Chapter, years: int = 2) -> pd.DataFrame:
    """Reasons for leaving care: the last ``years`` financial years and the last 12 months, "n (p%)"."""
    r = ch.reasons
    periods = list(dict.fromkeys(r["period"]))
    fy = sorted(p for p in periods if not p.startswith("12 months"))[-years:]
    keep = fy + [p for p in periods if p.startswith("12 months")]
    cell = _cell(r["children"]) + " (" + _cell(r["percent"]) + "%)"
    wide = r.assign(cell=cell.str.replace("* (*%)", "*", regex=False)).pivot(
        index="reason", columns="period", values="cell"
    )
    order = [x for x in dict.fromkeys(r["reason"]) if x in wide.index]
    out = (
        wide.loc[order, [p for p in keep if p in wide.columns]]
        .reset_index()
        .rename(columns={"reason": "Reason left care"})
    )
    out.columns.name = None
    return out


def km_display(ch: Chapter) -> pd.DataFrame:
    """Time in care by year of entry: median months and % still in care after 6, 12 and 24 months."""
    k = ch.km_summary
    return pd.DataFrame(
        {
            "Came into care (April-March)": k["entry_year"],
            "Children": _int(k["entries"]),
            "Left by period end": _int(k["left"]),
            "Median months in care": _int(k["median_months"]),
            "% still in care after 6 months": _int(k["still_in_care_6m"]),
            "after 12 months": _int(k["still_in_care_12m"]),
            "after 24 months": _int(k["still_in_care_24m"]),
        }
    )


def stability_display(ch: Chapter) -> pd.DataFrame:
    """The two stability measures at each date."""
    s = ch.stability
    return pd.DataFrame(
        {
            "Date": [f"{pd.Timestamp(d):%d %b %Y}" for d in s["date"]],
            "In care": _int(s["in_care"]),
            "3+ placements in the year": _int(s["three_plus_placements"]),
            "% with 3+ placements": _int(s["three_plus_pct"]),
            "Under 16, in care 2.5+ years": _int(s["long_term_eligible"]),
            "Same placement 2+ years": _int(s["same_placement_2y"]),
            "% same placement 2+ years": _int(s["same_placement_2y_pct"]),
        }
    )


def leavers_display(t: pd.DataFrame) -> pd.DataFrame:
    """Care leavers by age group (from ``care_leaver_outcomes``): in touch, EET, suitable accommodation."""
    return pd.DataFrame(
        {
            "Age": t["age_group"],
            "Care leavers": _int(t["care_leavers"]),
            "In touch": _int(t["in_touch"]),
            "In education, employment or training": _int(t["eet"]),
            "% of all (DfE basis)": _int(t["eet_pct"]),
            "% of those in touch": _int(t["eet_pct_in_touch"]),
            "England % (DfE basis)": _int(t["england_eet_pct"]),
            "In suitable accommodation": _int(t["suitable"]),
            "% suitable (of all)": _int(t["suitable_pct"]),
        }
    )


FORECAST_NAMES = {"in_care": "Children in care", "starts": "Starts a month"}


def backtest_display(ch: Chapter) -> pd.DataFrame:
    """How well each forecast method did in the backtest (the method used is marked): errors, the
    80% interval score (lower is better; the method used has the lowest) and how often the
    calibrated ranges (and the model's own, before calibration) held the actual value."""
    parts = []
    for key, r in ch.forecasts.items():
        if r.backtest.empty:
            continue
        b = r.backtest
        parts.append(
            pd.DataFrame(
                {
                    "Series": FORECAST_NAMES[key],
                    "Method": b["model"] + np.where(b.get("chosen", False), " (used)", ""),
                    "Average % error": _int(b["mape"]),
                    "Average error (children)": b["mae"].round(1),
                    "80% interval score": b["interval_score80"].round(1),
                    "Actual inside 80% range (%)": _int(b["coverage80"]),
                    "Actual inside 95% range (%)": _int(b["coverage95"]),
                    "Before calibration: 80% / 95% (%)": _int(b["raw_coverage80"]).astype("string") + " / "
                    + _int(b["raw_coverage95"]).astype("string"),
                    "Forecasts tested": b["origins"].astype("Int64"),
                }
            )
        )  # fmt: skip
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def coverage_display(ch: Chapter) -> pd.DataFrame:
    """The methods used: how often the calibrated 80% and 95% ranges held the actual value in the
    backtest, by how far ahead (1-3, 4-6, 7-12 months), with the factor each range is widened by."""
    parts = []
    for key, r in ch.forecasts.items():
        if r.chosen is None or r.coverage.empty:
            continue
        c = r.coverage.loc[r.coverage["model"] == r.chosen].merge(r.factors, on="band", how="left")
        parts.append(
            pd.DataFrame(
                {
                    "Series": FORECAST_NAMES[key],
                    "Method": r.chosen,
                    "Months ahead": c["band"],
                    "Forecast-actual pairs": c["n"].astype("Int64"),
                    "Inside 80% range (%)": _int(c["coverage80"]),
                    "Inside 95% range (%)": _int(c["coverage95"]),
                    "80% range widened x": c["factor80"].round(2),
                    "95% range widened x": c["factor95"].round(2),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def its_display(ch: Chapter) -> pd.DataFrame:
    """One row per service change: months before/after, model, first-month step, cumulative effect and
    trend change with 95% intervals, residual autocorrelation, power and placebo dates with a step."""
    rows = []
    for r in ch.its:
        ok = r.fitted
        rows.append(
            {
                "Change": r.name.replace("_", " "),
                "Date": f"{r.date:%d %b %Y}",
                "Months before / after": f"{r.months_before} / {r.months_after}",
                "Model": r.method or "not fitted",
                "First month: starts vs expected (rate ratio, 95% interval)": (
                    f"{r.rate_ratio:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f})" if ok else ""),
                "All months since: total vs expected (ratio, 95% interval)": (
                    f"{r.cumulative_ratio:.2f} ({r.cumulative_ci_low:.2f} to {r.cumulative_ci_high:.2f})"
                    if ok else ""),
                "Change in monthly trend (ratio, 95% interval)": (
                    f"{r.slope_ratio:.3f} ({r.slope_ci_low:.3f} to {r.slope_ci_high:.3f})" if ok else ""),
                "Residual autocorrelation (lag 1; Ljung-Box p)": (
                    f"{r.autocorrelation:.2f}; {r.ljung_box_p:.2f}" if ok else ""),
                f"Power for a sustained {100 * (1 - POWER_RATE_RATIO):.0f}% fall": (
                    f"{100 * r.power:.0f}%" if ok and np.isfinite(r.power) and r.power_rate_ratio == POWER_RATE_RATIO
                    else ""),
                "Placebo dates with a step": (
                    f"{int(r.placebo['step_found'].sum())} of {len(r.placebo)}" if not r.placebo.empty else ""),
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def placebo_display(ch: Chapter) -> pd.DataFrame:
    """Each placebo date of each service change (data cut before the real date): rate ratio, 95% interval."""
    rows = [
        {"Change": r.name.replace("_", " "), "Placebo date": f"{d.date:%b %Y}",
         "Rate ratio (95% interval)": f"{d.rate_ratio:.2f} ({d.ci_low:.2f} to {d.ci_high:.2f})",
         "Step found": "yes" if d.step_found else "no"}
        for r in ch.its for d in r.placebo.itertuples()
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["Change", "Placebo date", "Rate ratio (95% interval)", "Step found"])
