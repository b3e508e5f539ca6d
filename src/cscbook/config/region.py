"""Region parameters: many authorities' extracts compared in one run (``cscbook region``).

One YAML file (see ``params/region_example.yaml``) names the region, the period end (a
financial-year quarter end, as for one quarter), disclosure control, the measures compared
(optional; default every headline proportion) and the authorities, each with its name,
extracts (``annex_a`` and/or ``ssda903``), ``population_0_17`` (ONS mid-year estimate) and
optional ``targets``. Paths are relative to the project root (the folder holding ``params/``).
Every problem in the file is reported together, naming the key (``authorities[2].annex_a``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from cscbook.config.errors import UserError
from cscbook.config.params import (
    _PROPORTION_TARGETS,
    TARGET_KEYS,
    DuplicateKeyError,
    Params,
    _date_fix,
    _NoDatesLoader,
    _Problems,
    resolve_path,
)
from cscbook.config.periods import quarter_label

_TOP = {"region", "synthetic", "period_end", "disclosure", "authorities", "measures", "workers"}
_AUTHORITY = {"name", "annex_a", "ssda903", "population_0_17", "targets"}


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
    value = raw.get("period_end")
    if value in (None, ""):
        bad.add("period_end", "is missing", "Add the quarter's last day, e.g. period_end: 2024-12-31.")
        return None
    try:
        end = pd.Timestamp(str(value)).normalize()
    except (ValueError, TypeError):
        bad.add("period_end", f"is not a date ({value!r})", _date_fix(value))
        return None
    if (end.month, end.day) not in {(3, 31), (6, 30), (9, 30), (12, 31)}:
        bad.add(
            "period_end",
            f"is {end:%Y-%m-%d}, not a quarter end",
            "Use 30 June, 30 September, 31 December or 31 March.",
        )
        return None
    if end.year < 2015 or end > pd.Timestamp.today().normalize() + pd.Timedelta(days=366):
        bad.add("period_end", f"is {end:%Y-%m-%d}, an impossible date", "Check the year.")
        return None
    return end


def _paths(value, key: str, root: Path, bad: _Problems) -> tuple[Path, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        bad.add(key, "must be a path or a list of paths", "e.g. annex_a: data/local/north/annex_a")
        return ()
    out = []
    for v in values:
        p = resolve_path(root / v, f"path in key '{key}'")
        if not p.exists():
            bad.add(key, f"names {v}, which does not exist", f"Put the extract at {p} or fix the path.")
        out.append(p)
    return tuple(out)


def _targets(value, key: str, bad: _Problems) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        bad.add(key, "must be a mapping of target names to numbers", "e.g. targets: {assessment_45wd: 0.85}")
        return {}
    out = {}
    for k, v in value.items():
        if k not in TARGET_KEYS:
            bad.add(f"{key}.{k}", "is not a known target", f"Known targets: {', '.join(TARGET_KEYS)}.")
        elif not isinstance(v, int | float) or isinstance(v, bool):
            bad.add(f"{key}.{k}", "must be a number", "Write proportions as 0.85, rates as numbers.")
        elif k in _PROPORTION_TARGETS and not 0 <= v <= 1:
            bad.add(f"{key}.{k}", f"is {v}, not a proportion between 0 and 1", "Write 85% as 0.85.")
        else:
            out[k] = float(v)
    return out


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
    for i, item in enumerate(items):
        key = f"authorities[{i}]"
        if not isinstance(item, dict):
            bad.add(
                key, "must be a mapping with name, annex_a/ssda903 and population_0_17", "See the example."
            )
            continue
        for extra in sorted(set(item) - _AUTHORITY):
            bad.add(
                f"{key}.{extra}",
                "is not a known authority setting",
                f"Allowed: {', '.join(sorted(_AUTHORITY))}.",
            )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            bad.add(f"{key}.name", "is missing or not a text", "Give the authority's name.")
            name = f"authority {i + 1}"
        elif name in seen:
            bad.add(
                f"{key}.name", f"repeats '{name}' (authorities[{seen[name]}])", "Give each authority once."
            )
        seen.setdefault(name, i)
        annex_a = _paths(item.get("annex_a"), f"{key}.annex_a", root, bad)
        ssda903 = _paths(item.get("ssda903"), f"{key}.ssda903", root, bad)
        if not item.get("annex_a") and not item.get("ssda903"):
            bad.add(
                f"{key}.annex_a", "is missing (and so is 'ssda903')", "Give the path of at least one extract."
            )
        pop = item.get("population_0_17")
        if not isinstance(pop, int) or isinstance(pop, bool) or pop <= 0:
            bad.add(f"{key}.population_0_17", f"must be a positive whole number of children (is {pop!r})",
                    "Use the ONS mid-year estimate of children aged 0-17.")  # fmt: skip
            pop = 1
        targets = _targets(item.get("targets"), f"{key}.targets", bad)
        if end is not None:
            authorities.append(Params(authority=name.strip(), period_end=end, annex_a=annex_a, ssda903=ssda903,
                                      population_0_17=pop, project_root=root, source_file=path,
                                      synthetic=synthetic is True, targets=targets,
                                      min_cell=min_cell if isinstance(min_cell, int) else 5))  # fmt: skip
    bad.raise_any()
    return RegionParams(region=region.strip(), period_end=end, authorities=tuple(authorities), project_root=root,
                        source_file=path, min_cell=min_cell, measures=tuple(measures), workers=workers,
                        synthetic=synthetic)  # fmt: skip
