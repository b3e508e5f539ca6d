"""The synthetic example authority: Westmere (synthetic example authority).

A seeded, deterministic simulation of children's journeys through a fictional English
unitary authority, April 2018 to 31 March 2025, exported "as at" a date as Annex A lists,
SSDA903 files and a ``truth.json`` of the planted effects.

``simulate(seed, scale)`` always runs to 31 March 2025 with the same random streams;
``write_extract(world, out, as_at)`` censors at the extract date, so extracts at different
dates agree on everything that was known at both.
"""

from cscbook.synth.world import World, simulate

__all__ = ["World", "simulate"]
