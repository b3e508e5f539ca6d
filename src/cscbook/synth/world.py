"""Run the whole simulation: population, front door, journeys, care, care leavers.

The result (``World``) holds full-history event tables in day numbers; exporting "as at" a
date censors them (``export``). The simulation never depends on the extract date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscbook.synth import care, episodes, front_door, journeys, leavers, planted
from cscbook.synth.days import add_years, day, sub_wd
from cscbook.synth.population import Pool, Registry

REC_TO_RC = {"E11": "RC1", "E12": "RC1", "E2": "RC2", "E41": "RC3", "E45": "RC4", "E46": "RC4",
             "E47": "RC4", "E48": "RC4", "E3": "RC5"}  # fmt: skip
EH_ORGS = ["Westmere Family Support", "School", "Health visiting", "Children's centre", "Youth service"]


@dataclass
class World:
    seed: int
    scale: float
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _streams(seed: int, n: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def simulate(seed: int = 20250331, scale: float = 1.0) -> World:
    """Simulate Westmere from April 2018 to 31 March 2025 (deterministic in ``seed``)."""
    r_people, r_fd, r_journey, r_care, r_ep, r_other, r_leave, r_misc = _streams(seed, 8)
    reg = Registry(r_people)
    end = day(planted.SIM_END)

    # fresh referrals: a new child each, aged as referrals are
    contact = front_door.fresh_referral_contacts(r_fd, scale)
    need = front_door.draw_need(r_fd, len(contact))
    dob = contact - front_door.draw_age_days(r_fd, len(contact))
    child = reg.add(dob, disabled=(need == "N2") & (r_fd.random(len(contact)) < 0.8))
    first = journeys.new_referrals(r_fd, contact, child, need)
    first = first[first["referral"] <= end]

    # children who come into care
    periods = care.simulate_periods(r_care, scale)
    periods["child"] = reg.add(periods["dob"].to_numpy(), disabled=r_care.random(len(periods)) < 0.05)
    periods["reason"] = care.exit_reasons(r_care, periods)
    story = care.backstories(r_care, periods)
    periods = periods.join(story.set_index("period"), on="period")

    children = reg.table()
    tables, next_ref = journeys.run_waves(r_journey, first, children, 0)

    # care back-stories as journey rows
    n = len(periods)
    pc = periods["child"].to_numpy()
    # contact decided on the referral day, as long after the contact as any other (null series)
    dp = np.array(planted.DECISION_DELAY_P)
    delay = r_care.choice(len(dp), size=n, p=dp / dp.sum())
    cref = pd.DataFrame(
        {"child": pc, "contact": np.maximum(sub_wd(periods["referral"].to_numpy(), delay), periods["dob"].to_numpy()),
         "source": front_door.draw_source(r_care, periods["referral"].to_numpy()),
         "decision": periods["referral"].to_numpy(), "referral": periods["referral"].to_numpy(),
         "need": periods["need"].to_numpy(), "ref": np.arange(next_ref, next_ref + n)}
    )  # fmt: skip
    cref["contact"] = np.minimum(cref["contact"], cref["referral"])
    periods["ref"] = cref["ref"].to_numpy()
    tables["closed"] = pd.concat([tables["closed"], cref.assign(nfa=False, ended="entered_care", at_risk=False)],
                                 ignore_index=True)  # fmt: skip
    tables["assessments"] = pd.concat(
        [tables["assessments"],
         pd.DataFrame({"ref": cref["ref"], "child": pc, "start": periods["a_start"].to_numpy(),
                       "auth": periods["a_auth"].to_numpy(), "requires_support": "Y"})],
        ignore_index=True,
    )  # fmt: skip
    has47 = periods["s47"].to_numpy() >= 0
    is_cp = periods["route"].to_numpy() == "cp"
    s = periods[has47]
    tables["s47"] = pd.concat(
        [tables["s47"],
         pd.DataFrame({"ref": s["ref"], "child": s["child"], "start": s["s47"],
                       "icpc_unnecessary": np.where(s["route"] == "cp", "N", "Y"),
                       "icpc": s["icpc"], "plan": np.where(s["route"] == "cp", "Y", ""),
                       "end": np.where(s["route"] == "cp", s["icpc"], s["start"])})],
        ignore_index=True,
    )  # fmt: skip
    c = periods[is_cp]
    from cscbook.synth.steps import categories

    init, latest = categories(r_care, len(c))
    tables["cp"] = pd.concat(
        [tables["cp"],
         pd.DataFrame({"ref": c["ref"], "child": c["child"], "start": c["cp_start"], "end": c["start"],
                       "initial_category": init, "latest_category": latest})],
        ignore_index=True,
    )  # fmt: skip
    reason = periods["reason"].map(REC_TO_RC).fillna("RC7").to_numpy()
    dis = children.set_index("child").loc[pc, "disability"].to_numpy()
    reason = np.where(periods["aged_out"].to_numpy() & (dis == "Y"), "RC6", reason)
    tables["cin"] = pd.concat(
        [tables["cin"],
         pd.DataFrame({"ref": cref["ref"], "child": pc, "start": periods["referral"].to_numpy(),
                       "need": periods["need"].to_numpy(), "closure": periods["end"].to_numpy(),
                       "reason": np.where(periods["end"].to_numpy() >= 0, reason, ""),
                       "auth": periods["a_auth"].to_numpy()})],
        ignore_index=True,
    )  # fmt: skip

    # contacts that do not become referrals, from the resident population
    pool = Pool(r_people, reg, scale)
    oc = front_door.other_contacts(r_other, scale)
    oc["child"] = pool.sample(oc["contact"].to_numpy())
    oc["source"] = front_door.draw_source(r_other, oc["contact"].to_numpy())
    oc["decision"] = front_door.decide(r_other, oc["contact"].to_numpy())
    eh = oc[oc["early_help"]]
    eh_start = eh["decision"].to_numpy() + r_other.integers(0, 15, size=len(eh))
    tables["early_help"] = pd.concat(
        [tables["early_help"],
         pd.DataFrame({"child": eh["child"].to_numpy(), "start": eh_start,
                       "end": eh_start + r_other.integers(10, 61, size=len(eh)).astype(np.int64)})],
        ignore_index=True,
    )  # fmt: skip
    closed = tables["closed"]
    refs = closed[["ref", "child", "contact", "source", "decision", "referral", "need", "nfa"]]
    tables["referrals"] = refs.sort_values(["referral", "ref"], kind="stable").reset_index(drop=True)
    tables["contacts"] = pd.concat(
        [refs[["child", "contact", "source", "decision"]], oc[["child", "contact", "source", "decision"]]],
        ignore_index=True,
    )
    eh = tables["early_help"]
    eh["org"] = np.array(EH_ORGS)[r_misc.integers(0, len(EH_ORGS), size=len(eh))]
    # early help is for children: nothing from the 18th birthday on
    b18 = add_years(reg.table().set_index("child").loc[eh["child"], "dob"].to_numpy(), 18)
    eh["end"] = np.minimum(eh["end"].to_numpy(), b18 - 1)
    tables["early_help"] = eh[eh["start"].to_numpy() < eh["end"].to_numpy()].reset_index(drop=True)

    # SSDA903 episodes and care leavers
    children = reg.table()
    periods = periods.join(children.set_index("child")[["district"]], on="child")
    tables["periods"] = periods
    tables["episodes"] = episodes.build_episodes(r_ep, periods, end)
    tables["leavers"] = leavers.care_leavers(r_leave, periods, reg, scale)
    tables["children"] = reg.table()
    tables["cp"] = _previous_plans(r_misc, tables["cp"])
    return World(seed, scale, tables)


# Chance that a child's first plan in the simulation had plans before it (April 2018), at the
# start and its fall a year: the simulation's own repeat plans (about 1 point more each year)
# take over, so plans with a previous plan stay at about 25-27% a year. 24% of those have two.
PRE_SIM_PLAN_P, PRE_SIM_PLAN_FALL, PRE_SIM_TWO_SHARE = 0.265, 0.0075, 0.245


def pre_sim_plans(u: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Plans before the simulation (0, 1 or 2) from uniforms ``u`` and years since its start."""
    p = np.clip(PRE_SIM_PLAN_P - PRE_SIM_PLAN_FALL * years, 0.0, 1.0)
    return (u >= 1 - p).astype(np.int64) + (u >= 1 - p * PRE_SIM_TWO_SHARE)


def _previous_plans(rng: np.random.Generator, cp: pd.DataFrame) -> pd.DataFrame:
    """Number of previous plans: earlier plans in the simulation + plans before it (drawn)."""
    cp = cp.sort_values(["child", "start", "ref"], kind="stable").reset_index(drop=True)
    earlier = cp.groupby("child").cumcount().to_numpy()
    years = (cp["start"].to_numpy() - day(planted.SIM_START)) / 365.25
    hist = pre_sim_plans(rng.random(len(cp)), years)
    first_idx = cp.groupby("child")["start"].transform("idxmin").to_numpy()
    cp["previous"] = earlier + hist[first_idx]
    return cp
