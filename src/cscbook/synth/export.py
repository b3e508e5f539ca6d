"""Write a World "as at" a date: Annex A Lists 1-9 and SSDA903 files per collection year.

Censoring: events after the extract date do not exist; end dates (and end reasons and
outcomes) after it are blank. Lists cover 1 April 2019 to the extract date: a row is in a
list if its event or episode was open at any time in that window.

Columns whose value depends on the extract date itself (not only on what had happened by
then): ``AS_AT_DEPENDENT`` (ages, latest-visit/review/contact dates, case status, the
current team and worker, List 8's current legal status and placement, List 9's latest status).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.data.annexa_spec import LISTS
from cscbook.synth import allocation, planted, ssda903
from cscbook.synth import practice as compliance
from cscbook.synth.allocation import unit
from cscbook.synth.current_case import current_cases
from cscbook.synth.days import add_years, age_years, day, to_dt64
from cscbook.synth.episodes import OUTSIDE
from cscbook.synth.world import World

AS_AT_DEPENDENT = {
    "contacts": ["age_years"],
    "early_help": ["age_years"],
    "referrals": ["age_years"],
    "assessments": ["age_years", "allocated_team", "allocated_worker"],
    "s47": ["age_years", "allocated_team", "allocated_worker"],
    "cin": ["age_years", "last_seen_date", "case_status", "allocated_team", "allocated_worker", "latest_plan_date"],
    "cp_plans": ["age_years", "last_visit_date", "latest_review_date", "latest_category", "allocated_team",
                 "allocated_worker", "latest_plan_date"],
    "cla": ["age_years", "legal_status_start_date", "legal_status", "latest_review_date", "last_visit_date",
            "last_iro_date", "last_health_date", "last_dental_date", "placements_last_12m",
            "placement_start_date", "placement_type", "placement_provider", "placement_postcode",
            "placement_urn", "placement_location", "la_of_placement", "missing_episodes_12m",
            "absent_episodes_12m", "permanence_plan", "allocated_team", "allocated_worker", "latest_plan_date"],
    "care_leavers": ["age_years", "allocated_team", "allocated_worker", "eligibility", "pathway_review_date",
                     "in_touch", "latest_contact_date", "accommodation", "accommodation_suitability", "activity"],
}  # fmt: skip


def fmt_dates(days: np.ndarray) -> np.ndarray:
    """dd/mm/yyyy strings; '' for missing (negative) days."""
    d = np.asarray(days, dtype=np.int64)
    s = pd.Series(pd.to_datetime(to_dt64(np.where(d >= 0, d, 0)))).dt.strftime("%d/%m/%Y").to_numpy()
    return np.where(d >= 0, s, "").astype(object)


def cens(x: np.ndarray, as_at: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    return np.where((x >= 0) & (x <= as_at), x, -1)


def overlaps(start, end, ws: int, as_at: int) -> np.ndarray:
    """Started by the extract date and not ended before the window (end -1 = open)."""
    start, end = np.asarray(start), np.asarray(end)
    return (start <= as_at) & ((end < 0) | (end >= ws))


class Exporter:
    def __init__(self, world: World, as_at: pd.Timestamp):
        self.w = world
        self.t = world.tables
        self.A = day(as_at)
        self.ws = day(planted.WINDOW_START)
        ch = self.t["children"].set_index("child")
        self.ch = ch
        ids = np.random.default_rng(world.seed).permutation(len(ch)) + 1
        self.ids = pd.Series(np.char.add("C", np.char.zfill(ids.astype(str), 7)), index=ch.index)
        self.u = allocation.draws(world.seed, len(ch))

    # ---- helpers -----------------------------------------------------------------------
    def person(self, child: np.ndarray, spec_n: int) -> dict[str, np.ndarray]:
        ch = self.ch.loc[child]
        age = age_years(ch["dob"].to_numpy(), np.full(len(child), self.A))
        return {
            "child_id": self.ids.loc[child].to_numpy(),
            "sex": ch["sex"].to_numpy(),
            "ethnicity": ch["ethnicity"].to_numpy(),
            "date_of_birth": fmt_dates(ch["dob"].to_numpy()),
            "age_years": age.astype(str),
            "disability": ch["disability"].to_numpy(),
        }

    def frame(self, n: int, cols: dict[str, object], sort: list[str]) -> pd.DataFrame:
        spec = LISTS[n]
        data = {}
        size = len(cols["child_id"])
        for c in spec.columns:
            v = np.broadcast_to(np.asarray(cols.get(c.name, ""), dtype=object), (size,))
            if c.codelist is not None and c.kind == "code":
                v = pd.Series(v, dtype=object).map(c.codelist.template).fillna("").to_numpy()
            data[c.header] = v
        df = pd.DataFrame(data)
        df["_k1"] = cols["_sort1"]
        df["_k2"] = cols["child_id"]
        return (
            df.sort_values(["_k1", "_k2"], kind="stable").drop(columns=["_k1", "_k2"]).reset_index(drop=True)
        )

    def allocated(self, child: np.ndarray, on: np.ndarray) -> dict[str, np.ndarray]:
        """allocated_team and allocated_worker: the child's one allocation on day ``on`` (the
        extract date for rows still open, the closing day for closed rows; see current_case)."""
        child = np.asarray(child, dtype=np.int64)
        on = np.asarray(on, dtype=np.int64)
        cur = current_cases(self.t, child, on)
        ch = self.ch.loc[child]
        age = age_years(ch["dob"].to_numpy(), on)
        fostering = cur["foster_long"].to_numpy() & (
            self.u[child, allocation.FOSTERING_COLUMN] < allocation.FOSTERING_SHARE
        )
        team = allocation.team_for(cur["case"].to_numpy(), ch["district"].to_numpy(), cur["need"].to_numpy(), age,
                                   cur["days_in_care"].to_numpy(), fostering)  # fmt: skip
        col = (
            pd.Series(team)
            .map({t: k for k, t in enumerate(allocation.TEAMS)})
            .fillna(0)
            .astype(np.int64)
            .to_numpy()
        )
        return {
            "allocated_team": team,
            "allocated_worker": allocation.worker(team, self.u[child, col], self.w.scale),
        }

    def closing_day(self, end: np.ndarray) -> np.ndarray:
        """The day a row's allocation is shown for: its end if ended by the extract date, else that date."""
        end = np.asarray(end, dtype=np.int64)
        return np.where((end >= 0) & (end <= self.A), end, self.A)

    # ---- lists ------------------------------------------------------------------------
    def list1(self) -> pd.DataFrame:
        c = self.t["contacts"]
        c = c[(c["contact"] >= self.ws) & (c["contact"] <= self.A)]
        cols = self.person(c["child"].to_numpy(), 1)
        cols.update(
            contact_date=fmt_dates(c["contact"]),
            contact_source=c["source"].to_numpy(),
            contact_decision_date=fmt_dates(cens(c["decision"], self.A)),
            _sort1=c["contact"].to_numpy(),
        )
        return self.frame(1, cols, [])

    def list2(self) -> pd.DataFrame:
        e = self.t["early_help"]
        e = e[overlaps(e["start"], e["end"], self.ws, self.A)]
        cols = self.person(e["child"].to_numpy(), 2)
        cols.update(
            eh_start_date=fmt_dates(e["start"]),
            eh_completion_date=fmt_dates(cens(e["end"], self.A)),
            eh_organisation=e["org"].to_numpy(),
            _sort1=e["start"].to_numpy(),
        )
        return self.frame(2, cols, [])

    def _previous_within_year(self, child: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Number of events for the same child in the 365 days before each event (excluding it)."""
        df = pd.DataFrame({"child": child, "when": when, "i": np.arange(len(child))})
        m = df.merge(df, on="child", suffixes=("", "_o"))
        m = m[(m["when_o"] < m["when"]) & (m["when_o"] >= m["when"] - 365)]
        return m.groupby("i").size().reindex(df["i"], fill_value=0).to_numpy()

    def list3(self) -> pd.DataFrame:
        r = self.t["referrals"]
        prev = self._previous_within_year(r["child"].to_numpy(), r["referral"].to_numpy())
        keep = ((r["referral"] >= self.ws) & (r["referral"] <= self.A)).to_numpy()
        r, prev = r[keep], prev[keep]
        child = r["child"].to_numpy()
        ref, when = r["ref"].to_numpy(), r["referral"].to_numpy()
        adult = add_years(self.ch.loc[child, "dob"].to_numpy(), 18)  # no event from the 18th birthday
        strategy = compliance.front_door(when, ref, compliance.STRATEGY_DELAY_P, "strategy", self.A)
        seen = compliance.front_door(when, ref, compliance.VISIT_DELAY_P, "visit", self.A)
        strategy, seen = np.where(strategy < adult, strategy, -1), np.where(seen < adult, seen, -1)
        cols = self.person(child, 3)
        cols.update(
            strategy_discussion_date=fmt_dates(np.where(np.isin(ref, self.t["s47"]["ref"]), strategy, -1)),
            child_seen_date=fmt_dates(np.where(r["nfa"].to_numpy(), -1, seen)),
        )
        cols.update(
            referral_date=fmt_dates(r["referral"]),
            referral_source=r["source"].to_numpy(),
            referral_nfa=np.where(r["nfa"].to_numpy(), "Y", "N"),
            referrals_last_12m=prev.astype(str),
            primary_need=r["need"].to_numpy(),
            _sort1=r["referral"].to_numpy(),
            **self.allocated(child, r["referral"].to_numpy()),
        )
        return self.frame(3, cols, [])

    def list4(self) -> pd.DataFrame:
        a = self.t["assessments"]
        a = a[overlaps(a["start"], np.where(a["auth"] > self.A, -1, a["auth"]), self.ws, self.A)]
        auth = cens(a["auth"], self.A)
        child = a["child"].to_numpy()
        u = unit(a["ref"].to_numpy(), 11)
        cols = self.person(child, 4)
        cols.update(
            assessment_start_date=fmt_dates(a["start"]),
            child_seen=np.where(u < 0.97, "Y", "N"),
            assessment_authorised_date=fmt_dates(auth),
            requires_support=np.where(auth >= 0, a["requires_support"].to_numpy(), ""),
            _sort1=a["start"].to_numpy(),
            **self.allocated(child, self.closing_day(a["auth"])),
        )
        return self.frame(4, cols, [])

    def list5(self) -> pd.DataFrame:
        s = self.t["s47"]
        s = s[overlaps(s["start"], np.where(s["end"] > self.A, -1, s["end"]), self.ws, self.A)]
        child = s["child"].to_numpy()
        icpc = cens(s["icpc"], self.A)
        prev47 = self._previous_within_year(
            self.t["s47"]["child"].to_numpy(), self.t["s47"]["start"].to_numpy()
        )
        prev47 = pd.Series(prev47, index=self.t["s47"].index).loc[s.index].to_numpy()
        allc = self.t["s47"][self.t["s47"]["icpc"] >= 0]
        # ICPCs for the child in the 365 days before this enquiry's start (known by then)
        m = pd.DataFrame({"child": child, "start": s["start"].to_numpy(), "i": np.arange(len(s))}).merge(
            allc[["child", "icpc"]], on="child"
        )
        m = m[(m["icpc"] < m["start"]) & (m["icpc"] >= m["start"] - 365)]
        prev_icpc = m.groupby("i").size().reindex(np.arange(len(s)), fill_value=0).to_numpy()
        cols = self.person(child, 5)
        cols.update(
            s47_start_date=fmt_dates(s["start"]),
            icpc_unnecessary=s["icpc_unnecessary"].to_numpy(),
            icpc_date=fmt_dates(icpc),
            icpc_resulted_in_plan=np.where(icpc >= 0, s["plan"].to_numpy(), ""),
            s47_last_12m=prev47.astype(str),
            icpcs_last_12m=prev_icpc.astype(str),
            _sort1=s["start"].to_numpy(),
            **self.allocated(child, self.closing_day(s["end"])),
        )
        return self.frame(5, cols, [])

    def _in_care_at(self, ref: np.ndarray, on: np.ndarray) -> np.ndarray:
        p = self.t["periods"].set_index("ref")
        hit = np.isin(ref, p.index.to_numpy())
        out = np.zeros(len(ref), dtype=bool)
        if hit.any():
            pp = p.loc[ref[hit]]
            out[hit] = (pp["start"].to_numpy() <= on[hit]) & (
                (pp["end"].to_numpy() < 0) | (pp["end"].to_numpy() > on[hit])
            )
        return out

    def list6(self) -> pd.DataFrame:
        c = self.t["cin"]
        c = c[overlaps(c["start"], np.where(c["closure"] > self.A, -1, c["closure"]), self.ws, self.A)]
        closure = cens(c["closure"], self.A)
        child, ref = c["child"].to_numpy(), c["ref"].to_numpy()
        on = np.where(closure >= 0, closure, self.A)
        cp = self.t["cp"]
        cpm = pd.DataFrame({"ref": ref, "on": on, "i": np.arange(len(c))}).merge(
            cp[["ref", "start", "end"]], on="ref"
        )
        cpm = cpm[(cpm["start"] <= cpm["on"]) & (cpm["end"] > cpm["on"])]
        on_plan = np.isin(np.arange(len(c)), cpm["i"].to_numpy())
        in_care = self._in_care_at(ref, on)
        status = np.select(
            [closure >= 0, in_care, on_plan, c["auth"].to_numpy() > self.A],
            ["CLOSED", "LAC", "CPP", "ASMT"],
            "CINP",
        )
        need = c["need"].to_numpy()
        alloc = self.allocated(child, on)
        team, start = alloc["allocated_team"], c["start"].to_numpy()
        seen = compliance.working_days_back("cin_seen", ref, on, team, start, 20, (21, 40))
        plan = compliance.days_back("cin_plan", ref, on, team, start, 85, (100, 160))
        cols = self.person(child, 6)
        cols.update(
            cin_start_date=fmt_dates(c["start"]),
            primary_need=need,
            last_seen_date=fmt_dates(seen),
            cin_closure_date=fmt_dates(closure),
            closure_reason=np.where(closure >= 0, c["reason"], ""),
            case_status=status,
            latest_plan_date=fmt_dates(plan),
            _sort1=c["start"].to_numpy(),
            **alloc,
        )
        return self.frame(6, cols, [])

    def list7(self) -> pd.DataFrame:
        p = self.t["cp"]
        p = p[overlaps(p["start"], np.where(p["end"] > self.A, -1, p["end"]), self.ws, self.A)]
        end = cens(p["end"], self.A)
        on = np.where(end >= 0, end, self.A)
        start = p["start"].to_numpy()
        ref = p["ref"].to_numpy()
        child = p["child"].to_numpy()
        alloc = self.allocated(child, on)
        team = alloc["allocated_team"]
        visit = compliance.working_days_back("cp_visits", ref, on, team, start, 10, (11, 20))
        review = compliance.reviews("cp_reviews", ref, on, team, start, 84, 262, 178)
        plan = compliance.days_back("cp_plan", ref, on, team, start, 85, (100, 160))
        u = unit(ref, 19)
        cols = self.person(child, 7)
        cols.update(
            cp_start_date=fmt_dates(start),
            initial_category=p["initial_category"].to_numpy(),
            latest_category=np.where(review >= 0, p["latest_category"], p["initial_category"]),
            last_visit_date=fmt_dates(visit),
            seen_alone=np.select([u < 0.8, u < 0.95], ["Y", "N"], "U"),
            latest_review_date=fmt_dates(review),
            cp_end_date=fmt_dates(end),
            epo_last_6m=np.where(unit(ref, 23) < 0.03, "Y", "N"),
            previous_cp_plans=p["previous"].astype(str),
            latest_plan_date=fmt_dates(plan),
            _sort1=start,
            **alloc,
        )
        return self.frame(7, cols, [])

    def current_episodes(self, A: int) -> pd.DataFrame:
        """Episodes started by day A (DEC/REC censored at A)."""
        e = self.t["episodes"]
        e = e[e["decom"] <= A].copy()
        late = (e["dec"] > A) | (e["dec"] < 0)
        e.loc[late, "dec"] = -1
        e.loc[late, "rec"] = ""
        return e

    def list8(self) -> pd.DataFrame:
        p = self.t["periods"]
        p = p[overlaps(p["start"], np.where(p["end"] > self.A, -1, p["end"]), self.ws, self.A)]
        end = cens(p["end"], self.A)
        on = np.where(end >= 0, end, self.A)
        e = self.current_episodes(self.A)
        e = e[e["period"].isin(p["period"])]
        key = pd.DataFrame({"period": p["period"].to_numpy(), "on": on})
        ep = e.merge(key, on="period")
        ep = ep[ep["decom"] <= ep["on"]]
        latest = ep.groupby("period").tail(1).set_index("period").loc[p["period"]]
        legal_runs = ep[ep["rne"].isin(["S", "L", "T"])].groupby("period").tail(1).set_index("period")
        legal_start = legal_runs.loc[p["period"], "decom"].to_numpy()
        place_rows = ep[ep["rne"].isin(["S", "P", "T", "B"])]
        place_start = (
            place_rows.groupby("period").tail(1).set_index("period").loc[p["period"], "decom"].to_numpy()
        )
        pr = place_rows[place_rows["decom"] > place_rows["on"] - 365]
        n_place = pr.groupby("period").size().reindex(p["period"], fill_value=0).to_numpy()
        start = p["start"].to_numpy()
        pid = p["period"].to_numpy()
        child = p["child"].to_numpy()
        tic = on - start
        age = age_years(p["dob"].to_numpy(), on)
        alloc = self.allocated(child, on)
        team = alloc["allocated_team"]
        rev = compliance.reviews("cla_reviews", pid, on, team, start, 25, 113, 178)
        ptype = latest["placement_type"].to_numpy()
        postcode = latest["pl_post"].to_numpy().astype(str)
        inside = np.char.startswith(postcode, "WM")
        la = np.where(inside, "Westmere", pd.Series(postcode).map(OUTSIDE).fillna("").to_numpy())
        perm = np.select(
            [np.isin(ptype, ["A5", "A6"]), age >= 16, np.isin(ptype, ["U1", "U4"]), ptype == "P1", tic < 180],
            ["ADOPTION", "SUPPORTED_LIVING", "LT_FOSTERING", "RETURN", "RETURN"],
            np.where(unit(pid, 31) < 0.5, "LT_FOSTERING", "SGO_CAO"),
        )
        long_term = (perm == "LT_FOSTERING") & (place_start <= on - 365)
        visit = compliance.days_back(
            "cla_visits", pid, on, team, start, np.where(long_term, 88, 42), (93, 130)
        )
        iro = compliance.days_back("cla_iro", pid, on, team, start, 175, (190, 250))
        health = compliance.cla_health(pid, on, team, start, p["dob"].to_numpy())
        dental = compliance.days_back("cla_dental", pid, on, team, start, 355, (372, 500), before_start=True)
        plan = compliance.days_back("cla_plan", pid, on, team, start, 175, (190, 250))
        mis = np.where(age >= 12, np.floor(-np.log(1 - unit(pid * 3 + on // 365, 37)) * 0.8), 0).astype(
            np.int64
        )
        cols = self.person(child, 8)
        cols.update(
            uasc="N", cla_start_date=fmt_dates(start), category_of_need=p["need"].to_numpy(),
            second_period_12m="N", legal_status_start_date=fmt_dates(legal_start),
            legal_status=latest["legal"].to_numpy(), latest_review_date=fmt_dates(rev),
            last_visit_date=fmt_dates(visit), permanence_plan=perm, last_iro_date=fmt_dates(iro),
            last_health_date=fmt_dates(health), last_dental_date=fmt_dates(np.where((age >= 1) & (dental >= p["dob"].to_numpy()), dental, -1)),
            latest_plan_date=fmt_dates(plan),
            placements_last_12m=n_place.astype(str), cla_end_date=fmt_dates(end),
            reason_ceased=np.where(end >= 0, p["reason"].to_numpy(), ""),
            placement_start_date=fmt_dates(place_start), placement_type=ptype,
            placement_provider=latest["provider"].to_numpy(), placement_postcode=postcode,
            placement_urn=latest["urn"].to_numpy(), placement_location=np.where(inside, "IN", "OUT"),
            la_of_placement=la, missing_episodes_12m=mis.astype(str), absent_episodes_12m=(mis // 2).astype(str),
            _sort1=start, **alloc,
        )  # fmt: skip
        return self.frame(8, cols, [])

    def list9(self) -> pd.DataFrame:
        lv = self.t["leavers"]
        b22 = add_years(lv["dob"].to_numpy(), 22)
        lv = lv[(lv["left"] <= self.A) & (b22 > self.ws)].reset_index(drop=True)
        dob = lv["dob"].to_numpy()
        age = age_years(dob, np.full(len(lv), self.A))
        a = np.clip(age, 17, 21)
        pick = {}
        for col in ("in_touch", "activity", "accommodation", "suitability", "contact"):
            stacked = np.column_stack([lv[f"{col}_{k}"].to_numpy() for k in range(17, 22)])
            pick[col] = stacked[np.arange(len(lv)), a - 17]
        last_b = np.select([a == k for k in range(17, 22)], [add_years(dob, k) for k in range(17, 22)])
        left = lv["left"].to_numpy()
        contact = np.clip(last_b + pick["contact"].astype(np.int64), left, self.A)
        in_touch = pick["in_touch"]
        yes = in_touch == "YES"
        former = (age >= 18) | (left >= add_years(dob, 18))
        key = lv["child"].to_numpy()
        # a care leaver until the 22nd birthday: later rows show the allocation they closed with
        on = np.minimum(add_years(dob, 22) - 1, self.A)
        alloc = self.allocated(key, on)
        at = np.full(len(lv), self.A, dtype=np.int64)
        pathway = np.where(age < 18,
                           compliance.days_back("pathway_16_17", key, at, alloc["allocated_team"], left, 175, (190, 300),
                                        before_start=True),
                           compliance.days_back("pathway_18_21", key, at, alloc["allocated_team"], left, 175, (190, 300),
                                        before_start=True))  # fmt: skip
        cols = self.person(key, 9)
        cols.update(
            uasc="N", **alloc,
            personal_advisor=allocation.worker(np.full(len(lv), allocation.CL, dtype=object),
                                               self.u[key, allocation.PA_COLUMN], self.w.scale),
            eligibility=np.where(former, "FORMER_RELEVANT", "RELEVANT"),
            pathway_review_date=fmt_dates(pathway),
            in_touch=in_touch, latest_contact_date=fmt_dates(np.where(yes, contact, -1)),
            accommodation=np.where(yes, pick["accommodation"], ""),
            accommodation_suitability=np.where(yes, pick["suitability"], ""),
            activity=np.where(yes, pick["activity"], ""), _sort1=left,
        )  # fmt: skip
        return self.frame(9, cols, [])

    def annex_a(self) -> dict[int, pd.DataFrame]:
        return {n: getattr(self, f"list{n}")() for n in range(1, 10)}

    # ---- SSDA903 -----------------------------------------------------------------------
    def ssda903(self) -> dict[str, dict[str, pd.DataFrame]]:
        """Each collection year's return (``synth.ssda903``): header, episodes, uasc and, from
        2023-24, sw_episodes, as DfE's CSV files have them."""
        out = {}
        e_all = ssda903.submitted_episodes(self.current_episodes(self.A))
        sw_all = ssda903.social_worker_history(self.t["periods"], day(planted.SIM_END), self.w.seed)
        for y in range(2019, 2025):
            ys, ye = ssda903.year_window(y, self.A)
            if ys > self.A:
                break
            end_year = y + 1
            e = ssda903.year_episodes(e_all, y, self.A)
            child = e["child"].to_numpy()
            eps = pd.DataFrame(
                {"CHILD": self.ids.loc[child].to_numpy(), "DECOM": fmt_dates(e["decom"]), "RNE": e["rne"].to_numpy(),
                 "LS": e["legal"].to_numpy(), "CIN": e["need"].to_numpy(),
                 "PLACE": e["placement_type"].to_numpy(), "PLACE_PROVIDER": e["provider"].to_numpy(),
                 "DEC": fmt_dates(e["dec"]), "REC": e["rec"].to_numpy(),
                 "REASON_PLACE_CHANGE": e["reason_place_change"].to_numpy(),
                 "HOME_POST": e["home_post"].to_numpy(), "PL_POST": e["pl_post"].to_numpy(), "URN": e["urn"].to_numpy(),
                 "_d": e["decom"].to_numpy()}
            )  # fmt: skip
            eps = eps.sort_values(["CHILD", "_d"], kind="stable").drop(columns="_d").reset_index(drop=True)
            kids = np.unique(child)
            ch = self.ch.loc[kids]
            hdr = pd.DataFrame(
                {"CHILD": self.ids.loc[kids].to_numpy(), "SEX": ssda903.sex_code(ch["sex"].to_numpy(), end_year),
                 "DOB": fmt_dates(ch["dob"]), "ETHNIC": ch["ethnicity"].to_numpy(), "UPN": upn(kids),
                 "MOTHER": np.where(ch["sex"] == "F", "0", ""), "MC_DOB": ""}
            ).sort_values("CHILD", kind="stable").reset_index(drop=True)  # fmt: skip
            files = {"header": hdr, "episodes": eps,
                     "uasc": pd.DataFrame(columns=["CHILD", "SEX", "DOB", "DUC"])}  # fmt: skip
            if end_year >= ssda903.SW_FROM:
                s = ssda903.year_sw_episodes(sw_all, kids, y, self.A)
                sw = pd.DataFrame(
                    {"CHILD": self.ids.loc[s["child"]].to_numpy(), "DOB": fmt_dates(self.ch.loc[s["child"], "dob"]),
                     "SW_ID": s["sw_id"].to_numpy(), "SW_DECOM": fmt_dates(s["sw_decom"]),
                     "SW_DEC": fmt_dates(s["sw_dec"]), "SW_REASON": s["sw_reason"].to_numpy(),
                     "_d": s["sw_decom"].to_numpy()}
                )  # fmt: skip
                files["sw_episodes"] = (sw.sort_values(["CHILD", "_d"], kind="stable").drop(columns="_d")
                                        .reset_index(drop=True))  # fmt: skip
            out[f"{y}-{end_year % 100:02d}"] = files
        return out


def upn(child: np.ndarray) -> np.ndarray:
    """A fictional 13-character UPN with a valid check letter (DfE algorithm)."""
    digits = np.column_stack([np.floor(unit(child, 100 + i) * 10).astype(np.int64) for i in range(12)])
    digits[:, :3] = [9, 9, 9]  # not a real LA number
    weights = np.arange(2, 14)
    check = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))[(digits * weights).sum(axis=1) % 23]
    number = digits @ (10 ** np.arange(11, -1, -1, dtype=np.int64))
    return np.char.add(check, np.char.zfill(number.astype(str), 12))


def write_extract(world: World, out: Path, as_at: pd.Timestamp, xlsx: bool = False) -> dict[str, Path]:
    """Write Annex A CSVs (and optionally one workbook) and SSDA903 files; return paths written."""
    out = Path(out)
    ex = Exporter(world, as_at)
    paths: dict[str, Path] = {}
    (out / "annex_a").mkdir(parents=True, exist_ok=True)
    (out / "ssda903").mkdir(parents=True, exist_ok=True)
    lists = ex.annex_a()
    for n, df in lists.items():
        p = out / "annex_a" / f"List {n}.csv"
        df.to_csv(p, index=False, lineterminator="\n")
        paths[f"List {n}"] = p
    if xlsx:
        p = out / "annex_a.xlsx"
        with pd.ExcelWriter(p, engine="openpyxl") as xw:
            for n, df in lists.items():
                df.to_excel(xw, sheet_name=f"List {n}", index=False)
        paths["xlsx"] = p
    for year, files in ex.ssda903().items():
        for name, df in files.items():
            p = out / "ssda903" / f"{name}_{year}.csv"
            df.to_csv(p, index=False, lineterminator="\n")
            paths[f"{name}_{year}"] = p
    return paths
