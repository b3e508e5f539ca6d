"""The practice standards chapter: tables, figures and sentences from the registry's measures.

``build_chapter(ctx)`` computes the measures once (``compute_all``) and, for each practice
standard, its status at the period end (``cscbook.measures.practice``), the breakdown by team
(small teams grouped) and by age band where the standard differs by age. Percentages are
0-100; targets and England figures are shown on the same scale.

A team is called *clearly behind* (or *ahead*) on a standard when its percentage differs from
that of all other teams together by more than chance would explain: a two-proportion z-test
with the significance level divided by the number of comparisons in the chapter (Bonferroni,
5% overall).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook.config.params import Params
from cscbook.data.reference import benchmark_series
from cscbook.measures import practice as pr
from cscbook.measures.compute import MeasureResults, compute_all
from cscbook.measures.registry import NotAvailable
from cscbook.methods.compare import two_proportion_test
from cscbook.report.chapter import Chapter, Figure
from cscbook.report.outputs import NEUTRAL, PALETTE

ALL_TEAMS = "All teams"
SECTIONS = (pr.CIC, pr.CP, pr.CIN, pr.LEAVERS, pr.FRONT, pr.PLANS)
BANDED = ("cla_health_up_to_date",)  # pathway plans' age bands are two standards of their own
SHORT = {
    "cla_visits_in_time": "CiC visits", "cla_reviews_in_time": "CiC reviews", "cla_health_up_to_date": "Health",
    "cla_iha_20wd": "Initial health", "cla_dental_up_to_date": "Dental", "cla_iro_in_time": "IRO contact",
    "cp_reviews_in_time": "CP reviews", "cp_visits_in_time": "CP visits", "cin_seen_in_time": "CIN seen",
    "pathway_plan_18_21": "Pathway 18-21", "pathway_plan_16_17": "Pathway 16-17",
    "care_leavers_in_touch": "In touch", "care_leavers_suitable": "Suitable accom.",
    "strategy_discussion_1wd": "Strategy 1 wd", "referral_visit_5wd": "Seen 5 wd", "referral_visit_10wd": "Seen 10 wd",
    "cin_plan_up_to_date": "CIN plan", "cp_plan_up_to_date": "CP plan", "cla_plan_up_to_date": "Care plan",
}  # fmt: skip


@dataclass
class PracticeChapter:
    """Everything the chapter shows (aggregates only: no child or worker)."""

    params: Params
    results: MeasureResults
    summary: pd.DataFrame
    teams: dict[str, pd.DataFrame] = field(default_factory=dict)
    bands: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def available(self) -> pd.DataFrame:
        return self.summary[self.summary["available"]]


def _pct(value: float | None) -> float:
    return np.nan if value is None or pd.isna(value) else 100 * float(value)


def _reason(results: MeasureResults, key: str) -> str:
    missing = results.unavailable.get(key)
    return missing.reason if missing is not None else "this measure was not computed in this run"


def england_year(key: str | None, period_end: pd.Timestamp) -> float:
    """The year (ending 31 March) of the England figure shown for ``period_end`` (NaN: none)."""
    if not key:
        return np.nan
    years = benchmark_series(key)["year_ending"]
    years = years[years <= period_end.year]
    return float(years.iloc[-1]) if len(years) else np.nan


def _quarter_status(key: str, ctx_tables, params: Params) -> pd.DataFrame | NotAvailable:
    """Snapshot status, or the quarter's front-door events, of one standard."""
    status = pr.status_of(key, ctx_tables, params)
    if isinstance(status, NotAvailable) or pr.STANDARDS[key]["snapshot"]:
        return status
    months = pd.to_datetime(status["month"])
    q = pd.Timestamp(params.period_end.year, params.period_end.month, 1) - pd.DateOffset(months=2)
    return status[(months >= q) & (months <= params.period_end)]


def build_chapter(ctx, results: MeasureResults | None = None) -> PracticeChapter:
    """The chapter's tables for the context's quarter (``results``: this run's measures, if computed)."""
    params = ctx.params
    results = results or compute_all(ctx.tables, params)
    rows, teams, bands = [], {}, {}
    for key, spec in pr.STANDARDS.items():
        row = results.quarter_row(key)
        available = row is not None and key not in results.unavailable
        status = _quarter_status(key, ctx.tables, params) if available else None
        not_yet = (
            pr.summary(status)["not_yet_due"] if isinstance(status, pd.DataFrame) and spec["snapshot"] else 0
        )
        target = params.targets.get(key)
        rows.append({
            "section": spec["section"], "key": key, "label": spec["label"],
            "standard": pr.standard_text(key, params), "source": spec["source"],
            "met": row["numerator"] if available else np.nan, "due": row["denominator"] if available else np.nan,
            "pct": _pct(row["value"]) if available else np.nan, "not_yet_due": not_yet,
            "target": _pct(target), "england": _pct(row["england"]) if row is not None else np.nan,
            "england_year": england_year(spec["england"], params.period_end),
            "last_quarter": _pct(results.value(key, "last")), "year_ago": _pct(results.value(key, "year_ago")),
            "available": available,
            "note": "" if available else f"Not available in this extract: {_reason(results, key)}.",
        })  # fmt: skip
        if isinstance(status, pd.DataFrame) and len(status):
            teams[key] = pr.by_team(status, params.min_cell)
            if key in BANDED:
                bands[key] = pr.by_band(status, params.min_cell)
    summary = pd.DataFrame(rows)
    for c in ["met", "due", "not_yet_due"]:
        summary[c] = summary[c].astype("Float64").round().astype("Int64")
    return PracticeChapter(params, results, summary, teams, bands)


# ----------------------------------------------------------------------------- teams clearly behind
def team_differences(ch: PracticeChapter, alpha: float = 0.05) -> pd.DataFrame:
    """Per standard and shown team: pct, the rest of the authority's pct, p-value and verdict.

    Each team is compared with all other teams together (pooled two-proportion z-test); the
    verdict is 'behind' or 'ahead' when the p-value is below ``alpha`` / (number of comparisons
    in the chapter) (Bonferroni), so that with no real difference anywhere the chapter flags a
    team in at most 5% of books; '' otherwise.
    """
    parts = []
    for key, t in ch.teams.items():
        total = t[t["team"] == ALL_TEAMS].iloc[0]
        shown = t[(t["team"] != ALL_TEAMS) & t["due"].notna() & (t["due"] > 0)]
        if pd.isna(total["pct"]) or len(shown) < 2:
            continue
        parts.append(pd.DataFrame({"key": key, "label": SHORT[key], "team": shown["team"].to_numpy(),
                                   "met": shown["met"].to_numpy(float), "due": shown["due"].to_numpy(float),
                                   "rest_met": float(total["met"]) - shown["met"].to_numpy(float),
                                   "rest_due": float(total["due"]) - shown["due"].to_numpy(float)}))  # fmt: skip
    cols = ["key", "label", "team", "met", "due", "pct", "rest_pct", "p_value", "verdict"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["pct"] = 100 * out["met"] / out["due"]
    out["rest_pct"] = 100 * out["rest_met"] / out["rest_due"].where(out["rest_due"] > 0)
    z, p = two_proportion_test(out["met"], out["due"], out["rest_met"], out["rest_due"])
    out["p_value"] = p
    significant = np.nan_to_num(p, nan=1.0) < alpha / len(out)
    out["verdict"] = np.where(significant & (z < 0), "behind", np.where(significant & (z > 0), "ahead", ""))
    return out[cols]


# ----------------------------------------------------------------------------- sentences
def _fmt(v: float) -> str:
    return "" if pd.isna(v) else f"{v:.0f}%"


def key_message(ch: PracticeChapter) -> str:
    """The chapter's message: the standards against target, the lowest, the teams clearly behind."""
    pe = ch.params.period_end
    av = ch.available[ch.available["due"].fillna(0) > 0]
    if av.empty:
        return ("**No practice standard can be measured from this extract.** The practice standards need Annex A "
                "Lists 6 to 9 (children in need, child protection plans, children in care and care leavers) with "
                "their latest visit, review and assessment dates.")  # fmt: skip
    text = f"At {pe:%-d %B %Y}, {len(av)} practice standards could be measured from this extract."
    with_target = av[av["target"].notna()]
    if len(with_target):
        met = with_target[with_target["pct"].round(0) >= with_target["target"].round(0)]
        text += f" {len(met)} of the {len(with_target)} with a local target met it."
    low = av.sort_values(["pct", "key"]).iloc[0]
    text += (f" The lowest was {low['label'].lower()}: {low['met']:,} of {low['due']:,} "
             f"({_fmt(low['pct'])}).")  # fmt: skip
    diffs = team_differences(ch)
    behind = diffs[diffs["verdict"] == "behind"]
    if len(behind):
        per_team = behind.groupby("team", sort=True)["label"].agg(list)
        per_team = per_team.loc[per_team.map(len).sort_values(ascending=False, kind="stable").index]
        named = [f"{team} ({', '.join(labels)})" for team, labels in per_team.items()]
        text += (" Clearly behind the rest of the authority (beyond what chance would explain): "
                 f"{'; '.join(named)}.")  # fmt: skip
    else:
        text += " No team is clearly behind the rest of the authority on any standard."
    return text


def trend_message(ch: PracticeChapter) -> str:
    """Last quarter and a year ago, or that the trend starts with this quarter."""
    av = ch.available
    known = av[av["last_quarter"].notna() | av["year_ago"].notna()]
    snapshot = av[[pr.STANDARDS[k]["snapshot"] for k in av["key"]]]
    if known.empty:
        return ("These standards are snapshots at the period end, so there is no earlier figure in this extract: "
                "the trend starts with this quarter. From next quarter the book compares each standard with the "
                "figures it published (the measures history).")  # fmt: skip
    parts = []
    for _, r in known.iterrows():
        prev = r["last_quarter"] if pd.notna(r["last_quarter"]) else r["year_ago"]
        when = "last quarter" if pd.notna(r["last_quarter"]) else "a year ago"
        parts.append(f"{r['label'].lower()} {_fmt(r['pct'])} ({_fmt(prev)} {when})")
    missing = len(snapshot) - len(known[known["key"].isin(snapshot["key"])])
    text = "Compared with earlier quarters: " + "; ".join(parts) + "."
    if missing > 0:
        text += f" {missing} standard(s) have no earlier published figure yet."
    return text


def section_notes(ch: PracticeChapter, section: str) -> list[str]:
    """'Not available in this extract' sentences for a section's standards (naming the column)."""
    s = ch.summary[(ch.summary["section"] == section) & ~ch.summary["available"]]
    return [f"{r['label']}: {r['note'][0].lower()}{r['note'][1:]}" for _, r in s.iterrows()]


# ----------------------------------------------------------------------------- tables for readers
def summary_display(ch: PracticeChapter, section: str | None = None) -> pd.DataFrame:
    """Standard, what counts, in time, due, %, target, England (year), last quarter, a year ago,
    not yet due, source."""
    s = ch.summary if section is None else ch.summary[ch.summary["section"] == section]
    s = s[s["available"]]

    def count(v) -> str:
        return "" if pd.isna(v) else f"{int(v):,}"

    return pd.DataFrame({
        "Standard": s["label"], "What counts": s["standard"].str[:1].str.upper() + s["standard"].str[1:],
        "In time": s["met"].map(count), "Due": s["due"].map(count), "%": s["pct"].map(_fmt),
        "Target": s["target"].map(_fmt),
        "England": [("" if pd.isna(v) else f"{v:.0f}% ({y:.0f})") for v, y in zip(s["england"], s["england_year"], strict=True)],
        "Last quarter": s["last_quarter"].map(_fmt), "A year ago": s["year_ago"].map(_fmt),
        "Not yet due": s["not_yet_due"].map(lambda v: "" if pd.isna(v) or v == 0 else f"{int(v):,}"),
        "Source": s["source"],
    })  # fmt: skip


def team_display(ch: PracticeChapter, keys: list[str] | None = None) -> pd.DataFrame:
    """Teams (rows) by standard (columns): '% (in time of due)'; blank where hidden or not measured."""
    keys = [k for k in (keys or list(ch.teams)) if k in ch.teams]
    if not keys:
        return pd.DataFrame()
    cells = {}
    for k in keys:
        t = ch.teams[k].set_index("team")
        cells[SHORT[k]] = {team: ("" if pd.isna(r["pct"]) else f"{r['pct']:.0f}% ({int(r['met'])}/{int(r['due'])})")
                           for team, r in t.iterrows()}  # fmt: skip
    out = pd.DataFrame(cells)
    order = [t for t in out.index if t not in (pr.OTHER_TEAMS, ALL_TEAMS)]
    order += [t for t in (pr.OTHER_TEAMS, ALL_TEAMS) if t in out.index]
    return out.loc[order].fillna("").rename_axis("Team").reset_index()


def band_display(ch: PracticeChapter) -> pd.DataFrame:
    """Standard, age band, in time, due, % (small counts suppressed)."""
    rows = []
    for key, b in ch.bands.items():
        label = pr.STANDARDS[key]["label"]
        for _, r in b.iterrows():
            rows.append({"Standard": label, "Age band": r["band"],
                         "In time": "*" if pd.isna(r["met"]) else f"{int(r['met']):,}", "Due": f"{int(r['due']):,}",
                         "%": "*" if pd.isna(r["pct"]) else f"{r['pct']:.0f}%"})  # fmt: skip
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- figures
def plot_standards(ch: PracticeChapter, title: str = "Practice standards at the period end"):
    """Horizontal bars: % in time per measured standard; black ticks: local target; diamonds: England."""
    av = ch.available[ch.available["due"].fillna(0) > 0].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(av), 2) + 1.6))
    if av.empty:
        ax.axis("off")
        ax.text(0.5, 0.5, "No practice standard can be measured from this extract.", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
        plt.close(fig)
        return fig
    y = np.arange(len(av))
    ax.barh(y, av["pct"].to_numpy(float), color=PALETTE[0], height=0.6, label="in time (%)")
    tgt = av["target"].to_numpy(float)
    ax.scatter(tgt, y, marker="|", s=400, color=PALETTE[7], linewidths=2, label="local target", zorder=3)
    eng = av["england"].to_numpy(float)
    if np.isfinite(eng).any():
        ax.scatter(eng, y, marker="D", s=40, color=PALETTE[1], label="England", zorder=3)
    for yi, v in zip(y, av["pct"].to_numpy(float), strict=True):  # inside the bar, clear of the target tick
        inside = v >= 15
        ax.text(v - 1 if inside else v + 1, yi, f"{v:.0f}%", va="center", ha="right" if inside else "left",
                fontsize=9, color="white" if inside else "black")  # fmt: skip
    ax.set_yticks(y, av["label"])
    ax.set_xlim(0, 108)
    ax.set_xlabel("% of children due who were seen, reviewed or assessed in time")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    plt.close(fig)
    return fig


def plot_teams(ch: PracticeChapter, title: str = "Practice standards by team"):
    """Heat map of % in time, standards (rows) by team (columns, all teams last); blank: hidden or not measured."""
    keys = list(ch.teams)
    fig, ax = plt.subplots(figsize=(max(8, 0.75 * len(keys) + 3), 0.45 * 8 + 1.8))
    if not keys:
        ax.axis("off")
        ax.text(
            0.5,
            0.5,
            "No practice standard can be shown by team.",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        plt.close(fig)
        return fig
    wide = pd.DataFrame({SHORT[k]: ch.teams[k].set_index("team")["pct"].astype(float) for k in keys})
    order = [t for t in wide.index if t not in (pr.OTHER_TEAMS, ALL_TEAMS)]
    wide = wide.loc[order + [t for t in (pr.OTHER_TEAMS, ALL_TEAMS) if t in wide.index]]
    grid = wide.T  # one row per standard, one column per team: readable at phone width
    fig.set_size_inches(6, 0.32 * len(grid) + 2.6)
    im = ax.imshow(grid.to_numpy(), cmap="cividis", vmin=0, vmax=100, aspect="auto")
    for (i, j), v in np.ndenumerate(grid.to_numpy()):
        if np.isfinite(v):
            ax.text(
                j, i, f"{v:.0f}", ha="center", va="center", fontsize=8, color="black" if v > 55 else "white"
            )
    ax.set_xticks(range(len(grid.columns)), grid.columns, rotation=90, ha="center")
    ax.set_yticks(range(len(grid)), grid.index)
    ax.grid(False)
    ax.axvline(len(grid.columns) - 1.5, color=NEUTRAL, linewidth=1)
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="% in time")
    ax.set_title(title)
    plt.close(fig)
    return fig


SECTIONS = (
    "Children in care",
    "Child protection",
    "Children in need",
    "Care leavers",
    "Front door",
    "Up-to-date plans",
)


def build(ctx, results: MeasureResults) -> Chapter:
    """The practice chapter for the notebook: sentences, a summary table per section, teams, age bands, figures."""
    ch = build_chapter(ctx, results)
    out = Chapter(text={"pr_quarter": ctx.params.quarter_title, "pr_authority": ctx.params.authority},
                  markdown={"pr_message": key_message(ch), "pr_trend": trend_message(ch)})  # fmt: skip
    for i, section in enumerate(SECTIONS, start=1):
        shown = summary_display(ch, section)
        shown.attrs["caption"] = f"{section}: practice standards at the period end"
        out.shown[f"pr_section_{i}"] = shown
        out.markdown[f"pr_section_{i}_notes"] = "\n\n".join(section_notes(ch, section))
    out.shown["pr_teams"] = team_display(ch)
    out.shown["pr_teams"].attrs["caption"] = "Practice standards by team"
    out.shown["pr_bands"] = band_display(ch)
    out.shown["pr_bands"].attrs["caption"] = "Health assessments by age band"
    out.figures = {"pr_figure": Figure(plot_standards(ch), "practice_standards"),
                   "pr_teams_figure": Figure(plot_teams(ch), "practice_standards_by_team")}  # fmt: skip
    out.saved["practice_standards"] = ch.summary.drop(columns=["source"])
    if ch.teams:
        out.saved["practice_standards_by_team"] = pd.concat(
            [t.assign(key=k) for k, t in ch.teams.items()], ignore_index=True
        )
    if ch.bands:
        out.saved["practice_standards_by_age"] = pd.concat(
            [b.assign(key=k) for k, b in ch.bands.items()], ignore_index=True
        )
    return out
