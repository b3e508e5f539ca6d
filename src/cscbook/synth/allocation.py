"""Teams and fictional workers: every open case has a team and a worker (caseloads).

Teams follow the quarterly update's service areas. Workers are fictional (code + name) and
picked from each team's roster by a fixed hash of the case, so the same case keeps its
worker in every extract.
"""

from __future__ import annotations

import numpy as np

TEAMS = {
    "Initial Response": ("IR", 34),
    "Children's Social Work North": ("CN", 15),
    "Children's Social Work South": ("CS", 15),
    "Children's Social Work East": ("CE", 14),
    "Children's Social Work West": ("CW", 14),
    "Disabled Children": ("DC", 9),
    "Permanence": ("PM", 14),
    "Care Leavers (Through Care)": ("TC", 11),
    "Fostering": ("FO", 5),
}
FIRST = ["Alex", "Sam", "Jordan", "Morgan", "Casey", "Jamie", "Robin", "Taylor", "Drew", "Rowan", "Kit",
         "Ellis", "Harper", "Quinn", "Avery", "Reese", "Sasha", "Toni", "Frankie", "Charlie"]  # fmt: skip
LAST = ["Ashby", "Brennock", "Calloway", "Dunmore", "Everleigh", "Fenwick", "Garrow", "Hollis", "Ivers",
        "Jessop", "Kemble", "Lorrimer", "Marchbank", "Nettleford", "Oakridge", "Pendry", "Quarles",
        "Rudge", "Stanway", "Thirlby", "Upcott", "Vellacott", "Wrexford", "Yelland"]  # fmt: skip


def area_team(district: np.ndarray) -> np.ndarray:
    """Children's Social Work area by home district WM1-22."""
    d = np.asarray(district)
    return np.select(
        [d <= 5, d <= 11, d <= 16],
        ["Children's Social Work North", "Children's Social Work South", "Children's Social Work East"],
        "Children's Social Work West",
    )


def unit(key: np.ndarray, salt: int) -> np.ndarray:
    """A fixed pseudo-random number in [0, 1) for each integer key (a hash, not a stream)."""
    k = (np.asarray(key, dtype=np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B9)) & np.uint64(0xFFFFFFFF)
    k = (k * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    k ^= k >> np.uint64(15)
    k = (k * np.uint64(2246822519)) & np.uint64(0xFFFFFFFF)
    k ^= k >> np.uint64(13)
    return k.astype(np.float64) / 2.0**32


def worker(team: np.ndarray, key: np.ndarray, scale: float) -> np.ndarray:
    """Fictional worker 'IR07 Sam Hollis' for a case (team, key)."""
    team = np.asarray(team, dtype=object)
    u = unit(key, 7)
    out = np.full(len(team), "", dtype=object)
    for name, (abbr, size) in TEAMS.items():
        m = team == name
        if not m.any():
            continue
        n = max(int(round(size * scale)), 1)
        i = np.floor(u[m] * n).astype(np.int64)
        out[m] = roster(abbr, n)[i]
    return out.astype(str)


def roster(abbr: str, n: int) -> np.ndarray:
    """The team's n fictional workers, e.g. 'IR07 Sam Hollis'."""
    j = np.arange(n)
    h = j * 7 + ord(abbr[0]) + ord(abbr[1])
    first = np.array(FIRST)[h % len(FIRST)]
    last = np.array(LAST)[(h // 3 + j * 5) % len(LAST)]
    return np.char.add(np.char.add(np.char.add(abbr, np.char.zfill((j + 1).astype(str), 2)), " "),
                       np.char.add(np.char.add(first, " "), last))
