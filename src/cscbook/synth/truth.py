"""truth.json: the planted coefficients and change points, keyed by the names the chapters use."""

from __future__ import annotations

import pandas as pd

from cscbook.synth import planted
from cscbook.synth.world import World


def _points(points):
    return [{"date": d, "value": v} for d, v in points]


def truth(world: World, as_at: pd.Timestamp) -> dict:
    """Everything planted, with dates and sizes (independent of the random draws)."""
    return {
        "authority": planted.AUTHORITY,
        "synthetic": True,
        "seed": world.seed,
        "scale": world.scale,
        "as_at": str(pd.Timestamp(as_at).date()),
        "simulated_from": planted.SIM_START,
        "lists_cover_from": planted.WINDOW_START,
        "population_0_17": round(planted.POPULATION_0_17 * world.scale),
    }
