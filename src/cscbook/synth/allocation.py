"""Teams and fictional workers: each child's one current allocation (caseloads).

Teams follow the quarterly update's service areas. A child is allocated to the team of their
most specific open case (``team_for``) and, within it, to one fictional worker (code + name)
picked by a uniform of the allocation's own random stream (``draws``): one per child and team,
so a child keeps their worker while they stay in a team, in every extract. Team sizes are set
so that caseloads (children per worker) on the example's extract date (31 March 2025) look
like the quarterly update's: about 16 children per worker in Initial Response and Children's
Social Work, 18 in Permanence, 20 in Disabled Children and 23 in Care Leavers (Through Care),
counting care leavers under 22.
"""

from __future__ import annotations

import numpy as np

# team -> (worker code prefix, workers at scale 1)
TEAMS = {
    "Initial Response": ("IR", 27),
    "Children's Social Work North": ("CN", 14),
    "Children's Social Work South": ("CS", 15),
    "Children's Social Work East": ("CE", 13),
    "Children's Social Work West": ("CW", 15),
    "Disabled Children": ("DC", 3),
    "Permanence": ("PM", 17),
    "Care Leavers (Through Care)": ("TC", 12),
    "Fostering": ("FO", 1),
}
IR, DC, PERM, CL, FOST = ("Initial Response", "Disabled Children", "Permanence", "Care Leavers (Through Care)",
                          "Fostering")  # fmt: skip
PA_COLUMN = len(TEAMS)  # the care leaver's personal adviser
FOSTERING_COLUMN = len(TEAMS) + 1  # whether Fostering holds a child in long-term foster care
FOSTERING_SHARE = 0.2  # of children in care for a year or more in U1/U4 foster placements
STREAM = 8  # spawn key of the allocation's stream: world.simulate uses 0-7
FIRST = ["Alex", "Sam", "Jordan", "Morgan", "Casey", "Jamie", "Robin", "Taylor", "Drew", "Rowan", "Kit",
         "Ellis", "Harper", "Quinn", "Avery", "Reese", "Sasha", "Toni", "Frankie", "Charlie"]  # fmt: skip
LAST = ["Ashby", "Brennock", "Calloway", "Dunmore", "Everleigh", "Fenwick", "Garrow", "Hollis", "Ivers",
        "Jessop", "Kemble", "Lorrimer", "Marchbank", "Nettleford", "Oakridge", "Pendry", "Quarles",
        "Rudge", "Stanway", "Thirlby", "Upcott", "Vellacott", "Wrexford", "Yelland"]  # fmt: skip


def draws(seed: int, n_children: int) -> np.ndarray:
    """Uniforms [0, 1) of the allocation's own stream: one row per child (child numbers are
    0..n-1), one column per team, then the personal adviser and the fostering split."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM,)))
    return rng.random((n_children, len(TEAMS) + 2))


def area_team(district: np.ndarray) -> np.ndarray:
    """Children's Social Work area by home district WM1-22."""
    d = np.asarray(district)
    return np.select(
        [d <= 5, d <= 11, d <= 16],
        ["Children's Social Work North", "Children's Social Work South", "Children's Social Work East"],
        "Children's Social Work West",
    )


def team_for(
    case: np.ndarray,
    district: np.ndarray,
    need: np.ndarray,
    age: np.ndarray,
    days_in_care: np.ndarray,
    foster_long: np.ndarray,
) -> np.ndarray:
    """Team holding a child's most specific open case (``case``: 'care', 'cp', 'leaver', 'cin',
    'front door' or '' for none; '' team for none).

    In care: Care Leavers (Through Care) from 16, Permanence after a year in care (Fostering
    when ``foster_long``), else as a child in need. Child protection plan or child in need
    plan: the home area's Children's Social Work team, Disabled Children for need N2. Care
    leaver: Care Leavers. Front door (referral, assessment, s47 enquiry): Initial Response.
    """
    case = np.asarray(case)
    cin = np.where(np.asarray(need) == "N2", DC, area_team(district))
    care = np.where(np.asarray(age) >= 16, CL,
                    np.where(np.asarray(days_in_care) >= 365, np.where(foster_long, FOST, PERM), cin))  # fmt: skip
    return np.select([case == "care", np.isin(case, ["cp", "cin"]), case == "leaver", case == "front door"],
                     [care, cin, CL, IR], "").astype(object)  # fmt: skip


def team_size(team: str, scale: float) -> int:
    """Workers in the team at ``scale`` (at least 1)."""
    return max(int(round(TEAMS[team][1] * scale)), 1)


def worker(team: np.ndarray, u: np.ndarray, scale: float) -> np.ndarray:
    """Fictional worker 'IR07 Sam Hollis' of the team for each uniform ``u`` ('' for no team)."""
    team = np.asarray(team, dtype=object)
    u = np.asarray(u, dtype=float)
    out = np.full(len(team), "", dtype=object)
    for name, (abbr, _) in TEAMS.items():
        m = team == name
        if not m.any():
            continue
        n = team_size(name, scale)
        out[m] = roster(abbr, n)[np.minimum(np.floor(u[m] * n).astype(np.int64), n - 1)]
    return out.astype(str)


def unit(key: np.ndarray, salt: int) -> np.ndarray:
    """A fixed pseudo-random number in [0, 1) for each integer key (a hash, not a stream)."""
    k = (np.asarray(key, dtype=np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B9)) & np.uint64(0xFFFFFFFF)
    k = (k * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    k ^= k >> np.uint64(15)
    k = (k * np.uint64(2246822519)) & np.uint64(0xFFFFFFFF)
    k ^= k >> np.uint64(13)
    return k.astype(np.float64) / 2.0**32


def roster(abbr: str, n: int) -> np.ndarray:
    """The team's n fictional workers, e.g. 'IR07 Sam Hollis'."""
    j = np.arange(n)
    h = j * 7 + ord(abbr[0]) + ord(abbr[1])
    first = np.array(FIRST)[h % len(FIRST)]
    last = np.array(LAST)[(h // 3 + j * 5) % len(LAST)]
    return np.char.add(
        np.char.add(np.char.add(abbr, np.char.zfill((j + 1).astype(str), 2)), " "),
        np.char.add(np.char.add(first, " "), last),
    )
