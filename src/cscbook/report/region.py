"""The regional report: each compared measure's funnel plot, table with intervals and ranks, outliers in words.

For each measure (the region file's ``measures``, default every headline proportion and the
children-in-care rate) and the quarter ending the period end: a funnel plot of each
authority's value against its denominator (children aged 0-17 for a rate per 10,000) with 95%
and 99.8% limits around the regional value (``methods.funnel``; overdispersion allowed for when
found, and said so), a table of each authority's value, 95% interval (Wilson for proportions,
exact Poisson for rates), position against the limits and rank with its 95% interval (by
simulation: a rank alone misleads), the authorities outside the 99.8% limits named in words,
and the regional median and range by month for the last two years.

Aggregates only. Disclosure control per authority: an authority whose numerator, or
denominator minus numerator, is between 1 and ``min_cell - 1`` has its value withheld from the
table and the plot (it still counts in the regional value, which does not disclose it).
Written as one static page, ``reports/region/<quarter>/index.html``, with PNG figures beside it.
"""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cscbook.config.errors import UserError  # noqa: E402
from cscbook.config.region import RegionParams  # noqa: E402
from cscbook.measures.registry import Measure, all_measures  # noqa: E402
from cscbook.methods.funnel import FunnelResult, funnel, rank_intervals  # noqa: E402
from cscbook.methods.intervals import poisson_exact  # noqa: E402
from cscbook.report.outputs import PALETTE, use_style  # noqa: E402

RATE_PER = 10_000


def comparison_measures(region: RegionParams) -> list[Measure]:
    """The measures compared: the region file's, else every headline proportion and rate."""
    known = {m.key: m for m in all_measures()}
    if region.measures:
        unknown = [k for k in region.measures if k not in known]
        if unknown:
            raise UserError(f"Region parameter file {region.source_file}: key 'measures' names {', '.join(unknown)}, "
                            f"not a registered measure. Known: {', '.join(sorted(known))}.")  # fmt: skip
        chosen = [known[k] for k in region.measures]
    else:
        chosen = [m for m in known.values() if m.headline and m.kind in ("proportion", "rate")]
    bad = [
        m.key
        for m in chosen
        if m.kind not in ("proportion", "rate") or (m.kind == "rate" and "10,000" not in m.unit)
    ]
    if bad:
        raise UserError(f"Region parameter file {region.source_file}: the measures {', '.join(bad)} are not "
                        "proportions or rates per 10,000 children, which are what a funnel plot compares.")  # fmt: skip
    return chosen


def quarter_rows(table: pd.DataFrame, measure: Measure, region: RegionParams) -> pd.DataFrame:
    """One row per authority for the quarter ending the period end: authority, numerator,
    denominator, value, ci_low, ci_high, shown (False when withheld or not available), note.
    A rate's value and interval are per child (its count over the 0-17 population), shown per 10,000."""
    pops = {p.authority: p.population_0_17 for p in region.authorities}
    t = table[(table["key"] == measure.key) & (table["period_type"] == "quarter")
              & (pd.to_datetime(table["period_end"]) == region.period_end)].copy()  # fmt: skip
    t = t.drop_duplicates("authority")
    if measure.kind == "rate":
        t["denominator"] = t["authority"].map(pops).astype(float)
        # the table's rate is per 10,000 children; here, as for proportions, values are per child
        t["numerator"] = np.round(t["value"] * t["denominator"] / RATE_PER)
        t["value"] = t["value"] / RATE_PER
        lo, hi = poisson_exact(t["numerator"].fillna(0).to_numpy())
        t["ci_low"], t["ci_high"] = lo / t["denominator"], hi / t["denominator"]
    available = t["value"].notna() & (t["denominator"] > 0)
    small = (t["numerator"].between(1, region.min_cell - 1)
             | (t["denominator"] - t["numerator"]).between(1, region.min_cell - 1))  # fmt: skip
    if measure.kind == "rate":
        small = t["numerator"].between(1, region.min_cell - 1)
    t["shown"] = available & ~small
    t["note"] = np.select([~available, small], ["not available in this extract",
                                                f"withheld: a count below {region.min_cell}"], "")  # fmt: skip
    return t[
        ["authority", "numerator", "denominator", "value", "ci_low", "ci_high", "shown", "note"]
    ].reset_index(drop=True)


def compare(rows: pd.DataFrame, measure: Measure) -> tuple[FunnelResult | None, pd.DataFrame]:
    """The funnel over the authorities with a value (withheld ones count in the regional value but
    are not placed) and the table with position and rank interval columns."""
    usable = rows[rows["value"].notna() & (rows["denominator"] > 0)]
    if len(usable) < 3:
        return None, rows.assign(position="", rank="", rank_low=np.nan, rank_high=np.nan)
    kind = "proportion" if measure.kind == "proportion" else "rate"
    res = funnel(usable["authority"], usable["numerator"], usable["denominator"], kind=kind)
    better = measure.higher_is_better if measure.higher_is_better is not None else True
    ranks = rank_intervals(usable["authority"], usable["numerator"], usable["denominator"], kind=kind,
                           higher_is_better=better)  # fmt: skip
    out = rows.merge(res.units[["name", "position", "lo998", "hi998"]].rename(columns={"name": "authority"}),
                     on="authority", how="left")  # fmt: skip
    out = out.merge(ranks.rename(columns={"name": "authority"}), on="authority", how="left")
    hidden = ~out["shown"]
    out.loc[hidden, ["position", "rank", "rank_low", "rank_high"]] = np.nan
    return res, out


def _scale(measure: Measure) -> float:
    return 100.0 if measure.kind == "proportion" else RATE_PER


def _fmt(v: float, measure: Measure) -> str:
    if pd.isna(v):
        return "-"
    return f"{v * 100:.1f}%" if measure.kind == "proportion" else f"{v * RATE_PER:.1f}"


def outlier_words(res: FunnelResult | None, rows: pd.DataFrame, measure: Measure) -> str:
    """The authorities outside the 99.8% limits, in a sentence (withheld ones are not named)."""
    if res is None:
        return "Fewer than 3 authorities have a value, so there is no comparison."
    shown = set(rows.loc[rows["shown"], "authority"])
    out = res.outside("99.8")
    out = out[out["name"].isin(shown)]
    region_value = _fmt(res.target, measure)
    if out.empty:
        return (f"Every authority is within the 99.8% limits around the regional value of {region_value}: "
                "the differences between them are what chance alone would give.")  # fmt: skip
    hib = measure.higher_is_better

    def side(pos: str) -> str:
        if hib is None:
            return ""
        return " (better)" if (pos == "above") == hib else " (worse)"

    parts = [f"{r.name} {_fmt(r.value, measure)}, {r.position}{side(r.position)}" for r in out.itertuples()]
    return (f"Outside the 99.8% limits around the regional value of {region_value}: {'; '.join(parts)}. "
            "These differences are unlikely to be chance alone; look at how each records and works before "
            "concluding that practice differs.")  # fmt: skip


def funnel_figure(res: FunnelResult, rows: pd.DataFrame, measure: Measure, path: Path) -> str:
    """Draw the funnel plot to ``path`` (PNG); return its alt text (naming the outliers)."""
    use_style()
    k = _scale(measure)
    shown = rows[rows["shown"] & rows["position"].notna()]
    n_max = float(shown["denominator"].max()) if len(shown) else 1.0
    grid = np.linspace(
        max(1.0, float(shown["denominator"].min()) * 0.5 if len(shown) else 1.0), n_max * 1.15, 200
    )
    lim = res.limits(grid)
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    ax.axhline(res.target * k, color="black", lw=1.2, label="Regional value")
    ax.plot(lim["n"], lim["lo95"] * k, color=PALETTE[0], ls="--", lw=1, label="95% limits")
    ax.plot(lim["n"], lim["hi95"] * k, color=PALETTE[0], ls="--", lw=1)
    ax.plot(lim["n"], lim["lo998"] * k, color=PALETTE[3], ls="-", lw=1, label="99.8% limits")
    ax.plot(lim["n"], lim["hi998"] * k, color=PALETTE[3], ls="-", lw=1)
    outside = shown["position"].isin(["above", "below"])
    ax.scatter(shown.loc[~outside, "denominator"], shown.loc[~outside, "value"] * k, color=PALETTE[2], zorder=3,
               label="Authority")  # fmt: skip
    if outside.any():
        ax.scatter(shown.loc[outside, "denominator"], shown.loc[outside, "value"] * k, color=PALETTE[3], marker="D",
                   s=60, zorder=4, label="Outside 99.8% limits")  # fmt: skip
    for r in shown.itertuples():
        ax.annotate(
            str(r.authority),
            (r.denominator, r.value * k),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=10,
        )
    unit = "%" if measure.kind == "proportion" else "per 10,000 children"
    ax.set_xlabel("Children aged 0-17" if measure.kind == "rate" else "Denominator (this quarter)")
    ax.set_ylabel(unit)
    ax.set_title(measure.label, fontsize=13)
    ax.legend(fontsize=9, loc="best")
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)
    names = ", ".join(f"{r.authority} ({r.position})" for r in shown[outside].itertuples())
    return (
        f"Funnel plot of {measure.label.lower()} by authority against its size, with 95% and 99.8% limits "
        f"around the regional value of {_fmt(res.target, measure)}. "
        + (f"Outside the 99.8% limits: {names}." if names else "No authority is outside the 99.8% limits.")
    )


def regional_trend(
    table: pd.DataFrame, measure: Measure, region: RegionParams, months: int = 24
) -> pd.DataFrame:
    """Regional median, lowest and highest authority value by month (last ``months`` months);
    months where an authority's count is withheld leave that authority out."""
    t = table[(table["key"] == measure.key) & (table["period_type"] == "month")].copy()
    if t.empty:
        return pd.DataFrame(columns=["month", "median", "low", "high", "authorities"])
    t["month"] = pd.to_datetime(t["period_start"])
    t = t[t["month"] > region.period_end - pd.DateOffset(months=months)]
    if measure.kind == "proportion":
        small = t["numerator"].between(1, region.min_cell - 1) | (t["denominator"] - t["numerator"]).between(
            1, region.min_cell - 1
        )
        t = t[~small & (t["denominator"] > 0)]
    t = t[t["value"].notna()]
    g = t.groupby("month")["value"]
    return pd.DataFrame(
        {"median": g.median(), "low": g.min(), "high": g.max(), "authorities": g.size()}
    ).reset_index()


def trend_figure(trend: pd.DataFrame, measure: Measure, path: Path) -> str:
    use_style()
    k = _scale(measure)
    fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    ax.fill_between(trend["month"], trend["low"] * k, trend["high"] * k, color=PALETTE[5], alpha=0.35,
                    label="Range (lowest to highest authority)")  # fmt: skip
    ax.plot(trend["month"], trend["median"] * k, color=PALETTE[0], lw=2, label="Regional median")
    ax.set_ylabel("%" if measure.kind == "proportion" else "per 10,000")
    ax.set_title(f"{measure.label}: regional median and range by month", fontsize=12)
    ax.legend(fontsize=9)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    last = trend.iloc[-1]
    return (f"Line chart of the regional median of {measure.label.lower()} by month, {trend['month'].min():%B %Y} to "
            f"{trend['month'].max():%B %Y}, with the range between authorities shaded; in {last['month']:%B %Y} "
            f"the median was {_fmt(last['median'], measure)} (range {_fmt(last['low'], measure)} to "
            f"{_fmt(last['high'], measure)}).")  # fmt: skip


def _table_html(rows: pd.DataFrame, measure: Measure) -> str:
    head = ("<tr><th>Authority</th><th>Value</th><th>95% interval</th><th>Denominator</th>"
            "<th>Against the funnel</th><th>Rank (95% interval)</th></tr>")  # fmt: skip
    words = {"above": "above 99.8% limits", "below": "below 99.8% limits", "above95": "above 95% limits only",
             "below95": "below 95% limits only", "within": "within limits"}  # fmt: skip
    body = []
    for r in rows.sort_values("value", ascending=measure.higher_is_better is False).itertuples():
        if not r.shown:
            cells = [r.authority, r.note, "", "", "", ""]
        else:
            rank = f"{r.rank:g} ({int(r.rank_low)} to {int(r.rank_high)})" if pd.notna(r.rank) else "-"
            den = f"{r.denominator:,.0f}"
            cells = [r.authority, _fmt(r.value, measure), f"{_fmt(r.ci_low, measure)} to {_fmt(r.ci_high, measure)}",
                     den, words.get(r.position, "-"), rank]  # fmt: skip
        body.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def write_report(region: RegionParams, table: pd.DataFrame, failures: pd.DataFrame | None = None) -> Path:
    """Write ``reports/region/<quarter>/index.html`` and its figures; return the page's path."""
    out = region.reports_dir
    figs = out / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    sections, summary = [], []
    for m in comparison_measures(region):
        rows = quarter_rows(table, m, region)
        res, rows = compare(rows, m)
        words = outlier_words(res, rows, m)
        summary.append({"key": m.key, "label": m.label, "regional_value": res.target if res else np.nan,
                        "outside_99_8": "; ".join(f"{r.authority} ({r.position})" for r in rows.itertuples()
                                                   if r.shown and r.position in ("above", "below")),
                        "method": res.method if res else ""})  # fmt: skip
        part = [f"<h2 id='{m.key}'>{html.escape(m.label)}</h2>", f"<p>{html.escape(m.definition)}</p>",
                f"<p><strong>{html.escape(words)}</strong></p>"]  # fmt: skip
        if res is not None:
            alt = funnel_figure(res, rows, m, figs / f"{m.key}_funnel.png")
            part += [f"<figure><img src='figures/{m.key}_funnel.png' alt='{html.escape(alt, quote=True)}' "
                     f"width='750'><figcaption>Funnel plot: {html.escape(m.label)}, this quarter, by the "
                     "authority's size.</figcaption></figure>",
                     f"<p>{html.escape(res.method)}</p>"]  # fmt: skip
        part.append(_table_html(rows, m))
        part.append("<p>Ranks are shown with the range they would take in 95% of repeats given each "
                    "authority's numbers: where the ranges overlap, the order is not certain.</p>")  # fmt: skip
        trend = regional_trend(table, m, region)
        if len(trend) >= 2:
            alt = trend_figure(trend, m, figs / f"{m.key}_trend.png")
            part.append(f"<figure><img src='figures/{m.key}_trend.png' alt='{html.escape(alt, quote=True)}' "
                        f"width='750'><figcaption>{html.escape(m.label)}: regional median and range by "
                        "month.</figcaption></figure>")  # fmt: skip
        sections.append("\n".join(part))
    pd.DataFrame(summary).to_csv(out / "outliers.csv", index=False)
    left_out = ""
    if failures is not None and len(failures):
        items = "".join(
            f"<li>{html.escape(r.authority)}: {html.escape(r.message)}</li>" for r in failures.itertuples()
        )
        left_out = f"<h2>Authorities left out</h2><ul>{items}</ul>"
    banner = (
        "<p class='synthetic'>Synthetic data: no real authority or child.</p>" if region.synthetic else ""
    )
    n = len(region.authorities) - (0 if failures is None else len(failures))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(region.region)}: {region.quarter}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem;line-height:1.4}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2rem .5rem;text-align:left}}
img{{max-width:100%;height:auto}}.synthetic{{background:#fde;padding:.5rem}}</style></head>
<body><h1>{html.escape(region.region)}: quarter ending {region.period_end:%d %B %Y}</h1>{banner}
<p>{n} authorities compared. Each authority is compared with the region, not ranked alone: a funnel plot
shows where chance alone would put an authority of its size. Aggregates only; counts below
{region.min_cell} are withheld.</p>
{left_out}
{"".join(sections)}
</body></html>
"""
    path = out / "index.html"
    path.write_text(page)
    return path
