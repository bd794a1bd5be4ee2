"""Log coverage: what period each log family covers, against when each exploitation chain began."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from lekdicht.model import format_time


@dataclass(frozen=True, slots=True)
class ChainPeriod:
    """When an exploitation chain began, and which log families can show it."""

    chain: str
    cves: tuple[str, ...]
    start: date
    families: tuple[str, ...]
    source: str


@dataclass(slots=True)
class FamilySpan:
    """Time span and file count of one log family."""

    family: str
    files: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, first: datetime | None, last: datetime | None) -> None:
        self.files += 1
        if first and (self.first is None or first < self.first):
            self.first = first
        if last and (self.last is None or last > self.last):
            self.last = last

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "files": self.files,
            "first": format_time(self.first),
            "last": format_time(self.last),
        }


@dataclass(slots=True)
class ChainCoverage:
    """Whether the evidence can show an intrusion through one chain, and from when."""

    chain: str
    start: date
    status: str  # "covered" | "partial" | "none"
    visible_from: datetime | None
    statement: str

    def to_json(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "exploitation_start": self.start.isoformat(),
            "status": self.status,
            "visible_from": format_time(self.visible_from),
            "statement": self.statement,
        }


@dataclass(slots=True)
class Coverage:
    """Coverage per family and per chain."""

    families: list[FamilySpan] = field(default_factory=list)
    chains: list[ChainCoverage] = field(default_factory=list)

    @property
    def any_logs(self) -> bool:
        return any(f.files for f in self.families)

    def to_json(self) -> dict[str, Any]:
        return {
            "families": [f.to_json() for f in self.families],
            "chains": [c.to_json() for c in self.chains],
        }


@lru_cache(maxsize=1)
def load_periods() -> tuple[ChainPeriod, ...]:
    """Exploitation periods from the packaged data file."""
    text = resources.files("lekdicht.data").joinpath("exploitation_periods.yml").read_text("utf-8")
    data = yaml.safe_load(text)
    out = []
    for c in data["chains"]:
        start = c["exploitation_start"]
        out.append(
            ChainPeriod(
                c["chain"],
                tuple(c["cves"]),
                start if isinstance(start, date) else date.fromisoformat(start),
                tuple(c["families"]),
                c.get("source", ""),
            )
        )
    return tuple(out)


def compute_coverage(spans: Iterable[tuple[str, datetime | None, datetime | None]]) -> Coverage:
    """Coverage from (family, first, last) per log file."""
    by_family: dict[str, FamilySpan] = {}
    for family, first, last in spans:
        by_family.setdefault(family, FamilySpan(family)).add(first, last)
    cov = Coverage(families=[by_family[k] for k in sorted(by_family)])
    for period in load_periods():
        cov.chains.append(_chain_coverage(period, by_family))
    return cov


def _chain_coverage(period: ChainPeriod, by_family: dict[str, FamilySpan]) -> ChainCoverage:
    spans = [by_family[f] for f in period.families if f in by_family and by_family[f].first]
    start_dt = datetime(period.start.year, period.start.month, period.start.day, tzinfo=UTC)
    if not spans:
        return ChainCoverage(
            period.chain,
            period.start,
            "none",
            None,
            f"No logs that could show {period.chain} ({', '.join(period.families)}) were found.",
        )
    earliest = min(s.first for s in spans if s.first is not None)
    latest = max((s.last for s in spans if s.last is not None), default=None)
    names = ", ".join(sorted(s.family for s in spans))
    if latest is not None and latest < start_dt:
        return ChainCoverage(
            period.chain,
            period.start,
            "none",
            None,
            f"The logs ({names}) end on {latest.date()}, before {period.chain} exploitation "
            f"began ({period.start}); they cannot show it.",
        )
    if earliest <= start_dt:
        return ChainCoverage(
            period.chain,
            period.start,
            "covered",
            earliest,
            f"The logs ({names}) reach back to {earliest.date()}, before {period.chain} "
            f"exploitation began ({period.start}).",
        )
    return ChainCoverage(
        period.chain,
        period.start,
        "partial",
        earliest,
        f"The logs ({names}) start on {earliest.date()}, after {period.chain} exploitation "
        f"began ({period.start}): an intrusion before {earliest.date()} cannot show in them.",
    )
