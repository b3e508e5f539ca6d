"""Care leavers (Annex A List 9): young people who left care aged 16 or over after 13 weeks.

Each leaver gets, for each birthday from 17 to 21, whether the authority is in touch, their
activity and accommodation then (DfE records these around the birthday), so an extract
at any date reports the status at the latest birthday. About 45% of those in touch are in
education, employment or training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.synth import steps
from cscbook.synth.days import day
from cscbook.synth.population import Registry

IN_TOUCH_P = {"YES": 0.90, "NO": 0.05, "REFU": 0.03, "NREQ": 0.02}
# Education, employment or training (F*, P*): 0.45 in all.
ACTIVITY_P = {"F1": 0.05, "P1": 0.01, "F2": 0.15, "P2": 0.03, "F4": 0.04, "P4": 0.01, "F5": 0.12,
              "P5": 0.04, "G4": 0.13, "G5": 0.32, "G6": 0.10}  # fmt: skip
ACCOMMODATION_P = {"B": 0.15, "D": 0.30, "E": 0.05, "U": 0.25, "Z": 0.08, "T": 0.05, "K": 0.03,
                   "S": 0.02, "X": 0.02, "Y": 0.03, "V": 0.02}  # fmt: skip
AGES = range(17, 22)
HISTORIC_PER_YEAR = 62.0


def care_leavers(
    rng: np.random.Generator, periods: pd.DataFrame, reg: Registry, scale: float
) -> pd.DataFrame:
    """One row per care leaver: child, dob, left (day), aged_out, and per-age status columns."""
    p = periods[periods["end"] >= 0]
    age_out = (p["end"] - p["dob"]) / 365.25
    p = p[(age_out >= 16) & ((p["end"] - p["start"]) >= 91)]
    sim = pd.DataFrame(
        {"child": p["child"].to_numpy(), "dob": p["dob"].to_numpy(), "left": p["end"].to_numpy()}
    )
    # young people who left care before the simulation started (aged 16-18, 2014-2018)
    first, last = day("2014-04-01"), day("2018-03-31")
    k = rng.poisson(HISTORIC_PER_YEAR * scale * (last - first) / 365.25)
    left = np.sort(rng.integers(first, last + 1, size=k))
    age = np.where(rng.random(k) < 0.7, 18 * 365.25 + 0.5, rng.uniform(16, 18, size=k) * 365.25).astype(
        np.int64
    )
    dob = left - age
    hist = pd.DataFrame({"child": reg.add(dob), "dob": dob, "left": left})
    out = pd.concat([sim, hist], ignore_index=True)
    n = len(out)
    for a in AGES:
        out[f"in_touch_{a}"] = steps.choice(rng, IN_TOUCH_P, n)
        out[f"activity_{a}"] = steps.choice(rng, ACTIVITY_P, n)
        acc = steps.choice(rng, ACCOMMODATION_P, n)
        out[f"accommodation_{a}"] = acc
        unsuitable = np.isin(acc, ["S", "X", "V"]) | (rng.random(n) < 0.05)
        out[f"suitability_{a}"] = np.where(unsuitable, "UNSUITABLE", "SUITABLE")
        out[f"contact_{a}"] = rng.integers(0, 60, size=n)  # days after the birthday
    return out
