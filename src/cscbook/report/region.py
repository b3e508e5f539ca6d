"""The regional report: each compared measure's funnel plot, table with intervals and ranks, outliers in words.

For each measure (the region file's ``measures``, default every headline proportion and the
children-in-care rate) and the quarter ending the period end: a funnel plot of each
authority's value against its denominator (children aged 0-17 for a rate per 10,000) with 95%
and 99.8% limits around the regional value (``methods.funnel``; overdispersion allowed for when
found, and said so), a table of each authority's value, 95% interval (Wilson for proportions,
exact Poisson for rates), position against the limits and rank with its 95% interval (by
simulation: a rank alone misleads), the authorities outside the 99.8% limits named in words,
and the regional median and range by month for the last two years. A measure where neither a
higher nor a lower value is better (``higher_is_better is None``) is not ranked, and its words
say above or below, never better or worse.

Aggregates only. Disclosure control per authority: an authority whose numerator, or
denominator minus numerator, is between 1 and ``min_cell - 1`` has its value withheld from the
table, the plot, the ranks and the table's order (it is listed last, by name); it still counts
in the regional value, which does not disclose it.

Written as the MyST markdown pages of a Jupyter Book (``write_pages``: ``index.md``, one page
per measure, ``methods.md``, PNG figures in ``figures/``); ``book.region`` builds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from cscbook.config.errors import UserError  # noqa: E402
from cscbook.config.periods import quarter_name  # noqa: E402
from cscbook.config.region import RegionParams  # noqa: E402
from cscbook.measures.registry import Measure, all_measures  # noqa: E402
from cscbook.methods.funnel import DISPERSION_ALPHA, WINSOR, FunnelResult, funnel, rank_intervals  # noqa: E402
from cscbook.methods.intervals import poisson_exact  # noqa: E402
from cscbook.report.outputs import PALETTE, legible, use_style  # noqa: E402

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
    are not placed) and the table with position and rank interval columns. Ranks (1 = best) are
    among the authorities shown only, so that no rank reveals where a withheld value lies; a
    measure with no better direction is not ranked (rank columns missing)."""
    usable = rows[rows["value"].notna() & (rows["denominator"] > 0)]
    if len(usable) < 3:
        return None, rows.assign(position="", rank=np.nan, rank_low=np.nan, rank_high=np.nan)
    kind = "proportion" if measure.kind == "proportion" else "rate"
    res = funnel(usable["authority"], usable["numerator"], usable["denominator"], kind=kind)
    out = rows.merge(res.units[["name", "position", "lo998", "hi998"]].rename(columns={"name": "authority"}),
                     on="authority", how="left")  # fmt: skip
    shown = usable[usable["shown"]]
    if measure.higher_is_better is None or shown.empty:
        out[["rank", "rank_low", "rank_high"]] = np.nan
    else:
        ranks = rank_intervals(shown["authority"], shown["numerator"], shown["denominator"], kind=kind,
                               higher_is_better=measure.higher_is_better)  # fmt: skip
        out = out.merge(ranks.rename(columns={"name": "authority"}), on="authority", how="left")
    out.loc[~out["shown"], ["position", "rank", "rank_low", "rank_high"]] = np.nan
    return res, out


def _scale(measure: Measure) -> float:
    return 100.0 if measure.kind == "proportion" else RATE_PER


def _fmt(v: float, measure: Measure) -> str:
    """A value per child as shown: a percentage to 0.1 for a proportion, per 10,000 to 0.1 for a rate."""
    if pd.isna(v):
        return "-"
    return f"{v * 100:.1f}%" if measure.kind == "proportion" else f"{v * RATE_PER:.1f}"


def _fmt_unit(v: float, measure: Measure) -> str:
    """``_fmt`` with the unit of a rate said (``58.3 per 10,000``), for sentences."""
    return _fmt(v, measure) + (" per 10,000" if measure.kind == "rate" and pd.notna(v) else "")


def side_word(measure: Measure, position: str) -> str:
    """The words after a position "above"/"below" the limits: " (better)" or " (worse)"; none when
    neither a higher nor a lower value is better."""
    if measure.higher_is_better is None:
        return ""
    return " (better)" if (position == "above") == measure.higher_is_better else " (worse)"


def outlier_words(res: FunnelResult | None, rows: pd.DataFrame, measure: Measure) -> str:
    """The authorities outside the 99.8% limits, in a sentence (withheld ones are not named)."""
    if res is None:
        return "Fewer than 3 authorities have a value, so there is no comparison."
    shown = set(rows.loc[rows["shown"], "authority"])
    out = res.outside("99.8")
    out = out[out["name"].isin(shown)]
    region_value = _fmt_unit(res.target, measure)
    if out.empty:
        every = "Every authority" if rows["shown"].all() else "Every authority shown"
        return (f"{every} is within the 99.8% limits around the regional value of {region_value}: "
                "the differences between them are what chance alone would give.")  # fmt: skip
    parts = [f"{r.name} {_fmt_unit(r.value, measure)}, {r.position}{side_word(measure, r.position)}"
             for r in out.itertuples()]  # fmt: skip
    return (f"Outside the 99.8% limits around the regional value of {region_value}: {'; '.join(parts)}. "
            "These differences are unlikely to be chance alone; look at how each records and works before "
            "concluding that practice differs.")  # fmt: skip


def funnel_figure(res: FunnelResult, rows: pd.DataFrame, measure: Measure, path: Path) -> str:
    """Draw the funnel plot to ``path`` (PNG), naming the authorities outside the 99.8% limits (more
    names overlap at a phone's width, or in a region of 150); return its alt text (naming them)."""
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
    for r in shown[outside].itertuples():  # the others are in the table: more names would clash
        ax.annotate(str(r.authority), (r.denominator, r.value * k), xytext=(4, 4), textcoords="offset points")
    unit = "%" if measure.kind == "proportion" else "per 10,000 children"
    ax.set_xlabel("Children aged 0-17" if measure.kind == "rate" else "Denominator (this quarter)")
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.set_ylabel(unit)
    ax.set_title(measure.label)
    ax.legend()
    legible(fig)  # phone-readable text, the legend under the plot
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
    """Regional median, lowest and highest authority value by month (last ``months`` months), per
    child as ``quarter_rows`` (a rate per 10,000 divided by 10,000); months where an authority's
    count is withheld leave that authority out."""
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
    else:  # a rate per 10,000: per child, and its count of children from the authority's 0-17 population
        t["value"] = t["value"] / RATE_PER
        pops = t["authority"].map({p.authority: p.population_0_17 for p in region.authorities})
        t = t[~np.round(t["value"] * pops).between(1, region.min_cell - 1)]
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
    ax.set_title(f"{measure.label}: regional median and range by month")
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.legend()
    legible(fig)
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)
    last = trend.iloc[-1]
    return (f"Line chart of the regional median of {measure.label.lower()} by month, {trend['month'].min():%B %Y} to "
            f"{trend['month'].max():%B %Y}, with the range between authorities shaded; in {last['month']:%B %Y} "
            f"the median was {_fmt(last['median'], measure)} (range {_fmt(last['low'], measure)} to "
            f"{_fmt(last['high'], measure)}).")  # fmt: skip


# --------------------------------------------------------------------------- the book's pages

POSITION_WORDS = {"above": "above the 99.8% limits", "below": "below the 99.8% limits",
                  "above95": "above the 95% limits only", "below95": "below the 95% limits only",
                  "within": "within the limits"}  # fmt: skip
NOT_RANKED = "not ranked: neither higher nor lower is better"
TABLE_COLUMNS = [
    "Authority",
    "Value",
    "95% interval",
    "Denominator",
    "Against the funnel",
    "Rank (95% interval)",
]
_INLINE = re.compile(r"([\\`*_\[\]<>|$#{}!&~])")
_LEADING = re.compile(r"^(\d+)([.)])|^([-+=>])")


def md(text: object) -> str:
    """``text`` as literal MyST markdown on one line: the characters markdown acts on inline
    (``* _ [ ] < > | $ # { } ! & ~`` backquote, backslash) escaped, and a leading ``-``, ``+``, ``=``,
    ``>`` or ``1.`` that would start a list, heading or quote (an authority's name or a message
    may hold any of them)."""
    text = _INLINE.sub(r"\\\1", " ".join(str(text).split()))
    return _LEADING.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)


@dataclass(frozen=True)
class Section:
    """One compared measure this quarter: ``compare``'s table, the funnel (None with fewer than 3
    authorities with a value), the outliers in words and the regional trend by month."""

    measure: Measure
    rows: pd.DataFrame
    res: FunnelResult | None
    words: str
    trend: pd.DataFrame

    @property
    def outliers(self) -> pd.DataFrame:
        """Authorities shown and outside the 99.8% limits, highest value first."""
        r = self.rows
        return r[r["shown"] & r["position"].isin(["above", "below"])].sort_values("value", ascending=False)


def sections(region: RegionParams, table: pd.DataFrame) -> list[Section]:
    """Every compared measure's ``Section`` (no drawing)."""
    out = []
    for m in comparison_measures(region):
        res, rows = compare(quarter_rows(table, m, region), m)
        out.append(Section(m, rows, res, outlier_words(res, rows, m), regional_trend(table, m, region)))
    return out


def table_cells(rows: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """The measure's table as read (``TABLE_COLUMNS``, text; a rate's denominator is "Children aged
    0-17"). Authorities shown come first in order of value, best first (highest first when neither
    direction is better), then those withheld or without a value, by name, with only "withheld" or
    "not available" and the reason: their place in the order would disclose it."""
    shown = rows[rows["shown"]].sort_values(["value", "authority"], ascending=[measure.higher_is_better is False,
                                                                                True])  # fmt: skip
    hidden = rows[~rows["shown"]].sort_values("authority")
    f = {c: shown[c].map(lambda v: _fmt(v, measure)) for c in ("value", "ci_low", "ci_high")}
    if measure.higher_is_better is None:
        rank = pd.Series(NOT_RANKED, index=shown.index)
    else:
        rank = pd.Series([f"{r:g} ({lo:.0f} to {hi:.0f})" if pd.notna(r) else "-"
                          for r, lo, hi in zip(shown["rank"], shown["rank_low"], shown["rank_high"], strict=True)],
                         index=shown.index, dtype=object)  # fmt: skip
    top = pd.DataFrame({"Authority": shown["authority"], "Value": f["value"],
                        "95% interval": (f["ci_low"] + " to " + f["ci_high"]).where(
                            shown["ci_low"].notna() & shown["ci_high"].notna(), "-"),
                        "Denominator": shown["denominator"].map("{:,.0f}".format),
                        "Against the funnel": shown["position"].map(POSITION_WORDS).fillna("-"),
                        "Rank (95% interval)": rank})  # fmt: skip
    withheld = hidden["note"].str.startswith("withheld")
    reason = np.where(withheld, hidden["note"].str.removeprefix("withheld: "), "not in this extract")
    bottom = pd.DataFrame({"Authority": hidden["authority"], "Value": np.where(withheld, "withheld", "not available"),
                           "Against the funnel": "not compared: " + pd.Series(reason, index=hidden.index, dtype=str)}
                          ).reindex(columns=TABLE_COLUMNS, fill_value="")  # fmt: skip
    out = pd.concat([top, bottom], ignore_index=True)[TABLE_COLUMNS].astype(str)
    return out.rename(columns={"Denominator": "Children aged 0-17"}) if measure.kind == "rate" else out


def _pipe_table(cells: pd.DataFrame, caption: str, name: str) -> str:
    head = "| " + " | ".join(md(c) for c in cells.columns) + " |"
    rule = "|" + "---|" * cells.shape[1]
    body = ["| " + " | ".join(md(c) for c in row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join([f"```{{table}} {md(caption)}", f":name: {name}", ":class: cscbook-region", "", head, rule,
                      *body, "```"])  # fmt: skip


def _figure(path: str, alt: str, name: str, caption: str) -> str:
    return "\n".join([f"```{{figure}} {path}", f":alt: {' '.join(alt.split())}", f":name: {name}", "",
                      md(caption), "```"])  # fmt: skip


def rank_sentence(measure: Measure) -> str:
    """What the rank column means for this measure."""
    if measure.higher_is_better is None:
        return ("This measure is not ranked: neither a higher nor a lower value is better, so the table is in "
                "order of value, highest first, and the words say above or below, not better or worse.")  # fmt: skip
    best = "highest" if measure.higher_is_better else "lowest"
    return (f"Rank 1 is the {best} value. Each rank is shown with the range it would take in 95% of repeats "
            "given each authority's numbers: where the ranges overlap, the order is not certain.")  # fmt: skip


def measure_page(sec: Section, funnel_alt: str, trend_alt: str) -> str:
    """One measure's page (MyST): definition, outliers in words, funnel figure, method, table, trend.
    ``funnel_alt``/``trend_alt``: the figures' alt text, "" when the figure was not drawn."""
    m = sec.measure
    parts = [f"# {md(m.label)}", md(m.definition), f"**{md(sec.words)}**"]
    if funnel_alt:
        parts += [_figure(f"figures/{m.key}_funnel.png", funnel_alt, f"{m.key}-funnel",
                          f"Funnel plot: {m.label}, this quarter, each authority against its size. Authorities "
                          "outside the 99.8% limits are named; every authority is in the table."),
                  md(sec.res.method if sec.res else "")]  # fmt: skip
    parts += [_pipe_table(table_cells(sec.rows, m), f"{m.label}: each authority this quarter", f"{m.key}-table"),
              md(rank_sentence(m))]  # fmt: skip
    if trend_alt:
        parts += ["## The region by month",
                  _figure(f"figures/{m.key}_trend.png", trend_alt, f"{m.key}-trend",
                          f"{m.label}: regional median and range by month.")]  # fmt: skip
    return "\n\n".join(parts) + "\n"


def finding(sec: Section) -> str:
    """One key-findings list item (MyST): the measure, linked, and who is outside its 99.8% limits."""
    m, link = sec.measure, f"[{md(sec.measure.label)}]({sec.measure.key}.md)"
    if sec.res is None:
        return f"- {link}: fewer than 3 authorities have a value, so there is no comparison."
    out = sec.outliers
    if out.empty:
        return f"- {link}: no authority outside the 99.8% limits."
    names = "; ".join(f"{r.authority} {_fmt_unit(r.value, m)}, {r.position}{side_word(m, r.position)}"
                      for r in out.itertuples())  # fmt: skip
    return f"- {link}: {md(names)}."


def left_out_reason(message: str, fault: bool) -> str:
    """Why an authority was left out, for readers: the extract's problem as ``cscbook`` reported it
    (messages written for users name files, lists and columns, not records), but for a fault in
    cscbook (``fault``; its message may quote a value from the data) only that it failed."""
    if fault:
        return "cscbook failed on this extract; the details for the analyst are in the run's failures.csv."
    return message


def index_page(region: RegionParams, secs: list[Section], failures: pd.DataFrame | None) -> str:
    """The landing page (MyST): region, quarter, synthetic banner, who was compared and left out,
    how to read a funnel plot, key findings."""
    failed = [] if failures is None else list(failures["authority"])
    names = [p.authority for p in region.authorities if p.authority not in failed]
    end = region.period_end
    start = end - pd.DateOffset(months=2)
    parts = [f"# {md(region.region)}: regional comparison",
             f"**{md(quarter_name(end))}** ({start:%B} to {end:%B %Y}), quarter ending {end:%-d %B %Y}."]  # fmt: skip
    if region.synthetic:
        parts.append("```{warning}\n**Synthetic data.** Every authority in this report is generated example data. "
                     "No real authority, child, family or worker is described.\n```")  # fmt: skip
    parts += ["## Key findings",
              "Authorities outside the 99.8% limits of each measure's funnel plot: differences unlikely to be "
              "chance alone. Each measure's page shows every authority with its interval.",
              "\n".join(finding(s) for s in secs) or "No measure was compared.",
              "## Authorities compared",
              md(f"{len(names)} of {len(region.authorities)} authorities compared: {', '.join(names)}.")]  # fmt: skip
    if failed:
        parts += ["Left out, because their extract could not be used:",
                  "\n".join(f"- {md(a)}: {md(left_out_reason(msg, fault))}" for a, msg, fault in zip(
                      failures["authority"], failures["message"],
                      failures.get("fault", pd.Series(False, index=failures.index)), strict=True))]  # fmt: skip
    parts += [md(f"On each measure's page, an authority whose extract does not hold the measure, or whose count "
                 f"is below {region.min_cell}, is listed with the reason and no value."),
              "## How to read a funnel plot",
              "Each dot is an authority: across, its size (how many children or cases the measure counts); up, "
              "its value this quarter. The horizontal line is the regional value. The two funnels are the range "
              "in which an authority of that size would fall by chance alone if its true value were the "
              "regional one: 95% of the time within the dashed lines, 99.8% of the time within the solid lines. "
              "Small authorities have wide limits because a few children move their percentage a lot.",
              "A dot outside the solid lines is unlikely to be chance alone and is named in words; it is a "
              "question to ask (how the authority records, who it serves, how it works), not a verdict. A dot "
              "between the dashed and solid lines is worth watching. Ranks are shown only with their 95% "
              "interval, because a single rank overstates how certain the order is. The "
              "[methods](methods.md) page gives the details."]  # fmt: skip
    return "\n\n".join(parts) + "\n"


def methods_page(region: RegionParams) -> str:
    """The methods page (MyST): limits, overdispersion, disclosure control, rank intervals."""
    return "\n\n".join([
        "# Methods",
        "## Funnel limits",
        "For each measure the regional value is the pooled value of every authority with a value: all their "
        "numerators over all their denominators (children aged 0-17 for a rate per 10,000 children, from the "
        "region file's populations). The limits at each size are exact binomial (proportions) or Poisson "
        "(rates) limits around the regional value at 95% and 99.8%, two-sided (Spiegelhalter 2005, Statistics "
        "in Medicine 24:1185-1202). An authority is outside when its value is beyond the limit at its own size.",
        "## Overdispersion",
        md(f"Authorities often differ more than chance alone would make them (different populations and "
           f"recording). Each authority's z-score against the regional value is winsorised at the "
           f"{WINSOR:.0%} and {1 - WINSOR:.0%} points (so one outlier does not widen every limit); the mean "
           f"squared z-score, times the number of authorities, is tested against a chi-square distribution. "
           f"When that test finds overdispersion (p below {DISPERSION_ALPHA}), the limits are widened by a "
           f"random-effects (additive, DerSimonian-Laird) between-authority spread, and the measure's page "
           f"says so with the dispersion ratio and its p-value."),
        "## Intervals and ranks",
        "Each authority's value has a 95% interval: Wilson for a proportion, exact Poisson for a rate. Ranks "
        "(1 = best) are simulated: each authority's value is drawn 2,000 times from its Jeffreys posterior, "
        "ranked in every draw, and the rank's 95% interval is the central 95% of its simulated ranks. A "
        "measure where neither a higher nor a lower value is better is not ranked.",
        "## Disclosure control",
        md(f"Aggregates only: no child's identifier, date of birth, name, worker or postcode is in this report. "
           f"An authority whose count (or, for a proportion, the count not meeting it) is between 1 and "
           f"{region.min_cell - 1} has its value, interval, position and rank withheld; it is listed after the "
           f"others, by name, so its place does not disclose its value, and ranks are among the authorities "
           f"shown. It still counts in the regional value, which does not disclose it. Months with such a count "
           f"are left out of the regional median and range."),
    ]) + "\n"  # fmt: skip


def outlier_summary(secs: list[Section]) -> pd.DataFrame:
    """``outliers.csv``: per measure, the regional value, who is outside the 99.8% limits and the method."""
    return pd.DataFrame([{"key": s.measure.key, "label": s.measure.label,
                          "regional_value": s.res.target if s.res else np.nan,
                          "outside_99_8": "; ".join(f"{r.authority} ({r.position})" for r in s.outliers.itertuples()),
                          "method": s.res.method if s.res else ""} for s in secs],
                        columns=["key", "label", "regional_value", "outside_99_8", "method"])  # fmt: skip


def write_pages(
    region: RegionParams, table: pd.DataFrame, failures: pd.DataFrame | None, src: Path
) -> list[str]:
    """Write the book's pages (``index.md``, ``<measure key>.md``, ``methods.md``) and figures
    (``figures/*.png``) into ``src``, and ``outliers.csv`` into the region's reports folder; return
    the pages' names in reading order."""
    figs = Path(src) / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    secs = sections(region, table)
    for s in secs:
        key = s.measure.key
        falt = (
            funnel_figure(s.res, s.rows, s.measure, figs / f"{key}_funnel.png") if s.res is not None else ""
        )
        talt = trend_figure(s.trend, s.measure, figs / f"{key}_trend.png") if len(s.trend) >= 2 else ""
        (Path(src) / f"{key}.md").write_text(measure_page(s, falt, talt), encoding="utf-8")
    (Path(src) / "index.md").write_text(index_page(region, secs, failures), encoding="utf-8")
    (Path(src) / "methods.md").write_text(methods_page(region), encoding="utf-8")
    region.reports_dir.mkdir(parents=True, exist_ok=True)
    outlier_summary(secs).to_csv(region.reports_dir / "outliers.csv", index=False)
    return ["index", *(s.measure.key for s in secs), "methods"]
