"""Children of Westmere: the resident population (births and ageing) and personal attributes.

Every child who appears in an extract is a row of the ``children`` table built by
``Registry``: sex, ethnicity (a South West city's mix, about 85% White British),
disability, date of birth and a fictional home postcode district (``WM1``..``WM22``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.synth import planted
from cscbook.synth.days import day

ETHNICITY_P = {
    "WBRI": 0.850, "WOTH": 0.040, "WIRI": 0.003, "WROM": 0.002, "WIRT": 0.001,
    "MWBC": 0.012, "MWBA": 0.005, "MWAS": 0.012, "MOTH": 0.010,
    "AIND": 0.006, "APKN": 0.003, "ABAN": 0.002, "AOTH": 0.005,
    "BCRB": 0.002, "BAFR": 0.010, "BOTH": 0.002, "CHNE": 0.003, "OOTH": 0.006,
    "REFU": 0.004, "NOBT": 0.008,
}  # fmt: skip
DISABILITY_P = 0.07
N_DISTRICTS = 22  # fictional outward codes WM1..WM22


class Registry:
    """Accumulates children (vectorised batches) and hands out integer child numbers."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.parts: list[pd.DataFrame] = []
        self.n = 0

    def add(self, dob: np.ndarray, disabled: np.ndarray | None = None) -> np.ndarray:
        """Create one child per date of birth; return their child numbers."""
        dob = np.asarray(dob, dtype=np.int64)
        k = len(dob)
        rng = self.rng
        codes = list(ETHNICITY_P)
        p = np.array(list(ETHNICITY_P.values()))
        dis = rng.random(k) < DISABILITY_P
        if disabled is not None:
            dis = dis | np.asarray(disabled, dtype=bool)
        part = pd.DataFrame(
            {
                "child": np.arange(self.n, self.n + k, dtype=np.int64),
                "sex": np.where(rng.random(k) < 0.51, "M", "F"),
                "ethnicity": np.array(codes)[rng.choice(len(codes), size=k, p=p / p.sum())],
                "dob": dob,
                "disability": np.where(dis, "Y", "N"),
                "district": rng.integers(1, N_DISTRICTS + 1, size=k),
            }
        )
        self.parts.append(part)
        self.n += k
        return part["child"].to_numpy()

    def table(self) -> pd.DataFrame:
        return pd.concat(self.parts, ignore_index=True)


class Pool:
    """The resident child population: births spread evenly from April 2000, sorted by birth.

    ``sample(days)`` picks, for each day, a resident child aged 0-17 on that day (children are
    created lazily in the registry the first time they are picked, so the pool is cheap).
    """

    def __init__(self, rng: np.random.Generator, registry: Registry, scale: float):
        first, last = day("2000-04-01"), day(planted.SIM_END)
        births_per_day = planted.POPULATION_0_17 * scale / (18 * 365.25)
        n = int(round(births_per_day * (last - first)))
        self.dob = np.sort(rng.integers(first, last + 1, size=n))
        self.child = np.full(n, -1, dtype=np.int64)
        self.rng = rng
        self.registry = registry

    def sample(self, days: np.ndarray) -> np.ndarray:
        days = np.asarray(days, dtype=np.int64)
        lo = np.searchsorted(self.dob, days - int(18 * 365.25) + 15, side="left")
        hi = np.searchsorted(self.dob, days, side="right")
        idx = lo + np.floor(self.rng.random(len(days)) * np.maximum(hi - lo, 1)).astype(np.int64)
        idx = np.minimum(idx, len(self.dob) - 1)
        new = np.unique(idx[self.child[idx] < 0])
        if len(new):
            self.child[new] = self.registry.add(self.dob[new])
        return self.child[idx]
