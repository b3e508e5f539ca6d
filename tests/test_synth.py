"""The synthetic authority: reproducibility, template headers, calibration, consistency, as-at invariance.

Calibration ranges are BENCHMARKS.md's figures for a mid-sized unitary authority.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cscbook.config.calendar import working_days_between
from cscbook.data.annexa_spec import LISTS
from cscbook.data.asat import restrict_tables
from cscbook.synth.cli import main as synth_main
from cscbook.synth.export import AS_AT_DEPENDENT

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "synthetic"
SEED = 20250331


def _generate(out: Path, as_at: str) -> Path:
    synth_main(argparse.Namespace(out=str(out), seed=SEED, scale=1.0, as_at=as_at, xlsx=False))
    return out


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory.mktemp("synth") / "example", "2025-03-31")


@pytest.fixture(scope="module")
def earlier(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory.mktemp("synth") / "sep2024", "2024-09-30")


def _lists(folder: Path) -> dict[int, pd.DataFrame]:
    return {
        n: pd.read_csv(folder / "annex_a" / f"List {n}.csv", dtype=str, keep_default_na=False)
        for n in range(1, 10)
    }


def _episodes(folder: Path) -> pd.DataFrame:
    files = sorted((folder / "ssda903").glob("episodes_*.csv"))
    eps = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
    # a later year's file holds the later version of an episode
    eps = eps.drop_duplicates(["CHILD", "DECOM"], keep="last")
    eps["s"] = pd.to_datetime(eps["DECOM"], format="%d/%m/%Y")
    eps["e"] = pd.to_datetime(eps["DEC"], format="%d/%m/%Y")
    return eps.sort_values(["CHILD", "s"]).reset_index(drop=True)


def _d(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%d/%m/%Y")


def _fy_end(year: int) -> pd.Timestamp:
    return pd.Timestamp(f"{year}-03-31")


# ---- reproducibility and format ---------------------------------------------------------------


def test_example_extract_is_regenerated_byte_identical(fresh):
    committed = sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*") if p.is_file())
    generated = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert committed == generated
    for rel in committed:
        assert (EXAMPLE / rel).read_bytes() == (fresh / rel).read_bytes(), rel


def test_headers_are_the_template_headers_in_order():
    for n, df in _lists(EXAMPLE).items():
        assert list(df.columns) == [c.header for c in LISTS[n].columns], n
    hdr = pd.read_csv(EXAMPLE / "ssda903" / "header_2024-25.csv", dtype=str)
    assert list(hdr.columns) == ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
    eps = pd.read_csv(EXAMPLE / "ssda903" / "episodes_2024-25.csv", dtype=str)
    assert list(eps.columns) == ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]  # fmt: skip
    assert sorted(p.name for p in (EXAMPLE / "ssda903").glob("episodes_*.csv")) == [
        f"episodes_{y}-{(y + 1) % 100:02d}.csv" for y in range(2019, 2025)
    ]


def test_coded_values_use_template_spellings():
    lists = _lists(EXAMPLE)
    for n, df in lists.items():
        for c in LISTS[n].columns:
            if c.codelist is None or c.kind != "code":
                continue
            values = set(df[c.header]) - {""}
            assert values <= set(c.codelist.template.values()), (
                n,
                c.header,
                values - set(c.codelist.template.values()),
            )
    assert "q) 6: Police" in set(lists[3]["Referral Source"])


def test_truth_json_has_the_agreed_keys():
    t = json.loads((EXAMPLE / "truth.json").read_text())
    for key in ["seed", "scale", "as_at", "rereferral", "assessment_45wd", "referrals_monthly", "cla_starts_step",
                "cla_stock", "null_series", "null_intervention_date", "social_workers"]:  # fmt: skip
        assert key in t, key
    assert t["seed"] == SEED and t["as_at"] == "2025-03-31"
    rr = t["rereferral"]
    assert rr["reference_levels"]["ended"] == "nfa_at_referral"
    assert rr["odds_ratios"]["sex[M]"] == 1.0 and rr["odds_ratios"]["disability[Y]"] == 1.0
    assert set(rr["null_terms"]) == {"sex[M]", "disability[Y]"}
    assert t["cla_starts_step"]["name"] == "edge_of_care"
    assert {s["name"] for s in t["null_series"]} == {"s47_icpc_15wd", "contact_decision_1wd"}
    assert t["null_intervention_date"] != t["cla_starts_step"]["date"]


# ---- calibration (BENCHMARKS.md) ------------------------------------------------------------


def test_children_in_care_starts_and_stock():
    eps = _episodes(EXAMPLE)
    for y in range(2021, 2026):
        d = _fy_end(y)
        n = eps[(eps["s"] <= d) & (eps["e"].isna() | (eps["e"] > d))]["CHILD"].nunique()
        assert 485 <= n <= 530, (y, n)
        assert 93 <= n / 5.3 <= 101, (y, n)  # per 10,000 of the 53,000 children
        # 165-200 a year, either side of the planted edge-of-care step (rate ratio 0.8)
        starts = ((eps["RNE"] == "S") & (eps["s"] > d - pd.DateOffset(years=1)) & (eps["s"] <= d)).sum()
        assert 165 <= starts <= 200, (y, starts)


def test_children_in_care_peak_in_may_2024_falls_by_september():
    eps = _episodes(EXAMPLE)

    def on(d: str) -> int:
        t = pd.Timestamp(d)
        return eps[(eps["s"] <= t) & (eps["e"].isna() | (eps["e"] > t))]["CHILD"].nunique()

    may, sep = on("2024-05-31"), on("2024-09-30")
    assert 525 <= may <= 535 and 510 <= sep <= 520 and may - sep >= 10, (may, sep)


def test_front_door_volumes_and_rereferrals():
    ref = _lists(EXAMPLE)[3]
    ref["d"] = _d(ref["Date of Referral"])
    for y in range(2020, 2026):
        d = _fy_end(y)
        year = ref[(ref["d"] > d - pd.DateOffset(years=1)) & (ref["d"] <= d)]
        assert 2400 <= len(year) <= 5300, (y, len(year))
        # DfE: a referral within 365 days of a previous one; the list's own count covers the look-back
        rate = (year["Number of Referrals in Last 12 Months"].astype(int) > 0).mean()
        assert 0.20 <= rate <= 0.31, (y, rate)


def test_child_protection_plans():
    cp = _lists(EXAMPLE)[7]
    cp["s"], cp["e"] = _d(cp["Child Protection Plan Start Date"]), _d(cp["Child Protection Plan End Date"])
    for y in range(2020, 2026):
        d = _fy_end(y)
        open_ = ((cp["s"] <= d) & (cp["e"].isna() | (cp["e"] > d))).sum()
        assert 230 <= open_ <= 360, (y, open_)
        started = cp[(cp["s"] > d - pd.DateOffset(years=1)) & (cp["s"] <= d)]
        second = (started["Number of Previous Child Protection Plans"].astype(int) > 0).mean()
        assert 0.20 <= second <= 0.30, (y, second)


def test_care_leavers_eet():
    cl = _lists(EXAMPLE)[9]
    age = cl["Age of Child (Years)"].astype(int)
    in_touch = cl["LA in Touch"] == "a) Yes"
    eet = cl["Activity Status"].str.split(":").str[0].isin(["F1", "F2", "F4", "F5", "P1", "P2", "P4", "P5"])
    sel = age.between(19, 21) & in_touch
    assert sel.sum() >= 80
    assert 0.40 <= eet[sel].mean() <= 0.50


# ---- planted effects and null series are in the data -------------------------------------------


def test_planted_front_door_changes_and_null_series():
    lists = _lists(EXAMPLE)
    a = lists[4]
    a["s"], a["a"] = (
        _d(a["Continuous Assessment Start Date"]),
        _d(a["Continuous Assessment Date of Authorisation"]),
    )
    a = a[a["a"].notna()]
    a["ok"] = working_days_between(a["s"], a["a"]).to_numpy() <= 45
    by_month = a.groupby(a["a"].dt.to_period("M"))["ok"].mean()
    assert by_month[pd.Period("2023-07", "M") : pd.Period("2024-06", "M")].mean() == pytest.approx(
        0.64, abs=0.04
    )
    assert by_month[pd.Period("2024-09", "M") : pd.Period("2025-03", "M")].mean() == pytest.approx(
        0.83, abs=0.04
    )
    ref = lists[3]
    months = _d(ref["Date of Referral"]).dt.to_period("M").value_counts()
    assert months[pd.Period("2024-01", "M")] > 400 and months[pd.Period("2024-09", "M")] < 340
    s = lists[5]
    s = s[s["Date of Initial Child Protection Conference"] != ""]
    wd = working_days_between(_d(s.iloc[:, 6]), _d(s["Date of Initial Child Protection Conference"]))
    fy = (_d(s.iloc[:, 6]) - pd.DateOffset(months=3)).dt.year.to_numpy()
    rates = pd.Series((wd <= 15).to_numpy())[fy >= 2019].groupby(fy[fy >= 2019]).mean()
    assert rates.between(0.74, 0.86).all(), rates
    c = lists[1]
    wd = working_days_between(_d(c["Date of Contact"]), _d(c["Date of Contact Decision"]))
    fy = (_d(c["Date of Contact"]) - pd.DateOffset(months=3)).dt.year.to_numpy()
    rates = pd.Series((wd <= 1).to_numpy()).groupby(fy).mean()
    assert rates.between(0.82, 0.88).all(), rates


# ---- consistency -------------------------------------------------------------------------------


def test_episodes_are_contiguous_and_valid():
    eps = _episodes(EXAMPLE)
    nxt = eps.groupby("CHILD")["s"].shift(-1)
    x1 = eps["REC"] == "X1"
    assert (eps.loc[x1, "e"] == nxt[x1]).all()  # X1: the next episode starts the same day
    cont = eps["RNE"] != "S"
    prev_end = eps.groupby("CHILD")["e"].shift(1)
    known = cont & prev_end.notna()
    assert (prev_end[known] == eps.loc[known, "s"]).all()  # later episodes continue the period
    # a continuing episode without its predecessor in the files started before the first year's files
    assert (eps.loc[cont & prev_end.isna(), "s"] < pd.Timestamp("2019-04-01")).all()
    assert ((eps["DEC"] == "") == (eps["REC"] == "")).all()
    assert (eps["e"].isna() | (eps["e"] >= eps["s"])).all()
    hdr = pd.concat(
        [pd.read_csv(f, dtype=str) for f in (EXAMPLE / "ssda903").glob("header_*.csv")]
    ).drop_duplicates("CHILD")
    dob = _d(hdr.set_index("CHILD")["DOB"]).reindex(eps["CHILD"]).to_numpy()
    eps["age_days"] = (eps["s"].to_numpy() - dob) / np.timedelta64(1, "D")
    assert (eps["age_days"] >= 0).all()
    b18 = pd.to_datetime(dob) + pd.DateOffset(years=18)
    assert (eps["e"].isna() | (eps["e"] <= b18)).all()
    assert (eps["s"] < b18).all()
    h5 = eps["PLACE"].isin(["H5", "P2"])
    assert (eps.loc[h5, "age_days"] >= 16 * 365).all()
    adopted = eps["REC"].isin(["E11", "E12"])
    assert eps.loc[adopted, "PLACE"].isin(["A5", "A6"]).all() and (eps.loc[adopted, "LS"] == "E1").all()
    assert not ((eps["PLACE"] == "P1") & (eps["LS"] == "V2")).any()


def test_no_event_before_birth_or_after_eighteen():
    for n, df in _lists(EXAMPLE).items():
        dob = _d(df["Date of Birth"])
        for c in LISTS[n].columns:
            if c.kind != "date" or c.name == "date_of_birth":
                continue
            d = _d(df[c.header])
            assert not (d < dob).any(), (n, c.header)
            if n != 9:  # care leavers are adults
                assert not (d > dob + pd.DateOffset(years=18)).any(), (n, c.header)


def test_plans_follow_conferences_and_care_follows_journeys():
    lists = _lists(EXAMPLE)
    s47, cp = lists[5], lists[7]
    held = s47[
        s47["Did the Initial Child Protection Conference Result in a Child Protection Plan"] == "a) Yes"
    ]
    conf = set(zip(held["Child Unique ID"], held["Date of Initial Child Protection Conference"], strict=True))
    late = cp[_d(cp["Child Protection Plan Start Date"]) >= pd.Timestamp("2019-06-01")]
    plans = set(zip(late["Child Unique ID"], late["Child Protection Plan Start Date"], strict=True))
    assert plans <= conf
    eps = _episodes(EXAMPLE)
    starts = eps[(eps["RNE"] == "S") & (eps["s"] >= pd.Timestamp("2019-04-01"))]
    cin = lists[6]
    cin["s"] = _d(cin["CIN Start Date"])
    first = cin.groupby("Child Unique ID")["s"].min()
    before = first.reindex(starts["CHILD"]).to_numpy() <= starts["s"].to_numpy()
    assert before.all()


# ---- the Foundation readers accept the extract -----------------------------------------------


@pytest.fixture(scope="module")
def canonical():
    from cscbook.data.ingest import read_annex_a
    from cscbook.data.ssda903 import read_ssda903

    return read_annex_a([EXAMPLE / "annex_a"]), read_ssda903([EXAMPLE / "ssda903"])


def test_readers_find_no_errors(canonical):
    for res in canonical:
        log = res.log
        errors = log[log["severity"] == "error"] if len(log) else log
        assert errors.empty, errors.head(10).to_string()


# ---- SSDA903 as DfE specifies it, by collection year ----------------------------------------------

POSTCODE = r"^[A-Z]{1,2}\d{1,2} \d[A-Z]{2}$"


def _year_files(kind: str) -> dict[str, pd.DataFrame]:
    return {f.stem.split("_")[-1]: pd.read_csv(f, dtype=str, keep_default_na=False)
            for f in sorted((EXAMPLE / "ssda903").glob(f"{kind}_20*.csv"))}  # fmt: skip


def test_ssda903_files_by_collection_year():
    years = ["2019-20", "2020-21", "2021-22", "2022-23", "2023-24", "2024-25"]
    assert list(_year_files("episodes")) == years and list(_year_files("uasc")) == years
    assert list(_year_files("sw_episodes")) == ["2023-24", "2024-25"]  # collected from 2023-24
    for y, hdr in _year_files("header").items():
        assert set(hdr["SEX"]) == ({"M", "F"} if y == "2024-25" else {"1", "2"}), y
    for y, eps in _year_files("episodes").items():
        if y >= "2023-24":  # P2 is not valid after 28 October 2023
            dec = _d(eps["DEC"])
            assert not ((eps["PLACE"] == "P2") & (dec.isna() | (dec > pd.Timestamp("2023-10-28")))).any(), y
        # supported accommodation (H5) has an Ofsted URN from 28 October 2023, none before
        h5 = eps[eps["PLACE"] == "H5"]
        registered = _d(h5["DECOM"]) >= pd.Timestamp("2023-10-28")
        assert (
            h5.loc[registered, "URN"].str.match(r"^SC\d{6}$").all()
            and (h5.loc[~registered, "URN"] == "XXXXXXX").all()
        )
        # full postcodes, all fictional: Westmere's WM area does not exist; elsewhere a Z unit
        for col in ("HOME_POST", "PL_POST"):
            assert eps[col].str.match(POSTCODE).all(), (y, col)
            assert (eps[col].str.startswith("WM") | (eps[col].str[-2] == "Z")).all()
        assert (eps["HOME_POST"].str.startswith("WM")).all()
        same = eps["HOME_POST"] == eps["PL_POST"]
        assert (eps.loc[same, "PLACE"] == "P1").all(), y
        assert ~eps["RNE"].isin(["T"]).any()


def test_ssda903_episode_rules():
    eps = _episodes(EXAMPLE)
    nxt_rne = eps.groupby("CHILD")["RNE"].shift(-1)
    # a placement change's reason sits on the episode that ends with it
    ends_in_move = (eps["REC"] == "X1") & nxt_rne.isin(["P", "U", "B"])
    assert (eps.loc[ends_in_move, "REASON_PLACE_CHANGE"] != "").all()
    assert (eps.loc[~ends_in_move, "REASON_PLACE_CHANGE"] == "").all()
    # police protection (L1) for at most 72 hours
    l1 = eps[eps["LS"] == "L1"]
    assert ((l1["e"] - l1["s"]).dt.days <= 3).all() and len(l1) > 0
    # placed for adoption with current foster carers (A3/A5) starts S, T or U
    assert eps.loc[eps["PLACE"].isin(["A3", "A5"]), "RNE"].isin(["S", "T", "U"]).all()


def test_social_workers_realistic_and_without_trend():
    """The book's reading (reader + measure) of the files equals truth.json, at a level of about
    1 in 7 children in care with 3 or more social workers in the year and no trend."""
    from cscbook.data.ssda903 import read_ssda903
    from cscbook.measures.social_workers import social_worker_counts

    truth = json.loads((EXAMPLE / "truth.json").read_text())["social_workers"]["realised"]
    res = read_ssda903([EXAMPLE / "ssda903"])
    shares = []
    for d, t in truth.items():
        c = social_worker_counts(
            res.tables["social_worker_episodes"], res.tables["cla_episodes"], pd.Timestamp(d)
        )
        assert (c.denominator, c.three_or_more, c.exactly_one) == (t["children_in_care"], t["three_or_more"],
                                                                   t["exactly_one"]), d  # fmt: skip
        assert 0.08 <= c.share_three_or_more <= 0.22 and 0.4 <= c.share_exactly_one <= 0.65, d
        shares.append(c.share_three_or_more)
    assert abs(shares[1] - shares[0]) < 0.05  # no planted trend: only noise between the two years


@pytest.mark.slow
def test_dfe_validation_rules_pass_on_every_collection_year(tmp_path):
    """DfE's own rules (csc-validator-be-903, in its own virtualenv) fire on no row of any year."""
    import os
    import subprocess
    import sys

    venv = os.environ.get("CSC903_VENV", "/work/venv-903")
    if not Path(venv, "bin", "python").exists() and not os.environ.get("CSC903_INSTALL"):
        pytest.skip(f"no validator virtualenv at {venv} (set CSC903_INSTALL=1 to create it)")
    out = tmp_path / "counts.json"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "dfe_validate_903.py"), str(EXAMPLE / "ssda903"),
                          "--venv", venv, "--json", str(out)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    counts = json.loads(out.read_text())
    assert sorted(counts) == ["2019-20", "2020-21", "2021-22", "2022-23", "2023-24", "2024-25"]
    assert all(r["fired"] == {} and r["ran"] > 100 for r in counts.values())
    # the only rule that cannot run: 231 (2024-25) reads UASC_STATUS, a column the package's CSV reader calls UASC
    assert {c for r in counts.values() for c in r["failed_to_run"]} <= {"231"}
    # with each year's previous year loaded too (rules comparing the two): only 202 in 2024-25, which compares
    # SEX codes across the change from 1/2 (2023-24) to M/F (2024-25) on every child in both years
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "dfe_validate_903.py"), str(EXAMPLE / "ssda903"),
                          "--venv", venv, "--with-previous", "--json", str(out)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})  # fmt: skip
    fired = {y: r["fired"] for y, r in json.loads(out.read_text()).items() if r["fired"]}
    assert list(fired) == ["2024-25"] and list(fired["2024-25"]) == ["202"], run.stdout


# ---- as-at invariance --------------------------------------------------------------------------


def _canon(folder: Path) -> dict[str, pd.DataFrame]:
    from cscbook.data.ingest import read_annex_a
    from cscbook.data.ssda903 import read_ssda903

    t = dict(read_annex_a([folder / "annex_a"]).tables)
    t.update(read_ssda903([folder / "ssda903"]).tables)
    return t


def _comparable(df: pd.DataFrame, drop: list[str]) -> pd.DataFrame:
    df = df.drop(columns=[c for c in drop if c in df.columns])
    df = df.astype("string").fillna("")
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def test_extract_as_at_september_equals_later_extract_restricted(earlier):
    later = restrict_tables(_canon(EXAMPLE), pd.Timestamp("2024-09-30"))
    then = _canon(earlier)
    # age and the "latest"/"current" columns depend on the extract date itself (export.AS_AT_DEPENDENT).
    # List 9 has no leaving date, so restricting cannot drop later leavers: compared on shared ids only.
    for name in ["contacts", "early_help", "referrals", "assessments", "s47", "cin", "cp_plans", "cla",
                 "cla_episodes", "social_worker_episodes"]:  # fmt: skip
        drop = AS_AT_DEPENDENT.get(name, [])
        a, b = _comparable(then[name], drop), _comparable(later[name], drop)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=name)
    cl_then, cl_later = then["care_leavers"], later["care_leavers"]
    shared = cl_later[cl_later["child_id"].isin(cl_then["child_id"])]
    static = ["child_id", "sex", "ethnicity", "date_of_birth", "uasc", "disability"]
    pd.testing.assert_frame_equal(_comparable(cl_then[static], []), _comparable(shared[static], []),
                                  check_dtype=False)  # fmt: skip


# ---- allocation: one current team and worker per child ------------------------------------------

# list -> (start column, end column: blank while open)
OPEN_ROWS = {6: ("CIN Start Date", "CIN Closure Date"),
             7: ("Child Protection Plan Start Date", "Child Protection Plan End Date"),
             8: ("Date Started to be Looked After", "Date Ceased to be Looked After")}  # fmt: skip
ALLOC = ["Allocated Team", "Allocated Worker"]
CSW = {f"Children's Social Work {a}" for a in ("North", "South", "East", "West")}


def _open_allocations(folder: Path) -> pd.DataFrame:
    """Rows of Lists 6-9 open at the extract date (List 9: under 22) with list, age, status, team, worker."""
    lists = _lists(folder)
    parts = []
    for n, (_, end) in OPEN_ROWS.items():
        df = lists[n]
        df = df[df[end] == ""]
        status = df["Case Status"] if n == 6 else ""
        parts.append(df[["Child Unique ID", "Age of Child (Years)", *ALLOC]].assign(list=n, status=status))
    cl = lists[9]
    cl = cl[cl["Age of Child (Years)"].astype(int) <= 21]
    parts.append(cl[["Child Unique ID", "Age of Child (Years)", *ALLOC]].assign(list=9, status=""))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("which", ["example", "earlier"])
def test_every_child_has_one_team_and_worker_across_open_rows(which, request):
    folder = EXAMPLE if which == "example" else request.getfixturevalue("earlier")
    rows = _open_allocations(folder)
    assert len(rows) > 2000 and (rows[ALLOC] != "").all().all()
    per_child = rows.groupby("Child Unique ID")[ALLOC].nunique()
    assert (per_child == 1).all().all(), per_child[(per_child > 1).any(axis=1)].head()
    # the worker belongs to the team ('IR07 ...' is Initial Response's)
    from cscbook.synth.allocation import TEAMS

    prefix = rows["Allocated Team"].map({t: a for t, (a, _) in TEAMS.items()})
    assert (rows["Allocated Worker"].str[:2] == prefix).all()
    # the team is that of the most specific open case
    lists = rows.groupby("Child Unique ID")["list"].agg(set)
    team = rows.drop_duplicates("Child Unique ID").set_index("Child Unique ID")
    age = team["Age of Child (Years)"].astype(int)
    in_care = lists.map(lambda s: 8 in s)
    assert (team.loc[in_care & (age >= 16), "Allocated Team"] == "Care Leavers (Through Care)").all()
    young = team.loc[in_care & (age < 16), "Allocated Team"]
    assert set(young) <= CSW | {"Disabled Children", "Permanence", "Fostering"} and "Permanence" in set(young)
    plan = lists.map(lambda s: 7 in s and 8 not in s)
    assert set(team.loc[plan, "Allocated Team"]) == CSW | {"Disabled Children"}
    leaver = lists.map(lambda s: s == {9})
    assert (team.loc[leaver, "Allocated Team"] == "Care Leavers (Through Care)").all()
    assessing = rows.loc[rows["status"] == "d) Open assessment", "Child Unique ID"]
    assert (team.loc[assessing, "Allocated Team"] == "Initial Response").all() and len(assessing) > 100


def _closed_by(df: pd.DataFrame, n: int, on: str) -> pd.DataFrame:
    start, end = OPEN_ROWS[n]
    key = ["Child Unique ID", start, *ALLOC]
    d = _d(df[end])
    return df.loc[d.notna() & (d <= pd.Timestamp(on)), key].sort_values(key).reset_index(drop=True)


def test_closed_rows_keep_the_allocation_they_closed_with(earlier):
    # rows closed by 30 September 2024 show the same team and worker in the later extract
    later, then = _lists(EXAMPLE), _lists(earlier)
    for n in OPEN_ROWS:
        a, b = _closed_by(then[n], n, "2024-09-30"), _closed_by(later[n], n, "2024-09-30")
        assert len(a) > 500, n
        pd.testing.assert_frame_equal(a, b, obj=f"List {n}")


# ---- calibration building blocks (hand-worked) -------------------------------------------------


def test_start_rate_trend_and_step():
    from cscbook.synth import care, planted
    from cscbook.synth.days import day

    t0 = day(planted.EDGE_OF_CARE_DATE)
    per_year = care.start_rate(np.array([t0 - 1, t0, t0 - 365, t0 + 365])) * 365.25
    # 203 a year just before the step, 0.8 x that from the step, 6% a year of trend either side
    assert per_year == pytest.approx([203.0 / 1.06 ** (1 / 365.25), 162.4, 203.0 / 1.06 ** (365 / 365.25),
                                      162.4 * 1.06 ** (365 / 365.25)])  # fmt: skip


def test_poisson_counts_invert_uniforms():
    from cscbook.synth.care import poisson_counts

    class Fixed:  # stands in for a Generator: hands back chosen uniforms
        def random(self, n):
            return np.array([0.0, 0.5, 0.5, 0.99])[:n]

    # P(0 | 2) = e^-2 = 0.135, P(<=1 | 2) = 0.406, P(<=2 | 2) = 0.677: median 2; P(0 | 0.5) = 0.607
    assert poisson_counts(Fixed(), np.array([2.0, 2.0, 0.5, 2.0])).tolist() == [0, 2, 0, 6]
    big = poisson_counts(np.random.default_rng(1), np.full(20_000, 3.0))
    assert big.mean() == pytest.approx(3.0, abs=0.05) and big.var() == pytest.approx(3.0, abs=0.15)


def test_plans_before_the_simulation_fall_as_its_own_history_grows():
    from cscbook.synth.world import pre_sim_plans

    u = np.array([0.70, 0.74, 0.80, 0.95, 0.70, 0.80])
    years = np.array([0.0, 0.0, 0.0, 0.0, 10.0, 10.0])
    # p = 0.265 at the start (one or more if u >= 0.735; two if u >= 1 - 0.265 x 0.245 = 0.935),
    # 0.19 ten years on (one or more if u >= 0.81)
    assert pre_sim_plans(u, years).tolist() == [0, 1, 1, 2, 0, 0]


def test_current_case_on_a_day_is_the_most_specific_open_one():
    from cscbook.synth.current_case import current_cases
    from cscbook.synth.days import add_years

    # child 0: referral day 100 (N1), assessment 101-110, s47 105-115, ICPC and plan 115-180, CIN 100-200.
    # child 1: referral day 1000 (N2), assessment authorised 1020, in care 1030-3000 (U3, then U1 from
    # day 1500), left care on day 3000 aged 17 and a care leaver until the day before the 22nd birthday.
    dob1 = 3000 - 17 * 365
    b22 = int(add_years(np.array([dob1]), 22)[0])
    tables = {
        "referrals": pd.DataFrame({"ref": [1, 2], "child": [0, 1], "referral": [100, 1000], "need": ["N1", "N2"]}),
        "assessments": pd.DataFrame({"child": [0, 1], "start": [101, 1001], "auth": [110, 1020]}),
        "s47": pd.DataFrame({"ref": [1], "child": [0], "start": [105], "end": [115]}),
        "cp": pd.DataFrame({"ref": [1], "child": [0], "start": [115], "end": [180]}),
        "cin": pd.DataFrame({"ref": [1, 2], "child": [0, 1], "start": [100, 1000], "closure": [200, 3000],
                             "auth": [110, 1020], "need": ["N1", "N2"]}),
        "periods": pd.DataFrame({"child": [1], "period": [7], "start": [1030], "end": [3000], "need": ["N2"]}),
        "episodes": pd.DataFrame({"period": [7, 7], "decom": [1030, 1500], "placement_type": ["U3", "U1"]}),
        "leavers": pd.DataFrame({"child": [1], "dob": [dob1], "left": [3000]}),
    }  # fmt: skip
    child = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    day = [99, 100, 110, 115, 181, 200, 201, 1020, 1030, 1500, 3000, 3001, b22]
    out = current_cases(tables, np.array(child), np.array(day))
    assert out["case"].tolist() == ["", "front door", "front door", "cp", "cin", "cin", "",
                                    "front door", "care", "care", "care", "leaver", ""]  # fmt: skip
    assert out["need"].tolist()[3:6] == ["N1", "N1", "N1"] and out["need"][8] == "N2"
    assert out["days_in_care"].tolist()[8:11] == [0, 470, 1970]
    assert out["foster_long"].tolist()[8:11] == [False, True, True]


def test_team_for_and_worker():
    from cscbook.synth.allocation import team_for, worker

    case = np.array(["care", "care", "care", "care", "cp", "cin", "leaver", "front door", ""])
    district = np.array([1, 1, 1, 12, 3, 20, 1, 1, 1])
    need = np.array(["N1", "N1", "N1", "N2", "N1", "N1", "", "N2", ""])
    age = np.array([16, 10, 10, 10, 5, 5, 19, 5, 5])
    days = np.array([0, 400, 400, 100, 0, 0, 0, 0, 0])
    foster = np.array([False, True, False, False, False, False, False, False, False])
    assert team_for(case, district, need, age, days, foster).tolist() == [
        "Care Leavers (Through Care)", "Fostering", "Permanence", "Disabled Children",
        "Children's Social Work North", "Children's Social Work West", "Care Leavers (Through Care)",
        "Initial Response", "",
    ]  # fmt: skip
    # Initial Response has 27 workers at scale 1: u = 0 picks the first, 0.999 the 27th, 0.5 the 14th
    w = worker(np.array(["Initial Response"] * 3 + [""], dtype=object), np.array([0.0, 0.999, 0.5, 0.3]), 1.0)
    assert [x[:4] for x in w[:3]] == ["IR01", "IR27", "IR14"] and w[3] == ""
    assert worker(np.array(["Fostering"], dtype=object), np.array([0.7]), 0.1)[0].startswith("FO01 ")


# ---- the SSDA903 return's corrections (synth.ssda903), on hand-made episodes --------------------


def _ep(rows: list[tuple]) -> pd.DataFrame:
    cols = ["period", "child", "decom", "dec", "rne", "legal", "placement_type", "provider", "pl_post", "urn",
            "home_post", "rec", "reason_place_change", "need"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def test_same_day_changes_split_and_police_protection():
    from cscbook.synth.ssda903 import submitted_episodes

    e = _ep([
        # period 1: emergency L1 for 6 days, then a same-day legal + placement change to A6 (adoption)
        (1, 10, 100, 106, "S", "L1", "U6", "PR1", "WM1", "XXXXXXX", "WM2", "X1", None, "N1"),
        (1, 10, 106, 300, "L", "C1", "U6", "PR1", "WM1", "XXXXXXX", "WM2", "X1", None, "N1"),
        (1, 10, 300, 400, "T", "E1", "A6", "PR2", "BS4", "XXXXXXX", "WM2", "E11", None, "N1"),
        # period 2: police protection for 2 days; then foster carers become adopters (A5, same carer)
        (2, 11, 100, 102, "S", "L1", "U4", "PR1", "WM3", "XXXXXXX", "WM4", "X1", None, "N1"),
        (2, 11, 102, 200, "L", "V2", "U4", "PR1", "WM3", "XXXXXXX", "WM4", "X1", None, "N1"),
        (2, 11, 200, -1, "T", "E1", "A5", "PR1", "WM5", "XXXXXXX", "WM4", "", None, "N1"),
    ])  # fmt: skip
    s = submitted_episodes(e)
    p1 = s[s["period"] == 1]
    assert p1["rne"].tolist() == ["S", "L", "L", "P"]  # T -> L that day, P the next
    assert p1["decom"].tolist() == [100, 106, 300, 301] and p1["dec"].tolist() == [106, 300, 301, 400]
    assert p1["legal"].tolist() == ["L2", "C1", "E1", "E1"]  # 6 days of police protection -> EPO
    assert p1["placement_type"].tolist() == ["U6", "U6", "U6", "A6"]
    assert p1["reason_place_change"].tolist() == ["", "", "CARPL", ""]  # on the episode the move ends
    p2 = s[s["period"] == 2]
    assert p2["rne"].tolist() == ["S", "L", "U"] and p2["legal"].tolist() == ["L1", "V2", "E1"]
    assert p2["pl_post"].nunique() == 1  # A5 with the current foster carers: the same address
    assert p2["pl_post"].str.match(POSTCODE).all() and p1["pl_post"].str.match(POSTCODE).all()
    assert (s["home_post"] != s["pl_post"]).all()


def test_year_codes_and_late_march():
    from cscbook.synth.days import day
    from cscbook.synth.ssda903 import not_late_march, sex_code

    assert sex_code(np.array(["M", "F"]), 2024).tolist() == ["1", "2"]
    assert sex_code(np.array(["M", "F"]), 2025).tolist() == ["M", "F"]
    d = np.array([day("2024-03-25"), day("2024-03-26"), day("2024-03-31"), day("2024-04-01")])
    assert (not_late_march(d) - d).tolist() == [0, 6, 1, 0]
