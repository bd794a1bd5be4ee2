"""Typed core shared by every pipeline stage: locations, log records, findings, verdict tiers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

Record = dict[str, str]
"""One log line or event: the artefact's own field names mapped to string values."""


class Verdict(StrEnum):
    """Verdict tier of a single finding, strongest first."""

    EXPLOITED = "exploited"
    ATTEMPTED = "attempted"
    PROBE = "probe"
    SUSPICIOUS = "suspicious"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]


_VERDICT_RANK = {
    Verdict.EXPLOITED: 4,
    Verdict.SUSPICIOUS: 3,
    Verdict.ATTEMPTED: 2,
    Verdict.PROBE: 1,
    Verdict.INFO: 0,
}


class OverallVerdict(StrEnum):
    """Verdict of a whole scan."""

    COMPROMISED = "compromised"
    ATTEMPTED = "attempted"
    VULNERABLE = "vulnerable"
    CLEAN = "clean"
    INCONCLUSIVE = "inconclusive"


class Severity(StrEnum):
    """Sigma levels, reused for every finding."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFORMATIONAL = "informational"

    @property
    def rank(self) -> int:
        return ["informational", "low", "medium", "high", "critical"].index(self.value)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a record came from: evidence-relative path plus line (text) or record number (events)."""

    path: str
    line: int | None = None
    record: int | None = None
    offset: int | None = None


@dataclass(slots=True)
class LogRecord:
    """A parsed record with its location, the raw text it came from and its time (UTC) if known."""

    fields: Record
    location: Location
    raw: str
    timestamp: datetime | None = None


@dataclass(slots=True)
class Evidence:
    """The proof behind a finding."""

    path: str
    sha256: str | None = None
    line: int | None = None
    record: int | None = None
    excerpt: str = ""


@dataclass(slots=True)
class Entities:
    """Who and what a finding is about."""

    client_ip: str | None = None
    user_agent: str | None = None
    account: str | None = None
    mailbox: str | None = None
    file: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(slots=True)
class Finding:
    """One detection: a rule that matched one record or one file."""

    rule_id: str
    title: str
    verdict: Verdict
    severity: Severity
    artefact_kind: str
    evidence: Evidence
    time: datetime | None = None
    cves: list[str] = field(default_factory=list)
    attack: list[str] = field(default_factory=list)
    entities: Entities = field(default_factory=Entities)
    references: list[str] = field(default_factory=list)
    description: str = ""
    requires_corroboration: bool = False
    """True for findings that only count when other evidence exists (archives, dumps)."""

    def sort_key(self) -> tuple[str, str, int, int, str]:
        return (
            self.time.isoformat() if self.time else "",
            self.evidence.path,
            self.evidence.line or 0,
            self.evidence.record or 0,
            self.rule_id,
        )

    def to_json(self) -> dict[str, Any]:
        ev = {k: v for k, v in asdict(self.evidence).items() if v is not None}
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "verdict": self.verdict.value,
            "severity": self.severity.value,
            "cves": list(self.cves),
            "attack": list(self.attack),
            "time": format_time(self.time),
            "artefact_kind": self.artefact_kind,
            "evidence": ev,
            "entities": self.entities.as_dict(),
            "references": list(self.references),
            "description": self.description,
            "requires_corroboration": self.requires_corroboration,
        }


def format_time(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z suffix, or None."""
    if value is None:
        return None
    text = value.isoformat()
    return text.replace("+00:00", "Z")
