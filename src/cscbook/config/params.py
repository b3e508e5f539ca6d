"""Quarter parameters: one small YAML file per quarter in ``params/``, validated before use.

Paths in the file are relative to the project root (the folder that holds ``params/``).
Quarters are financial-year quarters: Q1 ends 30 June, Q2 30 September, Q3 31 December,
Q4 31 March; Q3 2024-25 ends 31 December 2024.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from cscbook.config.errors import UserError

TARGET_KEYS = {
    "contact_decision_1wd": "share of contacts decided within 1 working day",
    "assessment_45wd": "share of assessments authorised within 45 working days",
    "s47_icpc_15wd": "share of ICPCs within 15 working days of the s47 start",
    "rereferral_12m": "re-referrals within 12 months, share of referrals",
    "second_cp_plan": "second or subsequent child protection plans, share of plans started",
    "cla_rate_per_10k": "children in care per 10,000 children",
    "care_leavers_eet": "care leavers aged 19-21 in education, employment or training",
}


@dataclass(frozen=True)
class Intervention:
    name: str
    date: pd.Timestamp
    description: str = ""


@dataclass(frozen=True)
class Params:
    authority: str
    period_end: pd.Timestamp
    annex_a: tuple[Path, ...]
    ssda903: tuple[Path, ...]
    population_0_17: int
    project_root: Path
    source_file: Path
    synthetic: bool = False
    targets: dict[str, float] = field(default_factory=dict)
    interventions: tuple[Intervention, ...] = ()
    min_cell: int = 5
    commentary: Path | None = None
    notebook_timeout: int = 600
    protective_marking: str = "OFFICIAL"  # Government Security Classification, on every PDF page

    @property
    def quarter(self) -> str:
        """Financial-year quarter label, e.g. ``2024-25-Q3``."""
        return quarter_label(self.period_end)

    @property
    def quarter_title(self) -> str:
        """e.g. ``Q3 2024-25 (October to December 2024)``."""
        end = self.period_end
        start = pd.Timestamp(end.year, end.month, 1) - pd.DateOffset(months=2)
        label = quarter_label(end)
        fy, q = label.rsplit("-", 1)
        return f"{q} {fy} ({start:%B} to {end:%B %Y})"

    @property
    def reports_dir(self) -> Path:
        return self.project_root / "reports" / self.quarter

    @property
    def tables_dir(self) -> Path:
        return self.reports_dir / "tables"

    @property
    def figures_dir(self) -> Path:
        return self.project_root / "figures" / self.quarter


def quarter_label(period_end: pd.Timestamp) -> str:
    """Financial-year quarter of a quarter-end date: 2024-12-31 -> '2024-25-Q3'."""
    m, y = period_end.month, period_end.year
    fy_start = y if m >= 4 else y - 1
    q = {6: 1, 9: 2, 12: 3, 3: 4}[m]
    return f"{fy_start}-{str(fy_start + 1)[-2:]}-Q{q}"


_ALLOWED = {
    "authority": str,
    "period_end": (dt.date, str),
    "annex_a": (list, str),
    "ssda903": (list, str),
    "population_0_17": int,
    "synthetic": bool,
    "targets": dict,
    "interventions": list,
    "disclosure": dict,
    "commentary": str,
    "notebook_timeout": int,
    "protective_marking": str,
}
_REQUIRED = ("authority", "period_end", "population_0_17")


class _NoDatesLoader(yaml.SafeLoader):
    """YAML loader that leaves dates as text, so an impossible date (2024-02-30) is reported by key."""


_NoDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_PROPORTION_TARGETS = {k for k in TARGET_KEYS if k != "cla_rate_per_10k"}
_INTERVENTION_KEYS = {"name", "date", "description"}


def _date_fix(value: Any) -> str:
    """What to do about a value that is not a date: say which part is impossible when it has the right shape."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(value).strip())
    if not m:
        return "Write it as YYYY-MM-DD."
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        return f"There is no month {month}: write it as YYYY-MM-DD."
    last = calendar.monthrange(year, month)[1]
    return f"{calendar.month_name[month]} {year} has {last} days: check the day."


class _Problems:
    """Problems found in a parameter file, reported together so that one run shows them all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, key: str, problem: str, fix: str) -> None:
        self.items.append(f"key '{key}' {problem}. {fix}")

    def raise_any(self) -> None:
        if len(self.items) == 1:
            raise UserError(f"Parameter file {self.path}: {self.items[0]}")
        if self.items:
            listed = " ".join(f"({i}) {item}" for i, item in enumerate(self.items, 1))
            raise UserError(f"Parameter file {self.path} has {len(self.items)} problems: {listed}")


def load_params(path: str | Path) -> Params:
    """Read and validate a quarter's YAML parameters; raise one UserError naming every bad key."""
    path = Path(path).resolve()
    if not path.is_file():
        raise UserError(f"Parameter file {path} does not exist. Give the path of a YAML file in params/.")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDatesLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise UserError(f"Parameter file {path} is not valid YAML ({exc}). Check indentation and colons.") from None
    if not isinstance(raw, dict):
        raise UserError(f"Parameter file {path} must be a mapping of keys to values (see params/example.yaml).")
    bad = _Problems(path)
    for key in list(raw):
        if key not in _ALLOWED:
            bad.add(key, "is not a known parameter", f"Allowed keys: {', '.join(sorted(_ALLOWED))}.")
            del raw[key]
        elif raw[key] is not None and not isinstance(raw[key], _ALLOWED[key]) or (
            _ALLOWED[key] is int and isinstance(raw[key], bool)
        ):
            bad.add(key, f"has the wrong type ({type(raw[key]).__name__})", "See params/example.yaml.")
            raw[key] = None
    for key in _REQUIRED:
        if raw.get(key) in (None, "") and key in _ALLOWED and not any(f"key '{key}'" in i for i in bad.items):
            bad.add(key, "is missing", "Add it to the file (see params/example.yaml).")
    if not raw.get("annex_a") and not raw.get("ssda903") and not any("key 'annex_a'" in i for i in bad.items):
        bad.add("annex_a", "is missing (and so is 'ssda903')", "Give the path of at least one extract.")

    root = path.parent.parent if path.parent.name == "params" else path.parent
    period_end = None
    if raw.get("period_end") not in (None, ""):
        try:
            period_end = pd.Timestamp(raw["period_end"]).normalize()
        except (ValueError, TypeError):
            bad.add("period_end", f"is not a date ({raw['period_end']!r})", _date_fix(raw["period_end"]))
    if period_end is not None:
        if (period_end.month, period_end.day) not in {(3, 31), (6, 30), (9, 30), (12, 31)}:
            bad.add("period_end", f"is {period_end:%Y-%m-%d}, not a quarter end",
                    "Use 30 June, 30 September, 31 December or 31 March.")
        elif period_end.year < 2015 or period_end > pd.Timestamp.today().normalize() + pd.Timedelta(days=366):
            bad.add("period_end", f"is {period_end:%Y-%m-%d}, an impossible date", "Check the year.")
    if raw.get("population_0_17") is not None and raw["population_0_17"] <= 0:
        bad.add("population_0_17", "must be a positive number of children", "Use the ONS mid-year estimate.")

    def paths(key: str) -> tuple[Path, ...]:
        value = raw.get(key) or []
        value = [value] if isinstance(value, str) else value
        out = []
        for v in value:
            p = (root / str(v)).resolve()
            if not p.exists():
                bad.add(key, f"names {v}, which does not exist", f"Put the extract at {p} or fix the path.")
            out.append(p)
        return tuple(out)

    annex_a, ssda903 = paths("annex_a"), paths("ssda903")

    targets = dict(raw.get("targets") or {})
    for k, v in list(targets.items()):
        if k not in TARGET_KEYS:
            bad.add(f"targets.{k}", "is not a known target", f"Known targets: {', '.join(TARGET_KEYS)}.")
        elif not isinstance(v, int | float) or isinstance(v, bool):
            bad.add(f"targets.{k}", "must be a number", "Write proportions as 0.85, rates as numbers.")
        elif k in _PROPORTION_TARGETS and not 0 <= v <= 1:
            bad.add(f"targets.{k}", f"is {v}, not a proportion between 0 and 1", "Write 85% as 0.85.")
        else:
            continue
        del targets[k]

    interventions = []
    for i, item in enumerate(raw.get("interventions") or []):
        if not isinstance(item, dict) or "name" not in item or "date" not in item:
            bad.add(f"interventions[{i}]", "needs a name and a date", "e.g. {name: edge_of_care, date: 2023-04-01}.")
            continue
        extra = sorted(set(item) - _INTERVENTION_KEYS)
        if extra:
            bad.add(f"interventions[{i}].{extra[0]}", "is not a known setting", "Use name, date and description.")
        try:
            when = pd.Timestamp(item["date"])
        except (ValueError, TypeError):
            bad.add(f"interventions[{i}].date", f"is not a date ({item['date']!r})", _date_fix(item["date"]))
            continue
        if period_end is not None and when > period_end:
            bad.add(f"interventions[{i}].date", "is after the period end", "Evaluate it in a later quarter.")
        interventions.append(Intervention(str(item["name"]), when, str(item.get("description", ""))))

    disclosure = raw.get("disclosure") or {}
    unknown = set(disclosure) - {"min_cell"}
    if unknown:
        bad.add(f"disclosure.{sorted(unknown)[0]}", "is not a known setting", "Only min_cell is allowed.")
    min_cell = disclosure.get("min_cell", 5)
    if not isinstance(min_cell, int) or isinstance(min_cell, bool) or min_cell < 0:
        bad.add("disclosure.min_cell", "must be a whole number of 0 or more", "Use e.g. 5.")

    timeout = raw.get("notebook_timeout", 600)
    if timeout is not None and timeout <= 0:
        bad.add("notebook_timeout", "must be a positive number of seconds", "Use e.g. 600.")

    marking = raw.get("protective_marking") or "OFFICIAL"  # wrong types were reported above
    if isinstance(marking, str) and (not marking.strip() or len(marking) > 60):
        bad.add("protective_marking", "must be a short text", 'Use e.g. OFFICIAL or "OFFICIAL-SENSITIVE".')

    commentary = None
    if raw.get("commentary"):
        commentary = (root / raw["commentary"]).resolve()
        if not commentary.is_file():
            bad.add("commentary", f"names {raw['commentary']}, which does not exist", "Write it or remove the key.")

    bad.raise_any()
    return Params(
        authority=raw["authority"],
        period_end=period_end,
        annex_a=annex_a,
        ssda903=ssda903,
        population_0_17=int(raw["population_0_17"]),
        project_root=root,
        source_file=path,
        synthetic=bool(raw.get("synthetic", False)),
        targets={k: float(v) for k, v in targets.items()},
        interventions=tuple(interventions),
        min_cell=min_cell,
        commentary=commentary,
        notebook_timeout=int(raw.get("notebook_timeout") or 600),
        protective_marking=str(marking).strip(),
    )
