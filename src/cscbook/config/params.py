"""Quarter parameters: one small YAML file per quarter in ``params/``, validated before use.

Paths in the file are relative to the project root (the folder that holds ``params/``).
Quarters are financial-year quarters: Q1 ends 30 June, Q2 30 September, Q3 31 December,
Q4 31 March; Q3 2024-25 ends 31 December 2024.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from cscbook.config.errors import UserError
from cscbook.config.local_measures import LocalMeasures, parse_local_measures
from cscbook.config.periods import quarter_label
from cscbook.config.standards import DEFAULTS as PRACTICE_DEFAULTS
from cscbook.config.standards import PRACTICE_TARGET_KEYS, check_standards

TARGET_KEYS = {
    "contact_decision_1wd": "share of contacts decided within 1 working day",
    "assessment_45wd": "share of assessments authorised within 45 working days",
    "s47_icpc_15wd": "share of ICPCs within 15 working days of the s47 start",
    "rereferral_12m": "re-referrals within 12 months, share of referrals",
    "second_cp_plan": "second or subsequent child protection plans, share of plans started",
    "cla_rate_per_10k": "children in care per 10,000 children",
    "care_leavers_eet": "care leavers aged 19-21 in education, employment or training",
    **PRACTICE_TARGET_KEYS,
    "caseload_per_worker": "average children per social worker (the upper end of the local target range)",
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
    history: Path | None = None
    local_measures: LocalMeasures = field(default_factory=LocalMeasures)
    chart_changes: dict[str, tuple[pd.Timestamp, ...]] = field(default_factory=dict)
    practice_standards: dict[str, int] = field(default_factory=lambda: dict(PRACTICE_DEFAULTS))
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

    @property
    def history_file(self) -> Path | None:
        """The measures history (aggregates of every published quarter), kept outside ``reports/``:
        the ``history`` parameter, else ``data/local/history/measures_history.parquet``. None when the
        environment sets ``CSCBOOK_HISTORY=none`` (the reference notebooks are run without one)."""
        if os.environ.get("CSCBOOK_HISTORY", "").lower() == "none":
            return None
        return self.history or self.project_root / "data" / "local" / "history" / "measures_history.parquet"


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
    "history": str,
    "local_measures": dict,
    "chart_changes": dict,
    "practice_standards": dict,
    "protective_marking": str,
}
_REQUIRED = ("authority", "period_end", "population_0_17")


class _NoDatesLoader(yaml.SafeLoader):
    """YAML loader that leaves dates as text, so an impossible date (2024-02-30) is reported by key."""


_NoDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class DuplicateKeyError(yaml.YAMLError):
    """A mapping in the parameter file names the same key twice (YAML would keep the last silently)."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise DuplicateKeyError(f"key '{key}' is given twice (lines {seen[key]} and {line})")
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_NoDatesLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def resolve_path(path: Path, what: str) -> Path:
    """``path.resolve()``, with a symbolic link that loops reported as a UserError naming ``what``."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:
        raise UserError(
            f"The {what} {path} is a symbolic link that loops back on itself ({exc}), so it leads to no file. "
            "Replace the link with the real file or folder, or fix the link's target."
        ) from None


_PROPORTION_TARGETS = {k for k in TARGET_KEYS if k not in ("cla_rate_per_10k", "caseload_per_worker")}
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

    def __init__(self, path: Path, prefix: str = "", items: list[str] | None = None) -> None:
        self.path = path
        self.prefix = prefix  # e.g. "authorities[2]." for one authority of a region file
        self.items: list[str] = items if items is not None else []

    def add(self, key: str, problem: str, fix: str) -> None:
        self.items.append(f"key '{self.prefix}{key}' {problem}. {fix}")

    def has(self, key: str) -> bool:
        """Whether a problem with ``key`` was reported already."""
        return any(f"key '{self.prefix}{key}'" in i for i in self.items)

    def within(self, prefix: str) -> _Problems:
        """The same list of problems, with keys named inside ``prefix`` (``authorities[2].``)."""
        return _Problems(self.path, self.prefix + prefix, self.items)

    def raise_any(self) -> None:
        if len(self.items) == 1:
            raise UserError(f"Parameter file {self.path}: {self.items[0]}")
        if self.items:
            listed = " ".join(f"({i}) {item}" for i, item in enumerate(self.items, 1))
            raise UserError(f"Parameter file {self.path} has {len(self.items)} problems: {listed}")


def check_period_end(value: Any, bad: _Problems) -> pd.Timestamp | None:
    """The period end as a date if it is a financial-year quarter end from 2015 to a year ahead, else None
    (the problem added to ``bad``)."""
    try:
        period_end = pd.Timestamp(str(value)).normalize()
    except (ValueError, TypeError):
        bad.add("period_end", f"is not a date ({value!r})", _date_fix(value))
        return None
    if (period_end.month, period_end.day) not in {(3, 31), (6, 30), (9, 30), (12, 31)}:
        bad.add(
            "period_end",
            f"is {period_end:%Y-%m-%d}, not a quarter end",
            "Use 30 June, 30 September, 31 December or 31 March.",
        )
        return None
    if period_end.year < 2015 or period_end > pd.Timestamp.today().normalize() + pd.Timedelta(days=366):
        bad.add("period_end", f"is {period_end:%Y-%m-%d}, an impossible date", "Check the year.")
        return None
    return period_end


def load_params(path: str | Path) -> Params:
    """Read and validate a quarter's YAML parameters; raise one UserError naming every bad key."""
    path = resolve_path(Path(path), "parameter file")
    if path.is_dir():
        raise UserError(
            f"Parameter file {path} is a folder. Give the path of a YAML file in it, e.g. params/example.yaml."
        )
    if not path.is_file():
        raise UserError(f"Parameter file {path} does not exist. Give the path of a YAML file in params/.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"Parameter file {path} is not UTF-8 text (byte {exc.start} cannot be read; it was probably saved "
            "as Windows-1252 / ANSI, e.g. with a '\u00a3' or a curly quote). Save it as UTF-8 in your editor "
            "and run again."
        ) from None
    except OSError as exc:
        raise UserError(f"Parameter file {path} could not be read ({exc.strerror or exc}).") from None
    try:
        raw = yaml.load(text, Loader=_NoDatesLoader)  # noqa: S506 - a SafeLoader
    except DuplicateKeyError as exc:
        raise UserError(
            f"Parameter file {path}: {exc}. YAML would silently keep only the last one; delete the key "
            "you do not mean."
        ) from None
    except yaml.YAMLError as exc:
        raise UserError(
            f"Parameter file {path} is not valid YAML ({exc}). Check indentation and colons."
        ) from None
    if not isinstance(raw, dict):
        raise UserError(
            f"Parameter file {path} must be a mapping of keys to values (see params/example.yaml)."
        )
    bad = _Problems(path)
    root = path.parent.parent if path.parent.name == "params" else path.parent
    params = params_from_mapping(raw, root, path, bad)
    bad.raise_any()
    assert params is not None  # every problem was raised above
    return params


def params_from_mapping(raw: dict, root: Path, source: Path, bad: _Problems) -> Params | None:
    """Validate one quarter's parameters (a parsed YAML mapping; paths relative to ``root``).

    Every problem is added to ``bad`` (so a region file reports each authority's problems with
    its key, ``authorities[2].targets.x``); returns the Params, or None when there were problems.
    """
    raw = dict(raw)
    n_before = len(bad.items)
    for key in list(raw):
        if key not in _ALLOWED:
            bad.add(key, "is not a known parameter", f"Allowed keys: {', '.join(sorted(_ALLOWED))}.")
            del raw[key]
        elif (
            raw[key] is not None
            and not isinstance(raw[key], _ALLOWED[key])
            or (_ALLOWED[key] is int and isinstance(raw[key], bool))
        ):
            bad.add(key, f"has the wrong type ({type(raw[key]).__name__})", "See params/example.yaml.")
            raw[key] = None
    for key in _REQUIRED:
        if raw.get(key) in (None, "") and key in _ALLOWED and not bad.has(key):
            bad.add(key, "is missing", "Add it to the file (see params/example.yaml).")
    if not raw.get("annex_a") and not raw.get("ssda903") and not bad.has("annex_a"):
        bad.add("annex_a", "is missing (and so is 'ssda903')", "Give the path of at least one extract.")

    period_end = None
    if raw.get("period_end") not in (None, ""):
        period_end = check_period_end(raw["period_end"], bad)
    if raw.get("population_0_17") is not None and raw["population_0_17"] <= 0:
        bad.add("population_0_17", "must be a positive number of children", "Use the ONS mid-year estimate.")

    def paths(key: str) -> tuple[Path, ...]:
        value = raw.get(key) or []
        value = [value] if isinstance(value, str) else value
        out = []
        for v in value:
            p = resolve_path(root / str(v), f"path in key '{key}'")
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
            bad.add(
                f"interventions[{i}]",
                "needs a name and a date",
                "e.g. {name: edge_of_care, date: 2023-04-01}.",
            )
            continue
        extra = sorted(set(item) - _INTERVENTION_KEYS)
        if extra:
            bad.add(
                f"interventions[{i}].{extra[0]}", "is not a known setting", "Use name, date and description."
            )
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
        commentary = resolve_path(root / raw["commentary"], "commentary file")
        if not commentary.is_file():
            bad.add(
                "commentary",
                f"names {raw['commentary']}, which does not exist",
                "Write it or remove the key.",
            )

    local = parse_local_measures(raw.get("local_measures"), root, bad)
    targets.update({k: s.target for k, s in local.measures.items() if s.target is not None})
    chart_changes: dict[str, tuple[pd.Timestamp, ...]] = {}
    for key, dates in (raw.get("chart_changes") or {}).items():
        parsed = []
        for d in dates if isinstance(dates, list) else [dates]:
            try:
                parsed.append(pd.Timestamp(str(d)))
            except (ValueError, TypeError):
                bad.add(f"chart_changes.{key}", f"has {d!r}, which is not a date", _date_fix(d))
        chart_changes[str(key)] = tuple(sorted(parsed))
    standards, problems = check_standards(raw.get("practice_standards"))
    for problem in problems:
        bad.add(*problem)

    if len(bad.items) > n_before:
        return None
    return Params(
        authority=raw["authority"],
        period_end=period_end,
        annex_a=annex_a,
        ssda903=ssda903,
        population_0_17=int(raw["population_0_17"]),
        project_root=root,
        source_file=source,
        synthetic=bool(raw.get("synthetic", False)),
        targets={k: float(v) for k, v in targets.items()},
        interventions=tuple(interventions),
        min_cell=min_cell,
        commentary=commentary,
        notebook_timeout=int(raw.get("notebook_timeout") or 600),
        history=(root / raw["history"]).resolve() if raw.get("history") else None,
        local_measures=local,
        chart_changes=chart_changes,
        practice_standards=standards,
        protective_marking=str(marking).strip(),
    )
