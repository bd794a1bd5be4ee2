"""Provenance of every value in a breach assessment: ``given``, ``derived`` or ``missing``.

``given`` values come from the answers file (or the interactive prompt), ``derived`` values were
computed from the scan's report.json (or from a documented rule) and must be confirmed by a person
before filing, and ``missing`` values are not known: they are shown as missing, never invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

Status = Literal["given", "derived", "missing"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Count:
    """A number that may be exact or a range (AP questions 6.3.1 and 7.3 allow both)."""

    low: int
    high: int

    @property
    def exact(self) -> bool:
        """True when the range is a single number."""
        return self.low == self.high

    def __str__(self) -> str:
        return str(self.low) if self.exact else f"{self.low}-{self.high}"

    def to_json(self) -> dict[str, int]:
        """``{"min": .., "max": ..}``."""
        return {"min": self.low, "max": self.high}


@dataclass(frozen=True, slots=True)
class Value(Generic[T]):
    """One value with where it came from.

    ``source`` is the answers key for given and missing values (``timeline.aware_at``) and the
    report path or rule for derived ones (``report.json: verdict.overall``). ``note`` says why.
    """

    value: T | None
    status: Status
    source: str
    note: str = ""

    @property
    def is_missing(self) -> bool:
        """True when nothing is known."""
        return self.status == "missing"

    def to_json(self) -> dict[str, Any]:
        """JSON form: value, provenance, source and note."""
        out: dict[str, Any] = {
            "value": jsonable(self.value),
            "provenance": self.status,
            "source": self.source,
        }
        if self.note:
            out["note"] = self.note
        return out


def given(value: T, key: str, note: str = "") -> Value[T]:
    """A value from the answers (``key`` is the answers key)."""
    return Value(value, "given", f"answers: {key}", note)


def derived(value: T, source: str, note: str = "") -> Value[T]:
    """A value computed from the report or a documented rule (``source`` says which)."""
    return Value(value, "derived", source, note)


def missing(key: str, note: str = "") -> Value[Any]:
    """A value nobody has supplied; ``key`` is the answer that would supply it."""
    return Value(None, "missing", f"answers: {key}", note)


def jsonable(value: object) -> Any:
    """``value`` in a form json.dumps accepts (datetimes as ISO 8601, Counts as min/max)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Count):
        return value.to_json()
    if isinstance(value, Value):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value
