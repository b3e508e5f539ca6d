"""Benchmarks of the whole product on this machine (run by `make benchmark`).

Measures, each in a fresh process: generating the synthetic authority (scale 1 and 10: wall
time and peak memory), reading and checking the example extract, and a full quarterly run of
the example book (per stage, from the run's timings.json). Prints a table; writes nothing
into the repository except the example run's usual outputs under reports/.

    .venv/bin/python benchmarks/run_benchmarks.py [--skip-synth]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, out.stdout


def read_benchmark() -> str:
    code = (
        "import resource, time\n"
        "from cscbook.config.params import load_params\n"
        "from cscbook.data.context import read_all\n"
        "t = time.perf_counter(); ctx = read_all(load_params('params/example.yaml'))\n"
        "rows = int(ctx.accounting['rows_read'].sum())\n"
        "print(f'{time.perf_counter() - t:.1f} s for {rows:,} rows, peak '\n"
        "      f'{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB')\n"
    )
    return timed([PY, "-c", code])[1].strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-synth", action="store_true")
    args = ap.parse_args()
    if not args.skip_synth:
        print("synthetic authority:")
        subprocess.run([PY, "benchmarks/synth_benchmark.py", "--scales", "1", "10"], cwd=ROOT, check=True)
    print("read and check the example extract:", read_benchmark())
    wall, _ = timed([str(Path(PY).parent / "cscbook"), "run", "params/example.yaml", "--quiet"])
    quarter = subprocess.run([PY, "-c", "from cscbook.config.params import load_params; "
                              "print(load_params('params/example.yaml').quarter)"],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    timings = json.loads((ROOT / "reports" / quarter / "timings.json").read_text())
    print(f"cscbook run params/example.yaml: {wall:.1f} s wall")
    for stage, seconds in timings["stages"].items():
        print(f"  {stage:<22} {seconds:6.1f} s")
    for nb, seconds in timings["notebooks"].items():
        print(f"    {nb:<28} {seconds:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
