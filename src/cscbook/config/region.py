"""Region parameters: many authorities' extracts compared in one run (``cscbook region``).

One YAML file (see ``params/region_example.yaml``) names the region, the period end (a
financial-year quarter end, as for one quarter), disclosure control, the measures compared
(optional; default every headline proportion) and the authorities, each with its name,
extracts (``annex_a`` and/or ``ssda903``), ``population_0_17`` (ONS mid-year estimate) and
optionally any other key of a quarter's parameter file (``targets``, ``practice_standards``,
``local_measures``, ...) except the four set once for the region (period end, synthetic,
disclosure, and the name). Each authority is checked by the same code as one quarter's file
(``params.params_from_mapping``). Paths are relative to the project root (the folder holding
``params/``). Every problem in the file is reported together, naming the key
(``authorities[2].annex_a``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from cscbook.config.errors import UserError
from cscbook.config.params import (
    DuplicateKeyError,
    Params,
    _NoDatesLoader,
    _Problems,
    check_period_end,
    params_from_mapping,
    resolve_path,
)
from cscbook.config.periods import quarter_label

_TOP = {"region", "synthetic", "period_end", "disclosure", "authorities", "measures", "workers"}
_REGION_WIDE = {
    "authority",
    "period_end",
    "synthetic",
    "disclosure",
}  # an authority takes these from the region


@dataclass(frozen=True)
class RegionParams:
    """A validated region file: ``authorities`` are one ``Params`` each (no local measures)."""

    region: str
    period_end: pd.Timestamp
    authorities: tuple[Params, ...]
    project_root: Path
    source_file: Path
    min_cell: int = 5
    measures: tuple[str, ...] = ()  # empty: every headline proportion
    workers: int = 0  # 0: one process per core
    synthetic: bool = False

    @property
    def quarter(self) -> str:
        return quarter_label(self.period_end)

    @property
    def reports_dir(self) -> Path:
        """``reports/region/<quarter>/``."""
        return self.project_root / "reports" / "region" / self.quarter

    @property
    def max_workers(self) -> int:
        return self.workers or max(1, min(len(self.authorities), os.cpu_count() or 1))


def _read(path: Path) -> dict:
    if path.is_dir() or not path.is_file():
        raise UserError(f"Region parameter file {path} does not exist or is a folder. Give the path of a YAML "
                        "file, e.g. params/region_example.yaml.")  # fmt: skip
    try:
        raw = yaml.load(path.read_bytes().decode("utf-8-sig"), Loader=_NoDatesLoader)  # noqa: S506 - SafeLoader
    except UnicodeDecodeError as exc:
        raise UserError(f"Region parameter file {path} is not UTF-8 text (byte {exc.start}). Save it as UTF-8 "
                        "and run again.") from None  # fmt: skip
    except DuplicateKeyError as exc:
        raise UserError(f"Region parameter file {path}: {exc}. Delete the key you do not mean.") from None
    except yaml.YAMLError as exc:
        raise UserError(
            f"Region parameter file {path} is not valid YAML ({exc}). Check indentation and colons."
        ) from None
    if not isinstance(raw, dict):
        raise UserError(f"Region parameter file {path} must be a mapping of keys to values "
                        "(see params/region_example.yaml).")  # fmt: skip
    return raw


def _period_end(raw: dict, bad: _Problems) -> pd.Timestamp | None:
    if raw.get("period_end") in (None, ""):
        bad.add("period_end", "is missing", "Add the quarter's last day, e.g. period_end: 2024-12-31.")
        return None
    return check_period_end(raw["period_end"], bad)


def load_region(path: str | Path) -> RegionParams:
    """Read and validate a region file; raise one UserError naming every bad key."""
    path = resolve_path(Path(path), "region parameter file")
    raw = _read(path)
    bad = _Problems(path)
    root = path.parent.parent if path.parent.name == "params" else path.parent
    for key in sorted(set(raw) - _TOP):
        bad.add(key, "is not a known region setting", f"Allowed keys: {', '.join(sorted(_TOP))}.")
    region = raw.get("region")
    if not isinstance(region, str) or not region.strip():
        bad.add("region", "is missing or not a text", 'Name the region, e.g. region: "North West".')
    end = _period_end(raw, bad)
    synthetic = raw.get("synthetic", False)
    if not isinstance(synthetic, bool):
        bad.add("synthetic", "must be true or false", "Write synthetic: true only for generated data.")
    disclosure = raw.get("disclosure") or {}
    min_cell = disclosure.get("min_cell", 5) if isinstance(disclosure, dict) else None
    if not isinstance(disclosure, dict) or set(disclosure) - {"min_cell"}:
        bad.add("disclosure", "may only set min_cell", "e.g. disclosure: {min_cell: 5}")
    elif not isinstance(min_cell, int) or isinstance(min_cell, bool) or min_cell < 0:
        bad.add("disclosure.min_cell", "must be a whole number of 0 or more", "Use e.g. 5.")
    workers = raw.get("workers", 0)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
        bad.add("workers", "must be a whole number of processes (0 = one per core)", "Use e.g. 2.")
    measures = raw.get("measures") or []
    if not isinstance(measures, list) or not all(isinstance(m, str) for m in measures):
        bad.add(
            "measures", "must be a list of measure keys", "e.g. measures: [rereferral_12m, assessment_45wd]"
        )
        measures = []

    items = raw.get("authorities")
    if not isinstance(items, list) or len(items) < 3:
        bad.add("authorities", "must list at least 3 authorities", "A funnel plot compares 3 or more; see "
                "params/region_example.yaml.")  # fmt: skip
        items = items if isinstance(items, list) else []
    authorities, seen = [], {}
    shared = {"period_end": f"{end:%Y-%m-%d}" if end is not None else "2024-12-31",  # a stand-in when invalid
              "synthetic": synthetic is True, "disclosure": {"min_cell": min_cell if isinstance(min_cell, int) else 5}}  # fmt: skip
    for i, item in enumerate(items):
        key = f"authorities[{i}]"
        if not isinstance(item, dict):
            bad.add(
                key, "must be a mapping with name, annex_a/ssda903 and population_0_17", "See the example."
            )
            continue
        for extra in sorted(set(item) & _REGION_WIDE):
            bad.add(f"{key}.{extra}", "is set once for the whole region", "Move it to the top of the file.")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            bad.add(f"{key}.name", "is missing or not a text", "Give the authority's name.")
            name = f"authority {i + 1}"
        elif name in seen:
            bad.add(
                f"{key}.name", f"repeats '{name}' (authorities[{seen[name]}])", "Give each authority once."
            )
        seen.setdefault(name, i)
        own = {k: v for k, v in item.items() if k not in _REGION_WIDE and k != "name"}
        # the same validation as one quarter's parameter file, problems named inside this authority
        params = params_from_mapping(
            {**own, **shared, "authority": name.strip()}, root, path, bad.within(f"{key}.")
        )
        if params is not None:
            authorities.append(params)
    bad.raise_any()
    return RegionParams(region=region.strip(), period_end=end, authorities=tuple(authorities), project_root=root,
                        source_file=path, min_cell=min_cell, measures=tuple(measures), workers=workers,
                        synthetic=synthetic)  # fmt: skip
