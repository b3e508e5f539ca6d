"""Work shared by several measures, done once per run."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def once_per_run(fn: Callable[[Any, Any], T]) -> Callable[[Any, Any], T]:
    """Remember ``fn(tables, params)`` for the same two objects (one run), so that measures
    resting on the same intermediate result (e.g. every front-door series) compute it once.

    Only the latest call is remembered, holding references to its arguments so that their
    identities cannot be reused by other objects while remembered.
    """
    last: dict[str, Any] = {}

    @functools.wraps(fn)
    def wrapper(tables: Any, params: Any) -> T:
        if last.get("tables") is tables and last.get("params") is params:
            return last["result"]
        result = fn(tables, params)
        last.update(tables=tables, params=params, result=result)
        return result

    return wrapper
