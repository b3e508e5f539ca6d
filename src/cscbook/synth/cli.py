"""``cscbook synth``: simulate Westmere and write the extract as at a date."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from cscbook.config.errors import UserError
from cscbook.synth import planted


def main(args) -> int:
    from cscbook.synth.export import write_extract
    from cscbook.synth.local_measures import write_local_measures
    from cscbook.synth.truth import truth
    from cscbook.synth.world import simulate

    try:
        as_at = pd.Timestamp(args.as_at)
    except (ValueError, TypeError) as exc:
        raise UserError(f"--as-at {args.as_at!r} is not a date; write it as YYYY-MM-DD.") from exc
    lo, hi = pd.Timestamp(planted.WINDOW_START), pd.Timestamp(planted.SIM_END)
    if not lo <= as_at <= hi:
        raise UserError(f"--as-at must be between {lo.date()} and {hi.date()} (the simulated period).")
    if not args.scale > 0:
        raise UserError("--scale must be a positive number (1 = the example authority).")
    t0 = time.perf_counter()
    world = simulate(int(args.seed), float(args.scale))
    out = Path(args.out)
    paths = write_extract(world, out, as_at, xlsx=bool(args.xlsx))
    info = truth(world, as_at)
    info["local_measures"] = write_local_measures(out, as_at, int(args.seed))
    (out / "truth.json").write_text(json.dumps(info, indent=2, sort_keys=False) + "\n")
    print(
        f"Westmere (synthetic example authority): wrote {len(paths) + 1} files to {out} "
        f"as at {as_at.date()} in {time.perf_counter() - t0:.1f} s"
    )
    return 0
