"""The ``local_measures:`` parameter: the local measures file and each measure's declaration.

Local measures are the figures a service keeps itself (agency share, vacancies, supervision in
time, audit grades, reviewing officers' caseloads): one tidy file, one row per measure and
month (``cscbook.data.local_measures``). Each measure in it is declared in the parameters::

    local_measures:
      file: data/local/local_measures.csv      # a CSV, or an .xlsx workbook
      sheet: local_measures                    # optional: the sheet of a workbook (default the first)
      measures:
        agency_share:
          label: Social work posts covered by agency staff
          kind: proportion                     # proportion, count, stock, rate or mean
          unit: "%"                            # optional
          better: lower                        # higher, lower or neither
          target: 0.15                         # optional; proportions as fractions
          definition: Agency social workers / filled social work posts at the month end.
          source: HR establishment report
          on_date: true                        # optional: a figure on a date, not the month's events
          england: sw_agency_rate              # optional: benchmark key in data/reference/
          headline: true                       # optional (default true): in the summary

The four audit grades are declared as counts with the keys in ``AUDIT_GRADES``; when they are
declared the book adds the share of audits graded good or better (``AUDIT_GOOD_OR_BETTER``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCAL_KINDS = ("proportion", "count", "stock", "rate", "mean")
BETTER = {"higher": True, "lower": False, "neither": None}
AUDIT_GRADES = ("audit_outstanding", "audit_good", "audit_requires_improvement", "audit_inadequate")
AUDIT_GOOD_OR_BETTER = "audit_good_or_better"
_REQUIRED = ("label", "kind", "definition", "source")
_OPTIONAL = ("unit", "better", "target", "on_date", "england", "headline")
_SETTINGS = ("file", "sheet", "measures")


@dataclass(frozen=True)
class LocalMeasureSpec:
    """One declared local measure (see the module docstring)."""

    key: str
    label: str
    kind: str
    definition: str
    source: str
    unit: str = ""
    higher_is_better: bool | None = None
    target: float | None = None
    on_date: bool = False
    england: str | None = None
    headline: bool = True


@dataclass(frozen=True)
class LocalMeasures:
    """The local measures file (None when not supplied) and the declared measures, in order."""

    file: Path | None = None
    sheet: str | None = None
    measures: dict[str, LocalMeasureSpec] = field(default_factory=dict)


def parse_local_measures(raw: Any, root: Path, bad: Any) -> LocalMeasures:
    """Validate the ``local_measures`` mapping; each problem goes to ``bad.add(key, problem, fix)``.

    A declaration with a problem is left out (the run stops at ``bad.raise_any()`` anyway).
    """
    if not raw:
        return LocalMeasures()
    for k in sorted(set(raw) - set(_SETTINGS)):
        bad.add(f"local_measures.{k}", "is not a known setting", "Use file, sheet and measures.")
    path = None
    if raw.get("file") not in (None, ""):
        path = (root / str(raw["file"])).resolve()
        if not path.is_file():
            bad.add("local_measures.file", f"names {raw['file']}, which does not exist",
                    f"Put the local measures file at {path} or fix the path (data/templates/ has a template).")  # fmt: skip
    sheet = raw.get("sheet")
    specs: dict[str, LocalMeasureSpec] = {}
    measures = raw.get("measures") or {}
    if not isinstance(measures, dict):
        bad.add("local_measures.measures", "must be a mapping of measure keys to declarations",
                "See params/example.yaml.")  # fmt: skip
        measures = {}
    for key, decl in measures.items():
        spec = _spec(str(key), decl, bad)
        if spec is not None:
            specs[spec.key] = spec
    grades = [g for g in AUDIT_GRADES if g in specs]
    if grades and len(grades) < len(AUDIT_GRADES):
        missing = ", ".join(g for g in AUDIT_GRADES if g not in specs)
        bad.add("local_measures.measures", f"declares some audit grades but not {missing}",
                "Declare all four audit grades (as counts) or none.")  # fmt: skip
    for g in grades:
        if specs[g].kind != "count":
            bad.add(
                f"local_measures.measures.{g}", f"is a {specs[g].kind}", "Declare audit grades as counts."
            )
    return LocalMeasures(path, str(sheet) if sheet not in (None, "") else None, specs)


def _spec(key: str, decl: Any, bad: Any) -> LocalMeasureSpec | None:
    where = f"local_measures.measures.{key}"
    if not isinstance(decl, dict):
        bad.add(where, "must be a mapping (label, kind, definition, source, ...)", "See params/example.yaml.")
        return None
    ok = True
    if not key.replace("_", "").isalnum() or key != key.lower():
        bad.add(
            where,
            "is not a measure key",
            "Use lower-case letters, digits and underscores, e.g. agency_share.",
        )
        ok = False
    if key == AUDIT_GOOD_OR_BETTER:
        bad.add(where, "is computed by the book from the four audit grades", "Declare the grades instead.")
        ok = False
    for k in sorted(set(decl) - set(_REQUIRED) - set(_OPTIONAL)):
        bad.add(f"{where}.{k}", "is not a known setting", f"Use {', '.join(_REQUIRED + _OPTIONAL)}.")
        ok = False
    for k in _REQUIRED:
        if decl.get(k) in (None, ""):
            bad.add(
                f"{where}.{k}",
                "is missing",
                "Every local measure needs a label, kind, definition and source.",
            )
            ok = False
    kind = decl.get("kind")
    if kind not in (None, "") and kind not in LOCAL_KINDS:
        bad.add(f"{where}.kind", f"is {kind!r}", f"Use one of {', '.join(LOCAL_KINDS)}.")
        ok = False
    better = decl.get("better", "neither")
    if better not in BETTER:
        bad.add(f"{where}.better", f"is {better!r}", "Use higher, lower or neither.")
        ok = False
    target = decl.get("target")
    if target is not None:
        if not isinstance(target, int | float) or isinstance(target, bool):
            bad.add(
                f"{where}.target", "must be a number", "Write proportions as 0.85, other measures as numbers."
            )
            ok = False
        elif kind == "proportion" and not 0 <= target <= 1:
            bad.add(f"{where}.target", f"is {target}, not a proportion between 0 and 1", "Write 85% as 0.85.")
            ok = False
    for k in ("on_date", "headline"):
        if k in decl and not isinstance(decl[k], bool):
            bad.add(f"{where}.{k}", "must be true or false", "Write true or false.")
            ok = False
    if not ok:
        return None
    return LocalMeasureSpec(
        key=key, label=str(decl["label"]), kind=str(kind), definition=str(decl["definition"]),
        source=str(decl["source"]), unit=str(decl.get("unit") or ""), higher_is_better=BETTER[better],
        target=None if target is None else float(target), on_date=bool(decl.get("on_date", kind == "stock")),
        england=str(decl["england"]) if decl.get("england") else None, headline=bool(decl.get("headline", True)),
    )  # fmt: skip
