"""The measure registry: every measure the book reports, declared once.

A measure is a ``Measure``: its key, label, plain-English definition with its source, the
canonical tables it needs, kind, unit, better direction, target and England benchmark keys,
chapter, and the one function that computes it. ``compute(tables, params)`` returns the
monthly series the measure rests on, or ``NotAvailable`` naming the list or column that would
provide it:

- ``proportion``: columns ``month``, ``numerator``, ``denominator`` (a period's value is
  sum(numerator) / sum(denominator));
- ``count``: columns ``month``, ``value`` (a period's value is the sum of its months);
- ``stock``, ``rate``, ``mean``: columns ``month``, ``value`` (a period's value is the value at
  its last month: a stock is counted on a date, a rate per 10,000 or a mean likewise).

``month`` is the first day of the month (a pandas Timestamp). A *snapshot* measure (one known
only at the period end, e.g. from Annex A's latest dates) returns the period end's month only;
its earlier quarters come from the measures history.

Modules declare their measures with ``register(Measure(...))``; ``cscbook.measures.catalogue``
imports every declaring module, so ``all_measures()`` sees them all. ``cscbook.measures.compute``
computes every measure once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from cscbook.config.params import Params

Kind = Literal["proportion", "count", "stock", "rate", "mean"]
KINDS: tuple[str, ...] = ("proportion", "count", "stock", "rate", "mean")
SERIES_COLUMNS = {"proportion": ("month", "numerator", "denominator")}
VALUE_COLUMNS = ("month", "value")


@dataclass(frozen=True)
class NotAvailable:
    """A measure that cannot be computed from this extract, and what would provide it.

    ``reason`` completes the sentence "Not available in this extract: ..." and names the list
    or column, e.g. "needs Annex A List 3 (referrals)".
    """

    reason: str


Tables = Mapping[str, pd.DataFrame]
ComputeFn = Callable[[Tables, Params], "pd.DataFrame | NotAvailable"]


@dataclass(frozen=True)
class Measure:
    """One measure of the book. See the module docstring for ``compute``'s contract.

    ``snapshot``: known only at the period end (one month; earlier quarters from the history).
    ``on_date``: a proportion counted on a date (its quarter value is the quarter's last month).
    ``chart``: the control chart judging it: "auto" (p-chart for proportions, XmR for counts, none
    for stocks, rates and means on a date), or "p", "xmr" or None (no signal) as declared.
    ``complete_until(period_end)``: the last event date the measure can count by the period end
    when its latest events are not yet complete (e.g. a contact's 30-day window), else None; a
    month of the quarter covered for less than half its days is not judged.
    """

    key: str
    label: str
    definition: str
    source: str
    needs: tuple[str, ...]
    kind: Kind
    compute: ComputeFn = field(repr=False, compare=False)
    unit: str = ""
    higher_is_better: bool | None = None
    target_key: str | None = None
    england_key: str | None = None
    chapter: str = ""
    headline: bool = False
    snapshot: bool = False
    on_date: bool = False
    chart: str | None = "auto"
    complete_until: Callable[[pd.Timestamp], pd.Timestamp | None] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"measure {self.key!r}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")


_REGISTRY: dict[str, Measure] = {}


def register(measure: Measure) -> Measure:
    """Add ``measure`` to the registry (a second measure with the same key is an error)."""
    if measure.key in _REGISTRY and _REGISTRY[measure.key] is not measure:
        raise ValueError(f"measure {measure.key!r} is declared twice")
    _REGISTRY[measure.key] = measure
    return measure


def unregister(key: str) -> None:
    """Remove a measure (for tests that register a toy measure)."""
    _REGISTRY.pop(key, None)


def all_measures() -> list[Measure]:
    """Every registered measure, in declaration order (the catalogue's modules loaded first)."""
    import cscbook.measures.catalogue  # noqa: F401  (declares the measures)

    return list(_REGISTRY.values())


def get(key: str) -> Measure:
    """The measure declared with ``key``."""
    all_measures()
    return _REGISTRY[key]


TABLE_NAMES = {
    "contacts": "Annex A List 1 (contacts)",
    "early_help": "Annex A List 2 (early help)",
    "referrals": "Annex A List 3 (referrals)",
    "assessments": "Annex A List 4 (assessments)",
    "s47": "Annex A List 5 (section 47 enquiries and ICPCs)",
    "cin": "Annex A List 6 (children in need)",
    "cp_plans": "Annex A List 7 (child protection plans)",
    "cla": "Annex A List 8 (children in care)",
    "care_leavers": "Annex A List 9 (care leavers)",
    "cla_episodes": "the SSDA903 episodes file",
    "cla_header": "the SSDA903 header file",
    "social_worker_episodes": "the SSDA903 social worker episodes file (collected from 2023-24)",
    "local_measures": "the local measures file (local_measures.file in the parameters)",
}


def missing_tables(measure: Measure, tables: Tables) -> NotAvailable | None:
    """``NotAvailable`` naming the first needed table that is absent or empty, else None.

    A need written ``table.column`` also needs that column to hold at least one value.
    """
    for need in measure.needs:
        alternatives = need.split("|")
        if any(_present(alt, tables) for alt in alternatives):
            continue
        names = " or ".join(_describe(alt) for alt in alternatives)
        return NotAvailable(f"needs {names}")
    return None


def _present(need: str, tables: Tables) -> bool:
    table, _, column = need.partition(".")
    df = tables.get(table)
    if df is None or df.empty:
        return False
    return not column or (column in df.columns and df[column].notna().any())


def _describe(need: str) -> str:
    table, _, column = need.partition(".")
    where = TABLE_NAMES.get(table, table)
    return f"the column {column!r} in {where}" if column else where
