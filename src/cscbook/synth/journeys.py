"""Journeys after a referral (children who do not enter care), simulated in waves.

Referral -> NFA at referral, or an assessment -> closure after assessment (RC8), step-down
to early help (RC9), a child in need plan, or a strategy discussion and s47 enquiry ->
ICPC -> child protection plan -> child in need plan -> closure (RC7). Each closed involvement
may bring the child back (``rereferral``), which starts the next wave.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.synth import front_door, planted, rereferral, steps
from cscbook.synth.days import add_wd, add_years, day

ROUTE_P = {"after_assessment": 0.42, "stepped_down_early_help": 0.17, "cin": 0.21, "s47": 0.20}


def outcomes(rng: np.random.Generator, refs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Simulate what follows each referral (columns ref, child, referral, dob, ...)."""
    n = len(refs)
    ref = refs["ref"].to_numpy()
    child = refs["child"].to_numpy()
    r = refs["referral"].to_numpy()
    nfa = rng.random(n) < planted.REFERRAL_NFA_P
    a_start = add_wd(r, rng.choice(3, size=n, p=[0.6, 0.3, 0.1]))
    a_auth = steps.assessment_authorised(rng, a_start)
    route = steps.choice(rng, ROUTE_P, n)
    is_s47 = (route == "s47") & ~nfa
    s47_start = np.minimum(add_wd(a_start, rng.integers(0, 9, size=n)), a_auth)
    icpc_held = is_s47 & (rng.random(n) < 0.5)
    icpc = steps.icpc_after(rng, s47_start)
    plan = icpc_held & (rng.random(n) < 0.87)
    s47_nfa = is_s47 & ~icpc_held & (rng.random(n) < 0.5)
    s47_end = np.where(icpc_held, icpc, add_wd(s47_start, np.full(n, 10)))
    decided = np.where(is_s47, np.maximum(a_auth, s47_end), a_auth)
    cp_len = np.maximum(np.round(rng.lognormal(np.log(270), 0.55, size=n)), 40).astype(np.int64)
    cp_end = icpc + cp_len
    cin_len = np.maximum(np.round(rng.lognormal(np.log(170), 0.6, size=n)), 30).astype(np.int64)
    stepdown = rng.integers(20, 151, size=n)

    ended = np.where(nfa, "nfa_at_referral", route)
    ended = np.where(is_s47 & plan, "after_cp_plan", ended)
    ended = np.where(is_s47 & ~plan, np.where(s47_nfa, "after_assessment", "after_cin_plan"), ended)
    ended = np.where(~nfa & (route == "cin"), "after_cin_plan", ended)
    closure = np.select(
        [nfa, ended == "after_cp_plan", ended == "after_cin_plan"],
        [r, cp_end + stepdown, decided + cin_len],
        decided,
    )
    reason = np.select(
        [ended == "after_assessment", ended == "stepped_down_early_help"], ["RC8", "RC9"], "RC7"
    )
    # A few long involvements end with a transfer out; all end before the 18th birthday.
    transfer = np.isin(ended, ["after_cin_plan", "after_cp_plan"]) & (rng.random(n) < 0.04)
    reason = np.where(transfer, "RC5", reason)
    b18 = add_years(refs["dob"].to_numpy(), 18)
    adult = closure >= b18
    closure = np.where(adult, b18 - 1, closure)
    reason = np.where(adult, np.where(refs["disability"].to_numpy() == "Y", "RC6", "RC7"), reason)
    at_risk = ~transfer & ~adult
    # nothing happens after the closure (the day before the 18th birthday for those reaching 18)
    a_start = np.minimum(a_start, closure)
    a_auth = np.minimum(a_auth, closure)
    s47_start = np.minimum(s47_start, closure)
    icpc = np.minimum(icpc, closure)
    s47_end = np.minimum(s47_end, closure)
    plan = plan & (icpc < closure)
    cp_end = np.minimum(cp_end, closure)

    out: dict[str, pd.DataFrame] = {}
    out["closed"] = refs.assign(nfa=nfa, ended=ended, closure=closure, at_risk=at_risk)
    m = ~nfa
    out["assessments"] = pd.DataFrame(
        {"ref": ref[m], "child": child[m], "start": a_start[m], "auth": a_auth[m],
         "requires_support": np.where(np.isin(route[m], ["cin", "s47"]), "Y", "N")}
    )  # fmt: skip
    out["s47"] = pd.DataFrame(
        {"ref": ref[is_s47], "child": child[is_s47], "start": s47_start[is_s47],
         "icpc_unnecessary": np.where(icpc_held[is_s47], "N", "Y"),
         "icpc": np.where(icpc_held[is_s47], icpc[is_s47], -1),
         "plan": np.where(plan[is_s47], "Y", np.where(icpc_held[is_s47], "N", "")),
         "end": s47_end[is_s47]}
    )  # fmt: skip
    init, latest = steps.categories(rng, int(plan.sum()))
    out["cp"] = pd.DataFrame(
        {"ref": ref[plan], "child": child[plan], "start": icpc[plan], "end": cp_end[plan],
         "initial_category": init, "latest_category": latest}
    )  # fmt: skip
    out["cin"] = pd.DataFrame(
        {"ref": ref[m], "child": child[m], "start": r[m], "need": refs["need"].to_numpy()[m],
         "closure": closure[m], "reason": reason[m], "auth": a_auth[m]}
    )  # fmt: skip
    sd = m & (ended == "stepped_down_early_help")
    eh_start = closure[sd] + rng.integers(0, 11, size=int(sd.sum()))
    out["early_help"] = pd.DataFrame(
        {"child": child[sd], "start": eh_start, "end": eh_start + rng.integers(10, 61, size=int(sd.sum()))}
    )
    return out


def new_referrals(
    rng: np.random.Generator, contact: np.ndarray, child: np.ndarray, need: np.ndarray
) -> pd.DataFrame:
    """Referrals arising from contacts (source, decision = referral day); primary need given."""
    decision = front_door.decide(rng, contact)
    return pd.DataFrame(
        {"child": child, "contact": contact, "source": front_door.draw_source(rng, contact),
         "decision": decision, "referral": decision, "need": need}
    )  # fmt: skip


def run_waves(rng: np.random.Generator, first: pd.DataFrame, children: pd.DataFrame, next_ref: int):
    """Simulate waves of referrals until no child comes back before the end of the simulation.

    ``first``: fresh referrals (child, contact, source, decision, referral, need);
    ``children``: the child table (child, sex, dob, disability). Returns tables and next ref id.
    """
    end = day(planted.SIM_END)
    attrs = children.set_index("child")[["sex", "dob", "disability"]]
    parts: dict[str, list[pd.DataFrame]] = {}
    wave = first
    while len(wave):
        wave = wave.reset_index(drop=True)
        wave["ref"] = np.arange(next_ref, next_ref + len(wave))
        next_ref += len(wave)
        wave = wave.join(attrs, on="child")
        res = outcomes(rng, wave)
        for k, v in res.items():
            parts.setdefault(k, []).append(v)
        closed = res["closed"][res["closed"]["at_risk"]]
        back = rereferral.draw_return_contacts(rng, closed)
        keep = (back > 0) & (back <= end)
        closed, back = closed[keep], back[keep]
        prev = closed["need"].to_numpy()
        need = np.where(rng.random(len(prev)) < 0.6, prev, front_door.draw_need(rng, len(prev)))
        nxt = new_referrals(rng, back, closed["child"].to_numpy(), need)
        b18 = add_years(closed["dob"].to_numpy(), 18)
        wave = nxt[(nxt["referral"].to_numpy() < b18) & (nxt["referral"].to_numpy() <= end)]
        wave = wave[["child", "contact", "source", "decision", "referral", "need"]]
    tables = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    return tables, next_ref
