"""A synthetic region: several authorities of different sizes and characters (``cscbook synth-region``).

Each authority is Westmere's simulation with its own seed and scale (population 0-17 = 53,000
x scale) and a character (``planted.Character``): by default 8 authorities from 0.25 to 3
times Westmere, one with the odds of re-referral tripled (an outlier above the region on
re-referrals within 12 months) and one with the odds of an assessment within 45 working days
cut to 0.3 (an outlier below on assessment timeliness); the rest are Westmere's character,
differing only by chance. ``truth.json`` records every authority and the planted outliers;
``region.yaml`` is a region parameter file for the extracts (paths relative to the output folder).
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from cscbook.synth import planted

REREFERRAL_OUTLIER_ODDS = 3.0
ASSESSMENT_OUTLIER_ODDS = 0.3


@dataclass(frozen=True)
class AuthoritySpec:
    name: str
    slug: str
    seed: int
    scale: float
    character: planted.Character = field(default_factory=planted.Character)

    @property
    def population_0_17(self) -> int:
        return int(round(planted.POPULATION_0_17 * self.scale))


def default_specs(size: float = 1.0, seed: int = 20250331) -> list[AuthoritySpec]:
    """8 authorities A..H at 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5 and 3 times Westmere (times ``size``):
    B an outlier on assessment timeliness, D on re-referrals."""
    scales = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0]
    specs = []
    for i, s in enumerate(scales):
        letter = "ABCDEFGH"[i]
        c = planted.Character()
        if letter == "B":
            c = planted.Character(assessment_45wd_odds=ASSESSMENT_OUTLIER_ODDS)
        if letter == "D":
            c = planted.Character(rereferral_odds=REREFERRAL_OUTLIER_ODDS)
        specs.append(AuthoritySpec(f"Authority {letter}", f"authority_{letter.lower()}", seed + 1000 * (i + 1),
                                   s * size, c))  # fmt: skip
    return specs


def national_sizes(n: int = 150, total: float = 225.0, largest: float = 6.5, seed: int = 1) -> list[float]:
    """Sizes (times Westmere) of ``n`` authorities: lognormal, spread like English authorities'
    0-17 populations (about 2,000 to 340,000 children), capped at ``largest`` and summing to ``total``."""
    import numpy as np

    s = np.random.default_rng(seed).lognormal(0.0, 0.7, n)
    for _ in range(20):
        s = np.minimum(s * total / s.sum(), largest)
    return [round(float(x), 3) for x in s]


def national_specs(n: int = 150, seed: int = 20250331) -> list[AuthoritySpec]:
    """A synthetic national region: ``n`` authorities of realistic sizes (``national_sizes``; 150
    make about 225 times Westmere), the 10th an outlier on assessment timeliness and the 20th on
    re-referrals (both mid-sized), the rest Westmere's character."""
    specs = []
    for i, scale in enumerate(national_sizes(n)):
        c = planted.Character()
        if i == 9:
            c = planted.Character(assessment_45wd_odds=ASSESSMENT_OUTLIER_ODDS)
        if i == 19:
            c = planted.Character(rereferral_odds=REREFERRAL_OUTLIER_ODDS)
        specs.append(
            AuthoritySpec(f"Authority {i + 1:03d}", f"authority_{i + 1:03d}", seed + 1000 * (i + 1), scale, c)
        )
    return specs


def _generate(spec: AuthoritySpec, out: str, as_at: str) -> str:
    """Simulate one authority and write its extract to ``out/<slug>`` (a top-level task: picklable)."""
    from cscbook.synth.export import write_extract
    from cscbook.synth.world import simulate

    with planted.character(spec.character):
        world = simulate(spec.seed, spec.scale)
    write_extract(world, Path(out) / spec.slug, pd.Timestamp(as_at))
    return spec.slug


def truth(specs: list[AuthoritySpec], as_at: str) -> dict:
    """What was planted: every authority (seed, scale, population, character) and the outliers."""
    outliers: dict[str, list[dict]] = {"rereferral_12m": [], "assessment_45wd": []}
    for s in specs:
        if s.character.rereferral_odds > 1:
            outliers["rereferral_12m"].append({"name": s.name, "position": "above"})
        if s.character.rereferral_odds < 1:
            outliers["rereferral_12m"].append({"name": s.name, "position": "below"})
        if s.character.assessment_45wd_odds < 1:
            outliers["assessment_45wd"].append({"name": s.name, "position": "below"})
        if s.character.assessment_45wd_odds > 1:
            outliers["assessment_45wd"].append({"name": s.name, "position": "above"})
    return {
        "synthetic": True, "as_at": as_at,
        "authorities": [{**asdict(s), "population_0_17": s.population_0_17} for s in specs],
        "planted_outliers": outliers,
        "character": "odds multipliers on re-referral within 365 days of closure and on an assessment "
                     "within 45 working days (cscbook.synth.planted.Character); 1 = Westmere",
    }  # fmt: skip


def region_yaml(specs: list[AuthoritySpec], period_end: str, prefix: str = "") -> dict:
    """A region parameter file's content for the generated extracts (paths ``prefix + slug``)."""
    return {
        "region": f"Synthetic region ({len(specs)} authorities)", "synthetic": True, "period_end": period_end,
        "disclosure": {"min_cell": 5}, "measures": ["rereferral_12m", "assessment_45wd"],
        "authorities": [{"name": s.name, "annex_a": f"{prefix}{s.slug}/annex_a", "ssda903": f"{prefix}{s.slug}/ssda903",
                         "population_0_17": s.population_0_17} for s in specs],
    }  # fmt: skip


def synth_region(
    out: Path,
    specs: list[AuthoritySpec],
    as_at: str = "2025-03-31",
    period_end: str = "2024-12-31",
    workers: int = 2,
) -> dict:
    """Write every authority's extract, ``truth.json`` and ``region.yaml`` under ``out``; returns the truth."""
    out.mkdir(parents=True, exist_ok=True)
    if workers <= 1:
        for s in specs:
            _generate(s, str(out), as_at)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_generate, specs, [str(out)] * len(specs), [as_at] * len(specs)))
    info = truth(specs, as_at)
    (out / "truth.json").write_text(json.dumps(info, indent=2) + "\n")
    (out / "region.yaml").write_text(yaml.safe_dump(region_yaml(specs, period_end), sort_keys=False))
    return info


def main(args) -> int:
    """``cscbook synth-region``."""
    import time

    from cscbook.config.errors import UserError

    if not args.size > 0:
        raise UserError("--size must be a positive number (1 = authorities of 0.25 to 3 times Westmere).")
    t0 = time.perf_counter()
    n = int(getattr(args, "authorities", 0) or 0)
    if n < 0 or n in (1, 2):
        raise UserError("--authorities must be 3 or more (0 = the 8-authority example region).")
    specs = national_specs(n, int(args.seed)) if n else default_specs(float(args.size), int(args.seed))
    synth_region(Path(args.out), specs, workers=int(args.workers))
    print(
        f"Synthetic region: wrote {len(specs)} authorities, truth.json and region.yaml to {args.out} "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return 0
