"""The practice chapter on the synthetic authority recovers what was planted (synth.practice).

Two extracts are generated into a temporary folder, each taken on its quarter end (30
September and 31 December 2024), so that every 'latest' date is as at the period end.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import pytest

from cscbook.config.params import load_params
from cscbook.data.context import Context, read_all
from cscbook.measures import practice as pr
from cscbook.methods.intervals import wilson
from cscbook.report import practice as chapter
from cscbook.synth import practice as planted
from cscbook.synth.cli import main as synth_main
from cscbook.synth.days import day
from tests.conftest import ROOT

SEED = 20250331
KEYS = {
    "cla_visits": "cla_visits_in_time", "cla_reviews": "cla_reviews_in_time", "cla_health": "cla_health_up_to_date",
    "cla_iha": "cla_iha_20wd", "cla_dental": "cla_dental_up_to_date", "cla_iro": "cla_iro_in_time",
    "cla_plan": "cla_plan_up_to_date", "cp_reviews": "cp_reviews_in_time", "cp_visits": "cp_visits_in_time",
    "cp_plan": "cp_plan_up_to_date", "cin_seen": "cin_seen_in_time", "cin_plan": "cin_plan_up_to_date",
    "pathway_18_21": "pathway_plan_18_21", "pathway_16_17": "pathway_plan_16_17",
}  # fmt: skip


def _quarter(root: Path, as_at: str) -> Context:
    out = root / as_at
    synth_main(argparse.Namespace(out=str(out), seed=SEED, scale=1.0, as_at=as_at, xlsx=False))
    text = (ROOT / "params" / "example.yaml").read_text().replace("data/synthetic", str(out))
    text = re.sub(r"(?m)^period_end: \S+", f"period_end: {as_at}", text)
    (root / "params").mkdir(exist_ok=True)
    path = root / "params" / f"{as_at}.yaml"
    path.write_text(text)
    return read_all(load_params(path))


@pytest.fixture(scope="module")
def quarters(tmp_path_factory) -> dict[str, Context]:
    root = tmp_path_factory.mktemp("practice_synth")
    return {d: _quarter(root, d) for d in ("2024-09-30", "2024-12-31")}


def _rates(ctx: Context, key: str) -> dict[str, tuple[int, int]]:
    """(met, due) for the team planted behind and for all other teams together."""
    st = pr.status_of(key, ctx.tables, ctx.params)
    st = st[st["due"]]
    behind = st["team"] == planted.TEAM_BEHIND
    return {"behind": (int(st.loc[behind, "met"].sum()), int(behind.sum())),
            "others": (int(st.loc[~behind, "met"].sum()), int((~behind).sum()))}  # fmt: skip


def _inside(met: int, due: int, value: float) -> bool:
    lo, hi = wilson(met, due, alpha=0.001)
    return bool(lo[0] <= value <= hi[0])


@pytest.mark.parametrize("standard", list(KEYS))
def test_recovers_the_planted_level_per_team(quarters, standard):
    ctx = quarters["2024-12-31"]
    level = float(planted.level(standard, np.array([day(ctx.params.period_end)]))[0])
    rates = _rates(ctx, KEYS[standard])
    assert rates["others"][1] > 0
    assert _inside(*rates["others"], level), (rates, level)
    if rates["behind"][1]:
        assert _inside(*rates["behind"], level + planted.TEAM_BEHIND_SHIFT), (rates, level)


def test_finds_the_team_behind_and_no_difference_where_none_was_planted(quarters):
    ctx = quarters["2024-12-31"]
    ch = chapter.build_chapter(ctx)
    diffs = chapter.team_differences(ch)
    behind = diffs[diffs["verdict"] == "behind"]
    assert set(behind["team"]) == {planted.TEAM_BEHIND}
    assert len(behind) >= 5
    assert planted.TEAM_BEHIND in chapter.key_message(ch)
    # without the team planted behind, no team differs from the rest on any standard
    tables = {name: (df[df["allocated_team"] != planted.TEAM_BEHIND] if "allocated_team" in df.columns else df)
              for name, df in ctx.tables.items()}  # fmt: skip
    others = chapter.build_chapter(Context(ctx.params, tables, ctx.dq_log, ctx.accounting))
    assert (chapter.team_differences(others)["verdict"] == "").all()


def test_recovers_the_planted_improvement(quarters):
    before, after = (
        _rates(quarters[d], "cla_reviews_in_time")["others"] for d in ("2024-09-30", "2024-12-31")
    )
    truth = planted.truth()["improving_by_quarter_end"]["cla_reviews"]
    assert _inside(*before, truth["2024-09-30"]) and _inside(*after, truth["2024-12-31"])
    assert wilson(*after)[0][0] > wilson(*before)[1][0]  # the 95% intervals do not overlap


def test_front_door_timescales_and_truth(quarters, tmp_path):
    ctx = quarters["2024-12-31"]
    truth = planted.truth()
    for key in ("strategy_discussion_1wd", "referral_visit_5wd", "referral_visit_10wd"):
        events = pr.status_of(key, ctx.tables, ctx.params)
        assert _inside(int(events["met"].sum()), len(events), truth[key]), key
    written = json.loads((Path(ctx.params.annex_a[0]).parent / "truth.json").read_text())
    assert written["practice"]["team_behind"]["team"] == planted.TEAM_BEHIND
