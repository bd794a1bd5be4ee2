"""ENISA severity of a personal data breach: ``SE = DPC × EI + CB``, every input with its reason.

The tables live in ``data/enisa.yml`` (ENISA 2013, doi:10.2824/27590). DPC is scored per data
category and the highest counts; EI is a correction factor; the CB elements are added. When an input
is missing the score is not computed; instead the range it could take is shown, so nothing is guessed.
The severity is an input to the Art. 33/34 decision, never the decision itself (ENISA leaves the
notification thresholds to the authorities).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from lekdicht.breach.provenance import Status

CB_ELEMENTS = ("confidentiality", "integrity", "availability", "malicious_intent")
LEVELS = ("low", "medium", "high", "very_high")
LEVEL_TEXT = {"low": "Low", "medium": "Medium", "high": "High", "very_high": "Very high"}


@dataclass(frozen=True, slots=True)
class DpcCategory:
    """One ENISA data category: base score, allowed range and named adjustments (score, reason)."""

    name: str
    label: str
    base: int
    low: int
    high: int
    examples: str
    adjustments: dict[str, tuple[int, str]]


@dataclass(frozen=True, slots=True)
class Tables:
    """The ENISA tables from ``data/enisa.yml``."""

    source: str
    dpc: dict[str, DpcCategory]
    ei: dict[str, tuple[float, str]]
    ei_identifiers: dict[str, tuple[float, str]]
    cb: dict[str, dict[str, tuple[float, str]]]
    levels: tuple[tuple[float, str, str], ...]
    ap_level: dict[str, str]
    category_map: dict[str, str | None]


@cache
def tables() -> Tables:
    """Load the ENISA tables (once)."""
    text = resources.files("lekdicht.breach").joinpath("data", "enisa.yml").read_text(encoding="utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    dpc = {
        name: DpcCategory(
            name=name,
            label=str(d["label"]),
            base=int(d["base"]),
            low=int(d["min"]),
            high=int(d["max"]),
            examples=str(d["examples"]),
            adjustments={
                k: (int(a["score"]), str(a["reason"])) for k, a in (d.get("adjustments") or {}).items()
            },
        )
        for name, d in raw["dpc"].items()
        if isinstance(d, dict)
    }
    return Tables(
        source=str(raw["source"]),
        dpc=dpc,
        ei={k: (float(v["value"]), str(v["meaning"])) for k, v in raw["ei"].items()},
        ei_identifiers={
            k: (float(v["value"]), str(v["description"])) for k, v in raw["ei_identifiers"].items()
        },
        cb={
            el: {str(k): (float(v["points"]), str(v["meaning"])) for k, v in opts.items()}
            for el, opts in raw["cb"].items()
            if isinstance(opts, dict)
        },
        levels=tuple((float(x["min"]), str(x["level"]), str(x["impact"])) for x in raw["levels"]),
        ap_level={str(k): str(v) for k, v in raw["ap_level"].items()},
        category_map={str(k): (None if v is None else str(v)) for k, v in raw["category_map"].items()},
    )


def dpc_score(category: str, adjustment: str | None = None) -> int:
    """The DPC score of an ENISA category, at base or after a named adjustment."""
    spec = tables().dpc[category]
    if adjustment is None:
        return spec.base
    return spec.adjustments[adjustment][0]


def ei_value(key: str) -> float:
    """EI for a level name (``maximum``) or an Annex 2 identifier example (``email_primary_with_name``)."""
    t = tables()
    if key in t.ei:
        return t.ei[key][0]
    return t.ei_identifiers[key][0]


def cb_points(element: str, key: str) -> float:
    """Points for one circumstance of the breach (``confidentiality``/``unknown_recipients``)."""
    return tables().cb[element][key][0]


def level_for(se: float) -> str:
    """ENISA severity level for a score (lower bounds inclusive): low, medium, high, very_high."""
    level = tables().levels[0][1]
    for low, name, _ in tables().levels:
        if se >= low:
            level = name
    return level


def ap_level_for(level: str) -> str:
    """Proposed AP 9.3 level for an ENISA level (our mapping, reference 5.6)."""
    return tables().ap_level[level]


def severity(dpc: float, ei: float, cb: float) -> float:
    """``SE = DPC × EI + CB``."""
    return dpc * ei + cb


@dataclass(frozen=True, slots=True)
class ScoreInput:
    """One input of the formula: its table key, points, provenance, source and reason."""

    name: str
    key: str | None
    points: float | None
    status: Status
    source: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "key": self.key,
            "points": self.points,
            "provenance": self.status,
            "source": self.source,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CategoryScore:
    """DPC for one ENISA data category present in the breach."""

    category: str
    data: tuple[str, ...]
    base: int
    score: int
    status: Status
    source: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "category": self.category,
            "data": list(self.data),
            "base": self.base,
            "score": self.score,
            "provenance": self.status,
            "source": self.source,
            "reason": self.reason,
        }


@dataclass(slots=True)
class Severity:
    """The ENISA result: inputs, score and level (or the range when inputs are missing), flags."""

    dpc: ScoreInput
    dpc_by_category: list[CategoryScore]
    ei: ScoreInput
    cb: list[ScoreInput]
    se: float | None
    level: str | None
    se_min: float
    se_max: float
    level_min: str
    level_max: str
    missing: list[str] = field(default_factory=list)

    @property
    def cb_total(self) -> float | None:
        """Sum of the CB elements, or None when one is missing."""
        if any(c.points is None for c in self.cb):
            return None
        return sum(c.points or 0.0 for c in self.cb)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "formula": "SE = DPC * EI + CB",
            "source": tables().source,
            "dpc": self.dpc.to_json(),
            "dpc_by_category": [c.to_json() for c in self.dpc_by_category],
            "ei": self.ei.to_json(),
            "cb": {c.name: c.to_json() for c in self.cb},
            "cb_total": self.cb_total,
            "se": self.se,
            "level": self.level,
            "range": {
                "min": self.se_min,
                "max": self.se_max,
                "level_min": self.level_min,
                "level_max": self.level_max,
            },
            "missing": self.missing,
        }


def dpc_from_categories(categories: Sequence[CategoryScore], source_if_none: str) -> ScoreInput:
    """DPC = the highest category score (ENISA: score each category, take the highest)."""
    if not categories:
        return ScoreInput("DPC", None, None, "missing", source_if_none, "no data category is known")
    top = max(categories, key=lambda c: (c.score, c.category))
    status: Status = top.status
    return ScoreInput(
        "DPC",
        top.category,
        float(top.score),
        status,
        top.source,
        f"highest of the data categories present: {top.category} = {top.score} ({top.reason})",
    )


def score(
    dpc: ScoreInput,
    ei: ScoreInput,
    cb: Sequence[ScoreInput],
    categories: Sequence[CategoryScore] = (),
    dpc_floor: float | None = None,
) -> Severity:
    """Compute SE and its level; with missing inputs, the range over every value they could take.

    ``dpc_floor`` is the lowest DPC a missing DPC can have (the categories already known).
    """
    t = tables()
    dpc_lo, dpc_hi = (dpc.points, dpc.points) if dpc.points is not None else (dpc_floor or 1.0, 4.0)
    ei_vals = [v for v, _ in t.ei.values()]
    ei_lo, ei_hi = (ei.points, ei.points) if ei.points is not None else (min(ei_vals), max(ei_vals))
    cb_lo = cb_hi = 0.0
    for c in cb:
        if c.points is not None:
            cb_lo += c.points
            cb_hi += c.points
        else:
            cb_hi += max(p for p, _ in t.cb[c.name].values())
    se_min, se_max = severity(dpc_lo, ei_lo, cb_lo), severity(dpc_hi, ei_hi, cb_hi)
    missing = [x.name for x in (dpc, ei, *cb) if x.points is None]
    se = se_min if not missing else None
    return Severity(
        dpc=dpc,
        dpc_by_category=list(categories),
        ei=ei,
        cb=list(cb),
        se=se,
        level=level_for(se) if se is not None else None,
        se_min=se_min,
        se_max=se_max,
        level_min=level_for(se_min),
        level_max=level_for(se_max),
        missing=missing,
    )
